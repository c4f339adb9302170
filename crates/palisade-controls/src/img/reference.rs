//! Container image references (`registry/repository:tag@digest`), read the way container
//! runtimes read them, and the images of a pod's containers.

use palisade_core::{Fix, FixSafety, ObjectPath, TypeError, Violation};

use crate::control::Context;

use crate::workload::{Container, PodSpec};

/// Docker Hub, the registry of references that name none.
pub(super) const DOCKER_HUB: &str = "docker.io";

/// A parsed image reference. Nothing is validated beyond what the checks need.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ImageRef<'a> {
    /// Registry host, lower-cased, with its port if given; `docker.io` when the reference
    /// names none (and for the `index.docker.io` spelling).
    pub registry: String,
    /// Repository path within the registry, with `library/` added for Docker Hub's official
    /// images (`nginx` → `library/nginx`).
    pub repository: String,
    pub tag: Option<&'a str>,
    /// Everything after `@`, e.g. `sha256:…`.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(image: &'a str) -> Self {
        let image = image.trim();
        let (name_tag, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (image, None),
        };
        // A tag follows the last `:`, unless that colon is part of a registry's port.
        let (name, tag) = match name_tag.rfind(':') {
            Some(i) if !name_tag[i..].contains('/') => (&name_tag[..i], Some(&name_tag[i + 1..])),
            _ => (name_tag, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if is_registry_host(first) => (first.to_ascii_lowercase(), rest),
            _ => (DOCKER_HUB.to_string(), name),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository.to_string()
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// Whether the digest is well formed: a known algorithm and the hex digits it produces.
    pub fn has_valid_digest(&self) -> bool {
        self.digest.is_some_and(valid_digest)
    }
}

/// The first component of a reference names a registry when it looks like a host: it has a
/// dot or a port, is `localhost`, or has capitals (which repository paths cannot).
pub(super) fn is_registry_host(first: &str) -> bool {
    first.contains(['.', ':'])
        || first == "localhost"
        || first.bytes().any(|b| b.is_ascii_uppercase())
}

fn valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A container's image, when it names one (an absent or empty `image` is left for a
/// higher-level tool to fill in, and there is nothing to judge).
pub(super) struct ContainerImage<'a> {
    pub image: &'a str,
    pub path: ObjectPath,
    pub container: Container<'a>,
}

/// `violation` with a fix that writes the image `fix.images` gives for `entry`, when there is
/// one and `resolves` says it answers the finding (a replacement with the same problem is no
/// fix). Unsafe: another image is other code.
pub(super) fn with_configured_image(
    cx: &Context<'_>,
    entry: &ContainerImage<'_>,
    violation: Violation,
    resolves: impl Fn(&ImageRef<'_>) -> bool,
) -> Violation {
    match cx.settings.fix_images.replacement(entry.image) {
        Some(replacement) if resolves(&ImageRef::parse(replacement)) => {
            violation.with_fix(Fix::set(
                format!("use image {replacement} (fix.images)"),
                FixSafety::Unsafe,
                entry.path.clone(),
                replacement.into(),
            ))
        }
        _ => violation,
    }
}

pub(super) fn container_images<'a>(
    pod: &PodSpec<'a>,
) -> Result<Vec<ContainerImage<'a>>, TypeError> {
    let mut out = Vec::new();
    for container in pod.containers()? {
        match container.node.str_field("image")? {
            Some(image) if !image.trim().is_empty() => out.push(ContainerImage {
                image,
                path: container.path.key("image"),
                container,
            }),
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(image: &str) -> (String, String, Option<&str>, Option<&str>) {
        let r = ImageRef::parse(image);
        (r.registry, r.repository, r.tag, r.digest)
    }

    #[test]
    fn parses_references_like_runtimes() {
        assert_eq!(
            parts("nginx"),
            ("docker.io".into(), "library/nginx".into(), None, None)
        );
        assert_eq!(
            parts("nginx:1.27"),
            (
                "docker.io".into(),
                "library/nginx".into(),
                Some("1.27"),
                None
            )
        );
        assert_eq!(
            parts("bitnami/redis:7"),
            ("docker.io".into(), "bitnami/redis".into(), Some("7"), None)
        );
        assert_eq!(
            parts("index.docker.io/nginx"),
            ("docker.io".into(), "library/nginx".into(), None, None)
        );
        assert_eq!(
            parts("registry.example.com:5000/team/app:2.0"),
            (
                "registry.example.com:5000".into(),
                "team/app".into(),
                Some("2.0"),
                None
            )
        );
        assert_eq!(
            parts("localhost:5000/app"),
            ("localhost:5000".into(), "app".into(), None, None)
        );
        assert_eq!(
            parts("localhost/app:1"),
            ("localhost".into(), "app".into(), Some("1"), None)
        );
        assert_eq!(
            parts("GHCR.IO/example/app"),
            ("ghcr.io".into(), "example/app".into(), None, None)
        );
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let image = format!("ghcr.io/example/app:1.0@{digest}");
        assert_eq!(
            parts(&image),
            (
                "ghcr.io".into(),
                "example/app".into(),
                Some("1.0"),
                Some(digest)
            )
        );
        assert!(ImageRef::parse(&image).has_valid_digest());
        assert!(!ImageRef::parse("app@sha256:abc").has_valid_digest());
        assert!(!ImageRef::parse("app@md5:0123456789abcdef0123456789abcdef").has_valid_digest());
    }
}
