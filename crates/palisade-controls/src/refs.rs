//! Short constructors for framework references and aliases, so control metadata reads like a
//! table.

use palisade_core::{Alias, Framework, FrameworkRef, Tool};

pub const fn cis(id: &'static str) -> FrameworkRef {
    FrameworkRef {
        framework: Framework::Cis,
        id,
    }
}
pub const fn nsa(id: &'static str) -> FrameworkRef {
    FrameworkRef {
        framework: Framework::NsaCisa,
        id,
    }
}
pub const fn mitre(id: &'static str) -> FrameworkRef {
    FrameworkRef {
        framework: Framework::Mitre,
        id,
    }
}
pub const fn pss(id: &'static str) -> FrameworkRef {
    FrameworkRef {
        framework: Framework::Pss,
        id,
    }
}
pub const fn kubescape(id: &'static str) -> Alias {
    Alias {
        tool: Tool::Kubescape,
        id,
    }
}
pub const fn trivy(id: &'static str) -> Alias {
    Alias {
        tool: Tool::Trivy,
        id,
    }
}
pub const fn checkov(id: &'static str) -> Alias {
    Alias {
        tool: Tool::Checkov,
        id,
    }
}
pub const fn polaris(id: &'static str) -> Alias {
    Alias {
        tool: Tool::Polaris,
        id,
    }
}
pub const fn kube_linter(id: &'static str) -> Alias {
    Alias {
        tool: Tool::KubeLinter,
        id,
    }
}
pub const fn kube_score(id: &'static str) -> Alias {
    Alias {
        tool: Tool::KubeScore,
        id,
    }
}
