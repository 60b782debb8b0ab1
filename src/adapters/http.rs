//! Signing and verifying [`http::Request`] values (http 1.x), and errors as [`http::Response`]s.
//!
//! Enabled by the `http` feature. The core stays free of any HTTP crate; this module only
//! translates:
//!
//! - [`HttpRequestView`] looks at an `http::Request<B>` whose body is at hand ([`BodyBytes`]:
//!   `Vec<u8>`, `String`, `&[u8]`, `&str`, `Bytes`, `Full<Bytes>`, `Empty<Bytes>`, `()`) as the
//!   crate's borrowed [`Request`]. It collects the headers into one
//!   small `Vec` of borrowed names and values; the method, the target and the body are borrowed,
//!   so the body is never copied.
//! - [`sign_tencent`] and [`sign_bce`] sign a request in place; [`verify_tencent`] and
//!   [`verify_bce`] verify one and return what was established, owned
//!   ([`tencent::Verified::into_owned`], [`bce::Verified::into_owned`]).
//! - [`route`] runs a request through the [gateway model](crate::gateway).
//! - [`error_response`] turns an [`Error`] into the vendor's JSON response.
//! - The header names of [`crate::headers`] as `http::HeaderName`s ([`X_DATE`], …).
//!
//! # Decisions
//!
//! - The target is the URI's path and query, exactly as `http` holds it (origin-form); a URI
//!   without one (`http://host`) is `/`.
//! - A request without a `Host` header whose URI has an authority (an HTTP/2 request, where the
//!   host travels as `:authority`, or a client request built from an absolute URI) is seen with
//!   `Host` set to that authority. The signers then insert that `Host` header, so the request
//!   carries the host it was signed with: an HTTP client deriving its own `Host` from the URI may
//!   write it differently (without a default port, say).
//! - The signers apply nothing unless everything can be applied: a value `http` refuses is
//!   [`RequestError::InvalidHeaderValue`] and leaves the request as it was. (`http` refuses only
//!   control characters, which the signers already refuse in a key id; bytes from 0x80 up, such
//!   as a UTF-8 key id, travel as they are.)
//!
//! ```
//! use apigw_sign::http::{error_response, sign_tencent, verify_tencent};
//! use apigw_sign::tencent::{Mode, Policy, Signer, Verifier};
//! use apigw_sign::{KeySet, Secret, StatusProfile};
//!
//! let secret = Secret::from("demo-secret");
//! let now = time::macros::datetime!(2021-03-11 08:29:58 UTC);
//! let mut request = http::Request::post("https://service-demo.gz.apigw.tencentcs.com/release/v1/users")
//!     .header("Content-Type", "application/json")
//!     .body(br#"{"name":"demo"}"#.to_vec())?;
//!
//! // Client: signing sets X-Date, Content-MD5 and Authorization.
//! sign_tencent(&Signer::new(Mode::App, "AKIDdemo", &secret), &mut request, now)?;
//! assert!(request.headers().contains_key("content-md5"));
//!
//! // Server: verify, and answer a failure with the vendor's response.
//! let mut keys = KeySet::new();
//! keys.insert("AKIDdemo", "demo-secret");
//! let verifier = Verifier::new(Policy::default());
//! assert_eq!(verify_tencent(&verifier, Mode::App, &request, &keys, now)?.key_id(), "AKIDdemo");
//!
//! request.body_mut().push(b' ');
//! let error = verify_tencent(&verifier, Mode::App, &request, &keys, now).unwrap_err();
//! let response = error_response(&error, StatusProfile::Classic, "");
//! assert_eq!(response.status(), 403);
//! assert_eq!(response.body(), r#"{"message":"HMAC signature does not match"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use core::ops::Deref;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, HOST, RETRY_AFTER};
use http::uri::{PathAndQuery, Uri};
use http::{HeaderMap, Method, Response, StatusCode};
use http_body::Body as _;
use http_body_util::{Empty, Full};
use time::OffsetDateTime;

use crate::bce;
use crate::error::{Error, StatusProfile};
use crate::gateway::{Gateway, Routed};
use crate::keys::KeyLookup;
use crate::replay::ReplayGuard;
use crate::request::{Header, Protocol, Request, RequestError};
use crate::tencent::{self, Mode};

/// `x-date` ([`crate::headers::X_DATE`]).
pub const X_DATE: HeaderName = HeaderName::from_static(crate::headers::X_DATE);
/// `date` ([`crate::headers::DATE`]).
pub const DATE: HeaderName = HeaderName::from_static(crate::headers::DATE);
/// `source` ([`crate::headers::SOURCE`]).
pub const SOURCE: HeaderName = HeaderName::from_static(crate::headers::SOURCE);
/// `content-md5` ([`crate::headers::CONTENT_MD5`]).
pub const CONTENT_MD5: HeaderName = HeaderName::from_static(crate::headers::CONTENT_MD5);
/// `authorization` ([`crate::headers::AUTHORIZATION`]).
pub const AUTHORIZATION: HeaderName = HeaderName::from_static(crate::headers::AUTHORIZATION);
/// `x-bce-date` ([`crate::headers::X_BCE_DATE`]).
pub const X_BCE_DATE: HeaderName = HeaderName::from_static(crate::headers::X_BCE_DATE);
/// `x-bce-signature` ([`crate::headers::X_BCE_SIGNATURE`]).
pub const X_BCE_SIGNATURE: HeaderName = HeaderName::from_static(crate::headers::X_BCE_SIGNATURE);
/// `x-bce-stage` ([`crate::headers::X_BCE_STAGE`]).
pub const X_BCE_STAGE: HeaderName = HeaderName::from_static(crate::headers::X_BCE_STAGE);

/// A request body whose bytes are at hand without consuming it: what the signers read (Tencent
/// app mode signs the body's MD5 or its form parameters) and what [`HttpRequestView`] lends.
///
/// Implemented for the buffered bodies: `Vec<u8>`, `String`, `&[u8]`, `&str`, `Box<[u8]>`,
/// `Bytes`, `Full<Bytes>`, `Empty<Bytes>` and `()` (no body). A streaming body has no bytes to
/// lend: collect it first (`http_body_util::BodyExt::collect`).
pub trait BodyBytes {
    /// The body's bytes.
    fn body_bytes(&self) -> BodyRef<'_>;
}

/// A body's bytes: borrowed, or a shared [`Bytes`] handle (no copy of the data). Read it as
/// `&[u8]` (it derefs to one).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BodyRef<'a> {
    /// Borrowed from the body.
    Borrowed(&'a [u8]),
    /// A reference-counted handle to the body's data.
    Shared(Bytes),
}

impl Deref for BodyRef<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            BodyRef::Borrowed(bytes) => bytes,
            BodyRef::Shared(bytes) => bytes,
        }
    }
}

macro_rules! borrowed_bodies {
    ($($body:ty),* $(,)?) => {$(
        impl BodyBytes for $body {
            fn body_bytes(&self) -> BodyRef<'_> {
                BodyRef::Borrowed(AsRef::<[u8]>::as_ref(self))
            }
        }
    )*};
}

borrowed_bodies!(Vec<u8>, String, &[u8], &str, Box<[u8]>, Bytes);

impl<const N: usize> BodyBytes for &[u8; N] {
    fn body_bytes(&self) -> BodyRef<'_> {
        BodyRef::Borrowed(&self[..])
    }
}

impl BodyBytes for () {
    fn body_bytes(&self) -> BodyRef<'_> {
        BodyRef::Borrowed(b"")
    }
}

impl BodyBytes for Empty<Bytes> {
    fn body_bytes(&self) -> BodyRef<'_> {
        BodyRef::Borrowed(b"")
    }
}

/// A `Full` body holds its one chunk until polled, and lends it to no one: a clone (a
/// reference count) is polled once, which a `Full` answers at once, with no waker needed.
impl BodyBytes for Full<Bytes> {
    fn body_bytes(&self) -> BodyRef<'_> {
        let mut body = self.clone();
        let mut context = Context::from_waker(Waker::noop());
        match Pin::new(&mut body).poll_frame(&mut context) {
            Poll::Ready(Some(Ok(frame))) => frame
                .into_data()
                .map_or(BodyRef::Borrowed(b""), BodyRef::Shared),
            // An empty `Full` ends at once; its error type is `Infallible`.
            _ => BodyRef::Borrowed(b""),
        }
    }
}

/// An [`http::Request`] seen as the crate's borrowed [`Request`].
///
/// Owns one `Vec` of [`Header`]s borrowing the request's names and values (which may be any
/// bytes `http` allows, UTF-8 or not); everything else is borrowed.
///
/// ```
/// use apigw_sign::http::HttpRequestView;
///
/// let request = http::Request::get("/v1/users?id=7").header("Host", "example.com").body(Vec::new())?;
/// let view = HttpRequestView::new(&request);
/// let borrowed = view.request();
/// assert_eq!((borrowed.method(), borrowed.target()), ("GET", "/v1/users?id=7"));
/// assert_eq!(borrowed.headers().len(), 1);
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Clone)]
pub struct HttpRequestView<'a> {
    method: &'a str,
    target: &'a str,
    headers: Vec<Header<'a>>,
    body: BodyRef<'a>,
}

impl<'a> HttpRequestView<'a> {
    /// A view of `request` with its body.
    pub fn new<B: BodyBytes>(request: &'a http::Request<B>) -> Self {
        Self::from_parts_of(
            request.method(),
            request.uri(),
            request.headers(),
            request.body().body_bytes(),
        )
    }

    /// A view of a request split into its parts and its (collected) body, as servers often hold
    /// it.
    pub fn from_parts(parts: &'a http::request::Parts, body: &'a [u8]) -> Self {
        Self::from_parts_of(
            &parts.method,
            &parts.uri,
            &parts.headers,
            BodyRef::Borrowed(body),
        )
    }

    pub(crate) fn from_parts_of(
        method: &'a Method,
        uri: &'a Uri,
        headers: &'a HeaderMap,
        body: BodyRef<'a>,
    ) -> Self {
        let target = uri.path_and_query().map_or("/", PathAndQuery::as_str);
        let mut collected = Vec::with_capacity(headers.len() + 1);
        collected.extend(
            headers
                .iter()
                .map(|(name, value)| Header::from_bytes(name.as_str(), value.as_bytes())),
        );
        if let Some(host) = implied_host(uri, headers) {
            collected.push(Header::new(HOST.as_str(), host));
        }
        HttpRequestView {
            method: method.as_str(),
            target,
            headers: collected,
            body,
        }
    }

    /// The borrowed request the signers and verifiers read. Call
    /// [`without_body`](Request::without_body) on it when the body was not collected.
    pub fn request(&self) -> Request<'_> {
        Request::new(self.method, self.target, &self.headers, &self.body)
    }
}

impl fmt::Debug for HttpRequestView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequestView")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The URI's authority, when the headers have no `Host` to carry it.
fn implied_host<'a>(uri: &'a Uri, headers: &HeaderMap) -> Option<&'a str> {
    if headers.contains_key(HOST) {
        return None;
    }
    uri.authority().map(|authority| authority.as_str())
}

/// Signs `request` for Tencent API Gateway at `now`, in place: sets the date header
/// (`X-Date` or `Date`), `Content-MD5` when the signature has one, and `Authorization`,
/// replacing any of the same name (and `Host`, when it was taken from the URI).
///
/// # Errors
///
/// As [`tencent::Signer::sign`]; [`RequestError::InvalidHeaderValue`] when `http` refuses a
/// value to set. The request is unchanged on error.
pub fn sign_tencent<B: BodyBytes>(
    signer: &tencent::Signer<'_>,
    request: &mut http::Request<B>,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let signature = signer.sign(&HttpRequestView::new(request).request(), now)?;
    apply(request, signature.headers(), None)
}

/// Verifies `request`, signed in `mode`, at `now`, with keys from `keys`: what
/// [`tencent::Verifier::verify`] established, owned.
///
/// # Errors
///
/// As [`tencent::Verifier::verify`].
pub fn verify_tencent<B: BodyBytes>(
    verifier: &tencent::Verifier,
    mode: Mode,
    request: &http::Request<B>,
    keys: &impl KeyLookup,
    now: OffsetDateTime,
) -> Result<tencent::Verified<'static>, Error> {
    let view = HttpRequestView::new(request);
    let verified = verifier.verify(mode, &view.request(), keys, now)?;
    Ok(verified.into_owned())
}

/// Signs `request` with `bce-auth-v1` at `now`, in place: for [`Carrier::Query`](bce::Carrier::Query) the URI gets
/// the `authorization` parameter (a presigned URL); otherwise sets `x-bce-date` when the signer
/// added it, `X-Bce-Stage` when asked, and the carrier header, replacing any of the same name
/// (and `Host`, when it was taken from the URI).
///
/// # Errors
///
/// As [`bce::Signer::sign`]; [`RequestError::InvalidHeaderValue`] when `http` refuses a value
/// to set, [`RequestError::InvalidTarget`] when it refuses the presigned target (or the URI has
/// an authority but no scheme). The request is unchanged on error.
pub fn sign_bce<B: BodyBytes>(
    signer: &bce::Signer<'_>,
    request: &mut http::Request<B>,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let signature = signer.sign(&HttpRequestView::new(request).request(), now)?;
    apply(request, signature.headers(), signature.target())
}

/// Verifies `request` at `now` with keys (and AppCodes) from `keys`: what
/// [`bce::Verifier::verify`] established, owned.
///
/// # Errors
///
/// As [`bce::Verifier::verify`].
pub fn verify_bce<B: BodyBytes>(
    verifier: &bce::Verifier,
    request: &http::Request<B>,
    keys: &impl KeyLookup,
    now: OffsetDateTime,
) -> Result<bce::Verified<'static>, Error> {
    let view = HttpRequestView::new(request);
    let verified = verifier.verify(&view.request(), keys, now)?;
    Ok(verified.into_owned())
}

/// Routes `request`, which arrived over `protocol`, through `gateway` at `now`: what
/// [`Gateway::route`] established, or its error.
///
/// ```
/// use apigw_sign::gateway::{Config, Gateway};
/// use apigw_sign::{Error, Protocol};
///
/// let gateway = Gateway::new(Config::default())?;
/// let request = http::Request::get("/release/users").header("Host", "example.com").body(Vec::new())?;
/// let error = apigw_sign::http::route(&gateway, &request, Protocol::Http, time::OffsetDateTime::now_utc()).unwrap_err();
/// assert_eq!(error, Error::NoApiForHost { host: "example.com".into() });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`Gateway::route`].
pub fn route<'g, B: BodyBytes>(
    gateway: &'g Gateway,
    request: &http::Request<B>,
    protocol: Protocol,
    now: OffsetDateTime,
) -> Result<Routed<'g>, Error> {
    gateway.route(&HttpRequestView::new(request).request(), protocol, now)
}

/// [`Gateway::route_once`] on an `http::Request`: routes, verifies and records the signature in
/// `guard`, refusing a replay.
///
/// # Errors
///
/// As [`Gateway::route_once`].
pub fn route_once<'g, B: BodyBytes>(
    gateway: &'g Gateway,
    request: &http::Request<B>,
    protocol: Protocol,
    guard: &(impl ReplayGuard + ?Sized),
    now: OffsetDateTime,
) -> Result<Routed<'g>, Error> {
    let view = HttpRequestView::new(request);
    // `&G` is a sized guard for any `G`, so it makes a trait object.
    gateway.route_with(&view.request(), protocol, Some(&guard), now)
}

/// The vendor's response to `error`: its status under `profile` (BCE errors ignore it),
/// `Content-Type: application/json` and [`Error::json_body_with_request_id`] as the body, and
/// for a 503 a `Retry-After` header ([`Error::retry_after`]). `request_id` appears in BCE
/// bodies only; Tencent's carry none.
///
/// ```
/// use apigw_sign::{Error, StatusProfile};
///
/// let response = apigw_sign::http::error_response(&Error::BceEmptySignature, StatusProfile::Classic, "r-1");
/// assert_eq!(response.status(), 400);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// assert_eq!(response.body(), r#"{"code":"EmptySignature","message":"Signature is empty","requestId":"r-1"}"#);
///
/// // A 503 says when to retry.
/// let response = apigw_sign::http::error_response(&Error::ReplayGuardUnavailable, StatusProfile::Classic, "");
/// assert_eq!(response.status(), 503);
/// assert_eq!(response.headers()["retry-after"], "1");
/// ```
pub fn error_response(error: &Error, profile: StatusProfile, request_id: &str) -> Response<String> {
    let mut response = Response::new(error.json_body_with_request_id(request_id));
    // Every status `Error::status` returns is a valid code; the fallback is never taken.
    *response.status_mut() =
        StatusCode::from_u16(error.status(profile)).unwrap_or(StatusCode::BAD_REQUEST);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(seconds) = error.retry_after() {
        response.headers_mut().insert(RETRY_AFTER, seconds.into());
    }
    response
}

/// Sets `headers` (replacing any of the same name), the `Host` the signature was computed with
/// when it came from the URI, and for a presigned URL the new `target`; everything is
/// converted first, so nothing is applied when anything fails.
fn apply<'s, B>(
    request: &mut http::Request<B>,
    headers: impl Iterator<Item = (&'static str, &'s str)>,
    target: Option<&str>,
) -> Result<(), Error> {
    let mut converted = Vec::with_capacity(4);
    if let Some(host) = implied_host(request.uri(), request.headers()) {
        converted.push((HOST, header_value(host)?));
    }
    for (name, value) in headers {
        converted.push((header_name(name)?, header_value(value)?));
    }
    let uri = target
        .map(|target| with_target(request.uri(), target))
        .transpose()?;
    if let Some(uri) = uri {
        *request.uri_mut() = uri;
    }
    for (name, value) in converted {
        request.headers_mut().insert(name, value);
    }
    Ok(())
}

fn header_name(name: &str) -> Result<HeaderName, RequestError> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| RequestError::InvalidHeaderName)
}

fn header_value(value: &str) -> Result<HeaderValue, RequestError> {
    HeaderValue::from_str(value).map_err(|_| RequestError::InvalidHeaderValue)
}

/// `uri` with its path and query replaced by `target`, scheme and authority kept.
fn with_target(uri: &Uri, target: &str) -> Result<Uri, RequestError> {
    let mut parts = uri.clone().into_parts();
    parts.path_and_query =
        Some(PathAndQuery::try_from(target).map_err(|_| RequestError::InvalidTarget)?);
    Uri::from_parts(parts).map_err(|_| RequestError::InvalidTarget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_borrows_target_headers_and_body() {
        let request = http::Request::post("/a/b?x=1")
            .header("Host", "example.com")
            .header("X-Raw", &b"\xff\xfe"[..])
            .body(b"payload".to_vec())
            .unwrap();
        let view = HttpRequestView::new(&request);
        let r = view.request();
        assert_eq!((r.method(), r.target()), ("POST", "/a/b?x=1"));
        assert_eq!(
            r.headers(),
            [
                Header::new("host", "example.com"),
                Header::from_bytes("x-raw", b"\xff\xfe")
            ]
        );
        assert_eq!(r.body(), Some(&b"payload"[..]));
        assert!(core::ptr::eq(r.body().unwrap(), request.body().as_slice()));
    }

    #[test]
    fn uri_without_path_is_slash_and_authority_is_host() {
        let request = http::Request::get("http://example.com:8080")
            .body(Vec::new())
            .unwrap();
        let view = HttpRequestView::new(&request);
        let r = view.request();
        assert_eq!(r.target(), "/");
        assert_eq!(r.headers(), [Header::new("host", "example.com:8080")]);
    }

    #[test]
    fn host_header_wins_over_authority() {
        let request = http::Request::get("http://example.com/p")
            .header("Host", "other.example")
            .body(Vec::new())
            .unwrap();
        let view = HttpRequestView::new(&request);
        assert_eq!(
            view.request().headers(),
            [Header::new("host", "other.example")]
        );
    }

    #[test]
    fn nothing_is_applied_when_anything_is_refused() {
        let mut request = http::Request::get("http://example.com/a")
            .body(Vec::<u8>::new())
            .unwrap();
        let cases: [(&[(&'static str, &str)], _, _); 3] = [
            (
                &[("X-Date", "ok"), ("Authorization", "bad\r\nvalue")],
                None,
                RequestError::InvalidHeaderValue,
            ),
            (&[("Bad Name", "ok")], None, RequestError::InvalidHeaderName),
            (
                &[("X-Date", "ok")],
                Some("/a b"),
                RequestError::InvalidTarget,
            ),
        ];
        for (headers, target, expected) in cases {
            let result = apply(&mut request, headers.iter().copied(), target);
            assert_eq!(result, Err(Error::InvalidRequest(expected)));
            assert!(request.headers().is_empty());
            assert_eq!(request.uri(), "http://example.com/a");
        }
        apply(&mut request, [("X-Date", "ok")].into_iter(), Some("/a?b")).unwrap();
        assert_eq!(request.uri(), "http://example.com/a?b");
        assert_eq!(request.headers()["host"], "example.com");
        assert_eq!(request.headers()["x-date"], "ok");
    }

    #[test]
    fn presigned_target_keeps_scheme_and_authority() {
        let uri: Uri = "https://example.com/a?b=1".parse().unwrap();
        let rewritten = with_target(&uri, "/a?b=1&authorization=x%2Fy").unwrap();
        assert_eq!(
            rewritten.to_string(),
            "https://example.com/a?b=1&authorization=x%2Fy"
        );
        assert_eq!(with_target(&uri, "/a b"), Err(RequestError::InvalidTarget));
    }
}
