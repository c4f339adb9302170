//! Evaluating an inventory: every selected control on every resource, in parallel.

use std::collections::HashMap;
use std::sync::Arc;

use globset::GlobMatcher;
use palisade_controls::{Context, Control, ReadScope, Settings, Skip, Verdict};
use palisade_core::{
    ControlSummary, Diagnostic, ExpiredException, Finding, FrameworkSpec, Inventory,
    InventoryIndex, Location, NotEvaluated, ObjectPath, PssLevel, Resource, ResourceId, Risk,
    RiskFactors, ScanResult, Severity, Source, Span, SuppressedFinding, Unavailable, Violation,
};
use rayon::prelude::*;

use crate::config::Config;
use crate::risk::RiskSources;
use crate::score::{frameworks_named, score_frameworks};
use crate::suppress::{Exception, IGNORE_ANNOTATION, InlineIgnores, glob};

/// What to evaluate and how; built from the config file and command-line flags.
pub struct Plan {
    pub controls: Vec<&'static dyn Control>,
    /// Namespaces whose findings weigh more (`namespaces.critical` of the config file).
    pub critical_namespaces: Vec<GlobMatcher>,
    /// The frameworks to score, in the order asked (config file first), without repeats.
    pub frameworks: Vec<&'static FrameworkSpec>,
    pub severity_overrides: HashMap<&'static str, Severity>,
    pub settings: Settings,
    pub exceptions: Vec<Exception>,
    pub inline_ignores: bool,
    pub today: jiff::civil::Date,
}

/// Command-line choices that shape a [`Plan`] on top of the config file.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Run exactly the Pod Security Standards checks of this level.
    pub pss_level: Option<PssLevel>,
    /// Extra selectors to enable only (IDs, aliases, families).
    pub only: Vec<String>,
    /// Extra selectors to disable.
    pub skip: Vec<String>,
    /// Frameworks (IDs or aliases) to score, besides the config file's; only the controls
    /// that serve one of them run.
    pub frameworks: Vec<String>,
    pub kube_version: Option<String>,
    pub allowed_registries: Vec<String>,
    /// Refuse inline ignore annotations whatever the config says.
    pub no_inline_ignores: bool,
    /// Today's date (for exception expiry); `None` means the system clock.
    pub today: Option<jiff::civil::Date>,
}

fn resolve_all(selectors: &[String]) -> Result<Vec<&'static str>, String> {
    let mut ids = Vec::new();
    for selector in selectors {
        ids.extend(
            palisade_controls::resolve_selector(selector)?
                .into_iter()
                .map(|c| c.meta().id),
        );
    }
    Ok(ids)
}

impl Plan {
    pub fn new(config: &Config, options: &PlanOptions) -> Result<Plan, String> {
        // A PSS level means exactly Pod Security Admission's checks, so the config file's
        // enable/disable lists do not apply to it; the command line's --only/--skip still do.
        let (mut controls, config_lists): (Vec<&'static dyn Control>, _) = match options.pss_level {
            Some(level) => (palisade_controls::pss_controls(level), None),
            None => (palisade_controls::all().to_vec(), Some(&config.controls)),
        };
        let frameworks = frameworks_named(config.frameworks.iter().chain(&options.frameworks))?;
        if !frameworks.is_empty() {
            controls.retain(|c| {
                palisade_controls::serving(c.meta().id)
                    .any(|(served, _)| frameworks.iter().any(|f| f.id == served.id))
            });
        }
        // Each enable list narrows what came before: --only within the config's `enable`.
        let enable_lists = [
            config_lists.and_then(|c| c.enable.as_deref()),
            (!options.only.is_empty()).then_some(options.only.as_slice()),
        ];
        for list in enable_lists.into_iter().flatten() {
            let ids = resolve_all(list)?;
            controls.retain(|c| ids.contains(&c.meta().id));
        }
        let mut disabled = config_lists.map(|c| c.disable.clone()).unwrap_or_default();
        disabled.extend(options.skip.iter().cloned());
        let disabled = resolve_all(&disabled)?;
        controls.retain(|c| !disabled.contains(&c.meta().id));

        let mut severity_overrides = HashMap::new();
        for (selector, severity) in &config.controls.severity {
            let severity: Severity = severity.parse()?;
            for id in resolve_all(std::slice::from_ref(selector))? {
                severity_overrides.insert(id, severity);
            }
        }

        let mut settings = Settings::default();
        if let Some(version) = options
            .kube_version
            .as_ref()
            .or(config.kube_version.as_ref())
        {
            settings.kube_version = version.parse()?;
        }
        settings.allowed_registries = config.registries.allowed.clone();
        settings
            .allowed_registries
            .extend(options.allowed_registries.iter().cloned());
        settings.workload_kinds = config.workload_kinds();
        settings.fix_resources = palisade_controls::ResourceValues {
            requests: config.fix.resources.requests.clone(),
            limits: config.fix.resources.limits.clone(),
        };
        settings.fix_rbac = config.fix.rbac.values();
        settings.fix_images = palisade_controls::ImageValues {
            images: config.fix.images.clone(),
        };
        let today = options.today.unwrap_or_else(|| jiff::Zoned::now().date());
        settings.today = today;

        let exceptions = config
            .exceptions
            .iter()
            .map(Exception::compile)
            .collect::<Result<Vec<_>, _>>()?;
        let critical_namespaces = config
            .namespaces
            .critical
            .iter()
            .map(|pattern| glob(pattern))
            .collect::<Result<_, _>>()?;
        Ok(Plan {
            controls,
            critical_namespaces,
            frameworks,
            severity_overrides,
            settings,
            exceptions,
            inline_ignores: config.inline_ignores.unwrap_or(true) && !options.no_inline_ignores,
            today,
        })
    }
}

/// Per-thread accumulator, merged at the end.
#[derive(Default)]
struct Tally {
    /// One exactly sized list per resource with findings. Merging lists of lists moves only
    /// their headers; one flat list would be regrown and copied at every merge, and at the
    /// last merge of a large scan hold three times the findings' size at once.
    findings: Vec<Vec<Finding>>,
    suppressed: Vec<SuppressedFinding>,
    not_evaluated: Vec<NotEvaluated>,
    diagnostics: Vec<Diagnostic>,
    summaries: Vec<ControlSummary>,
}

impl Tally {
    fn new(plan: &Plan) -> Self {
        Tally {
            summaries: plan
                .controls
                .iter()
                .map(|c| ControlSummary {
                    control: c.meta().id,
                    ..ControlSummary::default()
                })
                .collect(),
            ..Tally::default()
        }
    }

    fn merge(mut self, other: Tally) -> Tally {
        self.findings.extend(other.findings);
        self.suppressed.extend(other.suppressed);
        self.not_evaluated.extend(other.not_evaluated);
        self.diagnostics.extend(other.diagnostics);
        for (mine, theirs) in self.summaries.iter_mut().zip(other.summaries) {
            mine.passed += theirs.passed;
            mine.failed += theirs.failed;
            mine.not_applicable += theirs.not_applicable;
            mine.not_evaluated += theirs.not_evaluated;
            mine.suppressed += theirs.suppressed;
        }
        self
    }
}

/// Where a span of a resource sits in a file a person can open.
fn location_of(
    inventory: &Inventory,
    resource: &Resource,
    start: Span,
    end: Span,
) -> Option<Location> {
    let source = inventory.source(resource.origin.source?);
    if !start.is_known() {
        return None;
    }
    if let Some(authored) = resource.origin.authored_in {
        let resource_start = resource.root.span;
        return Some(authored_location(
            inventory.source(authored),
            resource.origin.authored_document,
            &source.text,
            resource_start,
            start,
        ));
    }
    Some(Location {
        file: source.path.clone(),
        line: start.line,
        column: u32::from(start.col),
        end_line: start.line,
        // 0 when the end is not on the start line: the location runs to the end of that line.
        end_column: if end.line == start.line && end.ends_on_first_line() {
            u32::from(end.end_col)
        } else {
            0
        },
    })
}

/// A line as compared between rendered output and the authored file: Kustomize rewrites list
/// items (`- name: x` may become `- image: …` then `name: x`), so the dash is not compared.
fn comparable(line: &str) -> &str {
    line.trim().trim_start_matches("- ").trim_start()
}

/// Maps a line of rendered output (Helm, Kustomize) back into the file a person edits: the
/// same occurrence of a line with the same text, else of a line with the same key, else the top
/// of the file. Occurrences are counted from the start of the resource, so the second
/// container's `privileged: true` maps to the second one in the file.
fn authored_location(
    authored_source: &Source,
    authored_document: u32,
    rendered: &str,
    resource_start: Span,
    start: Span,
) -> Location {
    // Search the document that produced the resource; the whole file when the documents do
    // not line up (a template whose `---` come from conditionals).
    let document = authored_source
        .document_lines(authored_document)
        .unwrap_or(0..usize::MAX);
    let rendered_lines: Vec<&str> = rendered
        .lines()
        .skip(resource_start.line.saturating_sub(1) as usize)
        .take((start.line.saturating_sub(resource_start.line) + 1) as usize)
        .collect();
    let wanted = rendered_lines.last().map_or("", |l| comparable(l));
    let key = wanted.split(':').next().unwrap_or("").trim();
    let key_prefix = format!("{key}:");
    let nth_match = |matches: &dyn Fn(&str) -> bool| {
        let earlier = rendered_lines[..rendered_lines.len().saturating_sub(1)]
            .iter()
            .filter(|l| matches(comparable(l)))
            .count();
        let mut candidates = authored_source
            .text
            .lines()
            .enumerate()
            .skip(document.start)
            .take(document.len())
            .filter(|(_, l)| matches(comparable(l)));
        let first = candidates.clone().next();
        candidates.nth(earlier).or(first)
    };
    let found = (!wanted.is_empty())
        .then(|| nth_match(&|l: &str| l == wanted))
        .flatten()
        .or_else(|| {
            (!key.is_empty())
                .then(|| nth_match(&|l: &str| l.starts_with(&key_prefix)))
                .flatten()
        });
    let (line, column, width) = match found {
        Some((i, text)) => {
            let indent = text.len() - text.trim_start().len();
            (
                i as u32 + 1,
                indent as u32 + 1,
                text.trim().chars().count() as u32,
            )
        }
        None => (1, 1, 0),
    };
    Location {
        file: authored_source.path.clone(),
        line,
        column,
        end_line: line,
        end_column: column + width,
    }
}

fn locate_path(inventory: &Inventory, resource: &Resource, path: &ObjectPath) -> Option<Location> {
    match path.locate_entry(&resource.root) {
        Some((key, value)) => location_of(inventory, resource, key, value),
        None => {
            let (span, _) = path.locate(&resource.root);
            location_of(inventory, resource, span, span)
        }
    }
}

/// Everything needed to judge single resources of one inventory: the plan, the lookups, and
/// which kinds each control reads that the inventory lacks. Built once per inventory; the scan
/// uses it for every resource, `palisade watch` for the resources a change touches.
pub struct Evaluator<'a> {
    plan: &'a Plan,
    inventory: &'a Inventory,
    cx: Context<'a>,
    /// Per planned control: the unavailable kinds among those it reads.
    blocked: Vec<Gaps<'a>>,
    risk: RiskSources<'a>,
}

/// The unavailable kinds among those a control reads, with how widely it reads each.
pub(crate) type Gaps<'a> = Vec<(&'a Unavailable, ReadScope)>;

/// The unavailable kinds of `inventory` that `control` reads.
pub(crate) fn gaps_of<'a>(control: &dyn Control, inventory: &'a Inventory) -> Gaps<'a> {
    control
        .reads()
        .iter()
        .flat_map(|read| {
            inventory
                .unavailable
                .iter()
                .filter(move |u| u.group == read.group && u.kind == read.kind)
                .map(move |u| (u, read.scope))
        })
        .collect()
}

/// The gap that keeps a control from judging `resource`, if any: a kind missing cluster-wide
/// blocks every verdict; one missing in a namespace blocks verdicts on that namespace's
/// resources, and every verdict of a check that looks cluster-wide.
pub(crate) fn blocking<'a>(gaps: &Gaps<'a>, resource: &Resource) -> Option<&'a Unavailable> {
    gaps.iter()
        .find(|(gap, scope)| match &gap.namespace {
            None => true,
            Some(ns) => *scope == ReadScope::Cluster || resource.id.scope_namespace() == Some(ns),
        })
        .map(|(gap, _)| *gap)
}

/// What evaluating one resource produced.
#[derive(Debug, Default)]
pub struct ResourceOutcome {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Evaluator<'a> {
    pub fn new(plan: &'a Plan, inventory: &'a Inventory, index: &'a InventoryIndex<'a>) -> Self {
        let blocked = plan
            .controls
            .iter()
            .map(|control| gaps_of(*control, inventory))
            .collect();
        Evaluator {
            plan,
            inventory,
            cx: Context {
                settings: &plan.settings,
                inventory,
                index,
            },
            blocked,
            risk: RiskSources::new(plan, inventory),
        }
    }

    /// The planned controls, in the order [`Evaluator::some_controls`] numbers them.
    pub fn controls(&self) -> &[&'static dyn Control] {
        &self.plan.controls
    }

    /// Judges one resource with every planned control. Context-only resources are not judged.
    pub fn resource(&self, resource: &Resource) -> ResourceOutcome {
        self.some_controls(resource, &|_| true)
    }

    /// Judges one resource with the planned controls whose position `wanted` accepts; what
    /// `palisade watch` re-runs when an object such a control reads changes.
    pub fn some_controls(
        &self,
        resource: &Resource,
        wanted: &dyn Fn(usize) -> bool,
    ) -> ResourceOutcome {
        let mut tally = Tally::new(self.plan);
        if self.judges(resource) {
            evaluate_resource(self, resource, &mut tally, wanted);
        }
        ResourceOutcome {
            findings: tally.findings.into_iter().flatten().collect(),
            suppressed: tally.suppressed,
            not_evaluated: tally.not_evaluated,
            diagnostics: tally.diagnostics,
        }
    }

    /// The unavailable kind that keeps planned control `index` from judging `resource`.
    fn blocking_gap(&self, index: usize, resource: &Resource) -> Option<&'a Unavailable> {
        blocking(&self.blocked[index], resource)
    }

    /// Whether a resource is judged: not when it is only context, and not when a controller in
    /// the inventory owns it (a Deployment's ReplicaSets and their Pods, a CronJob's Jobs), as
    /// every finding on it would repeat one on the owner — the object a person edits.
    fn judges(&self, resource: &Resource) -> bool {
        !resource.origin.context_only && !self.owned_by_scanned_controller(resource)
    }

    fn owned_by_scanned_controller(&self, resource: &Resource) -> bool {
        let Some(owners) = resource
            .root
            .at(&["metadata", "ownerReferences"])
            .and_then(|o| o.as_seq())
        else {
            return false;
        };
        owners.iter().any(|owner| {
            let field = |key| owner.get(key).and_then(|v| v.as_str());
            let (Some(api_version), Some(kind), Some(name)) =
                (field("apiVersion"), field("kind"), field("name"))
            else {
                return false;
            };
            let group = api_version.split_once('/').map_or("", |(g, _)| g);
            owner.get("controller").and_then(|c| c.as_bool()) == Some(true)
                && self
                    .cx
                    .find(group, kind, resource.id.namespace.as_deref(), name)
                    .is_some()
        })
    }

    fn evaluate_into(&self, resource: &Resource, tally: &mut Tally) {
        if self.judges(resource) {
            evaluate_resource(self, resource, tally, &|_| true);
        }
    }
}

fn evaluate_resource(
    run: &Evaluator<'_>,
    resource: &Resource,
    tally: &mut Tally,
    wanted: &dyn Fn(usize) -> bool,
) {
    let (plan, cx, inventory) = (run.plan, &run.cx, run.inventory);
    let ignores = if plan.inline_ignores {
        InlineIgnores::read(resource, plan.today)
    } else {
        InlineIgnores::default()
    };
    if !ignores.is_empty() {
        for unknown in ignores.unknown_selectors() {
            let mut d = Diagnostic::warning(format!(
                "{IGNORE_ANNOTATION} on {} names unknown control `{unknown}`",
                resource.id
            ));
            if let Some(loc) = locate_path(
                inventory,
                resource,
                &ObjectPath::parse("metadata.annotations"),
            ) {
                d = d.in_file(&*loc.file).at(loc.line, loc.column);
            }
            tally.diagnostics.push(d);
        }
    }
    let mut findings = Vec::new();
    let suppressed_before = tally.suppressed.len();
    // Risk factors the planned controls showed while judging the resource.
    let mut shown = RiskFactors::NONE;
    // One shared copy of the identity for all of this resource's findings, made on first need.
    let mut shared_id: Option<Arc<ResourceId>> = None;
    let mut id = || {
        shared_id
            .get_or_insert_with(|| Arc::new(resource.id.clone()))
            .clone()
    };
    for (index, control) in plan.controls.iter().enumerate() {
        if !wanted(index) {
            continue;
        }
        let meta = control.meta();
        let summary = &mut tally.summaries[index];
        let verdict = match control.check(cx, resource) {
            Ok(Verdict::NotApplicable) => {
                summary.not_applicable += 1;
                continue;
            }
            verdict => match run.blocking_gap(index, resource) {
                Some(gap) => Err(Skip::new(format!("could not read {gap}"))),
                None => verdict,
            },
        };
        let violations: Vec<Violation> = match verdict {
            Ok(Verdict::NotApplicable) => unreachable!("handled above"),
            Ok(Verdict::Checked(v)) if v.is_empty() => {
                summary.passed += 1;
                continue;
            }
            Ok(Verdict::Checked(v)) => {
                shown |= run.risk.shown_by(index);
                v
            }
            Err(skip) => {
                summary.not_evaluated += 1;
                let location = skip
                    .span
                    .and_then(|s| location_of(inventory, resource, s, s));
                tally.not_evaluated.push(NotEvaluated {
                    control: meta.id,
                    resource: id(),
                    reason: skip.reason,
                    location,
                });
                continue;
            }
        };
        let suppression = ignores.suppression_for(meta).or_else(|| {
            plan.exceptions
                .iter()
                .find(|e| !e.is_expired(plan.today) && e.covers(meta.id, resource))
                .map(Exception::suppression)
        });
        if suppression.is_some() {
            summary.suppressed += 1;
        } else {
            summary.failed += 1;
        }
        let severity = plan
            .severity_overrides
            .get(meta.id)
            .copied()
            .unwrap_or(meta.severity);
        for violation in violations {
            let finding = Finding {
                control: meta.id,
                title: meta.title,
                severity,
                resource: id(),
                location: locate_path(inventory, resource, &violation.path),
                path: violation.path,
                message: violation.message,
                remediation: meta.remediation,
                aliases: meta.aliases,
                fix: violation.fix.map(Box::new),
                // Set below, once the resource's context is known.
                risk: Risk::default(),
            };
            match &suppression {
                Some(s) => tally.suppressed.push(SuppressedFinding {
                    finding,
                    suppression: s.clone(),
                }),
                None => findings.push(finding),
            }
        }
    }
    if !findings.is_empty() || tally.suppressed.len() > suppressed_before {
        // Once per resource, and only for one with findings: most of a scan's resources have
        // none, and the context costs a few cross-resource checks.
        let factors = run.risk.factors(cx, resource, shown, wanted);
        let suppressed = tally.suppressed[suppressed_before..]
            .iter_mut()
            .map(|s| &mut s.finding);
        for finding in findings.iter_mut().chain(suppressed) {
            finding.risk = Risk::new(finding.severity, factors);
        }
    }
    if !findings.is_empty() {
        findings.shrink_to_fit();
        tally.findings.push(findings);
    }
}

/// Evaluates every resource of `inventory` against the plan. `diagnostics` (from loading)
/// are carried into the result.
pub fn evaluate(inventory: &Inventory, plan: &Plan, diagnostics: Vec<Diagnostic>) -> ScanResult {
    judge(inventory, plan).into_result(diagnostics)
}

/// Every verdict of a scan, gathered but not yet put in report order. It borrows nothing from
/// the inventory, so a caller done with the objects can free them before
/// [`Judged::into_result`] lays the findings out in one list: on a large scan the objects
/// and two copies of the findings would otherwise be held at once.
pub struct Judged {
    tally: Tally,
    frameworks: Vec<&'static FrameworkSpec>,
    expired_exceptions: Vec<ExpiredException>,
    gap_diagnostics: Vec<Diagnostic>,
    resources_scanned: usize,
    sources_scanned: usize,
}

/// Judges every resource of `inventory` against the plan; see [`Judged`].
pub fn judge(inventory: &Inventory, plan: &Plan) -> Judged {
    let index = InventoryIndex::new(inventory);
    let evaluator = Evaluator::new(plan, inventory, &index);
    let tally = inventory
        .resources
        .par_iter()
        .fold(
            || Tally::new(plan),
            |mut tally, resource| {
                evaluator.evaluate_into(resource, &mut tally);
                tally
            },
        )
        .reduce(|| Tally::new(plan), Tally::merge);
    Judged {
        tally,
        frameworks: plan.frameworks.clone(),
        expired_exceptions: plan
            .exceptions
            .iter()
            .filter(|e| e.is_expired(plan.today))
            .map(|e| ExpiredException {
                control: e.described_controls.clone(),
                reason: e.reason.clone(),
                expired: e.expires.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        gap_diagnostics: inventory
            .unavailable
            .iter()
            .map(|gap| gap_diagnostic(plan, gap))
            .collect(),
        resources_scanned: inventory
            .resources
            .iter()
            .filter(|r| evaluator.judges(r))
            .count(),
        sources_scanned: inventory.sources.len() - authored_sources(inventory),
    }
}

impl Judged {
    /// The result, every list in report order. `diagnostics` (from loading) are carried in.
    pub fn into_result(self, diagnostics: Vec<Diagnostic>) -> ScanResult {
        let tally = self.tally;
        let mut findings = Vec::with_capacity(tally.findings.iter().map(Vec::len).sum());
        for per_resource in tally.findings {
            findings.extend(per_resource);
        }
        let mut result = ScanResult {
            findings,
            suppressed: tally.suppressed,
            not_evaluated: tally.not_evaluated,
            controls: tally.summaries,
            diagnostics,
            expired_exceptions: self.expired_exceptions,
            resources_scanned: self.resources_scanned,
            sources_scanned: self.sources_scanned,
            clusters: Vec::new(),
            frameworks: Vec::new(),
        };
        result.frameworks = score_frameworks(&self.frameworks, &result.controls);
        result.diagnostics.extend(tally.diagnostics);
        result.diagnostics.extend(self.gap_diagnostics);
        // Unstable sorts need no scratch buffer (a stable sort of a large scan's findings
        // copies half of them), and stay deterministic: findings equal by their sort key are
        // identical.
        result
            .findings
            .sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        result
            .suppressed
            .sort_unstable_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        result.not_evaluated.sort_unstable();
        result.diagnostics.sort();
        result.diagnostics.dedup();
        result
    }
}

/// Says in every report what a missing kind costs: its own objects went unjudged, and the
/// controls that read it could not judge anything that depends on it.
fn gap_diagnostic(plan: &Plan, gap: &Unavailable) -> Diagnostic {
    let readers: Vec<&str> = plan
        .controls
        .iter()
        .filter(|c| {
            c.reads()
                .iter()
                .any(|r| r.group == gap.group && r.kind == gap.kind)
        })
        .map(|c| c.meta().id)
        .collect();
    let mut message = format!("could not read {gap}; its objects were not evaluated");
    if !readers.is_empty() {
        message.push_str(&format!(
            ", and {} are not evaluated where they need them",
            readers.join(", ")
        ));
    }
    Diagnostic::warning(message)
}

/// How many sources are authored files behind rendered output, registered only so findings can
/// point into them.
fn authored_sources(inventory: &Inventory) -> usize {
    let mut templates: Vec<usize> = inventory
        .resources
        .iter()
        .filter_map(|r| r.origin.authored_in)
        .collect();
    templates.sort_unstable();
    templates.dedup();
    templates.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHORED: &str = "# a template\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  containers:\n    - name: one\n      securityContext:\n        privileged: true\n    - name: two\n      securityContext:\n        privileged: true\n";
    const RENDERED: &str = "---\n# Source: chart/templates/pod.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: release\nspec:\n  containers:\n  - name: one\n    securityContext:\n      privileged: true\n  - name: two\n    securityContext:\n      privileged: true\n";

    /// A plan running one control.
    fn plan_only(control: &str) -> Plan {
        let options = PlanOptions {
            only: vec![control.into()],
            ..PlanOptions::default()
        };
        Plan::new(&Config::default(), &options).unwrap()
    }

    /// An inventory holding Helm output `rendered` whose `# Source:` comments name `authored`.
    fn rendered_inventory(authored: &str, rendered: &str) -> Inventory {
        let mut inventory = Inventory::default();
        let template = inventory.add_source("chart/templates/pod.yaml", authored);
        let output = inventory.add_source("chart (helm template)", rendered);
        inventory.sources[output].rendered_by = Some("helm template");
        let mut diagnostics = Vec::new();
        palisade_load::load_source(
            &mut inventory,
            output,
            Default::default(),
            &|p| (p == "chart/templates/pod.yaml").then_some(template),
            &mut diagnostics,
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        inventory
    }

    #[test]
    fn findings_in_rendered_output_point_at_the_same_occurrence_in_the_authored_file() {
        let inventory = rendered_inventory(AUTHORED, RENDERED);
        let plan = plan_only("POD-001");
        let result = evaluate(&inventory, &plan, Vec::new());
        let lines: Vec<(String, u32)> = result
            .findings
            .iter()
            .map(|f| {
                let loc = f.location.as_ref().unwrap();
                (loc.file.to_string(), loc.line)
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("chart/templates/pod.yaml".to_string(), 10),
                ("chart/templates/pod.yaml".to_string(), 13)
            ]
        );
        assert_eq!(
            result.sources_scanned, 1,
            "the authored file is not counted as a scanned source"
        );
    }

    #[test]
    fn severity_overrides_and_summaries_are_applied() {
        let inventory = rendered_inventory(AUTHORED, RENDERED);
        let config = Config::parse("controls:\n  severity: {POD-001: low}\n", "test").unwrap();
        let plan = Plan::new(
            &config,
            &PlanOptions {
                only: vec!["POD-001".into(), "NET".into()],
                ..PlanOptions::default()
            },
        )
        .unwrap();
        let result = evaluate(&inventory, &plan, Vec::new());
        assert!(result.findings.iter().all(|f| f.severity == Severity::Low));
        let pod = result
            .controls
            .iter()
            .find(|c| c.control == "POD-001")
            .unwrap();
        assert_eq!((pod.failed, pod.passed, pod.not_applicable), (1, 0, 0));
        let net = result
            .controls
            .iter()
            .find(|c| c.control == "NET-001")
            .unwrap();
        assert_eq!(net.not_applicable, 1, "a Pod is not a Service");
    }

    #[test]
    fn each_rendered_document_maps_into_its_own_document_of_the_template() {
        let authored = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n    - name: c\n      securityContext:\n        privileged: true\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  containers:\n    - name: c\n      securityContext:\n        privileged: true\n";
        let rendered = format!(
            "---\n# Source: chart/templates/pod.yaml\n{}",
            authored.replace("---\n", "---\n# Source: chart/templates/pod.yaml\n")
        );
        let inventory = rendered_inventory(authored, &rendered);
        let plan = plan_only("POD-001");
        let result = evaluate(&inventory, &plan, Vec::new());
        let lines: Vec<u32> = result
            .findings
            .iter()
            .map(|f| f.location.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [9, 19]);
    }

    /// Objects as a cluster scan delivers them: JSON trees without positions.
    fn cluster_inventory(objects: &[serde_json::Value]) -> Inventory {
        let mut inventory = Inventory::default();
        for object in objects {
            let root = palisade_core::Node::from_json(object);
            inventory.resources.push(Resource {
                id: ResourceId::of_object(&root).unwrap(),
                root,
                origin: Default::default(),
            });
        }
        inventory
    }

    fn unlimited_pod(namespace: &str) -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": namespace},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}
        })
    }

    #[test]
    fn a_kind_that_could_not_be_read_makes_its_readers_not_evaluated_where_it_matters() {
        let mut inventory = cluster_inventory(&[unlimited_pod("shop"), unlimited_pod("blog")]);
        inventory.unavailable.push(Unavailable {
            group: String::new(),
            version: "v1".into(),
            kind: "LimitRange".into(),
            resource: "limitranges".into(),
            namespace: Some("shop".into()),
            reason: "403 Forbidden".into(),
        });
        let plan = plan_only("RES-001");
        let result = evaluate(&inventory, &plan, Vec::new());
        // The pod in `shop` may get its limit from a LimitRange nobody could read.
        assert_eq!(result.not_evaluated.len(), 1);
        let blocked = &result.not_evaluated[0];
        assert_eq!(blocked.resource.namespace.as_deref(), Some("shop"));
        assert!(
            blocked.reason.contains("could not read limitranges"),
            "{}",
            blocked.reason
        );
        // The pod in `blog` is judged as usual.
        assert_eq!(result.findings.len(), 1);
        assert_eq!(
            result.findings[0].resource.namespace.as_deref(),
            Some("blog")
        );
        let warning = result
            .diagnostics
            .iter()
            .find(|d| d.message.contains("limitranges"))
            .expect("the gap is reported");
        assert!(warning.message.contains("RES-001"), "{}", warning.message);
    }

    #[test]
    fn frameworks_choose_the_controls_and_are_scored() {
        let options = PlanOptions {
            frameworks: vec!["pss-baseline".into(), "PSS-BASELINE".into()],
            skip: vec!["POD-001".into()],
            ..PlanOptions::default()
        };
        let plan = Plan::new(&Config::default(), &options).unwrap();
        assert_eq!(plan.frameworks.len(), 1, "named twice, scored once");
        let ids: Vec<&str> = plan.controls.iter().map(|c| c.meta().id).collect();
        assert!(!ids.is_empty() && !ids.contains(&"POD-001"));
        for id in &ids {
            assert!(
                palisade_controls::serving(id).any(|(f, _)| f.id == "pss-baseline"),
                "{id} serves no requirement of pss-baseline"
            );
        }
        let result = evaluate(
            &cluster_inventory(&[unlimited_pod("shop")]),
            &plan,
            Vec::new(),
        );
        let [score] = result.frameworks.as_slice() else {
            panic!("one framework scored: {:?}", result.frameworks);
        };
        assert_eq!(score.id, "pss-baseline");
        // POD-001 was skipped: the requirement it decides is not evaluated, not passed.
        let privileged = score
            .requirements
            .iter()
            .find(|r| r.controls.iter().any(|c| c == "POD-001"))
            .unwrap();
        assert_eq!(
            privileged.status,
            palisade_core::RequirementStatus::NotEvaluated
        );
        assert_eq!(
            privileged.not_run(&result.controls).collect::<Vec<_>>(),
            ["POD-001"]
        );
    }

    #[test]
    fn an_unknown_framework_is_an_error_naming_the_known_ones() {
        let options = PlanOptions {
            frameworks: vec!["cis-9".into()],
            ..PlanOptions::default()
        };
        let err = Plan::new(&Config::default(), &options).err().unwrap();
        assert!(err.contains("unknown framework `cis-9`"), "{err}");
        assert!(
            err.contains("cis-1.12") && err.contains("nsa-cisa-1.2"),
            "{err}"
        );
        let err = Config::parse("frameworks: [nope]\n", "c").unwrap_err();
        assert!(err.contains("unknown framework `nope`"), "{err}");
    }

    #[test]
    fn without_frameworks_nothing_is_scored() {
        let plan = Plan::new(&Config::default(), &PlanOptions::default()).unwrap();
        let result = evaluate(
            &cluster_inventory(&[unlimited_pod("shop")]),
            &plan,
            Vec::new(),
        );
        assert!(result.frameworks.is_empty());
    }

    /// A privileged Deployment `web` with three replicas in `namespace`.
    fn privileged_deployment(namespace: &str) -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"automountServiceAccountToken": false, "containers": [{"name": "c", "image": "nginx:1.27",
                        "securityContext": {"privileged": true}}]}}}
        })
    }

    /// The same privileged Deployment twice: in `shop` published by a LoadBalancer Service
    /// with no NetworkPolicy, in `back` behind a NetworkPolicy and published by nothing.
    fn exposed_and_isolated() -> Inventory {
        cluster_inventory(&[
            privileged_deployment("back"),
            serde_json::json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "web", "namespace": "back"},
                "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}
            }),
            privileged_deployment("shop"),
            serde_json::json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}
            }),
        ])
    }

    fn risks_of(result: &ScanResult, control: &str) -> Vec<(String, u8, String)> {
        result
            .findings
            .iter()
            .filter(|f| f.control == control)
            .map(|f| {
                let namespace = f.resource.namespace.clone().unwrap_or_default();
                (namespace, f.risk.score, f.risk.factors.to_string())
            })
            .collect()
    }

    #[test]
    fn an_exposed_unisolated_workload_outranks_the_same_one_behind_a_policy() {
        let mut plan = Plan::new(&Config::default(), &PlanOptions::default()).unwrap();
        plan.settings.inventory_complete = true;
        let result = evaluate(&exposed_and_isolated(), &plan, Vec::new());
        // 40 × 1.6 × 1.5 × 1.2 × 1.1 = 126.7 → 100; 40 × 1.5 × 1.1 = 66.
        assert_eq!(
            risks_of(&result, "POD-001"),
            [
                (
                    "shop".into(),
                    100,
                    "exposed, privileged, no-network-policy, replicated".into()
                ),
                ("back".into(), 66, "privileged, replicated".into()),
            ]
        );
        // Every finding of a resource shares its context; reports list them riskiest first.
        assert!(
            result
                .findings
                .windows(2)
                .all(|w| w[0].risk.score >= w[1].risk.score)
        );
        let service = result
            .findings
            .iter()
            .find(|f| f.resource.kind == "Service")
            .expect("NET-001 reports the LoadBalancer");
        assert!(service.risk.factors.contains(RiskFactors::EXPOSED));
    }

    #[test]
    fn factors_do_not_depend_on_the_controls_selected() {
        let inventory = exposed_and_isolated();
        let mut everything = Plan::new(&Config::default(), &PlanOptions::default()).unwrap();
        everything.settings.inventory_complete = true;
        let mut one = plan_only("POD-001");
        one.settings.inventory_complete = true;
        let all = evaluate(&inventory, &everything, Vec::new());
        let only = evaluate(&inventory, &one, Vec::new());
        assert_eq!(risks_of(&all, "POD-001"), risks_of(&only, "POD-001"));
    }

    #[test]
    fn critical_namespaces_from_the_config_raise_the_risk() {
        let config = Config::parse("namespaces:\n  critical: [\"ba*\"]\n", "c").unwrap();
        let options = PlanOptions {
            only: vec!["POD-001".into()],
            ..PlanOptions::default()
        };
        let plan = Plan::new(&config, &options).unwrap();
        let result = evaluate(&exposed_and_isolated(), &plan, Vec::new());
        let back = &risks_of(&result, "POD-001")[1];
        // 40 × 1.5 × 1.3 × 1.1 = 85.8 → 86
        assert_eq!(
            back,
            &(
                "back".into(),
                86,
                "privileged, critical-namespace, replicated".into()
            )
        );
        assert!(Config::parse("namespaces:\n  critical: [\"a[\"]\n", "c").is_err());
    }

    #[test]
    fn excepted_findings_keep_their_risk_and_exceptions_do_not_hide_factors() {
        let config = Config::parse(
            "exceptions:\n  - controls: [POD-001, NET-009]\n    resources: [{namespace: shop}]\n    reason: meant to be public\n",
            "c",
        )
        .unwrap();
        let options = PlanOptions {
            only: vec!["POD-001".into(), "NET-009".into()],
            ..PlanOptions::default()
        };
        let plan = Plan::new(&config, &options).unwrap();
        let result = evaluate(&exposed_and_isolated(), &plan, Vec::new());
        let excepted = result
            .suppressed
            .iter()
            .find(|s| s.finding.control == "POD-001")
            .expect("the exception applies");
        // NET-009's finding (the exposure itself) is excepted, yet the Deployment is still
        // exposed, and its excepted findings carry that.
        assert!(
            result
                .findings
                .iter()
                .all(|f| f.resource.namespace.as_deref() == Some("back"))
        );
        assert_eq!(excepted.finding.risk.score, 100);
        assert!(excepted.finding.risk.factors.contains(RiskFactors::EXPOSED));
    }

    #[test]
    fn a_factor_its_controls_cannot_judge_is_left_out() {
        let mut inventory = exposed_and_isolated();
        inventory.unavailable.push(Unavailable {
            group: String::new(),
            version: "v1".into(),
            kind: "Service".into(),
            resource: "services".into(),
            namespace: None,
            reason: "403 Forbidden".into(),
        });
        let result = evaluate(&inventory, &plan_only("POD-001"), Vec::new());
        // Neither Service can be read, so neither Deployment is known to be exposed.
        assert_eq!(
            risks_of(&result, "POD-001"),
            [
                ("back".into(), 66, "privileged, replicated".into()),
                ("shop".into(), 66, "privileged, replicated".into()),
            ]
        );
    }

    #[test]
    fn context_only_resources_are_read_but_not_judged() {
        let mut inventory = cluster_inventory(&[unlimited_pod("shop"), unlimited_pod("blog")]);
        inventory.resources[1].origin.context_only = true;
        let plan = Plan::new(&Config::default(), &PlanOptions::default()).unwrap();
        let result = evaluate(&inventory, &plan, Vec::new());
        assert_eq!(result.resources_scanned, 1);
        assert!(!result.findings.is_empty());
        assert!(
            result
                .findings
                .iter()
                .all(|f| f.resource.namespace.as_deref() == Some("shop"))
        );
    }

    #[test]
    fn objects_a_scanned_controller_owns_are_judged_through_it() {
        let owned = |name: &str, owner: &str| {
            let mut pod = unlimited_pod("shop");
            pod["metadata"]["name"] = name.into();
            pod["metadata"]["ownerReferences"] = serde_json::json!([{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner,
                "uid": "1", "controller": true}]);
            pod
        };
        let replica_set = serde_json::json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web-1", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
        });
        let inventory = cluster_inventory(&[
            replica_set,
            owned("web-1-a", "web-1"),
            owned("orphan", "gone-1"),
        ]);
        let plan = Plan::new(&Config::default(), &PlanOptions::default()).unwrap();
        let result = evaluate(&inventory, &plan, Vec::new());
        let judged: std::collections::BTreeSet<&str> = result
            .findings
            .iter()
            .map(|f| f.resource.name.as_str())
            .collect();
        assert_eq!(judged, ["orphan", "web-1"].into_iter().collect());
        assert_eq!(result.resources_scanned, 2);
    }
}
