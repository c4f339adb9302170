//! Unified diffs of a file before and after its fixes.

use similar::TextDiff;

/// A unified diff with three lines of context, headed `a/<path>` and `b/<path>` as `git diff`
/// writes them, so `git apply` and `patch -p1` take it. Empty when nothing changed.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// A unified diff that creates the file at `path` with `text` (`--- /dev/null`).
pub fn new_file_diff(path: &str, text: &str) -> String {
    TextDiff::from_lines("", text)
        .unified_diff()
        .context_radius(3)
        .header("/dev/null", &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_both_sides_and_only_the_changed_lines() {
        let diff = unified_diff("deploy/web.yaml", "a: 1\nb: 2\n", "a: 1\nb: 3\n");
        assert!(diff.starts_with("--- a/deploy/web.yaml\n+++ b/deploy/web.yaml\n"));
        assert!(diff.contains("-b: 2\n+b: 3\n"));
        assert_eq!(unified_diff("x", "same\n", "same\n"), "");
    }
}
