//! The client side: signing a request for Tencent API Gateway.
//!
//! [`Signer::sign`] signs a request that is already in its wire form; [`Signer::sign_parts`]
//! starts from raw parts (a decoded path, raw query and form values, headers, body), encodes them
//! for the wire *after* signing their raw values (the seed's encode-after-sign rule) and signs
//! through the same canonicalizer. Both return what to apply rather than changing anything.

use core::fmt::{self, Write as _};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use time::OffsetDateTime;

use crate::algorithm::{Algorithm, MAX_TAG_LEN};
use crate::date::http_date_bytes;
use crate::encoding::{encode_component, encode_path};
use crate::error::Error;
use crate::headers::{DATE, SOURCE, X_DATE};
use crate::keys::Secret;
use crate::limits::MAX_SIGNED_HEADERS;
use crate::mac::compute;
use crate::request::{check_header_name, push_sorted_names, Header, Request, RequestError, Sent};
use crate::tencent::string_to_sign::{
    date_header, is_form_content_type, EnvironmentPrefix, Mode, PathForm, SignedHeaders,
    StringToSign, CONTENT_MD5_LEN,
};
use crate::verification::Scratch;

/// Base64 of the longest MAC: what the `signature="…"` field holds at most.
const MAX_SIGNATURE_LEN: usize = MAX_TAG_LEN.div_ceil(3) * 4;

/// The date header a signature covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DateHeader {
    /// `X-Date` (the default; app mode requires it).
    #[default]
    XDate,
    /// `Date` (key-pair mode only).
    Date,
}

impl DateHeader {
    /// The header name as the signer writes it: `X-Date` or `Date`.
    pub const fn name(self) -> &'static str {
        match self {
            DateHeader::XDate => "X-Date",
            DateHeader::Date => "Date",
        }
    }

    /// The lower-case name, as listed in `headers="…"`.
    pub const fn lower(self) -> &'static str {
        match self {
            DateHeader::XDate => X_DATE,
            DateHeader::Date => DATE,
        }
    }
}

/// Signs requests with one key.
///
/// Defaults: algorithm `hmac-sha1`; date header `X-Date`; environment prefix stripped from the
/// signed path; the path signed decoded ([`PathForm`]); signed headers: the date header plus `source` when the request has a `Source`
/// header (see [`Signer::sign_headers`]).
///
/// ```
/// use apigw_sign::{Header, Request, Secret};
/// use apigw_sign::tencent::{Mode, Signer};
///
/// let secret = Secret::from("Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv");
/// let signer = Signer::new(Mode::App, "AKIDexample", &secret);
/// let headers = [Header::new("Accept", "application/json")];
/// let request = Request::new("GET", "/release/v1/users?q=%E4%B8%AD", &headers, b"");
/// let now = time::macros::datetime!(2021-03-11 08:29:58 UTC);
/// let signature = signer.sign(&request, now)?;
/// assert_eq!(signature.date(), ("X-Date", "Thu, 11 Mar 2021 08:29:58 GMT"));
/// assert!(signature.authorization().starts_with(r#"hmac id="AKIDexample", algorithm="hmac-sha1", headers="x-date", signature=""#));
/// # Ok::<(), apigw_sign::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Signer<'k> {
    mode: Mode,
    key_id: &'k str,
    secret: &'k Secret,
    algorithm: Algorithm,
    date_header: DateHeader,
    environment: EnvironmentPrefix,
    path_form: PathForm,
    extra_headers: Option<&'k [&'k str]>,
}

impl<'k> Signer<'k> {
    /// A signer for `mode` with key `key_id` / `secret` and the defaults above.
    pub const fn new(mode: Mode, key_id: &'k str, secret: &'k Secret) -> Self {
        Signer {
            mode,
            key_id,
            secret,
            algorithm: Algorithm::HmacSha1,
            date_header: DateHeader::XDate,
            environment: EnvironmentPrefix::Strip,
            path_form: PathForm::Decoded,
            extra_headers: None,
        }
    }

    /// The mode it signs in.
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// Signs with `algorithm` (default `hmac-sha1`).
    #[must_use]
    pub const fn algorithm(self, algorithm: Algorithm) -> Self {
        Signer { algorithm, ..self }
    }

    /// Signs `date_header` (default `X-Date`; app mode accepts only `X-Date`).
    #[must_use]
    pub const fn date_header(self, date_header: DateHeader) -> Self {
        Signer {
            date_header,
            ..self
        }
    }

    /// Whether the signed path keeps a leading environment segment (default: stripped).
    #[must_use]
    pub const fn environment_prefix(self, environment: EnvironmentPrefix) -> Self {
        Signer {
            environment,
            ..self
        }
    }

    /// Whether app mode signs the path decoded (the default) or exactly as sent, as Tencent's
    /// Python, JavaScript, Java and PHP demos do ([`PathForm`]). This crate's verifier accepts
    /// either by default.
    #[must_use]
    pub const fn path_form(self, path_form: PathForm) -> Self {
        Signer { path_form, ..self }
    }

    /// Signs these headers besides the date header (instead of the default `source`). Each must
    /// be in the request.
    #[must_use]
    pub const fn sign_headers(self, names: &'k [&'k str]) -> Self {
        Signer {
            extra_headers: Some(names),
            ..self
        }
    }

    /// Signs a request in its wire form (percent-encoded target, final body).
    ///
    /// A date header of the same name already in the request is ignored: the signature covers
    /// `now`, and the caller applies [`Signature::headers`], replacing it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when the request or the configuration cannot be signed, for
    /// instance [`RequestError::MissingHeaderToSign`] for a header to sign that the request
    /// lacks.
    pub fn sign(&self, request: &Request<'_>, now: OffsetDateTime) -> Result<Signature, Error> {
        self.check_config()?;
        let date = http_date_bytes(now.unix_timestamp());

        // One allocation, of the exact size: the fixed text, the id, the algorithm, the names
        // and the base64 MAC.
        let capacity = 60 + self.key_id.len() + self.header_list_len_hint() + MAX_SIGNATURE_LEN;
        let mut authorization = String::with_capacity(capacity);
        authorization.push_str("hmac id=\"");
        authorization.push_str(self.key_id);
        authorization.push_str("\", algorithm=\"");
        authorization.push_str(self.algorithm.as_str());
        authorization.push_str("\", headers=\"");
        let names_start = authorization.len();
        self.write_header_list(request, &mut authorization)?;

        let mut tag = [0u8; MAX_TAG_LEN];
        let (len, content_md5) = {
            let names = authorization.get(names_start..).unwrap_or_default();
            let set = date_header(self.date_header.lower(), &date);
            let mut scratch = Scratch::default();
            let string_to_sign = self.prepare(names, request, &set, &mut scratch)?;
            let len = compute(self.algorithm, self.secret.key(), &string_to_sign, &mut tag)
                .ok_or(RequestError::UnusableSecret)?;
            (len, string_to_sign.computed_content_md5().copied())
        };
        let mut base64 = [0u8; MAX_SIGNATURE_LEN];
        let written = STANDARD
            .encode_slice(tag.get(..len).unwrap_or_default(), &mut base64)
            .unwrap_or_default();
        authorization.push_str("\", signature=\"");
        authorization.push_str(
            core::str::from_utf8(base64.get(..written).unwrap_or_default()).unwrap_or_default(),
        );
        authorization.push('"');

        Ok(Signature {
            date_header: self.date_header,
            date,
            content_md5,
            authorization,
        })
    }

    /// Signs a request given as raw parts and returns, besides the headers to apply, the
    /// wire-encoded target and (for a form) body.
    ///
    /// The path is given decoded (`/v1/中文`); query and form values raw (`中文 空格`, `a+b`).
    /// They are signed as they are and percent-encoded for the wire afterwards: everything but
    /// `A-Z a-z 0-9 - . _ ~` is escaped, so a space is `%20` and a plus `%2B`.
    ///
    /// # Errors
    ///
    /// As [`Signer::sign`]; [`RequestError::FormWithoutContentType`] when form parameters come
    /// without `Content-Type: application/x-www-form-urlencoded`.
    ///
    /// ```
    /// use apigw_sign::{Header, Secret};
    /// use apigw_sign::tencent::{Body, Mode, Parts, Signer};
    ///
    /// let secret = Secret::from("demo-secret");
    /// let headers = [Header::new("Content-Type", "application/x-www-form-urlencoded")];
    /// let parts = Parts::new("POST", "/release/v1/搜索")
    ///     .query(&[("q", "中文 空格"), ("plus", "a+b")])
    ///     .headers(&headers)
    ///     .body(Body::Form(&[("name", "张 三")]));
    /// let now = time::macros::datetime!(2021-03-11 08:29:58 UTC);
    /// let signed = Signer::new(Mode::App, "AKIDdemo", &secret).sign_parts(&parts, now)?;
    /// assert_eq!(signed.target, "/release/v1/%E6%90%9C%E7%B4%A2?q=%E4%B8%AD%E6%96%87%20%E7%A9%BA%E6%A0%BC&plus=a%2Bb");
    /// assert_eq!(signed.body.as_deref(), Some(&b"name=%E5%BC%A0%20%E4%B8%89"[..]));
    /// # Ok::<(), apigw_sign::Error>(())
    /// ```
    pub fn sign_parts(&self, parts: &Parts<'_>, now: OffsetDateTime) -> Result<SignedParts, Error> {
        let (target, body) = parts.encode()?;
        let request = Request::new(
            parts.method,
            &target,
            parts.headers,
            body.as_deref().unwrap_or(parts.raw_body()),
        );
        let signature = self.sign(&request, now)?;
        Ok(SignedParts {
            signature,
            target,
            body,
        })
    }

    /// The string to sign for `request` at `now`, as text (for `--explain` and debugging).
    ///
    /// # Errors
    ///
    /// As [`Signer::sign`].
    pub fn explain(&self, request: &Request<'_>, now: OffsetDateTime) -> Result<String, Error> {
        let date = http_date_bytes(now.unix_timestamp());
        let mut names = String::new();
        self.check_config()?;
        self.write_header_list(request, &mut names)?;
        let set = date_header(self.date_header.lower(), &date);
        let text = self
            .prepare(&names, request, &set, &mut Scratch::default())?
            .to_string();
        Ok(text)
    }

    /// The string to sign over the headers `names` (space-separated) of `request` with `set`
    /// (the date header), its canonical pieces kept in `scratch`: what [`sign`](Self::sign)
    /// signs and [`explain`](Self::explain) shows.
    fn prepare<'a, 's>(
        &self,
        names: &'a str,
        request: &Request<'a>,
        set: &'a [Header<'a>],
        scratch: &'s mut Scratch<'a>,
    ) -> Result<StringToSign<'s>, Error> {
        let Scratch { params, positions } = scratch;
        let sent = Sent::new(request.headers(), set)?;
        let headers = SignedHeaders::new(names, sent, positions).map_err(|e| e.for_signer())?;
        StringToSign::new(self.mode, headers, request, self.environment, params)
            .map(|string| string.with_path_form(self.path_form))
            .map_err(|e| e.for_signer())
    }

    /// An upper bound on the length of the `headers="…"` list.
    fn header_list_len_hint(&self) -> usize {
        self.extra_headers
            .map_or(7, |extra| extra.iter().map(|n| n.len() + 1).sum())
            + 7
    }

    fn check_config(&self) -> Result<(), RequestError> {
        if self.key_id.is_empty()
            || self
                .key_id
                .bytes()
                .any(|b| b == b'"' || b < 0x20 || b == 0x7f)
        {
            return Err(RequestError::InvalidKeyId);
        }
        if self.mode == Mode::App && self.date_header != DateHeader::XDate {
            return Err(RequestError::DateHeaderNotAllowed);
        }
        Ok(())
    }

    /// Appends the signed header names: lower case, sorted byte-wise, no duplicates, separated
    /// by single spaces.
    fn write_header_list(
        &self,
        request: &Request<'_>,
        out: &mut String,
    ) -> Result<(), RequestError> {
        let Some(extra) = self.extra_headers else {
            // The default selection, already sorted: the date header, and `source` if present.
            let has_source = request.find(SOURCE).is_present();
            out.push_str(match (self.date_header, has_source) {
                (DateHeader::XDate, true) => "source x-date",
                (DateHeader::XDate, false) => "x-date",
                (DateHeader::Date, true) => "date source",
                (DateHeader::Date, false) => "date",
            });
            return Ok(());
        };
        let mut names = [""; MAX_SIGNED_HEADERS];
        let mut len = 0usize;
        let mut add = |name: &'k str| -> Result<(), RequestError> {
            check_header_name(name)?;
            if names.iter().take(len).any(|n| n.eq_ignore_ascii_case(name)) {
                return Ok(());
            }
            *names
                .get_mut(len)
                .ok_or(RequestError::TooManySignedHeaders)? = name;
            len += 1;
            Ok(())
        };
        add(self.date_header.lower())?;
        extra.iter().try_for_each(|name| add(name))?;
        let names = names.get_mut(..len).unwrap_or_default();
        push_sorted_names(names, |name| *name, ' ', out);
        Ok(())
    }
}

/// What to apply to a request after signing it: its headers.
///
/// `Debug` shows the `Authorization` value with its signature redacted: until its window ends,
/// the signature is a credential.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    date_header: DateHeader,
    date: [u8; 29],
    content_md5: Option<[u8; CONTENT_MD5_LEN]>,
    authorization: String,
}

impl Signature {
    /// The date header to set: (`X-Date` or `Date`, IMF-fixdate of the signing time).
    pub fn date(&self) -> (&'static str, &str) {
        (
            self.date_header.name(),
            core::str::from_utf8(&self.date).unwrap_or_default(),
        )
    }

    /// The `Content-MD5` header to set (app mode with a non-form body).
    pub fn content_md5(&self) -> Option<&str> {
        self.content_md5
            .as_ref()
            .map(|md5| core::str::from_utf8(md5).unwrap_or_default())
    }

    /// The `Authorization` header to set.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }

    /// Every header to set, replacing any of the same name: the date, `Content-MD5` when there
    /// is one, and `Authorization`.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            Some(self.date()),
            self.content_md5().map(|v| ("Content-MD5", v)),
            Some(("Authorization", self.authorization())),
        ]
        .into_iter()
        .flatten()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let authorization = self
            .authorization
            .rsplit_once("signature=\"")
            .map_or("<redacted>".to_owned(), |(head, _)| {
                format!("{head}signature=\"<redacted>\"")
            });
        f.debug_struct("Signature")
            .field("date", &self.date())
            .field("content_md5", &self.content_md5())
            .field("authorization", &authorization)
            .finish()
    }
}

/// A request body given to [`Signer::sign_parts`].
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub enum Body<'a> {
    /// No body.
    #[default]
    Empty,
    /// Form parameters, raw; sent `application/x-www-form-urlencoded`.
    Form(&'a [(&'a str, &'a str)]),
    /// Body bytes sent as they are (JSON, say).
    Bytes(&'a [u8]),
}

/// A request as raw parts, for [`Signer::sign_parts`].
#[derive(Clone, Copy, Debug)]
pub struct Parts<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    headers: &'a [Header<'a>],
    body: Body<'a>,
}

impl<'a> Parts<'a> {
    /// A request with this method and decoded path, no query, headers or body.
    pub const fn new(method: &'a str, path: &'a str) -> Self {
        Parts {
            method,
            path,
            query: &[],
            headers: &[],
            body: Body::Empty,
        }
    }

    /// Sets the raw query parameters, in wire order.
    #[must_use]
    pub const fn query(self, query: &'a [(&'a str, &'a str)]) -> Self {
        Parts { query, ..self }
    }

    /// Sets the headers.
    #[must_use]
    pub const fn headers(self, headers: &'a [Header<'a>]) -> Self {
        Parts { headers, ..self }
    }

    /// Sets the body.
    #[must_use]
    pub const fn body(self, body: Body<'a>) -> Self {
        Parts { body, ..self }
    }

    fn raw_body(&self) -> &'a [u8] {
        match self.body {
            Body::Bytes(bytes) => bytes,
            Body::Empty | Body::Form(_) => b"",
        }
    }

    /// The wire target and, for a form, the wire body.
    fn encode(&self) -> Result<(String, Option<Vec<u8>>), Error> {
        if !self.path.starts_with('/') {
            return Err(RequestError::InvalidTarget.into());
        }
        let mut target = String::with_capacity(self.path.len() * 3 + self.query.len() * 16);
        let _ = write!(target, "{}", encode_path(self.path));
        write_pairs(&mut target, self.query, '?');
        let body = match self.body {
            Body::Form(form) => {
                let mut headers = self
                    .headers
                    .iter()
                    .filter(|h| h.name.eq_ignore_ascii_case("content-type"));
                if !headers
                    .next()
                    .is_some_and(|h| is_form_content_type(h.value))
                {
                    return Err(RequestError::FormWithoutContentType.into());
                }
                let mut body = String::new();
                write_pairs(&mut body, form, '\0');
                Some(body.into_bytes())
            }
            Body::Empty | Body::Bytes(_) => None,
        };
        Ok((target, body))
    }
}

/// Appends `k=v&k=v`, encoded; `first` (unless NUL) goes before the first pair.
fn write_pairs(out: &mut String, pairs: &[(&str, &str)], first: char) {
    for (i, (key, value)) in pairs.iter().enumerate() {
        match (i, first) {
            (0, '\0') => {}
            (0, c) => out.push(c),
            _ => out.push('&'),
        }
        let _ = write!(out, "{}={}", encode_component(key), encode_component(value));
    }
}

/// The result of [`Signer::sign_parts`]: headers to set, the wire target and the wire body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedParts {
    /// The headers to set.
    pub signature: Signature,
    /// The percent-encoded request target (`/path?query`).
    pub target: String,
    /// The percent-encoded form body, when the body was [`Body::Form`]; `None` means the body
    /// is sent as given.
    pub body: Option<Vec<u8>>,
}
