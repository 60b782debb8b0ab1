//! The `http` feature: `http::Request<Vec<u8>>` values signed in place and verified, for
//! Tencent (app mode with a JSON body, so `Content-MD5` is exercised; key-pair mode) and BCE
//! (`Authorization`, `X-Bce-Signature`, a presigned URL); a tampered request fails with the
//! right error, and [`error_response`] answers it with the vendor's exact status and JSON body.
//! Also: non-UTF-8 header values never panic, a non-ASCII key id travels as raw bytes, and a
//! request whose host travels in the URI (HTTP/2's `:authority`) signs and verifies.
#![cfg(feature = "http")]

use apigw_sign::bce::{self, Carrier, Stage};
use apigw_sign::http::{
    error_response, sign_bce, sign_tencent, verify_bce, verify_tencent, HttpRequestView,
};
use apigw_sign::tencent::{self, DateHeader, Mode};
use apigw_sign::{Algorithm, Error, KeySet, Malformed, Secret, StatusProfile};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);
const TENCENT_ID: &str = "AKIDhttpfeature";
const BCE_AK: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SECRET: &str = "http-feature-secret";
const JSON: &[u8] = br#"{"name":"demo","tags":["a","b"]}"#;

fn keys() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(TENCENT_ID, SECRET);
    keys.insert(BCE_AK, SECRET);
    keys
}

fn secret() -> Secret {
    Secret::from(SECRET)
}

fn header<'r>(request: &'r http::Request<Vec<u8>>, name: &str) -> &'r str {
    let mut values = request.headers().get_all(name).iter();
    let value = values.next().unwrap_or_else(|| panic!("no {name} header"));
    assert!(values.next().is_none(), "{name} repeated");
    value.to_str().unwrap()
}

fn tencent_verifier() -> tencent::Verifier {
    tencent::Verifier::new(tencent::Policy::default())
}

fn bce_verifier() -> bce::Verifier {
    bce::Verifier::new(bce::Policy::default())
}

fn json_request() -> http::Request<Vec<u8>> {
    http::Request::post("/release/v1/users?lang=zh&q=%E4%B8%AD%E6%96%87")
        .header("Host", "service-demo-1250000000.gz.apigw.tencentcs.com")
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .header("Source", "http-feature")
        .body(JSON.to_vec())
        .unwrap()
}

fn bce_request() -> http::Request<Vec<u8>> {
    http::Request::put("/v1/bucket/object%20name?acl&x=1")
        .header("Host", "bj.bcebos.com")
        .header("Content-Type", "application/json")
        .header("Content-Length", JSON.len().to_string())
        .body(JSON.to_vec())
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Tencent

#[test]
fn tencent_app_mode_with_json_body_round_trips() {
    let secret = secret();
    let signer =
        tencent::Signer::new(Mode::App, TENCENT_ID, &secret).algorithm(Algorithm::HmacSha256);
    let mut request = json_request();
    sign_tencent(&signer, &mut request, NOW).unwrap();

    assert_eq!(header(&request, "x-date"), "Thu, 11 Mar 2021 08:29:58 GMT");
    assert_eq!(
        header(&request, "content-md5"),
        tencent::content_md5(JSON),
        "Content-MD5 is set from the body"
    );
    assert!(header(&request, "authorization").starts_with(
        r#"hmac id="AKIDhttpfeature", algorithm="hmac-sha256", headers="source x-date", signature=""#
    ));
    assert_eq!(request.body(), JSON, "the body is left as it was");

    let verified = verify_tencent(&tencent_verifier(), Mode::App, &request, &keys(), NOW).unwrap();
    assert_eq!(
        (verified.key_id(), verified.algorithm()),
        (TENCENT_ID, Algorithm::HmacSha256)
    );
}

#[test]
fn tencent_key_pair_mode_round_trips() {
    let secret = secret();
    let signer = tencent::Signer::new(Mode::KeyPair, TENCENT_ID, &secret)
        .date_header(DateHeader::Date)
        .sign_headers(&["source"]);
    let mut request = json_request();
    sign_tencent(&signer, &mut request, NOW).unwrap();
    assert_eq!(header(&request, "date"), "Thu, 11 Mar 2021 08:29:58 GMT");
    assert!(request.headers().get("content-md5").is_none());
    assert!(header(&request, "authorization").contains(r#"headers="date source""#));

    let verified =
        verify_tencent(&tencent_verifier(), Mode::KeyPair, &request, &keys(), NOW).unwrap();
    assert_eq!(
        verified,
        verify_tencent(&tencent_verifier(), Mode::KeyPair, &request, &keys(), NOW).unwrap()
    );
    assert_eq!(verified.key_id(), TENCENT_ID);
    assert_eq!(verified.algorithm(), Algorithm::HmacSha1);
    // Key-pair mode does not sign the body.
    request.body_mut().push(b'!');
    assert!(verify_tencent(&tencent_verifier(), Mode::KeyPair, &request, &keys(), NOW).is_ok());
}

#[test]
fn signing_replaces_stale_signature_headers() {
    // A repeated Content-MD5 is refused (app mode signs it); a repeated date or Authorization
    // is not read, and every one is replaced.
    let secret = secret();
    let signer = tencent::Signer::new(Mode::App, TENCENT_ID, &secret);
    let mut request = json_request();
    for (name, value) in [
        ("X-Date", "Mon, 01 Jan 2001 00:00:00 GMT"),
        ("X-Date", "Tue, 02 Jan 2001 00:00:00 GMT"),
        ("Content-MD5", "stale"),
        ("Authorization", "hmac stale"),
        ("Authorization", "hmac staler"),
    ] {
        request.headers_mut().append(name, value.parse().unwrap());
    }
    sign_tencent(&signer, &mut request, NOW).unwrap();
    // `header` asserts each appears once.
    assert_eq!(header(&request, "x-date"), "Thu, 11 Mar 2021 08:29:58 GMT");
    assert_eq!(header(&request, "content-md5"), tencent::content_md5(JSON));
    assert!(header(&request, "authorization").starts_with("hmac id="));
    assert!(verify_tencent(&tencent_verifier(), Mode::App, &request, &keys(), NOW).is_ok());
}

#[test]
fn tencent_tampered_body_is_a_mismatch_with_the_vendors_response() {
    let secret = secret();
    let mut request = json_request();
    sign_tencent(
        &tencent::Signer::new(Mode::App, TENCENT_ID, &secret),
        &mut request,
        NOW,
    )
    .unwrap();
    request.body_mut().extend_from_slice(b" ");

    let error = verify_tencent(&tencent_verifier(), Mode::App, &request, &keys(), NOW).unwrap_err();
    assert_eq!(
        error,
        Error::SignatureMismatch {
            server_string_to_sign: None
        }
    );
    let response = error_response(&error, StatusProfile::Classic, "r-1");
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.body(),
        r#"{"message":"HMAC signature does not match"}"#
    );
    let response = error_response(&error, StatusProfile::Current, "r-1");
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.body(),
        r#"{"message":"HMAC signature does not match"}"#
    );
}

#[test]
fn tencent_tampered_query_and_stale_date_fail() {
    let secret = secret();
    let mut request = json_request();
    sign_tencent(
        &tencent::Signer::new(Mode::App, TENCENT_ID, &secret),
        &mut request,
        NOW,
    )
    .unwrap();
    let later = NOW + Duration::seconds(901);
    let error =
        verify_tencent(&tencent_verifier(), Mode::App, &request, &keys(), later).unwrap_err();
    assert!(matches!(
        error,
        Error::DateOutOfWindow {
            header: "x-date",
            ..
        }
    ));

    *request.uri_mut() = "/release/v1/users?lang=en&q=%E4%B8%AD%E6%96%87"
        .parse()
        .unwrap();
    let error = verify_tencent(&tencent_verifier(), Mode::App, &request, &keys(), NOW).unwrap_err();
    assert!(matches!(error, Error::SignatureMismatch { .. }));
}

#[test]
fn tencent_unsigned_request_answers_401() {
    let error = verify_tencent(
        &tencent_verifier(),
        Mode::App,
        &json_request(),
        &keys(),
        NOW,
    )
    .unwrap_err();
    assert_eq!(error, Error::MissingAuthorization);
    let response = error_response(&error, StatusProfile::Classic, "");
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.body(),
        r#"{"message":"HMAC signature cannot be verified, a validate authorization header is required"}"#
    );
}

#[test]
fn the_view_gives_the_borrowed_verified_and_works_without_the_body() {
    let secret = secret();
    let mut request = json_request();
    sign_tencent(
        &tencent::Signer::new(Mode::App, TENCENT_ID, &secret),
        &mut request,
        NOW,
    )
    .unwrap();
    let (parts, body) = request.into_parts();
    let view = HttpRequestView::from_parts(&parts, &body);
    let verifier = tencent_verifier();
    let verified = verifier
        .verify(Mode::App, &view.request(), &keys(), NOW)
        .unwrap();
    assert_eq!(
        verified.signed_headers().collect::<Vec<_>>(),
        ["source", "x-date"]
    );
    // A streaming server trusts the Content-MD5 header instead.
    assert!(verifier
        .verify(Mode::App, &view.request().without_body(), &keys(), NOW)
        .is_ok());
}

// ---------------------------------------------------------------------------------------------
// BCE

#[test]
fn bce_in_authorization_round_trips() {
    let secret = secret();
    let mut request = bce_request();
    sign_bce(&bce::Signer::new(BCE_AK, &secret), &mut request, NOW).unwrap();
    assert_eq!(header(&request, "x-bce-date"), "2021-03-11T08:29:58Z");
    assert!(header(&request, "authorization").starts_with(
        "bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2021-03-11T08:29:58Z/1800/content-length;content-type;host;x-bce-date/"
    ));
    assert!(request.headers().get("x-bce-signature").is_none());

    let verified = verify_bce(&bce_verifier(), &request, &keys(), NOW).unwrap();
    assert_eq!(
        (verified.key_id(), verified.stage(), verified.carrier()),
        (BCE_AK, Stage::Release, Carrier::Authorization)
    );
}

#[test]
fn bce_in_x_bce_signature_with_a_stage_round_trips() {
    let secret = secret();
    let mut request = bce_request();
    let signer = bce::Signer::new(BCE_AK, &secret)
        .carrier(Carrier::XBceSignature)
        .stage(Stage::Test);
    sign_bce(&signer, &mut request, NOW).unwrap();
    assert_eq!(header(&request, "x-bce-stage"), "test");
    assert!(header(&request, "x-bce-signature").starts_with("bce-auth-v1/"));
    assert!(request.headers().get("authorization").is_none());

    let verified = verify_bce(&bce_verifier(), &request, &keys(), NOW).unwrap();
    assert_eq!(
        (verified.key_id(), verified.stage(), verified.carrier()),
        (BCE_AK, Stage::Test, Carrier::XBceSignature)
    );
}

#[test]
fn bce_presigned_url_rewrites_the_uri_and_round_trips() {
    let secret = secret();
    let mut request = http::Request::get("https://bj.bcebos.com/v1/bucket/object?x=1")
        .body(Vec::new())
        .unwrap();
    let signer = bce::Signer::new(BCE_AK, &secret).carrier(Carrier::Query);
    sign_bce(&signer, &mut request, NOW).unwrap();

    let uri = request.uri();
    assert_eq!(
        (uri.scheme_str(), uri.host(), uri.path()),
        (Some("https"), Some("bj.bcebos.com"), "/v1/bucket/object")
    );
    let query = uri.query().unwrap();
    assert!(
        query.starts_with("x=1&authorization=bce-auth-v1%2Faaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%2F2021-03-11T08%3A29%3A58Z%2F1800%2Fhost%2F"),
        "{query}"
    );
    // The host the signature covers travels with the request; a presigned URL adds no header.
    assert_eq!(header(&request, "host"), "bj.bcebos.com");
    assert_eq!(request.headers().len(), 1);

    let verified = verify_bce(&bce_verifier(), &request, &keys(), NOW).unwrap();
    assert_eq!(
        (verified.key_id(), verified.stage(), verified.carrier()),
        (BCE_AK, Stage::Release, Carrier::Query)
    );
}

#[test]
fn bce_tampered_body_type_is_a_mismatch_with_the_vendors_response() {
    let secret = secret();
    let mut request = bce_request();
    sign_bce(&bce::Signer::new(BCE_AK, &secret), &mut request, NOW).unwrap();
    request
        .headers_mut()
        .insert("content-type", "text/plain".parse().unwrap());

    let error = verify_bce(&bce_verifier(), &request, &keys(), NOW).unwrap_err();
    assert_eq!(
        error,
        Error::BceSignatureMismatch {
            server_canonical_request: None
        }
    );
    for profile in [StatusProfile::Classic, StatusProfile::Current] {
        let response = error_response(&error, profile, "r-1");
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            response.body(),
            r#"{"code":"SignatureMismatch","message":"Signature is invalid: signature is mismatched.","requestId":"r-1"}"#
        );
    }
}

#[test]
fn bce_expired_presigned_url_answers_400() {
    let secret = secret();
    let mut request = bce_request();
    sign_bce(
        &bce::Signer::new(BCE_AK, &secret).carrier(Carrier::Query),
        &mut request,
        NOW,
    )
    .unwrap();
    let error = verify_bce(
        &bce_verifier(),
        &request,
        &keys(),
        NOW + Duration::seconds(1801),
    )
    .unwrap_err();
    assert!(matches!(error, Error::BceSignatureTimestampExpired { .. }));
    assert_eq!(
        error_response(&error, StatusProfile::Classic, "r-2").body(),
        r#"{"code":"SignatureTimestampExpired","message":"Signature is invalid: timestamp is expired.","requestId":"r-2"}"#
    );
}

#[test]
fn a_host_in_the_uri_alone_verifies_as_over_http2() {
    let secret = secret();
    // Signed as an HTTP/1.1 client sends it: origin-form target, Host header.
    let mut signed = bce_request();
    sign_bce(&bce::Signer::new(BCE_AK, &secret), &mut signed, NOW).unwrap();
    // Received over HTTP/2: the host is the URI's authority, there is no Host header.
    let (mut parts, body) = signed.into_parts();
    parts.headers.remove("host");
    parts.uri = format!("https://bj.bcebos.com{}", parts.uri)
        .parse()
        .unwrap();
    let received = http::Request::from_parts(parts, body);
    let verified = verify_bce(&bce_verifier(), &received, &keys(), NOW).unwrap();
    assert_eq!(verified.key_id(), BCE_AK);
}

#[test]
fn verified_bce_hides_an_app_code_in_debug() {
    let code = "9ae2bf21c0de4a5b";
    let mut keys = KeySet::new();
    keys.insert(code, "");
    let request = http::Request::get("/v1/x")
        .header("Host", "example.com")
        .header("X-Bce-Signature", format!("AppCode/{code}"))
        .body(Vec::new())
        .unwrap();
    let mut policy = bce::Policy::default();
    policy.carriers = bce::Carriers::SIGNATURES.with(Carrier::AppCode);
    let verified: bce::Verified<'static> =
        verify_bce(&bce::Verifier::new(policy), &request, &keys, NOW).unwrap();
    assert_eq!(
        (verified.key_id(), verified.carrier()),
        (code, Carrier::AppCode)
    );
    assert!(!format!("{verified:?}").contains(code));
}

// ---------------------------------------------------------------------------------------------
// Bytes http refuses, and bytes that are not UTF-8

#[test]
fn a_non_ascii_key_id_travels_as_raw_bytes_and_round_trips() {
    // http accepts bytes 0x80..=0xFF in a value (obs-text); the signers already refuse the
    // control characters it does not, so signing never meets a value http refuses.
    let secret = secret();
    let mut keys = KeySet::new();
    keys.insert("AKID\u{e9}", SECRET);

    let mut request = json_request();
    let signer = tencent::Signer::new(Mode::App, "AKID\u{e9}", &secret);
    sign_tencent(&signer, &mut request, NOW).unwrap();
    let authorization = request.headers()["authorization"].as_bytes();
    assert!(authorization.starts_with("hmac id=\"AKID\u{e9}\"".as_bytes()));
    let verified = verify_tencent(&tencent_verifier(), Mode::App, &request, &keys, NOW).unwrap();
    assert_eq!(verified.key_id(), "AKID\u{e9}");

    let mut request = bce_request();
    let signer = bce::Signer::new("AK\u{e9}", &secret).carrier(Carrier::XBceSignature);
    sign_bce(&signer, &mut request, NOW).unwrap();
    keys.insert("AK\u{e9}", SECRET);
    let verified = verify_bce(&bce_verifier(), &request, &keys, NOW).unwrap();
    assert_eq!(verified.key_id(), "AK\u{e9}");
}

#[test]
fn non_utf8_header_values_do_not_panic() {
    let secret = secret();
    let raw = http::HeaderValue::from_bytes(b"caf\xe9 \xff\xfe").unwrap();

    // Tencent: a non-UTF-8 value beside the signed headers, and as a signed header.
    for extra in [&[][..], &["x-raw"][..]] {
        let mut request = json_request();
        request.headers_mut().insert("x-raw", raw.clone());
        let signer = tencent::Signer::new(Mode::App, TENCENT_ID, &secret).sign_headers(extra);
        sign_tencent(&signer, &mut request, NOW).unwrap();
        let verified: tencent::Verified<'static> =
            verify_tencent(&tencent_verifier(), Mode::App, &request, &keys(), NOW).unwrap();
        assert_eq!(verified.key_id(), TENCENT_ID);
        request.headers_mut().insert(
            "authorization",
            http::HeaderValue::from_bytes(b"hmac \xff").unwrap(),
        );
        let error =
            verify_tencent(&tencent_verifier(), Mode::App, &request, &keys(), NOW).unwrap_err();
        assert_eq!(
            error,
            Error::MalformedAuthorization {
                reason: Malformed::NotText
            }
        );
        assert_eq!(
            error_response(&error, StatusProfile::Classic, "").body(),
            r#"{"message":"authorization headers is invalidate"}"#
        );
    }

    // BCE signs every x-bce-* header, so this one is signed.
    let mut request = bce_request();
    request.headers_mut().insert("x-bce-meta-raw", raw.clone());
    sign_bce(&bce::Signer::new(BCE_AK, &secret), &mut request, NOW).unwrap();
    assert!(header(&request, "authorization").contains("x-bce-meta-raw"));
    verify_bce(&bce_verifier(), &request, &keys(), NOW).unwrap();
    request.headers_mut().insert("x-bce-signature", raw);
    let error = verify_bce(&bce_verifier(), &request, &keys(), NOW).unwrap_err();
    assert!(
        matches!(error, Error::BceSignatureFormatInvalid { .. }),
        "{error:?}"
    );
}

/// Signing in place works whatever buffered body the request holds: `Vec<u8>`, `String`,
/// `Bytes`, `Full<Bytes>` (Tencent app mode, whose signature covers the body's MD5), and the
/// header names are `http::HeaderName` constants.
#[test]
fn every_buffered_body_type_signs_in_place() {
    fn round_trip<B: apigw_sign::http::BodyBytes>(body: B, what: &str) {
        let secret = secret();
        let mut request =
            http::Request::post("https://service-demo.gz.apigw.tencentcs.com/release/v1")
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body)
                .unwrap();
        sign_tencent(
            &tencent::Signer::new(Mode::App, TENCENT_ID, &secret),
            &mut request,
            NOW,
        )
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            request.headers()[apigw_sign::http::CONTENT_MD5],
            tencent::content_md5(JSON),
            "{what}"
        );
        assert!(
            request.headers().contains_key(apigw_sign::http::X_DATE),
            "{what}"
        );
        assert!(
            request
                .headers()
                .contains_key(apigw_sign::http::AUTHORIZATION),
            "{what}"
        );
        let verifier = tencent::Verifier::default();
        verify_tencent(&verifier, Mode::App, &request, &keys(), NOW)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    let text = core::str::from_utf8(JSON).unwrap();
    round_trip(JSON.to_vec(), "Vec<u8>");
    round_trip(text.to_owned(), "String");
    round_trip(bytes::Bytes::from_static(JSON), "Bytes");
    round_trip(
        http_body_util::Full::new(bytes::Bytes::from_static(JSON)),
        "Full<Bytes>",
    );

    // An empty `Full` and `()` are empty bodies.
    let secret = secret();
    let mut request = http::Request::get("https://example.com/v1")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    sign_tencent(
        &tencent::Signer::new(Mode::App, TENCENT_ID, &secret),
        &mut request,
        NOW,
    )
    .unwrap();
    assert!(!request
        .headers()
        .contains_key(apigw_sign::http::CONTENT_MD5));
    let mut unit = http::Request::get("https://example.com/v1")
        .body(())
        .unwrap();
    sign_tencent(
        &tencent::Signer::new(Mode::App, TENCENT_ID, &secret),
        &mut unit,
        NOW,
    )
    .unwrap();
    verify_tencent(
        &tencent::Verifier::default(),
        Mode::App,
        &unit,
        &keys(),
        NOW,
    )
    .unwrap();
    assert_eq!(
        apigw_sign::http::X_BCE_SIGNATURE.as_str(),
        apigw_sign::headers::X_BCE_SIGNATURE
    );
}
