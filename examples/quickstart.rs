//! The README's first command: sign a demo request with a built-in demo key, show the signed
//! request and its string to sign, verify it, then show one rejection.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use apigw_sign::tencent::{Mode, Parts, Policy, Signer, Verifier};
use apigw_sign::{Header, KeySet, Request, Secret, StatusProfile};
use time::OffsetDateTime;

/// A demo key. Never use it for anything real.
const DEMO_KEY_ID: &str = "AKIDquickstartdemo";
const DEMO_SECRET: &str = "quickstart-demo-secret-do-not-use";

fn main() -> Result<(), apigw_sign::Error> {
    let now = OffsetDateTime::now_utc();
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
