//! The borrowed view of an HTTP request that signers and verifiers read, and the HTTP text
//! rules they share.
//!
//! The crate depends on no HTTP library: a [`Request`] is a method, an origin-form request target
//! (`/path?query`, exactly as it travels on the wire), a slice of [`Header`]s and, when the caller
//! has it, the body bytes. Nothing is copied.
//!
//! Also here: [`RequestError`], the one header lookup ([`find_each`], with repeat detection;
//! [`Sent`], the headers as a signer sends them), HTTP tokens and optional whitespace, and
//! splitting text at an ASCII byte.

use core::fmt;

use crate::limits::{MAX_HEADER_VALUE_LEN, MAX_TARGET_LEN};

/// A request the crate cannot canonicalize or sign: bad input rather than a bad signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The method is not an HTTP token.
    #[error("the method is not an HTTP token")]
    InvalidMethod,
    /// The target is not origin-form (`/path?query`, no spaces, controls or fragment).
    #[error("the request target is not an origin-form target (/path?query)")]
    InvalidTarget,
    /// The target is longer than [`MAX_TARGET_LEN`](crate::limits::MAX_TARGET_LEN).
    #[error("the request target is too long")]
    TargetTooLong,
    /// A `%` is not followed by two hex digits.
    #[error("a percent escape is not followed by two hex digits")]
    BrokenPercentEscape,
    /// A decoded path, key or value is not UTF-8.
    #[error("a decoded path, key or value is not UTF-8")]
    InvalidUtf8,
    /// More parameters than [`MAX_PARAMETERS`](crate::limits::MAX_PARAMETERS).
    #[error("too many query and form parameters")]
    TooManyParameters,
    /// A form body larger than [`MAX_FORM_BODY_LEN`](crate::limits::MAX_FORM_BODY_LEN).
    #[error("the form body is too large")]
    BodyTooLarge,
    /// The form body is part of the signature but the request was given without its body.
    #[error("the form body is signed but the request was given without its body")]
    BodyUnavailable,
    /// The body is a stream, whose bytes a signer cannot read without consuming it (an HTTP
    /// client adapter's request).
    #[error("the body is a stream: a signer needs its bytes (build it from bytes, text, JSON or a form)")]
    StreamingBody,
    /// A header name is not an HTTP token.
    #[error("a header name is not an HTTP token")]
    InvalidHeaderName,
    /// A signed header value holds CR, LF or NUL.
    #[error("a signed header value holds CR, LF or NUL")]
    InvalidHeaderValue,
    /// A signed header value is longer than
    /// [`MAX_HEADER_VALUE_LEN`](crate::limits::MAX_HEADER_VALUE_LEN).
    #[error("a signed header value is too long")]
    HeaderValueTooLong,
    /// The request has more than 65 533 headers, more than a signer or verifier looks through.
    #[error("too many headers")]
    TooManyHeaders,
    /// More signed headers than [`MAX_SIGNED_HEADERS`](crate::limits::MAX_SIGNED_HEADERS) (for
    /// BCE, more headers by signed names, those with an empty value included).
    #[error("too many signed headers")]
    TooManySignedHeaders,
    /// Form parameters were given without `Content-Type: application/x-www-form-urlencoded`.
    #[error("form parameters need Content-Type: application/x-www-form-urlencoded")]
    FormWithoutContentType,
    /// The key id (or AppCode) is empty or holds a character its scheme cannot carry: a double
    /// quote or control character (Tencent), a `/`, space or control character (BCE).
    #[error("the key id is empty or holds a character the scheme cannot carry")]
    InvalidKeyId,
    /// App mode signs `X-Date`; the `Date` header was asked for.
    #[error("app mode signs the X-Date header, not Date")]
    DateHeaderNotAllowed,
    /// A header the signer was asked to sign is not in the request.
    #[error("a header to sign is not in the request")]
    MissingHeaderToSign,
    /// A header the signer was asked to sign appears more than once (so would `Accept`,
    /// `Content-Type` or `Content-MD5` in app mode).
    #[error("a header to sign appears more than once in the request")]
    RepeatedHeaderToSign,
    /// BCE: the headers the signer was asked to sign leave out `host`, which `bce-auth-v1`
    /// always signs.
    #[error("the headers to sign must include host (bce-auth-v1 always signs it)")]
    HostNotSigned,
    /// BCE: the request has no `Host` header, which `bce-auth-v1` always signs.
    #[error("the request has no Host header (bce-auth-v1 always signs it)")]
    MissingHost,
    /// The carrier cannot carry a signature (AppCode).
    #[error("the AppCode carrier carries no signature")]
    UnsupportedCarrier,
    /// The secret could not key the MAC.
    #[error("the secret cannot key the MAC")]
    UnusableSecret,
}

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
///
/// Exhaustive on purpose: a gateway API allows HTTP, HTTPS or both, and nothing else.
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

    /// The path and the raw query, split at the first `?`.
    pub(crate) fn path_and_query(&self) -> (&'a str, &'a str) {
        split_once(self.target, b'?').unwrap_or((self.target, ""))
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

    /// Where each of `names` is in the headers ([`find_each`]).
    pub(crate) fn find_each<const N: usize>(&self, names: [&str; N]) -> [Found<'a>; N] {
        find_each(self.headers.iter().enumerate(), names)
    }

    /// Where the header `name` is.
    pub(crate) fn find(&self, name: &str) -> Found<'a> {
        let [found] = self.find_each([name]);
        found
    }
}

/// Most headers a request may have: more is [`RequestError::TooManyHeaders`] for a signer or
/// verifier that looks through them all. A header's position among them (and the two a signer
/// may set) fits a `u16`.
const MAX_HEADERS: usize = 65_533;

/// A request's headers as a signer sends them: the headers it sets (the date header; BCE's
/// `x-bce-date` and `X-Bce-Stage`) replace any of the same name. A verifier sets none.
///
/// Each header has a position: its index in the request, or for one the signer sets, the
/// request's length plus its index among those.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sent<'a> {
    request: &'a [Header<'a>],
    set: &'a [Header<'a>],
}

impl<'a> Sent<'a> {
    /// `request`'s headers with `set` (at most two) applied.
    ///
    /// # Errors
    ///
    /// [`RequestError::TooManyHeaders`] past 65 533 headers.
    pub(crate) fn new(
        request: &'a [Header<'a>],
        set: &'a [Header<'a>],
    ) -> Result<Self, RequestError> {
        if request.len() > MAX_HEADERS || set.len() > 2 {
            return Err(RequestError::TooManyHeaders);
        }
        Ok(Sent { request, set })
    }

    /// The headers in order with their positions: the request's (but those `set` replaces),
    /// then `set`.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u16, &'a Header<'a>)> + Clone {
        let set = self.set;
        let replaced =
            move |h: &Header<'_>| set.iter().any(|s| s.name.eq_ignore_ascii_case(h.name));
        let request = (0..=u16::MAX)
            .zip(self.request)
            .filter(move |(_, h)| !replaced(h));
        // `new` bounds both lists: every position fits.
        let first_set = u16::try_from(self.request.len()).unwrap_or(u16::MAX);
        request.chain((first_set..=u16::MAX).zip(set))
    }

    /// The header at `position`.
    pub(crate) fn get(&self, position: u16) -> Option<&'a Header<'a>> {
        let position = usize::from(position);
        match position.checked_sub(self.request.len()) {
            None => self.request.get(position),
            Some(k) => self.set.get(k),
        }
    }

    /// Where the header `name` is among [`iter`](Self::iter)'s: in `set` when the signer sets
    /// it, else in the request.
    #[inline]
    pub(crate) fn find(&self, name: &str) -> Found<'a> {
        let positions = self.request.len()..;
        let [set] = find_each(positions.zip(self.set), [name]);
        if set.is_present() {
            return set;
        }
        let [found] = find_each(self.request.iter().enumerate(), [name]);
        found
    }
}

/// Where each of `names` (ASCII case-insensitive) is among `headers`: one pass over them,
/// finding the first occurrence of each name and whether it comes again. The one header lookup
/// of the crate.
pub(crate) fn find_each<'a, const N: usize>(
    headers: impl Iterator<Item = (usize, &'a Header<'a>)>,
    names: [&str; N],
) -> [Found<'a>; N] {
    let mut found = [Found::default(); N];
    for (index, header) in headers {
        for (slot, name) in found.iter_mut().zip(names) {
            if header.name.eq_ignore_ascii_case(name) {
                match slot.first {
                    None => slot.first = Some((index, header.value)),
                    Some(_) => slot.repeated = true,
                }
            }
        }
    }
    found
}

/// Where a header is in a request: its first occurrence (position and value), and whether the
/// name comes again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Found<'a> {
    pub(crate) first: Option<(usize, &'a [u8])>,
    pub(crate) repeated: bool,
}

impl<'a> Found<'a> {
    /// The value of a header that may appear once: `Ok(None)` when absent.
    pub(crate) fn single(self) -> Result<Option<&'a [u8]>, Repeated> {
        match self.first {
            _ if self.repeated => Err(Repeated),
            first => Ok(first.map(|(_, value)| value)),
        }
    }

    /// Whether the header is in the request at all.
    pub(crate) const fn is_present(self) -> bool {
        self.first.is_some()
    }
}

/// A header that should appear once appeared more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Repeated;

/// `text` split at every `sep` (an ASCII byte), as `str::split` splits it: a plain byte search
/// per piece.
///
/// Speed trick, kept for its figure: against `str::split(char)` / `str::split_once(char)`
/// (whose searcher is built for long haystacks), the typical request's verification costs
/// 8.0 % fewer instructions in Tencent app mode, 6.9 % in key-pair mode, 4.6 % for BCE
/// (callgrind). A property test compares both with `str`'s.
pub(crate) fn split(text: &str, sep: u8) -> Split<'_> {
    Split {
        rest: Some(text),
        sep,
    }
}

/// `text` split at the first `sep` (an ASCII byte), as `str::split_once` splits it.
#[inline]
pub(crate) fn split_once(text: &str, sep: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == sep)?;
    // `sep` is ASCII: `at` and `at + 1` are character boundaries.
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// The iterator of [`split`].
#[derive(Clone, Debug)]
pub(crate) struct Split<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once(rest, self.sep) {
            Some((piece, after)) => {
                self.rest = Some(after);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// Sorts `items` by their header names (`name` of each) byte-wise ignoring ASCII case and
/// appends the names to `out` in lower case, separated by `separator`: how both signers write
/// the list of what they signed.
pub(crate) fn push_sorted_names<'n, T>(
    items: &mut [T],
    name: impl Fn(&T) -> &'n str,
    separator: char,
    out: &mut String,
) {
    items.sort_unstable_by(|a, b| {
        let lower = |item| name(item).bytes().map(|c| c.to_ascii_lowercase());
        lower(a).cmp(lower(b))
    });
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(separator);
        }
        let start = out.len();
        out.push_str(name(item));
        if let Some(pushed) = out.get_mut(start..) {
            pushed.make_ascii_lowercase();
        }
    }
}

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
    // A fold rather than `any`: no early exit, so the compiler vectorizes it (key-pair verify
    // 7 665 → 7 597 instructions, callgrind).
    if value
        .iter()
        .fold(false, |bad, &b| bad | matches!(b, b'\r' | b'\n' | 0))
    {
        return Err(RequestError::InvalidHeaderValue);
    }
    Ok(trim_ows(value))
}

/// Whether `b` is optional whitespace (SP or HTAB, as HTTP defines it).
pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `value` without leading and trailing optional whitespace.
pub(crate) fn trim_ows(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|&b| !is_ows(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| !is_ows(b))
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

    proptest::proptest! {
        /// The byte splits against `str::split` and `str::split_once`.
        #[test]
        fn splits_as_std_splits_any_text(text in "[a &=中]{0,12}") {
            for sep in [b' ', b'&', b'='] {
                let std_sep = char::from(sep);
                proptest::prop_assert_eq!(
                    split(&text, sep).collect::<Vec<_>>(),
                    text.split(std_sep).collect::<Vec<_>>()
                );
                proptest::prop_assert_eq!(split_once(&text, sep), text.split_once(std_sep));
            }
        }
    }

    #[test]
    fn splits_as_std_splits() {
        for text in ["", "a", "a b", " a", "a ", "a  b", "  ", "中 文"] {
            assert_eq!(
                split(text, b' ').collect::<Vec<_>>(),
                text.split(' ').collect::<Vec<_>>()
            );
            assert_eq!(split_once(text, b' '), text.split_once(' '));
        }
    }

    #[test]
    fn finds_first_occurrences_and_repeats() {
        let headers = [
            Header::new("Host", "h"),
            Header::new("x-a", "1"),
            Header::new("X-A", "2"),
        ];
        let r = Request::new("GET", "/", &headers, b"");
        let [host, a, b] = r.find_each(["host", "x-a", "x-b"]);
        assert_eq!(host.single(), Ok(Some(&b"h"[..])));
        assert_eq!(a.first, Some((1, &b"1"[..])));
        assert_eq!(a.single(), Err(Repeated));
        assert!(!b.is_present() && b.single() == Ok(None));
        assert_eq!(r.find("HOST"), host);
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
