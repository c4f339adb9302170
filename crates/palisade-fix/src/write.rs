//! Writing a fixed file so that a crash or a full disk never leaves half of it.

use std::io::Write;
use std::path::Path;

/// Writes `text` to a temporary file beside `path`, then renames it over `path`; an existing
/// file keeps its permissions, a new one gets the usual ones for a new file.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let existing = match std::fs::metadata(path) {
        Ok(metadata) => Some(metadata.permissions()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    match existing {
        Some(permissions) => temp.as_file().set_permissions(permissions)?,
        // A temporary file is created private (0600); a new manifest is as readable as any.
        #[cfg(unix)]
        None => {
            use std::os::unix::fs::PermissionsExt;
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        #[cfg(not(unix))]
        None => {}
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pod.yaml");
        std::fs::write(&path, "old\n").unwrap();
        write_atomically(&path, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let new = dir.path().join("patch.yaml");
        write_atomically(&new, "a\n").unwrap();
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "a\n");
    }
}
