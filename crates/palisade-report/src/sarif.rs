//! SARIF 2.1.0, the format GitHub code scanning and other static-analysis viewers read.
//!
//! One run. Every control that ran is a rule (with its documentation as help, and the
//! `security-severity` GitHub uses to rank alerts); every finding, suppressed or not, is a result.
//! Controls that could not judge a resource and problems with the input are notifications of the
//! run's invocation, so nothing is silently dropped.
//!
//! Columns are Unicode code points (`columnKind: unicodeCodePoints`), as Palisade counts them.
//! Results carry a `partialFingerprints` entry computed from the control, the resource and the
//! object path — never from line numbers — so an alert survives edits that move it.

use std::collections::{BTreeMap, HashMap};

use palisade_core::{
    ControlMeta, DiagnosticLevel, Finding, FixOp, Location, ObjectPath, RequirementStatus,
    ResourceId, Severity, Suppression,
};
use serde_json::{Value, json};
use serde_sarif::sarif;

use crate::ReportInput;
use crate::snippet::line_text;

/// Where the SARIF 2.1.0 schema lives (the OASIS errata 01 version).
const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of Palisade's entry in `partialFingerprints`; bump the version if the hash changes.
pub(crate) const FINGERPRINT_KEY: &str = "palisade/v1";

/// Where relative artifact paths are rooted: the directory Palisade ran in (paths are kept as
/// the user gave them, so that is normally the repository root in CI).
const SRCROOT: &str = "%SRCROOT%";

/// Region snippets longer than this many lines are left out.
const MAX_SNIPPET_LINES: u32 = 10;

#[cfg(test)]
pub(crate) fn render(input: &ReportInput<'_>) -> String {
    let mut out = Vec::new();
    write(input, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("SARIF is UTF-8")
}

/// Streams the log result by result, so a large scan never holds every result at once: the
/// log is built without results, and they are written into its empty `results` array.
pub(crate) fn write(input: &ReportInput<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let rules = rules(input);
    let index: HashMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let shell = serde_json::to_string_pretty(&build(input, &rules, &index))?;
    // Inside a JSON string the quotes would be escaped, so this occurs once, as the key.
    const EMPTY_RESULTS: &str = "\"results\": []";
    let (head, tail) = shell
        .split_once(EMPTY_RESULTS)
        .expect("the log is built with an empty results array");
    out.write_all(head.as_bytes())?;
    out.write_all(b"\"results\": [")?;
    let r = input.result;
    let all = r.findings.iter().map(|f| (f, None)).chain(
        r.suppressed
            .iter()
            .map(|s| (&s.finding, Some(&s.suppression))),
    );
    for (i, (finding, suppression)) in all.enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer_pretty(&mut *out, &result(input, finding, &index, suppression))?;
    }
    out.write_all(b"\n]")?;
    out.write_all(tail.as_bytes())?;
    out.write_all(b"\n")
}

/// A rule as the run lists it: a control that ran, or one only known from its findings (a
/// custom policy without metadata, say).
struct Rule<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    meta: Option<&'static ControlMeta>,
}

fn rules<'a>(input: &'a ReportInput<'_>) -> Vec<Rule<'a>> {
    let mut rules: Vec<Rule<'a>> = input
        .controls
        .iter()
        .map(|meta| Rule {
            id: meta.id,
            title: meta.title,
            severity: meta.severity,
            meta: Some(*meta),
        })
        .collect();
    let r = input.result;
    let mut extra: BTreeMap<&str, Rule<'a>> = BTreeMap::new();
    let all = r
        .findings
        .iter()
        .chain(r.suppressed.iter().map(|s| &s.finding));
    for f in all {
        if input.control(f.control).is_none() {
            extra.entry(f.control).or_insert(Rule {
                id: f.control,
                title: f.title,
                severity: f.severity,
                meta: None,
            });
        }
    }
    rules.extend(extra.into_values());
    rules
}

/// The log with an empty `results` array, which [`write`] fills.
fn build(
    input: &ReportInput<'_>,
    rules: &[Rule<'_>],
    index: &HashMap<&str, usize>,
) -> sarif::Sarif {
    let driver = sarif::ToolComponent::builder()
        .name("palisade")
        .full_name("Palisade Kubernetes security scanner")
        .version(input.tool_version)
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(
            rules
                .iter()
                .map(|rule| rule_descriptor(input, rule))
                .collect::<Vec<_>>(),
        )
        .build();

    let mut run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .invocations(vec![invocation(input, index)])
        .column_kind(json!("unicodeCodePoints"))
        .results(Vec::new())
        .build();
    if !input.result.frameworks.is_empty() {
        let mut props = BTreeMap::new();
        props.insert("frameworks".to_string(), framework_scores(input));
        run.properties = Some(property_bag(None, props));
    }

    sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// Each framework's score and how many requirements have each status, for the run's
/// properties; the requirement detail is in the JSON report.
fn framework_scores(input: &ReportInput<'_>) -> Value {
    let scores = input.result.frameworks.iter().map(|f| {
        let requirements: serde_json::Map<String, Value> = RequirementStatus::ALL
            .into_iter()
            .map(|status| (status.as_str().to_string(), json!(f.count(status))))
            .collect();
        json!({
            "id": f.id,
            "name": f.name,
            "version": f.version,
            "score": f.score,
            "requirements": requirements,
        })
    });
    Value::Array(scores.collect())
}

// ----- rules -----

fn level_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn result_level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low | Severity::Info => sarif::ResultLevel::Note,
    }
}

/// The CVSS-like score GitHub code scanning reads from `properties.security-severity`.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// `Privileged container` → `PrivilegedContainer`: SARIF's rule names are identifiers.
fn rule_name(title: &str) -> String {
    title
        .replace(['\'', '\u{2019}'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
            first.unwrap_or_default() + chars.as_str()
        })
        .collect()
}

/// The doc's "What it checks" section (Markdown, without its heading), or else its first
/// paragraph of prose.
fn full_description(doc: &str) -> Option<String> {
    let is_heading = |l: &str| l.trim_start().starts_with('#');
    let mut lines = doc.lines();
    let section = lines.any(|l| {
        is_heading(l)
            && l.trim_start_matches([' ', '#'])
                .trim()
                .eq_ignore_ascii_case("what it checks")
    });
    let text: Vec<&str> = if section {
        lines.take_while(|l| !is_heading(l)).collect()
    } else {
        doc.lines()
            .skip_while(|l| l.trim().is_empty() || is_heading(l))
            .take_while(|l| !l.trim().is_empty() && !is_heading(l))
            .collect()
    };
    let text = text.join("\n").trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn text(s: impl Into<String>) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(s.into())
        .build()
}

fn rule_descriptor(input: &ReportInput<'_>, rule: &Rule<'_>) -> sarif::ReportingDescriptor {
    let mut tags = vec!["security".to_string()];
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".into(),
        json!(security_severity(rule.severity)),
    );
    props.insert("severity".into(), json!(rule.severity.as_str()));

    let mut descriptor = sarif::ReportingDescriptor::builder()
        .id(rule.id)
        .name(rule_name(rule.title))
        .short_description(text(rule.title))
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(level_name(rule.severity)))
                .build(),
        )
        .build();

    if let Some(meta) = rule.meta {
        tags.push(meta.family.prefix().to_string());
        tags.extend(meta.aliases.iter().map(|a| a.id.to_string()));
        let mut seen = std::collections::HashSet::new();
        tags.retain(|t| seen.insert(t.clone()));

        props.insert("family".into(), json!(meta.family.prefix()));
        if let Some(pss) = meta.pss {
            props.insert("pss".into(), json!(pss.as_str()));
        }
        if !meta.aliases.is_empty() {
            let aliases = meta
                .aliases
                .iter()
                .map(|a| json!({"tool": a.tool.name(), "id": a.id}));
            props.insert("aliases".into(), Value::Array(aliases.collect()));
        }
        let frameworks: Vec<Value> = input
            .requirements_served(meta.id)
            .map(|(f, r)| json!({"framework": f.id, "id": r.id}))
            .collect();
        if !frameworks.is_empty() {
            props.insert("frameworks".into(), Value::Array(frameworks));
        }
        props.insert(
            "fix".into(),
            serde_json::to_value(meta.fix).unwrap_or(Value::Null),
        );
        props.insert("remediation".into(), json!(meta.remediation));

        let doc = meta.doc_text();
        let help = if doc.is_empty() {
            meta.remediation.to_string()
        } else {
            doc.clone()
        };
        let full = full_description(&doc)
            .or_else(|| (!meta.remediation.is_empty()).then(|| meta.remediation.to_string()))
            .unwrap_or_else(|| meta.title.to_string());
        descriptor.full_description = Some(
            sarif::MultiformatMessageString::builder()
                .text(full.clone())
                .markdown(full)
                .build(),
        );
        if !help.is_empty() {
            descriptor.help = Some(
                sarif::MultiformatMessageString::builder()
                    .text(help.clone())
                    .markdown(help)
                    .build(),
            );
        }
    }
    descriptor.properties = Some(property_bag(Some(tags), props));
    descriptor
}

fn property_bag(tags: Option<Vec<String>>, props: BTreeMap<String, Value>) -> sarif::PropertyBag {
    let mut bag = sarif::PropertyBag::builder()
        .additional_properties(props)
        .build();
    bag.tags = tags;
    bag
}

// ----- results -----

/// What is known about the file a location points into.
enum SourceKind<'s> {
    /// A file a person edits; its text when Palisade has it.
    File(Option<&'s str>),
    /// Tool output (`helm template`, `kustomize build`): no file to point at.
    Rendered(&'static str),
}

fn source_kind<'s>(input: &ReportInput<'s>, file: &str) -> SourceKind<'s> {
    match input.source(file) {
        Some(source) => match source.rendered_by {
            Some(tool) => SourceKind::Rendered(tool),
            None => SourceKind::File(Some(&source.text)),
        },
        None => SourceKind::File(None),
    }
}

fn message(text: impl Into<String>) -> sarif::Message {
    sarif::Message::builder().text(text.into()).build()
}

fn result(
    input: &ReportInput<'_>,
    f: &Finding,
    index: &HashMap<&str, usize>,
    suppression: Option<&Suppression>,
) -> sarif::Result {
    let mut props: BTreeMap<String, Value> = BTreeMap::new();
    props.insert("severity".into(), json!(f.severity.as_str()));
    props.insert(
        "resource".into(),
        serde_json::to_value(&f.resource).unwrap_or(Value::Null),
    );
    if !f.path.is_root() {
        props.insert("path".into(), json!(f.path.as_str()));
    }
    props.insert("remediation".into(), json!(f.remediation));
    props.insert(
        "risk".into(),
        serde_json::to_value(f.risk).unwrap_or(Value::Null),
    );
    if let Some(fix) = &f.fix {
        props.insert(
            "fix".into(),
            serde_json::to_value(fix).unwrap_or(Value::Null),
        );
    }

    let mut location = sarif::Location::builder()
        .logical_locations(logical_locations(&f.resource, f.path.as_str()))
        .build();
    let mut fixes = None;
    if let Some(loc) = f.location.as_ref().filter(|l| l.line > 0) {
        match source_kind(input, &loc.file) {
            SourceKind::Rendered(tool) => {
                props.insert("renderedBy".into(), json!(tool));
                props.insert(
                    "renderedLocation".into(),
                    json!(format!("{}:{}:{}", loc.file, loc.line, loc.column)),
                );
            }
            SourceKind::File(text) => {
                // Only single-line regions are quoted: a region spanning a whole container
                // could carry an environment variable's value along with it.
                let quoted = text.filter(|_| {
                    loc.end_line <= loc.line && crate::snippet::may_quote_source(input, f)
                });
                location.physical_location = Some(physical_location(loc, quoted));
                fixes = text
                    .and_then(|t| scalar_fix(f, loc, t))
                    .map(|fix| vec![fix]);
            }
        }
    }

    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), fingerprint(f));

    let mut result = sarif::Result::builder()
        .message(message(format!("{}: {}", f.resource, f.message)))
        .rule_id(f.control)
        .level(result_level(f.severity))
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .build();
    result.rule_index = index.get(f.control).map(|&i| i as i64);
    // SARIF's own 0–100 priority, which viewers sort by; the same number as `risk.score`.
    result.rank = Some(f64::from(f.risk.score));
    result.fixes = fixes;
    result.suppressions = suppression.map(|s| vec![sarif_suppression(s)]);
    result.properties = Some(property_bag(None, props));
    result
}

fn sarif_suppression(s: &Suppression) -> sarif::Suppression {
    let (kind, reason, extra) = match s {
        Suppression::InlineIgnore { annotation, reason } => {
            ("inSource", reason, ("annotation", Some(annotation)))
        }
        Suppression::Exception { reason, expires } => {
            ("external", reason, ("expires", expires.as_ref()))
        }
    };
    let mut suppression = sarif::Suppression::builder()
        .kind(json!(kind))
        .status(json!("accepted"))
        .build();
    if !reason.trim().is_empty() {
        suppression.justification = Some(reason.clone());
    }
    if let (key, Some(value)) = extra {
        let mut props = BTreeMap::new();
        props.insert(key.to_string(), json!(value));
        suppression.properties = Some(property_bag(None, props));
    }
    suppression
}

/// `shop/Deployment/web`, or `ClusterRole/admin` for cluster-scoped resources.
fn resource_fqn(r: &ResourceId) -> String {
    match &r.namespace {
        Some(ns) => format!("{ns}/{}/{}", r.kind, r.name),
        None => format!("{}/{}", r.kind, r.name),
    }
}

fn logical_locations(r: &ResourceId, path: &str) -> Vec<sarif::LogicalLocation> {
    let fqn = resource_fqn(r);
    let mut props = BTreeMap::new();
    props.insert("apiVersion".to_string(), json!(r.api_version));
    props.insert("kind".to_string(), json!(r.kind));
    if let Some(ns) = &r.namespace {
        props.insert("namespace".to_string(), json!(ns));
    }
    let mut resource = sarif::LogicalLocation::builder()
        .name(r.name.clone())
        .fully_qualified_name(fqn.clone())
        .kind("resource")
        .build();
    resource.properties = Some(property_bag(None, props));
    let mut out = vec![resource];
    if !path.is_empty() {
        out.push(
            sarif::LogicalLocation::builder()
                .name(path)
                .fully_qualified_name(format!("{fqn}/{path}"))
                .kind("property")
                .build(),
        );
    }
    out
}

/// A stable identity for a finding: FNV-1a (64 bit) over the control, the resource's group,
/// kind, namespace and name, and the object path. Line numbers and file names are left out on
/// purpose, so the fingerprint survives edits that move the resource.
pub(crate) fn fingerprint(f: &Finding) -> String {
    let r = &f.resource;
    let parts = [
        f.control,
        r.group(),
        &r.kind,
        r.namespace.as_deref().unwrap_or(""),
        &r.name,
        f.path.as_str(),
    ];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        // 0xff never occurs in UTF-8, so it separates the parts unambiguously.
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

// ----- physical locations -----

/// Percent-encodes what a URI path may not hold. `:` is encoded too, so a relative path is
/// never read as a scheme.
fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn artifact_location(file: &str) -> sarif::ArtifactLocation {
    let path = file.replace('\\', "/");
    let mut location = sarif::ArtifactLocation::default();
    let bytes = path.as_bytes();
    if let Some(rest) = path.strip_prefix('/') {
        location.uri = Some(format!("file:///{}", encode_uri_path(rest)));
    } else if bytes.len() > 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes[2] == b'/'
    {
        location.uri = Some(format!(
            "file:///{}:{}",
            &path[..1],
            encode_uri_path(&path[2..])
        ));
    } else {
        let mut relative = path.as_str();
        while let Some(rest) = relative.strip_prefix("./") {
            relative = rest;
        }
        location.uri = Some(encode_uri_path(relative));
        location.uri_base_id = Some(SRCROOT.to_string());
    }
    location
}

/// The end of a location when it is a real one (after its start).
fn end_of(loc: &Location) -> Option<(u32, u32)> {
    if loc.column == 0 || loc.end_column == 0 {
        return None;
    }
    let after_start =
        loc.end_line > loc.line || (loc.end_line == loc.line && loc.end_column > loc.column);
    after_start.then_some((loc.end_line, loc.end_column))
}

/// The text a location covers, when it spans a few lines of `text`.
fn region_text(text: &str, loc: &Location) -> Option<String> {
    let (end_line, end_column) = end_of(loc)?;
    if end_line - loc.line >= MAX_SNIPPET_LINES {
        return None;
    }
    let mut out = String::new();
    for n in loc.line..=end_line {
        let line = match line_text(text, n) {
            Some(line) => line,
            // A region may end at the start of the line after the last one.
            None if n == end_line && end_column == 1 => "",
            None => return None,
        };
        let from = if n == loc.line {
            loc.column as usize - 1
        } else {
            0
        };
        if from > line.chars().count() {
            return None;
        }
        let to = if n == end_line {
            end_column as usize - 1
        } else {
            usize::MAX
        };
        out.extend(line.chars().take(to).skip(from));
        if n != end_line {
            out.push('\n');
        }
    }
    Some(out)
}

fn snippet(text: String) -> sarif::ArtifactContent {
    sarif::ArtifactContent::builder().text(text).build()
}

fn region(loc: &Location, text: Option<&str>) -> sarif::Region {
    let mut region = sarif::Region::builder()
        .start_line(i64::from(loc.line))
        .build();
    if loc.column > 0 {
        region.start_column = Some(i64::from(loc.column));
    }
    if let Some((end_line, end_column)) = end_of(loc) {
        region.end_line = Some(i64::from(end_line));
        region.end_column = Some(i64::from(end_column));
    }
    region.snippet = text.and_then(|t| region_text(t, loc)).map(snippet);
    region
}

/// The whole lines around a region, for viewers that show context; only when that is more
/// than the region itself (SARIF wants a proper superset).
fn context_region(loc: &Location, text: &str) -> Option<sarif::Region> {
    let (end_line, end_column) = end_of(loc).unwrap_or((loc.line, loc.column.max(1)));
    // A region that ends at the start of a line ends with the line break before it.
    let through_break = end_column == 1 && end_line > loc.line;
    let last = if through_break {
        end_line - 1
    } else {
        end_line
    };
    if last - loc.line >= MAX_SNIPPET_LINES {
        return None;
    }
    let lines: Vec<&str> = (loc.line..=last)
        .map(|n| line_text(text, n))
        .collect::<Option<_>>()?;
    let mut text = lines.join("\n");
    let (context_end_line, context_end_column) = if through_break {
        text.push('\n');
        (end_line, 1)
    } else {
        (last, lines.last()?.chars().count() as u32 + 1)
    };
    if loc.column <= 1 && (end_line, end_column) == (context_end_line, context_end_column) {
        return None;
    }
    let mut region = sarif::Region::builder()
        .start_line(i64::from(loc.line))
        .start_column(1)
        .end_line(i64::from(context_end_line))
        .end_column(i64::from(context_end_column))
        .build();
    region.snippet = Some(snippet(text));
    Some(region)
}

fn physical_location(loc: &Location, text: Option<&str>) -> sarif::PhysicalLocation {
    let mut physical = sarif::PhysicalLocation::builder()
        .artifact_location(artifact_location(&loc.file))
        .region(region(loc, text))
        .build();
    physical.context_region = text.and_then(|t| context_region(loc, t));
    physical
}

// ----- fixes -----

/// The key a path ends in (`privileged` for `...securityContext.privileged`), or `None` when it
/// ends in a list index.
fn last_key(path: &ObjectPath) -> Option<String> {
    let s = path.as_str();
    let (prefix, key) = if let Some(body) = s.strip_suffix("\"]") {
        let open = body.rfind("[\"")?;
        let key: String = serde_json::from_str(&s[open + 1..s.len() - 1]).ok()?;
        (&s[..open], key)
    } else if s.ends_with(']') {
        return None;
    } else {
        match s.rfind('.') {
            Some(dot) => (&s[..dot], s[dot + 1..].to_string()),
            None => ("", s.to_string()),
        }
    };
    // Parsing by hand is only trusted when it builds the same path back.
    (ObjectPath::parse(prefix).key(&key) == *path).then_some(key)
}

/// The ways a mapping key can be written: plain, double-quoted (also JSON), single-quoted.
fn key_spellings(key: &str, json: bool) -> Vec<Vec<char>> {
    let mut spellings = vec![
        serde_json::to_string(key)
            .unwrap_or_default()
            .chars()
            .collect(),
    ];
    if !json {
        spellings.push(key.chars().collect());
        spellings.push(format!("'{}'", key.replace('\'', "''")).chars().collect());
    }
    spellings
}

/// Whether a key may start at `at`: at the start of the line or after a separator.
fn key_may_start(chars: &[char], at: usize) -> bool {
    at == 0 || matches!(chars[at - 1], ' ' | '\t' | '{' | ',')
}

/// When the text before `at` is `key:` (with spaces), where the key starts.
fn key_before(chars: &[char], at: usize, key: &str, json: bool) -> Option<usize> {
    let mut i = at;
    while i > 0 && chars[i - 1] == ' ' {
        i -= 1;
    }
    if i == 0 || chars[i - 1] != ':' {
        return None;
    }
    i -= 1;
    while i > 0 && chars[i - 1] == ' ' {
        i -= 1;
    }
    key_spellings(key, json).into_iter().find_map(|spelling| {
        let start = i.checked_sub(spelling.len())?;
        (chars[start..i] == spelling[..] && key_may_start(chars, start)).then_some(start)
    })
}

/// When the text at `at` is `key: `, where the key ends and where its value starts.
fn value_after_key(chars: &[char], at: usize, key: &str, json: bool) -> Option<(usize, usize)> {
    if !key_may_start(chars, at) {
        return None;
    }
    key_spellings(key, json).into_iter().find_map(|spelling| {
        let key_end = at + spelling.len();
        if chars.get(at..key_end)? != &spelling[..] {
            return None;
        }
        let mut i = key_end;
        while chars.get(i) == Some(&' ') {
            i += 1;
        }
        if chars.get(i) != Some(&':') {
            return None;
        }
        i += 1;
        let spaced = chars.get(i) == Some(&' ');
        while chars.get(i) == Some(&' ') {
            i += 1;
        }
        (i < chars.len() && (spaced || json)).then_some((key_end, i))
    })
}

/// Where the single-line scalar starting at `start` ends (exclusive), when it is one and only a
/// comment (YAML) or a separator (JSON) follows it on the line.
fn scalar_end(chars: &[char], start: usize, json: bool) -> Option<(usize, bool)> {
    let first = *chars.get(start)?;
    let mut i = start + 1;
    let (end, plain) = match first {
        '"' => loop {
            match chars.get(i)? {
                '\\' => i += 2,
                '"' => break (i + 1, false),
                _ => i += 1,
            }
        },
        '\'' if !json => loop {
            match chars.get(i)? {
                '\'' if chars.get(i + 1) == Some(&'\'') => i += 2,
                '\'' => break (i + 1, false),
                _ => i += 1,
            }
        },
        _ if json => {
            let end = (start..chars.len())
                .find(|&j| matches!(chars[j], ',' | '}' | ']' | ' ' | '\t'))
                .unwrap_or(chars.len());
            let token: String = chars[start..end].iter().collect();
            serde_json::from_str::<Value>(&token).ok()?;
            (end, false)
        }
        _ => {
            let next_blank = |j: usize| chars.get(j + 1).is_none_or(|c| c.is_whitespace());
            if "[]{}|>&*!%@`#,'\"".contains(first) || ("-?:".contains(first) && next_blank(start)) {
                return None;
            }
            let mut end = start + 1;
            let mut j = start + 1;
            while j < chars.len() {
                let c = chars[j];
                if c == '#' && chars[j - 1].is_whitespace() {
                    break;
                }
                if (c == ':' && next_blank(j)) || "[]{},".contains(c) {
                    return None;
                }
                j += 1;
                if !c.is_whitespace() {
                    end = j;
                }
            }
            (end, true)
        }
    };
    let rest: String = chars[end..].iter().collect();
    let rest = rest.trim_start();
    let ok = rest.is_empty()
        || (json && rest.starts_with([',', '}', ']']))
        || (!json && rest.starts_with('#') && chars.get(end).is_some_and(|c| c.is_whitespace()));
    ok.then_some((end, plain))
}

/// Whether a plain scalar on line `line` goes on over the next line: a following non-blank,
/// non-comment line indented more than its key.
fn continues(text: &str, line: u32, key_start: usize) -> bool {
    text.lines()
        .skip(line as usize)
        .map(|l| (l.chars().take_while(|c| *c == ' ').count(), l.trim()))
        .find(|(_, trimmed)| !trimmed.is_empty())
        .is_some_and(|(indent, trimmed)| !trimmed.starts_with('#') && indent > key_start)
}

/// Where the scalar value of `path` is, as (line, first char, end char), both 0-based and on
/// one line. The location may point at the value, or at its entry (`key: value`) or key.
fn locate_scalar(
    text: &str,
    loc: &Location,
    path: &ObjectPath,
    json: bool,
) -> Option<(u32, usize, usize)> {
    let key = last_key(path)?;
    let line = line_text(text, loc.line)?;
    let chars: Vec<char> = line.chars().collect();
    let at = (loc.column as usize).checked_sub(1)?;
    if at >= chars.len() || loc.end_line > loc.line {
        return None;
    }
    let loc_end = (loc.end_line == loc.line && loc.end_column > loc.column)
        .then(|| loc.end_column as usize - 1);
    let (key_start, start, end, plain) = if let Some(key_start) = key_before(&chars, at, &key, json)
    {
        let (end, plain) = scalar_end(&chars, at, json)?;
        if loc_end.is_some_and(|e| e != end) {
            return None;
        }
        (key_start, at, end, plain)
    } else {
        let (key_end, start) = value_after_key(&chars, at, &key, json)?;
        let (end, plain) = scalar_end(&chars, start, json)?;
        if loc_end.is_some_and(|e| e != end && e != key_end) {
            return None;
        }
        (at, start, end, plain)
    };
    if plain && continues(text, loc.line, key_start) {
        return None;
    }
    Some((loc.line, start, end))
}

/// A YAML 1.1 reader would take these plain scalars for booleans or null.
const RESERVED_PLAIN: [&str; 10] = [
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
];

/// The text of a scalar value as it is written into the file.
fn scalar_text(value: &Value, json: bool) -> Option<String> {
    match value {
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => {
            let plain = !json
                && s.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=+@".contains(c))
                && !RESERVED_PLAIN.contains(&s.to_ascii_lowercase().as_str());
            Some(if plain {
                s.clone()
            } else {
                serde_json::to_string(s).ok()?
            })
        }
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A SARIF fix when the finding's fix sets one scalar field that is written in the file: the
/// replacement of exactly that scalar's text. Anything else (several operations, a field that
/// is missing, a templated file) is only described in the result's properties.
fn scalar_fix(f: &Finding, loc: &Location, text: &str) -> Option<sarif::Fix> {
    let fix = f.fix.as_ref()?;
    let [FixOp::Set { path, value }] = fix.ops.as_slice() else {
        return None;
    };
    // A Helm or other Go template is not YAML; its lines are not ours to rewrite.
    if *path != f.path || text.contains("{{") {
        return None;
    }
    let json = loc.file.to_ascii_lowercase().ends_with(".json");
    let inserted = scalar_text(value, json)?;
    let (line, start, end) = locate_scalar(text, loc, path, json)?;
    let deleted = sarif::Region::builder()
        .start_line(i64::from(line))
        .start_column(start as i64 + 1)
        .end_line(i64::from(line))
        .end_column(end as i64 + 1)
        .build();
    let replacement = sarif::Replacement::builder()
        .deleted_region(deleted)
        .inserted_content(snippet(inserted))
        .build();
    let change = sarif::ArtifactChange::builder()
        .artifact_location(artifact_location(&loc.file))
        .replacements(vec![replacement])
        .build();
    let mut props = BTreeMap::new();
    props.insert(
        "safety".to_string(),
        serde_json::to_value(fix.safety).unwrap_or(Value::Null),
    );
    let mut sarif_fix = sarif::Fix::builder()
        .artifact_changes(vec![change])
        .description(message(fix.description.clone()))
        .build();
    sarif_fix.properties = Some(property_bag(None, props));
    Some(sarif_fix)
}

// ----- the invocation -----

/// Palisade's own configuration files; problems in them are configuration notifications.
fn is_config_file(file: &str) -> bool {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    name.starts_with(".palisade")
}

fn notification(level: &str, text: String) -> sarif::Notification {
    sarif::Notification::builder()
        .message(message(text))
        .level(json!(level))
        .build()
}

fn rule_reference(id: &str, index: &HashMap<&str, usize>) -> sarif::ReportingDescriptorReference {
    let mut reference = sarif::ReportingDescriptorReference::builder()
        .id(id)
        .build();
    reference.index = index.get(id).map(|&i| i as i64);
    reference
}

fn invocation(input: &ReportInput<'_>, index: &HashMap<&str, usize>) -> sarif::Invocation {
    let r = input.result;
    let mut execution = Vec::new();
    let mut configuration = Vec::new();

    for ne in &r.not_evaluated {
        let mut n = notification(
            "warning",
            format!(
                "{} was not evaluated for {}: {}",
                ne.control, ne.resource, ne.reason
            ),
        );
        let mut location = sarif::Location::builder()
            .logical_locations(logical_locations(&ne.resource, ""))
            .build();
        if let Some(loc) = ne.location.as_ref().filter(|l| l.line > 0) {
            if let SourceKind::File(_) = source_kind(input, &loc.file) {
                location.physical_location = Some(physical_location(loc, None));
            }
        }
        n.locations = Some(vec![location]);
        n.associated_rule = Some(rule_reference(ne.control, index));
        let mut props = BTreeMap::new();
        props.insert("control".to_string(), json!(ne.control));
        props.insert("reason".to_string(), json!(ne.reason));
        props.insert("notEvaluated".to_string(), json!(true));
        n.properties = Some(property_bag(None, props));
        execution.push(n);
    }

    for d in &r.diagnostics {
        let level = match d.level {
            DiagnosticLevel::Error => "error",
            DiagnosticLevel::Warning => "warning",
        };
        let mut n = notification(level, d.message.clone());
        if let Some(file) = &d.file {
            let place = match source_kind(input, file) {
                SourceKind::Rendered(_) => None,
                SourceKind::File(_) => Some(artifact_location(file)),
            };
            match place {
                Some(artifact) => {
                    let mut physical = sarif::PhysicalLocation::builder()
                        .artifact_location(artifact)
                        .build();
                    if let Some(line) = d.line.filter(|l| *l > 0) {
                        let mut region =
                            sarif::Region::builder().start_line(i64::from(line)).build();
                        region.start_column = d.column.filter(|c| *c > 0).map(i64::from);
                        physical.region = Some(region);
                    }
                    n.locations = Some(vec![
                        sarif::Location::builder()
                            .physical_location(physical)
                            .build(),
                    ]);
                }
                None => {
                    let place = match d.line {
                        Some(line) => format!("{file}:{line}"),
                        None => file.clone(),
                    };
                    n.message = message(format!("{place}: {}", d.message));
                }
            }
            if is_config_file(file) {
                configuration.push(n);
                continue;
            }
        }
        execution.push(n);
    }

    for expired in &r.expired_exceptions {
        let mut n = notification(
            "warning",
            format!(
                "the exception for {} expired on {} and no longer applies ({})",
                expired.control, expired.expired, expired.reason
            ),
        );
        n.associated_rule = Some(rule_reference(&expired.control, index));
        configuration.push(n);
    }

    let mut invocation = sarif::Invocation::builder()
        .execution_successful(!r.has_errors())
        .build();
    invocation.tool_execution_notifications = (!execution.is_empty()).then_some(execution);
    invocation.tool_configuration_notifications =
        (!configuration.is_empty()).then_some(configuration);
    invocation
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use palisade_core::{Fix, FixSafety, ScanResult, Source};

    use super::*;
    use crate::testdata::{self, PRIVILEGED_PATH, loc, privileged_finding, resource};

    fn render_json(result: &ScanResult, sources: &[Source]) -> Value {
        let out = render(&testdata::input(result, sources));
        serde_json::from_str(&out).expect("SARIF is JSON")
    }

    fn sample() -> Value {
        render_json(&testdata::result(), &testdata::sources())
    }

    /// The result for the finding of `control` on the resource named `name`.
    fn result_for<'a>(log: &'a Value, control: &str, name: &str) -> &'a Value {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["ruleId"] == control && r["locations"][0]["logicalLocations"][0]["name"] == name
            })
            .unwrap_or_else(|| panic!("no result for {control} on {name}"))
    }

    #[test]
    fn validates_against_the_sarif_schema() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/sarif-schema-2.1.0.json");
        let Ok(schema_text) = std::fs::read_to_string(&path) else {
            println!("SKIPPED: SARIF schema not found");
            return;
        };
        let schema: Value = serde_json::from_str(&schema_text).expect("schema is JSON");
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&schema)
            .expect("schema compiles");
        let empty = ScanResult::default();
        for log in [sample(), render_json(&empty, &[])] {
            let errors: Vec<String> = validator
                .iter_errors(&log)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "SARIF does not validate:\n{}",
                errors.join("\n")
            );
        }
        // The validator does catch mistakes.
        let mut broken = sample();
        broken["runs"][0]["results"][0]["level"] = json!("fatal");
        assert!(!validator.is_valid(&broken));
    }

    #[test]
    fn lists_every_control_as_a_rule() {
        let log = sample();
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "palisade");
        assert_eq!(driver["version"], "0.1.0");
        assert!(
            driver["informationUri"]
                .as_str()
                .unwrap()
                .starts_with("https://")
        );
        let rules = driver["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            ["IMG-001", "NET-001", "POD-001", "RBAC-001", "RES-001"]
        );

        let pod = &rules[2];
        assert_eq!(pod["name"], "PrivilegedContainer");
        assert_eq!(pod["shortDescription"]["text"], "Privileged container");
        assert_eq!(
            pod["fullDescription"]["text"],
            "Every container whose `securityContext.privileged` is `true`."
        );
        let doc = testdata::POD_001.doc_text();
        assert_eq!(pod["help"]["text"], doc.as_str());
        assert_eq!(pod["help"]["markdown"], doc.as_str());
        assert!(doc.starts_with("## What it checks\nEvery container"));
        assert_eq!(pod["defaultConfiguration"]["level"], "error");
        assert_eq!(pod["properties"]["security-severity"], "9.5");
        assert_eq!(
            pod["properties"]["tags"],
            json!(["security", "POD", "C-0057", "KSV-0017"])
        );
        assert_eq!(
            pod["properties"]["frameworks"],
            json!([
                {"framework": "cis-1.12", "id": "5.2.2"},
                {"framework": "mitre-attack-containers", "id": "T1611"}
            ])
        );
        assert!(
            rules
                .iter()
                .all(|r| r["name"] == "PrivilegedContainer"
                    || r["properties"]["frameworks"].is_null())
        );

        let levels: Vec<(&str, &str)> = rules
            .iter()
            .map(|r| {
                (
                    r["defaultConfiguration"]["level"].as_str().unwrap(),
                    r["properties"]["security-severity"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            levels,
            [
                ("error", "8.0"),
                ("note", "1.0"),
                ("error", "9.5"),
                ("note", "3.0"),
                ("warning", "5.5")
            ]
        );
        // No doc: help falls back to the remediation, the description too.
        assert_eq!(rules[4]["help"]["text"], testdata::RES_001.remediation);
        assert_eq!(
            rules[4]["fullDescription"]["text"],
            testdata::RES_001.remediation
        );
        // No "What it checks": the first paragraph of prose.
        assert_eq!(
            rules[0]["fullDescription"]["text"],
            "Images referenced by `latest` or no tag at all change under you."
        );
    }

    #[test]
    fn results_carry_their_risk_as_rank_and_the_run_its_scores() {
        let log = sample();
        let results = log["runs"][0]["results"].as_array().unwrap();
        let ranks: Vec<f64> = results
            .iter()
            .take(5)
            .map(|r| r["rank"].as_f64().unwrap())
            .collect();
        assert_eq!(ranks, [96.0, 40.0, 30.0, 20.0, 20.0], "riskiest first");
        let exposed = result_for(&log, "POD-001", "web");
        assert_eq!(
            exposed["properties"]["risk"],
            json!({"score": 96, "factors": ["exposed", "privileged"]})
        );
        assert_eq!(
            log["runs"][0]["properties"]["frameworks"],
            json!([{
                "id": "cis-1.12", "name": "CIS Kubernetes Benchmark", "version": "1.12.0",
                "score": 16.7,
                "requirements": {"passed": 0, "failed": 2, "not-evaluated": 2,
                    "not-applicable": 1, "manual": 1, "needs-node-scan": 1}
            }])
        );
        let unscored = ScanResult::default();
        let log = render_json(&unscored, &[]);
        assert!(log["runs"][0].get("properties").is_none());
    }

    #[test]
    fn results_point_at_the_precise_region() {
        let log = sample();
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 7, "5 findings and 2 suppressed");

        let privileged = result_for(&log, "POD-001", "web");
        assert_eq!(privileged["ruleIndex"], 2);
        assert_eq!(privileged["level"], "error");
        assert_eq!(
            privileged["message"]["text"],
            "Deployment/web (shop): container `app` sets privileged: true"
        );
        let physical = &privileged["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"],
            json!({"uri": "deploy/web.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            physical["region"],
            json!({"startLine": 13, "startColumn": 25, "endLine": 13, "endColumn": 29, "snippet": {"text": "true"}})
        );
        assert_eq!(
            physical["contextRegion"]["snippet"]["text"],
            "            privileged: true   # TODO"
        );
        let logical = &privileged["locations"][0]["logicalLocations"];
        assert_eq!(logical[0]["fullyQualifiedName"], "shop/Deployment/web");
        assert_eq!(logical[0]["kind"], "resource");
        assert_eq!(logical[0]["properties"]["apiVersion"], "apps/v1");
        assert_eq!(logical[1]["name"], PRIVILEGED_PATH);
        assert_eq!(logical[1]["kind"], "property");
        assert_eq!(privileged["properties"]["severity"], "critical");

        // A multi-line region (a missing field, located at its parent).
        let memory = result_for(&log, "RES-001", "web");
        let region = &memory["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], 10);
        assert_eq!(region["endLine"], 15);
        assert_eq!(region["endColumn"], 1);
        assert!(
            region.get("snippet").is_none(),
            "multi-line regions are not quoted: they may carry secret values"
        );
        assert!(memory.get("fixes").is_none());
    }

    #[test]
    fn rendered_or_unlocated_findings_get_only_logical_locations() {
        let log = sample();
        let rendered = result_for(&log, "POD-001", "helper");
        let location = &rendered["locations"][0];
        assert!(location.get("physicalLocation").is_none());
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            "Pod/helper"
        );
        assert_eq!(rendered["properties"]["renderedBy"], "helm");
        assert_eq!(
            rendered["properties"]["renderedLocation"],
            "chart (helm template):12:21"
        );
        assert!(rendered.get("fixes").is_none());
        assert_eq!(rendered["properties"]["fix"]["ops"][0]["op"], "set");

        let cluster = result_for(&log, "RES-001", "api");
        assert!(cluster["locations"][0].get("physicalLocation").is_none());
        assert_eq!(
            cluster["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "prod/Pod/api"
        );
        assert_eq!(
            cluster["properties"]["fix"]["description"],
            "set a memory limit"
        );
        assert_eq!(cluster["properties"]["fix"]["safety"], "unsafe");
    }

    #[test]
    fn a_set_of_an_existing_scalar_becomes_a_sarif_fix() {
        let log = sample();
        let fixes = &result_for(&log, "POD-001", "web")["fixes"];
        assert_eq!(fixes.as_array().unwrap().len(), 1);
        assert_eq!(fixes[0]["description"]["text"], "set privileged to false");
        assert_eq!(fixes[0]["properties"]["safety"], "safe");
        let change = &fixes[0]["artifactChanges"][0];
        assert_eq!(change["artifactLocation"]["uri"], "deploy/web.yaml");
        assert_eq!(
            change["replacements"][0],
            json!({
                "deletedRegion": {"startLine": 13, "startColumn": 25, "endLine": 13, "endColumn": 29},
                "insertedContent": {"text": "false"}
            })
        );
    }

    fn fix_region(f: &Finding, text: &str) -> Option<(i64, i64, i64, String)> {
        let loc = f.location.as_ref()?;
        let fix = scalar_fix(f, loc, text)?;
        let r = &fix.artifact_changes[0].replacements[0];
        let d = &r.deleted_region;
        assert_eq!(d.start_line, d.end_line);
        Some((
            d.start_line?,
            d.start_column?,
            d.end_column?,
            r.inserted_content.as_ref()?.text.clone()?,
        ))
    }

    #[test]
    fn fixes_accept_entry_and_key_locations_and_quoted_scalars() {
        let text = testdata::WEB_YAML;
        let mut f = privileged_finding();
        // The engine locates `privileged: true` as a whole entry.
        f.location = Some(loc("deploy/web.yaml", 13, 13, 13, 29));
        assert_eq!(fix_region(&f, text), Some((13, 25, 29, "false".into())));
        // Only the key.
        f.location = Some(loc("deploy/web.yaml", 13, 13, 13, 23));
        assert_eq!(fix_region(&f, text), Some((13, 25, 29, "false".into())));

        let text = "spec:\n  'runAsUser' : \"0\"  # root\n";
        let path = ObjectPath::parse("spec.runAsUser");
        let mut f = privileged_finding();
        f.path = path.clone();
        f.location = Some(loc("a.yaml", 2, 17, 2, 20));
        f.fix = Some(Box::new(Fix::set(
            "run as 1000",
            FixSafety::Unsafe,
            path.clone(),
            1000.into(),
        )));
        assert_eq!(fix_region(&f, text), Some((2, 17, 20, "1000".into())));
        f.fix = Some(Box::new(Fix::set(
            "profile",
            FixSafety::Safe,
            path.clone(),
            "RuntimeDefault".into(),
        )));
        assert_eq!(
            fix_region(&f, text),
            Some((2, 17, 20, "RuntimeDefault".into()))
        );
        f.fix = Some(Box::new(Fix::set(
            "no",
            FixSafety::Safe,
            path.clone(),
            "no".into(),
        )));
        assert_eq!(fix_region(&f, text), Some((2, 17, 20, "\"no\"".into())));
        f.fix = Some(Box::new(Fix::set(
            "digits",
            FixSafety::Safe,
            path.clone(),
            "1000".into(),
        )));
        assert_eq!(fix_region(&f, text), Some((2, 17, 20, "\"1000\"".into())));

        // JSON sources keep JSON syntax.
        let json_text = "{\n  \"spec\": {\"runAsUser\": 0, \"x\": 1}\n}\n";
        f.location = Some(loc("pod.json", 2, 25, 2, 26));
        f.fix = Some(Box::new(Fix::set(
            "name",
            FixSafety::Safe,
            path.clone(),
            "app".into(),
        )));
        assert_eq!(
            fix_region(&f, json_text),
            Some((2, 25, 26, "\"app\"".into()))
        );
        // The entry `"runAsUser": 0`.
        f.location = Some(loc("pod.json", 2, 12, 2, 26));
        assert_eq!(
            fix_region(&f, json_text),
            Some((2, 25, 26, "\"app\"".into()))
        );
    }

    #[test]
    fn fixes_are_only_offered_when_the_scalar_is_certain() {
        let text = testdata::WEB_YAML;
        let base = privileged_finding();
        let mut f = base.clone();
        // The location ends elsewhere than the scalar: not the span we think.
        f.location = Some(loc("deploy/web.yaml", 13, 25, 13, 27));
        assert_eq!(fix_region(&f, text), None);
        // A missing field, located at its parent.
        f = base.clone();
        f.path = ObjectPath::parse("spec.template.spec.containers[0].securityContext.runAsNonRoot");
        f.fix = Some(Box::new(Fix::set(
            "x",
            FixSafety::Safe,
            f.path.clone(),
            true.into(),
        )));
        f.location = Some(loc("deploy/web.yaml", 13, 13, 15, 1));
        assert_eq!(fix_region(&f, text), None);
        // Several operations.
        f = base.clone();
        f.fix.as_mut().unwrap().ops.push(FixOp::Remove {
            path: ObjectPath::parse("spec.template.spec.containers[0].securityContext.runAsUser"),
        });
        assert_eq!(fix_region(&f, text), None);
        // A structured value.
        f = base.clone();
        f.fix = Some(Box::new(Fix::set(
            "x",
            FixSafety::Safe,
            f.path.clone(),
            json!({"a": 1}),
        )));
        assert_eq!(fix_region(&f, text), None);
        // A fix aimed at another field than the finding's.
        f = base.clone();
        f.fix = Some(Box::new(Fix::set(
            "x",
            FixSafety::Safe,
            ObjectPath::parse("spec.replicas"),
            1.into(),
        )));
        assert_eq!(fix_region(&f, text), None);
        // A Go template.
        let templated = text.replace(
            "privileged: true   # TODO",
            "privileged: true # {{ .Values.x }}",
        );
        assert_eq!(fix_region(&base, &templated), None);
        // A plain scalar that goes on over the next line.
        let folded = text.replace(
            "privileged: true   # TODO\n",
            "privileged: true\n              more\n",
        );
        assert_eq!(fix_region(&base, &folded), None);
        // A flow mapping, a block scalar, a list item.
        let flow = "spec: {privileged: true}\n";
        f = base.clone();
        f.path = ObjectPath::parse("spec.privileged");
        f.fix = Some(Box::new(Fix::set(
            "x",
            FixSafety::Safe,
            f.path.clone(),
            false.into(),
        )));
        f.location = Some(loc("f.yaml", 1, 20, 1, 24));
        assert_eq!(fix_region(&f, flow), None);
        f.location = Some(loc("f.yaml", 2, 5, 3, 1));
        assert_eq!(fix_region(&f, "spec:\n  privileged: |\n    true\n"), None);
        f.path = ObjectPath::parse("spec.args[0]");
        f.fix = Some(Box::new(Fix::set(
            "x",
            FixSafety::Safe,
            f.path.clone(),
            "a".into(),
        )));
        f.location = Some(loc("f.yaml", 2, 7, 2, 8));
        assert_eq!(fix_region(&f, "spec:\n  - b\n"), None);
    }

    #[test]
    fn fingerprints_ignore_line_numbers() {
        let f = privileged_finding();
        let mut moved = f.clone();
        moved.location = Some(loc("other/place.yaml", 40, 5, 40, 9));
        moved.message = "container `app` sets privileged: yes".into();
        assert_eq!(fingerprint(&f), fingerprint(&moved));
        // Known value: FNV-1a is fixed, so fingerprints hold across runs and builds.
        assert_eq!(fingerprint(&f).len(), 16);
        assert_eq!(fingerprint(&f), fingerprint(&privileged_finding()));

        let mut other_path = f.clone();
        other_path.path =
            ObjectPath::parse("spec.template.spec.containers[1].securityContext.privileged");
        assert_ne!(fingerprint(&f), fingerprint(&other_path));
        let mut other_ns = f.clone();
        std::sync::Arc::make_mut(&mut other_ns.resource).namespace = Some("dev".into());
        assert_ne!(fingerprint(&f), fingerprint(&other_ns));
        let mut other_version = f.clone();
        std::sync::Arc::make_mut(&mut other_version.resource).api_version = "apps/v1beta2".into();
        assert_eq!(
            fingerprint(&f),
            fingerprint(&other_version),
            "same group, same object"
        );

        // In the log, under Palisade's key; the line moves, the fingerprint stays.
        let sources = testdata::sources();
        let mut result = testdata::result();
        let before = render_json(&result, &sources);
        for finding in &mut result.findings {
            if let Some(l) = &mut finding.location {
                l.line += 7;
                l.end_line += 7;
            }
        }
        let after = render_json(&result, &sources);
        let prints = |log: &Value| -> Vec<Value> {
            log["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["partialFingerprints"][FINGERPRINT_KEY].clone())
                .collect()
        };
        assert_eq!(prints(&before), prints(&after));
        assert!(prints(&before).iter().all(Value::is_string));
    }

    #[test]
    fn suppressed_findings_carry_suppressions() {
        let log = sample();
        let inline = result_for(&log, "IMG-001", "api");
        assert_eq!(
            inline["suppressions"],
            json!([{
                "kind": "inSource",
                "status": "accepted",
                "justification": "pinned by the deploy pipeline",
                "properties": {"annotation": "palisade.io/ignore"}
            }])
        );
        let external = result_for(&log, "RES-001", "helper");
        assert_eq!(external["suppressions"][0]["kind"], "external");
        assert_eq!(
            external["suppressions"][0]["properties"]["expires"],
            "2027-01-31"
        );
        let open = result_for(&log, "IMG-001", "web");
        assert!(open.get("suppressions").is_none());
    }

    #[test]
    fn notifications_report_not_evaluated_controls_and_input_problems() {
        let log = sample();
        let invocation = &log["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        let execution = invocation["toolExecutionNotifications"].as_array().unwrap();
        assert_eq!(execution.len(), 3);
        assert_eq!(execution[0]["level"], "warning");
        assert_eq!(
            execution[0]["message"]["text"],
            "NET-001 was not evaluated for Namespace/shop: listing NetworkPolicies is forbidden"
        );
        assert_eq!(
            execution[0]["associatedRule"],
            json!({"id": "NET-001", "index": 1})
        );
        assert_eq!(execution[1]["level"], "error");
        assert_eq!(
            execution[1]["locations"][0]["physicalLocation"],
            json!({
                "artifactLocation": {"uri": "deploy/broken.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3, "startColumn": 5}
            })
        );
        assert_eq!(execution[2]["level"], "warning");
        let configuration = invocation["toolConfigurationNotifications"]
            .as_array()
            .unwrap();
        assert_eq!(configuration.len(), 1);
        assert_eq!(configuration[0]["associatedRule"]["id"], "POD-001");

        // Warnings alone do not fail the run.
        let mut result = testdata::result();
        result
            .diagnostics
            .retain(|d| d.level == DiagnosticLevel::Warning);
        let log = render_json(&result, &testdata::sources());
        assert_eq!(
            log["runs"][0]["invocations"][0]["executionSuccessful"],
            true
        );
    }

    #[test]
    fn secrets_are_never_quoted() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: aHVudGVyMg==\n";
        let sources = vec![Source {
            path: "secret.yaml".into(),
            text: text.into(),
            rendered_by: None,
        }];
        let mut f = testdata::finding(
            &testdata::RBAC_001,
            resource("v1", "Secret", Some("shop"), "db"),
            "data.password",
            Some(loc("secret.yaml", 6, 3, 6, 25)),
            "secret key `password` is readable",
        );
        f.severity = Severity::Low;
        let result = ScanResult {
            findings: vec![f],
            ..Default::default()
        };
        let out = render(&testdata::input(&result, &sources));
        assert!(!out.contains("aHVudGVyMg=="), "{out}");
        assert!(out.contains("\"startLine\": 6"));
    }

    #[test]
    fn descriptions_come_from_the_doc() {
        assert_eq!(
            rule_name("Pod shares the node's namespaces"),
            "PodSharesTheNodesNamespaces"
        );
        assert_eq!(rule_name("CPU limit not set"), "CPULimitNotSet");
        let doc = "## What it checks\nEvery Service of `type: NodePort`:\n- one\n- two\n\nAnd more.\n\n## Why it matters\nBecause.";
        assert_eq!(
            full_description(doc).as_deref(),
            Some("Every Service of `type: NodePort`:\n- one\n- two\n\nAnd more.")
        );
        assert_eq!(
            full_description("Intro line\nsecond.\n\nMore.").as_deref(),
            Some("Intro line\nsecond.")
        );
        assert_eq!(full_description("## Heading only"), None);
    }

    #[test]
    fn uris_are_encoded_and_rooted() {
        let relative = artifact_location("./my charts/a b:c.yaml");
        assert_eq!(relative.uri.as_deref(), Some("my%20charts/a%20b%3Ac.yaml"));
        assert_eq!(relative.uri_base_id.as_deref(), Some("%SRCROOT%"));
        let absolute = artifact_location("/tmp/x y.yaml");
        assert_eq!(absolute.uri.as_deref(), Some("file:///tmp/x%20y.yaml"));
        assert_eq!(absolute.uri_base_id, None);
        let windows = artifact_location("C:\\deploy\\app.yaml");
        assert_eq!(windows.uri.as_deref(), Some("file:///C:/deploy/app.yaml"));
    }

    #[test]
    fn findings_of_controls_without_metadata_still_get_a_rule() {
        let mut f = privileged_finding();
        f.control = "CUSTOM-001";
        f.title = "Team policy";
        let result = ScanResult {
            findings: vec![f],
            ..Default::default()
        };
        let log = render_json(&result, &testdata::sources());
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), 6);
        assert_eq!(rules[5]["id"], "CUSTOM-001");
        assert_eq!(rules[5]["name"], "TeamPolicy");
        assert_eq!(log["runs"][0]["results"][0]["ruleIndex"], 5);
    }

    #[test]
    fn rendering_is_deterministic() {
        let sources = testdata::sources();
        let first = render(&testdata::input(&testdata::result(), &sources));
        let second = render(&testdata::input(&testdata::result(), &sources));
        assert_eq!(first, second);
        assert!(first.ends_with("}\n"));
        let empty = ScanResult::default();
        let log = render_json(&empty, &[]);
        assert_eq!(log["runs"][0]["results"], json!([]));
        assert_eq!(
            log["runs"][0]["invocations"][0]["executionSuccessful"],
            true
        );
    }
}
