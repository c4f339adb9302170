//! Label and field selectors as the list and watch endpoints read them.

/// One label requirement.
#[derive(Debug, Clone, PartialEq)]
enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
    Gt(String, i64),
    Lt(String, i64),
}

/// A parsed `labelSelector`: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LabelSelector(Vec<LabelReq>);

/// Splits at commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_set(key: &str, rest: &str, raw: &str) -> Result<Vec<String>, String> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("unable to parse requirement: {raw:?}: expected a parenthesized set of values for {key:?}"))?;
    let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    if let Some(bad) = values.iter().find(|v| !valid_value(v)) {
        return Err(format!(
            "unable to parse requirement: invalid label value: {bad:?}"
        ));
    }
    Ok(values)
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        if text.trim().is_empty() {
            return Ok(Self(reqs));
        }
        for raw in split_top_level(text) {
            let part = raw.trim();
            if part.is_empty() {
                return Err(format!(
                    "unable to parse requirement: empty requirement in {text:?}"
                ));
            }
            let req = if let Some(key) = part.strip_prefix('!') {
                LabelReq::NotExists(key.trim().to_string())
            } else if let Some((key, value)) = part.split_once("!=") {
                LabelReq::NotEq(key.trim().to_string(), value.trim().to_string())
            } else if let Some((key, value)) = part.split_once("==") {
                LabelReq::Eq(key.trim().to_string(), value.trim().to_string())
            } else if let Some((key, value)) = part.split_once('=') {
                LabelReq::Eq(key.trim().to_string(), value.trim().to_string())
            } else if let Some((key, value)) = part.split_once('>') {
                let n = value.trim().parse().map_err(|_| {
                    format!("unable to parse requirement: {part:?}: not an integer")
                })?;
                LabelReq::Gt(key.trim().to_string(), n)
            } else if let Some((key, value)) = part.split_once('<') {
                let n = value.trim().parse().map_err(|_| {
                    format!("unable to parse requirement: {part:?}: not an integer")
                })?;
                LabelReq::Lt(key.trim().to_string(), n)
            } else {
                let mut words = part.splitn(2, char::is_whitespace);
                let key = words.next().unwrap_or_default().trim();
                let rest = words.next().unwrap_or_default().trim();
                if rest.is_empty() {
                    LabelReq::Exists(key.to_string())
                } else if let Some(set) = rest.strip_prefix("notin") {
                    LabelReq::NotIn(key.to_string(), parse_set(key, set, part)?)
                } else if let Some(set) = rest.strip_prefix("in") {
                    LabelReq::In(key.to_string(), parse_set(key, set, part)?)
                } else {
                    return Err(format!("unable to parse requirement: {part:?}"));
                }
            };
            let (key, value) = match &req {
                LabelReq::Eq(k, v) | LabelReq::NotEq(k, v) => (k, Some(v)),
                LabelReq::In(k, _)
                | LabelReq::NotIn(k, _)
                | LabelReq::Exists(k)
                | LabelReq::NotExists(k)
                | LabelReq::Gt(k, _)
                | LabelReq::Lt(k, _) => (k, None),
            };
            if !valid_key(key) {
                return Err(format!(
                    "unable to parse requirement: invalid label key {key:?}"
                ));
            }
            if let Some(v) = value
                && !valid_value(v)
            {
                return Err(format!(
                    "unable to parse requirement: invalid label value: {v:?}"
                ));
            }
            reqs.push(req);
        }
        Ok(Self(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, labels: &[(Box<str>, Box<str>)]) -> bool {
        let get = |key: &str| labels.iter().find(|(k, _)| &**k == key).map(|(_, v)| &**v);
        self.0.iter().all(|req| match req {
            LabelReq::Eq(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, set) => get(k).is_some_and(|x| set.iter().any(|s| s == x)),
            LabelReq::NotIn(k, set) => get(k).is_none_or(|x| !set.iter().any(|s| s == x)),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
            LabelReq::Gt(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            LabelReq::Lt(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        })
    }
}

/// One field requirement: field path, wanted value, negated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldReq {
    pub field: String,
    pub value: String,
    pub negate: bool,
}

/// A parsed `fieldSelector`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FieldSelector(pub Vec<FieldReq>);

/// Fields beyond `metadata.name` and `metadata.namespace` a real server supports, per kind.
fn extra_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        "Secret" => &["type"],
        "Event" => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        "Node" => &["spec.unschedulable"],
        "Namespace" => &["status.phase"],
        "ReplicaSet" | "ReplicationController" => &["status.replicas"],
        "Job" => &["status.successful"],
        "CertificateSigningRequest" => &["spec.signerName"],
        _ => &[],
    }
}

impl FieldSelector {
    /// Parses a selector, accepting only fields the kind supports.
    pub fn parse(text: &str, kind: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        if text.trim().is_empty() {
            return Ok(Self(reqs));
        }
        for part in text.split(',') {
            let part = part.trim();
            let (field, value, negate) = if let Some((f, v)) = part.split_once("!=") {
                (f, v, true)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, v, false)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, v, false)
            } else {
                return Err(format!(
                    "invalid selector: '{text}'; can't understand '{part}'"
                ));
            };
            let field = field.trim();
            if field != "metadata.name"
                && field != "metadata.namespace"
                && !extra_fields(kind).contains(&field)
            {
                return Err(format!("field label not supported: {field}"));
            }
            reqs.push(FieldReq {
                field: field.to_string(),
                value: value.trim().to_string(),
                negate,
            });
        }
        Ok(Self(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every requirement holds, reading fields through `get`.
    pub fn matches(&self, mut get: impl FnMut(&str) -> String) -> bool {
        self.0
            .iter()
            .all(|r| (get(&r.field) == r.value) != r.negate)
    }
}

/// Reads a dotted field path of an object as the server compares it in a field selector.
pub(crate) fn field_value(obj: &serde_json::Value, path: &str) -> String {
    let mut cur = obj;
    for part in path.split('.') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => {
                return match path {
                    "spec.hostNetwork" | "spec.unschedulable" => "false".into(),
                    _ => String::new(),
                };
            }
        }
    }
    match cur {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(o) => {
            // `source` of an event is compared by its component.
            o.get("component")
                .and_then(|c| c.as_str())
                .unwrap_or_default()
                .to_string()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(Box<str>, Box<str>)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn equality_and_set_based_requirements() {
        let l = labels(&[("app", "web"), ("tier", "front"), ("rank", "5")]);
        let yes = [
            "app=web",
            "app==web",
            "app!=db",
            "missing!=x",
            "app in (web, db)",
            "tier notin (back)",
            "missing notin (x)",
            "app",
            "!missing",
            "app=web,tier in (front),!missing",
            "rank>3",
            "rank<6",
            "",
        ];
        for s in yes {
            assert!(
                LabelSelector::parse(s).unwrap().matches(&l),
                "{s} should match"
            );
        }
        let no = [
            "app=db",
            "app!=web",
            "app in (db,cache)",
            "missing in (x)",
            "tier notin (front,back)",
            "missing",
            "!app",
            "app=web,tier=back",
            "rank>5",
        ];
        for s in no {
            assert!(
                !LabelSelector::parse(s).unwrap().matches(&l),
                "{s} should not match"
            );
        }
    }

    #[test]
    fn malformed_label_selectors_are_rejected() {
        for s in [
            "app in web",
            "a b c",
            "=x",
            "app=we b",
            ",app",
            "app in (a;b)",
        ] {
            assert!(LabelSelector::parse(s).is_err(), "{s} should fail");
        }
    }

    #[test]
    fn field_selectors_check_supported_fields() {
        let sel =
            FieldSelector::parse("metadata.name=a,metadata.namespace!=kube-system", "Pod").unwrap();
        let obj = serde_json::json!({"metadata": {"name": "a", "namespace": "default"}});
        assert!(sel.matches(|f| field_value(&obj, f)));
        let obj2 = serde_json::json!({"metadata": {"name": "a", "namespace": "kube-system"}});
        assert!(!sel.matches(|f| field_value(&obj2, f)));
        assert!(FieldSelector::parse("spec.nodeName=n1", "Pod").is_ok());
        assert_eq!(
            FieldSelector::parse("spec.nodeName=n1", "Deployment").unwrap_err(),
            "field label not supported: spec.nodeName"
        );
        let phase = FieldSelector::parse("spec.hostNetwork=false", "Pod").unwrap();
        assert!(phase.matches(|f| field_value(&serde_json::json!({"spec": {}}), f)));
    }
}
