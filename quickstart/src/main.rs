//! The README's first command: for each vendor, sign a demo request with a built-in demo key,
//! show the signed request and its string to sign (Tencent) or canonical request (BCE), verify
//! it, then show one rejection.
//!
//! ```text
//! cargo run -p apigw-quickstart
//! ```

use apigw_sign::bce::{self, Carrier};
use apigw_sign::tencent::{Mode, Parts, Policy, Signer, Verifier};
use apigw_sign::{Header, KeySet, Request, Secret, StatusProfile};
use time::{Duration, OffsetDateTime};

/// A demo key. Never use it for anything real.
const DEMO_KEY_ID: &str = "AKIDquickstartdemo";
const DEMO_SECRET: &str = "quickstart-demo-secret-do-not-use";

/// A demo BCE access key. Never use it for anything real.
const DEMO_BCE_AK: &str = "quickstartdemoaccesskey000000000";
const DEMO_BCE_SK: &str = "quickstartdemosecretkeydonotuse0";

fn main() -> Result<(), apigw_sign::Error> {
    let now = OffsetDateTime::now_utc();
    tencent(now)?;
    baidu(now)
}

/// Tencent Cloud API Gateway, app mode.
fn tencent(now: OffsetDateTime) -> Result<(), apigw_sign::Error> {
    let secret = Secret::from(DEMO_SECRET);

    // 1. The client signs raw parts: the query values are signed as they are (Chinese text and
    //    a space included) and percent-encoded for the wire only afterwards.
    let headers = [
        Header::new("Host", "service-demo-1250000000.gz.apigw.tencentcs.com"),
        Header::new("Accept", "application/json"),
        Header::new("Source", "quickstart"),
    ];
    let query = [
        ("fields", "name,email"),
        ("lang", "zh-CN"),
        ("q", "中文 空格"),
        ("version", "2"),
    ];
    let parts = Parts::new("GET", "/release/v1/users/profile")
        .query(&query)
        .headers(&headers);
    let signer = Signer::new(Mode::App, DEMO_KEY_ID, &secret);
    let signed = signer.sign_parts(&parts, now)?;

    let mut wire_headers = headers.to_vec();
    wire_headers.extend(
        signed
            .signature
            .headers()
            .map(|(name, value)| Header::new(name, value)),
    );
    let request = Request::new("GET", &signed.target, &wire_headers, b"");

    println!("== Tencent API Gateway, app mode, hmac-sha1 ==\n");
    println!("-- signed request --");
    println!("GET {} HTTP/1.1", signed.target);
    for header in &wire_headers {
        println!("{}: {}", header.name, String::from_utf8_lossy(header.value));
    }
    println!("\n-- string to sign --");
    println!(
        "{}",
        signer.explain(&Request::new("GET", &signed.target, &headers, b""), now)?
    );

    // 2. The server verifies with its key set, its policy and its clock.
    let mut keys = KeySet::new();
    keys.insert(DEMO_KEY_ID, DEMO_SECRET);
    let verifier = Verifier::new(Policy::default());
    let verified = verifier.verify(Mode::App, &request, &keys, now)?;
    println!("\n-- verified --");
    println!(
        "key id {} with {}, signed headers: {}",
        verified.key_id(),
        verified.algorithm(),
        verified.signed_headers().collect::<Vec<_>>().join(" ")
    );

    // 3. One rejection: a tampered query value.
    let tampered_target = signed.target.replace("version=2", "version=3");
    let tampered = Request::new("GET", &tampered_target, &wire_headers, b"");
    let err = match verifier.verify(Mode::App, &tampered, &keys, now) {
        Ok(_) => unreachable!("a tampered request must not verify"),
        Err(err) => err,
    };
    println!("\n-- rejected: GET {tampered_target} --");
    println!(
        "status {} ({:?} profile), code {}, body {}",
        err.status(StatusProfile::Classic),
        StatusProfile::Classic,
        err.code(),
        err.json_body()
    );
    Ok(())
}

/// Baidu AI Cloud API Gateway, APP authentication: `bce-auth-v1` in `X-Bce-Signature`.
fn baidu(now: OffsetDateTime) -> Result<(), apigw_sign::Error> {
    // 1. The client signs the request as it travels (path and query percent-encoded). The
    //    signer signs host, content-*, every x-bce-* header, and adds x-bce-date.
    let secret = Secret::from(DEMO_BCE_SK);
    let target = "/v1/orders/%E8%AE%A2%E5%8D%95?status=paid&limit=10"; // 订单
    let body = br#"{"note":"quickstart"}"#;
    let length = body.len().to_string();
    let headers = [
        Header::new("Host", "quickstart.apigw.bj.baidubce.com"),
        Header::new("Content-Type", "application/json"),
        Header::new("Content-Length", &length),
    ];
    let request = Request::new("POST", target, &headers, body);
    let signer = bce::Signer::new(DEMO_BCE_AK, &secret).carrier(Carrier::XBceSignature);
    let signature = signer.sign(&request, now)?;

    let mut wire_headers = headers.to_vec();
    wire_headers.extend(
        signature
            .headers()
            .map(|(name, value)| Header::new(name, value)),
    );
    let signed = Request::new("POST", target, &wire_headers, body);

    println!("\n== Baidu AI Cloud API Gateway, APP authentication, bce-auth-v1 ==\n");
    println!("-- signed request --");
    println!("POST {target} HTTP/1.1");
    for header in &wire_headers {
        println!("{}: {}", header.name, String::from_utf8_lossy(header.value));
    }
    println!("\n{}", String::from_utf8_lossy(body));
    println!("\n-- canonical request --");
    println!("{}", signer.explain(&request, now)?);

    // 2. The server verifies with its key set, its policy and its clock.
    let mut keys = KeySet::new();
    keys.insert(DEMO_BCE_AK, DEMO_BCE_SK);
    let verifier = bce::Verifier::new(bce::Policy::default());
    let verified = verifier.verify(&signed, &keys, now)?;
    println!("\n-- verified --");
    println!(
        "access key {} for stage {}",
        verified.key_id(),
        verified.stage()
    );

    // 3. One rejection: the same request an hour later, past its 1800-second expiration.
    let later = now + Duration::hours(1);
    let err = match verifier.verify(&signed, &keys, later) {
        Ok(_) => unreachable!("an expired request must not verify"),
        Err(err) => err,
    };
    println!("\n-- rejected: the same request one hour later --");
    println!(
        "status {}, code {}, body {}",
        err.status(StatusProfile::Classic),
        err.code(),
        err.json_body_with_request_id("demo-request-id")
    );
    Ok(())
}
