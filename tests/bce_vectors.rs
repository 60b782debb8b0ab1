//! BCE `bce-auth-v1` test vectors, read from `tests/vectors/bce/<name>/` and checked stage by
//! stage, each stage failing with its own message naming the vector and the stage:
//!
//! - (a) canonical request: [`Signer::explain`] equals `canonical-request.txt`;
//! - (b) signing key: `hex(HMAC-SHA256(sk, "bce-auth-v1/{ak}/{ts}/{exp}"))`, computed here with
//!   the `hmac`, `sha2` and `hex` crates directly, equals `signing-key.txt`;
//! - (c) signature: HMAC-SHA256 of `canonical-request.txt` keyed by the 64 ASCII characters of
//!   `signing-key.txt` equals `signature.txt`;
//! - (d) auth string: [`Signer::sign`] gives `auth-string.txt` (and the headers, or for a
//!   presigned URL the target, the signature asks for);
//! - (e) verification: the request carrying `auth-string.txt` verifies through [`Verifier`] in
//!   the `Authorization`, `X-Bce-Signature` and `authorization` query carriers, the verifier
//!   rebuilds the same canonical request, the time bounds hold to the second, and the `//`
//!   (default set) form of the auth string verifies exactly when the default set signs the same
//!   headers.
//!
//! Where each vector comes from is in `tests/vectors/bce/README.md`; the derived ones are
//! computed by `derive.py` there with Python's standard library, never with this crate.
//! `tests/vectors/bce/interop/` belongs to another suite and is skipped here.

mod common;

use apigw_sign::bce::{AuthString, Carrier, Signer, Stage, Verifier};
use apigw_sign::{parse_iso8601, Error, KeySet, Secret};
use common::request::Wire;
use common::vectors::{vector_tests, Vector};
use hmac::{Hmac, KeyInit, Mac};
use time::{Duration, OffsetDateTime};

const SCHEME: &str = "bce";

/// The directories under `tests/vectors/bce/` that are not vectors of this suite.
const NOT_VECTORS: &[&str] = &["interop"];

/// The stage files of a vector.
const FILES: &[&str] = &[
    "canonical-request.txt",
    "signing-key.txt",
    "signature.txt",
    "auth-string.txt",
];

fn load(name: &str) -> Vector {
    Vector::load(SCHEME, name, FILES)
}

/// What a BCE vector holds.
impl Vector {
    fn expiration(&self) -> u64 {
        self.u64("expiration")
    }

    fn timestamp(&self) -> OffsetDateTime {
        self.parse("timestamp", |s| parse_iso8601(s.as_bytes()))
    }

    fn carrier(&self) -> Carrier {
        self.parse("carrier", |s| match s {
            "authorization" => Some(Carrier::Authorization),
            "x-bce-signature" => Some(Carrier::XBceSignature),
            "query" => Some(Carrier::Query),
            _ => None,
        })
    }

    /// The stage the signer is asked to set.
    fn signer_stage(&self) -> Option<Stage> {
        self.optional_str("stage")
            .map(|s| self.parse_value("stage", s, |s| Stage::from_value(s.as_bytes())))
    }

    /// The stage a verifier must report: the signer's, the request's `X-Bce-Stage`, or
    /// `release`.
    fn expected_stage(&self) -> Stage {
        self.signer_stage().unwrap_or_else(|| {
            self.request
                .value("x-bce-stage")
                .map_or(Stage::Release, |v| {
                    Stage::from_value(v.trim_ascii()).expect("a valid X-Bce-Stage")
                })
        })
    }

    /// The headers the signer adds (`x-bce-date`, `X-Bce-Stage`), from `context.json`.
    fn added_headers(&self) -> Vec<(String, String)> {
        self.pairs("added_headers")
    }
}

/// `hex(HMAC-SHA256(key, message))`, with the RustCrypto crates directly, not through
/// `apigw_sign`.
fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// `sent` (with its auth string in a carrier) through `verifier`: what it established.
fn verify(
    sent: &Wire,
    verifier: &Verifier,
    keys: &KeySet,
    now: OffsetDateTime,
) -> Result<(String, Stage, Carrier), Error> {
    sent.with_request(|request| {
        verifier
            .verify(request, keys, now)
            .map(|ok| (ok.key_id().to_owned(), ok.stage(), ok.carrier()))
    })
}

fn run(name: &str) {
    let v = load(name);
    let canonical_request = v.bytes("canonical-request.txt");
    let signing_key = v.text("signing-key.txt");
    let signature_txt = v.text("signature.txt");
    let auth_string = v.text("auth-string.txt");
    let ak = v.str("ak");
    let sk = v.str("sk");
    let secret = Secret::from(sk);
    let now = v.timestamp();
    let expiration = v.expiration();
    let carrier = v.carrier();
    let headers = v.request.view();
    let request = v.request.request(&headers);
    let listed = v.strings("signed_headers");
    let mut signer = Signer::new(ak, &secret)
        .expiration(expiration)
        .carrier(carrier);
    if let Some(listed) = &listed {
        signer = signer.sign_headers(listed);
    }
    if let Some(stage) = v.signer_stage() {
        signer = signer.stage(stage);
    }

    // (a) The canonical request.
    let stage = v.stage("(a) canonical request");
    let explained = signer
        .explain(&request, now)
        .unwrap_or_else(|e| panic!("{stage}: explain failed: {e}"));
    assert_eq!(
        explained,
        String::from_utf8_lossy(canonical_request),
        "{stage}: Signer::explain differs from canonical-request.txt"
    );

    // (b) The signing key, with the hash crates directly.
    let stage = v.stage("(b) signing key");
    let prefix = format!("bce-auth-v1/{ak}/{}/{expiration}", v.str("timestamp"));
    assert_eq!(
        hmac_sha256_hex(sk.as_bytes(), prefix.as_bytes()),
        signing_key,
        "{stage}: hex(HMAC-SHA256(sk, {prefix:?})) differs from signing-key.txt"
    );

    // (c) The signature of the file's canonical request, keyed by the key's 64 characters.
    let stage = v.stage("(c) signature");
    assert_eq!(signing_key.len(), 64, "{stage}: key length");
    assert_eq!(
        hmac_sha256_hex(signing_key.as_bytes(), canonical_request),
        signature_txt,
        "{stage}: HMAC of canonical-request.txt differs from signature.txt"
    );

    // (d) The auth string, and what the signature asks to apply.
    let stage = v.stage("(d) auth string");
    let signature = signer
        .sign(&request, now)
        .unwrap_or_else(|e| panic!("{stage}: sign failed: {e}"));
    assert_eq!(
        signature.auth_string(),
        auth_string,
        "{stage}: Signer::sign differs from auth-string.txt"
    );
    let parsed = AuthString::parse(auth_string)
        .unwrap_or_else(|e| panic!("{stage}: auth-string.txt does not parse: {e}"));
    assert_eq!(
        (
            &auth_string[..parsed.prefix_len()],
            parsed.signature,
            parsed.to_string()
        ),
        (prefix.as_str(), signature_txt, auth_string.to_owned()),
        "{stage}: auth-string.txt is not prefix + list + signature.txt"
    );
    let carrier_header = match carrier {
        Carrier::Authorization => Some("Authorization"),
        Carrier::XBceSignature => Some("X-Bce-Signature"),
        Carrier::Query | Carrier::AppCode => None,
        other => panic!("a carrier this test does not know: {other:?}"),
    };
    let mut expected_headers: Vec<(String, String)> = v.added_headers();
    if let Some(h) = carrier_header {
        expected_headers.push((h.to_owned(), auth_string.to_owned()));
    }
    let applied: Vec<(String, String)> = signature
        .headers()
        .map(|(n, value)| (n.to_owned(), value.to_owned()))
        .collect();
    assert_eq!(applied, expected_headers, "{stage}: the headers to set");
    let expected_target = (carrier == Carrier::Query)
        .then(|| v.request.clone().carry(Carrier::Query, auth_string).target);
    assert_eq!(
        signature.target(),
        expected_target.as_deref(),
        "{stage}: the presigned target"
    );

    // (e) Verification, in every carrier, of the request as sent with auth-string.txt.
    let stage = v.stage("(e) verification");
    let base = v.request.clone().with_all(v.added_headers());
    let mut keys = KeySet::new();
    keys.insert(ak, sk);
    let verifier = Verifier::default();
    let expected_stage = v.expected_stage();
    for carrier in [
        Carrier::Authorization,
        Carrier::XBceSignature,
        Carrier::Query,
    ] {
        let sent = base.clone().carry(carrier, auth_string);
        let what = format!("{stage} in {carrier:?}");
        match verify(&sent, &verifier, &keys, now) {
            Ok(got) => assert_eq!(
                got,
                (ak.to_owned(), expected_stage, carrier),
                "{what}: key id, stage, carrier"
            ),
            Err(e) => panic!("{what}: rejected: {e} ({e:?})"),
        }
        assert_eq!(
            sent.with_request(|request| verifier.explain(request))
                .map(String::into_bytes),
            Ok(canonical_request.to_vec()),
            "{what}: the verifier's canonical request differs from canonical-request.txt"
        );
        // The time bounds, to the second: signed up to 300 s ahead, valid until ts + exp.
        let exp = i64::try_from(expiration).expect("a small expiration");
        for (offset, ok) in [(-300, true), (-301, false), (exp, true), (exp + 1, false)] {
            let at = now + Duration::seconds(offset);
            let result = verify(&sent, &verifier, &keys, at);
            let fine = match &result {
                Ok(_) => ok,
                Err(Error::BceRequestTimeTooSkewed { timestamp, now: n }) => {
                    !ok && offset < 0 && *timestamp == now && *n == at
                }
                Err(Error::BceSignatureTimestampExpired {
                    timestamp,
                    expiration: e,
                    now: n,
                }) => !ok && offset > 0 && *timestamp == now && *e == expiration && *n == at,
                Err(_) => false,
            };
            assert!(fine, "{what}: at {offset:+} s got {result:?}");
        }
    }

    // (e) The `//` (default set) form of the same auth string.
    let default_form = format!("{prefix}//{}", signature_txt);
    let verifies = v.bool("default_form_verifies");
    let sent = base.carry(Carrier::Authorization, &default_form);
    let result = verify(&sent, &verifier, &keys, now);
    if verifies {
        assert_eq!(
            result,
            Ok((ak.to_owned(), expected_stage, Carrier::Authorization)),
            "{stage}: the // form {default_form:?}"
        );
    } else {
        assert!(
            matches!(result, Err(Error::BceSignatureMismatch { .. })),
            "{stage}: the // form signs other headers, so it must mismatch; got {result:?}"
        );
    }
}

vector_tests! {
    scheme: SCHEME,
    skip: NOT_VECTORS,
    run: run,
    published_default_set => "published-default-set",
    published_host_and_date => "published-host-and-date",
    published_without_query => "published-without-query",
    unicode_space_path_and_query => "unicode-space-path-and-query",
    query_bare_key_plus_tilde_presigned => "query-bare-key-plus-tilde-presigned",
    x_bce_headers_spaces_explicit_list => "x-bce-headers-spaces-explicit-list",
    x_bce_stage_test_app => "x-bce-stage-test-app",
    x_bce_stage_pre_online_in_request => "x-bce-stage-pre-online-in-request",
}

/// The published values (spec §7), pinned here as well as in the files, so that regenerating
/// the files cannot move them.
#[test]
fn published_values_are_the_documented_ones() {
    const SIGNING_KEY: &str = "1d5ce5f464064cbee060330d973218821825ac6952368a482a592e6615aef479";
    for (name, expected) in [
        (
            "published-default-set",
            "d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e",
        ),
        (
            "published-host-and-date",
            "1b8de5a23a56eef657c69f94c621e7acd227d049a4ba577f537d5e5cebf0cf32",
        ),
        (
            "published-without-query",
            "0558aac491bbef484d3aaa30ac1e65d4ff10daccd351f15c91e922ee4ce72690",
        ),
    ] {
        let v = load(name);
        assert_eq!(v.text("signature.txt"), expected, "vector {name}");
        assert_eq!(v.text("signing-key.txt"), SIGNING_KEY, "vector {name}");
        assert_eq!(
            (v.str("ak"), v.str("sk"), v.str("timestamp"), v.expiration()),
            (
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                "2015-04-27T08:23:49Z",
                1800
            ),
            "vector {name}"
        );
    }
    assert_eq!(
        load("published-default-set").bytes("canonical-request.txt"),
        b"PUT\n/v1/test/myfolder/readme.txt\n\
          partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851\n\
          content-length:8\ncontent-md5:NFzcPqhviddjRNnSOGo4rw%3D%3D\n\
          content-type:text%2Fplain\nhost:bj.bcebos.com\nx-bce-date:2015-04-27T08%3A23%3A49Z"
    );
    // The spec's default form, as Baidu prints it, verifies against the published request.
    let v = load("published-default-set");
    let auth = "bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2015-04-27T08:23:49Z/1800//\
                d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e";
    let sent = v.request.clone().carry(Carrier::Authorization, auth);
    let mut keys = KeySet::new();
    keys.insert(v.str("ak"), v.str("sk"));
    assert!(
        verify(&sent, &Verifier::default(), &keys, v.timestamp()).is_ok(),
        "the published // auth string"
    );
}

/// The shared reader keeps header values as the file has them, but for the one space after the
/// colon: the crate's own trimming is what the vectors test, not the reader's.
#[test]
fn request_http_keeps_header_values_raw() {
    let v = load("x-bce-headers-spaces-explicit-list");
    assert_eq!(
        v.request.value("X-Bce-Meta-Note"),
        Some(&b"   hello  world \t"[..])
    );
    assert_eq!(v.request.value("x-bce-blank"), Some(&b"   "[..]));
}
