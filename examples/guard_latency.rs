//! What a replay guard adds to each request in the tower layer: p50 and p99 of `N` signed
//! requests (Tencent app mode, in process, one at a time) with no guard, with the in-memory
//! guard, and with `RedisReplayGuard` on the Redis at `URL`.
//!
//! ```sh
//! redis-server --port 6399 --save '' &
//! cargo run --release --example guard_latency --features redis,tower -- redis://127.0.0.1:6399/ 20000
//! ```
use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use apigw_sign::http::sign_tencent;
use apigw_sign::layer::VerifyLayer;
use apigw_sign::redis::RedisReplayGuard;
use apigw_sign::replay::MemoryReplayGuard;
use apigw_sign::tencent::{self, Mode};
use apigw_sign::{KeySet, Secret};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use time::OffsetDateTime;
use tower_layer::Layer as _;
use tower_service::Service as _;

#[derive(Clone)]
struct Ok200;

impl<B> tower_service::Service<Request<B>> for Ok200 {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<B>) -> Self::Future {
        std::future::ready(Ok(Response::new(Full::from("ok"))))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn measure(name: &str, layer: VerifyLayer, n: usize) {
    let mut service = layer.layer(Ok200);
    let secret = Secret::from("latency-secret");
    let signer = tencent::Signer::new(Mode::App, "AKIDlatency", &secret);
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let mut request = Request::get(format!("/items?n={i}"))
            .header("Host", "example.com")
            .body(Vec::new())
            .expect("a request");
        sign_tencent(&signer, &mut request, OffsetDateTime::now_utc()).expect("sign");
        let request = request.map(|body| Full::new(Bytes::from(body)));
        let started = Instant::now();
        let response = service.call(request).await.expect("infallible");
        times.push(started.elapsed());
        assert_eq!(response.status(), 200, "{name}: request {i} refused");
    }
    times.sort();
    println!(
        "{name:<8} p50 {:>8.1} µs  p99 {:>8.1} µs  ({n} requests)",
        percentile(&times, 0.50).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6,
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".to_owned());
    let n: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut keys = KeySet::new();
        keys.insert("AKIDlatency", "latency-secret");
        let verifier = tencent::Verifier::new(tencent::Policy::default());
        let layer = || VerifyLayer::tencent(verifier.clone(), Mode::App, keys.clone());
        measure("none", layer(), n).await;
        let memory = MemoryReplayGuard::new(4 * n).per_key(4 * n);
        measure("memory", layer().replay_guard(memory), n).await;
        let redis = RedisReplayGuard::new(&url)?;
        measure("redis", layer().replay_guard(redis), n).await;
        Ok(())
    })
}
