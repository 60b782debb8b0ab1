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

use std::path::{Path, PathBuf};

use apigw_sign::tencent::{DateHeader, EnvironmentPrefix, Mode, Signer, Verifier};
use apigw_sign::{Algorithm, Error, Header, KeySet, Request, Secret};
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// One vector directory, loaded.
struct Vector {
    name: String,
    request: RawRequest,
    context: Value,
    string_to_sign: Vec<u8>,
    signature: String,
    authorization: String,
}

/// `request.http`, parsed with `httparse`; the body is exactly `Content-Length` bytes.
struct RawRequest {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/tencent")
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(file).display()))
}

fn text(dir: &Path, file: &str) -> String {
    String::from_utf8(read(dir, file))
        .unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", dir.join(file).display()))
}

fn parse_request(name: &str, raw: &[u8]) -> RawRequest {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Request::new(&mut headers);
    let offset = match parsed.parse(raw) {
        Ok(httparse::Status::Complete(offset)) => offset,
        other => panic!("vector {name}: request.http does not parse: {other:?}"),
    };
    let headers: Vec<(String, Vec<u8>)> = parsed
        .headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect();
    let content_length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| {
            std::str::from_utf8(v)
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("vector {name}: bad Content-Length"))
        });
    let body = &raw[offset..];
    assert_eq!(
        body.len(),
        content_length,
        "vector {name}: request.http body is not exactly Content-Length bytes"
    );
    RawRequest {
        method: parsed.method.expect("method").to_owned(),
        target: parsed.path.expect("target").to_owned(),
        headers,
        body: body.to_vec(),
    }
}

fn load(name: &str) -> Vector {
    let dir = vectors_dir().join(name);
    let context: Value = serde_json::from_slice(&read(&dir, "context.json"))
        .unwrap_or_else(|e| panic!("vector {name}: context.json: {e}"));
    Vector {
        name: name.to_owned(),
        request: parse_request(name, &read(&dir, "request.http")),
        context,
        string_to_sign: read(&dir, "string-to-sign.txt"),
        signature: text(&dir, "signature.txt"),
        authorization: text(&dir, "authorization.txt"),
    }
}

impl Vector {
    fn str(&self, field: &str) -> &str {
        self.context[field]
            .as_str()
            .unwrap_or_else(|| panic!("vector {}: context.json lacks {field:?}", self.name))
    }

    fn mode(&self) -> Mode {
        match self.str("mode") {
            "app" => Mode::App,
            "key-pair" => Mode::KeyPair,
            other => panic!("vector {}: unknown mode {other:?}", self.name),
        }
    }

    fn algorithm(&self) -> Algorithm {
        self.str("algorithm")
            .parse()
            .unwrap_or_else(|_| panic!("vector {}: unknown algorithm", self.name))
    }

    fn date_header(&self) -> DateHeader {
        match self.str("date_header") {
            "X-Date" => DateHeader::XDate,
            "Date" => DateHeader::Date,
            other => panic!("vector {}: unknown date header {other:?}", self.name),
        }
    }

    fn environment_prefix(&self) -> EnvironmentPrefix {
        match self.str("environment_prefix") {
            "strip" => EnvironmentPrefix::Strip,
            "keep" => EnvironmentPrefix::Keep,
            other => panic!("vector {}: unknown environment_prefix {other:?}", self.name),
        }
    }

    fn signing_time(&self) -> OffsetDateTime {
        OffsetDateTime::parse(self.str("signing_time"), &Rfc3339)
            .unwrap_or_else(|e| panic!("vector {}: signing_time: {e}", self.name))
    }

    /// `None` means the signer's default header list.
    fn sign_headers(&self) -> Option<Vec<&str>> {
        match &self.context["sign_headers"] {
            Value::Null => None,
            Value::Array(names) => Some(
                names
                    .iter()
                    .map(|n| n.as_str().expect("sign_headers holds strings"))
                    .collect(),
            ),
            other => panic!("vector {}: sign_headers is {other}", self.name),
        }
    }

    fn headers(&self) -> Vec<Header<'_>> {
        self.request
            .headers
            .iter()
            .map(|(n, v)| Header::from_bytes(n, v))
            .collect()
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
    };
    base64::engine::general_purpose::STANDARD.encode(tag)
}

fn run(name: &str) {
    let v = load(name);
    let secret = Secret::from(v.str("secret"));
    let now = v.signing_time();
    let mode = v.mode();
    let algorithm = v.algorithm();
    let headers = v.headers();
    let request = Request::new(
        &v.request.method,
        &v.request.target,
        &headers,
        &v.request.body,
    );
    let extra = v.sign_headers();
    let mut signer = Signer::new(mode, v.str("key_id"), &secret)
        .algorithm(algorithm)
        .date_header(v.date_header())
        .environment_prefix(v.environment_prefix());
    if let Some(extra) = &extra {
        signer = signer.sign_headers(extra);
    }

    // (a) The string to sign.
    let explained = signer
        .explain(&request, now)
        .unwrap_or_else(|e| panic!("vector {name}: stage (a) string to sign: explain failed: {e}"));
    assert_eq!(
        explained,
        String::from_utf8_lossy(&v.string_to_sign),
        "vector {name}: stage (a) string to sign: Signer::explain differs from string-to-sign.txt"
    );

    // (b) The signature of the file's string to sign, with the hash crates directly.
    assert_eq!(
        reference_hmac(algorithm, v.str("secret").as_bytes(), &v.string_to_sign),
        v.signature,
        "vector {name}: stage (b) signature: HMAC of string-to-sign.txt differs from signature.txt"
    );

    // (c) The Authorization header (and the other headers the signer asks for).
    let signature = signer
        .sign(&request, now)
        .unwrap_or_else(|e| panic!("vector {name}: stage (c) authorization: sign failed: {e}"));
    assert_eq!(
        signature.authorization(),
        v.authorization,
        "vector {name}: stage (c) authorization: Signer::sign differs from authorization.txt"
    );
    assert!(
        v.authorization
            .ends_with(&format!("signature=\"{}\"", v.signature)),
        "vector {name}: stage (c) authorization: authorization.txt does not carry signature.txt"
    );
    assert_eq!(
        signature.date(),
        (v.str("date_header"), v.str("date")),
        "vector {name}: stage (c) authorization: the date header to set"
    );
    if mode == Mode::App {
        assert_eq!(
            signature.content_md5(),
            v.context["content_md5"].as_str(),
            "vector {name}: stage (c) authorization: the Content-MD5 header to set"
        );
    }

    // (d) Verification of the request as sent: its headers, with the signature's applied.
    let mut wire = headers.clone();
    let applied: Vec<(&str, &str)> = signature.headers().collect();
    wire.retain(|h| !applied.iter().any(|(n, _)| n.eq_ignore_ascii_case(h.name)));
    wire.extend(applied.iter().map(|&(n, value)| Header::new(n, value)));
    let sent = Request::new(&v.request.method, &v.request.target, &wire, &v.request.body);
    let mut keys = KeySet::new();
    keys.insert(v.str("key_id"), v.str("secret"));
    let verifier = Verifier::default();
    let verified = verifier
        .verify(mode, &sent, &keys, now)
        .unwrap_or_else(|e| panic!("vector {name}: stage (d) verification: rejected: {e}"));
    assert_eq!(
        (verified.key_id(), verified.algorithm()),
        (v.str("key_id"), algorithm),
        "vector {name}: stage (d) verification: verified key and algorithm"
    );
    let listed = v
        .authorization
        .split("headers=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("authorization.txt lists headers");
    assert_eq!(
        verified.signed_headers().collect::<Vec<_>>().join(" "),
        listed,
        "vector {name}: stage (d) verification: signed headers"
    );
    assert_eq!(
        verifier.explain(mode, &sent).map(String::into_bytes),
        Ok(v.string_to_sign.clone()),
        "vector {name}: stage (d) verification: the verifier's string to sign differs from string-to-sign.txt"
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
                "vector {name}: stage (d) verification at {offset:+} s: expected {}, got {other:?}",
                if expect_ok { "Ok" } else { "DateOutOfWindow" }
            ),
        }
    }

    // (d) The request with authorization.txt itself (the independent value) verifies too.
    let mut from_file = wire.clone();
    from_file.retain(|h| !h.name.eq_ignore_ascii_case("authorization"));
    from_file.push(Header::new("Authorization", &v.authorization));
    let sent = Request::new(
        &v.request.method,
        &v.request.target,
        &from_file,
        &v.request.body,
    );
    if let Err(e) = verifier.verify(mode, &sent, &keys, now) {
        panic!("vector {name}: stage (d) verification: authorization.txt rejected: {e}");
    }
}

macro_rules! vectors {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run($dir);
            }
        )*

        /// Every vector directory, so that a new one cannot be skipped silently.
        const ALL: &[&str] = &[$($dir),*];
    };
}

vectors! {
    app_post_form_published => "app-post-form-published",
    app_get_x_date_only_published => "app-get-x-date-only-published",
    key_pair_date_source_published => "key-pair-date-source-published",
    app_json_body => "app-json-body",
    app_unicode_query_env_prefix => "app-unicode-query-env-prefix",
    hmac_sha256_app_form_and_query => "hmac-sha256-app-form-and-query",
    hmac_sha384_key_pair => "hmac-sha384-key-pair",
    hmac_sha512_app_put_json => "hmac-sha512-app-put-json",
}

#[test]
fn every_vector_directory_has_a_test() {
    let mut found: Vec<String> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors/tencent exists")
        .map(|e| e.expect("directory entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut listed: Vec<&str> = ALL.to_vec();
    listed.sort_unstable();
    assert_eq!(found, listed);
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
        assert_eq!(load(name).signature, expected, "vector {name}");
    }
    let json = load("app-json-body");
    assert_eq!(
        json.context["content_md5"],
        "MzNiMjk0MTJjZWIzMWQ5NmE1OGRiZDYyOWMwNWQ0ZGE="
    );
    assert_eq!(
        load("app-post-form-published").string_to_sign,
        b"source: apigw test\nx-date: Thu, 11 Mar 2021 08:29:58 GMT\nPOST\napplication/json\n\
          application/x-www-form-urlencoded\n\n/?p=test"
    );
}
