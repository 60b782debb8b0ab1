//! The tower layer's one event per request (feature `tracing`): an accepted request names its
//! scheme, key and outcome; a refused one its code, reason and the fields of its reason; a
//! refusal before authentication (the body) is logged too; no event carries a secret, a MAC,
//! an `Authorization` header or an AppCode.
#![cfg(all(feature = "tower", feature = "tracing"))]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use apigw_sign::bce::{self, Carrier};
use apigw_sign::http::sign_tencent;
use apigw_sign::layer::VerifyLayer;
use apigw_sign::tencent::{self, Mode};
use apigw_sign::{KeySet, Secret};
use bytes::Bytes;
use common::service::Ok200;
use http::Request;
use http_body_util::Full;
use time::OffsetDateTime;
use tower_layer::Layer as _;
use tower_service::Service as _;

/// Where the subscriber writes: the test reads it back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("a lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `requests` through `layer` with a subscriber installed; the log lines.
fn logged(layer: VerifyLayer, requests: Vec<Request<Full<Bytes>>>) -> Vec<String> {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let mut service = layer.layer(Ok200);
            for request in requests {
                service.call(request).await.expect("infallible");
            }
        });
    });
    let text = String::from_utf8(captured.0.lock().expect("a lock").clone()).expect("utf-8");
    text.lines().map(str::to_owned).collect()
}

fn tencent_signed(key_id: &str, secret: &str) -> (Request<Full<Bytes>>, String) {
    let mut request = Request::get("/items?n=1")
        .header("Host", "example.com")
        .body(Vec::new())
        .expect("a request");
    let secret = Secret::from(secret);
    let signer = tencent::Signer::new(Mode::App, key_id, &secret);
    sign_tencent(&signer, &mut request, OffsetDateTime::now_utc()).expect("sign");
    let authorization = request.headers()["authorization"]
        .to_str()
        .expect("text")
        .to_owned();
    (request.map(Full::from), authorization)
}

#[test]
fn one_event_per_request_with_the_reason_and_no_secret() {
    let mut keys = KeySet::new();
    keys.insert("AKIDgood", "good-secret");
    keys.insert("AKIDoff", "off-secret").set_enabled(false);
    let layer = VerifyLayer::tencent(
        tencent::Verifier::new(tencent::Policy::default()),
        Mode::App,
        keys,
    )
    .body_limit(4);
    let (accepted, auth_ok) = tencent_signed("AKIDgood", "good-secret");
    let (disabled, auth_off) = tencent_signed("AKIDoff", "off-secret");
    let (wrong, auth_wrong) = tencent_signed("AKIDgood", "not-the-secret");
    let large = Request::post("/items")
        .header("Host", "example.com")
        .body(Full::from("too large"))
        .expect("a request");
    let lines = logged(layer, vec![accepted, disabled, wrong, large]);
    assert_eq!(lines.len(), 4, "{lines:#?}");

    let [ok, off, mismatch, body] = [&lines[0], &lines[1], &lines[2], &lines[3]];
    for expected in [
        "INFO",
        "apigw_sign",
        "request",
        "scheme=\"tencent\"",
        "outcome=\"accepted\"",
        "key_id=\"AKIDgood\"",
        "latency_us=",
    ] {
        assert!(ok.contains(expected), "{expected} in {ok}");
    }
    for expected in [
        "WARN",
        "outcome=\"refused\"",
        "status=403",
        "key_id=\"AKIDoff\"",
        "code=\"KeyRejected\"",
        "Disabled",
    ] {
        assert!(off.contains(expected), "{expected} in {off}");
    }
    for expected in [
        "code=\"SignatureMismatch\"",
        "reason=HMAC signature does not match",
    ] {
        assert!(mismatch.contains(expected), "{expected} in {mismatch}");
    }
    for expected in ["status=413", "code=\"BodyTooLarge\""] {
        assert!(body.contains(expected), "{expected} in {body}");
    }
    let all = lines.join("\n");
    for secret in ["good-secret", "off-secret", "not-the-secret"] {
        assert!(!all.contains(secret), "{secret} logged");
    }
    for authorization in [auth_ok, auth_off, auth_wrong] {
        let signature = authorization
            .rsplit("signature=\"")
            .next()
            .expect("a signature");
        let signature = signature.trim_end_matches('"');
        assert!(!all.contains(signature), "a MAC logged");
    }
}

#[test]
fn an_app_code_is_never_logged() {
    let mut keys = KeySet::new();
    keys.insert("the-app-code", "");
    let mut policy = bce::Policy::default();
    policy.carriers = policy.carriers.with(Carrier::AppCode);
    let layer = VerifyLayer::bce(bce::Verifier::new(policy), keys);
    let request = |code: &str| {
        Request::get("/app")
            .header("Host", "example.com")
            .header("X-Bce-Signature", format!("AppCode/{code}"))
            .body(Full::default())
            .expect("a request")
    };
    let lines = logged(
        layer,
        vec![request("the-app-code"), request("a-wrong-code")],
    );
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0].contains("outcome=\"accepted\"") && lines[0].contains("<AppCode>"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("code=\"SignatureAppInvalid\""),
        "{}",
        lines[1]
    );
    let all = lines.join("\n");
    assert!(
        !all.contains("the-app-code") && !all.contains("a-wrong-code"),
        "{all}"
    );
}

#[cfg(feature = "serde")]
#[test]
fn a_gateway_refusal_names_the_service_environment_and_api() {
    let config = toml::from_str(include_str!("fixtures/gateway.toml")).expect("the fixture parses");
    let gateway = apigw_sign::gateway::Gateway::new(config).expect("a valid gateway");
    let layer = VerifyLayer::gateway(gateway, apigw_sign::Protocol::Http);
    let mut request = Request::get("/test/items/7")
        .header("Host", "service-1-1250000000.gz.apigw.tencentcs.com")
        .body(Vec::new())
        .expect("a request");
    let secret = Secret::from("not-the-secret");
    let signer = tencent::Signer::new(Mode::App, "AKIDtest", &secret)
        .environment_prefix(tencent::EnvironmentPrefix::Strip);
    sign_tencent(&signer, &mut request, OffsetDateTime::now_utc()).expect("sign");
    let lines = logged(layer, vec![request.map(Full::from)]);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    for expected in [
        "scheme=\"gateway\"",
        "outcome=\"refused\"",
        "key_id=\"AKIDtest\"",
        "service=\"service-1\"",
        "environment=\"test\"",
        "api=\"/items/{id}\"",
        "code=\"SignatureMismatch\"",
    ] {
        assert!(lines[0].contains(expected), "{expected} in {}", lines[0]);
    }
}
