//! Percent-encoding and -decoding, shared by both schemes.
//!
//! One encoder: every byte but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) becomes
//! `%XY` with upper-case hex. That is Baidu's `UriEncode`, and it is the wire encoding the Tencent
//! signer emits for query and form values (a space is `%20`, a plus `%2B`). Paths keep their `/`.
//!
//! One decoder, strict: a `%` must be followed by two hex digits and the decoded bytes must be
//! UTF-8. [`Plus`] says whether `+` is a literal plus (query strings, RFC 3986) or a space (HTML
//! form bodies). Decoding streams: canonical strings are written and compared straight from the
//! wire text without building decoded copies.

use core::cmp::Ordering;
use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, AsciiSet, PercentEncode, NON_ALPHANUMERIC};

use crate::error::RequestError;
use crate::mac::Sink;

/// Bytes escaped in a query/form key or value: all but RFC 3986 unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Bytes escaped in a path: as [`COMPONENT`], but `/` is kept.
const PATH: &AsciiSet = &COMPONENT.remove(b'/');

/// Percent-encodes a query or form key or value (Baidu's `UriEncode`): everything but
/// `A-Z a-z 0-9 - . _ ~` as upper-case `%XY`.
///
/// ```
/// assert_eq!(apigw_sign::encoding::encode_component("中 +/").to_string(), "%E4%B8%AD%20%2B%2F");
/// ```
pub fn encode_component(value: &str) -> PercentEncode<'_> {
    utf8_percent_encode(value, COMPONENT)
}

/// Percent-encodes a path (Baidu's `UriEncodeExceptSlash`): as [`encode_component`], keeping `/`.
///
/// ```
/// assert_eq!(apigw_sign::encoding::encode_path("/example/测试").to_string(), "/example/%E6%B5%8B%E8%AF%95");
/// ```
pub fn encode_path(path: &str) -> PercentEncode<'_> {
    utf8_percent_encode(path, PATH)
}

/// Whether `b` is an RFC 3986 unreserved character, which `UriEncode` keeps as it is.
#[inline]
pub(crate) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The `UriEncode` of one byte: itself, or `%XY` (upper-case hex); `keep_slash` keeps `/`.
#[derive(Clone, Debug)]
pub(crate) struct EncodedByte {
    bytes: [u8; 3],
    pos: u8,
    len: u8,
}

impl EncodedByte {
    #[inline]
    pub(crate) fn new(b: u8, keep_slash: bool) -> Self {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            EncodedByte {
                bytes: [b, 0, 0],
                pos: 0,
                len: 1,
            }
        } else {
            let hi = HEX_UPPER.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX_UPPER.get(usize::from(b & 0xF)).copied().unwrap_or(b'0');
            EncodedByte {
                bytes: [b'%', hi, lo],
                pos: 0,
                len: 3,
            }
        }
    }
}

impl Iterator for EncodedByte {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        if self.pos >= self.len {
            return None;
        }
        let b = self.bytes.get(usize::from(self.pos)).copied();
        self.pos += 1;
        b
    }
}

/// The `UriEncode` of a byte stream, as a byte stream (for comparing canonical forms without
/// building them).
pub(crate) fn encoded(
    bytes: impl Iterator<Item = u8>,
    keep_slash: bool,
) -> impl Iterator<Item = u8> {
    bytes.flat_map(move |b| EncodedByte::new(b, keep_slash))
}

/// Writes the `UriEncode` of `bytes` into `sink` through a small stack buffer; a run that needs
/// no escaping is written as it is.
pub(crate) fn write_encoded(
    bytes: impl Iterator<Item = u8>,
    keep_slash: bool,
    sink: &mut impl Sink,
) {
    let mut buf = [0u8; 96];
    let mut len = 0usize;
    for b in bytes {
        for e in EncodedByte::new(b, keep_slash) {
            if let Some(slot) = buf.get_mut(len) {
                *slot = e;
                len += 1;
            }
        }
        if len + 3 > buf.len() {
            sink.put(buf.get(..len).unwrap_or_default());
            len = 0;
        }
    }
    sink.put(buf.get(..len).unwrap_or_default());
}

/// Whether `raw` is already its own `UriEncode` (only unreserved characters, and `/` when
/// `keep_slash`), so decoding then encoding it changes nothing.
#[inline]
pub(crate) fn is_canonical(raw: &[u8], keep_slash: bool) -> bool {
    raw.iter()
        .all(|&b| is_unreserved(b) || (keep_slash && b == b'/'))
}

/// How a `+` decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plus {
    /// `+` is a plus sign: query strings and paths (RFC 3986).
    Literal,
    /// `+` is a space: `application/x-www-form-urlencoded` bodies.
    Space,
}

/// Decodes a percent-encoded key, value or path, strictly.
///
/// Borrows when there is nothing to decode.
///
/// # Errors
///
/// [`RequestError::BrokenPercentEscape`] for a `%` not followed by two hex digits and
/// [`RequestError::InvalidUtf8`] when the decoded bytes are not UTF-8.
///
/// ```
/// use apigw_sign::encoding::{decode, Plus};
/// assert_eq!(decode("a+b%20c", Plus::Space).unwrap(), "a b c");
/// assert_eq!(decode("a+b", Plus::Literal).unwrap(), "a+b");
/// assert!(decode("100%", Plus::Literal).is_err());
/// ```
pub fn decode(raw: &str, plus: Plus) -> Result<Cow<'_, str>, RequestError> {
    if validate(raw, plus)? {
        return Ok(Cow::Borrowed(raw));
    }
    let bytes: Vec<u8> = Decoded::new(raw, plus).collect();
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| RequestError::InvalidUtf8)
}

fn needs_decoding(raw: &str, plus: Plus) -> bool {
    raw.bytes()
        .any(|b| b == b'%' || (b == b'+' && plus == Plus::Space))
}

const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits one decoded byte off the front of `bytes`, which starts with a `%` or `+`.
fn decode_one(bytes: &[u8], plus: Plus) -> Option<(u8, &[u8])> {
    match bytes {
        [b'%', h, l, rest @ ..] => match (hex_value(*h), hex_value(*l)) {
            (Some(h), Some(l)) => Some(((h << 4) | l, rest)),
            _ => Some((b'%', bytes.get(1..).unwrap_or_default())),
        },
        [b'+', rest @ ..] if plus == Plus::Space => Some((b' ', rest)),
        [b, rest @ ..] => Some((*b, rest)),
        [] => None,
    }
}

/// Checks that `raw` decodes: every `%` starts a two-hex-digit escape and the decoded bytes are
/// UTF-8. Returns whether `raw` decodes to itself (no escape, and no `+` meaning a space). One
/// pass, no allocation.
///
/// Only escapes need a UTF-8 check: the text between them is a `&str` cut at ASCII bytes, so it
/// is whole characters, and the decoded string is UTF-8 exactly when the escapes' bytes form
/// whole characters that no raw byte interrupts.
pub(crate) fn validate(raw: &str, plus: Plus) -> Result<bool, RequestError> {
    scan(raw, plus, false)
}

/// [`validate`] for a piece of a request target, which must also hold no space, control
/// character or `#` (raw bytes a request line cannot carry).
pub(crate) fn validate_wire(raw: &str) -> Result<bool, RequestError> {
    scan(raw, Plus::Literal, true)
}

fn scan(raw: &str, plus: Plus, wire: bool) -> Result<bool, RequestError> {
    let mut rest = raw.as_bytes();
    let mut utf8 = Utf8State::default();
    let mut plain = true;
    while let [b, tail @ ..] = rest {
        match *b {
            b'%' => match tail {
                [h, l, after @ ..] => match (hex_value(*h), hex_value(*l)) {
                    (Some(h), Some(l)) => {
                        utf8.feed((h << 4) | l)?;
                        plain = false;
                        rest = after;
                        continue;
                    }
                    _ => return Err(RequestError::BrokenPercentEscape),
                },
                _ => return Err(RequestError::BrokenPercentEscape),
            },
            b if wire && (b <= b' ' || b == 0x7f || b == b'#') => {
                return Err(RequestError::InvalidTarget)
            }
            b'+' if plus == Plus::Space => plain = false,
            _ => {}
        }
        utf8.interrupt()?;
        rest = tail;
    }
    utf8.interrupt()?;
    Ok(plain)
}

/// UTF-8 validation of escaped bytes, one byte at a time (the well-formed sequences of
/// Unicode 15 table 3-7): how many continuation bytes are still due, and the range of the next.
#[derive(Default)]
struct Utf8State {
    need: u8,
    lo: u8,
    hi: u8,
}

impl Utf8State {
    #[inline]
    fn feed(&mut self, b: u8) -> Result<(), RequestError> {
        if self.need > 0 {
            if b < self.lo || b > self.hi {
                return Err(RequestError::InvalidUtf8);
            }
            self.need -= 1;
            (self.lo, self.hi) = (0x80, 0xBF);
            return Ok(());
        }
        (self.need, self.lo, self.hi) = match b {
            0x00..=0x7F => (0, 0, 0),
            0xC2..=0xDF => (1, 0x80, 0xBF),
            0xE0 => (2, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
            0xED => (2, 0x80, 0x9F),
            0xF0 => (3, 0x90, 0xBF),
            0xF1..=0xF3 => (3, 0x80, 0xBF),
            0xF4 => (3, 0x80, 0x8F),
            _ => return Err(RequestError::InvalidUtf8),
        };
        Ok(())
    }

    /// A raw byte or the end: no escaped character may be left incomplete.
    #[inline]
    fn interrupt(&self) -> Result<(), RequestError> {
        if self.need > 0 {
            return Err(RequestError::InvalidUtf8);
        }
        Ok(())
    }
}

/// The decoded bytes of a validated percent-encoded string.
#[derive(Clone, Debug)]
pub(crate) struct Decoded<'a> {
    rest: &'a [u8],
    plus: Plus,
}

impl<'a> Decoded<'a> {
    pub(crate) fn new(raw: &'a str, plus: Plus) -> Self {
        Decoded {
            rest: raw.as_bytes(),
            plus,
        }
    }
}

impl Iterator for Decoded<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let (b, rest) = decode_one(self.rest, self.plus)?;
        self.rest = rest;
        Some(b)
    }
}

/// Streams the decoded bytes of a validated `raw` into `sink`, copying unescaped runs whole.
pub(crate) fn write_decoded(raw: &str, plus: Plus, sink: &mut impl Sink) {
    let mut rest = raw.as_bytes();
    loop {
        let special = rest
            .iter()
            .position(|&b| b == b'%' || (b == b'+' && plus == Plus::Space))
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at_checked(special).unwrap_or((rest, &[]));
        if !run.is_empty() {
            sink.put(run);
        }
        match decode_one(tail, plus) {
            Some((b, after)) => {
                sink.put(&[b]);
                rest = after;
            }
            None => return,
        }
    }
}

/// Compares the decoded forms of two validated strings byte-wise, without decoding into memory.
pub(crate) fn cmp_decoded(a: &str, a_plus: Plus, b: &str, b_plus: Plus) -> Ordering {
    if !needs_decoding(a, a_plus) && !needs_decoding(b, b_plus) {
        return a.as_bytes().cmp(b.as_bytes());
    }
    Decoded::new(a, a_plus).cmp(Decoded::new(b, b_plus))
}

/// Whether the decoded form of validated `raw` equals `expected`, ignoring ASCII case.
pub(crate) fn decoded_eq_ignore_ascii_case(raw: &str, plus: Plus, expected: &str) -> bool {
    Decoded::new(raw, plus)
        .map(|b| b.to_ascii_lowercase())
        .eq(expected.bytes().map(|b| b.to_ascii_lowercase()))
}

/// Whether the decoded form of validated `raw` equals `expected`.
pub(crate) fn decoded_eq(raw: &str, plus: Plus, expected: &str) -> bool {
    Decoded::new(raw, plus).eq(expected.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::TextSink;

    fn streamed(raw: &str, plus: Plus) -> Vec<u8> {
        let mut sink = TextSink::default();
        write_decoded(raw, plus, &mut sink);
        sink.0
    }

    #[test]
    fn decodes_escapes_and_plus() {
        assert_eq!(
            decode("%E4%B8%AD%e6%96%87+x", Plus::Literal).unwrap(),
            "中文+x"
        );
        assert_eq!(
            decode("%E4%B8%AD%e6%96%87+x", Plus::Space).unwrap(),
            "中文 x"
        );
        assert!(matches!(
            decode("plain", Plus::Space).unwrap(),
            Cow::Borrowed("plain")
        ));
        assert_eq!(streamed("a%20b+c%2B", Plus::Space), b"a b c+");
        assert_eq!(streamed("a%20b+c%2B", Plus::Literal), b"a b+c+");
        assert_eq!(streamed("", Plus::Literal), b"");
    }

    #[test]
    fn rejects_broken_escapes_and_bad_utf8() {
        for raw in ["%", "%4", "%zz", "a%g0", "%%41"] {
            assert_eq!(
                decode(raw, Plus::Literal),
                Err(RequestError::BrokenPercentEscape),
                "{raw}"
            );
        }
        for raw in ["%FF", "%E4%B8", "%C0%AF", "%ED%A0%80"] {
            assert_eq!(
                decode(raw, Plus::Literal),
                Err(RequestError::InvalidUtf8),
                "{raw}"
            );
        }
    }

    #[test]
    fn utf8_check_spans_buffer_boundaries() {
        // 63 ASCII bytes then a 3-byte character split across the 64-byte chunk edge.
        let raw = format!("{}%E4%B8%AD{}", "a".repeat(63), "b".repeat(100));
        assert!(validate(&raw, Plus::Literal).is_ok());
        let bad = format!("{}%E4%B8{}", "a".repeat(63), "b".repeat(100));
        assert_eq!(
            validate(&bad, Plus::Literal),
            Err(RequestError::InvalidUtf8)
        );
        let cut = format!("{}%E4%B8", "a".repeat(62));
        assert_eq!(
            validate(&cut, Plus::Literal),
            Err(RequestError::InvalidUtf8)
        );
    }

    #[test]
    fn escape_runs_between_raw_characters() {
        assert!(validate("中%E6%96%87文", Plus::Literal).is_ok());
        assert_eq!(
            validate("中%E6%96文", Plus::Literal),
            Err(RequestError::InvalidUtf8)
        );
        assert_eq!(
            validate("%B8中", Plus::Literal),
            Err(RequestError::InvalidUtf8)
        );
        let long = "%E4%B8%AD".repeat(40);
        assert!(validate(&long, Plus::Literal).is_ok());
        assert_eq!(
            validate(&long[..long.len() - 3], Plus::Literal),
            Err(RequestError::InvalidUtf8)
        );
    }

    #[test]
    fn utf8_state_agrees_with_std_on_escaped_sequences() {
        let mut raw = String::new();
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for c in [0x41u8, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0] {
                    for d in [None, Some(0x80u8), Some(0xBF)] {
                        let bytes: Vec<u8> = [a, b, c].into_iter().chain(d).collect();
                        raw.clear();
                        for byte in &bytes {
                            raw.push_str(&format!("%{byte:02X}"));
                        }
                        let std_ok = core::str::from_utf8(&bytes).is_ok();
                        assert_eq!(validate(&raw, Plus::Literal).is_ok(), std_ok, "{raw}");
                    }
                }
            }
        }
    }

    #[test]
    fn plainness_and_wire_bytes() {
        assert_eq!(validate("abc", Plus::Space), Ok(true));
        assert_eq!(validate("a+c", Plus::Literal), Ok(true));
        assert_eq!(validate("a+c", Plus::Space), Ok(false));
        assert_eq!(validate("a%41", Plus::Literal), Ok(false));
        assert_eq!(validate("a b", Plus::Space), Ok(true));
        assert_eq!(validate_wire("/a b"), Err(RequestError::InvalidTarget));
        assert_eq!(validate_wire("/a#b"), Err(RequestError::InvalidTarget));
        assert_eq!(validate_wire("/a\u{7f}"), Err(RequestError::InvalidTarget));
        assert_eq!(validate_wire("/a%20b"), Ok(false));
    }

    #[test]
    fn byte_level_encoding_matches_the_encoder() {
        let text = "aZ09-._~ +&=%/?#中";
        let ours: Vec<u8> = encoded(text.bytes(), false).collect();
        assert_eq!(ours, encode_component(text).to_string().into_bytes());
        let ours: Vec<u8> = encoded(text.bytes(), true).collect();
        assert_eq!(ours, encode_path(text).to_string().into_bytes());
        let long = "中 文/".repeat(40);
        let mut sink = TextSink::default();
        write_encoded(long.bytes(), true, &mut sink);
        assert_eq!(sink.0, encode_path(&long).to_string().into_bytes());
        assert!(
            is_canonical(b"a-b.c_d~9", false)
                && !is_canonical(b"a/b", false)
                && is_canonical(b"a/b", true)
        );
    }

    #[test]
    fn compares_decoded_forms() {
        assert_eq!(
            cmp_decoded("%41", Plus::Literal, "A", Plus::Literal),
            Ordering::Equal
        );
        assert_eq!(
            cmp_decoded("a+b", Plus::Space, "a%20b", Plus::Literal),
            Ordering::Equal
        );
        assert_eq!(
            cmp_decoded("b", Plus::Literal, "a%FF", Plus::Literal),
            Ordering::Greater
        );
        assert!(decoded_eq("%72elease", Plus::Literal, "release"));
    }

    #[test]
    fn encodes_unreserved_only() {
        assert_eq!(
            encode_component("aZ09-._~ +&=%/?#").to_string(),
            "aZ09-._~%20%2B%26%3D%25%2F%3F%23"
        );
        assert_eq!(encode_path("/a b/c").to_string(), "/a%20b/c");
    }
}
