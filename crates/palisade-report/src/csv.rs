//! CSV: one row per open finding (RFC 4180, through the `csv` crate), for spreadsheets and
//! audit tooling. Suppressed findings and evidence are in the JSON report.

use std::collections::HashMap;

use palisade_core::Finding;

use crate::{BaselineStatus, ReportInput};

const HEADER: [&str; 17] = [
    "fingerprint",
    "severity",
    "control",
    "title",
    "cluster",
    "apiVersion",
    "kind",
    "namespace",
    "name",
    "path",
    "file",
    "line",
    "column",
    "message",
    "remediation",
    "frameworks",
    "baseline",
];

/// A cell as a spreadsheet will not run it: text from manifests that starts like a formula
/// (`=`, `+`, `-`, `@`, or a tab or carriage return before one) gets a leading `'`, the
/// spreadsheet convention for "this is text". Kubernetes names cannot start that way, so only
/// hostile or unusual messages are touched.
fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

fn row(
    input: &ReportInput<'_>,
    served: &HashMap<&str, String>,
    index: usize,
    f: &Finding,
) -> [String; 17] {
    let r = &f.resource;
    let (file, line, column) = match &f.location {
        Some(l) => (l.file.to_string(), l.line.to_string(), l.column.to_string()),
        None => Default::default(),
    };
    let baseline = match input.baseline_status(index) {
        Some(BaselineStatus::New) => "new",
        Some(BaselineStatus::Existing) => "existing",
        None => "",
    };
    [
        f.fingerprint(),
        f.severity.as_str().to_string(),
        f.control.to_string(),
        f.title.to_string(),
        r.cluster.as_deref().unwrap_or("").to_string(),
        inert(&r.api_version).into_owned(),
        inert(&r.kind).into_owned(),
        r.namespace
            .as_deref()
            .map(inert)
            .unwrap_or_default()
            .into_owned(),
        inert(&r.name).into_owned(),
        inert(f.path.as_str()).into_owned(),
        inert(&file).into_owned(),
        line,
        column,
        inert(&f.message).into_owned(),
        f.remediation.to_string(),
        served.get(f.control).cloned().unwrap_or_default(),
        baseline.to_string(),
    ]
}

pub(crate) fn write(input: &ReportInput<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    // The requirements each control serves, as `framework requirement`, joined once per
    // control rather than looked up for each of a large scan's findings.
    let served: HashMap<&str, String> = input
        .controls
        .iter()
        .map(|meta| {
            let refs: Vec<String> = input
                .requirements_served(meta.id)
                .map(|(framework, requirement)| format!("{} {}", framework.id, requirement.id))
                .collect();
            (meta.id, refs.join("; "))
        })
        .collect();
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    for (i, f) in input.result.findings.iter().enumerate() {
        writer.write_record(row(input, &served, i, f))?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn parse(text: &str) -> (Vec<String>, Vec<::csv::StringRecord>) {
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader.records().collect::<Result<_, _>>().unwrap();
        (header, rows)
    }

    fn render(input: &ReportInput<'_>) -> String {
        let mut out = Vec::new();
        write(input, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_row_per_finding_with_every_column() {
        let (mut result, sources) = (testdata::result(), testdata::sources());
        // Quotes, commas and line breaks in a message survive the round trip.
        result.findings[0].message = "value \"a, b\"\nspans, lines".into();
        let input = testdata::input(&result, &sources);
        let (header, rows) = parse(&render(&input));
        assert_eq!(header, HEADER);
        assert_eq!(rows.len(), result.findings.len());
        let first = &rows[0];
        let f = &result.findings[0];
        let column = |name: &str| HEADER.iter().position(|h| *h == name).unwrap();
        assert_eq!(&first[column("message")], "value \"a, b\"\nspans, lines");
        assert_eq!(&first[column("fingerprint")], f.fingerprint());
        assert_eq!(&first[column("control")], f.control);
        assert_eq!(&first[column("severity")], f.severity.as_str());
        assert_eq!(&first[column("name")], f.resource.name);
        assert_eq!(&first[column("path")], f.path.as_str());
        let loc = f.location.as_ref().unwrap();
        assert_eq!(&first[column("file")], &*loc.file);
        assert_eq!(&first[column("line")], loc.line.to_string());
        assert_eq!(
            &first[column("frameworks")],
            "cis-1.12 5.2.2; mitre-attack-containers T1611"
        );
        assert_eq!(&first[column("baseline")], "");
        // A control the mapping does not name has an empty cell; so has a missing location.
        let unmapped = rows
            .iter()
            .zip(&result.findings)
            .find(|(_, f)| f.control != "POD-001" && f.location.is_none())
            .expect("an unmapped finding without a file");
        assert_eq!(&unmapped.0[column("frameworks")], "");
        assert_eq!(&unmapped.0[column("line")], "");
    }

    #[test]
    fn formulas_from_manifests_stay_text() {
        let mut result = testdata::result();
        result.findings[0].message = "=HYPERLINK(\"http://x\")".into();
        result.findings.truncate(1);
        let (_, rows) = parse(&render(&testdata::input(&result, &[])));
        assert_eq!(&rows[0][13], "'=HYPERLINK(\"http://x\")");
        assert_eq!(inert("container `a`"), "container `a`");
    }

    #[test]
    fn no_findings_is_a_header_alone() {
        let result = palisade_core::ScanResult::default();
        let out = render(&testdata::input(&result, &[]));
        assert_eq!(out.lines().count(), 1);
        assert!(out.starts_with("fingerprint,severity,control,"));
    }
}
