//! Property tests for the Tencent scheme.
//!
//! - Round trip: for arbitrary requests (unicode and spaces in the path, keys and values;
//!   `+ & = % / ? #` in values; empty values; repeated keys; form and JSON bodies), in both
//!   modes and with all four algorithms, `verify(sign_parts(r))` accepts, and the verifier
//!   rebuilds the signer's string to sign.
//! - Tampering: changing any signed part after signing is rejected with the right error (a
//!   mismatch, or `DateOutOfWindow` for a date moved outside the window), while in key-pair mode
//!   the parts it does not sign (method, path, parameters, body) may change freely. Every change
//!   is a semantic one: it is made to the raw values before encoding, so it survives decoding.
//! - Never panic: `Authorization::parse` on arbitrary strings and on mutations of valid headers,
//!   and `Verifier::verify` on arbitrary and on mutated signed requests.

mod common;

use apigw_sign::tencent::{
    Authorization, Body, DateHeader, MismatchDetail, Mode, Parts, PathForm, PathForms, Policy,
    Signer, Verifier,
};
use apigw_sign::{
    format_http_date, Algorithm, AlgorithmSet, Error, Header, KeySet, Request, Secret,
};
use common::request::Wire;
use common::strategies::{
    self, byte_inserts, edit, fail, insert_bytes, mutate, mutated, other_method, parser_input,
    METHODS,
};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use time::{Duration, OffsetDateTime};

const KEY_ID: &str = "AKIDproptest";
const SECRET: &str = "proptest-secret";
const CASES: u32 = 1000;

// ---------------------------------------------------------------------------------------------
// Arbitrary requests

const SPECIAL: &[char] = &[
    '+', '&', '=', '%', '/', '?', '#', ' ', ' ', '中', '文', 'é', '😀', 'a', 'Z', '0', '~', '.',
    '-', '_', '\t', ';', '"', '\\',
];
const ENVIRONMENTS: &[&str] = &["release", "prepub", "test"];
const CUSTOM: &[&str] = &["X-A", "X-Trace-Id", "x-lower"];
/// Header names that matter to the verifier (arbitrary requests draw from them).
const HEADER_NAMES: &[&str] = &[
    "X-Date",
    "Date",
    "Source",
    "Accept",
    "Content-Type",
    "Content-MD5",
    "x-custom",
];
/// Header values that matter to the verifier.
const HEADER_SAMPLES: &[&str] = &[
    "application/x-www-form-urlencoded",
    "application/json",
    "Thursday, 11-Mar-21 08:29:58 GMT",
    "Thu Mar 11 08:29:58 2021",
];

/// Text for path segments, keys and values.
fn text() -> impl Strategy<Value = String> {
    strategies::text(SPECIAL, "[ a-zA-Z\u{4e00}-\u{4e0f}é]{1,8}")
}

/// Keys: often from a small pool, so that keys repeat.
fn key() -> impl Strategy<Value = String> {
    strategies::key(&["a", "b", "q", "中"], text())
}

fn pairs(min: usize, max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((key(), text()), min..max)
}

/// A header value: no CR, LF or NUL (which no header can carry); spaces around are allowed.
fn header_value() -> impl Strategy<Value = String> {
    strategies::header_value(SPECIAL)
}

#[derive(Clone, Debug)]
enum BodyCase {
    Empty,
    Form(Vec<(String, String)>),
    Json(Vec<u8>),
}

/// One request to sign, as raw parts.
#[derive(Clone, Debug)]
struct Case {
    mode: Mode,
    algorithm: Algorithm,
    date_header: DateHeader,
    path_form: PathForm,
    time: OffsetDateTime,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    source: Option<(String, bool)>,
    accept: Option<String>,
    content_type: Option<String>,
    custom: Vec<(&'static str, String, bool)>,
    body: BodyCase,
}

/// What a property needs the case to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    Nothing,
    Query,
    FormParam,
    SignedHeader,
    JsonBody,
}

fn body(need: Need) -> BoxedStrategy<(BodyCase, Option<String>)> {
    let form_type = select(vec![
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "Application/X-WWW-Form-URLencoded",
    ])
    .prop_map(|t| Some(t.to_owned()));
    let json = (
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            "\\{(\"[a-z 中]{0,4}\":\"[a-z +&=%中]{0,6}\",?){0,3}\\}".prop_map(String::into_bytes),
        ],
        prop::option::of(select(vec![
            "application/json",
            "application/json; charset=utf-8",
            "text/plain",
        ])),
    )
        .prop_map(|(b, t)| (BodyCase::Json(b), t.map(str::to_owned)));
    let form = (pairs(usize::from(need == Need::FormParam), 5), form_type)
        .prop_map(|(p, t)| (BodyCase::Form(p), t));
    match need {
        Need::FormParam => form.boxed(),
        Need::JsonBody => json.boxed(),
        _ => prop_oneof![
            prop::option::of(select(vec![
                "text/plain",
                "application/json",
                "application/x-www-form-urlencoded",
            ]))
            .prop_map(|t| (BodyCase::Empty, t.map(str::to_owned))),
            form,
            json,
        ]
        .boxed(),
    }
}

fn case(need: Need) -> impl Strategy<Value = Case> {
    let head = (
        select(vec![Mode::App, Mode::KeyPair]),
        select(Algorithm::ALL.to_vec()),
        (
            any::<bool>(),
            select(vec![PathForm::Decoded, PathForm::AsSent]),
        ),
        // 1970 to 2100: the signer writes any of these as an IMF-fixdate.
        (0i64..4_102_444_800)
            .prop_map(|t| OffsetDateTime::from_unix_timestamp(t).expect("a representable time")),
        select(METHODS),
    );
    let path = (
        prop::option::of(select(ENVIRONMENTS)),
        prop::collection::vec(text(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(env, segments, trailing)| {
            let mut path = String::new();
            for segment in env.into_iter().map(str::to_owned).chain(segments) {
                path.push('/');
                path.push_str(&segment);
            }
            if trailing || path.is_empty() {
                path.push('/');
            }
            path
        });
    let query = pairs(usize::from(need == Need::Query), 6);
    let headers = (
        prop::option::of((header_value(), any::<bool>())),
        prop::option::of(header_value()),
        prop::collection::vec(prop::option::of((header_value(), any::<bool>())), 3),
    );
    (head, path, query, headers, body(need)).prop_map(
        move |(
            (mode, algorithm, (date, path_form), time, method),
            path,
            query,
            headers,
            (body, ct),
        )| {
            let (mut source, accept, custom) = headers;
            if need == Need::SignedHeader {
                let value = source.map_or_else(String::new, |(v, _)| v);
                source = Some((value, true));
            }
            Case {
                mode,
                algorithm,
                // App mode signs X-Date only.
                date_header: if date && mode == Mode::KeyPair {
                    DateHeader::Date
                } else {
                    DateHeader::XDate
                },
                path_form,
                time,
                method: method.to_owned(),
                path,
                query,
                source,
                accept,
                content_type: ct,
                custom: CUSTOM
                    .iter()
                    .zip(custom)
                    .filter_map(|(name, h)| h.map(|(v, signed)| (*name, v, signed)))
                    .collect(),
                body,
            }
        },
    )
}

impl Case {
    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![(
            "Host".to_owned(),
            "service-abc-1250000000.gz.apigw.tencentcs.com".to_owned(),
        )];
        if let Some((value, _)) = &self.source {
            headers.push(("Source".into(), value.clone()));
        }
        if let Some(accept) = &self.accept {
            headers.push(("Accept".into(), accept.clone()));
        }
        if let Some(ct) = &self.content_type {
            headers.push(("Content-Type".into(), ct.clone()));
        }
        for (name, value, _) in &self.custom {
            headers.push(((*name).to_owned(), value.clone()));
        }
        headers
    }

    /// The headers signed besides the date header.
    fn signed_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        if let Some((_, true)) = &self.source {
            names.push("source");
        }
        names.extend(
            self.custom
                .iter()
                .filter(|(_, _, signed)| *signed)
                .map(|(name, _, _)| *name),
        );
        names
    }
}

// ---------------------------------------------------------------------------------------------
// Signing and the wire

/// A signed case: what goes on the wire, and the signer's string to sign.
#[derive(Clone, Debug)]
struct Signed {
    wire: Wire,
    /// The headers the signature asked for (date, `Content-MD5`, `Authorization`).
    applied: Vec<(String, String)>,
    string_to_sign: String,
}

fn sign(case: &Case) -> Result<Signed, TestCaseError> {
    let query: Vec<(&str, &str)> = case
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let owned_headers = case.headers();
    let headers: Vec<Header<'_>> = owned_headers
        .iter()
        .map(|(n, v)| Header::new(n, v))
        .collect();
    let form: Vec<(&str, &str)> = match &case.body {
        BodyCase::Form(pairs) => pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        _ => Vec::new(),
    };
    let body = match &case.body {
        BodyCase::Empty => Body::Empty,
        BodyCase::Form(_) => Body::Form(&form),
        BodyCase::Json(bytes) => Body::Bytes(bytes),
    };
    let parts = Parts::new(&case.method, &case.path)
        .query(&query)
        .headers(&headers)
        .body(body);
    let secret = Secret::from(SECRET);
    let names = case.signed_names();
    let signer = Signer::new(case.mode, KEY_ID, &secret)
        .algorithm(case.algorithm)
        .date_header(case.date_header)
        .path_form(case.path_form)
        .sign_headers(&names);
    let signed = signer
        .sign_parts(&parts, case.time)
        .map_err(|e| fail("sign_parts", e))?;
    let wire_body = match (&signed.body, &case.body) {
        (Some(body), _) => body.clone(),
        (None, BodyCase::Json(bytes)) => bytes.clone(),
        (None, _) => Vec::new(),
    };
    let request = Request::new(&case.method, &signed.target, &headers, &wire_body);
    let string_to_sign = signer
        .explain(&request, case.time)
        .map_err(|e| fail("explain", e))?;
    let applied: Vec<(String, String)> = signed
        .signature
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let wire = Wire::bare(&case.method, &signed.target)
        .with_all(owned_headers)
        .with_all(applied.iter().map(|(n, v)| (n, v)))
        .body(&wire_body);
    Ok(Signed {
        wire,
        applied,
        string_to_sign,
    })
}

/// The default verifier, but accepting every algorithm the signer may pick (`hmac-sm3` too).
fn every_algorithm() -> Verifier {
    Verifier::new(Policy::default().algorithms(AlgorithmSet::ALL))
}

/// The Tencent side of the shared owned request.
impl Wire {
    fn verify_at(&self, mode: Mode, now: OffsetDateTime) -> Result<(), Error> {
        let mut keys = KeySet::new();
        keys.insert(KEY_ID, SECRET);
        self.verify_with(mode, &every_algorithm(), &keys, now)
    }

    fn verify_with(
        &self,
        mode: Mode,
        verifier: &Verifier,
        keys: &KeySet,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        self.with_request(|request| verifier.verify(mode, request, keys, now).map(|_| ()))
    }
}

/// `tampered`, signed only to get its wire target, headers and body, sent with the original
/// signature's headers.
fn replay(original: &Signed, tampered: &Case) -> Result<Wire, TestCaseError> {
    let wire = sign(tampered)?.wire;
    Ok(wire.set_all(original.applied.iter().map(|(n, v)| (n, v))))
}

/// The outcome a tampered request must have: in app mode every part is signed; in key-pair
/// mode only headers are, so a change elsewhere still verifies.
fn expect_tamper(
    what: &str,
    case: &Case,
    result: Result<(), Error>,
    signed_in_key_pair: bool,
) -> Result<(), TestCaseError> {
    let signed = case.mode == Mode::App || signed_in_key_pair;
    match (&result, signed) {
        (
            Err(Error::SignatureMismatch {
                server_string_to_sign: None,
            }),
            true,
        )
        | (Ok(()), false) => Ok(()),
        _ => Err(TestCaseError::fail(format!(
            "{what} ({:?} mode): expected {}, got {result:?}",
            case.mode,
            if signed { "SignatureMismatch" } else { "Ok" }
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// Round trip and tampering

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES * 2))]

    #[test]
    fn verify_accepts_what_sign_parts_signs(case in case(Need::Nothing)) {
        let signed = sign(&case)?;
        let headers = signed.wire.view();
        let request = signed.wire.request(&headers);
        let mut keys = KeySet::new();
        keys.insert(KEY_ID, SECRET);
        let verifier = every_algorithm();
        let verified = verifier.verify(case.mode, &request, &keys, case.time);
        prop_assert!(verified.is_ok(), "rejected: {:?}\nwire: {:?}", verified, signed.wire);
        let verified = verified.expect("checked");
        prop_assert_eq!(verified.key_id(), KEY_ID);
        prop_assert_eq!(verified.algorithm(), case.algorithm);
        // The signer and the verifier build the same string to sign (the verifier explains
        // the first path form it tries: require the signer's).
        let forms = match case.path_form {
            PathForm::AsSent => PathForms::AsSent,
            _ => PathForms::Decoded,
        };
        let explainer = Verifier::new(Policy::default().algorithms(AlgorithmSet::ALL).path_forms(forms));
        prop_assert!(explainer.verify(case.mode, &request, &keys, case.time).is_ok());
        prop_assert_eq!(explainer.explain(case.mode, &request).ok(), Some(signed.string_to_sign));
        // And the wire carries only what the signer encoded.
        prop_assert!(signed.wire.target.bytes().all(|b| b.is_ascii_graphic()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn a_changed_method_is_rejected_in_app_mode(
        case in case(Need::Nothing),
        new in select(METHODS),
    ) {
        let signed = sign(&case)?;
        let mut wire = signed.wire.clone();
        wire.method = other_method(&case.method, new);
        expect_tamper("method", &case, wire.verify_at(case.mode, case.time), false)?;
    }

    #[test]
    fn a_changed_path_is_rejected_in_app_mode(
        case in case(Need::Nothing),
        append in "[A-Z中 %+]",
    ) {
        let signed = sign(&case)?;
        let mut tampered = case.clone();
        tampered.path.push_str(&append);
        let wire = replay(&signed, &tampered)?;
        expect_tamper("path", &case, wire.verify_at(case.mode, case.time), false)?;
    }

    #[test]
    fn a_changed_parameter_is_rejected_in_app_mode(
        case in case(Need::Query),
        which in any::<Index>(),
        how in 0..4u8,
        extra in "[a-z中 +&=%]{1,3}",
    ) {
        let signed = sign(&case)?;
        let mut tampered = case.clone();
        let i = which.index(tampered.query.len());
        match how {
            // A longer value, key, or one parameter more or fewer: each changes the multiset
            // of decoded (key, value) pairs.
            0 => tampered.query[i].1.push_str(&extra),
            1 => tampered.query[i].0.push_str(&extra),
            2 => { tampered.query.remove(i); }
            _ => tampered.query.insert(i, (extra.clone(), extra.clone())),
        }
        let wire = replay(&signed, &tampered)?;
        expect_tamper("parameter", &case, wire.verify_at(case.mode, case.time), false)?;
    }

    #[test]
    fn a_changed_form_parameter_is_rejected_in_app_mode(
        case in case(Need::FormParam),
        which in any::<Index>(),
        how in 0..3u8,
        extra in "[a-z中 +&=%]{1,3}",
    ) {
        let signed = sign(&case)?;
        let mut tampered = case.clone();
        let BodyCase::Form(form) = &mut tampered.body else {
            return Err(TestCaseError::fail("Need::FormParam gives a form"));
        };
        let i = which.index(form.len());
        match how {
            0 => form[i].1.push_str(&extra),
            1 => { form.remove(i); }
            _ => form.insert(i, (extra.clone(), extra.clone())),
        }
        let wire = replay(&signed, &tampered)?;
        expect_tamper("form parameter", &case, wire.verify_at(case.mode, case.time), false)?;
    }

    #[test]
    fn a_changed_body_is_rejected_in_app_mode(
        case in case(Need::JsonBody),
        at in any::<Index>(),
        byte in any::<u8>(),
        resend_content_md5 in any::<bool>(),
    ) {
        let signed = sign(&case)?;
        let mut tampered = case.clone();
        let BodyCase::Json(body) = &mut tampered.body else {
            return Err(TestCaseError::fail("Need::JsonBody gives bytes"));
        };
        // Insert a byte: the body always changes (a replaced byte might be the same one).
        body.insert(at.index(body.len() + 1), byte);
        let mut wire = replay(&signed, &tampered)?;
        if resend_content_md5 && case.mode == Mode::App {
            // The attacker also sends the new body's Content-MD5: the signature still fails.
            let md5 = apigw_sign::tencent::content_md5(&wire.body);
            wire = wire.set("Content-MD5", &md5);
        }
        expect_tamper("body", &case, wire.verify_at(case.mode, case.time), false)?;
    }

    #[test]
    fn a_changed_signed_header_is_rejected(
        case in case(Need::SignedHeader),
        which in any::<Index>(),
        extra in "[a-z中 +]{0,3}[a-z中+]",
    ) {
        let signed = sign(&case)?;
        let mut tampered = case.clone();
        // The signed headers besides the date: source (always, here) and signed custom ones.
        let mut targets: Vec<&mut String> = Vec::new();
        if let Some((value, true)) = &mut tampered.source {
            targets.push(value);
        }
        targets.extend(tampered.custom.iter_mut().filter(|(_, _, s)| *s).map(|(_, v, _)| v));
        let n = targets.len();
        // Appending a non-space character changes the value even after trimming.
        targets[which.index(n)].push_str(&extra);
        let wire = replay(&signed, &tampered)?;
        expect_tamper("signed header", &case, wire.verify_at(case.mode, case.time), true)?;
    }

    #[test]
    fn an_unsigned_header_may_change(case in case(Need::Nothing), value in header_value()) {
        let signed = sign(&case)?;
        let wire = signed
            .wire
            .clone()
            .set("X-Unsigned", &value)
            .set("Host", "somewhere.else.example");
        prop_assert_eq!(wire.verify_at(case.mode, case.time), Ok(()));
    }

    #[test]
    fn a_date_changed_within_the_window_is_a_mismatch(
        case in case(Need::Nothing),
        secs in prop_oneof![-900i64..=-1, 1i64..=900],
    ) {
        let signed = sign(&case)?;
        let date = format_http_date(case.time + Duration::seconds(secs));
        let wire = signed.wire.clone().set(case.date_header.name(), &date);
        expect_tamper("date within the window", &case, wire.verify_at(case.mode, case.time), true)?;
    }

    #[test]
    fn a_date_moved_outside_the_window_is_out_of_date(
        case in case(Need::Nothing),
        secs in prop_oneof![-10_000_000i64..=-901, 901i64..=10_000_000],
        move_now in any::<bool>(),
    ) {
        let signed = sign(&case)?;
        let mut wire = signed.wire.clone();
        // Either the date header moves, or the verifier's clock does.
        let (date, now) = if move_now {
            (case.time, case.time + Duration::seconds(secs))
        } else {
            let date = case.time + Duration::seconds(secs);
            wire = wire.set(case.date_header.name(), format_http_date(date));
            (date, case.time)
        };
        let result = wire.verify_at(case.mode, now);
        let header = case.date_header.lower();
        prop_assert!(
            matches!(&result, Err(Error::DateOutOfWindow { header: h, date: d, now: n })
                if *h == header && *d == date && *n == now),
            "expected DateOutOfWindow, got {:?}", result
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Never panic

/// Characters an `Authorization` parser cares about, plus some it should not.
const AUTH_CHARS: &[char] = &[
    'h', 'm', 'a', 'c', 'H', 'M', 'i', 'd', '=', '"', ',', ' ', ' ', '\t', '-', 's', 'g', 'n', 'e',
    'r', 'l', 'o', 't', '\u{1}', '\u{7f}', '中', '\\', '\n',
];

/// A syntactically plausible `Authorization` value: mostly the right shape, random contents.
fn plausible_authorization() -> impl Strategy<Value = String> {
    let names = prop::collection::vec(
        prop_oneof![
            3 => select(vec![
                "x-date", "date", "source", "accept", "content-md5", "x-custom", "authorization",
            ])
            .prop_map(String::from),
            1 => "[!-~&&[^\" ]]{1,6}",
        ],
        0..5,
    )
    .prop_map(|n| n.join(" "));
    authorization_with(names)
}

/// As [`plausible_authorization`], with `headers="…"` from `names`.
fn authorization_with(names: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    let id = prop_oneof![
        3 => Just(KEY_ID.to_owned()),
        1 => "[A-Za-z0-9]{0,8}",
        1 => "\\PC{0,4}",
    ];
    let algorithm = prop_oneof![
        4 => select(vec!["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"]),
        1 => select(vec!["hmac-md5", "", "HMAC-SHA1", "sha1"]),
    ];
    let signature = prop_oneof![
        "[A-Za-z0-9+/=]{0,100}",
        prop::collection::vec(any::<u8>(), 0..70).prop_map(|b| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(b)
        }),
    ];
    let separator = prop_oneof![
        6 => select(vec![", ", ",", ",\t "]),
        1 => select(vec![" , ", ";", ""]),
    ];
    let tail = prop_oneof![
        6 => select(vec!["", ", x=\"y\""]),
        1 => select(vec![" junk", ",", "\"", ", id=\"again\""]),
    ];
    let scheme = prop_oneof![
        6 => select(vec!["hmac ", "HMAC\t", "Hmac  "]),
        1 => select(vec!["hmac", "bearer ", ""]),
    ];
    (id, algorithm, names, signature, separator, tail, scheme).prop_map(
        |(id, alg, names, sig, sep, tail, scheme)| {
            format!(
                "{scheme}id=\"{id}\"{sep}algorithm=\"{alg}\"{sep}headers=\"{names}\"{sep}\
                 signature=\"{sig}\"{tail}"
            )
        },
    )
}

/// A successful parse survives formatting and parsing again.
fn check_parse(value: &str) -> Result<(), TestCaseError> {
    if let Ok(parsed) = Authorization::parse(value) {
        let again = parsed.to_string();
        prop_assert_eq!(Authorization::parse(&again), Ok(parsed));
    }
    Ok(())
}

const GOOD_AUTHORIZATION: &str = "hmac id=\"AKIDproptest\", algorithm=\"hmac-sha256\", \
    headers=\"source x-date\", signature=\"jLN0+Qva7WIzoEvvT1A5/+naheA=\"";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES * 5))]

    #[test]
    fn authorization_parse_never_panics_on_arbitrary_strings(
        value in parser_input(AUTH_CHARS, plausible_authorization()),
    ) {
        check_parse(&value)?;
    }

    #[test]
    fn authorization_parse_never_panics_on_mutations(
        value in mutated(GOOD_AUTHORIZATION, plausible_authorization(), AUTH_CHARS),
    ) {
        check_parse(&value)?;
    }
}

fn now() -> OffsetDateTime {
    time::macros::datetime!(2021-03-11 08:29:58 UTC)
}

/// Header names: the ones that matter, and anything. (A second `Authorization` is rare, as
/// it stops verification at once.)
fn header_name() -> impl Strategy<Value = String> {
    strategies::header_name(HEADER_NAMES, &["Authorization"], 1)
}

/// Header values: anything, and dates near [`now`] and values that matter.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    strategies::header_bytes(now(), format_http_date, HEADER_SAMPLES)
}

fn arbitrary_wire() -> impl Strategy<Value = Wire> {
    let method = strategies::method();
    let target = prop_oneof![
        "/([a-z=&+?/#中 ]|%[0-9A-Fa-fG]{0,2}){0,30}",
        "/release([a-z=&+?/]|%[0-9A-Fa-f]{2}){0,20}",
        ".{0,20}",
    ];
    let headers = prop::collection::vec((header_name(), header_bytes()), 0..8);
    let x_date = prop::option::of(
        (-1000i64..1000).prop_map(|s| format_http_date(now() + Duration::seconds(s))),
    );
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        "([a-z0-9=&+中]|%[0-9A-Fa-fG]{0,2}){0,30}".prop_map(String::into_bytes),
    ];
    (method, target, headers, x_date, body).prop_flat_map(
        |(method, target, mut headers, x_date, body)| {
            if let Some(date) = x_date {
                headers.push(("X-Date".into(), date.into_bytes()));
            }
            // Mostly sign names the request has, so that verification gets past the header
            // checks to the date, the key and the MAC.
            let present: Vec<String> = headers
                .iter()
                .map(|(n, _)| n.to_ascii_lowercase())
                .collect();
            let len = present.len();
            let names = prop_oneof![
                3 => prop::sample::subsequence(present, len.min(1)..=len).prop_map(|n| n.join(" ")),
                1 => select(vec!["x-date", "source x-date", "date"]).prop_map(String::from),
            ];
            let authorization = prop::option::weighted(
                0.9,
                prop_oneof![
                    4 => authorization_with(names).prop_map(String::into_bytes),
                    1 => prop::collection::vec(any::<u8>(), 0..60),
                ],
            );
            (
                Just(Wire {
                    method,
                    target,
                    headers,
                    body,
                }),
                authorization,
            )
                .prop_map(|(mut wire, authorization)| {
                    if let Some(value) = authorization {
                        wire.headers.push(("Authorization".into(), value));
                    }
                    wire
                })
        },
    )
}

/// Runs every entry point on `wire`; only a panic fails.
fn exercise(wire: &Wire, skew: i64, detail: bool) {
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    let mut policy = Policy::default();
    if detail {
        policy.mismatch_detail = MismatchDetail::ServerStringToSign;
    }
    let verifier = Verifier::new(policy);
    let headers = wire.view();
    let request = wire.request(&headers);
    let at = now() + Duration::seconds(skew);
    for mode in [Mode::App, Mode::KeyPair] {
        for request in [request, request.without_body()] {
            if let Err(e) = verifier.verify(mode, &request, &keys, at) {
                let _ = (e.to_string(), e.json_body(), e.code(), format!("{e:?}"));
            }
            let _ = verifier.explain(mode, &request);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES * 2))]

    #[test]
    fn verify_never_panics_on_arbitrary_requests(
        wire in arbitrary_wire(),
        skew in prop_oneof![-1000i64..1000, any::<i32>().prop_map(i64::from)],
        detail in any::<bool>(),
    ) {
        exercise(&wire, skew, detail);
    }

    #[test]
    fn verify_never_panics_on_mutated_signed_requests(
        case in case(Need::Nothing),
        target_edits in prop::collection::vec(edit(AUTH_CHARS), 0..3),
        header in any::<Index>(),
        header_edits in byte_inserts(),
        body_edits in byte_inserts(),
    ) {
        let signed = sign(&case)?;
        let mut wire = signed.wire;
        mutate(&mut wire, &target_edits, header, &header_edits);
        insert_bytes(&mut wire.body, &body_edits);
        let skew = (case.time - now()).whole_seconds();
        exercise(&wire, skew, true);
    }
}
