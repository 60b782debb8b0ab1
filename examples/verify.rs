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
//! With `--gateway FILE` (the `serde` feature) the request is routed through a gateway model
//! read from a TOML file ([`apigw_sign::gateway::Config`]): the file holds the keys, so
//! `--scheme` and `--key` are not given, and a success names the route too:
//!
//! ```text
//! cargo run -q --features serde --example verify -- --gateway gateway.toml --proto https \
//!     --now 2021-03-11T08:30:00Z < signed.http
//! {"ok":true,"scheme":"tencent-app","key_id":"AKIDexample","service":"service-1","environment":"release","api":"/users/{id}"}
//! ```
//!
//! Exit status 0 when the request verifies, 1 when it does not (the line then carries the
//! error's status, code and message), 2 on a usage error. The contract is `spec/cli.md`.

mod common;

use std::process::ExitCode;
use std::time::Duration;

use apigw_sign::bce::{self, Carrier, Carriers};
use apigw_sign::{
    tencent, Algorithm, AlgorithmSet, Error, KeySet, Protocol, Request, StatusProfile,
};

use common::{parse_request, parse_scheme, usage, Args, Scheme, Stop};

const USAGE: &str = "\
usage: verify --scheme SCHEME --key ID:SECRET [--key ID:SECRET ...] [options] < request.http
       verify --gateway FILE [--proto http|https] [options] < request.http

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
  --algorithms a,b     Tencent: the algorithms accepted instead of the default four
                       (hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512), e.g.
                       hmac-sha256,hmac-sm3 (checked for every scheme)
  --explain            on failure, print the server's string to sign (Tencent) or
                       canonical request (BCE) on stderr
  --gateway FILE       route the request through the gateway the TOML file describes
                       (keys, usage plans, services; needs the serde feature) instead of
                       one scheme: the file holds the keys, and the API its scheme, so
                       --scheme, --key and --explain are usage errors with it; a success
                       adds service, environment and api (the path template), with
                       scheme the API's authentication (tencent-app, tencent-key-pair,
                       bce-app, bce-appcode or none, whose key_id is null);
                       --max-skew applies to both vendors, --statuses as above
  --proto P            with --gateway: the protocol the request arrived over,
                       https (default) or http
  --help               print this text
";

fn main() -> ExitCode {
    run().unwrap_or_else(|stop| stop.report(USAGE))
}

fn run() -> Result<ExitCode, Stop> {
    let mut args = Args::from_env()?;
    let (mut scheme, mut now, mut max_skew, mut statuses) = (None, None, None, None);
    let (mut gateway, mut proto, mut algorithms) = (None, None, None);
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
            "--gateway" => &mut gateway,
            "--proto" => &mut proto,
            "--algorithms" => &mut algorithms,
            _ => return Err(common::unknown(&option)),
        };
        args.value_once(&option, slot)?;
    }

    if let Some(file) = gateway {
        if scheme.is_some() || !keys.is_empty() {
            return Err(usage(
                "--scheme and --key do not apply with --gateway (the file holds the keys)",
            ));
        }
        if explain {
            return Err(usage("--explain does not apply with --gateway"));
        }
        let protocol = match proto.as_deref() {
            Some("http") => Protocol::Http,
            None | Some("https") => Protocol::Https,
            Some(other) => return Err(usage(format!("--proto {other:?} is not http or https"))),
        };
        let now = common::parse_time("--now", now.as_deref())?;
        let max_skew = parse_max_skew(max_skew.as_deref())?;
        let profile = parse_profile(statuses.as_deref())?;
        let algorithms = parse_algorithms(algorithms.as_deref())?;
        return through_gateway(&file, protocol, now, max_skew, profile, algorithms);
    }
    if proto.is_some() {
        return Err(usage("--proto applies only with --gateway"));
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
    let max_skew = parse_max_skew(max_skew.as_deref())?;
    let profile = parse_profile(statuses.as_deref())?;
    let algorithms = parse_algorithms(algorithms.as_deref())?;

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
            if let Some(algorithms) = algorithms {
                policy.algorithms = algorithms;
            }
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
        Err(err) => (failure(&err, profile), ExitCode::FAILURE),
    };
    common::write_stdout(format!("{line}\n").as_bytes())?;
    Ok(code)
}

/// `--max-skew N` as a duration, when given.
fn parse_max_skew(value: Option<&str>) -> Result<Option<Duration>, Stop> {
    value
        .map(|value| common::parse_seconds("--max-skew", value).map(Duration::from_secs))
        .transpose()
}

/// The `--statuses` profile (default classic).
fn parse_profile(value: Option<&str>) -> Result<StatusProfile, Stop> {
    match value {
        None | Some("classic") => Ok(StatusProfile::Classic),
        Some("current") => Ok(StatusProfile::Current),
        Some(other) => Err(usage(format!(
            "--statuses {other:?} is not classic or current"
        ))),
    }
}

/// `--algorithms a,b`: the Tencent allow-list, when given.
fn parse_algorithms(value: Option<&str>) -> Result<Option<AlgorithmSet>, Stop> {
    let Some(list) = value else {
        return Ok(None);
    };
    let mut set = AlgorithmSet::EMPTY;
    for name in list.split(',').map(str::trim) {
        let algorithm: Algorithm = name.parse().map_err(|_| {
            usage(format!(
                "--algorithms: {name:?} is not hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sm3"
            ))
        })?;
        set = set.with(algorithm);
    }
    Ok(Some(set))
}

/// The JSON line of a request that does not verify.
fn failure(err: &Error, profile: StatusProfile) -> String {
    format!(
        r#"{{"ok":false,"status":{},"code":{},"message":{}}}"#,
        err.status(profile),
        json(err.code()),
        json(&err.to_string())
    )
}

/// `--gateway FILE`: reads the configuration, then routes the request on stdin through it.
#[cfg(feature = "serde")]
fn through_gateway(
    file: &str,
    protocol: Protocol,
    now: time::OffsetDateTime,
    max_skew: Option<Duration>,
    profile: StatusProfile,
    algorithms: Option<AlgorithmSet>,
) -> Result<ExitCode, Stop> {
    use apigw_sign::gateway::{Auth, Config, Gateway};

    let text = std::fs::read_to_string(file)
        .map_err(|err| usage(format!("cannot read --gateway {file:?}: {err}")))?;
    // The parser's own rendering quotes the offending line, which may hold a secret: report
    // the line number and the message only.
    let config = toml::from_str::<Config>(&text).map_err(|err| {
        let line = err.span().map_or(0, |span| {
            1 + text
                .as_bytes()
                .iter()
                .take(span.start)
                .filter(|&&b| b == b'\n')
                .count()
        });
        usage(format!(
            "--gateway {file:?}, line {line}: {}",
            err.message().trim_end()
        ))
    })?;
    let mut gateway =
        Gateway::new(config).map_err(|err| usage(format!("--gateway {file:?}: {err}")))?;
    if let Some(max_skew) = max_skew {
        gateway.tencent.max_skew = max_skew;
        gateway.bce.max_skew = max_skew;
    }
    gateway.tencent.statuses = profile;
    if let Some(algorithms) = algorithms {
        gateway.tencent.algorithms = algorithms;
    }

    let input = common::read_stdin()?;
    let raw = parse_request(&input)?;
    let request = Request::new(raw.method, raw.target, &raw.headers, raw.body);
    let (line, code) = match gateway.route(&request, protocol, now) {
        Ok(routed) => {
            let scheme = match routed.api.auth {
                Auth::None => "none",
                Auth::KeyPair => "tencent-key-pair",
                Auth::App => "tencent-app",
                Auth::BceApp => "bce-app",
                Auth::BceAppcode => "bce-appcode",
                _ => "other",
            };
            let key_id = routed.key_id.as_deref().map_or("null".to_owned(), json);
            (
                format!(
                    r#"{{"ok":true,"scheme":{},"key_id":{key_id},"service":{},"environment":{},"api":{}}}"#,
                    json(scheme),
                    json(&routed.service.id),
                    json(routed.environment),
                    json(&routed.api.path)
                ),
                ExitCode::SUCCESS,
            )
        }
        Err(err) => (failure(&err, profile), ExitCode::FAILURE),
    };
    common::write_stdout(format!("{line}\n").as_bytes())?;
    Ok(code)
}

/// `--gateway FILE` without the `serde` feature: a usage error.
#[cfg(not(feature = "serde"))]
fn through_gateway(
    _file: &str,
    _protocol: Protocol,
    _now: time::OffsetDateTime,
    _max_skew: Option<Duration>,
    _profile: StatusProfile,
    _algorithms: Option<AlgorithmSet>,
) -> Result<ExitCode, Stop> {
    Err(usage(
        "--gateway needs the serde feature: build the example with --features serde",
    ))
}

/// `s` as a JSON string literal.
fn json(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
