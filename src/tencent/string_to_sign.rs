//! The string to sign, for both modes: one builder shared by the signer and the verifier.
//!
//! Key-pair mode: one line `lower(name): value` per signed header, in the listed order, joined by
//! `\n`. App mode: those lines, then the method (upper case), `Accept`, `Content-Type`,
//! `Content-MD5` and `PathAndParameters`, all joined by `\n`, no trailing newline.
//!
//! [`StringToSign`] is data: it borrows the request and is written either into a MAC (streamed,
//! nothing allocated) or, through `Display`, as text.

use core::cmp::Ordering;
use core::fmt;

use base64::Engine as _;
use md5::{Digest as _, Md5};

use crate::encoding::{cmp_decoded, decoded_eq, validate, write_decoded, Plus};
use crate::error::{Error, RequestError};
use crate::limits::{MAX_FORM_BODY_LEN, MAX_PARAMETERS};
use crate::mac::{Sink, TextSink};
use crate::request::{signable_value, Request};

/// Which of Tencent's two HMAC modes a signature uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
pub enum EnvironmentPrefix {
    /// Remove the segment before signing (the default).
    #[default]
    Strip,
    /// Sign the path as it is.
    Keep,
}

/// The environments Tencent routes by on its default domains.
pub const ENVIRONMENTS: [&str; 3] = ["release", "prepub", "test"];

/// The length of the app-mode `Content-MD5` field: base64 of a 32-character hex MD5.
const CONTENT_MD5_LEN: usize = 44;

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

fn content_md5_bytes(body: &[u8]) -> [u8; CONTENT_MD5_LEN] {
    let digest = Md5::digest(body);
    let mut hex_digits = [0u8; 32];
    let mut out = [0u8; CONTENT_MD5_LEN];
    // Both buffers have exactly the needed size, so neither call can fail.
    let _ = hex::encode_to_slice(digest.as_slice(), &mut hex_digits);
    let _ = base64::engine::general_purpose::STANDARD.encode_slice(hex_digits, &mut out);
    out
}

/// Whether a `Content-Type` value is `application/x-www-form-urlencoded` (any parameters after
/// `;` are ignored, the media type compares case-insensitively).
pub(crate) fn is_form(content_type: &[u8]) -> bool {
    let media = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default();
    crate::request::trim_ows(media).eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

/// The string to sign of one request. `Display` writes it as text.
#[derive(Clone, Debug)]
pub struct StringToSign<'a> {
    headers: SignedHeaders<'a>,
    app: Option<AppLines<'a>>,
}

#[derive(Clone, Copy, Debug)]
struct SignedHeaders<'a> {
    /// Names separated by single spaces, as in `headers="…"`.
    names: &'a str,
    request: Request<'a>,
    /// A header the signer is setting (name lower-case, value), shadowing the request's.
    date: Option<(&'a str, &'a str)>,
}

impl<'a> SignedHeaders<'a> {
    fn value(&self, name: &str) -> &'a [u8] {
        if let Some((date_name, value)) = self.date {
            if date_name.eq_ignore_ascii_case(name) {
                return value.as_bytes();
            }
        }
        self.request
            .header_values(name)
            .next()
            .map(|v| signable_value(v).unwrap_or_default())
            .unwrap_or_default()
    }
}

/// Checks every name in `names` is in the request (or is the header the signer sets), then that
/// none is repeated, then that every value is signable: the spec's order.
pub(crate) fn check_signed_headers(
    names: &str,
    request: &Request<'_>,
    date: Option<&str>,
) -> Result<(), Error> {
    let is_set = |name: &str| date.is_some_and(|d| d.eq_ignore_ascii_case(name));
    for name in names.split(' ') {
        if !is_set(name) && request.header_values(name).next().is_none() {
            return Err(Error::MissingSignedHeader {
                name: name.to_owned(),
            });
        }
    }
    for name in names.split(' ') {
        if !is_set(name) && request.unique_header(name).is_err() {
            return Err(Error::RepeatedHeader {
                name: name.to_owned(),
            });
        }
    }
    for name in names.split(' ') {
        if !is_set(name) {
            if let Some(value) = request.header_values(name).next() {
                signable_value(value)?;
            }
        }
    }
    Ok(())
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

#[derive(Clone, Copy, Debug)]
struct Param<'a> {
    key: &'a str,
    value: &'a str,
    plus: Plus,
}

impl Default for Param<'_> {
    fn default() -> Self {
        Param {
            key: "",
            value: "",
            plus: Plus::Literal,
        }
    }
}

impl Param<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_decoded(self.key, self.plus, other.key, other.plus)
            .then_with(|| cmp_decoded(self.value, self.plus, other.value, other.plus))
    }
}

/// Parameters held inline up to this count, on the heap beyond it.
const INLINE_PARAMS: usize = 16;

/// The query and form parameters, sorted by decoded key, then decoded value.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // the inline array is the point: no allocation for few parameters
enum Params<'a> {
    Inline([Param<'a>; INLINE_PARAMS], usize),
    Heap(Vec<Param<'a>>),
}

impl<'a> Params<'a> {
    fn push(&mut self, param: Param<'a>) -> Result<(), RequestError> {
        if self.as_slice().len() >= MAX_PARAMETERS {
            return Err(RequestError::TooManyParameters);
        }
        match self {
            Params::Inline(items, len) => match items.get_mut(*len) {
                Some(slot) => {
                    *slot = param;
                    *len += 1;
                }
                None => {
                    let mut heap = Vec::with_capacity(INLINE_PARAMS * 4);
                    heap.extend_from_slice(items);
                    heap.push(param);
                    *self = Params::Heap(heap);
                }
            },
            Params::Heap(items) => items.push(param),
        }
        Ok(())
    }

    fn as_slice(&self) -> &[Param<'a>] {
        match self {
            Params::Inline(items, len) => items.get(..*len).unwrap_or_default(),
            Params::Heap(items) => items,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [Param<'a>] {
        match self {
            Params::Inline(items, len) => items.get_mut(..*len).unwrap_or_default(),
            Params::Heap(items) => items,
        }
    }

    /// Adds the `&`-separated items of `raw`. Empty items (`a=1&&b=2`) carry no parameter and
    /// are skipped; an item without `=` is a key with an empty value.
    fn add_all(&mut self, raw: &'a str, plus: Plus) -> Result<(), RequestError> {
        for item in raw.split('&').filter(|item| !item.is_empty()) {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            validate(key, plus)?;
            validate(value, plus)?;
            self.push(Param { key, value, plus })?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
struct AppLines<'a> {
    method: &'a str,
    accept: &'a [u8],
    content_type: &'a [u8],
    content_md5: ContentMd5<'a>,
    /// The raw path with the environment segment removed; empty means `/`.
    path: &'a str,
    params: Params<'a>,
}

impl<'a> AppLines<'a> {
    fn new(request: &Request<'a>, environment: EnvironmentPrefix) -> Result<Self, Error> {
        request.check_line()?;
        let single = |name: &str| -> Result<&'a [u8], Error> {
            match request.unique_header(name) {
                Ok(value) => Ok(signable_value(value.unwrap_or_default())?),
                Err(_) => Err(Error::RepeatedHeader {
                    name: name.to_owned(),
                }),
            }
        };
        let accept = single("accept")?;
        let content_type = single("content-type")?;
        let form = is_form(content_type);

        let raw_path = request.path();
        validate(raw_path, Plus::Literal)?;
        let path = match environment {
            EnvironmentPrefix::Strip => strip_environment(raw_path),
            EnvironmentPrefix::Keep => raw_path,
        };

        let mut params = Params::Inline([Param::default(); INLINE_PARAMS], 0);
        params.add_all(request.query(), Plus::Literal)?;

        let content_md5 = match request.body() {
            Some(body) if form => {
                if body.len() > MAX_FORM_BODY_LEN {
                    return Err(RequestError::BodyTooLarge.into());
                }
                let body = core::str::from_utf8(body).map_err(|_| RequestError::InvalidUtf8)?;
                params.add_all(body, Plus::Space)?;
                ContentMd5::Empty
            }
            Some([]) => ContentMd5::Empty,
            Some(body) => ContentMd5::Computed(content_md5_bytes(body)),
            None if form => return Err(RequestError::BodyUnavailable.into()),
            None => match request.unique_header("content-md5") {
                Ok(value) => ContentMd5::FromHeader(signable_value(value.unwrap_or_default())?),
                Err(_) => {
                    return Err(Error::RepeatedHeader {
                        name: "content-md5".to_owned(),
                    })
                }
            },
        };
        params.as_mut_slice().sort_unstable_by(Param::cmp);

        Ok(AppLines {
            method: request.method(),
            accept,
            content_type,
            content_md5,
            path,
            params,
        })
    }

    fn write(&self, sink: &mut impl Sink) {
        put_ascii_case(sink, self.method, u8::to_ascii_uppercase);
        sink.put(b"\n");
        sink.put(self.accept);
        sink.put(b"\n");
        sink.put(self.content_type);
        sink.put(b"\n");
        sink.put(self.content_md5.as_bytes());
        sink.put(b"\n");
        if self.path.is_empty() {
            sink.put(b"/");
        } else {
            write_decoded(self.path, Plus::Literal, sink);
        }
        for (i, param) in self.params.as_slice().iter().enumerate() {
            sink.put(if i == 0 { b"?" } else { b"&" });
            write_decoded(param.key, param.plus, sink);
            if !param.value.is_empty() {
                sink.put(b"=");
                write_decoded(param.value, param.plus, sink);
            }
        }
    }
}

/// `path` without a leading `/release`, `/prepub` or `/test` segment (compared decoded).
fn strip_environment(path: &str) -> &str {
    let Some(rest) = path.strip_prefix('/') else {
        return path;
    };
    let (segment, tail) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    if ENVIRONMENTS
        .iter()
        .any(|env| decoded_eq(segment, Plus::Literal, env))
    {
        tail
    } else {
        path
    }
}

/// Writes `text` with `map` applied to each byte, through a small stack buffer.
fn put_ascii_case(sink: &mut impl Sink, text: &str, map: fn(&u8) -> u8) {
    let mut buf = [0u8; 64];
    for chunk in text.as_bytes().chunks(buf.len()) {
        let out = buf.get_mut(..chunk.len()).unwrap_or_default();
        for (o, c) in out.iter_mut().zip(chunk) {
            *o = map(c);
        }
        sink.put(out);
    }
}

impl<'a> StringToSign<'a> {
    /// Builds the string to sign for `mode`. `names` is the `headers="…"` list; `date` is a
    /// header the signer sets (lower-case name, value), which shadows the request's own.
    ///
    /// Header checks (present, then not repeated) must already have passed.
    pub(crate) fn new(
        mode: Mode,
        names: &'a str,
        request: &Request<'a>,
        date: Option<(&'a str, &'a str)>,
        environment: EnvironmentPrefix,
    ) -> Result<Self, Error> {
        let app = match mode {
            Mode::KeyPair => None,
            Mode::App => Some(AppLines::new(request, environment)?),
        };
        Ok(StringToSign {
            headers: SignedHeaders {
                names,
                request: *request,
                date,
            },
            app,
        })
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

    /// Streams the string into `sink`.
    pub(crate) fn write(&self, sink: &mut impl Sink) {
        for (i, name) in self.headers.names.split(' ').enumerate() {
            if i > 0 {
                sink.put(b"\n");
            }
            put_ascii_case(sink, name, u8::to_ascii_lowercase);
            sink.put(b": ");
            sink.put(self.headers.value(name));
        }
        if let Some(app) = &self.app {
            sink.put(b"\n");
            app.write(sink);
        }
    }

    /// The string with each newline shown as `#`, as Tencent prints it in a mismatch message.
    pub fn to_hash_separated(&self) -> String {
        self.to_string().replace('\n', "#")
    }
}

impl fmt::Display for StringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = TextSink::default();
        self.write(&mut text);
        f.write_str(&String::from_utf8_lossy(&text.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Header;

    fn app(target: &str, headers: &[Header<'_>], body: &[u8]) -> String {
        let request = Request::new("POST", target, headers, body);
        StringToSign::new(
            Mode::App,
            "x-date",
            &request,
            None,
            EnvironmentPrefix::Strip,
        )
        .unwrap()
        .to_string()
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
        let kept = StringToSign::new(Mode::App, "x-date", &request, None, EnvironmentPrefix::Keep)
            .unwrap();
        assert!(kept.to_string().ends_with("\n/release/x"));
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
        let s = StringToSign::new(
            Mode::App,
            "x-date",
            &request,
            None,
            EnvironmentPrefix::Strip,
        )
        .unwrap();
        assert!(s.to_string().ends_with("\nabc\n/"));
    }

    #[test]
    fn form_without_body_is_an_error() {
        let h = [
            Header::new("X-Date", "d"),
            Header::new("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let request = Request::new("POST", "/", &h, b"a=1").without_body();
        let err = StringToSign::new(
            Mode::App,
            "x-date",
            &request,
            None,
            EnvironmentPrefix::Strip,
        )
        .unwrap_err();
        assert_eq!(err, Error::InvalidRequest(RequestError::BodyUnavailable));
    }

    #[test]
    fn many_params_spill_to_the_heap_and_stop_at_the_limit() {
        let h = [Header::new("X-Date", "d")];
        let query: Vec<String> = (0..40).rev().map(|i| format!("k{i:02}=v")).collect();
        let s = app(&format!("/?{}", query.join("&")), &h, b"");
        assert!(s.contains("\n/?k00=v&k01=v&k02=v&") && s.ends_with("&k39=v"));
        let too_many = vec!["a=1"; MAX_PARAMETERS + 1].join("&");
        let target = format!("/?{too_many}");
        let request = Request::new("GET", &target, &h, b"");
        let err = StringToSign::new(
            Mode::App,
            "x-date",
            &request,
            None,
            EnvironmentPrefix::Strip,
        )
        .unwrap_err();
        assert_eq!(err, Error::InvalidRequest(RequestError::TooManyParameters));
    }

    #[test]
    fn key_pair_lines() {
        let h = [
            Header::new("Date", " Fri, 09 Oct 2015 00:00:00 GMT "),
            Header::new("Source", "AndriodApp"),
        ];
        let request = Request::new("GET", "/", &h, b"");
        let s = StringToSign::new(
            Mode::KeyPair,
            "date Source",
            &request,
            None,
            EnvironmentPrefix::Strip,
        )
        .unwrap();
        assert_eq!(
            s.to_string(),
            "date: Fri, 09 Oct 2015 00:00:00 GMT\nsource: AndriodApp"
        );
        let shadowed = StringToSign::new(
            Mode::KeyPair,
            "date",
            &request,
            Some(("date", "X")),
            EnvironmentPrefix::Strip,
        )
        .unwrap();
        assert_eq!(shadowed.to_string(), "date: X");
    }

    #[test]
    fn header_checks_in_order() {
        let h = [Header::new("A", "1"), Header::new("A", "2")];
        let request = Request::new("GET", "/", &h, b"");
        assert_eq!(
            check_signed_headers("a b", &request, None),
            Err(Error::MissingSignedHeader { name: "b".into() })
        );
        assert_eq!(
            check_signed_headers("a", &request, None),
            Err(Error::RepeatedHeader { name: "a".into() })
        );
        assert_eq!(
            check_signed_headers("x-date", &request, Some("x-date")),
            Ok(())
        );
    }
}
