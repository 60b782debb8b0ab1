//! Verifies a raw HTTP/1.1 request read from stdin and prints one JSON line on stdout.
//!
//! ```text
//! cargo run -q --example verify -- --scheme tencent-app --key AKIDexample:SECRET \
//!     --now 2021-03-11T08:30:00Z < signed.http
//! {"ok":true,"scheme":"tencent-app","key_id":"AKIDexample"}
//! cargo run -q --example verify -- --scheme bce-app --key AK:SK < signed.http
//! {"ok":false,"status":400,"code":"SignatureTimestampExpired","message":"Signature is invalid: timestamp is expired."}
//! ```
//!
//! Exit status 0 when the request verifies, 1 when it does not (the line then carries the
//! error's status, code and message), 2 on a usage error. The contract is `spec/cli.md`.

mod common;

use std::process::ExitCode;
use std::time::Duration;

use apigw_sign::bce::{self, Carrier, Carriers};
use apigw_sign::{tencent, KeySet, Request, StatusProfile};

use common::{parse_request, parse_scheme, usage, Args, Scheme, Stop};

const USAGE: &str = "\
usage: verify --scheme SCHEME --key ID:SECRET [--key ID:SECRET ...] [options] < request.http

Reads a raw HTTP/1.1 request on stdin, verifies its signature and prints one JSON line:
exit 0 when it verifies, 1 when it does not, 2 on a usage error.

options:
  --scheme S           tencent-app, tencent-key-pair, bce (Authorization header),
                       bce-app (X-Bce-Signature header), bce-url (presigned URL)
                       or bce-appcode (X-Bce-Signature: AppCode/<code>)
  --key ID:SECRET      a known key, split at the first ':'; repeatable
                       (the same id twice: both secrets are valid, as while rotating);
                       for bce-appcode: --key CODE, a known AppCode
  --now T              verification time, RFC 3339 (2021-03-11T08:29:58Z); default: now
  --max-skew N         allowed clock skew in seconds (default: Tencent 900, BCE 300)
  --statuses P         Tencent status profile: classic (default) or current
                       (checked for every scheme; BCE statuses do not depend on it)
  --explain            on failure, print the server's string to sign (Tencent) or
                       canonical request (BCE) on stderr
  --help               print this text
";

fn main() -> ExitCode {
    run().unwrap_or_else(|stop| stop.report(USAGE))
}

fn run() -> Result<ExitCode, Stop> {
    let mut args = Args::from_env()?;
    let (mut scheme, mut now, mut max_skew, mut statuses) = (None, None, None, None);
    let mut keys = Vec::new();
    let mut explain = false;
    while let Some(option) = args.next_option() {
        let slot = match option.as_str() {
            "--help" | "-h" => return Err(Stop::Help),
            "--explain" => {
                explain = true;
                continue;
            }
            "--key" => {
                keys.push(args.value(&option)?);
                continue;
            }
            "--scheme" => &mut scheme,
            "--now" => &mut now,
            "--max-skew" => &mut max_skew,
            "--statuses" => &mut statuses,
            _ => return Err(common::unknown(&option)),
        };
        args.value_once(&option, slot)?;
    }

    let (name, scheme) = parse_scheme(scheme)?;
    let app_code = scheme == Scheme::Bce(Carrier::AppCode);
    if keys.is_empty() {
        return Err(usage(if app_code {
            "at least one --key CODE is required"
        } else {
            "at least one --key ID:SECRET is required"
        }));
    }
    let mut key_set = KeySet::new();
    for key in keys {
        // The values are not echoed: they may hold secrets.
        if app_code {
            if key.is_empty() {
                return Err(usage("--key takes an AppCode"));
            }
            // An AppCode is looked up by itself; it has no secret.
            key_set.insert(key, "");
            continue;
        }
        match key.split_once(':') {
            Some((id, secret)) if !id.is_empty() => {
                key_set.insert(id, secret);
            }
            _ => return Err(usage("--key takes ID:SECRET")),
        }
    }
    let now = common::parse_time("--now", now.as_deref())?;
    let max_skew = match &max_skew {
        None => None,
        Some(value) => Some(Duration::from_secs(common::parse_seconds(
            "--max-skew",
            value,
        )?)),
    };
    let profile = match statuses.as_deref() {
        None | Some("classic") => StatusProfile::Classic,
        Some("current") => StatusProfile::Current,
        Some(other) => {
            return Err(usage(format!(
                "--statuses {other:?} is not classic or current"
            )))
        }
    };

    let input = common::read_stdin()?;
    let raw = parse_request(&input)?;
    let request = Request::new(raw.method, raw.target, &raw.headers, raw.body);
    // The verified key id, or the error and (with --explain) what the server signed.
    let (verified, explained) = match scheme {
        Scheme::Tencent(mode) => {
            let mut policy = tencent::Policy::default();
            if let Some(max_skew) = max_skew {
                policy.max_skew = max_skew;
            }
            policy.statuses = profile;
            let verifier = tencent::Verifier::new(policy);
            let verified = verifier
                .verify(mode, &request, &key_set, now)
                .map(|verified| verified.key_id().to_owned());
            // Not every failure leaves a string to sign (no Authorization, say).
            let explained = (explain && verified.is_err())
                .then(|| verifier.explain(mode, &request).ok())
                .flatten();
            (verified, explained)
        }
        Scheme::Bce(carrier) => {
            let mut policy = bce::Policy::default();
            if let Some(max_skew) = max_skew {
                policy.max_skew = max_skew;
            }
            policy.carriers = Carriers::only(carrier);
            let verifier = bce::Verifier::new(policy);
            let verified = verifier
                .verify(&request, &key_set, now)
                .map(|verified| verified.key_id().to_owned());
            // Not every failure leaves a canonical request (no auth string, an AppCode).
            let explained = (explain && verified.is_err())
                .then(|| verifier.explain(&request).ok())
                .flatten();
            (verified, explained)
        }
    };
    if let Some(explained) = explained {
        eprintln!("{explained}");
    }
    let (line, code) = match verified {
        Ok(key_id) => (
            format!(
                r#"{{"ok":true,"scheme":{},"key_id":{}}}"#,
                json(&name),
                json(&key_id)
            ),
            ExitCode::SUCCESS,
        ),
        Err(err) => (
            format!(
                r#"{{"ok":false,"status":{},"code":{},"message":{}}}"#,
                err.status(profile),
                json(err.code()),
                json(&err.to_string())
            ),
            ExitCode::FAILURE,
        ),
    };
    common::write_stdout(format!("{line}\n").as_bytes())?;
    Ok(code)
}

/// `s` as a JSON string literal.
fn json(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
