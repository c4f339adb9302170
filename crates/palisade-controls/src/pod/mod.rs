//! POD: pod and container hardening.
//!
//! `pss/` holds the Pod Security Standards checks, exactly as Pod Security Admission defines
//! them; `hardening/` holds the hardening controls beyond the standards.

pub(crate) mod hardening;
pub(crate) mod pss;

use palisade_core::{Fix, FixOp, FixSafety, ObjectPath};

/// The fix of the controls that judge hostPath volumes: the volume at `volume` keeps its
/// name (so every volumeMount stays valid) and becomes an `emptyDir`. Unsafe: whatever the
/// application read from or wrote to the node is no longer there.
pub(crate) fn host_path_to_empty_dir(volume: &ObjectPath) -> Fix {
    Fix {
        description: "replace the hostPath volume with an emptyDir".into(),
        safety: FixSafety::Unsafe,
        ops: vec![
            FixOp::Remove {
                path: volume.key("hostPath"),
            },
            FixOp::Set {
                path: volume.key("emptyDir"),
                value: serde_json::json!({}),
            },
        ],
    }
}
