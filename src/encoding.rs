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
pub(crate) fn is_unreserved(b: u8) -> bool {
    UNRESERVED.get(usize::from(b)).copied().unwrap_or(false)
}

/// [`is_unreserved`] as a table.
// Built at compile time: an index out of range would fail the build, not panic at run time.
#[allow(clippy::indexing_slicing)]
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] =
            (b as u8).is_ascii_alphanumeric() || matches!(b as u8, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

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

/// Writes `%XY`, upper-case hex: `UriEncode`'s escape of `b`.
#[inline]
pub(crate) fn put_escape(b: u8, sink: &mut impl Sink) {
    let digit = |n: u8| {
        HEX_UPPER
            .get(usize::from(n & 0x0F))
            .copied()
            .unwrap_or(b'0')
    };
    sink.put(&[b'%', digit(b >> 4), digit(b)]);
}

/// Writes the `UriEncode` of `bytes` into `sink` (keeping `/` when `keep_slash`); a run that
/// needs no escaping is written whole.
pub(crate) fn put_encoded(bytes: &[u8], keep_slash: bool, sink: &mut impl Sink) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let run = rest
            .iter()
            .position(|&b| !(is_unreserved(b) || (keep_slash && b == b'/')))
            .unwrap_or(rest.len());
        let (plain, tail) = rest.split_at_checked(run).unwrap_or((rest, &[]));
        if !plain.is_empty() {
            sink.put(plain);
        }
        let Some((&b, after)) = tail.split_first() else {
            return;
        };
        put_escape(b, sink);
        rest = after;
    }
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

/// Splits one decoded byte off the front of `bytes`, which starts with a `%` or `+`.
fn decode_one(bytes: &[u8], plus: Plus) -> Option<(u8, &[u8])> {
    match bytes {
        [b'%', h, l, rest @ ..] if hex(*h) <= 0x0F && hex(*l) <= 0x0F => {
            Some(((hex(*h) << 4) | hex(*l), rest))
        }
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
    scan(raw.as_bytes(), plus, false, false).map(|s| s.plain())
}

/// [`validate`] for a piece of a request target, which must also hold no space, control
/// character or `#` (raw bytes a request line cannot carry).
pub(crate) fn validate_wire(raw: &str) -> Result<bool, RequestError> {
    scan(raw.as_bytes(), Plus::Literal, true, false).map(|s| s.plain())
}

/// What [`scan`] found in one piece of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// Bytes scanned: up to the first `&` (when asked to stop there) or the end.
    pub(crate) len: usize,
    /// The position of the first `=`, or `len` when there is none.
    pub(crate) eq: usize,
    /// Nothing before `eq` needs decoding.
    pub(crate) key_plain: bool,
    /// Nothing after `eq` needs decoding.
    pub(crate) value_plain: bool,
}

impl Scanned {
    /// The whole piece decodes to itself.
    pub(crate) const fn plain(&self) -> bool {
        self.key_plain && self.value_plain
    }
}

/// Byte classes for [`scan`]: what a byte means in a query, form or path.
const ORDINARY: u8 = 0;
const PERCENT: u8 = 1;
const PLUS: u8 = 2;
const AMPERSAND: u8 = 3;
const EQUALS: u8 = 4;
/// Space, control characters, DEL and `#`: not allowed raw in a request target.
const NOT_WIRE: u8 = 5;

// Built at compile time: an index out of range would fail the build, not panic at run time.
#[allow(clippy::indexing_slicing)]
const CLASS: [u8; 256] = {
    let mut table = [ORDINARY; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'%' => PERCENT,
            b'+' => PLUS,
            b'&' => AMPERSAND,
            b'=' => EQUALS,
            0..=b' ' | 0x7f | b'#' => NOT_WIRE,
            _ => ORDINARY,
        };
        b += 1;
    }
    table
};

/// Hex digit values, `0xFF` for a byte that is not a hex digit.
// Built at compile time, as `CLASS`.
#[allow(clippy::indexing_slicing)]
const HEX: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' => c - b'A' + 10,
            _ => 0xFF,
        };
        b += 1;
    }
    table
};

#[inline(always)]
fn class(b: u8) -> u8 {
    CLASS.get(usize::from(b)).copied().unwrap_or(ORDINARY)
}

/// The value of a hex digit (either case), `0xFF` for any other byte.
#[inline(always)]
pub(crate) fn hex(b: u8) -> u8 {
    HEX.get(usize::from(b)).copied().unwrap_or(0xFF)
}

/// The validation of [`validate`] / [`validate_wire`] in one table-driven pass, which also finds
/// the first `=` and, when `stop_at_ampersand`, ends at the first `&` (one query or form item).
///
/// Errors are those of the first offending byte from the left: a broken escape, a raw byte a
/// request target cannot carry (when `wire`), or an escaped character left incomplete by a raw
/// byte or the end.
#[inline]
pub(crate) fn scan(
    bytes: &[u8],
    plus: Plus,
    wire: bool,
    stop_at_ampersand: bool,
) -> Result<Scanned, RequestError> {
    let mut i = 0;
    let mut eq = None;
    let mut key_plain = true;
    let mut value_plain = true;
    while let Some(&b) = bytes.get(i) {
        match class(b) {
            ORDINARY => i += 1,
            PERCENT => {
                i = escape_run(bytes, i, wire)?;
                if eq.is_none() {
                    key_plain = false;
                } else {
                    value_plain = false;
                }
            }
            PLUS => {
                if plus == Plus::Space {
                    if eq.is_none() {
                        key_plain = false;
                    } else {
                        value_plain = false;
                    }
                }
                i += 1;
            }
            AMPERSAND if stop_at_ampersand => break,
            EQUALS if eq.is_none() => {
                eq = Some(i);
                i += 1;
            }
            NOT_WIRE if wire => return Err(RequestError::InvalidTarget),
            _ => i += 1,
        }
    }
    Ok(Scanned {
        len: i,
        eq: eq.unwrap_or(i),
        key_plain,
        value_plain,
    })
}

/// Checks the run of escapes starting at `bytes[start]` (a `%`) and returns where it ends. The
/// escaped bytes must be whole UTF-8 characters: one left incomplete is an error, reported when
/// the raw byte after the run is checked (so a byte a target cannot carry wins).
#[inline]
fn escape_run(bytes: &[u8], start: usize, wire: bool) -> Result<usize, RequestError> {
    let mut utf8 = Utf8State::default();
    let mut i = start;
    while let Some(b'%') = bytes.get(i) {
        let h = bytes.get(i + 1).map_or(0xFF, |&b| hex(b));
        let l = bytes.get(i + 2).map_or(0xFF, |&b| hex(b));
        if h > 0x0F || l > 0x0F {
            return Err(RequestError::BrokenPercentEscape);
        }
        utf8.feed((h << 4) | l)?;
        i += 3;
    }
    if utf8.need > 0 {
        if wire && bytes.get(i).is_some_and(|&b| class(b) == NOT_WIRE) {
            return Err(RequestError::InvalidTarget);
        }
        return Err(RequestError::InvalidUtf8);
    }
    Ok(i)
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
}

/// The decoded bytes of a validated percent-encoded string.
#[derive(Clone, Debug)]
pub(crate) struct Decoded<'a> {
    rest: &'a [u8],
    plus: Plus,
}

impl<'a> Decoded<'a> {
    pub(crate) fn new(raw: &'a str, plus: Plus) -> Self {
        Self::from_bytes(raw.as_bytes(), plus)
    }

    pub(crate) fn from_bytes(raw: &'a [u8], plus: Plus) -> Self {
        Decoded { rest: raw, plus }
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

/// Streams the decoded bytes of a validated `raw` into `sink`: unescaped runs are copied whole,
/// and each run of escapes is decoded into a stack buffer and written in one piece.
pub(crate) fn write_decoded(raw: &str, plus: Plus, sink: &mut impl Sink) {
    let space = plus == Plus::Space;
    let mut rest = raw.as_bytes();
    let mut buf = [0u8; 64];
    loop {
        let special = rest
            .iter()
            .position(|&b| b == b'%' || (space && b == b'+'))
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at_checked(special).unwrap_or((rest, &[]));
        if !run.is_empty() {
            sink.put(run);
        }
        if tail.is_empty() {
            return;
        }
        let mut len = 0;
        let mut t = tail;
        while let Some(slot) = buf.get_mut(len) {
            match t {
                [b'%', h, l, after @ ..] if (hex(*h) | hex(*l)) <= 0x0F => {
                    *slot = (hex(*h) << 4) | hex(*l);
                    t = after;
                }
                [b'+', after @ ..] if space => {
                    *slot = b' ';
                    t = after;
                }
                _ => break,
            }
            len += 1;
        }
        if len == 0 {
            // A `%` that starts no escape (only in text that was not validated): as it is.
            let (percent, after) = t.split_at_checked(1).unwrap_or((t, &[]));
            sink.put(percent);
            t = after;
        } else {
            sink.put(buf.get(..len).unwrap_or_default());
        }
        rest = t;
    }
}

/// Compares the decoded forms of two validated strings byte-wise, without decoding into memory.
pub(crate) fn cmp_decoded(a: &[u8], a_plus: Plus, b: &[u8], b_plus: Plus) -> Ordering {
    Decoded::from_bytes(a, a_plus).cmp(Decoded::from_bytes(b, b_plus))
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

    /// The straightforward reading of the rules `scan` implements in one table-driven pass:
    /// split at the first `&`, find the first `=`, decode with std and check UTF-8 with std.
    fn reference(raw: &str, plus: Plus, wire: bool, stop: bool) -> Result<Scanned, RequestError> {
        let len = if stop {
            raw.find('&').unwrap_or(raw.len())
        } else {
            raw.len()
        };
        let item = &raw.as_bytes()[..len];
        let mut decoded = Vec::new();
        let mut i = 0;
        let mut run_start = None;
        while i < item.len() {
            let b = item[i];
            if b == b'%' {
                let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
                match (hex(item.get(i + 1)), hex(item.get(i + 2))) {
                    (Some(h), Some(l)) => {
                        let start = *run_start.get_or_insert(decoded.len());
                        decoded.push((h * 16 + l) as u8);
                        // A byte that no valid UTF-8 can continue with fails at once.
                        if let Err(e) = std::str::from_utf8(&decoded[start..]) {
                            if e.error_len().is_some() {
                                return Err(RequestError::InvalidUtf8);
                            }
                        }
                        i += 3;
                        continue;
                    }
                    _ => return Err(RequestError::BrokenPercentEscape),
                }
            }
            if wire && (b <= b' ' || b == 0x7f || b == b'#') {
                return Err(RequestError::InvalidTarget);
            }
            if let Some(start) = run_start.take() {
                if std::str::from_utf8(&decoded[start..]).is_err() {
                    return Err(RequestError::InvalidUtf8);
                }
            }
            decoded.push(b);
            i += 1;
        }
        if let Some(start) = run_start {
            if std::str::from_utf8(&decoded[start..]).is_err() {
                return Err(RequestError::InvalidUtf8);
            }
        }
        let eq = item.iter().position(|&b| b == b'=').unwrap_or(len);
        let needs = |part: &[u8]| {
            part.iter()
                .any(|&b| b == b'%' || (b == b'+' && plus == Plus::Space))
        };
        Ok(Scanned {
            len,
            eq,
            key_plain: !needs(&item[..eq]),
            value_plain: !needs(&item[eq..]),
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        #[test]
        fn scan_agrees_with_the_reference(
            pieces in proptest::collection::vec(
                proptest::sample::select(&[
                    "a", "Z", "~", "%", "%2", "%20", "%E4", "%B8", "%AD", "%e4%b8%ad", "%C3",
                    "%A9", "%F0%9F", "%98%80", "%ED%A0%80", "%FF", "%zz", "+", "&", "=", " ",
                    "#", "\u{7f}", "\u{1}", "中", "/",
                ][..]),
                0..12,
            ),
            space in proptest::bool::ANY,
            wire in proptest::bool::ANY,
            stop in proptest::bool::ANY,
        ) {
            let raw = pieces.concat();
            let plus = if space { Plus::Space } else { Plus::Literal };
            proptest::prop_assert_eq!(
                scan(raw.as_bytes(), plus, wire, stop),
                reference(&raw, plus, wire, stop),
                "{:?}", raw
            );
        }
    }

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
        for (text, keep_slash) in [
            ("中 文/".repeat(40), true),
            (text.to_owned(), false),
            (String::new(), false),
        ] {
            let mut sink = TextSink::default();
            put_encoded(text.as_bytes(), keep_slash, &mut sink);
            let expected = if keep_slash {
                encode_path(&text)
            } else {
                encode_component(&text)
            };
            assert_eq!(sink.0, expected.to_string().into_bytes());
        }
    }

    #[test]
    fn compares_decoded_forms() {
        assert_eq!(
            cmp_decoded(b"%41", Plus::Literal, b"A", Plus::Literal),
            Ordering::Equal
        );
        assert_eq!(
            cmp_decoded(b"a+b", Plus::Space, b"a%20b", Plus::Literal),
            Ordering::Equal
        );
        assert_eq!(
            cmp_decoded(b"b", Plus::Literal, b"a%FF", Plus::Literal),
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
