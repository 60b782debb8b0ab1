//! The HMAC algorithms, a MAC over any of them, and the sink canonical strings stream into.

use core::fmt;
use core::str::FromStr;

use hmac::digest::Update;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

/// An HMAC algorithm, named as Tencent's `algorithm="…"` parameter names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `hmac-sha1`: Tencent's documented default.
    HmacSha1,
    /// `hmac-sha256`; the only algorithm of `bce-auth-v1`.
    HmacSha256,
    /// `hmac-sha384`.
    HmacSha384,
    /// `hmac-sha512`.
    HmacSha512,
}

impl Algorithm {
    /// All four, in this order: sha1, sha256, sha384, sha512.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::HmacSha1,
        Algorithm::HmacSha256,
        Algorithm::HmacSha384,
        Algorithm::HmacSha512,
    ];

    /// The wire name: `hmac-sha1`, `hmac-sha256`, `hmac-sha384` or `hmac-sha512`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::HmacSha384 => "hmac-sha384",
            Algorithm::HmacSha512 => "hmac-sha512",
        }
    }

    /// The algorithm with this exact (lower-case) wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Algorithm::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Length of the MAC in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha384 => 48,
            Algorithm::HmacSha512 => 64,
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Algorithm::HmacSha1 => 1,
            Algorithm::HmacSha256 => 2,
            Algorithm::HmacSha384 => 4,
            Algorithm::HmacSha512 => 8,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is not one of the four algorithm names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown HMAC algorithm name")]
pub struct UnknownAlgorithm;

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(s).ok_or(UnknownAlgorithm)
    }
}

/// A set of [`Algorithm`]s: what a verifier allows.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlgorithmSet(u8);

impl AlgorithmSet {
    /// All four algorithms.
    pub const ALL: AlgorithmSet = AlgorithmSet(0b1111);
    /// No algorithm.
    pub const EMPTY: AlgorithmSet = AlgorithmSet(0);

    /// The set holding only `algorithm`.
    pub const fn only(algorithm: Algorithm) -> Self {
        AlgorithmSet(algorithm.bit())
    }

    /// This set plus `algorithm`.
    #[must_use]
    pub const fn with(self, algorithm: Algorithm) -> Self {
        AlgorithmSet(self.0 | algorithm.bit())
    }

    /// This set without `algorithm`.
    #[must_use]
    pub const fn without(self, algorithm: Algorithm) -> Self {
        AlgorithmSet(self.0 & !algorithm.bit())
    }

    /// Whether `algorithm` is in the set.
    pub const fn contains(self, algorithm: Algorithm) -> bool {
        self.0 & algorithm.bit() != 0
    }

    /// The members, in [`Algorithm::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }
}

impl Default for AlgorithmSet {
    /// All four algorithms.
    fn default() -> Self {
        AlgorithmSet::ALL
    }
}

impl fmt::Debug for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Where a canonical string is written: a MAC (signing, verifying) or a text buffer (`Display`).
pub(crate) trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

impl<T: Update> Sink for T {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// A sink that collects the text, for `Display` and debugging output.
#[derive(Default)]
pub(crate) struct TextSink(pub(crate) Vec<u8>);

impl Sink for TextSink {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Most bytes any supported MAC produces (HMAC-SHA512).
pub(crate) const MAX_TAG_LEN: usize = 64;

/// A MAC over any [`Algorithm`], keyed and ready for input.
#[derive(Clone)]
pub(crate) enum AnyMac {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

impl AnyMac {
    /// A MAC keyed with `key`. HMAC takes keys of any length, so this cannot fail in practice;
    /// `None` only if the hash crate ever says otherwise.
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> Option<Self> {
        Some(match algorithm {
            Algorithm::HmacSha1 => AnyMac::Sha1(KeyInit::new_from_slice(key).ok()?),
            Algorithm::HmacSha256 => AnyMac::Sha256(KeyInit::new_from_slice(key).ok()?),
            Algorithm::HmacSha384 => AnyMac::Sha384(KeyInit::new_from_slice(key).ok()?),
            Algorithm::HmacSha512 => AnyMac::Sha512(KeyInit::new_from_slice(key).ok()?),
        })
    }

    /// The MAC, written into the front of a fixed buffer; returns its length.
    pub(crate) fn finalize_into(self, out: &mut [u8; MAX_TAG_LEN]) -> usize {
        fn copy(out: &mut [u8; MAX_TAG_LEN], tag: &[u8]) -> usize {
            let len = tag.len().min(MAX_TAG_LEN);
            if let (Some(dst), Some(src)) = (out.get_mut(..len), tag.get(..len)) {
                dst.copy_from_slice(src);
            }
            len
        }
        match self {
            AnyMac::Sha1(m) => copy(out, &m.finalize().into_bytes()),
            AnyMac::Sha256(m) => copy(out, &m.finalize().into_bytes()),
            AnyMac::Sha384(m) => copy(out, &m.finalize().into_bytes()),
            AnyMac::Sha512(m) => copy(out, &m.finalize().into_bytes()),
        }
    }

    /// Whether `tag` is this MAC: length check, then a constant-time comparison.
    pub(crate) fn verify(self, tag: &[u8]) -> bool {
        match self {
            AnyMac::Sha1(m) => m.verify_slice(tag).is_ok(),
            AnyMac::Sha256(m) => m.verify_slice(tag).is_ok(),
            AnyMac::Sha384(m) => m.verify_slice(tag).is_ok(),
            AnyMac::Sha512(m) => m.verify_slice(tag).is_ok(),
        }
    }
}

impl Sink for AnyMac {
    fn put(&mut self, bytes: &[u8]) {
        match self {
            AnyMac::Sha1(m) => Mac::update(m, bytes),
            AnyMac::Sha256(m) => Mac::update(m, bytes),
            AnyMac::Sha384(m) => Mac::update(m, bytes),
            AnyMac::Sha512(m) => Mac::update(m, bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Algorithm::ALL {
            assert_eq!(a.as_str().parse::<Algorithm>(), Ok(a));
        }
        assert!("HMAC-SHA1".parse::<Algorithm>().is_err());
    }

    #[test]
    fn sets() {
        let s = AlgorithmSet::only(Algorithm::HmacSha256).with(Algorithm::HmacSha1);
        assert!(s.contains(Algorithm::HmacSha1) && !s.contains(Algorithm::HmacSha512));
        assert_eq!(s.iter().count(), 2);
        assert_eq!(AlgorithmSet::default(), AlgorithmSet::ALL);
        assert!(!AlgorithmSet::ALL
            .without(Algorithm::HmacSha1)
            .contains(Algorithm::HmacSha1));
    }

    #[test]
    fn mac_lengths_and_verification() {
        for a in Algorithm::ALL {
            let mut m = AnyMac::new(a, b"key").unwrap();
            m.put(b"msg");
            let mut out = [0; MAX_TAG_LEN];
            let len = m.clone().finalize_into(&mut out);
            assert_eq!(len, a.output_len());
            assert!(m.clone().verify(&out[..len]));
            out[0] ^= 1;
            assert!(!m.verify(&out[..len]));
        }
    }
}
