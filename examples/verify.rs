//! Verifies a raw HTTP/1.1 request read from stdin and prints one JSON line on stdout.
//!
//! ```text
//! cargo run -q --example verify -- --scheme tencent-app --key AKIDexample:SECRET \
//!     --now 2021-03-11T08:30:00Z < signed.http
//! {"ok":true,"scheme":"tencent-app","key_id":"AKIDexample"}
//! ```
//!
//! Exit status 0 when the request verifies, 1 when it does not (the line then carries the
//! error's status, code and message), 2 on a usage error. The contract is `spec/cli.md`.

mod common;

use std::process::ExitCode;
use std::time::Duration;

use apigw_sign::tencent::{Policy, Verifier};
use apigw_sign::{KeySet, Request, StatusProfile};

use common::{parse_request, parse_scheme, usage, Args, Stop};

const USAGE: &str = "\
usage: verify --scheme SCHEME --key ID:SECRET [--key ID:SECRET ...] [options] < request.http

Reads a raw HTTP/1.1 request on stdin, verifies its signature and prints one JSON line:
exit 0 when it verifies, 1 when it does not, 2 on a usage error.

options:
  --scheme S           tencent-app or tencent-key-pair
                       (bce, bce-app, bce-url, bce-appcode: not supported yet)
  --key ID:SECRET      a known key, split at the first ':'; repeatable
                       (the same id twice: both secrets are valid, as while rotating)
  --now T              verification time, RFC 3339 (2021-03-11T08:29:58Z); default: now
  --max-skew N         allowed clock skew in seconds (default: 900)
  --statuses P         status profile: classic (default) or current
  --explain            on failure, print the server's string to sign on stderr
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

    let (scheme, mode) = parse_scheme(scheme)?;
    if keys.is_empty() {
        return Err(usage("at least one --key ID:SECRET is required"));
    }
    let mut key_set = KeySet::new();
    for key in keys {
        match key.split_once(':') {
            Some((id, secret)) if !id.is_empty() => {
                key_set.insert(id, secret);
            }
            // The value is not echoed: it may hold a secret.
            _ => return Err(usage("--key takes ID:SECRET")),
        }
    }
    let now = common::parse_time("--now", now.as_deref())?;
    let mut policy = Policy::default();
    if let Some(max_skew) = &max_skew {
        policy.max_skew = Duration::from_secs(common::parse_seconds("--max-skew", max_skew)?);
    }
    policy.statuses = match statuses.as_deref() {
        None | Some("classic") => StatusProfile::Classic,
        Some("current") => StatusProfile::Current,
        Some(other) => {
            return Err(usage(format!(
                "--statuses {other:?} is not classic or current"
            )))
        }
    };
    let profile = policy.statuses;

    let input = common::read_stdin()?;
    let raw = parse_request(&input)?;
    let request = Request::new(raw.method, raw.target, &raw.headers, raw.body);
    let verifier = Verifier::new(policy);
    let (line, code) = match verifier.verify(mode, &request, &key_set, now) {
        Ok(verified) => (
            format!(
                r#"{{"ok":true,"scheme":{},"key_id":{}}}"#,
                json(&scheme),
                json(verified.key_id())
            ),
            ExitCode::SUCCESS,
        ),
        Err(err) => {
            if explain {
                // Not every failure leaves a string to sign (no Authorization, say).
                if let Ok(string_to_sign) = verifier.explain(mode, &request) {
                    eprintln!("{string_to_sign}");
                }
            }
            (
                format!(
                    r#"{{"ok":false,"status":{},"code":{},"message":{}}}"#,
                    err.status(profile),
                    json(err.code()),
                    json(&err.to_string())
                ),
                ExitCode::FAILURE,
            )
        }
    };
    common::write_stdout(format!("{line}\n").as_bytes())?;
    Ok(code)
}

/// `s` as a JSON string literal.
fn json(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
