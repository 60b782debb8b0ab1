//! The string to sign, for both modes: one canonicalizer shared by the signer, the verifier and
//! both `explain`s.
//!
//! Key-pair mode: one line `lower(name): value` per signed header, in the listed order, joined by
//! `\n`. App mode: those lines, then the method (upper case), `Accept`, `Content-Type`,
//! `Content-MD5` and `PathAndParameters`, all joined by `\n`, no trailing newline.
//!
//! [`StringToSign`] is data: it borrows the request and is written either into a MAC (streamed,
//! nothing allocated) or, through `Display`, as text.

use core::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::{Digest as _, Md5};

use crate::encoding::{decoded_eq, validate_wire, write_decoded, Plus};
use crate::error::Error;
use crate::headers::CONTENT_MD5;
use crate::limits::{MAX_DIGEST_BODY_LEN, MAX_FORM_BODY_LEN, MAX_SIGNED_HEADERS};
use crate::params::{self, Canonical, Param};
use crate::request::{signable_value, split, trim_ows, Found, Header, Request, RequestError, Sent};
use crate::sink::{display_message, put_lower, put_upper, Message, Sink};
use crate::sorted::{Params, Span};

/// Which of Tencent's two HMAC modes a signature uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// Key-pair authentication (legacy): only the listed headers are signed.
    KeyPair,
    /// Application authentication: headers, method, `Accept`, `Content-Type`, `Content-MD5`,
    /// path and parameters.
    App,
}

/// Whether a leading environment segment (`/release`, `/prepub`, `/test`) is left out of the
/// signed path, as Tencent's gateway does on its default domains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvironmentPrefix {
    /// Remove the segment before signing (the default).
    #[default]
    Strip,
    /// Sign the path as it is.
    Keep,
}

/// How app mode signs the request's path. Tencent's documents do not say; its official demos
/// differ (Go signs the path decoded; Python, JavaScript, Java and PHP sign it exactly as sent).
/// Parameters are signed decoded either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathForm {
    /// The path percent-decoded (`/files/中文/a b`): the signer's default, Tencent's Go demo.
    #[default]
    Decoded,
    /// The path exactly as it is on the wire (`/files/%E4%B8%AD%E6%96%87/a%20b`): the Python,
    /// JavaScript, Java and PHP demos.
    AsSent,
}

/// The environments Tencent routes by on its default domains.
pub const ENVIRONMENTS: [&str; 3] = ["release", "prepub", "test"];

/// The length of the app-mode `Content-MD5` field: base64 of a 32-character hex MD5.
pub(crate) const CONTENT_MD5_LEN: usize = 44;

/// The app-mode `Content-MD5` value of `body`: base64 of the lower-case hex MD5 string
/// (44 characters), as every official Tencent demo computes it.
///
/// ```
/// assert_eq!(
///     apigw_sign::tencent::content_md5(br#"{"arg1":"a","arg2":"b"}"#),
///     "MzNiMjk0MTJjZWIzMWQ5NmE1OGRiZDYyOWMwNWQ0ZGE="
/// );
/// ```
pub fn content_md5(body: &[u8]) -> String {
    String::from_utf8_lossy(&content_md5_bytes(body)).into_owned()
}

pub(crate) fn content_md5_bytes(body: &[u8]) -> [u8; CONTENT_MD5_LEN] {
    let digest = Md5::digest(body);
    let mut hex_digits = [0u8; 32];
    let mut out = [0u8; CONTENT_MD5_LEN];
    // Both buffers have exactly the needed size, so neither call can fail.
    let _ = const_hex::encode_to_slice(digest.as_slice(), &mut hex_digits);
    let _ = STANDARD.encode_slice(hex_digits, &mut out);
    out
}

/// Whether a `Content-Type` value is `application/x-www-form-urlencoded`: the media type before
/// any `;` parameters, compared case-insensitively. Such a body's parameters are signed, and it
/// gets no `Content-MD5`.
///
/// ```
/// use apigw_sign::tencent::is_form_content_type;
/// assert!(is_form_content_type(b"Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
/// assert!(!is_form_content_type(b"application/json"));
/// ```
pub fn is_form_content_type(content_type: &[u8]) -> bool {
    let media = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default();
    trim_ows(media).eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

/// Why the headers a string to sign covers cannot be signed. The verifier reports it as the
/// vendor's errors, the signer as a client's mistake ([`HeaderError::for_verifier`],
/// [`HeaderError::for_signer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeaderError<'a> {
    /// A listed header is not in the request.
    Missing(&'a str),
    /// A listed header, or one app mode signs (`Accept`, `Content-Type`, `Content-MD5`), is
    /// repeated.
    Repeated(&'a str),
    /// The request cannot be canonicalized.
    Request(RequestError),
}

impl From<RequestError> for HeaderError<'_> {
    fn from(error: RequestError) -> Self {
        HeaderError::Request(error)
    }
}

impl HeaderError<'_> {
    /// The verifier's error: "a valid {name} header is required", "do not support multiple
    /// HTTP header".
    pub(crate) fn for_verifier(self) -> Error {
        match self {
            HeaderError::Missing(name) => Error::MissingSignedHeader {
                name: name.to_owned(),
            },
            HeaderError::Repeated(name) => Error::RepeatedHeader {
                name: name.to_owned(),
            },
            HeaderError::Request(error) => error.into(),
        }
    }

    /// The signer's error: the header it was asked to sign is missing or repeated.
    pub(crate) fn for_signer(self) -> Error {
        match self {
            HeaderError::Missing(_) => RequestError::MissingHeaderToSign.into(),
            HeaderError::Repeated(_) => RequestError::RepeatedHeaderToSign.into(),
            HeaderError::Request(error) => error.into(),
        }
    }
}

/// The headers a signature lists, in the listed order: where each is among the headers sent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SignedHeaders<'a> {
    /// Names separated by single spaces, as in `headers="…"`.
    names: &'a str,
    headers: Sent<'a>,
    /// Where each is, in room the caller lends: written once, never copied. (Kept in the
    /// struct, the positions were copied right after being written, 2 bytes at a time, by
    /// 16-byte loads that had to wait for those writes: about 6 % of key-pair verification's
    /// time in a profile of its bench.)
    positions: &'a [u16; MAX_SIGNED_HEADERS],
}

impl<'a> SignedHeaders<'a> {
    /// Finds each name of `names` (space-separated; at most [`MAX_SIGNED_HEADERS`]) in `headers`,
    /// noting where each is in `positions`.
    ///
    /// Errors in the spec's order: a listed header absent, then one repeated; a value that
    /// cannot be signed as soon as it is found.
    #[inline]
    pub(crate) fn new<'n: 'a>(
        names: &'n str,
        headers: Sent<'n>,
        positions: &'a mut [u16; MAX_SIGNED_HEADERS],
    ) -> Result<Self, HeaderError<'n>> {
        let mut missing = None;
        let mut repeated = None;
        let mut listed = split(names, b' ');
        for (slot, name) in positions.iter_mut().zip(listed.by_ref()) {
            let found = headers.find(name);
            match found.first {
                None => {
                    missing.get_or_insert(name);
                }
                Some(_) if found.repeated => {
                    repeated.get_or_insert(name);
                }
                Some((position, value)) => {
                    signable_value(value)?;
                    // Positions come from `Sent`, which keeps them within a `u16`.
                    *slot = u16::try_from(position).map_err(|_| RequestError::TooManyHeaders)?;
                }
            }
        }
        if listed.next().is_some() {
            return Err(RequestError::TooManySignedHeaders.into());
        }
        if let Some(name) = missing {
            return Err(HeaderError::Missing(name));
        }
        if let Some(name) = repeated {
            return Err(HeaderError::Repeated(name));
        }
        Ok(SignedHeaders {
            names,
            headers,
            positions,
        })
    }

    /// The (trimmed) value of the header at `position` in the list (empty past its end).
    pub(crate) fn value_at(&self, position: usize) -> &'a [u8] {
        self.positions
            .get(position)
            .and_then(|&p| self.headers.get(p))
            .map_or(&b""[..], |header| trim_ows(header.value))
    }

    fn write(&self, sink: &mut impl Sink) {
        for (i, name) in split(self.names, b' ').enumerate() {
            if i > 0 {
                sink.put(b"\n");
            }
            put_lower(name.as_bytes(), sink);
            sink.put(b": ");
            sink.put(self.value_at(i));
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum ContentMd5<'a> {
    Empty,
    Computed([u8; CONTENT_MD5_LEN]),
    FromHeader(&'a [u8]),
}

impl ContentMd5<'_> {
    fn as_bytes(&self) -> &[u8] {
        match self {
            ContentMd5::Empty => b"",
            ContentMd5::Computed(b) => b,
            ContentMd5::FromHeader(b) => b,
        }
    }
}

/// How app mode signs a parameter: its key and value decoded, `key=value`, or the bare key for
/// an empty value.
struct Decoded;

impl Canonical for Decoded {
    fn keeps(&self, _: &Param<'_>) -> bool {
        true
    }

    fn add<'a>(&self, param: &Param<'a>, out: &mut Params<'a>) {
        let key = if param.key_plain {
            out.borrowed(param.source, param.at, param.key.len())
        } else {
            out.written(|text| write_decoded(param.key, param.plus, text))
        };
        let tail = if param.value.is_empty() {
            Span::EMPTY
        } else if param.value_plain {
            // `=value` as it stands.
            out.borrowed(param.source, param.at + param.key.len(), param.tail.len())
        } else {
            // `=value`, decoded as it is written (or before it is compared).
            out.encoded(param.source, param.at + param.key.len(), param.tail.len())
        };
        out.push(key, tail);
    }
}

#[derive(Clone, Debug)]
struct AppLines<'a> {
    method: &'a str,
    accept: &'a [u8],
    content_type: &'a [u8],
    content_md5: ContentMd5<'a>,
    /// The `Content-MD5` header the request carries, if any.
    sent_md5: Option<&'a [u8]>,
    /// The body, when the caller gave it.
    body: Option<&'a [u8]>,
    /// The raw path with the environment segment removed; empty means `/`.
    path: &'a str,
    /// The path decodes to itself.
    path_plain: bool,
    /// Whether the path is signed decoded or as sent.
    path_form: PathForm,
    /// Query and form parameters, decoded, sorted by key, then value.
    params: &'a Params<'a>,
}

impl<'a> AppLines<'a> {
    /// The lines of `request`, its parameters kept in `params` (an empty list).
    #[inline]
    fn new<'r: 'a>(
        request: &Request<'r>,
        environment: EnvironmentPrefix,
        params: &'a mut Params<'r>,
    ) -> Result<Self, HeaderError<'static>> {
        request.check_method_and_target_shape()?;
        // The three headers app mode signs without listing them, each checked in the spec's
        // order: repeated, then a value that cannot be signed.
        let [accept, content_type, content_md5] =
            request.find_each(["accept", "content-type", CONTENT_MD5]);
        let single = |found: Found<'a>, name| -> Result<Option<&'a [u8]>, HeaderError<'static>> {
            let value = found.single().map_err(|_| HeaderError::Repeated(name))?;
            Ok(value.map(signable_value).transpose()?)
        };
        let accept = single(accept, "accept")?.unwrap_or_default();
        let content_type = single(content_type, "content-type")?.unwrap_or_default();
        // An empty `Content-MD5:` counts as absent: Tencent's Java form demo sends one.
        let sent_md5 = single(content_md5, CONTENT_MD5)?.filter(|value| !value.is_empty());
        let form = is_form_content_type(content_type);

        let (raw_path, query) = request.path_and_query();
        let path_plain = validate_wire(raw_path)?;
        let path = match environment {
            EnvironmentPrefix::Strip => strip_environment(raw_path),
            EnvironmentPrefix::Keep => raw_path,
        };

        params::add_all(query, false, &Decoded, params)?;
        let content_md5 = match request.body() {
            Some(body) if form => {
                if body.len() > MAX_FORM_BODY_LEN {
                    return Err(RequestError::BodyTooLarge.into());
                }
                let form = core::str::from_utf8(body).map_err(|_| RequestError::InvalidUtf8)?;
                params::add_all(form, true, &Decoded, params)?;
                ContentMd5::Empty
            }
            Some([]) => ContentMd5::Empty,
            Some(body) if body.len() > MAX_DIGEST_BODY_LEN => {
                return Err(RequestError::BodyTooLarge.into())
            }
            Some(body) => ContentMd5::Computed(content_md5_bytes(body)),
            None if form => return Err(RequestError::BodyUnavailable.into()),
            None => ContentMd5::FromHeader(sent_md5.unwrap_or_default()),
        };
        params.sort_by_parts();

        Ok(AppLines {
            method: request.method(),
            accept,
            content_type,
            content_md5,
            sent_md5,
            body: request.body(),
            path,
            path_plain,
            path_form: PathForm::Decoded,
            params,
        })
    }

    fn write(&self, sink: &mut impl Sink) {
        put_upper(self.method.as_bytes(), sink);
        sink.put(b"\n");
        sink.put(self.accept);
        sink.put(b"\n");
        sink.put(self.content_type);
        sink.put(b"\n");
        sink.put(self.content_md5.as_bytes());
        sink.put(b"\n");
        if self.path.is_empty() {
            sink.put(b"/");
        } else if self.path_plain || self.path_form == PathForm::AsSent {
            sink.put(self.path.as_bytes());
        } else {
            write_decoded(self.path, Plus::Literal, sink);
        }
        if self.params.len() > 0 {
            sink.put(b"?");
            self.params.write_joined(b"&", sink);
        }
    }
}

/// `path` without a leading `/release`, `/prepub` or `/test` segment (compared decoded).
fn strip_environment(path: &str) -> &str {
    let Some(rest) = path.strip_prefix('/') else {
        return path;
    };
    let segment = split(rest, b'/').next().unwrap_or_default();
    let tail = rest.get(segment.len()..).unwrap_or_default();
    if ENVIRONMENTS
        .iter()
        .any(|env| decoded_eq(segment, Plus::Literal, env))
    {
        tail
    } else {
        path
    }
}

/// The string to sign of one request. `Display` writes it as text.
#[derive(Clone, Debug)]
pub(crate) struct StringToSign<'a> {
    headers: SignedHeaders<'a>,
    app: Option<AppLines<'a>>,
}

impl<'a> StringToSign<'a> {
    /// The string to sign for `mode`: the signed headers `names` (space-separated) as `headers`
    /// has them, then for app mode the request canonicalized, its parameters kept in `params`
    /// (an empty list the caller lends). The one prepare step of signer, verifier and
    /// `explain`; the verifier checks the clock between the two halves ([`SignedHeaders::new`],
    /// then this).
    #[inline]
    pub(crate) fn new<'r: 'a>(
        mode: Mode,
        headers: SignedHeaders<'a>,
        request: &Request<'r>,
        environment: EnvironmentPrefix,
        params: &'a mut Params<'r>,
    ) -> Result<Self, HeaderError<'static>> {
        let app = match mode {
            Mode::KeyPair => None,
            Mode::App => Some(AppLines::new(request, environment, params)?),
        };
        Ok(StringToSign { headers, app })
    }

    /// The same string with the path signed in `form` (app mode; key-pair mode signs no path).
    #[must_use]
    pub(crate) fn with_path_form(mut self, form: PathForm) -> Self {
        if let Some(app) = &mut self.app {
            app.path_form = form;
        }
        self
    }

    /// Whether the path form matters: app mode, and the path is not the same both ways (it
    /// holds a `%` escape).
    pub(crate) fn path_forms_differ(&self) -> bool {
        self.app.as_ref().is_some_and(|app| !app.path_plain)
    }

    /// The app-mode `Content-MD5` computed from the body, if there is one.
    pub(crate) fn computed_content_md5(&self) -> Option<&[u8; CONTENT_MD5_LEN]> {
        match &self.app {
            Some(AppLines {
                content_md5: ContentMd5::Computed(md5),
                ..
            }) => Some(md5),
            _ => None,
        }
    }

    /// Whether a `Content-MD5` header, if the request has one and the body is at hand, is the
    /// body's: base64 of its hex MD5, whatever the body (empty and form bodies included, though
    /// their signed `Content-MD5` line is empty). Key-pair mode does not look at the body.
    pub(crate) fn content_md5_header_agrees(&self) -> bool {
        let Some(app) = &self.app else {
            return true;
        };
        match (app.sent_md5, app.body, &app.content_md5) {
            (Some(sent), Some(_), ContentMd5::Computed(md5)) => sent == md5,
            (Some(sent), Some(body), _) => sent == content_md5_bytes(body),
            _ => true,
        }
    }

    /// The string with each newline shown as `#`, as Tencent prints it in a mismatch message.
    pub(crate) fn to_hash_separated(&self) -> String {
        self.to_string().replace('\n', "#")
    }
}

impl Message for StringToSign<'_> {
    fn write_to(&self, sink: &mut impl Sink) {
        self.headers.write(sink);
        if let Some(app) = &self.app {
            sink.put(b"\n");
            app.write(sink);
        }
    }
}

impl fmt::Display for StringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_message(self, f)
    }
}

/// The header the signer sets: its date header, which replaces any of the same name.
pub(crate) fn date_header<'a>(lower_name: &'a str, date: &'a [u8]) -> [Header<'a>; 1] {
    [Header::from_bytes(lower_name, date)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MAX_PARAMETERS;

    fn sts<'a>(
        mode: Mode,
        names: &'a str,
        request: &Request<'a>,
        set: &'a [Header<'a>],
        environment: EnvironmentPrefix,
    ) -> Result<String, HeaderError<'a>> {
        let sent = Sent::new(request.headers(), set)?;
        let mut params = Params::default();
        let mut positions = [0; MAX_SIGNED_HEADERS];
        let headers = SignedHeaders::new(names, sent, &mut positions)?;
        let sts = StringToSign::new(mode, headers, request, environment, &mut params)?;
        Ok(sts.to_string())
    }

    fn app(target: &str, headers: &[Header<'_>], body: &[u8]) -> String {
        let request = Request::new("POST", target, headers, body);
        sts(Mode::App, "x-date", &request, &[], EnvironmentPrefix::Strip).unwrap()
    }

    #[test]
    fn sorts_decoded_params_and_merges_form() {
        let headers = [
            Header::new("X-Date", "d"),
            Header::new(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        ];
        let s = app(
            "/release/p?b=2&a=%E4%B8%AD%20x&c&a=1+1&&d=",
            &headers,
            b"e=f+g&a=0",
        );
        assert_eq!(
            s,
            "x-date: d\nPOST\n\napplication/x-www-form-urlencoded; charset=utf-8\n\n/p?a=0&a=1+1&a=中 x&b=2&c&d&e=f g"
        );
    }

    #[test]
    fn environment_segment_and_empty_path() {
        let h = [Header::new("X-Date", "d")];
        assert!(app("/release", &h, b"").ends_with("\n/"));
        assert!(app("/test/", &h, b"").ends_with("\n/"));
        assert!(app("/%70repub/x", &h, b"").ends_with("\n/x"));
        assert!(app("/releases/x", &h, b"").ends_with("\n/releases/x"));
        let request = Request::new("GET", "/release/x", &h, b"");
        let kept = sts(Mode::App, "x-date", &request, &[], EnvironmentPrefix::Keep).unwrap();
        assert!(kept.ends_with("\n/release/x"));
    }

    #[test]
    fn content_md5_rules() {
        let h = [
            Header::new("X-Date", "d"),
            Header::new("Content-Type", "application/json"),
        ];
        assert!(app("/", &h, br#"{"arg1":"a","arg2":"b"}"#)
            .contains("\nMzNiMjk0MTJjZWIzMWQ5NmE1OGRiZDYyOWMwNWQ0ZGE=\n"));
        assert!(app("/", &h, b"").ends_with("application/json\n\n/"));
        let with_header = [
            Header::new("X-Date", "d"),
            Header::new("Content-MD5", "abc"),
        ];
        let request = Request::new("POST", "/", &with_header, b"{}").without_body();
        let s = sts(Mode::App, "x-date", &request, &[], EnvironmentPrefix::Strip).unwrap();
        assert!(s.ends_with("\nabc\n/"));
    }

    #[test]
    fn form_without_body_is_an_error() {
        let h = [
            Header::new("X-Date", "d"),
            Header::new("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let request = Request::new("POST", "/", &h, b"a=1").without_body();
        let err = sts(Mode::App, "x-date", &request, &[], EnvironmentPrefix::Strip).unwrap_err();
        assert_eq!(err, HeaderError::Request(RequestError::BodyUnavailable));
    }

    #[test]
    fn many_params_sort_and_stop_at_the_limit() {
        let h = [Header::new("X-Date", "d")];
        let query: Vec<String> = (0..40).rev().map(|i| format!("k{i:02}=v")).collect();
        let s = app(&format!("/?{}", query.join("&")), &h, b"");
        assert!(s.contains("\n/?k00=v&k01=v&k02=v&") && s.ends_with("&k39=v"));
        let too_many = vec!["a=1"; MAX_PARAMETERS + 1].join("&");
        let target = format!("/?{too_many}");
        let request = Request::new("GET", &target, &h, b"");
        let err = sts(Mode::App, "x-date", &request, &[], EnvironmentPrefix::Strip).unwrap_err();
        assert_eq!(err, HeaderError::Request(RequestError::TooManyParameters));
    }

    /// `raw` decoded as the reference reads it: `+` a space in a form, literal in a query.
    fn reference_decode(raw: &str, form: bool) -> String {
        let raw = if form {
            raw.replace('+', " ")
        } else {
            raw.to_owned()
        };
        percent_encoding::percent_decode_str(&raw)
            .decode_utf8()
            .unwrap()
            .into_owned()
    }

    proptest::proptest! {
        /// Parameters sorted by their decoded keys, then values (values decoded only when keys
        /// tie, or as they are written), against the rule as written: decode every key and
        /// value, sort the pairs, join them.
        #[test]
        fn params_sort_as_decoded_pairs(
            query in proptest::collection::vec((key(), value()), 0..10),
            form in proptest::collection::vec((key(), value()), 0..4),
        ) {
            let item = |(k, v): &(&str, &str)| if v.is_empty() { k.to_string() } else { format!("{k}={v}") };
            let target = format!("/p?{}", query.iter().map(item).collect::<Vec<_>>().join("&"));
            let body = form.iter().map(item).collect::<Vec<_>>().join("&");
            let headers = [
                Header::new("X-Date", "d"),
                Header::new("Content-Type", "application/x-www-form-urlencoded"),
            ];
            let text = app(&target, &headers, body.as_bytes());
            let mut pairs: Vec<(String, String)> = query
                .iter()
                .map(|(k, v)| (reference_decode(k, false), reference_decode(v, false)))
                .chain(form.iter().map(|(k, v)| (reference_decode(k, true), reference_decode(v, true))))
                .collect();
            pairs.sort_by(|a, b| (a.0.as_bytes(), a.1.as_bytes()).cmp(&(b.0.as_bytes(), b.1.as_bytes())));
            let joined = pairs
                .iter()
                .map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") })
                .collect::<Vec<_>>()
                .join("&");
            let expected = if joined.is_empty() { "\n/p".to_owned() } else { format!("\n/p?{joined}") };
            proptest::prop_assert!(text.ends_with(&expected), "{text:?} vs {expected:?}");
        }
    }

    fn key() -> impl proptest::strategy::Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "a",
            "b",
            "ab",
            "a%62",
            "%61",
            "a+",
            "%E4%B8%AD",
            "中",
            "a%2B",
        ])
    }

    fn value() -> impl proptest::strategy::Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "",
            "1",
            "%31",
            "10",
            "x+y",
            "x%20y",
            "%E4%B8%AD",
            "=",
            "%3D",
        ])
    }

    #[test]
    fn key_pair_lines() {
        let h = [
            Header::new("Date", " Fri, 09 Oct 2015 00:00:00 GMT "),
            Header::new("Source", "AndriodApp"),
        ];
        let request = Request::new("GET", "/", &h, b"");
        let s = sts(
            Mode::KeyPair,
            "date Source",
            &request,
            &[],
            EnvironmentPrefix::Strip,
        )
        .unwrap();
        assert_eq!(s, "date: Fri, 09 Oct 2015 00:00:00 GMT\nsource: AndriodApp");
        let set = date_header("date", b"X");
        let shadowed = sts(
            Mode::KeyPair,
            "date",
            &request,
            &set,
            EnvironmentPrefix::Strip,
        )
        .unwrap();
        assert_eq!(shadowed, "date: X");
    }

    #[test]
    fn header_checks_in_order() {
        let h = [Header::new("A", "1"), Header::new("A", "2")];
        let request = Request::new("GET", "/", &h, b"");
        let check = |names, set: &[Header<'_>]| {
            let sent = Sent::new(request.headers(), set).unwrap();
            SignedHeaders::new(names, sent, &mut [0; MAX_SIGNED_HEADERS])
                .map(|_| ())
                .map_err(|e| e.for_verifier())
        };
        assert_eq!(
            check("a b", &[]),
            Err(Error::MissingSignedHeader { name: "b".into() })
        );
        assert_eq!(
            check("a", &[]),
            Err(Error::RepeatedHeader { name: "a".into() })
        );
        assert_eq!(check("x-date", &date_header("x-date", b"v")), Ok(()));
        assert_eq!(
            HeaderError::Missing("b").for_signer(),
            Error::InvalidRequest(RequestError::MissingHeaderToSign)
        );
    }
}
