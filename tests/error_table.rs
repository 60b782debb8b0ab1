//! The spec's error table (`tencent.md` §5), row by row.
//!
//! Every authentication row is produced through [`Verifier::verify`] from a real signed request
//! with one defect, and its message (`Display`), [`Error::code`], status under both
//! [`StatusProfile`]s and [`Error::json_body`] are checked against the table. The routing rows
//! and "Found no validate usage plan" cannot come out of the verifier yet (the gateway comes in
//! a later issue), so they are pinned by constructing the variants. Then the check order: a
//! request with two defects yields the one that comes first in the spec's order. Last, the
//! opt-in `Server StringToSign` detail, and that no error shows the secret or the expected MAC.

mod common;

use apigw_sign::tencent::{content_md5, MismatchDetail, Mode, Policy, Signer, Verifier};
use apigw_sign::{
    format_http_date, ActiveKey, Algorithm, AlgorithmSet, Error, KeyLookup, KeyRejection, KeySet,
    KeyStatus, Malformed, Protocol, RequestError, Secret, StatusProfile,
};
use base64::Engine as _;
use common::request::Wire;
use hmac::{Hmac, KeyInit, Mac};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const KEY_ID: &str = "AKIDerrortable";
const SECRET: &str = "error-table-secret-must-never-leak-7f3a";
const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);
const BODY: &[u8] = br#"{"arg1":"a","arg2":"b"}"#;

// ---------------------------------------------------------------------------------------------
// Requests

/// The Tencent side of the shared owned request.
impl Wire {
    /// Signs with `signer` at `at` and applies the signature's headers.
    fn signed(self, signer: &Signer<'_>, at: OffsetDateTime) -> Self {
        let signature = self
            .with_request(|request| signer.sign(request, at))
            .expect("the base request signs");
        self.set_all(signature.headers())
    }

    fn verify_with(
        &self,
        mode: Mode,
        verifier: &Verifier,
        keys: &impl KeyLookup,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        self.with_request(|request| verifier.verify(mode, request, keys, now).map(|_| ()))
    }

    /// The server's string to sign, when the request has one.
    fn explain(&self, mode: Mode) -> Option<String> {
        self.with_request(|request| Verifier::default().explain(mode, request).ok())
    }
}

fn keys() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    keys
}

/// An app-mode JSON `POST`, signed at [`NOW`]: `headers="source x-date"`, with `Content-MD5`.
fn app() -> Wire {
    let secret = Secret::from(SECRET);
    Wire::new(
        "POST",
        "/release/v1/echo?lang=zh",
        &[
            ("Host", "service-abc-1250000000.gz.apigw.tencentcs.com"),
            ("Accept", "application/json"),
            ("Content-Type", "application/json"),
            ("Source", "error table"),
        ],
        BODY,
    )
    .signed(&Signer::new(Mode::App, KEY_ID, &secret), NOW)
}

/// A key-pair request signed at [`NOW`] with `Date` and `Source`: `headers="date source"`.
fn key_pair() -> Wire {
    let secret = Secret::from(SECRET);
    Wire::new("GET", "/", &[("Source", "ccc")], b"").signed(
        &Signer::new(Mode::KeyPair, KEY_ID, &secret)
            .date_header(apigw_sign::tencent::DateHeader::Date),
        NOW,
    )
}

fn verify_app(wire: &Wire) -> Result<(), Error> {
    wire.verify_with(Mode::App, &Verifier::default(), &keys(), NOW)
}

fn verify_key_pair(wire: &Wire) -> Result<(), Error> {
    wire.verify_with(Mode::KeyPair, &Verifier::default(), &keys(), NOW)
}

/// `hmac id="…", algorithm="…", headers="…", signature="…"` from its parts; `None` leaves a
/// parameter out.
fn authorization(
    id: Option<&str>,
    algorithm: &str,
    headers: &str,
    signature: Option<&str>,
) -> String {
    let mut parts = Vec::new();
    if let Some(id) = id {
        parts.push(format!("id=\"{id}\""));
    }
    parts.push(format!("algorithm=\"{algorithm}\""));
    parts.push(format!("headers=\"{headers}\""));
    if let Some(signature) = signature {
        parts.push(format!("signature=\"{signature}\""));
    }
    format!("hmac {}", parts.join(", "))
}

fn signature_of(wire: &Wire) -> String {
    let auth = wire.header("authorization");
    auth.split("signature=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a signature parameter")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// The table

/// One row of §5: message, code, Classic status, Current status.
#[derive(Clone, Copy, Debug)]
struct Row<'a> {
    message: &'a str,
    code: &'a str,
    classic: u16,
    current: u16,
}

const fn auth_row<'a>(message: &'a str, code: &'static str) -> Row<'a> {
    Row {
        message,
        code,
        classic: 403,
        current: 401,
    }
}

/// Checks `result` is an error matching `row` in every respect.
#[track_caller]
fn assert_row(case: &str, result: Result<(), Error>, row: Row<'_>) -> Error {
    let err = match result {
        Err(err) => err,
        Ok(()) => panic!("{case}: verified, expected {:?}", row.message),
    };
    assert_eq!(err.to_string(), row.message, "{case}: message ({err:?})");
    assert_eq!(err.code(), row.code, "{case}: code");
    assert_eq!(
        err.status(StatusProfile::Classic),
        row.classic,
        "{case}: Classic status"
    );
    assert_eq!(
        err.status(StatusProfile::Current),
        row.current,
        "{case}: Current status"
    );
    assert_json_body(case, &err);
    err
}

/// `json_body()` is exactly `{"message": <Display>}`.
#[track_caller]
fn assert_json_body(case: &str, err: &Error) {
    let body: serde_json::Value =
        serde_json::from_str(&err.json_body()).unwrap_or_else(|e| panic!("{case}: json: {e}"));
    let object = body.as_object().expect("a JSON object");
    assert_eq!(object.len(), 1, "{case}: json_body has one member");
    assert_eq!(
        object.get("message").and_then(|m| m.as_str()),
        Some(err.to_string().as_str()),
        "{case}: json_body message"
    );
}

const MISSING_AUTHORIZATION: Row<'static> = Row {
    message: "HMAC signature cannot be verified, a validate authorization header is required",
    code: "MissingAuthorization",
    classic: 401,
    current: 401,
};
const MALFORMED: Row<'static> = auth_row(
    "authorization headers is invalidate",
    "MalformedAuthorization",
);
const ID_OR_SIGNATURE_MISSING: Row<'static> =
    auth_row("id or signature missing", "IdOrSignatureMissing");
const DATE_NOT_SIGNED: Row<'static> = auth_row(
    "HMAC signature cannot be verified, a valid date header is required",
    "DateNotSigned",
);
const REPEATED_HEADER: Row<'static> =
    auth_row("HMAC do not support multiple HTTP header", "RepeatedHeader");
const KEY_REJECTED: Row<'static> = auth_row("HMAC signature cannot be verified", "KeyRejected");
const MISMATCH: Row<'static> = auth_row("HMAC signature does not match", "SignatureMismatch");

fn missing_header_row(message: &str) -> Row<'_> {
    auth_row(message, "MissingSignedHeader")
}

fn invalid_date_row(message: &str) -> Row<'_> {
    auth_row(message, "InvalidDate")
}

fn out_of_window_row(message: &str) -> Row<'_> {
    auth_row(message, "DateOutOfWindow")
}

fn algorithm_row(message: &str) -> Row<'_> {
    auth_row(message, "AlgorithmNotSupported")
}

#[test]
fn the_base_requests_verify() {
    assert_eq!(verify_app(&app()), Ok(()));
    assert_eq!(verify_key_pair(&key_pair()), Ok(()));
}

#[test]
fn no_authorization_header() {
    assert_row(
        "no Authorization",
        verify_app(&app().without("authorization")),
        MISSING_AUTHORIZATION,
    );
    assert_row(
        "key pair, no Authorization",
        verify_key_pair(&key_pair().without("authorization")),
        MISSING_AUTHORIZATION,
    );
    // The crate's reading: an empty (or blank) value is no header at all.
    for blank in ["", "  ", "\t"] {
        assert_row(
            &format!("Authorization {blank:?}"),
            verify_app(&app().set("Authorization", blank)),
            MISSING_AUTHORIZATION,
        );
    }
}

#[test]
fn malformed_authorization() {
    let good = app().header("authorization");
    let signature = signature_of(&app());
    let full = |id: &str, algorithm: &str, headers: &str, tail: &str| {
        format!(
            "hmac id=\"{id}\", algorithm=\"{algorithm}\", headers=\"{headers}\", \
             signature=\"{signature}\"{tail}"
        )
    };
    let no_algorithm =
        format!("hmac id=\"{KEY_ID}\", headers=\"source x-date\", signature=\"{signature}\"");
    let no_headers =
        format!("hmac id=\"{KEY_ID}\", algorithm=\"hmac-sha1\", signature=\"{signature}\"");
    let unterminated = full(KEY_ID, "hmac-sha1", "source x-date", "");
    let unterminated = unterminated.trim_end_matches('"').to_owned();
    let too_many = vec!["source"; apigw_sign::limits::MAX_SIGNED_HEADERS + 1].join(" ");
    let too_long = "a".repeat(apigw_sign::limits::MAX_AUTHORIZATION_LEN);
    let cases: Vec<(&str, String, Malformed)> = vec![
        (
            "another scheme",
            "Basic dXNlcjpwYXNz".into(),
            Malformed::Scheme,
        ),
        ("scheme alone", "hmac".into(), Malformed::Scheme),
        (
            "no space after the scheme",
            good.replacen("hmac ", "hmac", 1),
            Malformed::Scheme,
        ),
        (
            "text after the last parameter",
            format!("{good} extra"),
            Malformed::Syntax,
        ),
        (
            "unquoted value",
            good.replace(&format!("\"{KEY_ID}\""), KEY_ID),
            Malformed::Syntax,
        ),
        (
            "space before a comma",
            good.replacen("\",", "\" ,", 1),
            Malformed::Syntax,
        ),
        ("trailing comma", format!("{good},"), Malformed::Syntax),
        (
            "unterminated quote",
            unterminated,
            Malformed::UnterminatedQuote,
        ),
        (
            "repeated parameter",
            full(
                KEY_ID,
                "hmac-sha1",
                "source x-date",
                ", algorithm=\"hmac-sha1\"",
            ),
            Malformed::RepeatedParameter,
        ),
        ("no algorithm", no_algorithm, Malformed::MissingAlgorithm),
        ("no headers", no_headers, Malformed::MissingHeaders),
        (
            "empty headers",
            full(KEY_ID, "hmac-sha1", "", ""),
            Malformed::EmptyHeaders,
        ),
        (
            "double space in headers",
            full(KEY_ID, "hmac-sha1", "source  x-date", ""),
            Malformed::EmptyHeaderName,
        ),
        (
            "leading space in headers",
            full(KEY_ID, "hmac-sha1", " source x-date", ""),
            Malformed::EmptyHeaderName,
        ),
        (
            "trailing space in headers",
            full(KEY_ID, "hmac-sha1", "source x-date ", ""),
            Malformed::EmptyHeaderName,
        ),
        (
            "control character in a value",
            full(KEY_ID, "hmac-sha1", "source\u{1}x-date", ""),
            Malformed::ControlCharacter,
        ),
        (
            "more signed headers than the limit",
            full(KEY_ID, "hmac-sha1", &too_many, ""),
            Malformed::TooManyHeaders,
        ),
        (
            "longer than the limit",
            full(&too_long, "hmac-sha1", "source x-date", ""),
            Malformed::TooLong,
        ),
    ];
    for (case, value, reason) in cases {
        let err = assert_row(
            case,
            verify_app(&app().set("Authorization", &value)),
            MALFORMED,
        );
        assert_eq!(err, Error::MalformedAuthorization { reason }, "{case}");
    }
    let err = assert_row(
        "two Authorization headers",
        verify_app(&app().with("Authorization", &good)),
        MALFORMED,
    );
    assert_eq!(
        err,
        Error::MalformedAuthorization {
            reason: Malformed::Repeated
        }
    );
    let err = assert_row(
        "Authorization not UTF-8",
        verify_app(&app().set("Authorization", b"hmac id=\"\xff\"")),
        MALFORMED,
    );
    assert_eq!(
        err,
        Error::MalformedAuthorization {
            reason: Malformed::NotText
        }
    );
}

/// The parser's documented liberties (spec §1): any case for the scheme, parameters in any
/// order, spaces or tabs (or none) after commas, unknown parameters ignored.
#[test]
fn documented_parser_liberties_still_verify() {
    let signature = signature_of(&app());
    for value in [
        format!(
            "HMAC signature=\"{signature}\",headers=\"source x-date\",\t algorithm=\"hmac-sha1\", \
             id=\"{KEY_ID}\""
        ),
        format!(
            "  Hmac id=\"{KEY_ID}\", realm=\"x\", algorithm=\"hmac-sha1\", headers=\"source x-date\", \
             signature=\"{signature}\", nonce=\"\"  "
        ),
    ] {
        assert_eq!(
            verify_app(&app().set("Authorization", &value)),
            Ok(()),
            "{value}"
        );
    }
}

#[test]
fn id_or_signature_missing() {
    let signature = signature_of(&app());
    for (case, value) in [
        (
            "no id",
            authorization(None, "hmac-sha1", "source x-date", Some(&signature)),
        ),
        (
            "empty id",
            authorization(Some(""), "hmac-sha1", "source x-date", Some(&signature)),
        ),
        (
            "no signature",
            authorization(Some(KEY_ID), "hmac-sha1", "source x-date", None),
        ),
        (
            "empty signature",
            authorization(Some(KEY_ID), "hmac-sha1", "source x-date", Some("")),
        ),
    ] {
        let err = assert_row(
            case,
            verify_app(&app().set("Authorization", &value)),
            ID_OR_SIGNATURE_MISSING,
        );
        assert_eq!(err, Error::IdOrSignatureMissing);
    }
}

#[test]
fn listed_header_absent() {
    let err = assert_row(
        "x-custom listed, absent",
        verify_app(&app().auth(|a| a.replace("source x-date", "source x-custom x-date"))),
        missing_header_row(
            "HMAC signature cannot be verified, a valid x-custom header is required",
        ),
    );
    assert_eq!(
        err,
        Error::MissingSignedHeader {
            name: "x-custom".into()
        }
    );
    assert_row(
        "source listed, removed",
        verify_app(&app().without("source")),
        missing_header_row("HMAC signature cannot be verified, a valid source header is required"),
    );
    assert_row(
        "key pair: x-date listed, only Date sent",
        verify_key_pair(&key_pair().auth(|a| a.replace("date source", "date source x-date"))),
        missing_header_row("HMAC signature cannot be verified, a valid x-date header is required"),
    );
    assert_row(
        "app: x-date listed, removed",
        verify_app(&app().without("x-date")),
        missing_header_row("HMAC signature cannot be verified, a valid x-date header is required"),
    );
}

#[test]
fn no_date_header_signed() {
    for (case, result) in [
        (
            "app: only source",
            verify_app(&app().auth(|a| a.replace("source x-date", "source"))),
        ),
        (
            "app: date but not x-date",
            verify_app(
                &app()
                    .set("Date", format_http_date(NOW))
                    .auth(|a| a.replace("source x-date", "date source")),
            ),
        ),
        (
            "key pair: only source",
            verify_key_pair(&key_pair().auth(|a| a.replace("date source", "source"))),
        ),
    ] {
        let err = assert_row(case, result, DATE_NOT_SIGNED);
        assert_eq!(err, Error::DateNotSigned, "{case}");
    }
}

#[test]
fn date_unparsable() {
    let x_date = invalid_date_row(
        "HMAC signature cannot be verified, a valid x-date header is required for HMAC Authentication",
    );
    for bad in [
        "not a date",
        "2021-03-11T08:29:58Z",
        "Thu, 11 Mar 2021 08:29:58 UTC",
        "Fri, 11 Mar 2021 08:29:58 GMT",
        "",
    ] {
        let err = assert_row(
            &format!("X-Date {bad:?}"),
            verify_app(&app().set("X-Date", bad)),
            x_date,
        );
        assert_eq!(err, Error::InvalidDate { header: "x-date" });
    }
    let err = assert_row(
        "key pair, Date unparsable",
        verify_key_pair(&key_pair().set("Date", "yesterday")),
        invalid_date_row(
            "HMAC signature cannot be verified, a valid date header is required for HMAC Authentication",
        ),
    );
    assert_eq!(err, Error::InvalidDate { header: "date" });
}

/// Spec §4: the verifier also takes RFC 850 and asctime dates. The signer only writes
/// IMF-fixdate, so these requests are signed here with the hash crates directly.
#[test]
fn obsolete_date_forms_verify() {
    for (mode, date_header, value) in [
        (Mode::App, "X-Date", "Thursday, 11-Mar-21 08:29:58 GMT"),
        (Mode::App, "X-Date", "Thu Mar 11 08:29:58 2021"),
        (Mode::KeyPair, "Date", "Thursday, 11-Mar-21 08:29:58 GMT"),
        (Mode::KeyPair, "Date", "Thu Mar 11 08:29:58 2021"),
    ] {
        let names = format!("{} source", date_header.to_ascii_lowercase());
        let unsigned = Wire::new(
            "GET",
            "/v1/x",
            &[("Source", "s"), (date_header, value)],
            b"",
        )
        .set(
            "Authorization",
            authorization(Some(KEY_ID), "hmac-sha1", &names, Some("AA==")),
        );
        let string_to_sign = unsigned.explain(mode).expect("explains");
        let mut mac =
            <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(SECRET.as_bytes()).expect("key");
        mac.update(string_to_sign.as_bytes());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let signed = unsigned.auth(|a| a.replace("AA==", &signature));
        let verifier = Verifier::default();
        assert_eq!(
            signed.verify_with(mode, &verifier, &keys(), NOW),
            Ok(()),
            "{mode:?} {date_header}: {value}"
        );
        // They are dates like any other: the window applies.
        assert_eq!(
            signed
                .verify_with(mode, &verifier, &keys(), NOW + Duration::seconds(901))
                .map_err(|e| e.code()),
            Err("DateOutOfWindow"),
            "{mode:?} {date_header}: {value}"
        );
    }
}

#[test]
fn date_out_of_window_both_directions() {
    let x_date = out_of_window_row(
        "HMAC signature cannot be verified, the x-date header is out of date for HMAC Authentication",
    );
    let date = out_of_window_row(
        "HMAC signature cannot be verified, the date header is out of date for HMAC Authentication",
    );
    let verifier = Verifier::default();
    for offset in [901, -901, 86_400, -86_400] {
        let at = NOW + Duration::seconds(offset);
        let err = assert_row(
            &format!("app, now {offset:+} s"),
            app().verify_with(Mode::App, &verifier, &keys(), at),
            x_date,
        );
        assert_eq!(
            err,
            Error::DateOutOfWindow {
                header: "x-date",
                date: NOW,
                now: at
            }
        );
        assert_row(
            &format!("key pair, now {offset:+} s"),
            key_pair().verify_with(Mode::KeyPair, &verifier, &keys(), at),
            date,
        );
    }
    // The window is inclusive: 900 s either way still verifies.
    for offset in [900, -900] {
        let at = NOW + Duration::seconds(offset);
        assert_eq!(app().verify_with(Mode::App, &verifier, &keys(), at), Ok(()));
    }
    // And it is the policy's.
    let mut policy = Policy::default();
    policy.max_skew = core::time::Duration::from_secs(60);
    let narrow = Verifier::new(policy);
    let at = NOW + Duration::seconds(61);
    assert_row(
        "max_skew 60 s, now +61 s",
        app().verify_with(Mode::App, &narrow, &keys(), at),
        x_date,
    );
}

#[test]
fn algorithm_not_allowed() {
    let err = assert_row(
        "unknown algorithm",
        verify_app(&app().auth(|a| a.replace("hmac-sha1", "hmac-md5"))),
        algorithm_row("HMAC algorithm hmac-md5 not supported"),
    );
    assert_eq!(
        err,
        Error::AlgorithmNotSupported {
            algorithm: "hmac-md5".into()
        }
    );
    let mut policy = Policy::default();
    policy.algorithms = AlgorithmSet::ALL.without(Algorithm::HmacSha1);
    assert_row(
        "hmac-sha1 excluded by the policy",
        app().verify_with(Mode::App, &Verifier::new(policy), &keys(), NOW),
        algorithm_row("HMAC algorithm hmac-sha1 not supported"),
    );
    let mut policy = Policy::default();
    policy.algorithms = AlgorithmSet::only(Algorithm::HmacSha512);
    assert_row(
        "key pair, only hmac-sha512 allowed",
        key_pair().verify_with(Mode::KeyPair, &Verifier::new(policy), &keys(), NOW),
        algorithm_row("HMAC algorithm hmac-sha1 not supported"),
    );
}

#[test]
fn signed_header_repeated() {
    for (case, wire) in [
        ("Source twice", app().with("Source", "error table")),
        ("X-Date twice", app().with("X-Date", format_http_date(NOW))),
    ] {
        let err = assert_row(case, verify_app(&wire), REPEATED_HEADER);
        assert!(
            matches!(err, Error::RepeatedHeader { .. }),
            "{case}: {err:?}"
        );
    }
    assert_row(
        "key pair, Date twice",
        verify_key_pair(&key_pair().with("date", format_http_date(NOW))),
        REPEATED_HEADER,
    );
    // The crate's documented decision: the headers app mode signs implicitly may not repeat.
    for name in ["Accept", "Content-Type"] {
        let err = assert_row(
            &format!("app: {name} twice"),
            verify_app(&app().with(name, "text/plain")),
            REPEATED_HEADER,
        );
        assert_eq!(
            err,
            Error::RepeatedHeader {
                name: name.to_ascii_lowercase()
            }
        );
    }
}

#[test]
fn key_unknown_disabled_or_pinned() {
    let verifier = Verifier::default();
    let mut unknown = KeySet::new();
    unknown.insert("AKIDsomeoneelse", SECRET);
    let mut disabled = keys();
    disabled
        .get_mut(KEY_ID)
        .expect("the key")
        .set_enabled(false);
    let mut pinned = keys();
    pinned
        .get_mut(KEY_ID)
        .expect("the key")
        .pin(Some(Algorithm::HmacSha256));
    for (case, keys, reason) in [
        ("unknown key", unknown, KeyRejection::Unknown),
        ("disabled key", disabled, KeyRejection::Disabled),
        (
            "key pinned to hmac-sha256",
            pinned,
            KeyRejection::AlgorithmPinned,
        ),
    ] {
        let err = assert_row(
            case,
            app().verify_with(Mode::App, &verifier, &keys, NOW),
            KEY_REJECTED,
        );
        assert_eq!(
            err,
            Error::KeyRejected {
                key_id: KEY_ID.into(),
                reason
            },
            "{case}"
        );
        assert_row(
            &format!("key pair, {case}"),
            key_pair().verify_with(Mode::KeyPair, &verifier, &keys, NOW),
            KEY_REJECTED,
        );
    }
    // A store that knows the key but has no secret for it.
    struct NoSecret;
    impl KeyLookup for NoSecret {
        fn lookup(&self, _key_id: &str) -> KeyStatus<'_> {
            KeyStatus::Active(ActiveKey::new(&[]))
        }
    }
    let err = assert_row(
        "active key without a secret",
        app().verify_with(Mode::App, &verifier, &NoSecret, NOW),
        KEY_REJECTED,
    );
    assert_eq!(
        err,
        Error::KeyRejected {
            key_id: KEY_ID.into(),
            reason: KeyRejection::NoSecret
        }
    );
    // Rotation: any of a key's secrets verifies.
    let mut rotating = KeySet::new();
    rotating.insert(KEY_ID, "the-old-secret").add_secret(SECRET);
    assert_eq!(
        app().verify_with(Mode::App, &verifier, &rotating, NOW),
        Ok(())
    );
    // A key pinned to the algorithm it is used with is fine.
    let mut pinned_right = keys();
    pinned_right
        .get_mut(KEY_ID)
        .expect("the key")
        .pin(Some(Algorithm::HmacSha1));
    assert_eq!(
        app().verify_with(Mode::App, &verifier, &pinned_right, NOW),
        Ok(())
    );
}

#[test]
fn signature_mismatch() {
    let verifier = Verifier::default();
    let mut other_secret = KeySet::new();
    other_secret.insert(KEY_ID, "another-secret");
    let mismatch = |case: &str, result| {
        let err = assert_row(case, result, MISMATCH);
        assert_eq!(
            err,
            Error::SignatureMismatch {
                server_string_to_sign: None
            },
            "{case}"
        );
    };
    mismatch(
        "another secret",
        app().verify_with(Mode::App, &verifier, &other_secret, NOW),
    );
    mismatch(
        "key pair, another secret",
        key_pair().verify_with(Mode::KeyPair, &verifier, &other_secret, NOW),
    );
    let signature = signature_of(&app());
    let flipped = {
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(&signature)
            .expect("base64");
        bytes[0] ^= 1;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    for (case, bad) in [
        ("one bit flipped", flipped.as_str()),
        ("not base64", "!!!!"),
        ("unpadded base64", signature.trim_end_matches('=')),
        ("truncated", &signature[..8]),
        ("an hmac-sha512 length", &"A".repeat(88)),
        ("longer than any MAC", &"A".repeat(400)),
    ] {
        mismatch(
            case,
            verify_app(&app().auth(|a| a.replace(&signature, bad))),
        );
    }
    mismatch("body changed", verify_app(&app().body(b"{}")));
    mismatch(
        "query changed",
        verify_app(&app().target("/release/v1/echo?lang=en")),
    );
    mismatch(
        "source value changed",
        verify_app(&app().set("Source", "someone else")),
    );
    mismatch(
        "date changed within the window",
        verify_app(&app().set("X-Date", format_http_date(NOW + Duration::seconds(1)))),
    );
    mismatch(
        "key pair, source changed",
        verify_key_pair(&key_pair().set("Source", "ddd")),
    );
}

#[test]
fn content_md5_header_disagreeing_with_the_body() {
    // The body (and so the signature) is intact; only the header lies about it.
    let wire = app().set("Content-MD5", content_md5(b"{}"));
    assert_row("Content-MD5 of another body", verify_app(&wire), MISMATCH);
    assert_row(
        "Content-MD5 in raw-digest form",
        verify_app(&app().set("Content-MD5", "6vKmWF/KqhcpWZBKJxlp3g==")),
        MISMATCH,
    );
    // The header and the body agree, but the body is not what was signed.
    let other = app().body(b"{}").set("Content-MD5", content_md5(b"{}"));
    assert_row(
        "body and Content-MD5 both changed",
        verify_app(&other),
        MISMATCH,
    );
}

/// Spec §3: a verifier without the body trusts the `Content-MD5` header, which is signed.
#[test]
fn without_the_body_the_content_md5_header_is_trusted() {
    let verify = |wire: &Wire| {
        wire.with_request(|request| {
            Verifier::default()
                .verify(Mode::App, &request.without_body(), &keys(), NOW)
                .map(|_| ())
        })
    };
    assert_eq!(verify(&app()), Ok(()));
    assert_eq!(verify(&app().body(b"anything: not looked at")), Ok(()));
    assert_row(
        "without the body, Content-MD5 changed",
        verify(&app().set("Content-MD5", content_md5(b"{}"))),
        MISMATCH,
    );
    assert_row(
        "without the body, Content-MD5 removed",
        verify(&app().without("Content-MD5")),
        MISMATCH,
    );
}

/// The crate's documented decision: `Content-MD5`, which app mode signs implicitly, may not be
/// repeated. A second, disagreeing `Content-MD5` must not slip past the body check.
#[test]
fn content_md5_header_repeated() {
    let wire = app().with("Content-MD5", content_md5(b"{}"));
    let err = assert_row(
        "Content-MD5 twice (one right, one wrong)",
        verify_app(&wire),
        REPEATED_HEADER,
    );
    assert_eq!(
        err,
        Error::RepeatedHeader {
            name: "content-md5".into()
        }
    );
}

/// The crate's decision where the spec is silent: a `Content-MD5` header must be the body's
/// (base64 of its hex MD5) whenever the verifier has the body, even for an empty or form body,
/// whose signed `Content-MD5` line is empty. Without the body it is trusted.
#[test]
fn content_md5_header_on_an_empty_or_form_body_must_match_it() {
    let secret = Secret::from(SECRET);
    let signer = Signer::new(Mode::App, KEY_ID, &secret);
    let empty = Wire::new(
        "GET",
        "/release/v1/echo",
        &[("Accept", "application/json")],
        b"",
    )
    .signed(&signer, NOW);
    let form = Wire::new(
        "POST",
        "/release/v1/echo",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"a=1&b=2",
    )
    .signed(&signer, NOW);
    for (case, wire, body) in [
        ("empty body", empty, &b""[..]),
        ("form body", form, &b"a=1&b=2"[..]),
    ] {
        verify_app(&wire).unwrap_or_else(|e| panic!("{case}: {e}"));
        let right = wire.clone().with("Content-MD5", content_md5(body));
        verify_app(&right).unwrap_or_else(|e| panic!("{case} with its own Content-MD5: {e}"));
        let wrong = wire.with("Content-MD5", content_md5(b"something else"));
        assert_row(
            &format!("{case} with a wrong Content-MD5"),
            verify_app(&wrong),
            MISMATCH,
        );
    }
}

/// Not a row of the vendor's table: a request that cannot be canonicalized (the crate's
/// `InvalidRequest`, status 400 in both profiles).
#[test]
fn requests_that_cannot_be_canonicalized() {
    for (case, target, reason) in [
        (
            "broken percent escape",
            "/release/v1/echo?lang=%zz",
            RequestError::BrokenPercentEscape,
        ),
        (
            "invalid UTF-8",
            "/release/v1/echo?lang=%FF",
            RequestError::InvalidUtf8,
        ),
        (
            "not origin-form",
            "release/v1/echo",
            RequestError::InvalidTarget,
        ),
    ] {
        let err = assert_row(
            case,
            verify_app(&app().target(target)),
            Row {
                message: &format!("invalid request: {reason}"),
                code: "InvalidRequest",
                classic: 400,
                current: 400,
            },
        );
        assert_eq!(err, Error::InvalidRequest(reason), "{case}");
    }
}

/// The rows the verifier cannot produce yet (routing, usage plans): pinned on the variants.
#[test]
fn routing_and_usage_plan_rows() {
    let rows: Vec<(Error, &str, &str, u16)> = vec![
        (
            Error::NoUsagePlan,
            "Found no validate usage plan",
            "NoUsagePlan",
            403,
        ),
        (Error::HostNotFound, "Not Found Host", "HostNotFound", 404),
        (Error::HostUnusable, "Get Host Fail", "HostUnusable", 404),
        (
            Error::MethodNotSupported,
            "Could not support method",
            "MethodNotSupported",
            404,
        ),
        (
            Error::NoApiForHost {
                host: "service-x.gz.apigw.tencentcs.com".into(),
            },
            "There is no api match host[service-x.gz.apigw.tencentcs.com]",
            "NoApiForHost",
            404,
        ),
        (
            Error::NoEnvMapping {
                mapping: "v2".into(),
            },
            "There is no api match env_mapping[v2]",
            "NoEnvMapping",
            404,
        ),
        (
            Error::NoDefaultEnvMapping {
                mapping: "staging".into(),
            },
            "There is no api match default env_mapping[staging]",
            "NoDefaultEnvMapping",
            404,
        ),
        (
            Error::NoApiForUri {
                uri: "/v1/missing".into(),
            },
            "There is no api match uri[/v1/missing]",
            "NoApiForUri",
            404,
        ),
        (
            Error::NoApiForMethod {
                method: "PATCH".into(),
            },
            "There is no api match method[PATCH]",
            "NoApiForMethod",
            404,
        ),
        (
            Error::ProtocolNotAllowed {
                protocol: Protocol::Https,
            },
            "Not allow use HTTPS protocol",
            "ProtocolNotAllowed",
            404,
        ),
        (
            Error::ProtocolNotAllowed {
                protocol: Protocol::Http,
            },
            "Not allow use HTTP protocol",
            "ProtocolNotAllowed",
            404,
        ),
        (
            Error::CrossOrigin {
                uri: "/v1/users".into(),
            },
            "req is cross origin, api /v1/users need open cors flag on qcloud apigateway.",
            "CrossOrigin",
            429,
        ),
    ];
    for (err, message, code, status) in rows {
        assert_row(
            code,
            Err(err),
            Row {
                message,
                code,
                classic: status,
                current: status,
            },
        );
    }
}

#[test]
fn json_body_shape() {
    assert_eq!(
        Error::MissingAuthorization.json_body(),
        r#"{"message":"HMAC signature cannot be verified, a validate authorization header is required"}"#
    );
    // A listed name with a backslash comes back escaped, and the body stays valid JSON.
    let err = verify_app(&app().auth(|a| a.replace("source x-date", r"source x\y x-date")))
        .expect_err("x\\y is absent");
    assert_eq!(
        err.json_body(),
        r#"{"message":"HMAC signature cannot be verified, a valid x\\y header is required"}"#
    );
    assert_json_body("backslash", &err);
}

// ---------------------------------------------------------------------------------------------
// Check order: Authorization present → parses → id and signature present → algorithm allowed →
// a date header is signed → every listed header present → none repeated → the signed date
// parses → inside the window → key known → signature matches.

/// The defects of [`peeled`], in the spec's order; `peeled(k)` has those from `k` on.
const DEFECTS: usize = 11;

fn peeled(fixed: usize) -> (Wire, KeySet) {
    let has = |defect: usize| defect >= fixed;
    let base = app();
    let signature = signature_of(&base);
    let mut names = vec!["source"];
    if has(5) {
        names.push("x-custom");
    }
    if !has(4) {
        names.push("x-date");
    }
    let wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let mut value = authorization(
        (!has(2)).then_some(KEY_ID),
        if has(3) { "hmac-md5" } else { "hmac-sha1" },
        &names.join(" "),
        Some(if has(10) { wrong } else { signature.as_str() }),
    );
    if has(1) {
        value.push_str(" trailing");
    }
    let mut wire = if has(0) {
        base.without("authorization")
    } else {
        base.set("Authorization", &value)
    };
    if has(6) {
        wire = wire.with("Source", "error table");
    }
    if has(7) {
        wire = wire.set("X-Date", "not a date");
    } else if has(8) {
        wire = wire.set("X-Date", format_http_date(NOW - Duration::hours(1)));
    }
    let keys = if has(9) { KeySet::new() } else { keys() };
    (wire, keys)
}

#[test]
fn defects_come_out_one_at_a_time_in_the_spec_order() {
    let expected = [
        "MissingAuthorization",
        "MalformedAuthorization",
        "IdOrSignatureMissing",
        "AlgorithmNotSupported",
        "DateNotSigned",
        "MissingSignedHeader",
        "RepeatedHeader",
        "InvalidDate",
        "DateOutOfWindow",
        "KeyRejected",
        "SignatureMismatch",
    ];
    assert_eq!(expected.len(), DEFECTS);
    for (fixed, code) in expected.iter().enumerate() {
        let (wire, keys) = peeled(fixed);
        let result = wire.verify_with(Mode::App, &Verifier::default(), &keys, NOW);
        assert_eq!(
            result.as_ref().map_err(Error::code),
            Err(*code),
            "with defects {fixed}.. present: {result:?}"
        );
    }
    let (wire, keys) = peeled(DEFECTS);
    assert_eq!(
        wire.verify_with(Mode::App, &Verifier::default(), &keys, NOW),
        Ok(())
    );
}

#[track_caller]
fn assert_first(case: &str, result: Result<(), Error>, code: &str) {
    assert_eq!(
        result.as_ref().map_err(Error::code),
        Err(code),
        "{case}: {result:?}"
    );
}

#[test]
fn two_defects_yield_the_earlier_error() {
    let verifier = Verifier::default();
    let no_keys = KeySet::new();
    let bad_date = |w: Wire| w.set("X-Date", "not a date");
    let old_date = |w: Wire| w.set("X-Date", format_http_date(NOW - Duration::hours(1)));

    assert_first(
        "no Authorization AND bad date",
        verify_app(&bad_date(app().without("authorization"))),
        "MissingAuthorization",
    );
    assert_first(
        "malformed AND no id",
        verify_app(&app().auth(|a| {
            format!(
                "{} trailing",
                a.replacen(&format!("id=\"{KEY_ID}\", "), "", 1)
            )
        })),
        "MalformedAuthorization",
    );
    assert_first(
        "malformed AND unknown algorithm AND bad date",
        verify_app(&bad_date(
            app().auth(|a| format!("{},", a.replace("hmac-sha1", "hmac-md5"))),
        )),
        "MalformedAuthorization",
    );
    assert_first(
        "no id AND unknown algorithm",
        verify_app(&app().auth(|a| {
            a.replacen(&format!("id=\"{KEY_ID}\", "), "", 1)
                .replace("hmac-sha1", "hmac-md5")
        })),
        "IdOrSignatureMissing",
    );
    assert_first(
        "algorithm not allowed AND no date header signed",
        verify_app(&app().auth(|a| {
            a.replace("hmac-sha1", "hmac-md5")
                .replace("source x-date", "source")
        })),
        "AlgorithmNotSupported",
    );
    assert_first(
        "no date header signed AND listed header absent",
        verify_app(&app().auth(|a| a.replace("source x-date", "source x-custom"))),
        "DateNotSigned",
    );
    assert_first(
        "listed header absent AND signed header repeated",
        verify_app(
            &app()
                .with("Source", "again")
                .auth(|a| a.replace("source x-date", "source x-custom x-date")),
        ),
        "MissingSignedHeader",
    );
    assert_first(
        "listed header absent AND bad date",
        verify_app(&bad_date(app().without("source"))),
        "MissingSignedHeader",
    );
    assert_first(
        "signed header repeated AND bad date",
        verify_app(&bad_date(app().with("Source", "again"))),
        "RepeatedHeader",
    );
    assert_first(
        "bad date AND unknown key",
        bad_date(app()).verify_with(Mode::App, &verifier, &no_keys, NOW),
        "InvalidDate",
    );
    assert_first(
        "out of window AND unknown key",
        app().verify_with(Mode::App, &verifier, &no_keys, NOW + Duration::hours(1)),
        "DateOutOfWindow",
    );
    assert_first(
        "out of window AND signature mismatch",
        verify_app(&old_date(app())),
        "DateOutOfWindow",
    );
    assert_first(
        "unknown key AND signature mismatch",
        app()
            .body(b"{}")
            .verify_with(Mode::App, &verifier, &no_keys, NOW),
        "KeyRejected",
    );
    assert_first(
        "disabled key AND Content-MD5 disagreeing",
        {
            let mut disabled = keys();
            disabled.get_mut(KEY_ID).expect("key").set_enabled(false);
            app().set("Content-MD5", content_md5(b"{}")).verify_with(
                Mode::App,
                &verifier,
                &disabled,
                NOW,
            )
        },
        "KeyRejected",
    );
    // Key-pair mode keeps the same order.
    assert_first(
        "key pair: listed header absent AND bad date",
        verify_key_pair(&key_pair().without("source").set("Date", "nope")),
        "MissingSignedHeader",
    );
    assert_first(
        "key pair: bad date AND unknown key",
        key_pair()
            .set("Date", "nope")
            .verify_with(Mode::KeyPair, &verifier, &no_keys, NOW),
        "InvalidDate",
    );
    assert_first(
        "key pair: out of window AND unknown key",
        key_pair().verify_with(Mode::KeyPair, &verifier, &no_keys, NOW - Duration::hours(1)),
        "DateOutOfWindow",
    );
}

// ---------------------------------------------------------------------------------------------
// The opt-in server string to sign, and secrets

#[test]
fn mismatch_detail_shows_the_server_string_to_sign_with_hashes() {
    // The spec's documented request, signed with another secret than the verifier's.
    let secret = Secret::from("a secret the server does not have");
    let wire = Wire::new(
        "POST",
        "/",
        &[
            ("Accept", "application/json"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Source", "apigw test"),
        ],
        b"p=test",
    )
    .signed(&Signer::new(Mode::App, KEY_ID, &secret), NOW);
    let mut policy = Policy::default();
    policy.mismatch_detail = MismatchDetail::ServerStringToSign;
    let err = wire
        .verify_with(Mode::App, &Verifier::new(policy), &keys(), NOW)
        .expect_err("signed with another secret");
    let expected = "HMAC signature does not match, Server StringToSign:source: apigw test#\
                    x-date: Thu, 11 Mar 2021 08:29:58 GMT#POST#application/json#\
                    application/x-www-form-urlencoded##/?p=test";
    let err = assert_row(
        "mismatch with detail",
        Err(err),
        auth_row(expected, "SignatureMismatch"),
    );
    assert_eq!(
        err,
        Error::SignatureMismatch {
            server_string_to_sign: Some(
                expected
                    .split_once("StringToSign:")
                    .expect("prefix")
                    .1
                    .to_owned()
            )
        }
    );
    assert_no_secret("mismatch with detail", &err, &wire, Mode::App);
    // Off by default.
    assert_row(
        "mismatch without detail",
        wire.verify_with(Mode::App, &Verifier::default(), &keys(), NOW),
        MISMATCH,
    );
}

/// The HMAC the server expects for `wire` (base64 and hex), when it has a string to sign.
fn expected_macs(wire: &Wire, mode: Mode) -> Vec<String> {
    let Some(string_to_sign) = wire.explain(mode) else {
        return Vec::new();
    };
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(string_to_sign.as_bytes());
    let tag = mac.finalize().into_bytes();
    vec![
        base64::engine::general_purpose::STANDARD.encode(tag),
        tag.iter().map(|b| format!("{b:02x}")).collect(),
    ]
}

#[track_caller]
fn assert_no_secret(case: &str, err: &Error, wire: &Wire, mode: Mode) {
    let mut forbidden = vec![SECRET.to_owned()];
    forbidden.extend(expected_macs(wire, mode));
    for shown in [err.to_string(), format!("{err:?}"), err.json_body()] {
        for secret in &forbidden {
            assert!(
                !shown.contains(secret.as_str()),
                "{case}: {shown:?} shows {secret:?}"
            );
        }
    }
}

#[test]
fn no_error_shows_the_secret_or_the_expected_mac() {
    let mut detailed = Policy::default();
    detailed.mismatch_detail = MismatchDetail::ServerStringToSign;
    let detailed = Verifier::new(detailed);
    let mut other_secret = KeySet::new();
    other_secret.insert(KEY_ID, "another-secret");
    let cases: Vec<(&str, Wire, Mode)> = vec![
        ("body changed", app().body(b"{}"), Mode::App),
        (
            "Content-MD5 wrong",
            app().set("Content-MD5", content_md5(b"{}")),
            Mode::App,
        ),
        ("source changed", app().set("Source", "x"), Mode::App),
        ("bad date", app().set("X-Date", "nope"), Mode::App),
        (
            "no authorization",
            app().without("authorization"),
            Mode::App,
        ),
        (
            "key pair source changed",
            key_pair().set("Source", "x"),
            Mode::KeyPair,
        ),
    ];
    for (case, wire, mode) in cases {
        for verifier in [&Verifier::default(), &detailed] {
            for at in [NOW, NOW + Duration::hours(1)] {
                let err = wire
                    .verify_with(mode, verifier, &keys(), at)
                    .expect_err(case);
                assert_no_secret(case, &err, &wire, mode);
            }
        }
        let err = wire
            .verify_with(mode, &detailed, &other_secret, NOW)
            .expect_err(case);
        assert_no_secret(case, &err, &wire, mode);
    }
    // The secret type itself never shows its bytes.
    assert!(!format!("{:?}", Secret::from(SECRET)).contains(SECRET));
    assert!(!format!("{:?}", keys()).contains(SECRET));
}
