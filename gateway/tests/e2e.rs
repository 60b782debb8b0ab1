//! The `apigw-gateway` program end to end: the test starts its server on 127.0.0.1 with port 0, reads
//! the bound address from its first line on stdout, sends real HTTP/1.1 requests with reqwest
//! (signed by this crate: Tencent key-pair and app mode, BCE `X-Bce-Signature`) and checks the
//! status and body of a success, a routing error, authentication errors and the body limit (with
//! a `Content-Length` and chunked), then closes the server's stdin and checks that it stops.
//!
//! Bounded: a dozen requests to the loopback only, each with a 5 s timeout; the server is killed
//! by a guard if a check fails. Cargo builds the program for this test
//! (`CARGO_BIN_EXE_apigw-gateway`).

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use apigw_sign::bce::{self, Carrier};
use apigw_sign::http::{sign_bce, sign_tencent};
use apigw_sign::tencent::{Mode, Signer};
use apigw_sign::Secret;

/// The gateway configuration the library's gateway, CLI and end-to-end suites share.
const GATEWAY_TOML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/gateway.toml"
);
use time::OffsetDateTime;

const DOMAIN: &str = "service-e2e-1250000000.gz.apigw.tencentcs.com";
const BCE_DOMAIN: &str = "bce-e2e.example.com";
const KEY_ID: &str = "AKIDe2e";
const SECRET: &str = "e2e-secret";
const BCE_AK: &str = "bce-e2e-ak";
const BCE_SK: &str = "bce-e2e-sk";
const BODY_LIMIT: usize = 64;

/// How long the server may take to print its address.
const STARTUP: Duration = Duration::from_secs(30);
/// How long one request may take.
const REQUEST: Duration = Duration::from_secs(5);
/// How long the server may take to stop once its stdin is closed.
const SHUTDOWN: Duration = Duration::from_secs(10);

/// The `apigw-gateway` program, built by Cargo for this test.
fn gateway() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_apigw-gateway"))
}

/// A running `apigw-gateway`, killed on drop if it has not stopped.
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    base: String,
    /// Its stderr (the logs), read as it comes so that the pipe never fills.
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// Starts the program with `args` and waits for its `listening on …` line.
    fn start(args: &[&str]) -> Server {
        let mut command = Command::new(gateway());
        command.args(args);
        Server::spawn(command)
    }

    /// Starts the program with `args` under a limit of `files` open file descriptors (through
    /// the shell's `ulimit -n`).
    fn start_with_file_limit(files: u32, args: &[&str]) -> Server {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
            .arg(gateway())
            .args(args);
        Server::spawn(command)
    }

    fn spawn(mut command: Command) -> Server {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn apigw-gateway");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        // From here on the guard kills the child whatever happens.
        let mut server = Server {
            child,
            base: String::new(),
            stderr: Some(stderr),
        };
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver
            .recv_timeout(STARTUP)
            .expect("the gateway prints its address in time");
        let base = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        server.base = base.to_owned();
        server
    }

    fn url(&self, target: &str) -> String {
        format!("{}{target}", self.base)
    }

    /// Closes the server's stdin and waits for it to exit; returns its status and stderr.
    fn stop(&mut self) -> (ExitStatus, String) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + SHUTDOWN;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll the gateway") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the gateway did not stop after its stdin was closed"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        (status, self.logs())
    }

    /// Everything it wrote on stderr, once it has exited.
    fn logs(&mut self) -> String {
        self.stderr
            .take()
            .map(|reader| reader.join().expect("the stderr reader"))
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A client for the loopback only: no proxy (whatever the environment says), short timeouts.
fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(REQUEST)
        .connect_timeout(REQUEST)
        .build()
        .expect("build the client")
}

/// Sends `request` (its target, headers and body) to `server`; returns the status and body.
fn send(
    client: &reqwest::blocking::Client,
    server: &Server,
    request: http::Request<Vec<u8>>,
) -> (u16, String) {
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |target| target.as_str())
        .to_owned();
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, server.url(&target))
        .headers(parts.headers)
        .body(body)
        .send()
        .expect("send the request");
    read(response)
}

fn read(response: reqwest::blocking::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().expect("read the response body"))
}

/// `method target` to `host`, with `headers` and `body`, unsigned.
fn request(
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(target)
        .header("Host", host);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.to_vec()).expect("a valid request")
}

/// `request` signed for Tencent in `mode` with `key_id` / `secret`, now.
fn tencent(
    mode: Mode,
    key_id: &str,
    secret: &str,
    mut request: http::Request<Vec<u8>>,
) -> http::Request<Vec<u8>> {
    let secret = Secret::from(secret);
    sign_tencent(
        &Signer::new(mode, key_id, &secret),
        &mut request,
        OffsetDateTime::now_utc(),
    )
    .expect("sign");
    request
}

fn echo(key_id: &str, environment: &str, service: &str, api: &str) -> String {
    format!(
        r#"{{"key_id":"{key_id}","environment":"{environment}","service":"{service}","api":"{api}"}}"#
    )
}

#[test]
fn gateway_serves_signed_requests_and_answers_failures_like_the_vendor() {
    // The shared configuration, not the built-in demo: the test shows the file is read.
    let limit = BODY_LIMIT.to_string();
    let mut server = Server::start(&[
        "--listen",
        "127.0.0.1:0",
        "--config",
        GATEWAY_TOML,
        "--body-limit",
        &limit,
    ]);
    let client = client();
    let json = [
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
    ];

    // Success, key-pair mode: the handler echoes what the gateway established.
    let signed = tencent(
        Mode::KeyPair,
        KEY_ID,
        SECRET,
        request("GET", "/release/users", DOMAIN, &[], b""),
    );
    assert_eq!(
        send(&client, &server, signed),
        (200, echo(KEY_ID, "release", "service-e2e", "/users"))
    );

    // Success, app mode: method, path, Accept, Content-Type and the body's Content-MD5 signed.
    let body = br#"{"name":"e2e"}"#;
    let signed = tencent(
        Mode::App,
        KEY_ID,
        SECRET,
        request("POST", "/release/v1/items/42?lang=zh", DOMAIN, &json, body),
    );
    assert_eq!(
        send(&client, &server, signed),
        (
            200,
            echo(KEY_ID, "release", "service-e2e", "/v1/items/{id}")
        )
    );

    // A routing error: no API for the path (checked before the signature).
    let signed = tencent(
        Mode::KeyPair,
        KEY_ID,
        SECRET,
        request("GET", "/release/nope", DOMAIN, &[], b""),
    );
    assert_eq!(
        send(&client, &server, signed),
        (
            404,
            r#"{"message":"There is no api match uri[/nope]"}"#.to_owned()
        )
    );

    // Authentication errors: no Authorization (401), a wrong secret (403, Classic statuses).
    let unsigned = request("GET", "/release/users", DOMAIN, &[], b"");
    assert_eq!(
        send(&client, &server, unsigned),
        (
            401,
            r#"{"message":"HMAC signature cannot be verified, a validate authorization header is required"}"#
                .to_owned()
        )
    );
    let wrong = tencent(
        Mode::KeyPair,
        KEY_ID,
        "not-the-secret",
        request("GET", "/release/users", DOMAIN, &[], b""),
    );
    assert_eq!(
        send(&client, &server, wrong),
        (
            403,
            r#"{"message":"HMAC signature does not match"}"#.to_owned()
        )
    );

    // The body limit, announced by Content-Length and found while reading a chunked body.
    let large = vec![b'x'; BODY_LIMIT + 1];
    let too_large = format!(r#"{{"message":"request body is larger than {BODY_LIMIT} bytes"}}"#);
    let signed = tencent(
        Mode::App,
        KEY_ID,
        SECRET,
        request("POST", "/release/v1/items/42", DOMAIN, &json, &large),
    );
    assert_eq!(send(&client, &server, signed), (413, too_large.clone()));
    // Chunked: signed (app mode signs the body, so the gateway reads it), sent without a length.
    let signed = tencent(
        Mode::App,
        KEY_ID,
        SECRET,
        request(
            "POST",
            "/release/v1/items/42",
            DOMAIN,
            &json,
            &vec![b'x'; BODY_LIMIT * 4],
        ),
    );
    let (mut parts, body) = signed.into_parts();
    parts.headers.remove("content-length");
    let chunked = client
        .post(server.url("/release/v1/items/42"))
        .headers(parts.headers)
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(body)))
        .send()
        .expect("send the chunked request");
    assert_eq!(read(chunked), (413, too_large));
    // Unsigned, the same chunked body is refused before it is read.
    let unsigned = client
        .post(server.url("/release/v1/items/42"))
        .header("Host", DOMAIN)
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(
            vec![b'x'; BODY_LIMIT * 4],
        )))
        .send()
        .expect("send the chunked request");
    assert_eq!(read(unsigned).0, 401);
    // A body at the limit is read and verified.
    let at_limit = vec![b'x'; BODY_LIMIT];
    let signed = tencent(
        Mode::App,
        KEY_ID,
        SECRET,
        request("POST", "/release/v1/items/7", DOMAIN, &json, &at_limit),
    );
    assert_eq!(send(&client, &server, signed).0, 200);

    // BCE: a signed request passes; a failure carries the request's own x-bce-request-id.
    let sk = Secret::from(BCE_SK);
    let mut signed = request("GET", "/items/9", BCE_DOMAIN, &[], b"");
    sign_bce(
        &bce::Signer::new(BCE_AK, &sk).carrier(Carrier::XBceSignature),
        &mut signed,
        OffsetDateTime::now_utc(),
    )
    .expect("sign");
    assert_eq!(
        send(&client, &server, signed),
        (200, echo(BCE_AK, "release", "bce-e2e", "/items/{id}"))
    );
    let unsigned = request(
        "GET",
        "/items/9",
        BCE_DOMAIN,
        &[("x-bce-request-id", "e2e-1")],
        b"",
    );
    assert_eq!(
        send(&client, &server, unsigned),
        (
            400,
            r#"{"code":"EmptySignature","message":"Signature is empty","requestId":"e2e-1"}"#
                .to_owned()
        )
    );

    drop(client);
    let (status, stderr) = server.stop();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("stdin closed"), "{stderr}");
}

#[test]
fn gateway_serves_the_built_in_demo_configuration() {
    let mut server = Server::start(&["--listen", "127.0.0.1:0"]);
    let client = client();
    let signed = tencent(
        Mode::KeyPair,
        "AKIDdemo",
        "demo-secret",
        request(
            "GET",
            "/release/users",
            "service-demo-1250000000.gz.apigw.tencentcs.com",
            &[],
            b"",
        ),
    );
    assert_eq!(
        send(&client, &server, signed),
        (200, echo("AKIDdemo", "release", "service-demo", "/users"))
    );
    // The demo's `test` environment is published but bound to no usage plan.
    let signed = tencent(
        Mode::KeyPair,
        "AKIDdemo",
        "demo-secret",
        request(
            "GET",
            "/test/users",
            "service-demo-1250000000.gz.apigw.tencentcs.com",
            &[],
            b"",
        ),
    );
    assert_eq!(
        send(&client, &server, signed),
        (
            403,
            r#"{"message":"Found no validate usage plan"}"#.to_owned()
        )
    );
    drop(client);
    let (status, stderr) = server.stop();
    assert!(status.success(), "{status}: {stderr}");
}

#[test]
fn gateway_refuses_bad_arguments_and_configurations() {
    let run = |args: &[&str]| {
        let output = Command::new(gateway())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run apigw-gateway");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&["--listen", "localhost"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--listen localhost"), "{stderr}");
    let (code, stderr) = run(&["--body-limit", "-1"]);
    assert_eq!(code, Some(2), "{stderr}");

    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gateway_e2e_missing.toml");
    let (code, stderr) = run(&[
        "--config",
        missing.to_str().expect("UTF-8"),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");

    let invalid = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gateway_e2e_invalid.toml");
    std::fs::write(
        &invalid,
        "[[usage_plans]]\nid = \"p\"\nkeys = [\"nobody\"]\n",
    )
    .expect("write");
    let (code, stderr) = run(&[
        "--config",
        invalid.to_str().expect("UTF-8"),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("usage plan `p` refers to unknown key `nobody`"),
        "{stderr}"
    );
    let _ = std::fs::remove_file(&invalid);
}

// ---- lifecycle: replays, SIGTERM, SIGHUP, logs ----------------------------------------------

impl Server {
    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Sends `signal` (`-TERM`, `-HUP`) to the server.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal}");
    }

    /// Waits for the server to exit, at most `limit`: its status, stderr and how long it took.
    fn exit_within(&mut self, limit: Duration) -> (ExitStatus, String, Duration) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll the gateway") {
                break status;
            }
            assert!(
                started.elapsed() < limit,
                "the gateway did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = started.elapsed();
        (status, self.logs(), took)
    }
}

/// `GET /items/{id}` to the BCE service, signed now.
fn bce_get(id: &str, ak: &str, sk: &str) -> http::Request<Vec<u8>> {
    let sk = Secret::from(sk);
    let mut signed = request("GET", &format!("/items/{id}"), BCE_DOMAIN, &[], b"");
    sign_bce(
        &bce::Signer::new(ak, &sk).carrier(Carrier::XBceSignature),
        &mut signed,
        OffsetDateTime::now_utc(),
    )
    .expect("sign");
    signed
}

/// An app-mode request signed over a 100-byte body, as wire bytes with only the first 10 bytes
/// of the body: it passes every check the gateway makes before reading the body.
fn partial_app_request() -> Vec<u8> {
    let json = [
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
    ];
    let signed = tencent(
        Mode::App,
        KEY_ID,
        SECRET,
        request("POST", "/release/v1/items/1", DOMAIN, &json, &[b'x'; 100]),
    );
    let mut wire = String::from("POST /release/v1/items/1 HTTP/1.1\r\n");
    for (name, value) in signed.headers() {
        if name != "content-length" {
            wire.push_str(&format!("{name}: {}\r\n", value.to_str().expect("text")));
        }
    }
    wire.push_str("content-length: 100\r\n\r\n");
    let mut wire = wire.into_bytes();
    wire.extend_from_slice(&[b'x'; 10]);
    wire
}

/// A copy of `request`, to send it twice.
fn copy(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

#[test]
fn a_signature_is_accepted_once() {
    let server = Server::start(&["--config", GATEWAY_TOML, "--listen", "127.0.0.1:0"]);
    let client = client();
    let signed = bce_get("once", BCE_AK, BCE_SK);
    assert_eq!(send(&client, &server, copy(&signed)).0, 200);
    assert_eq!(
        send(&client, &server, signed),
        (
            403,
            r#"{"message":"the signature was already used"}"#.to_owned()
        )
    );
}

#[test]
fn sigterm_with_a_client_mid_request_stops_within_the_shutdown_timeout() {
    let mut server = Server::start(&[
        "--config",
        GATEWAY_TOML,
        "--listen",
        "127.0.0.1:0",
        "--shutdown-timeout",
        "1",
    ]);
    // A signed request whose body (which app mode signs) never finishes: in flight until the
    // timeout cuts it.
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stalled = std::net::TcpStream::connect(&address).expect("connect");
    use std::io::Write as _;
    stalled
        .write_all(&partial_app_request())
        .expect("send part of a request");
    std::thread::sleep(Duration::from_millis(300));
    server.signal("-TERM");
    let (status, stderr, took) = server.exit_within(Duration::from_secs(5));
    assert!(status.success(), "{status:?} {stderr}");
    assert!(
        took >= Duration::from_millis(900),
        "it waited for the request: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(stderr.contains("SIGTERM: stopping"), "{stderr}");
    assert!(stderr.contains("shutdown timeout passed"), "{stderr}");
}

#[test]
fn sigterm_without_requests_in_flight_stops_at_once() {
    let mut server = Server::start(&["--config", GATEWAY_TOML, "--listen", "127.0.0.1:0"]);
    assert_eq!(
        send(&client(), &server, bce_get("x", BCE_AK, BCE_SK)).0,
        200
    );
    server.signal("-TERM");
    let (status, stderr, took) = server.exit_within(Duration::from_secs(5));
    assert!(status.success(), "{status:?} {stderr}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(stderr.contains("every request finished"), "{stderr}");
}

#[test]
fn sighup_reloads_under_load_and_a_bad_configuration_keeps_the_old_one() {
    let dir = std::env::temp_dir().join(format!("apigw-gateway-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let config = dir.join("gateway.toml");
    let original = std::fs::read_to_string(GATEWAY_TOML).expect("the fixture");
    std::fs::write(&config, &original).expect("write the configuration");
    let config_arg = config.to_str().expect("a UTF-8 path");
    let mut server = Server::start(&["--config", config_arg, "--listen", "127.0.0.1:0"]);
    let server_ref = &server;

    let app = |key_id: &str, secret: &str, id: &str| {
        let json = [
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ];
        tencent(
            Mode::App,
            key_id,
            secret,
            request(
                "POST",
                &format!("/release/v1/items/{id}"),
                DOMAIN,
                &json,
                b"{}",
            ),
        )
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let failures = std::sync::atomic::AtomicUsize::new(0);
    let served = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        // 16 clients with a key both configurations have, throughout the reloads.
        for client_id in 0..16 {
            let (stop, failures, served) = (&stop, &failures, &served);
            scope.spawn(move || {
                let client = client();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    n += 1;
                    let id = format!("{client_id}-{n}");
                    let (status, body) = send(&client, server_ref, bce_get(&id, BCE_AK, BCE_SK));
                    served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if status != 200 {
                        eprintln!("client {client_id}: {status} {body}");
                        failures.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
        let client = client();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(send(&client, server_ref, app(KEY_ID, SECRET, "1")).0, 200);
        assert_eq!(
            send(&client, server_ref, app("AKIDnew", SECRET, "1")).0,
            403
        );

        // The key renamed: after SIGHUP the old id is refused and the new one accepted, within 1 s.
        std::fs::write(&config, original.replace(KEY_ID, "AKIDnew")).expect("rewrite");
        server_ref.signal("-HUP");
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut n = 1;
        loop {
            n += 1;
            let old = send(&client, server_ref, app(KEY_ID, SECRET, &n.to_string())).0;
            let new = send(&client, server_ref, app("AKIDnew", SECRET, &n.to_string())).0;
            if (old, new) == (403, 200) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "not reloaded within 1 s: {old} {new}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }

        // A configuration that does not load: logged, and the one in use stays.
        std::fs::write(&config, "this is not a gateway").expect("rewrite");
        server_ref.signal("-HUP");
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            send(&client, server_ref, app("AKIDnew", SECRET, "late")).0,
            200
        );
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    assert_eq!(failures.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert!(served.load(std::sync::atomic::Ordering::SeqCst) >= 16);
    let (_, stderr) = server.stop();
    assert!(
        stderr.contains("SIGHUP: configuration reloaded"),
        "{stderr}"
    );
    assert!(
        stderr.contains("configuration not reloaded, the old one stays"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn json_logs_have_one_line_per_request_and_no_secret() {
    let mut server = Server::start(&[
        "--config",
        GATEWAY_TOML,
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
    ]);
    let client = client();
    assert_eq!(
        send(&client, &server, bce_get("log", BCE_AK, BCE_SK)).0,
        200
    );
    assert_eq!(
        send(&client, &server, bce_get("log", BCE_AK, "wrong-secret")).0,
        400
    );
    let (_, stderr) = server.stop();
    let requests: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["message"] == "request")
        .collect();
    assert_eq!(requests.len(), 2, "{stderr}");
    assert_eq!(requests[0]["outcome"], "accepted");
    assert_eq!(requests[0]["service"], "bce-e2e");
    assert_eq!(requests[0]["api"], "/items/{id}");
    assert_eq!(requests[1]["outcome"], "refused");
    assert_eq!(requests[1]["code"], "SignatureMismatch");
    assert_eq!(requests[1]["key_id"], BCE_AK);
    assert!(
        !stderr.contains(BCE_SK) && !stderr.contains("wrong-secret"),
        "{stderr}"
    );
}

#[test]
fn a_413_says_connection_close_so_a_pipelining_client_knows() {
    use std::io::Write as _;
    let server = Server::start(&[
        "--config",
        GATEWAY_TOML,
        "--listen",
        "127.0.0.1:0",
        "--body-limit",
        &BODY_LIMIT.to_string(),
    ]);
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    stream.set_read_timeout(Some(REQUEST)).expect("a timeout");
    let large = "x".repeat(BODY_LIMIT + 1);
    let mut pipelined = String::new();
    for _ in 0..3 {
        pipelined.push_str(&format!(
            "POST /release/v1/items/1 HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Length: {}\r\n\r\n{large}",
            large.len()
        ));
    }
    stream.write_all(pipelined.as_bytes()).expect("send");
    // One answer, then the server closes the connection: reading ends.
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read to the end");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{answer}");
}

/// A `redis-server` on a free loopback port, killed by PID when dropped; `None` (the reason
/// printed) when there is no binary and the run does not require one
/// (`APIGW_SIGN_REQUIRE_REDIS=1`, as `.ci/run` sets it).
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Option<Redis> {
        let binary = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("redis-server"))
                .find(|path| path.is_file())
        });
        let Some(binary) = binary else {
            let required = std::env::var("APIGW_SIGN_REQUIRE_REDIS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "APIGW_SIGN_REQUIRE_REDIS=1 but no redis-server on PATH"
            );
            eprintln!("skipped: no redis-server on PATH");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let redis = Redis { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_instances_sharing_redis_refuse_each_others_replays() {
    let Some(redis) = Redis::start() else { return };
    let url = format!("redis://127.0.0.1:{}/", redis.port);
    let args = [
        "--config",
        GATEWAY_TOML,
        "--listen",
        "127.0.0.1:0",
        "--redis",
        &url,
    ];
    let (a, b) = (Server::start(&args), Server::start(&args));
    let client = client();
    let signed = bce_get("shared", BCE_AK, BCE_SK);
    assert_eq!(send(&client, &a, copy(&signed)).0, 200);
    let replayed = (
        403,
        r#"{"message":"the signature was already used"}"#.to_owned(),
    );
    assert_eq!(send(&client, &b, copy(&signed)), replayed);
    assert_eq!(send(&client, &a, signed), replayed);
}

// ---- bounded against slow and hostile clients ------------------------------------------------

/// Whether the server closed `stream` within `limit` (a read ends, or fails with a reset).
fn closed_within(mut stream: &std::net::TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).expect("a timeout");
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // a 408 before the close, say
            Err(error) => {
                return !matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    }
}

fn connect(server: &Server) -> std::net::TcpStream {
    std::net::TcpStream::connect(server.base.trim_start_matches("http://")).expect("connect")
}

#[test]
fn a_body_slower_than_the_body_timeout_gets_408() {
    use std::io::Write as _;
    let server = Server::start(&[
        "--config",
        GATEWAY_TOML,
        "--listen",
        "127.0.0.1:0",
        "--body-timeout",
        "1",
    ]);
    let mut stream = connect(&server);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    let started = Instant::now();
    stream
        .write_all(&partial_app_request())
        .expect("send part of a request");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(r#"{"message":"the request body did not arrive in time"}"#),
        "{answer}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn idle_and_slow_loris_connections_are_closed_while_signed_requests_are_served() {
    use std::io::Write as _;
    let server = Server::start(&[
        "--config",
        GATEWAY_TOML,
        "--listen",
        "127.0.0.1:0",
        "--header-timeout",
        "2",
        "--idle-timeout",
        "3",
    ]);
    // 500 connections that send nothing, 200 that send their headers a byte at a time.
    let mut idle: Vec<_> = (0..500).map(|_| connect(&server)).collect();
    let mut loris: Vec<_> = (0..200).map(|_| connect(&server)).collect();
    for stream in &mut loris {
        stream
            .write_all(b"GET /release/users HTTP/1.1\r\nHo")
            .expect("start a request");
    }
    let started = Instant::now();
    let client = client();
    let mut n = 0;
    // While they hang on, signed requests are served within 1 s each.
    while started.elapsed() < Duration::from_millis(2500) {
        n += 1;
        let sent = Instant::now();
        let (status, body) = send(
            &client,
            &server,
            bce_get(&format!("busy-{n}"), BCE_AK, BCE_SK),
        );
        assert_eq!(status, 200, "{body}");
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "{:?}",
            sent.elapsed()
        );
        for stream in loris.iter_mut().take(20) {
            let _ = stream.write_all(b"s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(n >= 10, "{n} requests");
    // Every one of them is closed by the timeouts: the header timeout (2 s) for both kinds.
    let deadline = Duration::from_secs(5);
    let open_idle = idle
        .iter_mut()
        .filter(|s| !closed_within(s, deadline))
        .count();
    let open_loris = loris
        .iter_mut()
        .filter(|s| !closed_within(s, deadline))
        .count();
    assert_eq!((open_idle, open_loris), (0, 0));
}

#[test]
fn past_max_connections_new_ones_wait_for_a_free_slot() {
    let server = Server::start(&[
        "--config",
        GATEWAY_TOML,
        "--listen",
        "127.0.0.1:0",
        "--max-connections",
        "2",
        "--header-timeout",
        "30",
        "--idle-timeout",
        "30",
    ]);
    let first = connect(&server);
    let second = connect(&server);
    std::thread::sleep(Duration::from_millis(200));
    let (sender, receiver) = mpsc::channel();
    let base = server.base.clone();
    std::thread::spawn(move || {
        let response = client()
            .get(format!("{base}/items/waiting"))
            .header("Host", BCE_DOMAIN)
            .send()
            .map(|response| response.status().as_u16());
        let _ = sender.send(response.ok());
    });
    assert!(
        receiver.recv_timeout(Duration::from_millis(700)).is_err(),
        "a third connection is not served while two are open"
    );
    drop(first);
    let status = receiver
        .recv_timeout(Duration::from_secs(3))
        .expect("served once a slot is free");
    assert_eq!(status, Some(400)); // unsigned: EmptySignature
    drop(second);
}

#[test]
fn a_connection_without_a_byte_for_the_idle_timeout_is_closed() {
    let server = Server::start(&[
        "--config",
        GATEWAY_TOML,
        "--listen",
        "127.0.0.1:0",
        "--header-timeout",
        "30",
        "--idle-timeout",
        "1",
    ]);
    let stream = connect(&server);
    let started = Instant::now();
    assert!(closed_within(&stream, Duration::from_secs(5)));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

/// The server's resident memory, in KiB (`VmRSS` in `/proc/PID/status`).
fn rss_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

#[test]
fn unauthenticated_clients_stalling_mid_body_cost_no_body_memory() {
    use std::io::Write as _;
    let server = Server::start(&["--config", GATEWAY_TOML, "--listen", "127.0.0.1:0"]);
    // Warm up: a request of each kind, so that what the first requests allocate is counted in
    // the baseline.
    let client = client();
    assert_eq!(
        send(&client, &server, bce_get("warm", BCE_AK, BCE_SK)).0,
        200
    );
    let before = rss_kib(&server);
    let almost = 1024 * 1024 - 1024; // just under the default body limit
    let chunk = vec![b'x'; 64 * 1024];
    let streams: Vec<_> = (0..200)
        .map(|i| {
            let mut stream = connect(&server);
            stream
                .set_write_timeout(Some(Duration::from_millis(200)))
                .expect("a timeout");
            let host = if i % 2 == 0 { DOMAIN } else { BCE_DOMAIN };
            let head = format!(
                "POST /release/v1/items/{i} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n",
                almost + 1
            );
            let _ = stream.write_all(head.as_bytes());
            let mut sent = 0;
            while sent < almost {
                let n = chunk.len().min(almost - sent);
                if stream.write_all(&chunk[..n]).is_err() {
                    break; // the server stopped reading: refused already
                }
                sent += n;
            }
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let after = rss_kib(&server);
    let grown_mib = after.saturating_sub(before) as f64 / 1024.0;
    eprintln!("RSS {before} KiB -> {after} KiB (+{grown_mib:.1} MiB) with 200 stalled bodies");
    assert!(grown_mib < 20.0, "RSS grew by {grown_mib:.1} MiB");
    drop(streams);
}

#[test]
fn an_app_form_post_is_read_and_verified() {
    let server = Server::start(&["--config", GATEWAY_TOML, "--listen", "127.0.0.1:0"]);
    let form = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", "application/json"),
    ];
    let signed = tencent(
        Mode::App,
        KEY_ID,
        SECRET,
        request(
            "POST",
            "/release/v1/items/5",
            DOMAIN,
            &form,
            b"name=e2e&n=1",
        ),
    );
    let tampered = {
        let mut copy = copy(&signed);
        *copy.body_mut() = b"name=e2e&n=2".to_vec();
        copy
    };
    assert_eq!(
        send(&client(), &server, signed),
        (
            200,
            echo(KEY_ID, "release", "service-e2e", "/v1/items/{id}")
        )
    );
    assert_eq!(send(&client(), &server, tampered).0, 403);
}

/// Issue 12: requests built with reqwest's own builder (`.query()`, `.json()`), signed in place
/// by the library's reqwest adapter, sent by reqwest to the program over the loopback: Tencent
/// key-pair and app mode, BCE in `X-Bce-Signature` (what a `bce-app` API takes). Each is
/// accepted, and its echo names the key and API the gateway established.
#[test]
fn requests_built_and_signed_with_reqwest_are_accepted() {
    use apigw_sign::reqwest::{sign_bce as sign_bce_reqwest, sign_tencent as sign_tencent_reqwest};

    let server = Server::start(&["--config", GATEWAY_TOML, "--listen", "127.0.0.1:0"]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST)
        .build()
        .expect("the client");
    let secret = Secret::from(SECRET);
    let bce_secret = Secret::from(BCE_SK);
    let json = serde_json::json!({"name": "reqwest", "tags": ["a b", "中文"]});
    let query = [("lang", "zh-CN"), ("q", "中文 空格")];
    // Key-pair, app (with a body and without) and BCE in `X-Bce-Signature` (a `bce-app` API).
    let tencent = |mode| Some(mode);
    let cases = [
        (
            "tencent key-pair",
            "POST",
            "/release/users",
            DOMAIN,
            tencent(Mode::KeyPair),
            echo(KEY_ID, "release", "service-e2e", "/users"),
        ),
        (
            "tencent app",
            "POST",
            "/release/v1/items/7",
            DOMAIN,
            tencent(Mode::App),
            echo(KEY_ID, "release", "service-e2e", "/v1/items/{id}"),
        ),
        (
            "tencent app, no body",
            "GET",
            "/release/v1/items/8",
            DOMAIN,
            tencent(Mode::App),
            echo(KEY_ID, "release", "service-e2e", "/v1/items/{id}"),
        ),
        (
            "bce x-bce-signature",
            "POST",
            "/items/9",
            BCE_DOMAIN,
            None,
            echo(BCE_AK, "release", "bce-e2e", "/items/{id}"),
        ),
    ];
    for (what, method, path, host, mode, expected) in cases {
        let mut builder = client
            .request(method.parse().expect("a method"), server.url(path))
            .header("Host", host)
            .query(&query);
        if method == "POST" {
            builder = builder.json(&json);
        }
        let mut request = builder.build().expect("a request");
        let now = OffsetDateTime::now_utc();
        match mode {
            Some(mode) => {
                sign_tencent_reqwest(&Signer::new(mode, KEY_ID, &secret), &mut request, now)
            }
            None => sign_bce_reqwest(
                &bce::Signer::new(BCE_AK, &bce_secret).carrier(Carrier::XBceSignature),
                &mut request,
                now,
            ),
        }
        .unwrap_or_else(|e| panic!("{what}: sign: {e}"));
        let (status, body) = runtime.block_on(async {
            let response = client.execute(request).await.expect("send");
            let status = response.status().as_u16();
            (status, response.text().await.expect("the body"))
        });
        assert_eq!((status, body), (200, expected), "{what}");
    }
}

/// Out of file descriptors, the accept loop says so in its log and retries, never stalls: with
/// a limit of 64 descriptors and 100 idle connections, the ones it cannot accept wait in the
/// listen queue; as the header timeout closes the accepted ones it accepts the rest, and a
/// signed request behind them all is answered.
#[test]
fn accept_errors_are_logged_and_retried() {
    use std::io::Write as _;
    let mut server = Server::start_with_file_limit(
        64,
        &[
            "--config",
            GATEWAY_TOML,
            "--listen",
            "127.0.0.1:0",
            "--header-timeout",
            "1",
        ],
    );
    let idle: Vec<_> = (0..100).map(|_| connect(&server)).collect();
    std::thread::sleep(Duration::from_millis(300));
    // A signed request, sent by hand so that it may wait longer than the client's timeout.
    let mut stream = connect(&server);
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("a timeout");
    let request = bce_get("after-emfile", BCE_AK, BCE_SK);
    let mut wire = format!("GET {} HTTP/1.1\r\n", request.uri());
    for (name, value) in request.headers() {
        wire.push_str(&format!("{name}: {}\r\n", value.to_str().expect("text")));
    }
    wire.push_str("Connection: close\r\n\r\n");
    let started = Instant::now();
    stream.write_all(wire.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200 "),
        "{answer:?} after {:?}",
        started.elapsed()
    );
    drop(idle);
    let (_, logs) = server.stop();
    assert!(
        logs.contains("accept failed, retrying in 100 ms"),
        "no accept error logged: {logs}"
    );
}
