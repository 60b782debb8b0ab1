//! A load client for `apigw-gateway` on its built-in demo configuration: `--connections`
//! keep-alive HTTP/1.1 connections, each sending one request after another for `--seconds`,
//! every request signed afresh (a unique signature each, as the replay guard requires); then
//! requests/s, p50 and p99, and how many answers were not 200.
//!
//! ```text
//! cargo run --release -p apigw-gateway &                      # the demo configuration
//! cargo run --release -p apigw-gateway --example load -- --scheme app --connections 64 --seconds 0.5
//! ```
//!
//! Schemes: `open` (`GET /release/ping`, no authentication), `key-pair` (`GET /release/users`,
//! a `Source` header per request), `app` (`GET /release/v1/users/{n}`), `bce`
//! (`GET /items/{n}` on the BCE service, `X-Bce-Signature`).
//!
//! `--target PATH` sends each scheme's signed request to another path of the same host: a
//! key-pair request to `/release/ping` costs the gateway what the open route does with the
//! same bytes on the wire, so the difference to `/release/users` is authentication alone.
//!
//! The gateway's in-memory replay guard holds 25 000 signatures per key for their 15-minute
//! windows: at tens of thousands of requests a second, keep runs short (and restart the
//! gateway between them), or run it with `--redis`.

use std::time::{Duration, Instant};

use apigw_sign::http::{sign_bce, sign_tencent};
use apigw_sign::tencent::{Mode, Signer};
use apigw_sign::{bce, Secret};
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use time::OffsetDateTime;

const USAGE: &str = "usage: load [--addr HOST:PORT] [--scheme open|key-pair|app|bce] [--target PATH] [--connections N] [--seconds S]";
const TENCENT_HOST: &str = "service-demo-1250000000.gz.apigw.tencentcs.com";
const BCE_HOST: &str = "bce-demo.example.com";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Open,
    KeyPair,
    App,
    Bce,
}

/// The demo configuration's secrets, made once per connection (a `Secret` keeps its keyed HMAC
/// state, as a real client's would).
struct Secrets {
    tencent: Secret,
    bce: Secret,
}

/// Request number `n` of connection `worker`, signed now (to `target` if given).
fn request(
    scheme: Scheme,
    target: Option<&str>,
    secrets: &Secrets,
    worker: usize,
    n: u64,
) -> http::Request<Empty<Bytes>> {
    let (path, host) = match scheme {
        Scheme::Open => ("/release/ping".to_owned(), TENCENT_HOST),
        Scheme::KeyPair => ("/release/users".to_owned(), TENCENT_HOST),
        Scheme::App => (format!("/release/v1/users/{worker}-{n}"), TENCENT_HOST),
        Scheme::Bce => (format!("/items/{worker}-{n}"), BCE_HOST),
    };
    let mut request = http::Request::get(target.map_or(path, str::to_owned))
        .header("Host", host)
        .header("Accept", "application/json")
        .body(Vec::new())
        .expect("a request");
    let now = OffsetDateTime::now_utc();
    match scheme {
        Scheme::Open => {}
        Scheme::KeyPair => {
            // Key-pair mode signs the date and `Source` only: a `Source` per request.
            let source = format!("load-{worker}-{n}")
                .parse()
                .expect("a header value");
            request.headers_mut().insert("source", source);
            let signer = Signer::new(Mode::KeyPair, "AKIDdemo", &secrets.tencent);
            sign_tencent(&signer, &mut request, now).expect("sign");
        }
        Scheme::App => {
            let signer = Signer::new(Mode::App, "AKIDdemo", &secrets.tencent);
            sign_tencent(&signer, &mut request, now).expect("sign");
        }
        Scheme::Bce => {
            let signer =
                bce::Signer::new("bce-demo-ak", &secrets.bce).carrier(bce::Carrier::XBceSignature);
            sign_bce(&signer, &mut request, now).expect("sign");
        }
    }
    request.map(|_| Empty::new())
}

/// One connection's loop: latencies in microseconds, and the answers that were not 200.
async fn worker(
    addr: String,
    scheme: Scheme,
    target: Option<String>,
    worker: usize,
    until: Instant,
) -> Result<(Vec<u32>, u64), String> {
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|error| format!("connect {addr}: {error}"))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| format!("handshake: {error}"))?;
    tokio::spawn(connection);
    let (mut latencies, mut failed) = (Vec::new(), 0);
    let secrets = Secrets {
        tencent: Secret::from("demo-secret"),
        bce: Secret::from("bce-demo-sk"),
    };
    let mut n = 0;
    while Instant::now() < until {
        n += 1;
        let request = request(scheme, target.as_deref(), &secrets, worker, n);
        let started = Instant::now();
        sender
            .ready()
            .await
            .map_err(|error| format!("connection: {error}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| format!("request: {error}"))?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        if status != 200 {
            failed += 1;
        }
    }
    Ok((latencies, failed))
}

fn main() -> Result<(), String> {
    let mut addr = "127.0.0.1:8080".to_owned();
    let mut scheme = Scheme::Open;
    let mut target = None;
    let mut connections = 16;
    let mut seconds = 5.0_f64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--addr" => addr = value()?,
            "--scheme" => {
                scheme = match value()?.as_str() {
                    "open" => Scheme::Open,
                    "key-pair" => Scheme::KeyPair,
                    "app" => Scheme::App,
                    "bce" => Scheme::Bce,
                    other => return Err(format!("unknown scheme {other}\n{USAGE}")),
                }
            }
            "--target" => target = Some(value()?),
            "--connections" => connections = value()?.parse().map_err(|_| USAGE.to_owned())?,
            "--seconds" => seconds = value()?.parse().map_err(|_| USAGE.to_owned())?,
            _ => return Err(USAGE.to_owned()),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    let (mut latencies, failed, elapsed) = runtime.block_on(async {
        let started = Instant::now();
        let until = started + Duration::from_secs_f64(seconds);
        let tasks: Vec<_> = (0..connections)
            .map(|i| tokio::spawn(worker(addr.clone(), scheme, target.clone(), i, until)))
            .collect();
        let (mut all, mut failed) = (Vec::new(), 0);
        for task in tasks {
            let (latencies, f) = task.await.map_err(|error| error.to_string())??;
            all.extend(latencies);
            failed += f;
        }
        Ok::<_, String>((all, failed, started.elapsed()))
    })?;
    latencies.sort_unstable();
    let at = |p: f64| {
        let index = ((latencies.len().saturating_sub(1)) as f64 * p).round() as usize;
        latencies.get(index).copied().unwrap_or(0)
    };
    println!(
        "{} requests in {:.2} s: {:.0} requests/s, p50 {} µs, p99 {} µs, not 200: {failed}",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        at(0.50),
        at(0.99),
    );
    Ok(())
}
