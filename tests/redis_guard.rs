//! `RedisReplayGuard` against real `redis-server` processes, started by the tests on free
//! loopback ports and stopped by PID: two tower stacks (two "servers") sharing one Redis refuse
//! each other's replays; 1 000 unique requests and 1 000 interleaved replays over both give
//! exactly 1 000 acceptances; Redis paused (SIGSTOP) and then killed answers every request with
//! 503 within the bound, accepting nothing twice, and both servers recover when Redis is back,
//! without a restart; Redis restarted empty forgets what it recorded (the documented
//! consequence: one more use of a recorded signature within its window); a reply lost on the
//! way (a proxy swallows it) still accepts the legitimate request exactly once.
//!
//! Without a `redis-server` binary the tests print why and pass, unless
//! `APIGW_SIGN_REQUIRE_REDIS=1` is set (as `.ci/run` does), which makes them fail instead.
#![cfg(all(feature = "redis", feature = "tower"))]

mod common;

use std::collections::HashSet;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apigw_sign::http::sign_tencent;
use apigw_sign::layer::{VerifyLayer, VerifyService};
use apigw_sign::redis::RedisReplayGuard;
use apigw_sign::tencent::{self, Mode};
use apigw_sign::{KeySet, Secret};
use bytes::Bytes;
use common::service::{runtime, Ok200};
use http::{Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use time::OffsetDateTime;
use tower_layer::Layer as _;
use tower_service::Service as _;

const KEY_ID: &str = "AKIDfleet";
const SECRET: &str = "fleet-secret";
const TIMEOUT: Duration = Duration::from_millis(100);

// ---------------------------------------------------------------------------------------------
// A real redis-server

/// The `redis-server` binary, or `None` (with the reason printed) when there is none and the
/// run does not require it.
fn redis_binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("redis-server"))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        let required = std::env::var("APIGW_SIGN_REQUIRE_REDIS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "APIGW_SIGN_REQUIRE_REDIS=1 but no redis-server on PATH"
        );
        eprintln!(
            "skipped: no redis-server on PATH (install it, e.g. apt-get install redis-server)"
        );
    }
    found
}

/// A free loopback port.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("an address").port()
}

/// A `redis-server` on 127.0.0.1 without persistence, killed by PID when dropped.
struct RedisServer {
    child: Child,
    port: u16,
    killed: bool,
}

impl RedisServer {
    fn start(binary: &PathBuf, port: u16) -> RedisServer {
        let child = Command::new(binary)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let server = RedisServer {
            child,
            port,
            killed: false,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !server.answers_ping() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal}");
    }

    /// Kills it (SIGKILL, by PID) and waits for it to exit.
    fn kill(mut self) {
        self.signal("-KILL");
        let _ = self.child.wait();
        self.killed = true;
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.killed {
            return;
        }
        let _ = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Two servers: two tower stacks, each with its own guard on the same Redis

fn server(url: &str) -> VerifyService<Ok200> {
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    let guard = RedisReplayGuard::new(url)
        .expect("a guard")
        .timeout(TIMEOUT);
    let verifier = tencent::Verifier::new(tencent::Policy::default());
    VerifyLayer::tencent(verifier, Mode::App, keys)
        .replay_guard(guard)
        .layer(Ok200)
}

/// `GET /items?n={n}` signed in app mode now: a signature of its own per `n`.
fn signed(n: usize) -> Request<Vec<u8>> {
    let mut request = Request::get(format!("/items?n={n}"))
        .header("Host", "example.com")
        .body(Vec::new())
        .expect("a request");
    let secret = Secret::from(SECRET);
    let signer = tencent::Signer::new(Mode::App, KEY_ID, &secret);
    sign_tencent(&signer, &mut request, OffsetDateTime::now_utc()).expect("sign");
    request
}

fn copy(request: &Request<Vec<u8>>) -> Request<Full<Bytes>> {
    let mut copy = Request::new(Full::from(request.body().clone()));
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// Sends `request` to `server`: its status, body and how long the answer took.
async fn send(
    server: &mut VerifyService<Ok200>,
    request: &Request<Vec<u8>>,
) -> (StatusCode, String, Duration) {
    let started = Instant::now();
    let response = server.call(copy(request)).await.expect("infallible");
    let status = response.status();
    let retry_after = response.headers().get("retry-after").cloned();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        assert!(retry_after.is_some(), "a 503 says when to retry");
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    (status, body, started.elapsed())
}

const REPLAYED: &str = r#"{"message":"the signature was already used"}"#;
const UNAVAILABLE: &str = r#"{"message":"the replay guard is unavailable, try again later"}"#;

#[test]
fn two_servers_sharing_redis_refuse_each_others_replays() {
    let Some(binary) = redis_binary() else { return };
    let redis = RedisServer::start(&binary, free_port());
    runtime().block_on(async {
        let (mut a, mut b) = (server(&redis.url()), server(&redis.url()));
        let request = signed(0);
        assert_eq!(send(&mut a, &request).await.0, StatusCode::OK);
        let (status, body, _) = send(&mut b, &request).await;
        assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, REPLAYED));
        let (status, body, _) = send(&mut a, &request).await;
        assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, REPLAYED));
    });
}

#[test]
fn a_thousand_requests_and_a_thousand_replays_over_two_servers() {
    let Some(binary) = redis_binary() else { return };
    let redis = RedisServer::start(&binary, free_port());
    runtime().block_on(async {
        let servers = [server(&redis.url()), server(&redis.url())];
        let requests: Vec<_> = (0..1000).map(signed).collect();
        let mut tasks = Vec::new();
        // Each request goes to one server and its replay to the other, interleaved, from
        // 16 concurrent clients.
        for client in 0..16 {
            let mut servers = servers.clone();
            let mine: Vec<_> = requests.iter().skip(client).step_by(16).cloned().collect();
            tasks.push(tokio::spawn(async move {
                let (mut accepted, mut refused) = (0, 0);
                for (i, request) in mine.iter().enumerate() {
                    let first = (client + i) % 2;
                    for server in [first, 1 - first] {
                        let (status, body, _) = send(&mut servers[server], request).await;
                        match status {
                            StatusCode::OK => accepted += 1,
                            StatusCode::FORBIDDEN if body == REPLAYED => refused += 1,
                            other => panic!("unexpected {other}: {body}"),
                        }
                    }
                }
                (accepted, refused)
            }));
        }
        let (mut accepted, mut refused) = (0, 0);
        for task in tasks {
            let (a, r) = task.await.expect("a client");
            accepted += a;
            refused += r;
        }
        assert_eq!((accepted, refused), (1000, 1000));
    });
}

#[test]
fn redis_paused_then_killed_refuses_within_the_bound_and_both_servers_recover() {
    let Some(binary) = redis_binary() else { return };
    let port = free_port();
    let redis = RedisServer::start(&binary, port);
    runtime().block_on(async {
        let mut servers = [server(&redis.url()), server(&redis.url())];
        let mut accepted = HashSet::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            signed(n)
        };
        // Up: accepted.
        for server in &mut servers {
            let request = next();
            assert_eq!(send(server, &request).await.0, StatusCode::OK);
            accepted.insert(request.uri().to_string());
        }
        // Paused: every request refused with 503, each within two attempts' bound.
        redis.signal("-STOP");
        let bound = TIMEOUT * 2 + Duration::from_millis(300);
        for i in 0..10 {
            let request = next();
            let (status, body, took) = send(&mut servers[i % 2], &request).await;
            assert_eq!(
                (status, body.as_str()),
                (StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
            );
            assert!(took < bound, "answered in {took:?}, over {bound:?}");
        }
        // Killed while paused: still 503 within the bound, accepting nothing.
        redis.kill();
        for i in 0..10 {
            let request = next();
            let (status, _, took) = send(&mut servers[i % 2], &request).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(took < bound, "answered in {took:?}, over {bound:?}");
        }
        // Back (empty, on the same port): both servers recover without a restart.
        let redis = RedisServer::start(&binary, port);
        for server in &mut servers {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let request = next();
                let (status, _, _) = send(server, &request).await;
                if status == StatusCode::OK {
                    assert!(accepted.insert(request.uri().to_string()), "accepted twice");
                    break;
                }
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
                assert!(Instant::now() < deadline, "did not recover");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        drop(redis);
    });
}

#[test]
fn a_redis_restarted_empty_forgets_what_it_recorded() {
    let Some(binary) = redis_binary() else { return };
    let port = free_port();
    let redis = RedisServer::start(&binary, port);
    runtime().block_on(async {
        let mut server = server(&redis.url());
        let request = signed(1);
        assert_eq!(send(&mut server, &request).await.0, StatusCode::OK);
        assert_eq!(send(&mut server, &request).await.0, StatusCode::FORBIDDEN);
        redis.kill();
        let _redis = RedisServer::start(&binary, port);
        // The documented consequence (README "Running a fleet"): a signature recorded before
        // the restart is accepted once more inside its window, then refused again.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, _, _) = send(&mut server, &request).await;
            if status == StatusCode::OK {
                break;
            }
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "reconnecting");
            assert!(Instant::now() < deadline, "did not recover");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(send(&mut server, &request).await.0, StatusCode::FORBIDDEN);
    });
}

// ---------------------------------------------------------------------------------------------
// A lost reply

/// A TCP proxy to `upstream` that, once armed, swallows the next reply to an `EVAL` and keeps
/// the connection open, as a network that loses a packet for good would.
struct LossyProxy {
    port: u16,
    armed: Arc<AtomicBool>,
}

impl LossyProxy {
    fn start(upstream: u16) -> LossyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("an address").port();
        let armed = Arc::new(AtomicBool::new(false));
        let shared = Arc::clone(&armed);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    return;
                };
                let eval_sent = Arc::new(AtomicBool::new(false));
                let (mut c_in, mut s_out) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                let seen = Arc::clone(&eval_sent);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = c_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        // Noted before the bytes go on: set after, a busy machine let the reply
                        // come back through the other thread first, and it was not swallowed.
                        if buf[..n].windows(4).any(|w| w == b"EVAL") {
                            seen.store(true, Ordering::SeqCst);
                        }
                        if s_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = s_out.shutdown(Shutdown::Write);
                });
                let (mut s_in, mut c_out) = (server, client);
                let armed = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = s_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if eval_sent.swap(false, Ordering::SeqCst)
                            && armed.swap(false, Ordering::SeqCst)
                        {
                            continue; // swallowed
                        }
                        if c_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = c_out.shutdown(Shutdown::Write);
                });
            }
        });
        LossyProxy { port, armed }
    }
}

#[test]
fn a_lost_reply_accepts_the_request_once_and_refuses_its_replay() {
    let Some(binary) = redis_binary() else { return };
    let redis = RedisServer::start(&binary, free_port());
    let proxy = LossyProxy::start(redis.port);
    runtime().block_on(async {
        let mut through_proxy = server(&format!("redis://127.0.0.1:{}/", proxy.port));
        let mut direct = server(&redis.url());
        // Warm the connection so that the armed loss hits the EVAL's reply.
        assert_eq!(send(&mut through_proxy, &signed(0)).await.0, StatusCode::OK);
        proxy.armed.store(true, Ordering::SeqCst);
        let request = signed(1);
        let (status, body, took) = send(&mut through_proxy, &request).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "reached"));
        assert!(
            !proxy.armed.load(Ordering::SeqCst),
            "the reply was swallowed"
        );
        assert!(took >= TIMEOUT, "the first attempt timed out: {took:?}");
        // Recorded exactly once: refused on both paths now.
        assert_eq!(send(&mut through_proxy, &request).await.1, REPLAYED);
        assert_eq!(send(&mut direct, &request).await.1, REPLAYED);
        // And the guard is back in step: the next request passes at once.
        let (status, _, took) = send(&mut through_proxy, &signed(2)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(took < TIMEOUT, "{took:?}");
    });
}
