//! What a fleet of verifiers needs from the tower layer, in process: keys replaced while 16
//! clients verify (a removed key refused and a new one accepted right after the swap, no other
//! request failing), an asynchronous key source (answering later, or not at all: 503), a
//! replay guard one key cannot exhaust, and the reason of every refusal (the error in the
//! response's extensions, the on-reject callback, `Retry-After` on 503s).
#![cfg(feature = "tower")]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apigw_sign::http::sign_tencent;
use apigw_sign::layer::{VerifyLayer, VerifyService};
use apigw_sign::replay::MemoryReplayGuard;
use apigw_sign::tencent::{self, Mode};
use apigw_sign::{
    Error, KeyFuture, KeySet, KeySource, KeySourceUnavailable, OwnedKeyStatus, Secret, SharedKeys,
};
use bytes::Bytes;
use common::service::{runtime, Ok200};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use time::OffsetDateTime;
use tower_layer::Layer as _;
use tower_service::Service as _;

fn verifier() -> tencent::Verifier {
    tencent::Verifier::new(tencent::Policy::default())
}

/// `GET /items?n={n}` signed in app mode by `key_id` with `secret`, now.
fn signed(key_id: &str, secret: &str, n: usize) -> Request<Full<Bytes>> {
    let mut request = Request::get(format!("/items?n={n}"))
        .header("Host", "example.com")
        .body(Vec::new())
        .expect("a request");
    let secret = Secret::from(secret);
    let signer = tencent::Signer::new(Mode::App, key_id, &secret);
    sign_tencent(&signer, &mut request, OffsetDateTime::now_utc()).expect("sign");
    request.map(Full::from)
}

async fn send(
    service: &mut VerifyService<Ok200>,
    request: Request<Full<Bytes>>,
) -> Response<String> {
    let response = service.call(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a body").to_bytes();
    Response::from_parts(parts, String::from_utf8_lossy(&body).into_owned())
}

fn key_set(keys: &[(&str, &str)]) -> KeySet {
    let mut set = KeySet::new();
    for (id, secret) in keys {
        set.insert(*id, *secret);
    }
    set
}

#[test]
fn keys_swapped_while_sixteen_clients_verify() {
    let shared = SharedKeys::new(key_set(&[("stable", "s-1"), ("old", "o-1")]));
    let service = VerifyLayer::tencent(verifier(), Mode::App, shared.clone()).layer(Ok200);
    runtime().block_on(async {
        let swapped = Arc::new(AtomicBool::new(false));
        let failures = Arc::new(AtomicUsize::new(0));
        let served = Arc::new(AtomicUsize::new(0));
        let mut clients = Vec::new();
        for client in 0..16 {
            let (mut service, swapped, failures, served) = (
                service.clone(),
                Arc::clone(&swapped),
                Arc::clone(&failures),
                Arc::clone(&served),
            );
            clients.push(tokio::spawn(async move {
                let mut n = client * 1_000_000;
                // Until well after the swap: the stable key passes throughout.
                let mut after = 0;
                while after < 50 {
                    n += 1;
                    let response = send(&mut service, signed("stable", "s-1", n)).await;
                    served.fetch_add(1, Ordering::Relaxed);
                    if response.status() != StatusCode::OK {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    if swapped.load(Ordering::SeqCst) {
                        after += 1;
                    }
                    tokio::task::yield_now().await;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut probe = service.clone();
        assert_eq!(
            send(&mut probe, signed("old", "o-1", 1)).await.status(),
            200
        );
        assert_eq!(
            send(&mut probe, signed("new", "n-1", 1)).await.status(),
            403
        );

        shared.replace(key_set(&[("stable", "s-1"), ("new", "n-1")]));
        swapped.store(true, Ordering::SeqCst);
        // Right after the swap: the removed key is refused, the new one accepted.
        let refused = send(&mut probe, signed("old", "o-1", 2)).await;
        assert_eq!(refused.status(), 403);
        assert!(matches!(
            refused.extensions().get::<Error>(),
            Some(Error::KeyRejected { key_id, .. }) if key_id == "old"
        ));
        assert_eq!(
            send(&mut probe, signed("new", "n-1", 2)).await.status(),
            200
        );

        for client in clients {
            client.await.expect("a client");
        }
        assert_eq!(failures.load(Ordering::SeqCst), 0);
        assert!(served.load(Ordering::SeqCst) >= 16 * 50);
    });
}

/// A key source that answers after a pause, as a database would; or fails.
struct SlowStore {
    keys: KeySet,
    down: AtomicBool,
    asked: Mutex<Vec<String>>,
}

impl KeySource for SlowStore {
    fn fetch<'a>(&'a self, key_id: &'a str) -> KeyFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            self.asked.lock().expect("a lock").push(key_id.to_owned());
            if self.down.load(Ordering::SeqCst) {
                return Err(KeySourceUnavailable);
            }
            Ok(self.keys.lookup_owned(key_id))
        })
    }
}

#[test]
fn an_async_key_source_is_asked_between_the_phases_and_fails_closed() {
    let store = Arc::new(SlowStore {
        keys: key_set(&[("AKIDdb", "db-secret")]),
        down: AtomicBool::new(false),
        asked: Mutex::new(Vec::new()),
    });
    let mut service = VerifyLayer::tencent(verifier(), Mode::App, Arc::clone(&store)).layer(Ok200);
    runtime().block_on(async {
        assert_eq!(
            send(&mut service, signed("AKIDdb", "db-secret", 1))
                .await
                .status(),
            200
        );
        assert_eq!(
            send(&mut service, signed("AKIDother", "x", 1))
                .await
                .status(),
            403
        );
        // A request refused in phase one never reaches the store.
        let unsigned = Request::get("/items")
            .header("Host", "example.com")
            .body(Full::default());
        assert_eq!(
            send(&mut service, unsigned.expect("a request"))
                .await
                .status(),
            401
        );
        assert_eq!(
            *store.asked.lock().expect("a lock"),
            ["AKIDdb", "AKIDother"]
        );

        store.down.store(true, Ordering::SeqCst);
        let response = send(&mut service, signed("AKIDdb", "db-secret", 2)).await;
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(
            response.body(),
            r#"{"message":"the key store is unavailable, try again later"}"#
        );
    });
}

#[test]
fn owned_statuses_share_the_secrets_keyed_states() {
    let keys = key_set(&[("a", "secret")]);
    let owned = keys.lookup_owned("a");
    assert!(owned.is_active());
    assert!(matches!(keys.lookup_owned("b"), OwnedKeyStatus::Unknown));
    let OwnedKeyStatus::Active { secrets, algorithm } = owned else {
        unreachable!()
    };
    assert_eq!((secrets.len(), algorithm), (1, None));
    assert_eq!(secrets[0], Secret::from("secret"));
}

#[test]
fn one_key_flooding_does_not_fail_another_keys_requests() {
    // A small guard: 40 entries, 10 per key.
    let guard = MemoryReplayGuard::new(40);
    let keys = key_set(&[("flooder", "f-1"), ("victim", "v-1")]);
    let rejected = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&rejected);
    let mut service = VerifyLayer::tencent(verifier(), Mode::App, keys)
        .replay_guard(guard)
        .on_reject(move |error, head| {
            seen.lock()
                .expect("a lock")
                .push((error.code(), head.uri.to_string()));
        })
        .layer(Ok200);
    runtime().block_on(async {
        let mut flooder_ok = 0;
        for n in 0..200 {
            let response = send(&mut service, signed("flooder", "f-1", n)).await;
            match response.status() {
                StatusCode::OK => flooder_ok += 1,
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert_eq!(response.headers()["retry-after"], "60");
                    assert_eq!(
                        response.extensions().get::<Error>(),
                        Some(&Error::ReplayCacheFull)
                    );
                }
                other => panic!("flooder got {other}"),
            }
        }
        assert_eq!(flooder_ok, 10);
        for n in 0..10 {
            let response = send(&mut service, signed("victim", "v-1", n)).await;
            assert_eq!(response.status(), StatusCode::OK, "victim request {n}");
        }
    });
    let rejected = rejected.lock().expect("a lock");
    assert_eq!(rejected.len(), 190);
    assert!(rejected
        .iter()
        .all(|(code, uri)| *code == "ReplayCacheFull" && uri.starts_with("/items?n=")));
}
