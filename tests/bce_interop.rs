//! Interoperability with Baidu's official Python SDK (PyPI `bce-python-sdk`).
//!
//! `tests/interop/bce_sdk_cases.py` generates random requests (unicode, spaces, `~ * + / = & %`
//! in paths, keys and values, bare keys, empty values, `x-bce-*` headers with surrounding spaces,
//! default and explicit header lists) and signs each with the SDK's `bce_v1_signer.sign`. The
//! cases are read from `APIGW_SIGN_BCE_SDK_CASES` when it is set (`.ci/run` regenerates them
//! there with the pinned SDK), else from the committed
//! `tests/vectors/bce/interop/sdk_cases.jsonl`. For every case:
//!
//! - the crate's [`Verifier`] accepts the SDK's auth string in each carrier: the `Authorization`
//!   header, the `X-Bce-Signature` header and the `authorization` query parameter;
//! - for the cases whose request already has an `x-bce-date` header (the crate's [`Signer`] adds
//!   one otherwise, which the SDK did not sign), the crate's signer, given the same header list,
//!   produces the SDK's signature. Its auth string may differ only in the `signedHeaders` field:
//!   the signer writes every header it signed there, the SDK writes the list it was given.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use apigw_sign::bce::{Carrier, Policy, Signer, Verifier};
use apigw_sign::{KeySet, Secret};
use common::request::Wire;
use common::vectors;
use serde_json::Value;
use time::OffsetDateTime;

/// One line of the cases file.
struct Case {
    index: u64,
    ak: String,
    sk: String,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    timestamp: i64,
    expiration: u64,
    headers_to_sign: Option<Vec<String>>,
    auth: String,
}

fn cases_path() -> PathBuf {
    match std::env::var_os("APIGW_SIGN_BCE_SDK_CASES") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => vectors::dir("bce").join("interop/sdk_cases.jsonl"),
    }
}

fn string(value: &Value, field: &str, line: usize) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("line {line}: `{field}` is not a string"))
        .to_owned()
}

fn parse(line: usize, text: &str) -> Case {
    let value: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("line {line}: not JSON: {e}"));
    let headers = value["headers"]
        .as_array()
        .unwrap_or_else(|| panic!("line {line}: `headers` is not a list"))
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([name, value]) => (
                name.as_str().expect("header name").to_owned(),
                value.as_str().expect("header value").to_owned(),
            ),
            _ => panic!("line {line}: a header is not a [name, value] pair"),
        })
        .collect();
    let headers_to_sign = match &value["headers_to_sign"] {
        Value::Null => None,
        Value::Array(names) => Some(
            names
                .iter()
                .map(|n| n.as_str().expect("header_to_sign name").to_owned())
                .collect(),
        ),
        other => panic!("line {line}: `headers_to_sign` is {other}"),
    };
    Case {
        index: value["index"].as_u64().unwrap_or(line as u64),
        ak: string(&value, "ak", line),
        sk: string(&value, "sk", line),
        method: string(&value, "method", line),
        target: string(&value, "target", line),
        headers,
        timestamp: value["timestamp"]
            .as_i64()
            .unwrap_or_else(|| panic!("line {line}: `timestamp` is not an integer")),
        expiration: value["expiration"]
            .as_u64()
            .unwrap_or_else(|| panic!("line {line}: `expiration` is not an integer")),
        headers_to_sign,
        auth: string(&value, "auth", line),
    }
}

fn load() -> (PathBuf, Vec<Case>) {
    let path = cases_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cases = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| parse(i + 1, line))
        .collect();
    (path, cases)
}

/// The last `/` field of an auth string: the signature.
fn signature_of(auth: &str) -> &str {
    auth.rsplit('/').next().unwrap_or_default()
}

impl Case {
    /// The request, unsigned, with no body.
    fn wire(&self) -> Wire {
        Wire::bare(&self.method, &self.target).with_all(self.headers.iter().map(|(n, v)| (n, v)))
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// Whether an explicit list leaves out an `x-bce-*` header the request has (the SDK signs it
    /// anyway): the case the crate's "every `x-bce-*` is signed" decision exists for.
    fn omits_present_bce_header(&self) -> bool {
        self.headers_to_sign.as_ref().is_some_and(|list| {
            self.headers.iter().any(|(name, value)| {
                let name = name.to_ascii_lowercase();
                name.starts_with("x-bce-")
                    && !value.trim_matches([' ', '\t']).is_empty()
                    && !list.contains(&name)
            })
        })
    }

    fn now(&self, plus: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.timestamp + plus).expect("timestamp in range")
    }

    fn describe(&self) -> String {
        format!(
            "case {}: {} {}\n  headers: {:?}\n  timestamp {} ({}), expiration {}, headers_to_sign {:?}",
            self.index,
            self.method,
            self.target,
            self.headers,
            self.timestamp,
            apigw_sign::format_iso8601(self.now(0)),
            self.expiration,
            self.headers_to_sign,
        )
    }
}

/// Verifies `case.auth` in one carrier; on failure, a message with the case, both auth strings
/// and the verifier's canonical request.
fn verify_in(case: &Case, carrier: Carrier, crate_auth: &str, keys: &KeySet) -> Result<(), String> {
    let sent = case.wire().carry(carrier, &case.auth);
    let headers = sent.view();
    let request = sent.request(&headers);
    let mut policy = Policy::default();
    policy.max_expiration = Duration::from_secs(case.expiration);
    let verifier = Verifier::new(policy);
    match verifier.verify(&request, keys, case.now(1)) {
        Ok(verified) if verified.key_id() == case.ak && verified.carrier() == carrier => Ok(()),
        outcome => Err(format!(
            "{}\n  carrier {carrier:?}, target {}\n  verify: {outcome:?}\n  SDK auth:   {}\n  crate auth: {crate_auth}\n  verifier canonical request:\n{}",
            case.describe(),
            sent.target,
            case.auth,
            indent(&verifier.explain(&request).unwrap_or_else(|e| format!("<{e:?}>"))),
        )),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    | {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_official_python_sdk_and_the_crate_agree() {
    let (path, cases) = load();
    assert!(
        cases.len() >= 50,
        "{} has {} cases; at least 50 are required",
        path.display(),
        cases.len()
    );

    let mut failures = Vec::new();
    let (mut verified, mut signed, mut omitting) = (0usize, 0usize, 0usize);
    for case in &cases {
        let secret = Secret::from(case.sk.as_str());
        let names: Vec<&str> = case
            .headers_to_sign
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let mut signer = Signer::new(&case.ak, &secret).expiration(case.expiration);
        if case.headers_to_sign.is_some() {
            signer = signer.sign_headers(&names);
        }
        let unsigned = case.wire();
        let headers = unsigned.view();
        let request = unsigned.request(&headers);
        let crate_auth = match signer.sign(&request, case.now(0)) {
            Ok(signature) => signature.auth_string().to_owned(),
            Err(e) => format!("<signer error: {e:?}>"),
        };

        // Sanity: the SDK's auth string says what the case says.
        let list = case
            .headers_to_sign
            .as_ref()
            .map_or(String::new(), |l| l.join(";"));
        let prefix = format!(
            "bce-auth-v1/{}/{}/{}/{list}/",
            case.ak,
            apigw_sign::format_iso8601(case.now(0)),
            case.expiration
        );
        if !case.auth.starts_with(&prefix) {
            failures.push(format!(
                "{}\n  the SDK's auth string {} does not start with {prefix}",
                case.describe(),
                case.auth
            ));
            continue;
        }

        let mut keys = KeySet::new();
        keys.insert(case.ak.as_str(), case.sk.as_str());
        let outcomes: Vec<_> = [
            Carrier::Authorization,
            Carrier::XBceSignature,
            Carrier::Query,
        ]
        .into_iter()
        .map(|carrier| verify_in(case, carrier, &crate_auth, &keys))
        .collect();
        if outcomes.iter().all(Result::is_ok) {
            verified += 1;
            omitting += usize::from(case.omits_present_bce_header());
        }
        failures.extend(outcomes.into_iter().filter_map(Result::err));

        if case.has_header("x-bce-date") {
            if signature_of(&crate_auth) == signature_of(&case.auth) {
                signed += 1;
            } else {
                failures.push(format!(
                    "{}\n  the crate's signer disagrees with the SDK\n  SDK auth:   {}\n  crate auth: {crate_auth}\n  signer canonical request:\n{}",
                    case.describe(),
                    case.auth,
                    indent(
                        &signer
                            .explain(&request, case.now(0))
                            .unwrap_or_else(|e| format!("<{e:?}>"))
                    ),
                ));
            }
        }
    }

    eprintln!(
        "bce interop ({}): {} cases; verified in all three carriers: {verified} \
         ({omitting} with an explicit list leaving out a present x-bce-* header); \
         signed identically by the crate's signer: {signed}",
        path.display(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert_eq!(verified, cases.len());
    assert!(verified >= 25, "only {verified} cases verified");
    assert!(signed >= 25, "only {signed} cases compared with the signer");
    assert!(
        omitting >= 5,
        "only {omitting} cases exercise an explicit list leaving out an x-bce-* header"
    );
}
