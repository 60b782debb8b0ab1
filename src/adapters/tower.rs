//! A [`tower`](https://docs.rs/tower) layer that authenticates every request before the inner
//! service sees it.
//!
//! Enabled by the `tower` feature. [`VerifyLayer`] wraps a service (an axum `Router`, a hyper
//! service, anything `tower`); for each request its [`VerifyService`]:
//!
//! 1. refuses a body announced longer than [`body_limit`](VerifyLayer::body_limit) (1 MiB by
//!    default) with 413, `Connection: close` and
//!    `{"message":"request body is larger than N bytes"}`;
//! 2. authenticates the request's **head**, without reading the body, with what the layer was
//!    built with: the Tencent verifier ([`VerifyLayer::tencent`]), the BCE verifier
//!    ([`VerifyLayer::bce`]) or the gateway model ([`VerifyLayer::gateway`], which also
//!    routes), at [`OffsetDateTime::now_utc`] (this adapter reads the clock; the core never
//!    does); with a [`replay_guard`](VerifyLayer::replay_guard), a signature is accepted only
//!    once inside its window. A request refused here costs no body memory;
//! 3. only where the scheme signs the body (Tencent app mode: its MD5, or a form's
//!    parameters), reads it, up to the limit (a longer one: 413 as above; one whose stream
//!    fails with an `io::Error` of kind `TimedOut`, a server's body timeout: 408,
//!    `Connection: close` and `{"message":"the request body did not arrive in time"}`; any
//!    other failure: 400 and `{"message":"the request body could not be read"}`), and
//!    authenticates the whole request;
//! 4. on success, inserts an [`Identity`] into the request's extensions and calls the inner
//!    service with a [`VerifiedBody<B>`]: the body read in step 3 ([`Either::Left`], trailers
//!    dropped), or else the request's own body streamed unread ([`Either::Right`]), still
//!    bounded by the limit (reading past it fails);
//! 5. on failure, answers with the vendor's status and JSON body, as [`error_response`] builds
//!    it: the status under the Tencent policy's [`StatusProfile`](crate::StatusProfile) (the
//!    gateway's `tencent` policy for the gateway), and for BCE errors a `requestId` (see
//!    [`VerifyLayer::request_id`]).
//!
//! Keys come from any [`KeySource`](crate::KeySource), fetched between the two phases of
//! verification (a [`SharedKeys`](crate::SharedKeys) to replace them while serving); refusals
//! reach [`VerifyLayer::on_reject`], the response's extensions (the [`Error`](crate::Error)) and,
//! with the `tracing` feature, one event per request. Under axum's `Router::nest`, put the
//! layer on the outer router, or enable the `axum` feature (the layer then verifies the URI the
//! request arrived with, axum's `OriginalUri`).
//!
//! The response body is [`ResponseBody<B>`]: [`Either::Left`] for the layer's own answers,
//! [`Either::Right`] for the inner service's. It implements `http_body::Body` with
//! `Data = Bytes` whenever `B` does, so the layer works under axum (`Router::layer`) and hyper.
//!
//! Under axum, with a handler that reads the [`Identity`]:
//!
//! ```
//! use apigw_sign::http::sign_tencent;
//! use apigw_sign::layer::{Identity, VerifyLayer};
//! use apigw_sign::tencent::{Mode, Policy, Signer, Verifier};
//! use apigw_sign::{KeySet, Secret};
//! use axum::{body::Body, Extension, Router};
//! use http_body_util::BodyExt as _;
//! use tower_service::Service as _;
//!
//! async fn hello(Extension(identity): Extension<Identity>) -> String {
//!     format!("hello, {}", identity.key_id.unwrap_or_default())
//! }
//!
//! let mut keys = KeySet::new();
//! keys.insert("AKIDdemo", "demo-secret");
//! let verifier = Verifier::new(Policy::default());
//! let layer = VerifyLayer::tencent(verifier, Mode::KeyPair, keys).body_limit(64 * 1024);
//! let mut app = Router::new().fallback(hello).layer(layer);
//!
//! // A client signs with the crate (here, at the real time: the layer reads the clock).
//! let mut request = http::Request::get("/v1/users").header("Host", "example.com").body(Vec::new())?;
//! let secret = Secret::from("demo-secret");
//! sign_tencent(&Signer::new(Mode::KeyPair, "AKIDdemo", &secret), &mut request, time::OffsetDateTime::now_utc())?;
//! let unsigned = http::Request::get("/v1/users").header("Host", "example.com").body(Body::empty())?;
//!
//! tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//!     let response = app.call(request.map(Body::from)).await?;
//!     assert_eq!(response.status(), 200);
//!     assert_eq!(response.into_body().collect().await?.to_bytes(), "hello, AKIDdemo");
//!
//!     let response = app.call(unsigned).await?;
//!     assert_eq!(response.status(), 401);
//!     assert_eq!(
//!         response.into_body().collect().await?.to_bytes(),
//!         r#"{"message":"HMAC signature cannot be verified, a validate authorization header is required"}"#
//!     );
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt as _, Either, Full, LengthLimitError, Limited};
use time::OffsetDateTime;
use tower_layer::Layer;
use tower_service::Service;

use crate::adapters::authenticate::{Authenticator, Head, StoreHandle};
use crate::adapters::http::{error_response, BodyRef, HttpRequestView};
use crate::bce;
use crate::error::push_json_string;
use crate::gateway::Gateway;
use crate::keys::KeySource;
use crate::replay::ReplayStore;
use crate::request::Protocol;
use crate::tencent::{self, Mode};

pub use crate::adapters::authenticate::Identity;

/// The default [`body_limit`](VerifyLayer::body_limit): 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The longest `x-bce-request-id` / `x-request-id` value echoed as a BCE `requestId`.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The request body the inner service gets: on the left the body the layer read (Tencent app
/// mode signs it), on the right the request's own body, streamed unread (the other schemes do
/// not sign it), still bounded by [`body_limit`](VerifyLayer::body_limit).
pub type VerifiedBody<B> = Either<Full<Bytes>, Limited<B>>;

/// The response body of a [`VerifyService`]: the layer's own JSON answers on the left, the inner
/// service's body on the right.
pub type ResponseBody<B> = Either<Full<Bytes>, B>;

/// The future a [`VerifyService`] returns.
pub type ResponseFuture<B, E> =
    Pin<Box<dyn Future<Output = Result<Response<ResponseBody<B>>, E>> + Send + 'static>>;

/// What [`VerifyLayer::on_reject`] calls for each refused request: the error (every field of
/// its reason) and the request's head.
pub type OnReject = Arc<dyn Fn(&crate::Error, &http::request::Parts) + Send + Sync>;

/// The settings every request reads, shared by the layer and its services.
#[derive(Clone)]
struct Settings {
    authenticator: Authenticator,
    body_limit: usize,
    request_id: String,
    replay_guard: Option<StoreHandle>,
    on_reject: Option<OnReject>,
}

impl fmt::Debug for Settings {
    /// The guard only as whether one is set: a guard need not be `Debug`, and its entries are
    /// credentials until their windows end.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("authenticator", &self.authenticator)
            .field("body_limit", &self.body_limit)
            .field("request_id", &self.request_id)
            .field("replay_guard", &self.replay_guard.is_some())
            .field("on_reject", &self.on_reject.is_some())
            .finish()
    }
}

/// A [`Layer`] that authenticates each request before the inner service; see the
/// [module documentation](self).
///
/// Cloning it is cheap (one reference count); so is cloning the services it makes.
#[derive(Clone, Debug)]
pub struct VerifyLayer {
    settings: Arc<Settings>,
}

impl VerifyLayer {
    fn new(authenticator: Authenticator) -> Self {
        VerifyLayer {
            settings: Arc::new(Settings {
                authenticator,
                body_limit: DEFAULT_BODY_LIMIT,
                request_id: String::new(),
                replay_guard: None,
                on_reject: None,
            }),
        }
    }

    /// Verifies Tencent HMAC signatures in `mode` with keys from `keys`: a [`KeySet`](crate::KeySet)
    /// or any [`KeyLookup`](crate::KeyLookup), a [`SharedKeys`](crate::SharedKeys) to replace
    /// keys while serving, or any asynchronous [`KeySource`] (fetched between the two phases of
    /// verification; a source that cannot answer is a 503). Errors answer with the statuses of
    /// the verifier's `Policy::statuses`.
    pub fn tencent(
        verifier: tencent::Verifier,
        mode: Mode,
        keys: impl KeySource + Send + Sync + 'static,
    ) -> Self {
        Self::new(Authenticator::Tencent {
            verifier,
            mode,
            keys: Arc::new(keys),
        })
    }

    /// Verifies `bce-auth-v1` signatures (and AppCodes, if the policy accepts them) with keys
    /// from `keys`, any [`KeySource`] (see [`tencent`](Self::tencent)).
    pub fn bce(verifier: bce::Verifier, keys: impl KeySource + Send + Sync + 'static) -> Self {
        Self::new(Authenticator::Bce {
            verifier,
            keys: Arc::new(keys),
        })
    }

    /// Routes and authenticates through the gateway model, for requests that arrive over
    /// `protocol` (what the server in front of the layer serves: [`Protocol::Http`] for plain
    /// HTTP).
    pub fn gateway(gateway: Gateway, protocol: Protocol) -> Self {
        Self::new(Authenticator::Gateway { gateway, protocol })
    }

    /// The largest request body read, in bytes; a longer one is answered with 413. Defaults to
    /// [`DEFAULT_BODY_LIMIT`] (1 MiB).
    #[must_use]
    pub fn body_limit(self, limit: usize) -> Self {
        self.with_settings(|settings| settings.body_limit = limit)
    }

    /// The `requestId` of BCE error bodies when the request carries none. A request's own
    /// `x-bce-request-id` (or else `x-request-id`) header is echoed instead when it is UTF-8 and
    /// at most [`MAX_REQUEST_ID_LEN`] bytes long. The crate makes no ids: a server that wants
    /// unique ones sets the header in a layer in front of this one. Defaults to `""`.
    #[must_use]
    pub fn request_id(self, request_id: impl Into<String>) -> Self {
        let request_id = request_id.into();
        self.with_settings(|settings| settings.request_id = request_id)
    }

    /// Accepts each signature only once inside its window: as `verify_once` does
    /// ([`tencent::Verifier::verify_once`], [`bce::Verifier::verify_once`]), the layer records
    /// every signature that verifies in `guard` (any [`ReplayGuard`](crate::replay::ReplayGuard),
    /// or an asynchronous [`ReplayStore`] such as `RedisReplayGuard`) and refuses it a second
    /// time. Defaults to no guard: a captured request can then be sent again until its window
    /// ends. Calling it again replaces the guard.
    ///
    /// The guard is consulted after every other check has passed (the body read, where the
    /// scheme signs it), so only a genuine signature takes room in it, and before the inner
    /// service is called: a
    /// signature is used up once it verifies, whatever the inner service answers (a client that
    /// retries signs again). It fails closed: each refusal is answered like the other failures,
    /// with a JSON body and without calling the inner service:
    ///
    /// - already used, or its window passed by the guard's clock: [`Error::SignatureReplayed`](crate::Error::SignatureReplayed),
    ///   `{"message":"the signature was already used"}`, with the status of the other
    ///   authentication errors: 403 under [`StatusProfile::Classic`](crate::StatusProfile::Classic), 401 under
    ///   [`StatusProfile::Current`](crate::StatusProfile::Current) (the Tencent policy's `statuses`; always 403 for BCE);
    /// - its window longer than the guard keeps entries:
    ///   [`Error::SignatureWindowTooLong`](crate::Error::SignatureWindowTooLong), the status of
    ///   the other authentication errors;
    /// - no room (a full [`MemoryReplayGuard`](crate::replay::MemoryReplayGuard), or the key's
    ///   share of it): [`Error::ReplayCacheFull`](crate::Error::ReplayCacheFull), 503 with
    ///   `Retry-After`;
    /// - cannot decide (its store unreachable or too slow):
    ///   [`Error::ReplayGuardUnavailable`](crate::Error::ReplayGuardUnavailable), 503 with
    ///   `Retry-After`.
    ///
    /// These are the crate's errors, not Baidu's: BCE layers answer them with the same
    /// `{"message":"…"}` body, without `code` or `requestId`. BCE AppCodes carry no signature
    /// and are not guarded: a bearer secret is replayable by design.
    ///
    /// The guard keys on the signature, not the request: in Tencent key-pair mode the signature
    /// covers only the signed headers (the date, and `Source` when sent), so two requests of one
    /// key signed in the same second with the same signed headers carry the same signature, and
    /// the second is refused as a replay whatever its path or body. Clients that send several
    /// requests a second sign a header that differs between them, or use app mode.
    ///
    /// To share one guard between layers (or servers in one process), pass an `Arc` of it:
    /// `Arc<G>` is a guard too. Servers in several processes need a guard over a shared store;
    /// see [`replay`](crate::replay). Cloning a layer shares its guard.
    ///
    /// The gateway layer ([`VerifyLayer::gateway`]) routes with
    /// [`Gateway::route_once`](crate::gateway::Gateway::route_once): the signature of a
    /// `key-pair`, `app` or `bce-app` API is guarded the same way, after the routing checks.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// use apigw_sign::layer::VerifyLayer;
    /// use apigw_sign::replay::MemoryReplayGuard;
    /// use apigw_sign::tencent::{Mode, Policy, Verifier};
    /// use apigw_sign::KeySet;
    ///
    /// let guard = Arc::new(MemoryReplayGuard::default());
    /// let mut keys = KeySet::new();
    /// keys.insert("AKIDdemo", "demo-secret");
    /// let verifier = Verifier::new(Policy::default());
    /// let users = VerifyLayer::tencent(verifier.clone(), Mode::App, keys.clone())
    ///     .replay_guard(Arc::clone(&guard));
    /// let admin = VerifyLayer::tencent(verifier, Mode::App, keys)
    ///     .replay_guard(guard); // a signature used on one is refused on the other
    /// ```
    #[must_use]
    pub fn replay_guard(self, guard: impl ReplayStore + Send + Sync + 'static) -> Self {
        let guard: StoreHandle = Arc::new(guard);
        self.with_settings(|settings| settings.replay_guard = Some(guard))
    }

    /// Calls `callback` for every request the layer refuses (authentication failed, or the
    /// guard refused it), with the [`Error`](crate::Error) (its fields say why: unknown or
    /// disabled key, which header, which dates) and the request's head, before the error
    /// response is sent: to count refusals, log them your way, or alert. The error is also in
    /// the response's extensions (`response.extensions().get::<apigw_sign::Error>()`), for a
    /// layer outside this one. Calling it again replaces the callback.
    ///
    /// Keep it quick: it runs on the request's task. What it logs is yours to keep free of
    /// secrets: an AppCode (`Error::BceSignatureAppInvalid` never carries one) is a secret,
    /// and so are the request's `Authorization` and `X-Bce-Signature` headers.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// use apigw_sign::layer::VerifyLayer;
    /// use apigw_sign::tencent::{Mode, Policy, Verifier};
    /// use apigw_sign::KeySet;
    ///
    /// let refused = Arc::new(AtomicUsize::new(0));
    /// let counter = Arc::clone(&refused);
    /// let layer = VerifyLayer::tencent(Verifier::new(Policy::default()), Mode::App, KeySet::new())
    ///     .on_reject(move |error, head| {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///         eprintln!("refused {} {}: {} ({error:?})", head.method, head.uri.path(), error.code());
    ///     });
    /// ```
    #[must_use]
    pub fn on_reject(
        self,
        callback: impl Fn(&crate::Error, &http::request::Parts) + Send + Sync + 'static,
    ) -> Self {
        let callback: OnReject = Arc::new(callback);
        self.with_settings(|settings| settings.on_reject = Some(callback))
    }

    /// The layer with `change` applied to its settings, copied first if they are shared.
    fn with_settings(self, change: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Arc::unwrap_or_clone(self.settings);
        change(&mut settings);
        VerifyLayer {
            settings: Arc::new(settings),
        }
    }
}

impl<S> Layer<S> for VerifyLayer {
    type Service = VerifyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifyService {
            inner,
            settings: Arc::clone(&self.settings),
        }
    }
}

/// The [`Service`] a [`VerifyLayer`] makes: authenticates each request, then calls `S` with an
/// `http::Request<Full<Bytes>>` carrying an [`Identity`].
#[derive(Clone, Debug)]
pub struct VerifyService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S, B, ResBody> Service<Request<B>> for VerifyService<S>
where
    S: Service<Request<VerifiedBody<B>>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone is not ready; the ready one is taken (tower's documented pattern).
        let clone = self.inner.clone();
        let mut inner = core::mem::replace(&mut self.inner, clone);
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            #[cfg(feature = "tracing")]
            let started = std::time::Instant::now();
            let (mut parts, body) = request.into_parts();
            let limit = settings.body_limit;
            #[cfg(feature = "tracing")]
            let body_refused = |code, status| {
                crate::adapters::events::body_refused(
                    &settings.authenticator,
                    code,
                    status,
                    started.elapsed(),
                );
            };
            #[cfg(not(feature = "tracing"))]
            let body_refused = |_: &str, _: u16| {};
            if body.size_hint().lower() > u64::try_from(limit).unwrap_or(u64::MAX) {
                body_refused("BodyTooLarge", 413);
                return Ok(too_large(limit));
            }
            let authenticator = &settings.authenticator;
            let store = settings.replay_guard.as_deref();
            let now = OffsetDateTime::now_utc();
            let mut identity = Identity::default();
            // First the head: routing and every check the body is not needed for.
            let head = {
                let view = HttpRequestView::from_parts_of(
                    &parts.method,
                    signed_uri(&parts.uri, &parts.extensions),
                    &parts.headers,
                    BodyRef::Borrowed(&[]),
                );
                // A body known to be empty (its stream already ended, or exactly 0 bytes
                // announced) is given as such: the head pass then decides everything.
                let view = if body.is_end_stream() || body.size_hint().exact() == Some(0) {
                    view.request()
                } else {
                    view.request().without_body()
                };
                authenticator
                    .authenticate_head(&view, store, now, &mut identity)
                    .await
            };
            let (outcome, body) = match head {
                Head::Done(outcome) => (outcome, Either::Right(Limited::new(body, limit))),
                Head::ReadBody(mut fetched) => {
                    // Tencent app mode: the body is signed; read it (bounded), then the whole
                    // request once more.
                    let body = match Limited::new(body, limit).collect().await {
                        Ok(collected) => collected.to_bytes(),
                        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
                            body_refused("BodyTooLarge", 413);
                            return Ok(too_large(limit));
                        }
                        Err(error) if timed_out(&*error) => {
                            body_refused("BodyTimeout", 408);
                            let mut response = message_response(
                                StatusCode::REQUEST_TIMEOUT,
                                "the request body did not arrive in time",
                            );
                            response
                                .headers_mut()
                                .insert(CONNECTION, HeaderValue::from_static("close"));
                            return Ok(response);
                        }
                        Err(_) => {
                            body_refused("BodyUnreadable", 400);
                            return Ok(message_response(
                                StatusCode::BAD_REQUEST,
                                "the request body could not be read",
                            ));
                        }
                    };
                    identity = Identity::default();
                    let outcome = {
                        let view = HttpRequestView::from_parts_of(
                            &parts.method,
                            signed_uri(&parts.uri, &parts.extensions),
                            &parts.headers,
                            BodyRef::Borrowed(&body),
                        );
                        let view = view.request();
                        authenticator
                            .authenticate(&view, store, now, &mut identity, &mut fetched)
                            .await
                    };
                    (outcome, Either::Left(Full::new(body)))
                }
            };
            #[cfg(feature = "tracing")]
            crate::adapters::events::request_event(
                authenticator,
                &identity,
                outcome.as_ref().err(),
                started.elapsed(),
            );
            match outcome {
                Ok(()) => {
                    parts.extensions.insert(identity);
                    let response = inner.call(Request::from_parts(parts, body)).await?;
                    Ok(response.map(Either::Right))
                }
                Err(error) => {
                    if let Some(on_reject) = &settings.on_reject {
                        on_reject(&error, &parts);
                    }
                    let request_id = request_id(&parts.headers, &settings.request_id);
                    let mut response = error_response(&error, authenticator.profile(), request_id)
                        .map(|body| Either::Left(Full::from(body)));
                    response.extensions_mut().insert(error);
                    Ok(response)
                }
            }
        })
    }
}

/// The URI the client signed: under axum (feature `axum`), the one the request arrived with
/// (axum's `OriginalUri`), which `Router::nest` keeps while it strips the prefix from the
/// request's own URI; otherwise the request's URI.
fn signed_uri<'a>(uri: &'a http::Uri, extensions: &'a http::Extensions) -> &'a http::Uri {
    #[cfg(feature = "axum")]
    if let Some(original) = extensions.get::<axum::extract::OriginalUri>() {
        return &original.0;
    }
    #[cfg(not(feature = "axum"))]
    let _ = extensions;
    uri
}

/// Whether a body failed because it did not arrive in time: an [`std::io::Error`] of kind
/// `TimedOut` (what a server's body timeout yields), itself or as the source of a wrapping
/// error (an axum `Body` wraps its stream's errors).
fn timed_out(error: &(dyn StdError + 'static)) -> bool {
    // Bounded: a chain of sources is short, and a cycle must not hang the request.
    let mut next = Some(error);
    for _ in 0..16 {
        let Some(error) = next else { break };
        if error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|error| error.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        next = error.source();
    }
    false
}

/// The request's own id for a BCE error body, or `fallback`.
fn request_id<'a>(headers: &'a HeaderMap, fallback: &'a str) -> &'a str {
    ["x-bce-request-id", "x-request-id"]
        .into_iter()
        .filter_map(|name| headers.get(name))
        .filter_map(|value| value.to_str().ok())
        .find(|value| !value.is_empty() && value.len() <= MAX_REQUEST_ID_LEN)
        .unwrap_or(fallback)
}

/// 413 with a message naming the limit, and `Connection: close`: the rest of the body is not
/// read, so the connection cannot carry another request, and a pipelining client learns that
/// the requests it sent behind this one will not be answered.
fn too_large<B>(limit: usize) -> Response<ResponseBody<B>> {
    let mut response = message_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("request body is larger than {limit} bytes"),
    );
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `status` with the body `{"message":"…"}`: Tencent's shape, for the layer's own answers.
fn message_response<B>(status: StatusCode, message: &str) -> Response<ResponseBody<B>> {
    let mut body = String::from("{\"message\":");
    push_json_string(&mut body, message);
    body.push('}');
    let mut response = Response::new(Either::Left(Full::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bce::Carrier;
    use crate::http::sign_bce;
    use crate::keys::{KeySet, Secret};
    use crate::StatusProfile;
    use std::convert::Infallible;

    /// Answers with the `Identity` it was handed, in `Debug` form.
    #[derive(Clone)]
    struct ShowIdentity;

    impl<B> Service<Request<B>> for ShowIdentity {
        type Response = Response<Full<Bytes>>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request<B>) -> Self::Future {
            let identity = request.extensions().get::<Identity>();
            std::future::ready(Ok(Response::new(Full::from(format!("{identity:?}")))))
        }
    }

    /// A body that fails, as one does when the client goes away.
    struct Broken;

    impl Body for Broken {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(Some(Err(std::io::ErrorKind::ConnectionReset.into())))
        }
    }

    /// Runs `service` on `request` to completion: every body and service here is ready at once.
    fn call<B>(layer: &VerifyLayer, request: Request<B>) -> (StatusCode, String)
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let mut service = layer.layer(ShowIdentity);
        let mut future = service.call(request);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
            panic!("the service did not answer at once");
        };
        let status = response.status();
        let mut body = response.into_body().collect();
        let Poll::Ready(Ok(collected)) = Pin::new(&mut body).poll(&mut cx) else {
            panic!("the body did not arrive at once");
        };
        let bytes = collected.to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn bce_layer() -> VerifyLayer {
        let mut keys = KeySet::new();
        keys.insert("bce-ak", "bce-sk");
        keys.insert("code-1", "");
        let mut policy = bce::Policy::default();
        policy.carriers = policy.carriers.with(Carrier::AppCode);
        VerifyLayer::bce(bce::Verifier::new(policy), keys).request_id("fixed-id")
    }

    #[test]
    fn bce_identity_carries_the_stage_and_hides_an_app_code() {
        let layer = bce_layer();
        let secret = Secret::from("bce-sk");
        let mut request = Request::post("/app/1")
            .header("Host", "bce.example.com")
            .header("X-Bce-Stage", "test")
            .body(b"{}".to_vec())
            .unwrap();
        let signer = bce::Signer::new("bce-ak", &secret).carrier(Carrier::XBceSignature);
        sign_bce(&signer, &mut request, OffsetDateTime::now_utc()).unwrap();
        let (status, body) = call(&layer, request.map(Full::<Bytes>::from));
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            r#"Some(Identity { key_id: Some("bce-ak"), service: None, environment: Some("test"), api: None, path: None, stage: Some(Test), carrier: Some(XBceSignature) })"#
        );

        let request = Request::get("/app/1")
            .header("Host", "bce.example.com")
            .header("X-Bce-Signature", "AppCode/code-1")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (status, body) = call(&layer, request);
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(r#"key_id: "<AppCode>""#), "{body}");
        assert!(!body.contains("code-1"), "{body}");
    }

    #[test]
    fn bce_errors_carry_the_configured_request_id_and_bodies_are_bounded() {
        let layer = bce_layer().body_limit(4);
        let request = Request::get("/app/1")
            .header("Host", "bce.example.com")
            .body(Full::new(Bytes::new()))
            .unwrap();
        assert_eq!(
            call(&layer, request),
            (
                StatusCode::BAD_REQUEST,
                r#"{"code":"EmptySignature","message":"Signature is empty","requestId":"fixed-id"}"#
                    .to_owned()
            )
        );
        let request = Request::post("/app/1")
            .body(Full::<Bytes>::from("12345"))
            .unwrap();
        assert_eq!(
            call(&layer, request),
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"message":"request body is larger than 4 bytes"}"#.to_owned()
            )
        );
        // BCE does not sign the body: an unsigned request is refused before the body is read.
        let request = Request::post("/app/1")
            .header("Host", "bce.example.com")
            .body(Broken)
            .unwrap();
        assert_eq!(call(&layer, request).0, StatusCode::BAD_REQUEST);
        assert!(call(&layer, Request::post("/app/1").body(Broken).unwrap())
            .1
            .contains("EmptySignature"));
    }

    /// Answers with the body it was handed, read to the end.
    #[derive(Clone)]
    struct EchoBody;

    impl<B> Service<Request<VerifiedBody<B>>> for EchoBody
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        type Response = Response<Full<Bytes>>;
        type Error = Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request<VerifiedBody<B>>) -> Self::Future {
            let streamed = matches!(request.body(), Either::Right(_));
            Box::pin(async move {
                let body = request.into_body().collect().await;
                let text = body.map_or_else(
                    |_| "unreadable".to_owned(),
                    |body| String::from_utf8_lossy(&body.to_bytes()).into_owned(),
                );
                Ok(Response::new(Full::from(format!("{streamed} {text}"))))
            })
        }
    }

    #[test]
    fn a_body_no_scheme_signs_streams_to_the_inner_service_still_bounded() {
        let secret = Secret::from("bce-sk");
        let signed = |body: &str| {
            let mut request = Request::post("/app/1")
                .header("Host", "bce.example.com")
                .body(body.as_bytes().to_vec())
                .unwrap();
            let signer = bce::Signer::new("bce-ak", &secret).carrier(Carrier::XBceSignature);
            sign_bce(&signer, &mut request, OffsetDateTime::now_utc()).unwrap();
            request.map(Full::<Bytes>::from)
        };
        let layer = bce_layer().body_limit(8);
        fn answer<B>(layer: &VerifyLayer, request: Request<B>) -> String
        where
            B: Body<Data = Bytes> + Send + 'static,
            B::Error: Into<Box<dyn StdError + Send + Sync>>,
        {
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let mut future = layer.layer(EchoBody).call(request);
            let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
                panic!("the service did not answer at once");
            };
            let mut body = response.into_body().collect();
            let Poll::Ready(Ok(collected)) = Pin::new(&mut body).poll(&mut cx) else {
                panic!("the body did not arrive at once");
            };
            String::from_utf8_lossy(&collected.to_bytes()).into_owned()
        }
        assert_eq!(answer(&layer, signed("1234")), "true 1234");
        // Over the limit: the announced length is refused first...
        assert!(answer(&layer, signed("123456789")).contains("larger than 8 bytes"));
        // ... and a body that grows past it unannounced fails for the inner service.
        let (parts, _) = signed("").into_parts();
        let unannounced = Unannounced(Some(Bytes::from_static(b"123456789")));
        assert_eq!(
            answer(&layer, Request::from_parts(parts, unannounced)),
            "true unreadable"
        );
    }

    /// A body that does not say its length (as a chunked one).
    struct Unannounced(Option<Bytes>);

    impl Body for Unannounced {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
            Poll::Ready(self.0.take().map(|bytes| Ok(http_body::Frame::data(bytes))))
        }
    }

    #[test]
    fn app_mode_reads_the_body_it_signs_and_says_when_it_fails() {
        let mut keys = KeySet::new();
        keys.insert("AKIDdemo", "demo-secret");
        let verifier = tencent::Verifier::new(tencent::Policy::default());
        let layer = VerifyLayer::tencent(verifier, Mode::App, keys);
        let secret = Secret::from("demo-secret");
        let signed = || {
            let mut request = Request::post("/v1/items")
                .header("Host", "example.com")
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .body(br#"{"a":1}"#.to_vec())
                .unwrap();
            let signer = tencent::Signer::new(Mode::App, "AKIDdemo", &secret);
            crate::http::sign_tencent(&signer, &mut request, OffsetDateTime::now_utc()).unwrap();
            request
        };
        // The head passes (the Content-MD5 header is trusted until the body is read)...
        let (parts, _) = signed().into_parts();
        assert_eq!(
            call(&layer, Request::from_parts(parts, Broken)),
            (
                StatusCode::BAD_REQUEST,
                r#"{"message":"the request body could not be read"}"#.to_owned()
            )
        );
        // ... and the body read must be the one signed.
        let (parts, _) = signed().into_parts();
        let other = Full::<Bytes>::from(r#"{"a":2}"#);
        assert_eq!(
            call(&layer, Request::from_parts(parts, other)).0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            call(&layer, signed().map(Full::<Bytes>::from)).0,
            StatusCode::OK
        );
        // Without a Content-MD5 header the head pass cannot tell: the body is read, and decides.
        let (mut parts, body) = signed().into_parts();
        parts.headers.remove("content-md5");
        let request = Request::from_parts(parts, Full::<Bytes>::from(body));
        assert_eq!(call(&layer, request).0, StatusCode::OK);
    }

    #[test]
    fn tencent_errors_follow_the_policy_status_profile() {
        let policy = tencent::Policy {
            statuses: StatusProfile::Current,
            ..tencent::Policy::default()
        };
        let mut keys = KeySet::new();
        keys.insert("AKIDdemo", "demo-secret");
        let layer = VerifyLayer::tencent(tencent::Verifier::new(policy), Mode::KeyPair, keys);
        let request = Request::get("/v1/users")
            .header("Host", "example.com")
            .header(
                "Authorization",
                r#"hmac id="AKIDdemo", algorithm="hmac-sha1", headers="x-date", signature="AAAA""#,
            )
            .header("X-Date", crate::format_http_date(OffsetDateTime::now_utc()))
            .body(Full::new(Bytes::new()))
            .unwrap();
        assert_eq!(
            call(&layer, request),
            (
                StatusCode::UNAUTHORIZED,
                r#"{"message":"HMAC signature does not match"}"#.to_owned()
            )
        );
    }

    #[test]
    fn a_413_closes_the_connection() {
        let response = too_large::<Full<Bytes>>(4);
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers()[CONNECTION], "close");
    }

    #[test]
    fn request_id_prefers_the_bce_header_then_the_generic_one() {
        let mut headers = HeaderMap::new();
        assert_eq!(request_id(&headers, "fixed"), "fixed");
        headers.insert("x-request-id", HeaderValue::from_static("generic"));
        assert_eq!(request_id(&headers, "fixed"), "generic");
        headers.insert("x-bce-request-id", HeaderValue::from_static("bce"));
        assert_eq!(request_id(&headers, "fixed"), "bce");
        let long = "r".repeat(MAX_REQUEST_ID_LEN + 1);
        headers.insert("x-bce-request-id", HeaderValue::from_str(&long).unwrap());
        assert_eq!(request_id(&headers, "fixed"), "generic");
    }

    #[test]
    fn the_guard_survives_later_settings_and_debug_only_says_it_is_set() {
        let guard = Arc::new(crate::replay::MemoryReplayGuard::new(1));
        let layer = bce_layer().replay_guard(Arc::clone(&guard));
        let changed = layer.clone().body_limit(10).request_id("r");
        assert!(changed.settings.replay_guard.is_some());
        assert!(bce_layer().settings.replay_guard.is_none());
        let debug = format!("{changed:?}");
        assert!(debug.contains("replay_guard: true"), "{debug}");
        assert!(!debug.contains("bce-sk"), "{debug}");
    }

    #[test]
    fn settings_are_copied_when_shared() {
        let layer = VerifyLayer::gateway(
            Gateway::new(crate::gateway::Config::default()).unwrap(),
            Protocol::Http,
        );
        let shared = layer.clone();
        let changed = layer.body_limit(10).request_id("r");
        assert_eq!(shared.settings.body_limit, DEFAULT_BODY_LIMIT);
        assert_eq!(changed.settings.body_limit, 10);
        assert_eq!(changed.settings.request_id, "r");
    }
}
