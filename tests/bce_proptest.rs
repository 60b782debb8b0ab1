//! Property tests for the BCE `bce-auth-v1` scheme.
//!
//! - Round trip: for arbitrary requests (unicode, spaces and `~ * + / = & %` in path segments,
//!   query keys and values, sent in wire form through [`encode_path`] / [`encode_component`];
//!   bare keys and empty values; `x-bce-*` headers with surrounding whitespace; the default or
//!   an explicit header list; an optional stage), a signature in each of the three carriers
//!   (`Authorization`, `X-Bce-Signature`, the `authorization` query parameter) verifies, and the
//!   verifier rebuilds the signer's canonical request.
//! - Tampering: changing the method, the path, a query parameter or a signed header after
//!   signing is a `SignatureMismatch`; moving the auth string's timestamp is a mismatch while
//!   it stays in bounds, and `RequestTimeTooSkewed` / `SignatureTimestampExpired` once it does
//!   not; moving the verifier's clock gives the same two codes exactly outside the bounds.
//!   Every change is made to the raw values before encoding, so it survives decoding.
//! - Never panic: [`AuthString::parse`] on arbitrary strings and on mutations of valid ones
//!   (a successful parse round-trips through `Display`), and [`Verifier::verify`] on arbitrary
//!   and on mutated signed requests.

mod common;

use apigw_sign::bce::{
    AuthString, Carrier, Carriers, MismatchDetail, Policy, Signer, Stage, Verifier,
};
use apigw_sign::encoding::{encode_component, encode_path};
use apigw_sign::{format_iso8601, Error, KeySet, Secret};
use common::request::Wire;
use common::strategies::{
    self, apply, byte_inserts, edit, fail, mutate, mutated, other_method, parser_input, METHODS,
};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use time::{Duration, OffsetDateTime};

const AK: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SECRET: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const APP_CODE: &str = "appcode-proptest";
const CASES: u32 = 1000;
const MAX_SKEW: i64 = 300;
const CARRIERS: [Carrier; 3] = [
    Carrier::Authorization,
    Carrier::XBceSignature,
    Carrier::Query,
];

// ---------------------------------------------------------------------------------------------
// Arbitrary requests

const SPECIAL: &[char] = &[
    '~', '*', '+', '/', '=', '&', '%', ' ', ' ', '中', '文', 'é', '😀', 'a', 'Z', '0', '-', '_',
    '.', '?', '#', ';', ':', '\'',
];
const HOSTS: &[&str] = &[
    "bj.bcebos.com",
    "gw.example.com:8443",
    "127.0.0.1",
    "默认.example",
];
/// Optional headers besides `Host`: the rest of the default set, `x-bce-*` ones (always
/// signed), and unsigned ones.
const OPTIONAL: &[&str] = &[
    "Content-Type",
    "Content-Length",
    "Content-MD5",
    "x-bce-meta-a",
    "X-Bce-Meta-A-B",
    "X-BCE-ACL",
    "Accept",
    "X-Other",
];
const STAGES: [Stage; 3] = [Stage::Release, Stage::PreOnline, Stage::Test];
/// Header names that matter to the verifier (arbitrary requests draw from them).
const HEADER_NAMES: &[&str] = &[
    "Host",
    "x-bce-date",
    "X-Bce-Stage",
    "Content-Type",
    "Content-Length",
    "Content-MD5",
    "x-bce-meta-a",
    "Accept",
];
/// Header values that matter to the verifier.
const HEADER_SAMPLES: &[&str] = &[
    "release",
    "test",
    "pre-online",
    "prod",
    " test ",
    "",
    "AppCode/",
];

/// Text for path segments, keys and values.
fn text() -> impl Strategy<Value = String> {
    strategies::text(SPECIAL, "[ a-zA-Z\u{4e00}-\u{4e0f}é~]{1,8}")
}

/// Keys: often from a small pool, so that keys repeat; never the `authorization` carrier.
fn key() -> impl Strategy<Value = String> {
    strategies::key(&["a", "b", "A", "中", "~", "a b"], text()).prop_map(|k| {
        if k.eq_ignore_ascii_case("authorization") {
            format!("{k}_")
        } else {
            k
        }
    })
}

/// A header value: no CR, LF or NUL (which no header can carry); often with spaces or tabs
/// around it.
fn header_value() -> impl Strategy<Value = String> {
    (
        select(vec!["", " ", "  ", "\t", " \t "]),
        strategies::header_value(SPECIAL),
        select(vec!["", " ", "\t", "  "]),
    )
        .prop_map(|(before, core, after)| format!("{before}{core}{after}"))
}

/// One request to sign, as raw parts.
#[derive(Clone, Debug)]
struct Case {
    time: OffsetDateTime,
    expiration: u64,
    method: String,
    path: Vec<String>,
    /// Whether each segment is encoded on its own (a `/` inside becomes `%2F`) rather than the
    /// whole path with its slashes kept.
    per_segment: bool,
    trailing_slash: bool,
    /// A `None` value is a bare key (`k`, no `=`).
    query: Vec<(String, Option<String>)>,
    host: String,
    optional: Vec<(&'static str, String)>,
    /// Seconds before `time` of an `x-bce-date` the request already has.
    x_bce_date: Option<i64>,
    /// An explicit list (with `host`), or the default set.
    listed: Option<Vec<String>>,
    stage: Option<Stage>,
}

/// What a property needs the case to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    Nothing,
    Query,
}

fn case(need: Need) -> impl Strategy<Value = Case> {
    let head = (
        // 2000 to 2100.
        (946_684_800i64..4_102_444_800)
            .prop_map(|t| OffsetDateTime::from_unix_timestamp(t).expect("a representable time")),
        prop_oneof![
            1 => Just(0u64),
            6 => 1u64..=3600,
            2 => 3601u64..=129_600,
        ],
        select(METHODS),
    );
    let path = (
        prop::collection::vec(text(), 0..4),
        any::<bool>(),
        any::<bool>(),
    );
    let query = prop::collection::vec(
        (key(), prop::option::weighted(0.8, text())),
        usize::from(need == Need::Query)..6,
    );
    let headers = (
        select(HOSTS),
        prop::collection::vec(prop::option::of(header_value()), OPTIONAL.len()),
        prop::option::weighted(0.3, 0i64..100_000),
        prop::option::weighted(0.5, prop::collection::vec(any::<bool>(), OPTIONAL.len())),
        prop::option::weighted(0.3, select(STAGES.to_vec())),
    );
    (head, path, query, headers).prop_map(
        |(
            (time, expiration, method),
            (path, per_segment, trailing_slash),
            query,
            (host, values, x_bce_date, listing, stage),
        )| {
            let optional: Vec<(&'static str, String)> = OPTIONAL
                .iter()
                .zip(values)
                .filter_map(|(name, v)| v.map(|v| (*name, v)))
                .collect();
            let listed = listing.map(|pick| {
                let mut names = vec!["host".to_owned()];
                for ((name, _), take) in optional.iter().zip(pick) {
                    if take {
                        names.push(name.to_ascii_lowercase());
                    }
                }
                names
            });
            Case {
                time,
                expiration,
                method: method.to_owned(),
                path,
                per_segment,
                trailing_slash,
                query,
                host: host.to_owned(),
                optional,
                x_bce_date,
                listed,
                stage,
            }
        },
    )
}

impl Case {
    /// The origin-form target as sent: every piece percent-encoded.
    fn target(&self) -> String {
        let mut target = String::new();
        for segment in &self.path {
            target.push('/');
            if self.per_segment {
                target.push_str(&encode_component(segment).to_string());
            } else {
                target.push_str(&encode_path(segment).to_string());
            }
        }
        if self.trailing_slash || target.is_empty() {
            target.push('/');
        }
        for (i, (key, value)) in self.query.iter().enumerate() {
            target.push(if i == 0 { '?' } else { '&' });
            target.push_str(&encode_component(key).to_string());
            if let Some(value) = value {
                target.push('=');
                target.push_str(&encode_component(value).to_string());
            }
        }
        target
    }

    /// The request as sent, unsigned.
    fn unsigned(&self) -> Wire {
        Wire::bare(&self.method, &self.target()).with_all(self.headers())
    }

    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![("Host".to_owned(), self.host.clone())];
        headers.extend(
            self.optional
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.clone())),
        );
        if let Some(before) = self.x_bce_date {
            let date = format_iso8601(self.time - Duration::seconds(before));
            headers.push(("x-bce-date".to_owned(), date));
        }
        headers
    }
}

// ---------------------------------------------------------------------------------------------
// Signing and the wire

/// A signed case: the auth string, the headers the signer added (`x-bce-date`, `X-Bce-Stage`),
/// the presigned target, and the signer's canonical request.
#[derive(Clone, Debug)]
struct Signed {
    carrier: Carrier,
    auth: String,
    added: Vec<(String, String)>,
    presigned: Option<String>,
    canonical: String,
}

fn sign(case: &Case, carrier: Carrier) -> Result<Signed, TestCaseError> {
    let unsigned = case.unsigned();
    let headers = unsigned.view();
    let request = unsigned.request(&headers);
    let secret = Secret::from(SECRET);
    let listed: Option<Vec<&str>> = case
        .listed
        .as_ref()
        .map(|l| l.iter().map(String::as_str).collect());
    let mut signer = Signer::new(AK, &secret)
        .expiration(case.expiration)
        .carrier(carrier);
    if let Some(listed) = &listed {
        signer = signer.sign_headers(listed);
    }
    if let Some(stage) = case.stage {
        signer = signer.stage(stage);
    }
    let signature = signer
        .sign(&request, case.time)
        .map_err(|e| fail("sign", e))?;
    let canonical = signer
        .explain(&request, case.time)
        .map_err(|e| fail("explain", e))?;
    let added = signature
        .headers()
        .filter(|(n, _)| {
            !n.eq_ignore_ascii_case("authorization") && !n.eq_ignore_ascii_case("x-bce-signature")
        })
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    Ok(Signed {
        carrier,
        auth: signature.auth_string().to_owned(),
        added,
        presigned: signature.target().map(str::to_owned),
        canonical,
    })
}

/// `case` as sent with `signed`'s added headers and `auth` in `signed`'s carrier.
fn send(case: &Case, signed: &Signed, auth: &str) -> Wire {
    case.unsigned()
        .with_all(signed.added.iter().map(|(n, v)| (n, v)))
        .carry(signed.carrier, auth)
}

fn keys() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(AK, SECRET);
    keys
}

/// The BCE side of the shared owned request.
impl Wire {
    fn verify_with(
        &self,
        verifier: &Verifier,
        keys: &KeySet,
        now: OffsetDateTime,
    ) -> Result<(String, Stage, Carrier), Error> {
        self.with_request(|request| {
            verifier
                .verify(request, keys, now)
                .map(|v| (v.key_id().to_owned(), v.stage(), v.carrier()))
        })
    }

    fn verify_at(&self, now: OffsetDateTime) -> Result<(String, Stage, Carrier), Error> {
        self.verify_with(&Verifier::default(), &keys(), now)
    }

    fn explain(&self) -> Result<String, Error> {
        self.with_request(|request| Verifier::default().explain(request))
    }
}

#[track_caller]
fn expect_mismatch(
    what: &str,
    result: Result<(String, Stage, Carrier), Error>,
) -> Result<(), TestCaseError> {
    match result {
        Err(Error::BceSignatureMismatch {
            server_canonical_request: None,
        }) => Ok(()),
        other => Err(TestCaseError::fail(format!(
            "{what}: expected SignatureMismatch, got {other:?}"
        ))),
    }
}

/// The outcome the spec gives a signature with `timestamp` and `expiration` at `now` (the
/// request's `x-bce-date`, if any, is never ahead of the original signing time).
fn expected_time_outcome(timestamp: i64, expiration: u64, now: i64) -> &'static str {
    if timestamp > now + MAX_SKEW {
        "RequestTimeTooSkewed"
    } else if now > timestamp + i64::try_from(expiration).expect("small") {
        "SignatureTimestampExpired"
    } else {
        "Ok"
    }
}

// ---------------------------------------------------------------------------------------------
// Round trip

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn verify_accepts_what_sign_signs_in_every_carrier(case in case(Need::Nothing)) {
        for carrier in CARRIERS {
            let signed = sign(&case, carrier)?;
            let wire = send(&case, &signed, &signed.auth);
            if carrier == Carrier::Query {
                prop_assert_eq!(signed.presigned.as_deref(), Some(wire.target.as_str()));
            } else {
                prop_assert_eq!(signed.presigned.as_deref(), None);
            }
            let stage = case.stage.unwrap_or(Stage::Release);
            let verified = wire.verify_at(case.time);
            prop_assert_eq!(
                &verified,
                &Ok((AK.to_owned(), stage, carrier)),
                "{:?}: wire {:?}", carrier, wire
            );
            // The signer and the verifier build the same canonical request.
            prop_assert_eq!(wire.explain().ok(), Some(signed.canonical.clone()));
            // The bounds hold to the second.
            let exp = i64::try_from(case.expiration).expect("small");
            prop_assert!(wire.verify_at(case.time + Duration::seconds(exp)).is_ok());
            prop_assert!(wire.verify_at(case.time - Duration::seconds(MAX_SKEW)).is_ok());
            // The wire carries only what the encoders wrote.
            prop_assert!(wire.target.bytes().all(|b| b.is_ascii_graphic()));
            // The auth string parses back to what the signer wrote.
            let parsed = AuthString::parse(&signed.auth).map_err(|e| fail("parse", e))?;
            prop_assert_eq!(parsed.access_key_id, AK);
            prop_assert_eq!(parsed.expiration, case.expiration);
            prop_assert_eq!(parsed.timestamp, format_iso8601(case.time));
            prop_assert!(parsed.signed_header_names().any(|n| n == "host"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tampering

fn carrier() -> impl Strategy<Value = Carrier> {
    select(CARRIERS.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn a_changed_method_is_a_mismatch(
        case in case(Need::Nothing),
        carrier in carrier(),
        new in select(METHODS),
    ) {
        let signed = sign(&case, carrier)?;
        let mut tampered = case.clone();
        tampered.method = other_method(&case.method, new);
        expect_mismatch("method", send(&tampered, &signed, &signed.auth).verify_at(case.time))?;
    }

    #[test]
    fn a_changed_path_is_a_mismatch(
        case in case(Need::Nothing),
        carrier in carrier(),
        append in "[A-Z中 %+~*=&]",
        segment in any::<Index>(),
    ) {
        let signed = sign(&case, carrier)?;
        let mut tampered = case.clone();
        if tampered.path.is_empty() {
            tampered.path.push(append);
        } else {
            let i = segment.index(tampered.path.len());
            tampered.path[i].push_str(&append);
        }
        expect_mismatch("path", send(&tampered, &signed, &signed.auth).verify_at(case.time))?;
    }

    #[test]
    fn a_changed_query_parameter_is_a_mismatch(
        case in case(Need::Query),
        carrier in carrier(),
        which in any::<Index>(),
        how in 0..4u8,
        extra in "[a-z中 +&=%~*/]{1,3}",
    ) {
        let signed = sign(&case, carrier)?;
        let mut tampered = case.clone();
        let i = which.index(tampered.query.len());
        match how {
            // A longer value or key, or one parameter more or fewer: each changes the multiset
            // of canonical `key=value` strings.
            0 => {
                let value = tampered.query[i].1.get_or_insert_with(String::new);
                value.push_str(&extra);
            }
            1 => tampered.query[i].0.push_str(&extra),
            // An empty item (`a&&b`) carries no parameter: removing it is no change, so give
            // it a key instead.
            2 if tampered.query[i] == (String::new(), None) => tampered.query[i].0 = extra,
            2 => { tampered.query.remove(i); }
            _ => tampered.query.insert(i, (extra.clone(), None)),
        }
        expect_mismatch("query", send(&tampered, &signed, &signed.auth).verify_at(case.time))?;
    }

    #[test]
    fn a_changed_signed_header_is_a_mismatch(
        case in case(Need::Nothing),
        carrier in carrier(),
        which in any::<Index>(),
        extra in "[a-z中 +/:]{0,3}[a-z中+/:]",
    ) {
        let signed = sign(&case, carrier)?;
        let mut tampered = case.clone();
        // Host and every header the signature covers but the time and the stage: the list the
        // signer wrote (the headers it signed: blank ones are left out of it), and every
        // x-bce-* header, which is signed whatever the list (and so is a blank one that
        // becomes non-blank).
        let auth = AuthString::parse(&signed.auth).map_err(|e| fail("parse", e))?;
        let written: Vec<&str> = auth.signed_header_names().collect();
        let covered = |name: &str| {
            let lower = name.to_ascii_lowercase();
            lower.starts_with("x-bce-") || written.contains(&lower.as_str())
        };
        let mut targets: Vec<&mut String> = vec![&mut tampered.host];
        targets.extend(
            tampered
                .optional
                .iter_mut()
                .filter(|(n, _)| covered(n))
                .map(|(_, v)| v),
        );
        let n = targets.len();
        // Appending a character that is not whitespace changes the value even after trimming
        // (and brings a blank, left-out header into the signature).
        targets[which.index(n)].push_str(&extra);
        expect_mismatch(
            "signed header",
            send(&tampered, &signed, &signed.auth).verify_at(case.time),
        )?;
    }

    #[test]
    fn an_unsigned_header_may_change(
        case in case(Need::Nothing),
        carrier in carrier(),
        value in header_value(),
    ) {
        let signed = sign(&case, carrier)?;
        let wire = send(&case, &signed, &signed.auth)
            .with("X-Unsigned", &value)
            .with("Date", &value);
        prop_assert!(wire.verify_at(case.time).is_ok());
    }

    #[test]
    fn a_moved_timestamp_is_a_mismatch_or_out_of_bounds(
        case in case(Need::Nothing),
        carrier in carrier(),
        secs in prop_oneof![
            -400i64..=-1,
            1i64..=400,
            -300_000i64..=-1,
            1i64..=300_000,
        ],
    ) {
        let signed = sign(&case, carrier)?;
        let moved = case.time + Duration::seconds(secs);
        let mut fields: Vec<&str> = signed.auth.split('/').collect();
        let timestamp = format_iso8601(moved);
        fields[2] = &timestamp;
        let auth = fields.join("/");
        let result = send(&case, &signed, &auth).verify_at(case.time);
        let expected = expected_time_outcome(
            moved.unix_timestamp(),
            case.expiration,
            case.time.unix_timestamp(),
        );
        match (&result, expected) {
            (Err(Error::BceSignatureMismatch { .. }), "Ok") => {}
            (Err(Error::BceRequestTimeTooSkewed { timestamp, now }), "RequestTimeTooSkewed")
                if *timestamp == moved && *now == case.time => {}
            (
                Err(Error::BceSignatureTimestampExpired { timestamp, expiration, now }),
                "SignatureTimestampExpired",
            ) if *timestamp == moved && *expiration == case.expiration && *now == case.time => {}
            _ => prop_assert!(
                false,
                "timestamp moved {:+} s: expected {}, got {:?}",
                secs,
                if expected == "Ok" { "SignatureMismatch" } else { expected },
                result
            ),
        }
    }

    #[test]
    fn a_moved_clock_fails_exactly_out_of_bounds(
        case in case(Need::Nothing),
        carrier in carrier(),
        secs in prop_oneof![
            -400i64..=400,
            -200_000i64..=200_000,
            Just(-MAX_SKEW - 1),
        ],
    ) {
        let signed = sign(&case, carrier)?;
        let now = case.time + Duration::seconds(secs);
        let result = send(&case, &signed, &signed.auth).verify_at(now);
        let expected = expected_time_outcome(
            case.time.unix_timestamp(),
            case.expiration,
            now.unix_timestamp(),
        );
        let got = match &result {
            Ok(_) => "Ok",
            Err(e) => e.code(),
        };
        prop_assert_eq!(got, expected, "clock moved {:+} s: {:?}", secs, result);
    }
}

// ---------------------------------------------------------------------------------------------
// Never panic

/// Characters an auth string parser cares about, plus some it should not.
const AUTH_CHARS: &[char] = &[
    'b', 'c', 'e', '-', 'a', 'u', 't', 'h', 'v', '1', '/', ';', ':', 'T', 'Z', '0', '9', 'f', ' ',
    '\t', '\u{1}', '\u{7f}', '中', '%', '=',
];

/// A plausible auth string: mostly the right shape, random contents.
fn plausible_auth_string() -> impl Strategy<Value = String> {
    let version = prop_oneof![
        6 => Just("bce-auth-v1".to_owned()),
        1 => select(vec!["bce-auth-v2", "BCE-AUTH-V1", "", "bce-auth-v1 "]).prop_map(String::from),
    ];
    let id = prop_oneof![
        4 => Just(AK.to_owned()),
        1 => "[A-Za-z0-9]{0,8}",
        1 => "\\PC{0,4}",
    ];
    let timestamp = prop_oneof![
        4 => (0i64..4_102_444_800).prop_map(|t| format_iso8601(
            OffsetDateTime::from_unix_timestamp(t).expect("representable")
        )),
        1 => "[0-9T:Z-]{0,22}",
        1 => select(vec!["2015-13-45T99:99:99Z", "abc", "", "9999-12-31T23:59:59Z"])
            .prop_map(String::from),
    ];
    let expiration = prop_oneof![
        4 => (0u64..200_000).prop_map(|e| e.to_string()),
        1 => "[0-9]{0,25}",
        1 => "[-+. a-z0-9]{0,5}",
    ];
    let names = prop_oneof![
        2 => Just(String::new()),
        4 => prop::collection::vec(
            prop_oneof![
                4 => select(vec![
                    "host", "content-type", "content-length", "content-md5", "x-bce-date",
                    "x-bce-meta-a", "x-bce-signature", "authorization", "Host",
                ])
                .prop_map(String::from),
                1 => "[!-~]{0,6}",
            ],
            1..5,
        )
        .prop_map(|n| n.join(";")),
    ];
    let signature = prop_oneof![
        4 => "[0-9a-f]{64}",
        1 => "[0-9a-fA-F]{60,68}",
        1 => "\\PC{0,8}",
    ];
    let extra = prop_oneof![
        8 => Just(String::new()),
        1 => select(vec!["/", "/x", "//"]).prop_map(String::from),
    ];
    (version, id, timestamp, expiration, names, signature, extra).prop_map(
        |(version, id, timestamp, expiration, names, signature, extra)| {
            format!("{version}/{id}/{timestamp}/{expiration}/{names}/{signature}{extra}")
        },
    )
}

/// A successful parse is the text it came from, field for field: `Display` gives the text
/// back and parsing that gives the same fields.
fn check_parse(value: &str) -> Result<(), TestCaseError> {
    if let Ok(parsed) = AuthString::parse(value) {
        let again = parsed.to_string();
        prop_assert_eq!(&again, value);
        prop_assert_eq!(AuthString::parse(&again), Ok(parsed));
        prop_assert_eq!(
            parsed.prefix_len() + parsed.signed_headers.len() + 66,
            value.len()
        );
    }
    Ok(())
}

const GOOD_AUTH_STRING: &str = "bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2015-04-27T08:23:49Z/\
    1800/content-length;content-md5;content-type;host;x-bce-date/\
    d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES * 3))]

    #[test]
    fn auth_string_parse_never_panics_on_arbitrary_strings(
        value in parser_input(AUTH_CHARS, plausible_auth_string()),
    ) {
        check_parse(&value)?;
    }

    #[test]
    fn auth_string_parse_never_panics_on_mutations(
        value in mutated(GOOD_AUTH_STRING, plausible_auth_string(), AUTH_CHARS),
    ) {
        check_parse(&value)?;
    }
}

fn now() -> OffsetDateTime {
    time::macros::datetime!(2015-04-27 08:23:49 UTC)
}

/// Header names: the ones that matter, and anything. (A repeated carrier is rare, as it stops
/// verification at once.)
fn header_name() -> impl Strategy<Value = String> {
    strategies::header_name(HEADER_NAMES, &["Authorization", "X-Bce-Signature"], 2)
}

/// Header values: anything, and dates near [`now`] and values that matter.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    strategies::header_bytes(now(), format_iso8601, HEADER_SAMPLES)
}

fn arbitrary_wire() -> impl Strategy<Value = Wire> {
    let method = strategies::method();
    let target = prop_oneof![
        "/([a-z=&+?/#中 ~*]|%[0-9A-Fa-fG]{0,2}){0,30}",
        "/([a-zA-Z=&]|%[0-9A-Fa-f]{2}){0,20}(&authorization=[a-z0-9%/-]{0,20}){0,2}",
        ".{0,20}",
    ];
    let headers = prop::collection::vec((header_name(), header_bytes()), 0..8);
    let auth = prop::option::weighted(
        0.9,
        (
            prop_oneof![
                4 => plausible_auth_string().prop_map(String::into_bytes),
                1 => Just(format!("AppCode/{APP_CODE}").into_bytes()),
                1 => prop::collection::vec(any::<u8>(), 0..60),
            ],
            select(vec!["Authorization", "X-Bce-Signature", "?authorization"]),
        ),
    );
    (method, target, headers, auth).prop_map(|(method, target, headers, auth)| {
        let wire = Wire {
            method,
            target,
            headers,
            body: Vec::new(),
        };
        match auth {
            Some((value, "?authorization")) => {
                wire.carry(Carrier::Query, &String::from_utf8_lossy(&value))
            }
            Some((value, carrier)) => wire.with(carrier, value),
            None => wire,
        }
    })
}

/// Runs every entry point on `wire` under several policies; only a panic fails.
fn exercise(wire: &Wire, at: OffsetDateTime) {
    let mut keys = keys();
    keys.insert(APP_CODE, "unused");
    let headers = wire.view();
    let request = wire.request(&headers);
    let mut detailed = Policy::default();
    detailed.mismatch_detail = MismatchDetail::ServerCanonicalRequest;
    let mut app_code = Policy::default();
    app_code.carriers = Carriers::SIGNATURES.with(Carrier::AppCode);
    let mut only_app_code = Policy::default();
    only_app_code.carriers = Carriers::only(Carrier::AppCode);
    for policy in [Policy::default(), detailed, app_code, only_app_code] {
        let verifier = Verifier::new(policy);
        match verifier.verify(&request, &keys, at) {
            Ok(verified) => {
                let _ = format!("{verified:?}");
            }
            Err(e) => {
                let _ = (
                    e.to_string(),
                    e.json_body_with_request_id("req-1"),
                    e.code(),
                    e.status(apigw_sign::StatusProfile::Classic),
                    format!("{e:?}"),
                );
            }
        }
        let _ = verifier.explain(&request);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES * 2))]

    #[test]
    fn verify_never_panics_on_arbitrary_requests(
        wire in arbitrary_wire(),
        skew in prop_oneof![-1000i64..1000, any::<i32>().prop_map(i64::from)],
    ) {
        exercise(&wire, now() + Duration::seconds(skew));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn verify_never_panics_on_mutated_signed_requests(
        case in case(Need::Nothing),
        carrier in carrier(),
        target_edits in prop::collection::vec(edit(AUTH_CHARS), 0..3),
        auth_edits in prop::collection::vec(edit(AUTH_CHARS), 0..3),
        header in any::<Index>(),
        header_edits in byte_inserts(),
        skew in prop_oneof![-1000i64..1000, any::<i32>().prop_map(i64::from)],
    ) {
        let signed = sign(&case, carrier)?;
        let mut wire = send(&case, &signed, &apply(&signed.auth, &auth_edits));
        mutate(&mut wire, &target_edits, header, &header_edits);
        exercise(&wire, case.time + Duration::seconds(skew));
    }
}
