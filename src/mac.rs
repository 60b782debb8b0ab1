//! The HMAC algorithms, a MAC over any of them, and the sink canonical strings stream into.

use core::fmt;
use core::str::FromStr;

use hmac::digest::Update;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

use crate::keys::Secret;

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

/// A stack buffer in front of a sink: canonical strings are written in many small pieces, and a
/// MAC's per-call bookkeeping costs more than copying them into one buffer first.
pub(crate) struct Buffered<'s, S: Sink> {
    sink: &'s mut S,
    buf: [u8; 256],
    len: usize,
}

impl<'s, S: Sink> Buffered<'s, S> {
    pub(crate) fn new(sink: &'s mut S) -> Self {
        Buffered {
            sink,
            buf: [0; 256],
            len: 0,
        }
    }

    /// Hands everything buffered to the sink.
    pub(crate) fn flush(&mut self) {
        if self.len > 0 {
            self.sink.put(self.buf.get(..self.len).unwrap_or_default());
            self.len = 0;
        }
    }
}

impl<S: Sink> Sink for Buffered<'_, S> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            copy(dst, bytes);
            self.len = end;
        } else {
            self.flush();
            if bytes.len() >= self.buf.len() {
                self.sink.put(bytes);
            } else if let Some(dst) = self.buf.get_mut(..bytes.len()) {
                dst.copy_from_slice(bytes);
                self.len = bytes.len();
            }
        }
    }
}

impl<S: Sink> Buffered<'_, S> {
    /// Appends `bytes` with `map` applied to each (ASCII case mapping), straight into the
    /// buffer.
    #[inline]
    pub(crate) fn put_mapped(&mut self, bytes: &[u8], map: fn(&u8) -> u8) {
        for chunk in bytes.chunks(self.buf.len()) {
            if self.len + chunk.len() > self.buf.len() {
                self.flush();
            }
            let end = self.len + chunk.len();
            if let Some(dst) = self.buf.get_mut(self.len..end) {
                for (d, c) in dst.iter_mut().zip(chunk) {
                    *d = map(c);
                }
                self.len = end;
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for slices of equal length, without a `memcpy` call for the short
/// pieces canonical strings are made of: two overlapping fixed-size copies cover 4 to 16 bytes.
#[inline(always)]
fn copy(dst: &mut [u8], src: &[u8]) {
    fn fixed<const N: usize>(dst: &mut [u8], src: &[u8], at: usize) {
        let to = dst
            .get_mut(at..at + N)
            .and_then(|d| <&mut [u8; N]>::try_from(d).ok());
        let from = src
            .get(at..at + N)
            .and_then(|s| <&[u8; N]>::try_from(s).ok());
        if let (Some(to), Some(from)) = (to, from) {
            *to = *from;
        }
    }
    let n = src.len();
    if dst.len() != n {
        return;
    }
    match n {
        0 => {}
        1..=3 => {
            fixed::<1>(dst, src, 0);
            fixed::<1>(dst, src, n / 2);
            fixed::<1>(dst, src, n - 1);
        }
        4..=7 => {
            fixed::<4>(dst, src, 0);
            fixed::<4>(dst, src, n - 4);
        }
        8..=16 => {
            fixed::<8>(dst, src, 0);
            fixed::<8>(dst, src, n - 8);
        }
        _ => dst.copy_from_slice(src),
    }
}

/// Most bytes any supported MAC produces (HMAC-SHA512).
pub(crate) const MAX_TAG_LEN: usize = 64;

/// A canonical string that can be streamed into a sink.
pub(crate) trait Message {
    /// Writes the whole string into `sink`.
    fn write_to(&self, sink: &mut impl Sink);
}

/// Writes `message` as text (lossy for bytes that are not UTF-8): the `Display` of every
/// canonical string.
pub(crate) fn display_message(message: &impl Message, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut text = TextSink::default();
    message.write_to(&mut text);
    f.write_str(&String::from_utf8_lossy(&text.0))
}

/// A message that is just bytes.
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl Message for Bytes<'_> {
    fn write_to(&self, sink: &mut impl Sink) {
        sink.put(self.0);
    }
}

/// The MAC of `message` under `key`, written into the front of `out`; returns its length.
/// `None` only if the hash crate ever refuses a key (HMAC takes keys of any length).
pub(crate) fn compute(
    algorithm: Algorithm,
    key: &[u8],
    message: &impl Message,
    out: &mut [u8; MAX_TAG_LEN],
) -> Option<usize> {
    fn run<M: Mac + KeyInit + Update>(
        key: &[u8],
        message: &impl Message,
        out: &mut [u8; MAX_TAG_LEN],
    ) -> Option<usize> {
        let mut mac = <M as KeyInit>::new_from_slice(key).ok()?;
        message.write_to(&mut mac);
        let tag = mac.finalize().into_bytes();
        let len = tag.len().min(MAX_TAG_LEN);
        out.get_mut(..len)?.copy_from_slice(tag.get(..len)?);
        Some(len)
    }
    match algorithm {
        Algorithm::HmacSha1 => run::<Hmac<Sha1>>(key, message, out),
        Algorithm::HmacSha256 => run::<Hmac<Sha256>>(key, message, out),
        Algorithm::HmacSha384 => run::<Hmac<Sha384>>(key, message, out),
        Algorithm::HmacSha512 => run::<Hmac<Sha512>>(key, message, out),
    }
}

/// An HMAC whose keyed state a [`Secret`] caches.
trait Cached: Mac + KeyInit + Update + Clone {
    /// The secret's keyed state for this algorithm, computed on first use.
    fn cached(secret: &Secret) -> Option<&Self>;
}

macro_rules! cached {
    ($($mac:ty => $field:ident),* $(,)?) => {$(
        impl Cached for $mac {
            fn cached(secret: &Secret) -> Option<&Self> {
                secret
                    .keyed()
                    .$field
                    .get_or_init(|| <$mac as KeyInit>::new_from_slice(secret.expose()).ok().map(Box::new))
                    .as_deref()
            }
        }
    )*};
}

cached!(
    Hmac<Sha1> => sha1,
    Hmac<Sha256> => sha256,
    Hmac<Sha384> => sha384,
    Hmac<Sha512> => sha512,
);

/// [`compute`] under a [`Secret`], starting from its cached keyed state.
pub(crate) fn compute_keyed(
    algorithm: Algorithm,
    secret: &Secret,
    message: &impl Message,
    out: &mut [u8; MAX_TAG_LEN],
) -> Option<usize> {
    fn run<M: Cached>(
        secret: &Secret,
        message: &impl Message,
        out: &mut [u8; MAX_TAG_LEN],
    ) -> Option<usize> {
        let mut mac = M::cached(secret)?.clone();
        message.write_to(&mut mac);
        let tag = mac.finalize().into_bytes();
        let len = tag.len().min(MAX_TAG_LEN);
        out.get_mut(..len)?.copy_from_slice(tag.get(..len)?);
        Some(len)
    }
    match algorithm {
        Algorithm::HmacSha1 => run::<Hmac<Sha1>>(secret, message, out),
        Algorithm::HmacSha256 => run::<Hmac<Sha256>>(secret, message, out),
        Algorithm::HmacSha384 => run::<Hmac<Sha384>>(secret, message, out),
        Algorithm::HmacSha512 => run::<Hmac<Sha512>>(secret, message, out),
    }
}

/// [`verify`] under [`Secret`]s, each MAC starting from the secret's cached keyed state.
pub(crate) fn verify_keyed<'k>(
    algorithm: Algorithm,
    secrets: impl IntoIterator<Item = &'k Secret>,
    message: &impl Message,
    tag: &[u8],
) -> bool {
    fn run<'k, M: Cached>(
        secrets: impl IntoIterator<Item = &'k Secret>,
        message: &impl Message,
        tag: &[u8],
    ) -> bool {
        secrets.into_iter().any(|secret| {
            M::cached(secret).is_some_and(|keyed| {
                let mut mac = keyed.clone();
                message.write_to(&mut mac);
                mac.verify_slice(tag).is_ok()
            })
        })
    }
    match algorithm {
        Algorithm::HmacSha1 => run::<Hmac<Sha1>>(secrets, message, tag),
        Algorithm::HmacSha256 => run::<Hmac<Sha256>>(secrets, message, tag),
        Algorithm::HmacSha384 => run::<Hmac<Sha384>>(secrets, message, tag),
        Algorithm::HmacSha512 => run::<Hmac<Sha512>>(secrets, message, tag),
    }
}

/// Whether `tag` is the MAC of `message` under any of `keys`: for each key, a length check and
/// a constant-time comparison (`verify_slice`).
pub(crate) fn verify<'k>(
    algorithm: Algorithm,
    keys: impl IntoIterator<Item = &'k [u8]>,
    message: &impl Message,
    tag: &[u8],
) -> bool {
    fn run<'k, M: Mac + KeyInit + Update>(
        keys: impl IntoIterator<Item = &'k [u8]>,
        message: &impl Message,
        tag: &[u8],
    ) -> bool {
        keys.into_iter().any(|key| {
            <M as KeyInit>::new_from_slice(key).is_ok_and(|mut mac| {
                message.write_to(&mut mac);
                mac.verify_slice(tag).is_ok()
            })
        })
    }
    match algorithm {
        Algorithm::HmacSha1 => run::<Hmac<Sha1>>(keys, message, tag),
        Algorithm::HmacSha256 => run::<Hmac<Sha256>>(keys, message, tag),
        Algorithm::HmacSha384 => run::<Hmac<Sha384>>(keys, message, tag),
        Algorithm::HmacSha512 => run::<Hmac<Sha512>>(keys, message, tag),
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
    fn short_copies_copy_every_byte() {
        for n in 0..40usize {
            let src: Vec<u8> = (1..=n as u8).collect();
            let mut dst = vec![0u8; n];
            copy(&mut dst, &src);
            assert_eq!(dst, src, "{n}");
        }
    }

    #[test]
    fn mapped_puts_cross_the_buffer() {
        let mut out = TextSink::default();
        let text: Vec<u8> = (0..700usize).map(|i| b'a' + (i % 26) as u8).collect();
        {
            let mut b = Buffered::new(&mut out);
            b.put(b"x");
            b.put_mapped(&text, u8::to_ascii_uppercase);
            b.flush();
        }
        let mut expected = b"x".to_vec();
        expected.extend(text.to_ascii_uppercase());
        assert_eq!(out.0, expected);
    }

    #[test]
    fn buffered_sink_preserves_every_byte() {
        let mut out = TextSink::default();
        let mut expected = Vec::new();
        {
            let mut b = Buffered::new(&mut out);
            for i in 0..600usize {
                let piece = vec![(i % 251) as u8; i % 300];
                b.put(&piece);
                expected.extend_from_slice(&piece);
            }
            b.flush();
        }
        assert_eq!(out.0, expected);
    }

    struct Text(&'static [u8]);

    impl Message for Text {
        fn write_to(&self, sink: &mut impl Sink) {
            sink.put(self.0);
        }
    }

    #[test]
    fn keyed_states_give_the_same_macs() {
        for key in [&b""[..], b"key", &[0x5a; 64], &[0xa5; 200]] {
            let secret = Secret::new(key);
            for a in Algorithm::ALL {
                let (mut plain, mut keyed) = ([0; MAX_TAG_LEN], [0; MAX_TAG_LEN]);
                let len = compute(a, key, &Text(b"msg"), &mut plain).unwrap();
                // Twice: the first call keys and keeps the state, the second starts from it.
                for _ in 0..2 {
                    assert_eq!(
                        compute_keyed(a, &secret, &Text(b"msg"), &mut keyed),
                        Some(len)
                    );
                    assert_eq!(plain, keyed, "{a:?}");
                }
                assert!(verify_keyed(a, [&secret], &Text(b"msg"), &plain[..len]));
                assert!(verify_keyed(
                    a,
                    [&secret.clone()],
                    &Text(b"msg"),
                    &plain[..len]
                ));
                assert!(!verify_keyed(a, [&secret], &Text(b"msh"), &plain[..len]));
                let other = Secret::new(b"other".to_vec());
                assert!(verify_keyed(
                    a,
                    [&other, &secret],
                    &Text(b"msg"),
                    &plain[..len]
                ));
                assert!(!verify_keyed(a, [&other], &Text(b"msg"), &plain[..len]));
            }
        }
    }

    #[test]
    fn mac_lengths_and_verification() {
        for a in Algorithm::ALL {
            let mut out = [0; MAX_TAG_LEN];
            let len = compute(a, b"key", &Text(b"msg"), &mut out).unwrap();
            assert_eq!(len, a.output_len());
            assert!(verify(
                a,
                [&b"other"[..], b"key"],
                &Text(b"msg"),
                &out[..len]
            ));
            assert!(!verify(a, [&b"other"[..]], &Text(b"msg"), &out[..len]));
            assert!(!verify(a, [&b"key"[..]], &Text(b"msh"), &out[..len]));
            assert!(!verify(a, [&b"key"[..]], &Text(b"msg"), &out[..len - 1]));
        }
        // RFC 2202 test case 2 for HMAC-SHA1.
        let mut out = [0; MAX_TAG_LEN];
        let len = compute(
            Algorithm::HmacSha1,
            b"Jefe",
            &Text(b"what do ya want for nothing?"),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            hex::encode(&out[..len]),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }
}
