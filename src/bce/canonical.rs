//! The canonical request: one canonicalizer shared by the BCE signer and verifier.
//!
//! ```text
//! Method "\n" CanonicalURI "\n" CanonicalQueryString "\n" CanonicalHeaders
//! ```
//!
//! - CanonicalURI: `UriEncodeExceptSlash` of the decoded path.
//! - CanonicalQueryString: every item but `authorization` as `UriEncode(key)=UriEncode(value)`
//!   of the decoded key and value (a bare key gets `=`), the whole strings sorted byte-wise,
//!   joined by `&`.
//! - CanonicalHeaders: for each signed header with a non-empty trimmed value,
//!   `UriEncode(lower(name)):UriEncode(value)`, the whole strings sorted byte-wise, joined by `\n`.
//!
//! [`CanonicalRequest`] is data: it borrows the request and is written either into the MAC
//! (streamed, nothing allocated) or, through `Display`, as text.
//!
//! Speed: text is written in runs, never byte by byte. Wire text that is already canonical
//! (unreserved characters, and escapes in upper-case hex of bytes that must stay escaped) is
//! copied as it is; only the bytes that change are re-encoded. A query of ordinary size is
//! canonicalized once into a stack buffer and its items sorted there as byte strings; a longer
//! one is sorted when the request is built, by comparing canonical forms as streams.

use core::cmp::Ordering;
use core::fmt;
use core::iter::once;

use crate::bce::auth_string::AuthString;
use crate::encoding::{
    decoded_eq_ignore_ascii_case, encoded, hex, put_encoded, put_escape, validate_wire, Decoded,
    Plus,
};
use crate::error::{BceFormat, Error, RequestError};
use crate::limits::{MAX_HEADER_VALUE_LEN, MAX_SIGNED_HEADERS};
use crate::mac::{display_message, Buffered, Message, Sink};
use crate::params::{Params, Sources};
use crate::request::{push_sorted_names, split_on, trim_ows, Header, Request};

/// Signed when the auth string lists no headers: `host`, `content-length`, `content-type`,
/// `content-md5`, plus every `x-bce-*` header.
pub const DEFAULT_SIGNED_HEADERS: [&str; 4] =
    ["host", "content-length", "content-type", "content-md5"];

/// The API Gateway carrier header, which is never signed.
pub(crate) const CARRIER_HEADER: &str = "x-bce-signature";

/// Which headers a signature covers, before the `x-bce-*` headers that are always added.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Selection<'a> {
    /// [`DEFAULT_SIGNED_HEADERS`].
    Default,
    /// An auth string's `;`-separated list.
    Listed(&'a str),
    /// A signer's explicit list.
    Names(&'a [&'a str]),
}

impl<'a> Selection<'a> {
    /// What an auth string's `signedHeaders` field selects: the default set when it is empty.
    pub(crate) fn of(auth: &AuthString<'a>) -> Self {
        if auth.signed_headers.is_empty() {
            Selection::Default
        } else {
            Selection::Listed(auth.signed_headers)
        }
    }

    /// The names selected, as a slice: an auth string's list is split into `out` (a parsed auth
    /// string lists at most [`MAX_SIGNED_HEADERS`]; more is `SignatureFormatInvalid`).
    fn names<'s>(
        &'s self,
        out: &'s mut [&'a str; MAX_SIGNED_HEADERS],
    ) -> Result<&'s [&'a str], Error> {
        match self {
            Selection::Default => Ok(&DEFAULT_SIGNED_HEADERS),
            Selection::Names(names) => Ok(names),
            Selection::Listed(list) => {
                let mut len = 0;
                for (_, name) in split_on(list, b';') {
                    *out.get_mut(len).ok_or(Error::BceSignatureFormatInvalid {
                        reason: BceFormat::SignedHeaders,
                    })? = name;
                    len += 1;
                }
                Ok(out.get(..len).unwrap_or_default())
            }
        }
    }
}

/// Whether `names` holds `name`, ignoring ASCII case.
fn holds(names: &[&str], name: &str) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Whether `name` starts `x-bce-` (any case) and goes on.
#[inline]
fn is_bce(name: &str) -> bool {
    // The letters compared with bit 0x20 set (lower case), the dashes exactly: no other byte
    // maps onto them.
    const MASK: u64 = u64::from_le_bytes([0x20, 0, 0x20, 0x20, 0x20, 0, 0, 0]);
    const PREFIX: u64 = u64::from_le_bytes(*b"x-bce-\0\0");
    match name.as_bytes().first_chunk::<6>() {
        Some(&[a, b, c, d, e, f]) if name.len() > 6 => {
            u64::from_le_bytes([a, b, c, d, e, f, 0, 0]) | MASK == PREFIX
        }
        _ => false,
    }
}

/// Whether a header of this name is signed: in `names` (the selection), or `x-bce-*` other than
/// the carrier.
#[inline]
fn signs(names: &[&str], name: &str) -> bool {
    if is_bce(name) {
        !name.eq_ignore_ascii_case(CARRIER_HEADER)
    } else {
        holds(names, name)
    }
}

/// Index base for the headers a signer adds (they are not in the request).
const ADDED_BASE: u16 = u16::MAX - 2;

/// The signed headers of one request, in canonical order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SignedHeaders<'a> {
    request: &'a [Header<'a>],
    added: [Header<'a>; 2],
    index: [u16; MAX_SIGNED_HEADERS],
    len: usize,
}

impl<'a> SignedHeaders<'a> {
    /// Selects the signed headers of `request` plus `added` (headers a signer is adding, at most
    /// two): those `selection` names and every `x-bce-*` but the carrier, each with a non-empty
    /// trimmed value, sorted by their canonical lines.
    ///
    /// # Errors
    ///
    /// `SignatureFormatInvalid`: an explicit selection without `host`, a listed header absent, a
    /// signed header repeated, more than [`MAX_SIGNED_HEADERS`].
    pub(crate) fn select(
        request: &'a [Header<'a>],
        added: &[Header<'a>],
        selection: Selection<'_>,
    ) -> Result<Self, Error> {
        let format = |reason| Error::BceSignatureFormatInvalid { reason };
        if request.len() >= usize::from(ADDED_BASE) {
            return Err(RequestError::TooManyHeaders.into());
        }
        let mut signed = SignedHeaders {
            request,
            added: [Header::new("", ""); 2],
            index: [0; MAX_SIGNED_HEADERS],
            len: 0,
        };
        for (slot, header) in signed.added.iter_mut().zip(added) {
            *slot = *header;
        }
        let added = signed.added.get(..added.len().min(2)).unwrap_or_default();
        // Plain loops over the two slices: cheaper than a chained iterator.
        let present = |name: &str| {
            request.iter().any(|h| h.name.eq_ignore_ascii_case(name))
                || added.iter().any(|h| h.name.eq_ignore_ascii_case(name))
        };

        let mut split = [""; MAX_SIGNED_HEADERS];
        let names = selection.names(&mut split)?;
        if !matches!(selection, Selection::Default) {
            if !holds(names, "host") {
                return Err(format(BceFormat::HostNotSigned));
            }
            // The carrier cannot sign itself.
            if holds(names, CARRIER_HEADER) {
                return Err(format(BceFormat::SignedHeaders));
            }
            if !names.iter().all(|name| present(name)) {
                return Err(format(BceFormat::MissingHeader));
            }
        }

        let mut len = 0usize;
        // Whether every signed name is unreserved text, so that its canonical form is its lower
        // case: the common case, sorted without encoding.
        let mut plain = true;
        for (position, header) in request.iter().chain(added).enumerate() {
            if !signs(names, header.name) {
                continue;
            }
            // The headers before this one, in the request and among those added.
            let (before, added_before) = match position.checked_sub(request.len()) {
                None => (request.get(..position).unwrap_or_default(), &[][..]),
                Some(k) => (request, added.get(..k).unwrap_or_default()),
            };
            let named = |h: &Header<'_>| h.name.eq_ignore_ascii_case(header.name);
            if before.iter().any(named) || added_before.iter().any(named) {
                return Err(format(BceFormat::RepeatedHeader));
            }
            if header.value.len() > MAX_HEADER_VALUE_LEN {
                return Err(RequestError::HeaderValueTooLong.into());
            }
            if trim_ows(header.value).is_empty() {
                continue;
            }
            let i = match position.checked_sub(request.len()) {
                None => u16::try_from(position).unwrap_or_default(),
                Some(k) => ADDED_BASE + u16::try_from(k).unwrap_or_default(),
            };
            *signed
                .index
                .get_mut(len)
                .ok_or_else(|| format(BceFormat::TooManyHeaders))? = i;
            len += 1;
            plain &= header.name.bytes().all(|b| keeps(b, KEEP_UNRESERVED));
        }
        signed.len = len;
        let mut index = signed.index;
        index
            .get_mut(..len)
            .unwrap_or_default()
            .sort_unstable_by(|&a, &b| {
                let (a, b) = (signed.header(a), signed.header(b));
                if plain {
                    cmp_plain_names(a.name, b.name)
                } else {
                    canonical_line(a).cmp(canonical_line(b))
                }
            });
        signed.index = index;
        Ok(signed)
    }

    fn header(&self, i: u16) -> &Header<'a> {
        const EMPTY: &Header<'static> = &Header::new("", "");
        if i >= ADDED_BASE {
            self.added.get(usize::from(i - ADDED_BASE)).unwrap_or(EMPTY)
        } else {
            self.request.get(usize::from(i)).unwrap_or(EMPTY)
        }
    }

    /// The signed headers, in canonical order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Header<'a>> {
        self.index.iter().take(self.len).map(|&i| self.header(i))
    }

    /// The trimmed value of the signed header `name`, if it is signed.
    pub(crate) fn value_of(&self, name: &str) -> Option<&'a [u8]> {
        self.iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| trim_ows(h.value))
    }

    /// Appends the signed names, lower case, sorted, `;`-separated: the signer's explicit list.
    pub(crate) fn write_names(&self, out: &mut String) {
        let mut names = [""; MAX_SIGNED_HEADERS];
        for (slot, header) in names.iter_mut().zip(self.iter()) {
            *slot = header.name;
        }
        let names = names.get_mut(..self.len).unwrap_or_default();
        push_sorted_names(names, ';', out);
    }

    fn write(&self, sink: &mut impl Sink) {
        for (i, header) in self.iter().enumerate() {
            if i > 0 {
                sink.put(b"\n");
            }
            put_lower_encoded(header.name, sink);
            sink.put(b":");
            put_encoded(trim_ows(header.value), false, sink);
        }
    }
}

/// Orders two distinct (ignoring case) header names made of unreserved characters as their
/// canonical lines sort: `lower(name) ":" …`. Distinct names decide before the values do, and
/// a name that is a prefix of the other compares its `:` with the other's next character.
fn cmp_plain_names(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    let common = a.len().min(b.len());
    let next = |s: &[u8]| s.get(common).map_or(b':', u8::to_ascii_lowercase);
    next(a).cmp(&next(b))
}

/// `UriEncode(lower(name)):UriEncode(trimmed value)`, as bytes.
fn canonical_line<'h>(header: &'h Header<'_>) -> impl Iterator<Item = u8> + 'h {
    encoded(header.name.bytes().map(|b| b.to_ascii_lowercase()), false)
        .chain(once(b':'))
        .chain(encoded(trim_ows(header.value).iter().copied(), false))
}

/// `CLASS` bits: an unreserved character `A-Z a-z 0-9 - . _ ~` ...
const KEEP_UNRESERVED: u8 = 1;
/// ... or `/` (with the first, what a path keeps) ...
const KEEP_PATH: u8 = 1 | 2;
/// ... a hex digit `UriEncode` writes (`0-9 A-F`) ...
const UPPER_HEX: u8 = 4;
/// ... a lower-case hex digit `a-f`.
const LOWER_HEX: u8 = 8;

/// The class of every byte, as `CLASS` bits.
// Built at compile time: an index out of range would fail the build, not panic at run time.
#[allow(clippy::indexing_slicing)]
const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'0'..=b'9' | b'A'..=b'F' => KEEP_UNRESERVED | UPPER_HEX,
            b'a'..=b'f' => KEEP_UNRESERVED | LOWER_HEX,
            b'G'..=b'Z' | b'g'..=b'z' | b'-' | b'.' | b'_' | b'~' => KEEP_UNRESERVED,
            b'/' => 2,
            _ => 0,
        };
        b += 1;
    }
    table
};

#[inline]
fn class(b: u8) -> u8 {
    CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

/// Whether `UriEncode` keeps `b` under `mask` ([`KEEP_UNRESERVED`] or [`KEEP_PATH`]).
#[inline]
fn keeps(b: u8, mask: u8) -> bool {
    class(b) & mask != 0
}

/// Whether `b` is a hex digit, either case.
#[inline]
fn is_hex(b: u8) -> bool {
    class(b) & (UPPER_HEX | LOWER_HEX) != 0
}

/// Writes `bytes[start..end]` unless it is empty.
#[inline]
fn put_run(bytes: &[u8], start: usize, end: usize, sink: &mut impl Sink) {
    if let Some(run) = bytes.get(start..end).filter(|run| !run.is_empty()) {
        sink.put(run);
    }
}

/// Writes `UriEncode(lower(name))`.
fn put_lower_encoded(name: &str, sink: &mut impl Sink) {
    for chunk in name.as_bytes().chunks(64) {
        let mut buf = [0u8; 64];
        let lower = buf.get_mut(..chunk.len()).unwrap_or_default();
        lower.copy_from_slice(chunk);
        lower.make_ascii_lowercase();
        put_encoded(lower, false, sink);
    }
}

/// Writes `UriEncode(decode(raw))` (keeping what `mask` keeps) for validated wire text, in runs:
/// unreserved characters, and escapes already canonical (upper-case hex of a byte `UriEncode`
/// escapes), are copied as they are; every other byte or escape is re-encoded. A `%` that starts
/// no escape (never in validated text) is a literal `%`, as [`Decoded`] reads it.
fn put_canonical(raw: &[u8], plus: Plus, mask: u8, sink: &mut impl Sink) {
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if keeps(b, mask) {
            i += 1;
            continue;
        }
        let (decoded, width) = match b {
            b'%' => match raw.get(i + 1..i + 3) {
                Some(&[h, l]) if is_hex(h) && is_hex(l) => {
                    let d = (hex(h) << 4) | hex(l);
                    if class(h) & class(l) & UPPER_HEX != 0 && !keeps(d, mask) {
                        // Already `UriEncode`'s escape: part of the run.
                        i += 3;
                        continue;
                    }
                    (d, 3)
                }
                _ => (b'%', 1),
            },
            b'+' if plus == Plus::Space => (b' ', 1),
            _ => (b, 1),
        };
        put_run(raw, start, i, sink);
        if keeps(decoded, mask) {
            sink.put(&[decoded]);
        } else {
            put_escape(decoded, sink);
        }
        i += width;
        start = i;
    }
    put_run(raw, start, raw.len(), sink);
}

/// The most query items canonicalized in the stack buffer, and its size. A query whose items
/// could need more (each raw byte is at most three canonical bytes, each item one `=` more) is
/// sorted when the request is built instead.
const FAST_PARAMS: usize = 32;
const QUERY_SCRATCH: usize = 1024;

/// A fixed stack buffer as a sink. Writes past its end are dropped; callers bound their output.
struct Scratch {
    buf: [u8; QUERY_SCRATCH],
    len: usize,
}

impl Sink for Scratch {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
            self.len = end;
        }
    }
}

/// Sorts `params` by their canonical `key=value` strings, compared as streams.
fn sort_params(params: &mut Params, sources: Sources<'_>) {
    params.as_mut_slice().sort_unstable_by(|a, b| {
        let line = |p| {
            let (key, value, plus) = sources.text(p);
            encoded(Decoded::new(key, plus), false)
                .chain(once(b'='))
                .chain(encoded(Decoded::new(value, plus), false))
        };
        line(a).cmp(line(b))
    });
}

/// The canonical request of one request. `Display` writes it as text.
#[derive(Clone, Debug)]
pub struct CanonicalRequest<'a> {
    method: &'a str,
    path: &'a str,
    sources: Sources<'a>,
    /// `authorization` left out; sorted by their canonical `key=value` strings when `presorted`,
    /// else sorted as they are written.
    params: Params,
    presorted: bool,
    headers: SignedHeaders<'a>,
}

impl<'a> CanonicalRequest<'a> {
    /// Canonicalizes `request` with its selected signed headers.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a method, target, escape or decoded text that is not valid.
    #[inline]
    pub(crate) fn new(request: &Request<'a>, headers: SignedHeaders<'a>) -> Result<Self, Error> {
        request.check_method_and_target_shape()?;
        let (path, query) = request.path_and_query();
        validate_wire(path)?;
        let sources = Sources { query, form: "" };
        let mut params = Params::default();
        params.add_all(sources.query, false, |key, plus| {
            !decoded_eq_ignore_ascii_case(key, plus, "authorization")
        })?;
        let count = params.as_slice().len();
        let presorted = count > FAST_PARAMS || 3 * sources.query.len() + count > QUERY_SCRATCH;
        if presorted {
            sort_params(&mut params, sources);
        }
        Ok(CanonicalRequest {
            method: request.method(),
            path,
            sources,
            params,
            presorted,
            headers,
        })
    }

    /// Writes the canonical query string.
    fn write_query(&self, sink: &mut impl Sink) {
        let params = self.params.as_slice();
        if self.presorted {
            for (i, param) in params.iter().enumerate() {
                if i > 0 {
                    sink.put(b"&");
                }
                let (key, value, plus) = self.sources.text(param);
                put_canonical(key.as_bytes(), plus, KEEP_UNRESERVED, sink);
                sink.put(b"=");
                put_canonical(value.as_bytes(), plus, KEEP_UNRESERVED, sink);
            }
            return;
        }
        // At most FAST_PARAMS items of at most QUERY_SCRATCH bytes in all (checked in `new`).
        let mut scratch = Scratch {
            buf: [0; QUERY_SCRATCH],
            len: 0,
        };
        let mut spans = [(0u16, 0u16); FAST_PARAMS];
        for (span, param) in spans.iter_mut().zip(params) {
            let start = scratch.len;
            let (key, value, plus) = self.sources.text(param);
            put_canonical(key.as_bytes(), plus, KEEP_UNRESERVED, &mut scratch);
            scratch.put(b"=");
            put_canonical(value.as_bytes(), plus, KEEP_UNRESERVED, &mut scratch);
            let at = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
            *span = (at(start), at(scratch.len));
        }
        let spans = spans
            .get_mut(..params.len().min(FAST_PARAMS))
            .unwrap_or_default();
        let text = |&(start, end): &(u16, u16)| {
            scratch
                .buf
                .get(usize::from(start)..usize::from(end))
                .unwrap_or_default()
        };
        spans.sort_unstable_by(|a, b| text(a).cmp(text(b)));
        for (i, span) in spans.iter().enumerate() {
            if i > 0 {
                sink.put(b"&");
            }
            sink.put(text(span));
        }
    }
}

impl Message for CanonicalRequest<'_> {
    fn write_to(&self, sink: &mut impl Sink) {
        let mut sink = Buffered::new(sink);
        sink.put_mapped(self.method.as_bytes(), u8::to_ascii_uppercase);
        sink.put(b"\n");
        if self.path.is_empty() {
            sink.put(b"/");
        } else {
            put_canonical(self.path.as_bytes(), Plus::Literal, KEEP_PATH, &mut sink);
        }
        sink.put(b"\n");
        self.write_query(&mut sink);
        sink.put(b"\n");
        self.headers.write(&mut sink);
        sink.flush();
    }
}

impl fmt::Display for CanonicalRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_message(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::TextSink;
    use proptest::prelude::*;

    fn canonical(
        method: &str,
        target: &str,
        headers: &[Header<'_>],
        selection: Selection<'_>,
    ) -> Result<String, Error> {
        let request = Request::new(method, target, headers, b"");
        let signed = SignedHeaders::select(headers, &[], selection)?;
        Ok(CanonicalRequest::new(&request, signed)?.to_string())
    }

    fn lines(text: &str) -> Vec<String> {
        text.split('\n').map(str::to_owned).collect()
    }

    #[test]
    fn the_documented_query_example() {
        let text = canonical(
            "GET",
            "/?text&text1=%E6%B5%8B%E8%AF%95&text10=test",
            &[Header::new("Host", "h")],
            Selection::Default,
        )
        .unwrap();
        assert_eq!(
            lines(&text)[2],
            "text10=test&text1=%E6%B5%8B%E8%AF%95&text="
        );
    }

    #[test]
    fn the_documented_path_example() {
        let text = canonical(
            "get",
            "/example/%E6%B5%8B%E8%AF%95",
            &[Header::new("Host", "h")],
            Selection::Default,
        )
        .unwrap();
        assert_eq!(lines(&text)[..2], ["GET", "/example/%E6%B5%8B%E8%AF%95"]);
        let raw_slash = canonical(
            "GET",
            "/a%2Fb/~%7e/c+d",
            &[Header::new("Host", "h")],
            Selection::Default,
        )
        .unwrap();
        assert_eq!(lines(&raw_slash)[1], "/a/b/~~/c%2Bd");
    }

    #[test]
    fn the_documented_headers_example() {
        let headers = [
            Header::new("Host", "localhost"),
            Header::new("x-bce-a", "a/b:c"),
            Header::new("C", ""),
            Header::new("Content-MD5", "MD5"),
        ];
        let text = canonical("GET", "/", &headers, Selection::Default).unwrap();
        assert_eq!(
            text,
            "GET\n/\n\ncontent-md5:MD5\nhost:localhost\nx-bce-a:a%2Fb%3Ac"
        );
    }

    #[test]
    fn authorization_is_dropped_and_plus_is_literal() {
        let text = canonical(
            "GET",
            "/?b=1+2&Authorization=x&a=%7e&c",
            &[Header::new("Host", "h")],
            Selection::Default,
        )
        .unwrap();
        assert_eq!(lines(&text)[2], "a=~&b=1%2B2&c=");
    }

    #[test]
    fn explicit_lists_add_x_bce_headers_and_need_host() {
        let headers = [
            Header::new("Host", "h"),
            Header::new("x-bce-date", " d "),
            Header::new("Content-Type", "t"),
            Header::new("X-Bce-Signature", "s"),
        ];
        let text = canonical("GET", "/", &headers, Selection::Listed("host")).unwrap();
        assert_eq!(lines(&text)[3..], ["host:h", "x-bce-date:d"]);
        let err = canonical("GET", "/", &headers, Selection::Listed("content-type")).unwrap_err();
        assert_eq!(
            err,
            Error::BceSignatureFormatInvalid {
                reason: BceFormat::HostNotSigned
            }
        );
        let err =
            canonical("GET", "/", &headers, Selection::Listed("host;content-md5")).unwrap_err();
        assert_eq!(
            err,
            Error::BceSignatureFormatInvalid {
                reason: BceFormat::MissingHeader
            }
        );
        let err = canonical(
            "GET",
            "/",
            &headers,
            Selection::Listed("host;x-bce-signature"),
        )
        .unwrap_err();
        assert_eq!(
            err,
            Error::BceSignatureFormatInvalid {
                reason: BceFormat::SignedHeaders
            }
        );
        let twice = [Header::new("Host", "h"), Header::new("host", "h")];
        let err = canonical("GET", "/", &twice, Selection::Default).unwrap_err();
        assert_eq!(
            err,
            Error::BceSignatureFormatInvalid {
                reason: BceFormat::RepeatedHeader
            }
        );
    }

    #[test]
    fn whole_lines_sort_not_names() {
        // ":" (0x3A) sorts after "-" (0x2D): "x-bce-a-b:…" comes before "x-bce-a:…".
        let headers = [
            Header::new("Host", "h"),
            Header::new("x-bce-a", "1"),
            Header::new("x-bce-a-b", "2"),
        ];
        let text = canonical("GET", "/", &headers, Selection::Default).unwrap();
        assert_eq!(lines(&text)[3..], ["host:h", "x-bce-a-b:2", "x-bce-a:1"]);
    }

    fn reference_canonical(raw: &str, plus: Plus, keep_slash: bool) -> Vec<u8> {
        encoded(Decoded::new(raw, plus), keep_slash).collect()
    }

    fn ours(raw: &str, plus: Plus, mask: u8) -> Vec<u8> {
        let mut sink = TextSink::default();
        put_canonical(raw.as_bytes(), plus, mask, &mut sink);
        sink.0
    }

    #[test]
    fn put_canonical_matches_decode_then_encode_on_edge_cases() {
        for raw in [
            "",
            "%",
            "%4",
            "%zz",
            "%%41",
            "a%2fb",
            "a%2Fb",
            "%7e%7E~",
            "%41%61",
            "%e4%B8%ad",
            "%E4%B8%AD",
            "+ +",
            "a,b:c",
            "中文",
            "/a//b/",
            "%2F%2f",
            "%25",
            "%20x%3A",
        ] {
            for plus in [Plus::Literal, Plus::Space] {
                assert_eq!(
                    ours(raw, plus, KEEP_UNRESERVED),
                    reference_canonical(raw, plus, false),
                    "{raw:?}"
                );
                assert_eq!(
                    ours(raw, plus, KEEP_PATH),
                    reference_canonical(raw, plus, true),
                    "{raw:?}"
                );
            }
        }
    }

    /// Text rich in what canonicalization treats specially.
    fn wire_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                "a",
                "Z",
                "0",
                "9",
                "f",
                "F",
                "-",
                ".",
                "_",
                "~",
                "/",
                "+",
                "=",
                "%",
                "%2",
                "%2F",
                "%2f",
                "%41",
                "%7e",
                "%7E",
                "%E4%B8%AD",
                "%e4%b8%ad",
                "%20",
                "%3A",
                "%3a",
                " ",
                ":",
                ",",
                "中",
                "é",
                "*",
                "!",
            ]),
            0..12,
        )
        .prop_map(|pieces| pieces.concat())
    }

    /// [`wire_text`] that a request line can carry and that decodes: no space, no broken
    /// escape.
    fn valid_wire_text() -> impl Strategy<Value = String> {
        wire_text().prop_filter("valid wire text", |t| validate_wire(t).is_ok())
    }

    proptest::proptest! {
        #[test]
        fn put_canonical_matches_decode_then_encode(raw in wire_text()) {
            for plus in [Plus::Literal, Plus::Space] {
                proptest::prop_assert_eq!(
                    ours(&raw, plus, KEEP_UNRESERVED),
                    reference_canonical(&raw, plus, false)
                );
                proptest::prop_assert_eq!(
                    ours(&raw, plus, KEEP_PATH),
                    reference_canonical(&raw, plus, true)
                );
            }
            let mut sink = TextSink::default();
            put_encoded(raw.as_bytes(), false, &mut sink);
            proptest::prop_assert_eq!(sink.0, encoded(raw.bytes(), false).collect::<Vec<u8>>());
        }

        #[test]
        fn the_stack_sort_and_the_streamed_sort_agree(
            items in proptest::collection::vec((valid_wire_text(), proptest::option::of(valid_wire_text())), 0..12)
        ) {
            let query: Vec<String> = items
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => format!("{}={}", k.replace(['&', '='], ""), v.replace('&', "")),
                    None => k.replace(['&', '='], ""),
                })
                .collect();
            let target = format!("/?{}", query.join("&"));
            let headers = [Header::new("Host", "h")];
            let request = Request::new("GET", &target, &headers, b"");
            let signed = SignedHeaders::select(&headers, &[], Selection::Default).unwrap();
            let fast = CanonicalRequest::new(&request, signed).unwrap();
            let mut slow = fast.clone();
            sort_params(&mut slow.params, slow.sources);
            slow.presorted = true;
            proptest::prop_assert_eq!(fast.to_string(), slow.to_string());
        }

        #[test]
        fn plain_names_sort_as_their_lines(
            names in proptest::collection::btree_set("[a-cA-C.~_-]{1,4}", 1..8)
        ) {
            // Distinct ignoring case, as signed names are.
            let mut lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
            lower.dedup();
            let unique: Vec<&String> = names
                .iter()
                .filter(|n| lower.iter().filter(|l| l.eq_ignore_ascii_case(n)).count() == 1)
                .collect();
            let headers: Vec<Header<'_>> = unique.iter().map(|n| Header::new(n, "v")).collect();
            for a in &headers {
                for b in &headers {
                    if a.name.eq_ignore_ascii_case(b.name) {
                        continue;
                    }
                    proptest::prop_assert_eq!(
                        cmp_plain_names(a.name, b.name),
                        canonical_line(a).cmp(canonical_line(b)),
                        "{} {}", a.name, b.name
                    );
                }
            }
        }
    }

    #[test]
    fn long_queries_take_the_streamed_sort() {
        let items: Vec<String> = (0..40)
            .rev()
            .map(|i| format!("k{i:02}=%e4%b8%ad"))
            .collect();
        let target = format!("/?{}", items.join("&"));
        let text = canonical(
            "GET",
            &target,
            &[Header::new("Host", "h")],
            Selection::Default,
        )
        .unwrap();
        let mut expected: Vec<String> = (0..40).map(|i| format!("k{i:02}=%E4%B8%AD")).collect();
        expected.sort();
        assert_eq!(lines(&text)[2], expected.join("&"));
        // At the stack buffer's bound (3 * len + items == QUERY_SCRATCH, every byte tripled) and
        // one past it.
        for commas in [341, 342] {
            let target = format!("/?{}", ",".repeat(commas));
            let text = canonical(
                "GET",
                &target,
                &[Header::new("Host", "h")],
                Selection::Default,
            )
            .unwrap();
            assert_eq!(lines(&text)[2], format!("{}=", "%2C".repeat(commas)));
        }
        assert_eq!(3 * 341 + 1, QUERY_SCRATCH);
    }

    #[test]
    fn the_bce_prefix_test_matches_std() {
        let original = |name: &str| {
            name.len() > 6
                && name
                    .as_bytes()
                    .get(..6)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"x-bce-"))
        };
        for base in ["x-bce-date", "X-BCE-D", "x-bce-", "x-bc", ""] {
            for at in 0..base.len() {
                for b in 0..=127u8 {
                    let mut name = base.as_bytes().to_vec();
                    name[at] = b;
                    let name = String::from_utf8(name).unwrap();
                    assert_eq!(is_bce(&name), original(&name), "{name:?}");
                }
            }
            assert_eq!(is_bce(base), original(base), "{base:?}");
        }
        assert!(is_bce("x-bce-中"));
    }

    #[test]
    fn added_headers_take_part() {
        let headers = [Header::new("Host", "h")];
        let added = [Header::new("x-bce-date", "2015-04-27T08:23:49Z")];
        let signed = SignedHeaders::select(&headers, &added, Selection::Default).unwrap();
        let mut names = String::new();
        signed.write_names(&mut names);
        assert_eq!(names, "host;x-bce-date");
        assert_eq!(
            signed.value_of("X-BCE-DATE"),
            Some(&b"2015-04-27T08:23:49Z"[..])
        );
    }
}
