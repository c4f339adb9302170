//! Recognising credentials written in plain text: by the name they are stored under, or by the
//! unmistakable shape of the value. Shared by SEC-001 (environment variables) and SEC-002
//! (ConfigMaps), so both judge the same way.
//!
//! The rules aim at precision: a finding names what matched, never the value, and a value
//! that is clearly not a credential (empty, a reference to another variable, a file path, a
//! yes/no switch) is never reported because of its name alone.

/// Why a name/value pair looks like a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Match {
    /// The name says what the value is, e.g. "a password".
    Name(&'static str),
    /// The value has the shape of a known kind of credential, e.g. "an AWS access key ID".
    Shape(&'static str),
}

impl Match {
    /// The reason, for a message: "the name suggests a password", "the value looks like …".
    pub fn reason(self) -> String {
        match self {
            Match::Name(what) => format!("the name suggests {what}"),
            Match::Shape(what) => format!("the value looks like {what}"),
        }
    }
}

/// Judges a name and its literal value. The value's shape is tried first, as it is the more
/// certain sign; the name counts only when the value could be a literal credential.
pub(super) fn classify(name: &str, value: &str) -> Option<Match> {
    if let Some(shape) = secret_shape(value) {
        return Some(Match::Shape(shape));
    }
    let what = secret_name(name)?;
    is_literal_value(value).then_some(Match::Name(what))
}

/// The words of a name, upper-cased: split at anything but letters and digits, at
/// lower-to-upper changes (`dbPassword`), before the last capital of an acronym followed by
/// a word (`APIKey`), and between letters and digits.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_uppercase() && c.is_uppercase() && next_lower)
                || (prev.is_alphabetic() && c.is_numeric())
                || (prev.is_numeric() && c.is_alphabetic());
            if boundary && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_uppercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Last words that name a credential on their own. `PASS` and `PWD` count only after another
/// word (`DB_PASS`), since `PWD` alone is the shell's working directory.
const SECRET_NOUNS: &[(&str, &str, bool)] = &[
    ("PASSWORD", "a password", false),
    ("PASSWD", "a password", false),
    ("PASSPHRASE", "a passphrase", false),
    ("PASS", "a password", true),
    ("PWD", "a password", true),
    ("SECRET", "a secret", false),
    ("TOKEN", "a token", false),
    ("APIKEY", "an API key", false),
    ("CREDENTIAL", "credentials", false),
    ("CREDENTIALS", "credentials", false),
    ("CREDS", "credentials", false),
    ("AUTH", "authentication data", false),
];

/// Words that, followed by `KEY` at the end of a name, make it a credential.
const KEY_QUALIFIERS: &[(&str, &str)] = &[
    ("API", "an API key"),
    ("ACCESS", "an access key"),
    ("PRIVATE", "a private key"),
    ("SECRET", "a secret key"),
    ("ENCRYPTION", "an encryption key"),
    ("SIGNING", "a signing key"),
    ("MASTER", "a master key"),
    ("LICENSE", "a license key"),
    ("SSH", "an SSH key"),
    ("ACCOUNT", "an account key"),
    ("STORAGE", "a storage key"),
    ("BATCH", "a batch account key"),
];

/// Words that, after `KEY` at the end of a name, say the value is the key itself
/// (`OCI_CLI_KEY_CONTENT`, `SIGNING_KEY_PEM`).
const KEY_MATERIAL: &[&str] = &["CONTENT", "CONTENTS", "DATA", "PEM", "MATERIAL"];

/// What a name says its value is, when it names a credential. Only the end of the name
/// counts: `DB_PASSWORD` and `clientSecret` do, `PASSWORD_FILE`, `TOKEN_AUDIENCE` and
/// `SECRET_NAME` (which hold a path, a setting, an object's name) do not. Trailing numbers
/// are ignored (`PASSWORD_2`).
pub(super) fn secret_name(name: &str) -> Option<&'static str> {
    let words = words(name);
    let end = words
        .iter()
        .rposition(|w| !w.chars().all(|c| c.is_numeric()))?;
    let words = &words[..=end];
    let last = words[end].as_str();
    if KEY_MATERIAL.contains(&last) && end > 0 && words[end - 1] == "KEY" {
        return Some("key material");
    }
    if last == "KEY" {
        let qualifier = words.get(end.checked_sub(1)?)?.as_str();
        return KEY_QUALIFIERS
            .iter()
            .find(|(q, _)| *q == qualifier)
            .map(|(_, what)| *what);
    }
    SECRET_NOUNS
        .iter()
        .find(|(noun, _, needs_prefix)| *noun == last && (!needs_prefix || end > 0))
        .map(|(_, what, _)| *what)
}

/// Values that switch something on or off or name a mechanism, never a credential.
const NOT_CREDENTIALS: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "enabled",
    "disabled",
    "enable",
    "disable",
    "none",
    "null",
    "nil",
    "empty",
    "required",
    "optional",
    "auto",
    "basic",
    "bearer",
    "digest",
    "negotiate",
    "ntlm",
    "oauth",
    "oauth2",
    "oidc",
    "saml",
    "ldap",
    "kerberos",
    "jwt",
    "tls",
    "mtls",
    "anonymous",
    "internal",
    "external",
];

/// Whether a value written under a credential-like name can itself be the credential. It
/// cannot when it is empty, refers to something else (`$(VAR)`, `${VAR}`, a template
/// `{{ … }}`, a `<placeholder>` or a fill-in such as `INSERT_…`, `REPLACE_…`, `YOUR_…`), is a
/// file path (`/run/secrets/db`, `./key`, `file:…`), or is a switch or mechanism name
/// (`true`, `none`, `basic`, …).
pub(super) fn is_literal_value(value: &str) -> bool {
    let v = unquote(value.trim());
    if v.is_empty() || v.chars().all(|c| c == '*') {
        return false;
    }
    if is_reference(v) {
        return false;
    }
    if v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || v.starts_with("file:")
    {
        return false;
    }
    if v.starts_with('<') && v.ends_with('>') {
        return false;
    }
    // A YAML block scalar indicator: the value is on the following lines.
    if matches!(v, "|" | ">" | "|-" | ">-" | "|+" | ">+") {
        return false;
    }
    if PLACEHOLDER_PREFIXES.iter().any(|p| {
        v.get(..p.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(p))
    }) {
        return false;
    }
    !NOT_CREDENTIALS.iter().any(|w| w.eq_ignore_ascii_case(v))
}

/// How fill-in-the-blank values start in examples: `INSERT_TOKEN`, `replace-me`, `YOUR_KEY`.
const PLACEHOLDER_PREFIXES: &[&str] = &[
    "insert_",
    "insert-",
    "replace_",
    "replace-",
    "replaceme",
    "your_",
    "your-",
];

fn unquote(v: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(quote).and_then(|s| s.strip_suffix(quote)) {
            return inner.trim();
        }
    }
    v
}

/// Whether the value takes its content from elsewhere: a Kubernetes `$(VAR)` reference, a
/// shell or config `${VAR}`, or a template `{{ … }}`.
fn is_reference(v: &str) -> bool {
    v.contains("$(") || v.contains("${") || v.contains("{{")
}

/// A test of whether a value contains one kind of credential.
type ShapeCheck = fn(&str) -> bool;

/// Kinds of credential recognisable by shape alone.
pub(super) fn secret_shape(value: &str) -> Option<&'static str> {
    let checks: &[(&str, ShapeCheck)] = &[
        ("a private key", has_private_key),
        ("an AWS access key ID", has_aws_key_id),
        ("a GitHub token", has_github_token),
        ("a GitLab token", has_gitlab_token),
        ("a Slack token", has_slack_token),
        ("a Google API key", has_google_api_key),
        ("a Stripe secret key", has_stripe_key),
        ("a JSON Web Token", has_jwt),
        ("a URL with an embedded password", has_url_password),
        ("a password assignment", has_password_assignment),
    ];
    checks
        .iter()
        .find(|(_, check)| check(value))
        .map(|(what, _)| *what)
}

/// Positions where `prefix` starts a token: not preceded by a letter, digit or `_`.
fn token_starts<'a>(value: &'a str, prefix: &'a str) -> impl Iterator<Item = usize> + 'a {
    value
        .match_indices(prefix)
        .map(|(i, _)| i)
        .filter(move |&i| {
            !value[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
}

/// The length of the run of bytes from `start` that satisfy `allowed`.
fn run_len(value: &str, start: usize, allowed: impl Fn(u8) -> bool) -> usize {
    value.as_bytes()[start..]
        .iter()
        .take_while(|&&b| allowed(b))
        .count()
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Whether, after some prefix, a token continues with `len` characters of `allowed` (at
/// least `min`, at most `max`) and then ends.
fn token_body(
    value: &str,
    start: usize,
    allowed: impl Fn(u8) -> bool + Copy,
    min: usize,
    max: usize,
) -> bool {
    let len = run_len(value, start, allowed);
    if len < min || len > max {
        return false;
    }
    // The token must end here, not run on into more word characters.
    !value
        .as_bytes()
        .get(start + len)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

fn has_aws_key_id(value: &str) -> bool {
    ["AKIA", "ASIA"].iter().any(|prefix| {
        token_starts(value, prefix).any(|i| {
            token_body(
                value,
                i + 4,
                |b| b.is_ascii_uppercase() || b.is_ascii_digit(),
                16,
                16,
            )
        })
    })
}

fn has_github_token(value: &str) -> bool {
    let classic = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .iter()
        .any(|prefix| {
            token_starts(value, prefix).any(|i| token_body(value, i + 4, is_alnum, 36, 36))
        });
    classic
        || token_starts(value, "github_pat_")
            .any(|i| token_body(value, i + 11, |b| is_alnum(b) || b == b'_', 40, 255))
}

fn has_gitlab_token(value: &str) -> bool {
    token_starts(value, "glpat-").any(|i| run_len(value, i + 6, is_base64url) >= 20)
}

fn has_slack_token(value: &str) -> bool {
    token_starts(value, "xox").any(|i| {
        let bytes = value.as_bytes();
        matches!(
            bytes.get(i + 3),
            Some(b'a' | b'b' | b'p' | b'o' | b'r' | b's')
        ) && bytes.get(i + 4) == Some(&b'-')
            && run_len(value, i + 5, |b| is_alnum(b) || b == b'-') >= 10
    })
}

fn has_google_api_key(value: &str) -> bool {
    token_starts(value, "AIza").any(|i| token_body(value, i + 4, is_base64url, 35, 35))
}

fn has_stripe_key(value: &str) -> bool {
    ["sk_live_", "rk_live_"]
        .iter()
        .any(|prefix| token_starts(value, prefix).any(|i| run_len(value, i + 8, is_alnum) >= 20))
}

/// A PEM header of any private key: `-----BEGIN RSA PRIVATE KEY-----`,
/// `-----BEGIN OPENSSH PRIVATE KEY-----`, `-----BEGIN PGP PRIVATE KEY BLOCK-----`, …
fn has_private_key(value: &str) -> bool {
    // PEM writes five dashes; OpenSSH keys and hand-made variants are seen with fewer.
    value.match_indices("-BEGIN ").any(|(i, _)| {
        let rest = &value[i + 7..];
        let label = rest.split('-').next().unwrap_or_default();
        !label.contains('\n') && rest.len() > label.len() && label.contains("PRIVATE KEY")
    })
}

/// Three base64url parts joined by dots, the first two being JSON objects (`eyJ` is how
/// base64 encodes `{"`), the signature at least ten characters long.
fn has_jwt(value: &str) -> bool {
    token_starts(value, "eyJ").any(|i| {
        let header = run_len(value, i, is_base64url);
        let payload_start = i + header + 1;
        if header < 10
            || value.as_bytes().get(i + header) != Some(&b'.')
            || !value[payload_start..].starts_with("eyJ")
        {
            return false;
        }
        let payload = run_len(value, payload_start, is_base64url);
        let signature_start = payload_start + payload + 1;
        payload >= 10
            && value.as_bytes().get(payload_start + payload) == Some(&b'.')
            && run_len(value, signature_start, is_base64url) >= 10
    })
}

/// `scheme://user:password@host` with a password that is written out, not a reference.
fn has_url_password(value: &str) -> bool {
    value.match_indices("://").any(|(i, _)| {
        let authority = value[i + 3..]
            .split(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .next()
            .unwrap_or_default();
        let Some((userinfo, _host)) = authority.rsplit_once('@') else {
            return false;
        };
        let Some((_user, password)) = userinfo.split_once(':') else {
            return false;
        };
        is_literal_value(password) && !password.starts_with('$') && !password.starts_with('%')
    })
}

/// `password=…` or `password: …` (also `passwd`), as in connection strings, properties
/// files, command-line flags and embedded YAML, with a literal value after it. The word must
/// start a token (`db.password=`, `--password=`, `;Password=`), so `password_file:` and
/// `oldpassword=` do not count.
fn has_password_assignment(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    ["password", "passwd"].iter().any(|word| {
        lower.match_indices(word).any(|(i, _)| {
            let before_ok = !lower[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric());
            let after = &value[i + word.len()..];
            let assigned = if let Some(rest) = after.strip_prefix('=') {
                rest.split(|c: char| c == ';' || c == '&' || c.is_whitespace())
                    .next()
            } else if let Some(rest) = after.strip_prefix(": ") {
                rest.lines()
                    .next()
                    .map(|line| line.split(" #").next().unwrap_or(line))
            } else {
                None
            };
            before_ok && assigned.is_some_and(|v| is_literal_value(v) && !v.trim().starts_with('$'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_names_into_words() {
        assert_eq!(words("DB_PASSWORD"), ["DB", "PASSWORD"]);
        assert_eq!(words("dbPassword"), ["DB", "PASSWORD"]);
        assert_eq!(words("APIKey"), ["API", "KEY"]);
        assert_eq!(words("client-secret.v2"), ["CLIENT", "SECRET", "V", "2"]);
        assert_eq!(words("PASSWORD2"), ["PASSWORD", "2"]);
    }

    #[test]
    fn names_count_only_at_the_end() {
        for name in [
            "PASSWORD",
            "DB_PASSWORD",
            "dbPassword",
            "MYSQL_ROOT_PASSWORD",
            "REDIS_PASS",
            "DB_PWD",
            "CLIENT_SECRET",
            "clientSecret",
            "GITHUB_TOKEN",
            "accessToken",
            "API_KEY",
            "apiKey",
            "APIKEY",
            "STRIPE_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "MINIO_ACCESS_KEY",
            "PRIVATE_KEY",
            "SECRET_KEY",
            "AZURE_BATCH_KEY",
            "AZURE_STORAGE_ACCOUNT_KEY",
            "OCI_CLI_KEY_CONTENT",
            "SIGNING_KEY_PEM",
            "GOOGLE_CREDENTIALS",
            "BASIC_AUTH",
            "PASSWORD_2",
            "db.password",
        ] {
            assert!(
                secret_name(name).is_some(),
                "{name} should look like a credential"
            );
        }
        for name in [
            "PASSWORD_FILE",
            "TOKEN_AUDIENCE",
            "SECRET_NAME",
            "PWD",
            "PASS",
            "KEY",
            "TOKEN_URL",
            "AUTH_TYPE",
            "ENABLE_AUTH_TOKEN_CHECK",
            "AWS_ACCESS_KEY_ID",
            "KEY_PREFIX",
            "ARGOCD_REDIS_KEY_PREFIX",
            "CERT_KEY_PATH",
            "MAX_TOKENS",
            "PASSWORD_MIN_LENGTH",
            "BYPASS",
            "COMPASS",
            "MONKEY",
            "CACHE_KEY",
            "",
            "123",
        ] {
            assert!(
                secret_name(name).is_none(),
                "{name} should not look like a credential"
            );
        }
    }

    #[test]
    fn only_literal_values_count() {
        for value in ["hunter2", "changeme", "s3cr3t!", "'quoted'"] {
            assert!(is_literal_value(value), "{value}");
        }
        for value in [
            "",
            "  ",
            "$(DB_PASSWORD)",
            "prefix-$(X)",
            "${TOKEN}",
            "{{ .Values.pw }}",
            "/run/secrets/db",
            "./key.pem",
            "file:///etc/token",
            "true",
            "False",
            "none",
            "basic",
            "<your-password>",
            "\"\"",
            "****",
            "INSERT_ETCD_TOKEN",
            "replace-me",
            "YOUR_API_KEY",
            "|",
        ] {
            assert!(!is_literal_value(value), "{value:?}");
        }
    }

    #[test]
    fn recognises_precise_shapes() {
        let cases = [
            ("AKIAIOSFODNN7EXAMPLE", "an AWS access key ID"),
            ("key=ASIAY34FZKBOKMUTVV7A;", "an AWS access key ID"),
            ("ghp_0123456789abcdefghijABCDEFGHIJ012345", "a GitHub token"),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd",
                "a GitHub token",
            ),
            ("glpat-abcdefghij0123456789", "a GitLab token"),
            ("xoxb-123456789012-abcdefghijkl", "a Slack token"),
            (
                "AIzaSyA-0123456789abcdefghijklmnopqrstu",
                "a Google API key",
            ),
            ("sk_live_0123456789abcdefghijklmn", "a Stripe secret key"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "a private key"),
            ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"),
            ("---BEGIN OPENSSH PRIVATE KEY---\nb3Blbn", "a private key"),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "a JSON Web Token",
            ),
            (
                "postgres://app:hunter2@db:5432/shop",
                "a URL with an embedded password",
            ),
            (
                "Server=db;User Id=app;Password=hunter2;",
                "a password assignment",
            ),
            (
                "spring.datasource.password=hunter2",
                "a password assignment",
            ),
            ("auth:\n  password: hunter2\n", "a password assignment"),
        ];
        for (value, expected) in cases {
            assert_eq!(secret_shape(value), Some(expected), "{value}");
        }
        for value in [
            "AKIAIOSFODNN7EXAMPL",   // too short
            "XAKIAIOSFODNN7EXAMPLE", // not a token start
            "AKIAIOSFODNN7EXAMPLEX", // runs on
            "ghp_short",
            "-----BEGIN CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----",
            "eyJhbGciOiJIUzI1NiJ9",
            "https://example.com:8443/path",
            "https://user@example.com",
            "postgres://app:$(DB_PASSWORD)@db/shop",
            "https://user:${PASS}@example.com",
            "password_file: /etc/pw",
            "password: ",
            "password: ${DB_PASSWORD}",
            "password=",
            "oldpassword=abc",
            "--password=$(PW)",
            "hello world",
            "xoxb",
        ] {
            assert_eq!(secret_shape(value), None, "{value}");
        }
    }

    #[test]
    fn classify_prefers_shape_and_needs_a_literal_for_names() {
        assert_eq!(
            classify("X", "AKIAIOSFODNN7EXAMPLE"),
            Some(Match::Shape("an AWS access key ID"))
        );
        assert_eq!(
            classify("DB_PASSWORD", "hunter2"),
            Some(Match::Name("a password"))
        );
        assert_eq!(classify("DB_PASSWORD", ""), None);
        assert_eq!(classify("DB_PASSWORD", "$(OTHER)"), None);
        assert_eq!(classify("PASSWORD_FILE", "/run/secrets/pw"), None);
        assert_eq!(classify("TOKEN_AUDIENCE", "api"), None);
    }
}
