//! The string to sign, for both modes: one builder shared by the signer and the verifier.
//!
//! Key-pair mode: one line `lower(name): value` per signed header, in the listed order, joined by
//! `\n`. App mode: those lines, then the method (upper case), `Accept`, `Content-Type`,
//! `Content-MD5` and `PathAndParameters`, all joined by `\n`, no trailing newline.
//!
//! [`StringToSign`] is data: it borrows the request and is written either into a MAC (streamed,
//! nothing allocated) or, through `Display`, as text.

use core::fmt;

use md5::{Digest as _, Md5};

use crate::encoding::{decoded_eq, validate_wire, write_decoded, Plus};
use crate::error::{Error, RequestError};
use crate::limits::{MAX_DIGEST_BODY_LEN, MAX_FORM_BODY_LEN, MAX_SIGNED_HEADERS};
use crate::mac::{display_message, Buffered, Message, Sink};
use crate::params::{Params, Sources};
use crate::request::{header_names, signable_value, trim_ows, Header, Request};

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
    let _ = hex::encode_to_slice(digest.as_slice(), &mut hex_digits);
    let _ = crate::base64::encode_into(&hex_digits, &mut out);
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

/// The string to sign of one request. `Display` writes it as text.
#[derive(Clone, Debug)]
pub struct StringToSign<'a> {
    headers: SignedHeaders<'a>,
    app: Option<AppLines<'a>>,
}

/// Index standing for "the header the signer sets" in [`SignedHeaders`].
const SET_BY_SIGNER: u16 = u16::MAX;

/// The headers a signature lists, checked, with where each value is: the index of its header
/// in the request, or the value the signer sets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SignedHeaders<'a> {
    /// Names separated by single spaces, as in `headers="…"`.
    names: &'a str,
    headers: &'a [Header<'a>],
    set: &'a [u8],
    index: [u16; MAX_SIGNED_HEADERS],
}

impl<'a> SignedHeaders<'a> {
    /// Looks up each name in `names` (space-separated; at most [`MAX_SIGNED_HEADERS`]) with one
    /// pass over the headers per name. `set` is a header the signer sets (lower-case name,
    /// value), which shadows the request's own.
    ///
    /// Errors in the spec's order: a listed header absent, then one repeated, then a value that
    /// cannot be signed.
    #[inline]
    pub(crate) fn new(
        names: &'a str,
        request: &Request<'a>,
        set: Option<(&str, &'a [u8])>,
    ) -> Result<Self, Error> {
        let headers = request.headers();
        let mut index = [SET_BY_SIGNER; MAX_SIGNED_HEADERS];
        let mut missing = None;
        let mut repeated = None;
        let mut names_iter = header_names(names);
        for (slot, name) in index.iter_mut().zip(names_iter.by_ref()) {
            if set.is_some_and(|(set_name, _)| set_name.eq_ignore_ascii_case(name)) {
                continue;
            }
            // The first and the number of headers with this name, in a plain loop.
            let mut first = None;
            let mut count = 0usize;
            for (i, header) in headers.iter().enumerate() {
                if header.name.len() == name.len() && header.name.eq_ignore_ascii_case(name) {
                    first.get_or_insert((i, header));
                    count += 1;
                }
            }
            match (first, count) {
                (None, _) => {
                    missing.get_or_insert(name);
                }
                (Some(_), 2..) => {
                    repeated.get_or_insert(name);
                }
                (Some((i, header)), _) => {
                    signable_value(header.value)?;
                    *slot = u16::try_from(i)
                        .ok()
                        .filter(|&i| i != SET_BY_SIGNER)
                        .ok_or(RequestError::TooManyHeaders)?;
                }
            }
        }
        if names_iter.next().is_some() {
            return Err(RequestError::TooManySignedHeaders.into());
        }
        if let Some(name) = missing {
            return Err(Error::MissingSignedHeader {
                name: name.to_owned(),
            });
        }
        if let Some(name) = repeated {
            return Err(Error::RepeatedHeader {
                name: name.to_owned(),
            });
        }
        Ok(SignedHeaders {
            names,
            headers,
            set: set.map_or(&b""[..], |(_, v)| v),
            index,
        })
    }

    fn value(&self, index: u16) -> &'a [u8] {
        if index == SET_BY_SIGNER {
            return self.set;
        }
        let header = self.headers.get(usize::from(index));
        header.map_or(&b""[..], |h| trim_ows(h.value))
    }

    /// The (trimmed) value of the header at `position` in the list (empty past its end).
    pub(crate) fn value_at(&self, position: usize) -> &'a [u8] {
        self.index
            .get(position)
            .map_or(&b""[..], |&i| self.value(i))
    }

    fn write<S: Sink>(&self, sink: &mut Buffered<'_, S>) {
        for (i, (name, index)) in header_names(self.names).zip(self.index).enumerate() {
            if i > 0 {
                sink.put(b"\n");
            }
            sink.put_mapped(name.as_bytes(), u8::to_ascii_lowercase);
            sink.put(b": ");
            sink.put(self.value(index));
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
    sources: Sources<'a>,
    /// Sorted by decoded key, then decoded value.
    params: Params,
}

/// A header that may appear at most once, as found in the request.
#[derive(Default)]
struct Single<'a> {
    value: Option<&'a [u8]>,
    repeated: bool,
}

impl<'a> Single<'a> {
    /// The value, checked: [`Error::RepeatedHeader`] when it came more than once.
    fn signable(&self, name: &str) -> Result<Option<&'a [u8]>, Error> {
        if self.repeated {
            return Err(Error::RepeatedHeader {
                name: name.to_owned(),
            });
        }
        Ok(self.value.map(signable_value).transpose()?)
    }
}

impl<'a> AppLines<'a> {
    #[inline]
    fn new(request: &Request<'a>, environment: EnvironmentPrefix) -> Result<Self, Error> {
        request.check_method_and_target_shape()?;
        // One pass over the headers for the three the string to sign reads; then the checks,
        // in the spec's order: a repeated header, then a value that cannot be signed.
        let mut accept = Single::default();
        let mut content_type = Single::default();
        let mut content_md5 = Single::default();
        for header in request.headers() {
            let slot = match header.name.len() {
                6 if header.name.eq_ignore_ascii_case("accept") => &mut accept,
                11 if header.name.eq_ignore_ascii_case("content-md5") => &mut content_md5,
                12 if header.name.eq_ignore_ascii_case("content-type") => &mut content_type,
                _ => continue,
            };
            slot.repeated |= slot.value.is_some();
            slot.value = Some(header.value);
        }
        let accept = accept.signable("accept")?.unwrap_or_default();
        let content_type = content_type.signable("content-type")?.unwrap_or_default();
        let sent_md5 = content_md5.signable("content-md5")?;
        let form = is_form_content_type(content_type);

        let (raw_path, query) = request.path_and_query();
        let path_plain = validate_wire(raw_path)?;
        let path = match environment {
            EnvironmentPrefix::Strip => strip_environment(raw_path),
            EnvironmentPrefix::Keep => raw_path,
        };

        let mut params = Params::default();
        let mut sources = Sources { query, form: "" };
        params.add_all(sources.query, false, |_, _| true)?;

        let content_md5 = match request.body() {
            Some(body) if form => {
                if body.len() > MAX_FORM_BODY_LEN {
                    return Err(RequestError::BodyTooLarge.into());
                }
                sources.form = core::str::from_utf8(body).map_err(|_| RequestError::InvalidUtf8)?;
                params.add_all(sources.form, true, |_, _| true)?;
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
        params
            .as_mut_slice()
            .sort_unstable_by(|a, b| sources.cmp_decoded(a, b));

        Ok(AppLines {
            method: request.method(),
            accept,
            content_type,
            content_md5,
            sent_md5,
            body: request.body(),
            path,
            path_plain,
            sources,
            params,
        })
    }

    fn write<S: Sink>(&self, sink: &mut Buffered<'_, S>) {
        sink.put_mapped(self.method.as_bytes(), u8::to_ascii_uppercase);
        sink.put(b"\n");
        sink.put(self.accept);
        sink.put(b"\n");
        sink.put(self.content_type);
        sink.put(b"\n");
        sink.put(self.content_md5.as_bytes());
        sink.put(b"\n");
        if self.path.is_empty() {
            sink.put(b"/");
        } else if self.path_plain {
            sink.put(self.path.as_bytes());
        } else {
            write_decoded(self.path, Plus::Literal, sink);
        }
        for (i, param) in self.params.as_slice().iter().enumerate() {
            let (key, value, plus) = self.sources.text(param);
            sink.put(if i == 0 { b"?" } else { b"&" });
            if param.plain() && !value.is_empty() {
                // `key=value` as it stands in the source: one piece.
                sink.put(self.sources.item(param).as_bytes());
                continue;
            }
            if param.key_plain {
                sink.put(key.as_bytes());
            } else {
                write_decoded(key, plus, sink);
            }
            if !value.is_empty() {
                sink.put(b"=");
                if param.value_plain {
                    sink.put(value.as_bytes());
                } else {
                    write_decoded(value, plus, sink);
                }
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
    let is_environment = if segment.contains('%') {
        ENVIRONMENTS
            .iter()
            .any(|env| decoded_eq(segment, Plus::Literal, env))
    } else {
        ENVIRONMENTS.contains(&segment)
    };
    if is_environment {
        tail
    } else {
        path
    }
}

impl<'a> StringToSign<'a> {
    /// Builds the string to sign for `mode` from the checked signed headers and the request.
    #[inline]
    pub(crate) fn new(
        mode: Mode,
        headers: SignedHeaders<'a>,
        request: &Request<'a>,
        environment: EnvironmentPrefix,
    ) -> Result<Self, Error> {
        let app = match mode {
            Mode::KeyPair => None,
            Mode::App => Some(AppLines::new(request, environment)?),
        };
        Ok(StringToSign { headers, app })
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
    pub fn to_hash_separated(&self) -> String {
        self.to_string().replace('\n', "#")
    }
}

impl Message for StringToSign<'_> {
    /// Streams the string into `sink`, through a stack buffer.
    fn write_to(&self, sink: &mut impl Sink) {
        let mut buffered = Buffered::new(sink);
        self.headers.write(&mut buffered);
        if let Some(app) = &self.app {
            buffered.put(b"\n");
            app.write(&mut buffered);
        }
        buffered.flush();
    }
}

impl fmt::Display for StringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_message(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MAX_PARAMETERS;
    use crate::request::Header;

    fn sts<'a>(
        mode: Mode,
        names: &'a str,
        request: &Request<'a>,
        set: Option<(&str, &'a [u8])>,
        environment: EnvironmentPrefix,
    ) -> Result<StringToSign<'a>, Error> {
        StringToSign::new(
            mode,
            SignedHeaders::new(names, request, set)?,
            request,
            environment,
        )
    }

    fn check_signed_headers(
        names: &str,
        request: &Request<'_>,
        set: Option<&str>,
    ) -> Result<(), Error> {
        SignedHeaders::new(names, request, set.map(|name| (name, &b"v"[..]))).map(|_| ())
    }

    fn app(target: &str, headers: &[Header<'_>], body: &[u8]) -> String {
        let request = Request::new("POST", target, headers, body);
        sts(
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
        let kept = sts(Mode::App, "x-date", &request, None, EnvironmentPrefix::Keep).unwrap();
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
        let s = sts(
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
        let err = sts(
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
        let err = sts(
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
        let s = sts(
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
        let shadowed = sts(
            Mode::KeyPair,
            "date",
            &request,
            Some(("date", &b"X"[..])),
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
