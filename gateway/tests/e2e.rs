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
}

impl Server {
    /// Starts the program with `args` and waits for its `listening on …` line.
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(gateway())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn apigw-gateway");
        let stdout = child.stdout.take().expect("stdout");
        // From here on the guard kills the child whatever happens.
        let mut server = Server {
            child,
            base: String::new(),
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
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut stderr).expect("read stderr");
        }
        (status, stderr)
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
    let chunked = client
        .post(server.url("/release/v1/items/42"))
        .header("Host", DOMAIN)
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(
            vec![b'x'; BODY_LIMIT * 4],
        )))
        .send()
        .expect("send the chunked request");
    assert_eq!(read(chunked), (413, too_large));
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
