//! Tencent HMAC test vectors, read from `tests/vectors/tencent/<name>/` and checked stage by
//! stage, each stage failing with its own message:
//!
//! - (a) string to sign: [`Signer::explain`] equals `string-to-sign.txt`;
//! - (b) signature: HMAC of `string-to-sign.txt`, computed here with the `hmac`, `sha1` and
//!   `sha2` crates directly, equals `signature.txt`;
//! - (c) authorization: [`Signer::sign`] gives `authorization.txt` (and the date and
//!   `Content-MD5` headers of `context.json`);
//! - (d) verification: the request with the signature's headers verifies at the signing time,
//!   the verifier rebuilds the same string to sign, and 901 s either way it fails with
//!   [`Error::DateOutOfWindow`].
//!
//! Where each vector comes from is in `tests/vectors/tencent/README.md`; the derived ones are
//! computed by `derive.py` there with Python's standard library, never with this crate.

mod common;

use apigw_sign::tencent::{
    DateHeader, EnvironmentPrefix, Mode, PathForm, PathForms, Policy, Signer, Verifier,
};
use apigw_sign::{Algorithm, AlgorithmSet, Error, KeySet, Secret};
use base64::Engine as _;
use common::vectors::{vector_tests, Vector};
use hmac::{Hmac, KeyInit, Mac};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const SCHEME: &str = "tencent";

/// The stage files of a vector.
const FILES: &[&str] = &["string-to-sign.txt", "signature.txt", "authorization.txt"];

fn load(name: &str) -> Vector {
    Vector::load(SCHEME, name, FILES)
}

/// What a Tencent vector holds.
impl Vector {
    fn mode(&self) -> Mode {
        self.parse("mode", |s| match s {
            "app" => Some(Mode::App),
            "key-pair" => Some(Mode::KeyPair),
            _ => None,
        })
    }

    fn algorithm(&self) -> Algorithm {
        self.parse("algorithm", |s| s.parse().ok())
    }

    fn date_header(&self) -> DateHeader {
        self.parse("date_header", |s| match s {
            "X-Date" => Some(DateHeader::XDate),
            "Date" => Some(DateHeader::Date),
            _ => None,
        })
    }

    fn environment_prefix(&self) -> EnvironmentPrefix {
        self.parse("environment_prefix", |s| match s {
            "strip" => Some(EnvironmentPrefix::Strip),
            "keep" => Some(EnvironmentPrefix::Keep),
            _ => None,
        })
    }

    fn path_form(&self) -> PathForm {
        self.parse("path_form", |s| match s {
            "decoded" => Some(PathForm::Decoded),
            "as-sent" => Some(PathForm::AsSent),
            _ => None,
        })
    }

    fn signing_time(&self) -> OffsetDateTime {
        self.parse("signing_time", |s| OffsetDateTime::parse(s, &Rfc3339).ok())
    }
}

/// HMAC of `message` with the algorithm named `algorithm`, base64: computed with the RustCrypto
/// crates directly, not through `apigw_sign`.
fn reference_hmac(algorithm: Algorithm, key: &[u8], message: &[u8]) -> String {
    fn mac<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    let tag = match algorithm {
        Algorithm::HmacSha1 => mac::<Hmac<sha1::Sha1>>(key, message),
        Algorithm::HmacSha256 => mac::<Hmac<sha2::Sha256>>(key, message),
        Algorithm::HmacSha384 => mac::<Hmac<sha2::Sha384>>(key, message),
        Algorithm::HmacSha512 => mac::<Hmac<sha2::Sha512>>(key, message),
        Algorithm::HmacSm3 => mac::<Hmac<sm3::Sm3>>(key, message),
        other => panic!("no reference HMAC for {other}"),
    };
    base64::engine::general_purpose::STANDARD.encode(tag)
}

fn run(name: &str) {
    let v = load(name);
    let string_to_sign = v.bytes("string-to-sign.txt");
    let signature_txt = v.text("signature.txt");
    let authorization = v.text("authorization.txt");
    let secret = Secret::from(v.str("secret"));
    let now = v.signing_time();
    let mode = v.mode();
    let algorithm = v.algorithm();
    let headers = v.request.view();
    let request = v.request.request(&headers);
    let extra = v.strings("sign_headers");
    let mut signer = Signer::new(mode, v.str("key_id"), &secret)
        .algorithm(algorithm)
        .date_header(v.date_header())
        .environment_prefix(v.environment_prefix())
        .path_form(v.path_form());
    if let Some(extra) = &extra {
        signer = signer.sign_headers(extra);
    }

    // (a) The string to sign.
    let stage = v.stage("(a) string to sign");
    let explained = signer
        .explain(&request, now)
        .unwrap_or_else(|e| panic!("{stage}: explain failed: {e}"));
    assert_eq!(
        explained,
        String::from_utf8_lossy(string_to_sign),
        "{stage}: Signer::explain differs from string-to-sign.txt"
    );

    // (b) The signature of the file's string to sign, with the hash crates directly.
    let stage = v.stage("(b) signature");
    assert_eq!(
        reference_hmac(algorithm, v.str("secret").as_bytes(), string_to_sign),
        signature_txt,
        "{stage}: HMAC of string-to-sign.txt differs from signature.txt"
    );

    // (c) The Authorization header (and the other headers the signer asks for).
    let stage = v.stage("(c) authorization");
    let signature = signer
        .sign(&request, now)
        .unwrap_or_else(|e| panic!("{stage}: sign failed: {e}"));
    assert_eq!(
        signature.authorization(),
        authorization,
        "{stage}: Signer::sign differs from authorization.txt"
    );
    assert!(
        authorization.ends_with(&format!("signature=\"{}\"", signature_txt)),
        "{stage}: authorization.txt does not carry signature.txt"
    );
    assert_eq!(
        signature.date(),
        (v.str("date_header"), v.str("date")),
        "{stage}: the date header to set"
    );
    if mode == Mode::App {
        assert_eq!(
            signature.content_md5(),
            v.context["content_md5"].as_str(),
            "{stage}: the Content-MD5 header to set"
        );
    }

    // (d) Verification of the request as sent: its headers, with the signature's applied.
    let stage = v.stage("(d) verification");
    let wire = v.request.clone().set_all(signature.headers());
    let wire_headers = wire.view();
    let sent = wire.request(&wire_headers);
    let mut keys = KeySet::new();
    keys.insert(v.str("key_id"), v.str("secret"));
    // The vector's path form only (what the verifier explains), every algorithm allowed.
    let mut policy =
        Policy::default()
            .algorithms(AlgorithmSet::ALL)
            .path_forms(match v.path_form() {
                PathForm::AsSent => PathForms::AsSent,
                _ => PathForms::Decoded,
            });
    if algorithm == Algorithm::HmacSm3 {
        let refused = Verifier::default().verify(mode, &sent, &keys, now);
        assert_eq!(
            refused.map(|_| ()).map_err(|e| e.to_string()),
            Err("HMAC algorithm hmac-sm3 not supported".to_owned()),
            "{stage}: the default allow-list leaves hmac-sm3 out"
        );
    }
    let either = Verifier::new(policy.clone().path_forms(PathForms::Either));
    if let Err(e) = either.verify(mode, &sent, &keys, now) {
        panic!("{stage}: rejected when either path form is accepted: {e}");
    }
    policy = policy.environment_prefix(v.environment_prefix());
    let verifier = Verifier::new(policy);
    let verified = verifier
        .verify(mode, &sent, &keys, now)
        .unwrap_or_else(|e| panic!("{stage}: rejected: {e}"));
    assert_eq!(
        (verified.key_id(), verified.algorithm()),
        (v.str("key_id"), algorithm),
        "{stage}: verified key and algorithm"
    );
    let listed = authorization
        .split("headers=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("authorization.txt lists headers");
    assert_eq!(
        verified.signed_headers().collect::<Vec<_>>().join(" "),
        listed,
        "{stage}: signed headers"
    );
    assert_eq!(
        verifier.explain(mode, &sent).map(String::into_bytes),
        Ok(string_to_sign.to_vec()),
        "{stage}: the verifier's string to sign differs from string-to-sign.txt"
    );
    let date_name = v.date_header().lower();
    for (offset, expect_ok) in [(900, true), (-900, true), (901, false), (-901, false)] {
        let at = now + Duration::seconds(offset);
        match verifier.verify(mode, &sent, &keys, at) {
            Ok(_) if expect_ok => {}
            Err(Error::DateOutOfWindow {
                header,
                date,
                now: seen,
            }) if !expect_ok && header == date_name && date == now && seen == at => {}
            other => panic!(
                "{stage} at {offset:+} s: expected {}, got {other:?}",
                if expect_ok { "Ok" } else { "DateOutOfWindow" }
            ),
        }
    }

    // (d) The request with authorization.txt itself (the independent value) verifies too.
    let from_file = wire.clone().set("Authorization", authorization);
    if let Err(e) =
        from_file.with_request(|sent| verifier.verify(mode, sent, &keys, now).map(|_| ()))
    {
        panic!("{stage}: authorization.txt rejected: {e}");
    }
}

vector_tests! {
    scheme: SCHEME,
    skip: &[],
    run: run,
    app_post_form_published => "app-post-form-published",
    app_get_x_date_only_published => "app-get-x-date-only-published",
    key_pair_date_source_published => "key-pair-date-source-published",
    app_json_body => "app-json-body",
    app_unicode_query_env_prefix => "app-unicode-query-env-prefix",
    hmac_sha256_app_form_and_query => "hmac-sha256-app-form-and-query",
    hmac_sha384_key_pair => "hmac-sha384-key-pair",
    hmac_sha512_app_put_json => "hmac-sha512-app-put-json",
    hmac_sm3_app_post_json => "hmac-sm3-app-post-json",
    hmac_sm3_key_pair => "hmac-sm3-key-pair",
    app_path_as_sent => "app-path-as-sent",
}

/// The published values, pinned here as well as in the files, so that regenerating the files
/// cannot move them.
#[test]
fn published_values_are_the_documented_ones() {
    for (name, expected) in [
        ("app-post-form-published", "jLN0+Qva7WIzoEvvT1A5/+naheA="),
        (
            "app-get-x-date-only-published",
            "CdxTmHbhMLM8WAcM82NvhmQIN7c=",
        ),
        (
            "key-pair-date-source-published",
            "aSqvktrLNYBwKDeMS43788rJ4rU=",
        ),
    ] {
        assert_eq!(load(name).text("signature.txt"), expected, "vector {name}");
    }
    let json = load("app-json-body");
    assert_eq!(
        json.context["content_md5"],
        "MzNiMjk0MTJjZWIzMWQ5NmE1OGRiZDYyOWMwNWQ0ZGE="
    );
    assert_eq!(
        load("app-post-form-published").bytes("string-to-sign.txt"),
        b"source: apigw test\nx-date: Thu, 11 Mar 2021 08:29:58 GMT\nPOST\napplication/json\n\
          application/x-www-form-urlencoded\n\n/?p=test"
    );
}
