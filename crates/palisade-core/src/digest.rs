//! Stable digests. Finding fingerprints, the catalogue version and input hashes are stored by
//! users and compared across runs and releases, so they are SHA-256, never the standard
//! library's hasher, whose output may change between Rust releases.

use sha2::{Digest, Sha256};

/// A digest over a sequence of text fields. Each field is written as the byte `0x00` when
/// absent, or as `0x01`, its UTF-8 length as a little-endian 64-bit integer and its bytes, so
/// no two different sequences can run together into the same input.
pub(crate) struct FieldDigest(Sha256);

impl FieldDigest {
    /// Starts a digest whose first field names what is hashed (and the version of that
    /// recipe), so digests of different things never collide by construction.
    pub(crate) fn new(domain: &str) -> Self {
        let mut digest = FieldDigest(Sha256::new());
        digest.field(Some(domain));
        digest
    }

    pub(crate) fn field(&mut self, value: Option<&str>) {
        match value {
            None => self.0.update([0]),
            Some(text) => {
                self.0.update([1]);
                self.0.update((text.len() as u64).to_le_bytes());
                self.0.update(text.as_bytes());
            }
        }
    }

    /// The first `bytes` bytes of the digest, in lowercase hex.
    pub(crate) fn hex(self, bytes: usize) -> String {
        to_hex(&self.0.finalize()[..bytes])
    }
}

/// The SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_test_vector() {
        assert_eq!(
            to_hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn fields_cannot_run_together() {
        let digest = |fields: &[Option<&str>]| {
            let mut d = FieldDigest::new("test");
            for f in fields {
                d.field(*f);
            }
            d.hex(32)
        };
        assert_ne!(
            digest(&[Some("ab"), Some("c")]),
            digest(&[Some("a"), Some("bc")])
        );
        assert_ne!(digest(&[None]), digest(&[Some("")]));
        assert_eq!(digest(&[Some("a")]).len(), 64);
    }
}
