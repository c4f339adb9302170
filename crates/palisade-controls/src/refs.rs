//! Short constructors for aliases, so control metadata reads like a table.

use palisade_core::{Alias, Tool};

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
