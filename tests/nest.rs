//! The tower layer under axum's `Router::nest`: axum strips the prefix (`/tc`) from the URI
//! before the nested router's layers see it, while the client signed the whole path. With the
//! `axum` feature the layer verifies the URI the request arrived with (axum's `OriginalUri`), so
//! a layer on the nested router works; so does a layer on the outer router, which needs no
//! feature (the README's recommended form).
#![cfg(all(feature = "tower", feature = "axum"))]

use apigw_sign::http::sign_tencent;
use apigw_sign::layer::{Identity, VerifyLayer};
use apigw_sign::tencent::{self, Mode};
use apigw_sign::{KeySet, Secret};
use axum::body::Body;
use axum::extract::OriginalUri;
use axum::{Extension, Router};
use http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use time::OffsetDateTime;
use tower_service::Service as _;

fn layer() -> VerifyLayer {
    let mut keys = KeySet::new();
    keys.insert("AKIDnest", "nest-secret");
    VerifyLayer::tencent(
        tencent::Verifier::new(tencent::Policy::default()),
        Mode::App,
        keys,
    )
}

fn signed(path: &str) -> Request<Body> {
    let mut request = Request::get(path)
        .header("Host", "example.com")
        .body(Vec::new())
        .expect("a request");
    let secret = Secret::from("nest-secret");
    let signer = tencent::Signer::new(Mode::App, "AKIDnest", &secret);
    sign_tencent(&signer, &mut request, OffsetDateTime::now_utc()).expect("sign");
    request.map(Body::from)
}

async fn handler(
    Extension(identity): Extension<Identity>,
    OriginalUri(uri): OriginalUri,
) -> String {
    format!("{} {}", identity.key_id.unwrap_or_default(), uri.path())
}

async fn call(app: &mut Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.call(request).await.expect("infallible");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn a_layer_on_a_nested_router_verifies_the_path_the_client_signed() {
    let nested = Router::new().fallback(handler).layer(layer());
    let mut app = Router::new().nest("/tc", nested);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        assert_eq!(
            call(&mut app, signed("/tc/items")).await,
            (StatusCode::OK, "AKIDnest /tc/items".to_owned())
        );
        // Signed for the stripped path: not what arrived, refused.
        let mut request = signed("/items");
        *request.uri_mut() = "/tc/items".parse().expect("a URI");
        assert_eq!(call(&mut app, request).await.0, StatusCode::FORBIDDEN);
    });
}

#[test]
fn a_layer_on_the_outer_router_verifies_the_whole_path() {
    let nested = Router::new().fallback(handler);
    let mut app = Router::new().nest("/tc", nested).layer(layer());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        assert_eq!(
            call(&mut app, signed("/tc/items")).await,
            (StatusCode::OK, "AKIDnest /tc/items".to_owned())
        );
    });
}
