//! Signing a [`reqwest::Request`] in place (feature `reqwest`), and a `reqwest-middleware`
//! middleware that signs every request as it is sent (feature `reqwest-middleware`).
//!
//! The signers read the request's method, URL, headers and body bytes, exactly as the
//! [`http`](crate::http) adapter does (this module lends the request to it), and set what the
//! signature needs:
//!
//! - the host: reqwest writes `Host` from the URL when it sends the request; the signers set it
//!   from the URL beforehand (host, and port when not the scheme's default), so the signed
//!   `Host` is the one sent;
//! - `Accept` in Tencent app mode, which signs it without listing it: reqwest adds
//!   `Accept: */*` when a request has none, after signing, so the signer sets that value first;
//! - a body that is a stream (`Body::wrap_stream`) has no bytes to sign:
//!   [`RequestError::StreamingBody`]. Build the body from bytes, a string, `.json()` or
//!   `.form()`.
//!
//! ```
//! use apigw_sign::tencent::{Mode, Signer};
//! use apigw_sign::Secret;
//!
//! let secret = Secret::from("demo-secret");
//! let client = reqwest::Client::new();
//! let mut request = client
//!     .post("http://127.0.0.1:8080/release/v1/orders")
//!     .query(&[("lang", "zh-CN")])
//!     .json(&serde_json::json!({"item": 7}))
//!     .build()?;
//! let now = apigw_sign::time::OffsetDateTime::now_utc();
//! apigw_sign::reqwest::sign_tencent(&Signer::new(Mode::App, "AKIDdemo", &secret), &mut request, now)?;
//! assert!(request.headers()["authorization"].to_str()?.starts_with("hmac id=\"AKIDdemo\""));
//! assert_eq!(request.headers()["accept"], "*/*");
//! // client.execute(request).await?
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::mem;

use http::header::{HeaderValue, ACCEPT};
use http::Uri;
use reqwest::Url;
use time::OffsetDateTime;

use crate::adapters::http::{sign_bce as sign_bce_http, sign_tencent as sign_tencent_http};
use crate::bce;
use crate::error::Error;
use crate::request::RequestError;
use crate::tencent::{self, Mode};

/// What reqwest sends as `Accept` when a request has none.
const REQWEST_ACCEPT: &str = "*/*";

/// Signs `request` for Tencent API Gateway at `now`, in place: sets `Host`, the date header,
/// `Content-MD5` when the signature has one, `Authorization`, and in app mode `Accept: */*`
/// when the request has no `Accept` (what reqwest would send).
///
/// # Errors
///
/// As [`tencent::Signer::sign`]; [`RequestError::StreamingBody`] for a streaming body. The
/// request is unchanged on error.
pub fn sign_tencent(
    signer: &tencent::Signer<'_>,
    request: &mut reqwest::Request,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let accept = signer.mode() == Mode::App;
    with_http(request, accept, |lent| sign_tencent_http(signer, lent, now))
}

/// Signs `request` with `bce-auth-v1` at `now`, in place: sets `Host` and, depending on the
/// signer's carrier, `x-bce-date`, `X-Bce-Stage` and the carrier header, or for
/// [`Carrier::Query`](bce::Carrier::Query) the `authorization` query parameter (a presigned
/// URL).
///
/// # Errors
///
/// As [`bce::Signer::sign`]; [`RequestError::StreamingBody`] for a streaming body. The request
/// is unchanged on error.
pub fn sign_bce(
    signer: &bce::Signer<'_>,
    request: &mut reqwest::Request,
    now: OffsetDateTime,
) -> Result<(), Error> {
    with_http(request, false, |lent| sign_bce_http(signer, lent, now))
}

/// Lends `request` to the `http` adapter's signer `sign` as an `http::Request` over its
/// headers and body bytes, then takes back the headers (and the URL, for a presigned one). The
/// `http` signers change nothing on error, so only an `Accept` set here is taken back then.
fn with_http(
    request: &mut reqwest::Request,
    set_accept: bool,
    sign: impl FnOnce(&mut http::Request<&[u8]>) -> Result<(), Error>,
) -> Result<(), Error> {
    if request.body().is_some_and(|body| body.as_bytes().is_none()) {
        return Err(RequestError::StreamingBody.into());
    }
    let uri = uri_of(request.url())?;
    let mut headers = mem::take(request.headers_mut());
    let added_accept = set_accept && !headers.contains_key(ACCEPT);
    if added_accept {
        headers.insert(ACCEPT, HeaderValue::from_static(REQWEST_ACCEPT));
    }
    let body = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .unwrap_or_default();
    let mut lent = http::Request::new(body);
    *lent.method_mut() = request.method().clone();
    *lent.uri_mut() = uri.clone();
    *lent.headers_mut() = headers;
    let signed = sign(&mut lent);
    let (mut parts, _) = lent.into_parts();
    if signed.is_err() && added_accept {
        parts.headers.remove(ACCEPT);
    }
    *request.headers_mut() = parts.headers;
    if signed.is_ok() && parts.uri != uri {
        // A presigned URL: the target the signer wrote, already percent-encoded.
        let url = request.url_mut();
        url.set_path(parts.uri.path());
        url.set_query(parts.uri.query());
    }
    signed
}

/// The URL as an `http::Uri`: scheme, host and port (as reqwest writes `Host`: the port only
/// when it is not the scheme's default), path and query; no user info, no fragment.
fn uri_of(url: &Url) -> Result<Uri, RequestError> {
    let host = url.host_str().ok_or(RequestError::InvalidTarget)?;
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    Uri::builder()
        .scheme(url.scheme())
        .authority(authority)
        .path_and_query(target)
        .build()
        .map_err(|_| RequestError::InvalidTarget)
}

#[cfg(feature = "reqwest-middleware")]
pub use middleware::{SignRequest, SigningMiddleware};

#[cfg(feature = "reqwest-middleware")]
mod middleware {
    use core::fmt;

    use http::Extensions;
    use reqwest_middleware::{Middleware, Next};
    use time::OffsetDateTime;

    use crate::error::Error;

    /// How a [`SigningMiddleware`] signs a request: any
    /// `Fn(&mut reqwest::Request, OffsetDateTime) -> Result<(), Error>`, typically one of this
    /// module's signers with a signer built from owned key material.
    pub trait SignRequest: Send + Sync + 'static {
        /// Signs `request` in place at `now`.
        ///
        /// # Errors
        ///
        /// The signer's.
        fn sign(&self, request: &mut reqwest::Request, now: OffsetDateTime) -> Result<(), Error>;
    }

    impl<F> SignRequest for F
    where
        F: Fn(&mut reqwest::Request, OffsetDateTime) -> Result<(), Error> + Send + Sync + 'static,
    {
        fn sign(&self, request: &mut reqwest::Request, now: OffsetDateTime) -> Result<(), Error> {
            self(request, now)
        }
    }

    /// A `reqwest-middleware` middleware that signs each request when it is sent, at the
    /// current time: a retry middleware placed before it (`ClientBuilder::with` order) gets
    /// every attempt signed afresh, with its own date, rather than resending an old signature
    /// (which a replay guard would refuse, and a clock window may have left behind).
    ///
    /// A request the signer refuses is not sent: the middleware answers
    /// `reqwest_middleware::Error::Middleware` with the crate's [`Error`].
    ///
    /// ```
    /// use apigw_sign::reqwest::{sign_tencent, SigningMiddleware};
    /// use apigw_sign::tencent::{Mode, Signer};
    /// use apigw_sign::Secret;
    ///
    /// let secret = Secret::from("demo-secret");
    /// let signing = SigningMiddleware::new(move |request: &mut reqwest::Request, now| {
    ///     sign_tencent(&Signer::new(Mode::App, "AKIDdemo", &secret), request, now)
    /// });
    /// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
    ///     .with(signing)
    ///     .build();
    /// // client.get("http://127.0.0.1:8080/release/v1").send().await?
    /// # drop(client);
    /// ```
    pub struct SigningMiddleware<S> {
        signer: S,
        clock: fn() -> OffsetDateTime,
    }

    impl<S: SignRequest> SigningMiddleware<S> {
        /// A middleware signing with `signer` at [`OffsetDateTime::now_utc`].
        pub fn new(signer: S) -> Self {
            SigningMiddleware {
                signer,
                clock: OffsetDateTime::now_utc,
            }
        }

        /// Reads the time from `clock` instead (a clock corrected for a known skew, or a
        /// test's).
        #[must_use]
        pub fn clock(self, clock: fn() -> OffsetDateTime) -> Self {
            SigningMiddleware { clock, ..self }
        }
    }

    /// Shows neither the signer nor the clock (the signer holds the key).
    impl<S> fmt::Debug for SigningMiddleware<S> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SigningMiddleware").finish_non_exhaustive()
        }
    }

    #[async_trait::async_trait]
    impl<S: SignRequest> Middleware for SigningMiddleware<S> {
        async fn handle(
            &self,
            mut request: reqwest::Request,
            extensions: &mut Extensions,
            next: Next<'_>,
        ) -> reqwest_middleware::Result<reqwest::Response> {
            self.signer
                .sign(&mut request, (self.clock)())
                .map_err(reqwest_middleware::Error::middleware)?;
            next.run(request, extensions).await
        }
    }
}
