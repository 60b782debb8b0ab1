//! The `reqwest` and `reqwest-middleware` features: requests built with reqwest's own builder
//! (`.query()`, `.json()`, `.form()`, a body of bytes) signed in place for Tencent (both modes)
//! and BCE (every carrier) and verified by the crate's verifiers as the request reqwest would
//! send; a streaming body is refused; the middleware signs each attempt of a retried request
//! afresh. (The same requests against the gateway program over the loopback: the gateway
//! crate's `tests/e2e.rs`.)
#![cfg(all(feature = "reqwest", feature = "reqwest-middleware"))]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use apigw_sign::bce::{self, Carrier};
use apigw_sign::reqwest::{sign_bce, sign_tencent, SigningMiddleware};
use apigw_sign::tencent::{self, Mode};
use apigw_sign::{Error, KeySet, RequestError, Secret};
use http::Extensions;
use reqwest_middleware::{Middleware, Next};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-30 12:00:00 UTC);
const KEY_ID: &str = "AKIDreqwest";
const SECRET: &str = "reqwest-secret";

fn keys() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    keys
}

/// What reqwest sends for `request`: its method, path and query, headers (with `Host` from the
/// URL when the signer did not set one), and body bytes.
fn as_sent(request: &reqwest::Request) -> http::Request<Vec<u8>> {
    let url = request.url();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let body = request
        .body()
        .map(|body| body.as_bytes().expect("a buffered body").to_vec())
        .unwrap_or_default();
    let mut sent = http::Request::new(body);
    *sent.method_mut() = request.method().clone();
    *sent.uri_mut() = target.parse().unwrap();
    *sent.headers_mut() = request.headers().clone();
    if !sent.headers().contains_key(http::header::HOST) {
        let host = url.host_str().unwrap().to_owned();
        sent.headers_mut()
            .insert(http::header::HOST, host.parse().unwrap());
    }
    // reqwest adds `Accept: */*` to a request without one.
    sent.headers_mut()
        .entry(http::header::ACCEPT)
        .or_insert(http::HeaderValue::from_static("*/*"));
    sent
}

fn built(client: &reqwest::Client) -> Vec<(&'static str, reqwest::Request)> {
    let url = "http://service-demo-1250000000.gz.apigw.tencentcs.com:8080/release/v1/orders";
    vec![
        (
            "query and json",
            client
                .post(url)
                .query(&[("lang", "zh-CN"), ("q", "中文 空格")])
                .json(&serde_json::json!({"item": 7, "note": "a b"}))
                .build()
                .unwrap(),
        ),
        (
            "get with a query",
            client.get(url).query(&[("id", "7")]).build().unwrap(),
        ),
        (
            "bytes",
            client
                .put(url)
                .header("Content-Type", "application/octet-stream")
                .body(vec![0u8, 1, 2, 255])
                .build()
                .unwrap(),
        ),
        (
            "form",
            client
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("a=1&b=x%20y")
                .build()
                .unwrap(),
        ),
    ]
}

#[test]
fn tencent_requests_built_with_reqwest_sign_in_place_and_verify() {
    let client = reqwest::Client::new();
    let secret = Secret::from(SECRET);
    let verifier = tencent::Verifier::default();
    for mode in [Mode::App, Mode::KeyPair] {
        for (what, mut request) in built(&client) {
            let signer = tencent::Signer::new(mode, KEY_ID, &secret);
            sign_tencent(&signer, &mut request, NOW).unwrap_or_else(|e| panic!("{what}: {e}"));
            let headers = request.headers();
            assert!(headers.contains_key("authorization"), "{what}");
            assert_eq!(
                headers["host"], "service-demo-1250000000.gz.apigw.tencentcs.com:8080",
                "{what}"
            );
            if mode == Mode::App {
                // Set before signing: what reqwest would add after.
                assert_eq!(headers["accept"], "*/*", "{what}");
            }
            let sent = as_sent(&request);
            apigw_sign::http::verify_tencent(&verifier, mode, &sent, &keys(), NOW)
                .unwrap_or_else(|e| panic!("{mode:?} {what}: {e}"));
        }
    }
}

#[test]
fn bce_requests_built_with_reqwest_sign_in_place_for_every_carrier() {
    let client = reqwest::Client::new();
    let secret = Secret::from(SECRET);
    let verifier = bce::Verifier::new(bce::Policy::default());
    for carrier in [
        Carrier::Authorization,
        Carrier::XBceSignature,
        Carrier::Query,
    ] {
        for (what, mut request) in built(&client) {
            let signer = bce::Signer::new(KEY_ID, &secret).carrier(carrier);
            sign_bce(&signer, &mut request, NOW).unwrap_or_else(|e| panic!("{what}: {e}"));
            if carrier == Carrier::Query {
                assert!(request
                    .url()
                    .query()
                    .unwrap()
                    .contains("authorization=bce-auth-v1"));
            }
            let sent = as_sent(&request);
            let verified = apigw_sign::http::verify_bce(&verifier, &sent, &keys(), NOW)
                .unwrap_or_else(|e| panic!("{carrier:?} {what}: {e}"));
            assert_eq!(verified.carrier(), carrier);
        }
    }
}

#[test]
fn a_streaming_body_is_refused_and_the_request_left_as_it_was() {
    let client = reqwest::Client::new();
    let secret = Secret::from(SECRET);
    let mut request = client
        .post("http://example.com/v1")
        .body(reqwest::Body::wrap(http_body_util::Full::new(
            bytes::Bytes::from_static(b"streamed"),
        )))
        .build()
        .unwrap();
    let before = request.headers().clone();
    let signer = tencent::Signer::new(Mode::App, KEY_ID, &secret);
    assert_eq!(
        sign_tencent(&signer, &mut request, NOW),
        Err(Error::InvalidRequest(RequestError::StreamingBody))
    );
    assert_eq!(request.headers(), &before);

    // Refused by the signer (a key id with a quote): no `Accept` or `Host` left behind either.
    let mut request = client.get("http://example.com/v1").build().unwrap();
    let signer = tencent::Signer::new(Mode::App, "bad\"id", &secret);
    assert_eq!(
        sign_tencent(&signer, &mut request, NOW),
        Err(Error::InvalidRequest(RequestError::InvalidKeyId))
    );
    assert!(request.headers().is_empty(), "{:?}", request.headers());
}

/// Test time: 30 s later at every reading.
static TICKS: AtomicI64 = AtomicI64::new(0);

fn ticking_clock() -> OffsetDateTime {
    NOW + Duration::seconds(30 * TICKS.fetch_add(1, Ordering::SeqCst))
}

/// Sends each request twice (as a retry middleware does after a failed attempt).
struct RetryOnce;

#[async_trait::async_trait]
impl Middleware for RetryOnce {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let again = request.try_clone().expect("a buffered request clones");
        let first = next.clone().run(request, extensions).await?;
        assert_eq!(first.status(), 503);
        next.run(again, extensions).await
    }
}

/// Stands in for the network: records each request as sent, answers 503 then 200.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<http::Request<Vec<u8>>>>>);

#[async_trait::async_trait]
impl Middleware for Recorder {
    async fn handle(
        &self,
        request: reqwest::Request,
        _: &mut Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let mut seen = self.0.lock().unwrap();
        seen.push(as_sent(&request));
        let status = if seen.len() == 1 { 503 } else { 200 };
        Ok(http::Response::builder()
            .status(status)
            .body("")
            .unwrap()
            .into())
    }
}

#[test]
fn the_middleware_signs_a_retried_request_afresh() {
    let secret = Secret::from(SECRET);
    let signing = SigningMiddleware::new(move |request: &mut reqwest::Request, now| {
        sign_tencent(
            &tencent::Signer::new(Mode::App, KEY_ID, &secret),
            request,
            now,
        )
    })
    .clock(ticking_clock);
    let recorder = Recorder::default();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(RetryOnce)
        .with(signing)
        .with(recorder.clone())
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let response = runtime
        .block_on(
            client
                .post("http://example.com/release/v1")
                .json(&serde_json::json!({"n": 1}))
                .send(),
        )
        .unwrap();
    assert_eq!(response.status(), 200);

    let seen = recorder.0.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let dates: Vec<&http::HeaderValue> = seen.iter().map(|r| &r.headers()["x-date"]).collect();
    assert_ne!(dates[0], dates[1], "each attempt has its own date");
    assert_ne!(
        seen[0].headers()["authorization"],
        seen[1].headers()["authorization"]
    );
    // Each attempt verifies at its own signing time (0 s and 30 s after NOW), and the first
    // no longer does at the second's time plus the window.
    let verifier = tencent::Verifier::default();
    for (attempt, at) in [(0, NOW), (1, NOW + Duration::seconds(30))] {
        apigw_sign::http::verify_tencent(&verifier, Mode::App, &seen[attempt], &keys(), at)
            .unwrap_or_else(|e| panic!("attempt {attempt}: {e}"));
    }
    assert_eq!(
        dates[1].to_str().unwrap(),
        apigw_sign::format_http_date(NOW + Duration::seconds(30))
    );
}

#[test]
fn the_middleware_refuses_to_send_what_it_cannot_sign() {
    let signing = SigningMiddleware::new(|request: &mut reqwest::Request, now| {
        let secret = Secret::from(SECRET);
        sign_tencent(
            &tencent::Signer::new(Mode::App, "bad\"id", &secret),
            request,
            now,
        )
    });
    let recorder = Recorder::default();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(signing)
        .with(recorder.clone())
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let error = runtime
        .block_on(client.get("http://example.com/v1").send())
        .unwrap_err();
    assert!(error.to_string().contains("key id"), "{error}");
    assert!(recorder.0.lock().unwrap().is_empty(), "nothing sent");
    assert_eq!(
        format!(
            "{:?}",
            SigningMiddleware::new(|_: &mut reqwest::Request, _| Ok(()))
        ),
        "SigningMiddleware { .. }"
    );
}
