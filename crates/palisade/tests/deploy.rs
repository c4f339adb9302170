//! Palisade's own in-cluster manifests pass Palisade's controls.

mod common;

use common::{repo_root, scan_json};

#[test]
fn the_deploy_manifests_pass_our_own_controls() {
    let deploy = repo_root().join("deploy");
    let (report, code) = scan_json(&[deploy.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["findings"], 0, "{report:#}");
    assert_eq!(report["summary"]["notEvaluated"], 0, "{report:#}");
    let kinds: Vec<&str> = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"].as_u64().unwrap() > 0)
        .map(|c| c["control"].as_str().unwrap())
        .collect();
    for judged in ["POD-001", "RBAC-001", "NET-005", "NS-002"] {
        assert!(
            kinds.contains(&judged),
            "{judged} judged something: {kinds:?}"
        );
    }
    // Every suppression carries its reason.
    for suppressed in report["suppressed"].as_array().unwrap() {
        let reason = suppressed["suppression"]["reason"].as_str().unwrap();
        assert!(reason.len() > 20, "{suppressed:#}");
    }
}
