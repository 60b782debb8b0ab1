//! What Tencent's own demos send, built from their descriptions and signed here with the `hmac`
//! and `sha1` crates directly (never through the crate's signer): the Java form demo's empty
//! `Content-MD5:`, and paths signed exactly as sent (Python, JavaScript, Java, PHP) or decoded
//! (Go, and this crate's signer).

use apigw_sign::tencent::{Mode, PathForm, PathForms, Policy, Signer, Verifier};
use apigw_sign::{Error, Header, KeySet, Request, Secret};
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use time::macros::datetime;
use time::OffsetDateTime;

const KEY_ID: &str = "AKIDdemo";
const SECRET: &str = "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv";
const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);
const X_DATE: &str = "Thu, 11 Mar 2021 08:29:58 GMT";

/// A demo's HMAC-SHA1 of `string_to_sign`, base64.
fn demo_signature(string_to_sign: &str) -> String {
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn authorization(headers: &str, signature: &str) -> String {
    format!(
        r#"hmac id="{KEY_ID}", algorithm="hmac-sha1", headers="{headers}", signature="{signature}""#
    )
}

fn keys() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    keys
}

fn verify(
    policy: Policy,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), Error> {
    let method = if body.is_empty() { "GET" } else { "POST" };
    let headers: Vec<Header<'_>> = headers.iter().map(|(n, v)| Header::new(n, v)).collect();
    let request = Request::new(method, target, &headers, body);
    Verifier::new(policy)
        .verify(Mode::App, &request, &keys(), NOW)
        .map(|_| ())
}

/// Tencent's Java app-auth form demo: `Content-MD5:` present and empty, form body. Its string to
/// sign (and signature) is the spec's published form example.
#[test]
fn a_java_form_request_with_an_empty_content_md5_verifies() {
    let string_to_sign = format!(
        "source: apigw test\nx-date: {X_DATE}\nPOST\napplication/json\n\
         application/x-www-form-urlencoded\n\n/?p=test"
    );
    let signature = demo_signature(&string_to_sign);
    assert_eq!(
        signature, "jLN0+Qva7WIzoEvvT1A5/+naheA=",
        "the published value"
    );
    let auth = authorization("source x-date", &signature);
    for empty in ["", " ", "\t"] {
        let headers = [
            ("Accept", "application/json"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-MD5", empty),
            ("Source", "apigw test"),
            ("X-Date", X_DATE),
            ("Authorization", auth.as_str()),
        ];
        verify(Policy::default(), "/", &headers, b"p=test")
            .unwrap_or_else(|e| panic!("Content-MD5 {empty:?}: {e}"));
    }
    // A Content-MD5 that is not empty must still be the body's.
    let headers = [
        ("Accept", "application/json"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-MD5", "bm90IHRoZSBib2R5"),
        ("Source", "apigw test"),
        ("X-Date", X_DATE),
        ("Authorization", auth.as_str()),
    ];
    assert!(matches!(
        verify(Policy::default(), "/", &headers, b"p=test"),
        Err(Error::SignatureMismatch { .. })
    ));
}

/// The string a demo signs for `GET target` (only `x-date` signed, `Accept: */*`) with the
/// path as it signs it.
fn path_string(signed_path: &str, query: &str) -> String {
    format!("x-date: {X_DATE}\nGET\n*/*\n\n\n{signed_path}{query}")
}

fn get(policy: Policy, target: &str, signature: &str) -> Result<(), Error> {
    let auth = authorization("x-date", signature);
    let headers = [
        ("Accept", "*/*"),
        ("X-Date", X_DATE),
        ("Authorization", auth.as_str()),
    ];
    verify(policy, target, &headers, b"")
}

const WIRE_PATH: &str = "/files/%E4%B8%AD%E6%96%87/a%20b";
const DECODED_PATH: &str = "/files/中文/a b";
const QUERY: &str = "?q=%E4%B8%AD";

#[test]
fn a_unicode_path_with_a_space_verifies_signed_as_sent_or_decoded() {
    let target = format!("{WIRE_PATH}{QUERY}");
    let as_sent = demo_signature(&path_string(WIRE_PATH, "?q=中"));
    let decoded = demo_signature(&path_string(DECODED_PATH, "?q=中"));
    assert_ne!(as_sent, decoded);

    // Either form, by default.
    get(Policy::default(), &target, &as_sent).expect("as sent (Python, JS, Java, PHP)");
    get(Policy::default(), &target, &decoded).expect("decoded (Go)");

    // A tampered path is refused either way.
    let tampered = format!("/files/%E4%B8%AD%E6%96%87/a%20c{QUERY}");
    for signature in [&as_sent, &decoded] {
        assert!(matches!(
            get(Policy::default(), &tampered, signature),
            Err(Error::SignatureMismatch { .. })
        ));
    }

    // A policy requiring one form refuses the other.
    let only = |forms| Policy::default().path_forms(forms);
    get(only(PathForms::AsSent), &target, &as_sent).expect("as sent, required");
    get(only(PathForms::Decoded), &target, &decoded).expect("decoded, required");
    assert!(matches!(
        get(only(PathForms::AsSent), &target, &decoded),
        Err(Error::SignatureMismatch { .. })
    ));
    assert!(matches!(
        get(only(PathForms::Decoded), &target, &as_sent),
        Err(Error::SignatureMismatch { .. })
    ));
}

/// The crate's signer signs decoded by default and as sent on request; both verify.
#[test]
fn the_signer_signs_either_form() {
    let target = format!("{WIRE_PATH}{QUERY}");
    let secret = Secret::from(SECRET);
    let base = [Header::new("Accept", "*/*")];
    let request = Request::new("GET", &target, &base, b"");
    for (form, path) in [
        (PathForm::Decoded, DECODED_PATH),
        (PathForm::AsSent, WIRE_PATH),
    ] {
        let signer = Signer::new(Mode::App, KEY_ID, &secret).path_form(form);
        assert_eq!(
            signer.explain(&request, NOW).unwrap(),
            path_string(path, "?q=中"),
            "{form:?}"
        );
        let signature = signer.sign(&request, NOW).unwrap();
        assert_eq!(
            signature.authorization(),
            authorization("x-date", &demo_signature(&path_string(path, "?q=中"))),
            "{form:?}"
        );
        let signed: Vec<(&str, &str)> = [("Accept", "*/*")]
            .into_iter()
            .chain(signature.headers())
            .collect();
        verify(Policy::default(), &target, &signed, b"")
            .unwrap_or_else(|e| panic!("{form:?}: {e}"));
    }
}

/// `/a%252Fb` decoded is `/a%2Fb`, which is also `/a%2Fb` as sent: one string, two paths.
/// Accepting either form (the default) accepts the signature on both, as documented; requiring
/// one form refuses it on the other path.
#[test]
fn requiring_one_path_form_removes_the_two_path_ambiguity() {
    let signature = demo_signature(&path_string("/a%2Fb", ""));
    get(Policy::default(), "/a%2Fb", &signature).expect("as sent");
    get(Policy::default(), "/a%252Fb", &signature).expect("decoded: the documented ambiguity");
    let only = |forms| Policy::default().path_forms(forms);
    get(only(PathForms::AsSent), "/a%2Fb", &signature).expect("as sent, required");
    assert!(matches!(
        get(only(PathForms::AsSent), "/a%252Fb", &signature),
        Err(Error::SignatureMismatch { .. })
    ));
    get(only(PathForms::Decoded), "/a%252Fb", &signature).expect("decoded, required");
    assert!(matches!(
        get(only(PathForms::Decoded), "/a%2Fb", &signature),
        Err(Error::SignatureMismatch { .. })
    ));
}

/// Signing outputs (Tencent's and BCE's) show their headers in `Debug`, but not the signature.
#[test]
fn signing_outputs_redact_their_signature_in_debug() {
    let secret = Secret::from(SECRET);
    let request = Request::new("GET", "/v1?id=7", &[], b"");
    let signature = Signer::new(Mode::App, KEY_ID, &secret)
        .sign(&request, NOW)
        .unwrap();
    let mac = signature
        .authorization()
        .rsplit_once("signature=\"")
        .unwrap()
        .1
        .trim_end_matches('"');
    let shown = format!("{signature:?}");
    assert!(!shown.contains(mac), "{shown}");
    assert!(
        shown.contains(r#"hmac id=\"AKIDdemo\""#) && shown.contains("<redacted>"),
        "{shown}"
    );

    let host = [Header::new("Host", "bj.bcebos.com")];
    let bce_request = Request::new("GET", "/v1?id=7", &host, b"");
    for carrier in [
        apigw_sign::bce::Carrier::Authorization,
        apigw_sign::bce::Carrier::Query,
    ] {
        let signature = apigw_sign::bce::Signer::new("ak", &secret)
            .carrier(carrier)
            .sign(&bce_request, NOW)
            .unwrap();
        let mac = signature.auth_string().rsplit_once('/').unwrap().1;
        let shown = format!("{signature:?}");
        assert!(!shown.contains(mac), "{shown}");
        assert!(shown.contains("bce-auth-v1/ak/"), "{shown}");
    }
}
