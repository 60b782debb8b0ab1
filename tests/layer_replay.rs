//! The `tower` layer with a replay guard (`VerifyLayer::replay_guard`), driven in process with
//! requests signed by the crate at the real time (the layer reads the clock).
//!
//! For the Tencent and the BCE layer: a first request reaches the inner service and an
//! identical second one is refused with `SignatureReplayed` (its status and JSON body) without
//! reaching it (as is a Tencent key-pair request to another path signed in the same second: the
//! signature does not cover the path); one guard shared between layers refuses a replay across
//! them; a full `MemoryReplayGuard` refuses a new signature with 503 instead of forgetting the
//! old one; a guard that cannot decide refuses with 503; a request that fails verification never
//! reaches the guard; without a guard the same request passes twice. BCE AppCodes are not
//! guarded. The gateway layer guards the signed APIs it routes to, after the routing checks.
#![cfg(feature = "tower")]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use apigw_sign::bce::{self, Carrier};
use apigw_sign::gateway::{Api, Auth, Config, Gateway, KeyConfig, Service, UsagePlan, Vendor};
use apigw_sign::http::{sign_bce, sign_tencent};
use apigw_sign::layer::VerifyLayer;
use apigw_sign::replay::{Entry, MemoryReplayGuard, Replay, ReplayGuard};
use apigw_sign::tencent::{self, Mode};
use apigw_sign::{KeySet, Protocol, Secret, StatusProfile};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use time::OffsetDateTime;
use tower_layer::Layer as _;
use tower_service::Service as _;

const HOST: &str = "example.com";
const TENCENT_ID: &str = "AKIDreplay";
const BCE_AK: &str = "bce-replay-ak";
const SECRET: &str = "replay-secret";
const APP_CODE: &str = "replay-app-code";
const GATEWAY_DOMAIN: &str = "service-replay-1250000000.gz.apigw.tencentcs.com";
const GATEWAY_BCE_DOMAIN: &str = "bce-replay.example.com";

const REPLAYED: &str = r#"{"message":"the signature was already used"}"#;
const FULL: &str = r#"{"message":"the replay cache is full, try again later"}"#;
const UNAVAILABLE: &str = r#"{"message":"the replay guard is unavailable, try again later"}"#;

// ---------------------------------------------------------------------------------------------
// Helpers

/// The inner service: counts the requests that reach it and answers 200 `reached`.
#[derive(Clone, Default)]
struct Inner {
    hits: Arc<AtomicUsize>,
}

impl Inner {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl<B> tower_service::Service<Request<B>> for Inner {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<B>) -> Self::Future {
        self.hits.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(Response::new(Full::from("reached"))))
    }
}

/// A guard that counts its calls and hands them to `inner`.
struct Counting<G> {
    calls: AtomicUsize,
    inner: G,
}

impl<G> Counting<G> {
    fn new(inner: G) -> Arc<Self> {
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            inner,
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl<G: ReplayGuard> ReplayGuard for Counting<G> {
    fn check_and_record(&self, entry: Entry<'_>, now: OffsetDateTime) -> Result<(), Replay> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.check_and_record(entry, now)
    }
}

/// A guard whose store is down.
struct Down;

impl ReplayGuard for Down {
    fn check_and_record(&self, _: Entry<'_>, _: OffsetDateTime) -> Result<(), Replay> {
        Err(Replay::Unavailable)
    }
}

/// Sends `request` through `layer` around `inner`: the status and the body. Every layer answer
/// (not the inner service's) must be JSON.
async fn send(
    layer: &VerifyLayer,
    inner: &Inner,
    request: &Request<Vec<u8>>,
) -> (StatusCode, String) {
    let mut service = layer.layer(inner.clone());
    let response = service.call(copy(request)).await.expect("infallible");
    let status = response.status();
    if status != StatusCode::OK {
        assert_eq!(response.headers()["content-type"], "application/json");
    }
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a full body")
        .to_bytes();
    (status, String::from_utf8(body.to_vec()).expect("UTF-8"))
}

/// An identical copy of `request`, as the layer takes it: what a replaying attacker sends.
fn copy(request: &Request<Vec<u8>>) -> Request<Full<Bytes>> {
    let mut copy = Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .body(Full::from(request.body().clone()))
        .expect("a valid request");
    *copy.headers_mut() = request.headers().clone();
    copy
}

fn ok() -> (StatusCode, String) {
    (StatusCode::OK, "reached".to_owned())
}

fn refused(status: StatusCode, body: &str) -> (StatusCode, String) {
    (status, body.to_owned())
}

fn keys() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(TENCENT_ID, SECRET);
    keys.insert(BCE_AK, SECRET);
    keys.insert(APP_CODE, "");
    keys
}

fn tencent_layer(statuses: StatusProfile) -> VerifyLayer {
    let mut policy = tencent::Policy::default();
    policy.statuses = statuses;
    VerifyLayer::tencent(tencent::Verifier::new(policy), Mode::KeyPair, keys())
}

fn bce_layer() -> VerifyLayer {
    let mut policy = bce::Policy::default();
    policy.carriers = policy.carriers.with(Carrier::AppCode);
    VerifyLayer::bce(bce::Verifier::new(policy), keys()).request_id("fixed-id")
}

/// `GET path` to `host`, signed for Tencent in key-pair mode now. Key-pair mode signs only the
/// date and `Source`, so the path travels in a `Source` header too: two paths, two signatures.
fn tencent_request(host: &str, path: &str) -> Request<Vec<u8>> {
    let mut request = Request::get(path)
        .header("Host", host)
        .header("Source", format!("client{path}"))
        .body(Vec::new())
        .expect("a valid request");
    let secret = Secret::from(SECRET);
    let signer = tencent::Signer::new(Mode::KeyPair, TENCENT_ID, &secret);
    sign_tencent(&signer, &mut request, OffsetDateTime::now_utc()).expect("sign");
    request
}

/// `POST path` to `host` with a body, signed with `bce-auth-v1` in `X-Bce-Signature` now.
fn bce_request(host: &str, path: &str) -> Request<Vec<u8>> {
    let mut request = Request::post(path)
        .header("Host", host)
        .body(br#"{"n":1}"#.to_vec())
        .expect("a valid request");
    let secret = Secret::from(SECRET);
    let signer = bce::Signer::new(BCE_AK, &secret).carrier(Carrier::XBceSignature);
    sign_bce(&signer, &mut request, OffsetDateTime::now_utc()).expect("sign");
    request
}

// ---------------------------------------------------------------------------------------------
// A replay is refused

#[tokio::test]
async fn tencent_a_replay_is_refused_with_the_profile_status_and_never_reaches_the_service() {
    for (statuses, status) in [
        (StatusProfile::Classic, StatusCode::FORBIDDEN),
        (StatusProfile::Current, StatusCode::UNAUTHORIZED),
    ] {
        let layer = tencent_layer(statuses).replay_guard(MemoryReplayGuard::default());
        let inner = Inner::default();
        let request = tencent_request(HOST, "/v1/users");
        assert_eq!(send(&layer, &inner, &request).await, ok());
        assert_eq!(inner.hits(), 1);
        assert_eq!(
            send(&layer, &inner, &request).await,
            refused(status, REPLAYED),
            "{statuses:?}"
        );
        assert_eq!(
            inner.hits(),
            1,
            "the replay must not reach the inner service"
        );
        // Another signature (another path) is a new request.
        let other = tencent_request(HOST, "/v1/orders");
        assert_eq!(send(&layer, &inner, &other).await, ok());
        assert_eq!(inner.hits(), 2);
    }
}

#[tokio::test]
async fn tencent_key_pair_requests_signed_in_one_second_share_a_signature() {
    // Key-pair mode signs the date (and `Source`), not the path: a guard sees one signature.
    let now = OffsetDateTime::now_utc();
    let secret = Secret::from(SECRET);
    let signer = tencent::Signer::new(Mode::KeyPair, TENCENT_ID, &secret);
    let [users, orders] = ["/v1/users", "/v1/orders"].map(|path| {
        let mut request = Request::get(path)
            .header("Host", HOST)
            .body(Vec::new())
            .expect("a valid request");
        sign_tencent(&signer, &mut request, now).expect("sign");
        request
    });
    let layer = tencent_layer(StatusProfile::Classic).replay_guard(MemoryReplayGuard::default());
    let inner = Inner::default();
    assert_eq!(send(&layer, &inner, &users).await, ok());
    assert_eq!(
        send(&layer, &inner, &orders).await,
        refused(StatusCode::FORBIDDEN, REPLAYED)
    );
    assert_eq!(inner.hits(), 1);
}

#[tokio::test]
async fn bce_a_replay_is_refused_with_403_and_a_message_body_and_never_reaches_the_service() {
    let layer = bce_layer().replay_guard(MemoryReplayGuard::default());
    let inner = Inner::default();
    let request = bce_request(HOST, "/app/1");
    assert_eq!(send(&layer, &inner, &request).await, ok());
    // The crate's own error: Tencent's `{"message"}` shape, no BCE `code` or `requestId`.
    assert_eq!(
        send(&layer, &inner, &request).await,
        refused(StatusCode::FORBIDDEN, REPLAYED)
    );
    assert_eq!(inner.hits(), 1);
}

#[tokio::test]
async fn bce_app_codes_are_not_guarded() {
    let guard = Counting::new(MemoryReplayGuard::default());
    let layer = bce_layer().replay_guard(Arc::clone(&guard));
    let inner = Inner::default();
    let request = Request::get("/app/1")
        .header("Host", HOST)
        .header("X-Bce-Signature", format!("AppCode/{APP_CODE}"))
        .body(Vec::new())
        .expect("a valid request");
    assert_eq!(send(&layer, &inner, &request).await, ok());
    assert_eq!(send(&layer, &inner, &request).await, ok());
    assert_eq!(inner.hits(), 2);
    assert_eq!(guard.calls(), 0);
}

// ---------------------------------------------------------------------------------------------
// Sharing, failing closed, and what reaches the guard

#[tokio::test]
async fn a_guard_shared_between_layers_refuses_the_replay_across_them() {
    let guard = Arc::new(MemoryReplayGuard::default());
    // Settings changed after the guard keep it; a clone of a layer shares it.
    let tencent_a = tencent_layer(StatusProfile::Classic).replay_guard(Arc::clone(&guard));
    let tencent_b = tencent_layer(StatusProfile::Current)
        .replay_guard(Arc::clone(&guard))
        .body_limit(1024);
    let bce_a = bce_layer().replay_guard(Arc::clone(&guard));
    let bce_b = bce_a.clone().request_id("other-id");
    let (inner_a, inner_b) = (Inner::default(), Inner::default());

    let request = tencent_request(HOST, "/v1/users");
    assert_eq!(send(&tencent_a, &inner_a, &request).await, ok());
    assert_eq!(
        send(&tencent_b, &inner_b, &request).await,
        refused(StatusCode::UNAUTHORIZED, REPLAYED)
    );

    let request = bce_request(HOST, "/app/1");
    assert_eq!(send(&bce_b, &inner_b, &request).await, ok());
    assert_eq!(
        send(&bce_a, &inner_a, &request).await,
        refused(StatusCode::FORBIDDEN, REPLAYED)
    );

    assert_eq!((inner_a.hits(), inner_b.hits()), (1, 1));
}

#[tokio::test]
async fn a_full_guard_refuses_a_new_request_with_503_rather_than_forget() {
    for (layer, request, other) in [
        (
            tencent_layer(StatusProfile::Classic),
            tencent_request(HOST, "/v1/users"),
            tencent_request(HOST, "/v1/orders"),
        ),
        (
            bce_layer(),
            bce_request(HOST, "/app/1"),
            bce_request(HOST, "/app/2"),
        ),
    ] {
        let layer = layer.replay_guard(MemoryReplayGuard::new(1));
        let inner = Inner::default();
        assert_eq!(send(&layer, &inner, &request).await, ok());
        assert_eq!(
            send(&layer, &inner, &other).await,
            refused(StatusCode::SERVICE_UNAVAILABLE, FULL)
        );
        // The recorded signature was not forgotten to make room.
        assert_eq!(
            send(&layer, &inner, &request).await,
            refused(StatusCode::FORBIDDEN, REPLAYED)
        );
        assert_eq!(inner.hits(), 1);
    }
}

#[tokio::test]
async fn a_guard_that_cannot_decide_refuses_with_503() {
    for (layer, request) in [
        (
            tencent_layer(StatusProfile::Current),
            tencent_request(HOST, "/v1/users"),
        ),
        (bce_layer(), bce_request(HOST, "/app/1")),
    ] {
        let layer = layer.replay_guard(Down);
        let inner = Inner::default();
        assert_eq!(
            send(&layer, &inner, &request).await,
            refused(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
        );
        assert_eq!(inner.hits(), 0);
    }
}

#[tokio::test]
async fn a_request_that_fails_verification_never_reaches_the_guard() {
    let guard = Counting::new(MemoryReplayGuard::new(1));
    let tencent = tencent_layer(StatusProfile::Classic).replay_guard(Arc::clone(&guard));
    let bce = bce_layer().replay_guard(Arc::clone(&guard));
    let inner = Inner::default();

    let mut tampered = tencent_request(HOST, "/v1/users");
    let later =
        apigw_sign::format_http_date(OffsetDateTime::now_utc() + time::Duration::minutes(1));
    tampered
        .headers_mut()
        .insert("x-date", later.parse().expect("a header value"));
    let (status, _) = send(&tencent, &inner, &tampered).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mut tampered = bce_request(HOST, "/app/1");
    *tampered.uri_mut() = "/app/2".parse().expect("a URI");
    let (status, body) = send(&bce, &inner, &tampered).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    assert_eq!(guard.calls(), 0);
    // The one entry is still free for a genuine request.
    assert_eq!(send(&bce, &inner, &bce_request(HOST, "/app/1")).await, ok());
    assert_eq!((guard.calls(), inner.hits()), (1, 1));
}

#[tokio::test]
async fn without_a_guard_the_same_request_passes_twice() {
    let inner = Inner::default();
    let layer = tencent_layer(StatusProfile::Classic);
    let request = tencent_request(HOST, "/v1/users");
    assert_eq!(send(&layer, &inner, &request).await, ok());
    assert_eq!(send(&layer, &inner, &request).await, ok());

    let layer = bce_layer();
    let request = bce_request(HOST, "/app/1");
    assert_eq!(send(&layer, &inner, &request).await, ok());
    assert_eq!(send(&layer, &inner, &request).await, ok());
    assert_eq!(inner.hits(), 4);
}

// ---------------------------------------------------------------------------------------------
// The gateway layer

fn api(path: &str, auth: Auth) -> Api {
    Api {
        path: path.to_owned(),
        methods: vec!["GET".to_owned(), "POST".to_owned()],
        protocols: vec![Protocol::Http, Protocol::Https],
        cors: false,
        auth,
    }
}

fn service(id: &str, vendor: Vendor, domain: &str, apis: Vec<Api>) -> Service {
    Service {
        id: id.to_owned(),
        vendor,
        default_domain: domain.to_owned(),
        published: vec!["release".to_owned()],
        custom_domains: Vec::new(),
        usage_plans: BTreeMap::from([("release".to_owned(), vec!["plan".to_owned()])]),
        apis,
    }
}

fn gateway_layer() -> VerifyLayer {
    let key = |id: &str| KeyConfig {
        id: id.to_owned(),
        secret: Secret::from(SECRET),
        enabled: true,
    };
    let config = Config {
        keys: vec![key(TENCENT_ID), key(BCE_AK)],
        usage_plans: vec![UsagePlan {
            id: "plan".to_owned(),
            keys: vec![TENCENT_ID.to_owned(), BCE_AK.to_owned()],
        }],
        services: vec![
            service(
                "tencent-svc",
                Vendor::Tencent,
                GATEWAY_DOMAIN,
                vec![api("/users", Auth::KeyPair), api("/public", Auth::None)],
            ),
            service(
                "bce-svc",
                Vendor::Bce,
                GATEWAY_BCE_DOMAIN,
                vec![api("/app/{id}", Auth::BceApp)],
            ),
        ],
    };
    let gateway = Gateway::new(config).expect("a valid configuration");
    VerifyLayer::gateway(gateway, Protocol::Http)
}

#[tokio::test]
async fn the_gateway_layer_guards_signed_apis_after_routing() {
    let tencent = tencent_request(GATEWAY_DOMAIN, "/release/users");
    let bce = bce_request(GATEWAY_BCE_DOMAIN, "/app/1");
    let public = Request::get("/release/public")
        .header("Host", GATEWAY_DOMAIN)
        .body(Vec::new())
        .expect("a valid request");

    // Without a guard the signed requests pass twice: nothing guards them.
    let inner = Inner::default();
    let layer = gateway_layer();
    for request in [&tencent, &tencent, &bce, &bce, &public] {
        assert_eq!(send(&layer, &inner, request).await, ok());
    }

    // With one, each signed request passes once and its replay is refused (Tencent under the
    // gateway's Classic profile: 403); an API without authentication passes every time, and a
    // routing error comes first, the guard untouched.
    let guard = Counting::new(MemoryReplayGuard::default());
    let layer = gateway_layer().replay_guard(Arc::clone(&guard));
    let inner = Inner::default();
    for request in [&tencent, &bce] {
        assert_eq!(send(&layer, &inner, request).await, ok());
        assert_eq!(
            send(&layer, &inner, request).await,
            refused(StatusCode::FORBIDDEN, REPLAYED)
        );
    }
    assert_eq!(send(&layer, &inner, &public).await, ok());
    assert_eq!(send(&layer, &inner, &public).await, ok());
    let (status, _) = send(
        &layer,
        &inner,
        &tencent_request(GATEWAY_DOMAIN, "/release/nope"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!((inner.hits(), guard.calls()), (4, 4));

    // A full guard refuses rather than forgets, through the gateway too.
    let layer = gateway_layer().replay_guard(MemoryReplayGuard::new(1));
    let inner = Inner::default();
    assert_eq!(send(&layer, &inner, &tencent).await, ok());
    assert_eq!(
        send(&layer, &inner, &bce).await,
        refused(StatusCode::SERVICE_UNAVAILABLE, FULL)
    );
}
