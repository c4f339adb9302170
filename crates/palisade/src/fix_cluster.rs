//! `palisade fix --cluster`: read a live cluster as `scan --cluster` does, judge it the same
//! way, and turn the findings' fixes into one JSON Patch per object a person edits — printed
//! as `kubectl patch` commands, or with `--apply` sent as a server-side dry run, confirmed, and
//! applied.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write as _};
use std::process::ExitCode;

use palisade_cluster::Cluster;
use palisade_core::{Inventory, InventoryIndex, Node, ResourceId};
use palisade_engine::{Evaluator, Plan};
use palisade_fix::{KubectlTarget, LiveFix, NotFixed, ObjectPatch, Summary};
use tokio::runtime::Runtime;

use crate::cli::FixArgs;
use crate::fix::{availability, load_config, plan, title};

/// Something is left to patch (printing), or a patch was not applied (`--apply`).
const EXIT_LEFT: u8 = 1;
/// A cluster could not be read.
const EXIT_ERROR: u8 = 2;

/// `Deployment shop/web`, as the output names an object.
fn describe(patch: &ObjectPatch) -> String {
    let id = &patch.object;
    match &id.namespace {
        Some(ns) => format!("{} {ns}/{}", id.kind, id.name),
        None => format!("{} {}", id.kind, id.name),
    }
}

/// Planning runs again on the objects as patched: a fix held back by another finding (no
/// allowPrivilegeEscalation fix while the container is privileged) applies once that one is
/// fixed. Each pass's operations follow the previous ones in the same patch; the cap keeps a
/// fix that does not resolve its own finding from looping, as for files.
const MAX_PASSES: usize = 4;

/// The patches of one cluster; findings left unfixed are counted in `summary`.
fn plan_cluster(
    inventory: &Inventory,
    plan: &Plan,
    unsafe_fixes: bool,
    summary: &mut Summary,
) -> Vec<ObjectPatch> {
    let mut patched = inventory.clone();
    let mut patches: BTreeMap<ResourceId, ObjectPatch> = BTreeMap::new();
    for pass in 0..=MAX_PASSES {
        let index = InventoryIndex::new(&patched);
        let evaluator = Evaluator::new(plan, &patched, &index);
        let mut fixes = Vec::new();
        let mut left = Vec::new();
        for resource in &patched.resources {
            for finding in evaluator.resource(resource).findings {
                match (
                    palisade_fix::decide_fix(&finding, availability(finding.control), unsafe_fixes),
                    finding.fix,
                ) {
                    (Ok(()), Some(fix)) => fixes.push(LiveFix {
                        control: finding.control,
                        fix: *fix,
                        resource,
                    }),
                    (Err(why), _) => left.push((finding.control, why)),
                    (Ok(()), None) => left.push((finding.control, NotFixed::NoFix)),
                }
            }
        }
        let planned = palisade_fix::plan_live(&index, fixes);
        left.extend(
            planned
                .rejected
                .into_iter()
                .map(|r| (r.control, NotFixed::Refused(r.reason))),
        );
        if pass == MAX_PASSES || planned.patches.is_empty() {
            for (control, why) in left {
                summary.not_fixed(control, why);
            }
            break;
        }
        let fixed: Vec<(ResourceId, serde_json::Value)> = planned
            .patches
            .iter()
            .map(|p| (p.object.clone(), p.expected.clone()))
            .collect();
        for next in planned.patches {
            match patches.get_mut(&next.object) {
                Some(earlier) => earlier.follow_with(next),
                None => {
                    patches.insert(next.object.clone(), next);
                }
            }
        }
        for resource in &mut patched.resources {
            if let Some((_, expected)) = fixed.iter().find(|(id, _)| *id == resource.id) {
                resource.root = Node::from_json(expected);
            }
        }
    }
    patches.into_values().collect()
}

/// What the command did, over every cluster.
#[derive(Default)]
struct Outcome {
    summary: Summary,
    /// Patches printed or applied, and the objects they were for.
    patched_findings: usize,
    patched_objects: usize,
    /// Objects whose patch was left to their GitOps source.
    gitops: usize,
    /// Patches that failed (dry run or apply) or were declined.
    not_applied: usize,
    unreadable_clusters: usize,
}

pub fn run(args: &FixArgs) -> Result<ExitCode, String> {
    let live = &args.live;
    // Refuse before reading anything: nobody could answer the question.
    if live.apply && !live.yes && !std::io::stdin().is_terminal() {
        return Err(
            "--apply asks for confirmation, and standard input is not a terminal: \
                    pass --yes to apply without asking (nothing was changed)"
                .into(),
        );
    }
    let config = load_config(args)?;
    let mut plan = plan(args, &config)?;
    let runtime = crate::cluster::runtime()?;
    let targets = runtime.block_on(palisade_cluster::targets(&live.clusters.target_options()))?;
    let options = crate::cluster::collect_options(&args.namespaces, &live.exclude_namespaces);
    let narrowed = !args.namespaces.is_empty() || !live.exclude_namespaces.is_empty();
    let mut outcome = Outcome::default();
    for target in &targets {
        let read = runtime.block_on(async {
            let cluster = palisade_cluster::connect(target).await?;
            let collected = palisade_cluster::collect(&cluster, &options).await;
            Ok::<_, String>((cluster, collected.inventory))
        });
        let (cluster, inventory) = match read {
            Ok(read) => read,
            Err(message) => {
                eprintln!("error: {message}");
                outcome.unreadable_clusters += 1;
                continue;
            }
        };
        for gap in &inventory.unavailable {
            eprintln!(
                "warning: {}: cannot read {gap}; its objects are neither judged nor patched",
                cluster.name
            );
        }
        crate::cluster::plan_for(&mut plan, &cluster, None, narrowed);
        let patches = plan_cluster(&inventory, &plan, args.unsafe_fixes, &mut outcome.summary);
        let kubectl = KubectlTarget {
            kubeconfig: live
                .clusters
                .kubeconfig
                .as_ref()
                .map(|p| p.display().to_string()),
            // Always named: the commands may run after the current context has changed, and
            // must still reach the cluster Palisade read.
            context: (!target.in_cluster).then(|| target.name.clone()),
        };
        let mut pending = Vec::new();
        for patch in patches {
            match &patch.managed_by {
                Some(tool) if !live.include_gitops => {
                    outcome.gitops += 1;
                    for (control, _) in &patch.fixes {
                        outcome.summary.not_fixed(
                            control,
                            NotFixed::Refused(format!(
                                "managed by {tool}: fix the source instead (or --include-gitops)"
                            )),
                        );
                    }
                    crate::emit(&gitops_comment(&patch, &kubectl))?;
                }
                _ => pending.push(patch),
            }
        }
        if live.apply {
            apply(
                &runtime,
                &cluster,
                &inventory,
                pending,
                live.yes,
                &mut outcome,
            )?;
        } else {
            for patch in &pending {
                crate::emit(&command(patch, &kubectl))?;
                count_patched(&mut outcome, patch);
            }
        }
    }
    report(&outcome, live.apply);
    Ok(if outcome.unreadable_clusters > 0 {
        ExitCode::from(EXIT_ERROR)
    } else if outcome.not_applied > 0
        || (!live.apply && outcome.patched_objects + outcome.gitops > 0)
    {
        ExitCode::from(EXIT_LEFT)
    } else {
        ExitCode::SUCCESS
    })
}

fn count_patched(outcome: &mut Outcome, patch: &ObjectPatch) {
    outcome.patched_objects += 1;
    outcome.patched_findings += patch.fixes.len();
    for (control, _) in &patch.fixes {
        outcome.summary.fixed(control);
    }
}

/// The fixes a patch carries, one line each after `lead`.
fn fix_lines(out: &mut String, patch: &ObjectPatch, lead: &str) {
    for (control, description) in &patch.fixes {
        let _ = writeln!(out, "{lead}{control:<9} {description}");
    }
}

/// A patch as a shell script fragment: what it fixes as comments, then the command.
fn command(patch: &ObjectPatch, kubectl: &KubectlTarget) -> String {
    let mut out = format!("\n# {}\n", describe(patch));
    if let Some(tool) = &patch.managed_by {
        let _ = writeln!(
            out,
            "# managed by {tool}: its next sync may undo this patch; fix the source as well"
        );
    }
    fix_lines(&mut out, patch, "#   ");
    let _ = writeln!(
        out,
        "{}",
        palisade_fix::kubectl_patch_command(&patch.object, &patch.operations, kubectl)
    );
    out
}

/// A GitOps-managed object's patch: flagged, with the command commented out for reference.
fn gitops_comment(patch: &ObjectPatch, kubectl: &KubectlTarget) -> String {
    let mut out = format!(
        "\n# {} is managed by {}: fix the source instead.\n\
         # Not applied without --include-gitops; the patch, for reference:\n",
        describe(patch),
        patch
            .managed_by
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    fix_lines(&mut out, patch, "#   ");
    let _ = writeln!(
        out,
        "# {}",
        palisade_fix::kubectl_patch_command(&patch.object, &patch.operations, kubectl)
    );
    out
}

fn short(value: Option<&serde_json::Value>) -> String {
    match value {
        None => "(absent)".into(),
        Some(v) => {
            let text = v.to_string();
            if text.chars().count() > 120 {
                format!("{}…", text.chars().take(119).collect::<String>())
            } else {
                text
            }
        }
    }
}

/// Asks on the terminal; only `y` or `yes` is a yes.
fn confirm(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Dry-runs every patch on the server, shows what each would change, asks, then applies.
fn apply(
    runtime: &Runtime,
    cluster: &Cluster,
    inventory: &Inventory,
    patches: Vec<ObjectPatch>,
    yes: bool,
    outcome: &mut Outcome,
) -> Result<(), String> {
    let mut ready = Vec::new();
    for patch in patches {
        let name = describe(&patch);
        let dry = runtime.block_on(palisade_cluster::patch(
            cluster,
            &patch.object,
            &patch.operations,
            true,
        ));
        match dry {
            Ok(answer) => {
                let current = inventory
                    .resources
                    .iter()
                    .find(|r| r.id == patch.object)
                    .map(|r| r.root.to_json())
                    .unwrap_or_default();
                let changes = palisade_fix::field_changes(&current, &answer);
                let mut out = format!("\n{name} (server-side dry run):\n");
                fix_lines(&mut out, &patch, "  fixes ");
                for change in &changes {
                    let _ = writeln!(
                        out,
                        "  {}: {} → {}",
                        change.pointer,
                        short(change.before.as_ref()),
                        short(change.after.as_ref())
                    );
                }
                if changes.is_empty() {
                    out.push_str("  no field would change\n");
                }
                crate::emit(&out)?;
                ready.push(patch);
            }
            Err(error) => {
                eprintln!("error: {name}: the dry run failed: {error}");
                outcome.not_applied += 1;
            }
        }
    }
    if ready.is_empty() {
        return Ok(());
    }
    let question = format!(
        "Apply {} patch(es) to cluster `{}`?",
        ready.len(),
        cluster.name
    );
    if !yes && !confirm(&question) {
        eprintln!("Nothing applied to cluster `{}`.", cluster.name);
        outcome.not_applied += ready.len();
        return Ok(());
    }
    for patch in ready {
        let name = describe(&patch);
        match runtime.block_on(palisade_cluster::patch(
            cluster,
            &patch.object,
            &patch.operations,
            false,
        )) {
            Ok(_) => {
                crate::emit(&format!("patched {name}\n"))?;
                count_patched(outcome, &patch);
            }
            Err(error) => {
                eprintln!("error: {name}: not patched: {error}");
                outcome.not_applied += 1;
            }
        }
    }
    Ok(())
}

/// The summary, on stderr: stdout stays a script (or the dry-run report).
fn report(outcome: &Outcome, applied: bool) {
    let mut out = String::new();
    if outcome.patched_objects == 0 && outcome.gitops == 0 && outcome.not_applied == 0 {
        out.push_str("Nothing to patch.\n");
    } else {
        let verb = if applied { "Patched" } else { "Would patch" };
        let _ = writeln!(
            out,
            "{verb} {} finding(s) on {} object(s).",
            outcome.patched_findings, outcome.patched_objects
        );
    }
    if outcome.gitops > 0 {
        let _ = writeln!(
            out,
            "{} object(s) managed by GitOps: fix their source instead.",
            outcome.gitops
        );
    }
    if outcome.not_applied > 0 {
        let _ = writeln!(out, "{} patch(es) not applied.", outcome.not_applied);
    }
    outcome.summary.render_counts(&mut out, &title);
    eprint!("{out}");
}
