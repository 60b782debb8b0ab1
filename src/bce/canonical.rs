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

use core::fmt;
use core::iter::once;

use crate::bce::auth_string::AuthString;
use crate::encoding::{
    decoded_eq_ignore_ascii_case, encoded, is_canonical, validate_wire, write_encoded, Decoded,
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

    fn lists(&self, name: &str) -> bool {
        match self {
            Selection::Default => DEFAULT_SIGNED_HEADERS
                .iter()
                .any(|d| d.eq_ignore_ascii_case(name)),
            Selection::Listed(list) => {
                split_on(list, b';').any(|(_, n)| n.eq_ignore_ascii_case(name))
            }
            Selection::Names(names) => names.iter().any(|n| n.eq_ignore_ascii_case(name)),
        }
    }

    fn listed(&self) -> impl Iterator<Item = &str> {
        let (listed, names): (Option<&str>, &[&str]) = match self {
            Selection::Default => (None, &[]),
            Selection::Listed(list) => (Some(list), &[]),
            Selection::Names(names) => (None, names),
        };
        listed
            .into_iter()
            .flat_map(|l| split_on(l, b';').map(|(_, n)| n))
            .chain(names.iter().copied())
    }

    /// Whether a header of this name is signed: listed (or in the default set), or `x-bce-*`
    /// other than the carrier.
    fn signs(&self, name: &str) -> bool {
        if name.eq_ignore_ascii_case(CARRIER_HEADER) {
            return false;
        }
        let bce = name.len() > 6
            && name
                .get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-bce-"));
        bce || self.lists(name)
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
        let added_len = added.len().min(2);
        let all = || {
            request
                .iter()
                .enumerate()
                .map(|(i, h)| (u16::try_from(i).unwrap_or_default(), h))
                .chain(
                    signed
                        .added
                        .iter()
                        .take(added_len)
                        .enumerate()
                        .map(|(k, h)| (ADDED_BASE + k as u16, h)),
                )
        };
        if !matches!(selection, Selection::Default) {
            if !selection.lists("host") {
                return Err(format(BceFormat::HostNotSigned));
            }
            // The carrier cannot sign itself.
            if selection.lists(CARRIER_HEADER) {
                return Err(format(BceFormat::SignedHeaders));
            }
            for name in selection.listed() {
                if !all().any(|(_, h)| h.name.eq_ignore_ascii_case(name)) {
                    return Err(format(BceFormat::MissingHeader));
                }
            }
        }
        let mut index = [0u16; MAX_SIGNED_HEADERS];
        let mut len = 0usize;
        for (position, (i, header)) in all().enumerate() {
            if !selection.signs(header.name) {
                continue;
            }
            if all()
                .take(position)
                .any(|(_, earlier)| earlier.name.eq_ignore_ascii_case(header.name))
            {
                return Err(format(BceFormat::RepeatedHeader));
            }
            if header.value.len() > MAX_HEADER_VALUE_LEN {
                return Err(RequestError::HeaderValueTooLong.into());
            }
            if trim_ows(header.value).is_empty() {
                continue;
            }
            *index
                .get_mut(len)
                .ok_or_else(|| format(BceFormat::TooManyHeaders))? = i;
            len += 1;
        }
        index
            .get_mut(..len)
            .unwrap_or_default()
            .sort_unstable_by(|&a, &b| {
                canonical_line(signed.header(a)).cmp(canonical_line(signed.header(b)))
            });
        signed.index = index;
        signed.len = len;
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
            write_encoded(
                header.name.bytes().map(|b| b.to_ascii_lowercase()),
                false,
                sink,
            );
            sink.put(b":");
            let value = trim_ows(header.value);
            if is_canonical(value, false) {
                sink.put(value);
            } else {
                write_encoded(value.iter().copied(), false, sink);
            }
        }
    }
}

/// `UriEncode(lower(name)):UriEncode(trimmed value)`, as bytes.
fn canonical_line<'h>(header: &'h Header<'_>) -> impl Iterator<Item = u8> + 'h {
    encoded(header.name.bytes().map(|b| b.to_ascii_lowercase()), false)
        .chain(once(b':'))
        .chain(encoded(trim_ows(header.value).iter().copied(), false))
}

/// The canonical request of one request. `Display` writes it as text.
#[derive(Clone, Debug)]
pub struct CanonicalRequest<'a> {
    method: &'a str,
    path: &'a str,
    sources: Sources<'a>,
    /// Sorted by their canonical `key=value` strings; `authorization` left out.
    params: Params,
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
        let path = request.path();
        validate_wire(path)?;
        let sources = Sources {
            query: request.query(),
            form: "",
        };
        let mut params = Params::default();
        params.add_all(sources.query, false, |key, plus| {
            !decoded_eq_ignore_ascii_case(key, plus, "authorization")
        })?;
        params.as_mut_slice().sort_unstable_by(|a, b| {
            let line = |p| {
                let (key, value, plus) = sources.text(p);
                encoded(Decoded::new(key, plus), false)
                    .chain(once(b'='))
                    .chain(encoded(Decoded::new(value, plus), false))
            };
            line(a).cmp(line(b))
        });
        Ok(CanonicalRequest {
            method: request.method(),
            path,
            sources,
            params,
            headers,
        })
    }
}

/// Writes a decoded-then-encoded piece, as it is when it is already canonical.
fn write_canonical(raw: &str, plus: Plus, keep_slash: bool, sink: &mut impl Sink) {
    if is_canonical(raw.as_bytes(), keep_slash) {
        sink.put(raw.as_bytes());
    } else {
        write_encoded(Decoded::new(raw, plus), keep_slash, sink);
    }
}

impl Message for CanonicalRequest<'_> {
    fn write_to(&self, sink: &mut impl Sink) {
        let mut sink = Buffered::new(sink);
        for chunk in self.method.as_bytes().chunks(32) {
            let mut upper = [0u8; 32];
            let upper = upper.get_mut(..chunk.len()).unwrap_or_default();
            upper.copy_from_slice(chunk);
            upper.make_ascii_uppercase();
            sink.put(upper);
        }
        sink.put(b"\n");
        if self.path.is_empty() {
            sink.put(b"/");
        } else {
            write_canonical(self.path, Plus::Literal, true, &mut sink);
        }
        sink.put(b"\n");
        for (i, param) in self.params.as_slice().iter().enumerate() {
            if i > 0 {
                sink.put(b"&");
            }
            let (key, value, plus) = self.sources.text(param);
            write_canonical(key, plus, false, &mut sink);
            sink.put(b"=");
            write_canonical(value, plus, false, &mut sink);
        }
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
