//! The HMAC algorithms, named as Tencent's `algorithm="…"` parameter names them, and sets of them.

use core::fmt;
use core::str::FromStr;

use crate::set::{sealed, Member, Set};

/// An HMAC algorithm, named as Tencent's `algorithm="…"` parameter names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `hmac-sha1`: Tencent's documented default.
    HmacSha1,
    /// `hmac-sha256`; the only algorithm of `bce-auth-v1`.
    HmacSha256,
    /// `hmac-sha384`.
    HmacSha384,
    /// `hmac-sha512`.
    HmacSha512,
    /// `hmac-sm3`: HMAC over SM3 (GB/T 32905). Tencent's Go sample signs with it and its PHP
    /// demo lists it, but its error table does not, so a verifier's default allow-list
    /// ([`AlgorithmSet::DOCUMENTED`]) leaves it out.
    HmacSm3,
}

/// Most bytes any supported MAC produces (HMAC-SHA512).
pub(crate) const MAX_TAG_LEN: usize = 64;

impl Algorithm {
    /// All five, in this order: sha1, sha256, sha384, sha512, sm3.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::HmacSha1,
        Algorithm::HmacSha256,
        Algorithm::HmacSha384,
        Algorithm::HmacSha512,
        Algorithm::HmacSm3,
    ];

    /// The wire name: `hmac-sha1`, `hmac-sha256`, `hmac-sha384`, `hmac-sha512` or `hmac-sm3`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::HmacSha384 => "hmac-sha384",
            Algorithm::HmacSha512 => "hmac-sha512",
            Algorithm::HmacSm3 => "hmac-sm3",
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
            Algorithm::HmacSha512 => MAX_TAG_LEN,
            Algorithm::HmacSm3 => 32,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is not one of the algorithm names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown HMAC algorithm name")]
pub struct UnknownAlgorithm;

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(s).ok_or(UnknownAlgorithm)
    }
}

impl sealed::Sealed for Algorithm {}

impl Member for Algorithm {
    const MEMBERS: &'static [Self] = &Algorithm::ALL;

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`Algorithm`]s: what a verifier allows.
pub type AlgorithmSet = Set<Algorithm>;

impl Set<Algorithm> {
    /// Every algorithm, `hmac-sm3` included.
    pub const ALL: Self = Set::from_bits(0b1_1111);

    /// The four Tencent's error table lists (sha1, sha256, sha384, sha512): a verifier's
    /// default allow-list. `hmac-sm3` is left out until a user adds it
    /// (`AlgorithmSet::DOCUMENTED.with(Algorithm::HmacSm3)`), since Tencent documents it only
    /// in its demos.
    pub const DOCUMENTED: Self = Set::from_bits(0b1111);
}

impl Default for Set<Algorithm> {
    /// [`AlgorithmSet::DOCUMENTED`]: the four algorithms Tencent's error table lists.
    fn default() -> Self {
        AlgorithmSet::DOCUMENTED
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
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [Algorithm::HmacSha1, Algorithm::HmacSha256]
        );
        assert_eq!(AlgorithmSet::default(), AlgorithmSet::DOCUMENTED);
        assert!(!AlgorithmSet::default().contains(Algorithm::HmacSm3));
        assert_eq!(AlgorithmSet::ALL.iter().count(), 5);
        assert_eq!(AlgorithmSet::DOCUMENTED.iter().count(), 4);
        assert_eq!(AlgorithmSet::EMPTY.iter().count(), 0);
        assert!(!AlgorithmSet::ALL
            .without(Algorithm::HmacSha1)
            .contains(Algorithm::HmacSha1));
        assert_eq!(format!("{s:?}"), "{HmacSha1, HmacSha256}");
    }
}
