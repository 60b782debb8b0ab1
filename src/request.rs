//! The borrowed view of an HTTP request that signers and verifiers read.
//!
//! The crate depends on no HTTP library: a [`Request`] is a method, an origin-form request target
//! (`/path?query`, exactly as it travels on the wire), a slice of [`Header`]s and, when the caller
//! has it, the body bytes. Nothing is copied.

use core::fmt;

use crate::error::RequestError;
use crate::limits::{MAX_HEADER_VALUE_LEN, MAX_TARGET_LEN};

/// One header line: a name and its raw value bytes, as `httparse` hands them out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The header name, in any case.
    pub name: &'a str,
    /// The raw value bytes (HTTP allows bytes that are not UTF-8).
    pub value: &'a [u8],
}

impl<'a> Header<'a> {
    /// A header with a text value.
    pub const fn new(name: &'a str, value: &'a str) -> Self {
        Header {
            name,
            value: value.as_bytes(),
        }
    }

    /// A header with a raw byte value.
    pub const fn from_bytes(name: &'a str, value: &'a [u8]) -> Self {
        Header { name, value }
    }
}

impl<'a> From<(&'a str, &'a str)> for Header<'a> {
    fn from((name, value): (&'a str, &'a str)) -> Self {
        Header::new(name, value)
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {:?}",
            self.name,
            String::from_utf8_lossy(self.value)
        )
    }
}

/// The protocol a request arrived over (an API may allow only one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum Protocol {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Protocol {
    /// `HTTP` or `HTTPS`, as Tencent's messages spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Https => "HTTPS",
        }
    }
}

/// A borrowed HTTP request: what a signature covers.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    method: &'a str,
    target: &'a str,
    headers: &'a [Header<'a>],
    body: Option<&'a [u8]>,
}

impl<'a> Request<'a> {
    /// A request with its body. `target` is the origin-form request target as sent on the wire
    /// (`/path?query`, percent-encoded).
    pub const fn new(
        method: &'a str,
        target: &'a str,
        headers: &'a [Header<'a>],
        body: &'a [u8],
    ) -> Self {
        Request {
            method,
            target,
            headers,
            body: Some(body),
        }
    }

    /// The same request for a caller that does not have the body (a streaming proxy, say).
    ///
    /// A Tencent app-mode verifier then trusts the `Content-MD5` header instead of recomputing it,
    /// and cannot verify a form body's parameters (it reports
    /// [`RequestError::BodyUnavailable`]).
    #[must_use]
    pub const fn without_body(self) -> Self {
        Request { body: None, ..self }
    }

    /// The request method, as given.
    pub const fn method(&self) -> &'a str {
        self.method
    }

    /// The request target, as given.
    pub const fn target(&self) -> &'a str {
        self.target
    }

    /// The headers, as given.
    pub const fn headers(&self) -> &'a [Header<'a>] {
        self.headers
    }

    /// The body, when the caller supplied it.
    pub const fn body(&self) -> Option<&'a [u8]> {
        self.body
    }

    /// The path part of the target (before `?`).
    pub fn path(&self) -> &'a str {
        self.path_and_query().0
    }

    /// The raw query (after the first `?`), empty when there is none.
    pub fn query(&self) -> &'a str {
        self.path_and_query().1
    }

    /// The path and the raw query, split at the first `?` (one byte search; `str::split_once`
    /// costs more on targets this short).
    pub(crate) fn path_and_query(&self) -> (&'a str, &'a str) {
        match self.target.bytes().position(|b| b == b'?') {
            // `?` is ASCII: `at` and `at + 1` are character boundaries.
            Some(at) => (
                self.target.get(..at).unwrap_or_default(),
                self.target.get(at + 1..).unwrap_or_default(),
            ),
            None => (self.target, ""),
        }
    }

    /// Checks the method is an HTTP token and the target starts like an origin-form target and
    /// is bounded. Its bytes are checked as the canonicalizer reads them
    /// ([`validate_wire`](crate::encoding)).
    pub(crate) fn check_method_and_target_shape(&self) -> Result<(), RequestError> {
        if self.method.is_empty() || !self.method.bytes().all(is_tchar) {
            return Err(RequestError::InvalidMethod);
        }
        if self.target.len() > MAX_TARGET_LEN {
            return Err(RequestError::TargetTooLong);
        }
        if !self.target.starts_with('/') {
            return Err(RequestError::InvalidTarget);
        }
        Ok(())
    }

    /// Every value of the header `name` (ASCII case-insensitive), in order.
    pub(crate) fn header_values<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// The single value of `name`: `Ok(None)` when absent, `Err(())` when it appears twice.
    pub(crate) fn unique_header(&self, name: &str) -> Result<Option<&'a [u8]>, Repeated> {
        // A plain loop: this runs for every verification, over every header.
        let mut found = None;
        for header in self.headers {
            if header.name.len() == name.len() && header.name.eq_ignore_ascii_case(name) {
                if found.is_some() {
                    return Err(Repeated);
                }
                found = Some(header.value);
            }
        }
        Ok(found)
    }
}

/// Splits `text` at every `sep` byte (an ASCII separator), yielding each piece with its byte
/// offset in `text`. Like `str::split`, an empty `text` yields one empty piece.
pub(crate) fn split_on(text: &str, sep: u8) -> SplitOn<'_> {
    SplitOn {
        rest: Some(text),
        offset: 0,
        sep,
    }
}

/// The iterator of [`split_on`].
#[derive(Clone, Debug)]
pub(crate) struct SplitOn<'a> {
    rest: Option<&'a str>,
    offset: usize,
    sep: u8,
}

impl<'a> Iterator for SplitOn<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        let rest = self.rest?;
        let offset = self.offset;
        match rest.bytes().position(|b| b == self.sep) {
            Some(at) => {
                // `sep` is ASCII, so `at` and `at + 1` are character boundaries.
                self.rest = rest.get(at + 1..);
                self.offset = offset + at + 1;
                Some((offset, rest.get(..at).unwrap_or_default()))
            }
            None => {
                self.rest = None;
                Some((offset, rest))
            }
        }
    }
}

/// The names of a space-separated header list (`headers="a b c"`).
pub(crate) fn header_names(list: &str) -> impl Iterator<Item = &str> + Clone {
    split_on(list, b' ').map(|(_, name)| name)
}

/// Sorts header `names` byte-wise ignoring ASCII case and appends them to `out` in lower case,
/// separated by `separator`: how both signers write the list of what they signed.
pub(crate) fn push_sorted_names(names: &mut [&str], separator: char, out: &mut String) {
    names.sort_unstable_by(|a, b| {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    });
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(separator);
        }
        let start = out.len();
        out.push_str(name);
        if let Some(pushed) = out.get_mut(start..) {
            pushed.make_ascii_lowercase();
        }
    }
}

/// A header that should appear once appeared more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Repeated;

/// `tchar` of RFC 9110 §5.6.2 (the characters of a method or header name), as a table.
// Built at compile time: an index out of range would fail the build, not panic at run time.
#[allow(clippy::indexing_slicing)]
const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8,
            b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`'
            | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z');
        b += 1;
    }
    table
};

/// Whether `b` is a `tchar` of RFC 9110 §5.6.2: a character of a method or header name.
#[inline]
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR.get(usize::from(b)).copied().unwrap_or(false)
}

/// Checks a header name is a non-empty token.
pub(crate) fn check_header_name(name: &str) -> Result<(), RequestError> {
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(RequestError::InvalidHeaderName);
    }
    Ok(())
}

/// Trims surrounding spaces and tabs, and refuses values that would break a line-oriented
/// string to sign (CR, LF, NUL) or exceed [`MAX_HEADER_VALUE_LEN`].
pub(crate) fn signable_value(value: &[u8]) -> Result<&[u8], RequestError> {
    if value.len() > MAX_HEADER_VALUE_LEN {
        return Err(RequestError::HeaderValueTooLong);
    }
    // A cheap, vectorizable screen first (CR, LF and NUL are all below 14), the exact test only
    // for the rare value that has such a byte.
    let low = value.iter().fold(0u8, |acc, &b| acc | u8::from(b < 14));
    if low != 0 && value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(RequestError::InvalidHeaderValue);
    }
    Ok(trim_ows(value))
}

/// `value` without leading and trailing optional whitespace (SP and HTAB, as HTTP defines it).
pub(crate) fn trim_ows(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    value.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_split_at_first_question_mark() {
        let r = Request::new("GET", "/a/b?x=1?y", &[], b"");
        assert_eq!(r.path(), "/a/b");
        assert_eq!(r.query(), "x=1?y");
        let r = Request::new("GET", "/a", &[], b"");
        assert_eq!((r.path(), r.query()), ("/a", ""));
    }

    #[test]
    fn split_on_matches_str_split() {
        for text in ["", "a", "a b", " a", "a ", "a  b", "  "] {
            let ours: Vec<&str> = header_names(text).collect();
            let std: Vec<&str> = text.split(' ').collect();
            assert_eq!(ours, std, "{text:?}");
        }
        let pieces: Vec<(usize, &str)> = split_on("ab&c&&d", b'&').collect();
        assert_eq!(pieces, [(0, "ab"), (3, "c"), (5, ""), (6, "d")]);
    }

    #[test]
    fn trims_only_ows() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"  "), b"");
        assert_eq!(trim_ows(b""), b"");
    }

    #[test]
    fn rejects_bad_lines() {
        let check =
            |method, target| Request::new(method, target, &[], b"").check_method_and_target_shape();
        assert_eq!(check("G T", "/"), Err(RequestError::InvalidMethod));
        assert_eq!(check("", "/"), Err(RequestError::InvalidMethod));
        assert_eq!(check("GET", "x"), Err(RequestError::InvalidTarget));
        assert_eq!(check("GET", "/a"), Ok(()));
        let long = format!("/{}", "a".repeat(MAX_TARGET_LEN));
        assert_eq!(check("GET", &long), Err(RequestError::TargetTooLong));
    }

    #[test]
    fn signable_values() {
        assert_eq!(signable_value(b" v "), Ok(&b"v"[..]));
        assert_eq!(signable_value(b"a\tb\x0bc"), Ok(&b"a\tb\x0bc"[..]));
        assert_eq!(
            signable_value(b"a\rb"),
            Err(RequestError::InvalidHeaderValue)
        );
        assert_eq!(
            signable_value(b"a\x00"),
            Err(RequestError::InvalidHeaderValue)
        );
        assert_eq!(
            signable_value(b"a\nb"),
            Err(RequestError::InvalidHeaderValue)
        );
        assert_eq!(
            signable_value(&[b'a'; MAX_HEADER_VALUE_LEN + 1]),
            Err(RequestError::HeaderValueTooLong)
        );
    }
}
