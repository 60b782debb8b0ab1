//! Signs a raw HTTP/1.1 request read from stdin and prints the signed request on stdout.
//!
//! ```text
//! cargo run -q --example sign -- --scheme tencent-app --id AKIDexample \
//!     --secret Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv --time 2021-03-11T08:29:58Z < request.http
//! ```
//!
//! The command-line contract is `spec/cli.md`. The input may be written as a person would type
//! it (`GET /v1/users?q=中文 空格 HTTP/1.1`): the path, query and form values are read raw, signed
//! raw, and percent-encoded for the wire by the library (`Signer::sign_parts`).

mod common;

use std::borrow::Cow;
use std::process::ExitCode;

use apigw_sign::encoding::{decode, Plus};
use apigw_sign::tencent::{Body, DateHeader, Mode, Parts, Signature, Signer};
use apigw_sign::{format_http_date, Algorithm, Header, Request, Secret};

use common::{parse_request, parse_scheme, usage, Args, Stop};

const USAGE: &str = "\
usage: sign --scheme SCHEME --id ID --secret SECRET [options] < request.http

Reads a raw HTTP/1.1 request on stdin and prints it signed on stdout (CRLF line ends).

options:
  --scheme S           tencent-app or tencent-key-pair
                       (bce, bce-app, bce-url, bce-appcode: not supported yet)
  --id ID              the key id (SecretId)
  --secret SECRET      the secret key
  --time T             signing time, RFC 3339 (2021-03-11T08:29:58Z); default: now
  --algorithm A        hmac-sha1 (default), hmac-sha256, hmac-sha384, hmac-sha512
  --sign-headers a,b   headers to sign besides the date header (default: source, if present)
  --date-header NAME   tencent-key-pair: x-date (default) or date
  --expires N          BCE expiration seconds (checked, unused by the Tencent schemes)
  --explain            also print the string to sign on stderr
  --help               print this text
";

fn main() -> ExitCode {
    run().unwrap_or_else(|stop| stop.report(USAGE))
}

fn run() -> Result<ExitCode, Stop> {
    let mut args = Args::from_env()?;
    let (mut scheme, mut id, mut secret, mut time) = (None, None, None, None);
    let (mut algorithm, mut sign_headers, mut expires, mut date_header) = (None, None, None, None);
    let mut explain = false;
    while let Some(option) = args.next_option() {
        let slot = match option.as_str() {
            "--help" | "-h" => return Err(Stop::Help),
            "--explain" => {
                explain = true;
                continue;
            }
            "--scheme" => &mut scheme,
            "--id" => &mut id,
            "--secret" => &mut secret,
            "--time" => &mut time,
            "--algorithm" => &mut algorithm,
            "--sign-headers" => &mut sign_headers,
            "--expires" => &mut expires,
            "--date-header" => &mut date_header,
            _ => return Err(common::unknown(&option)),
        };
        args.value_once(&option, slot)?;
    }

    let (_, mode) = parse_scheme(scheme)?;
    let id = id.ok_or_else(|| usage("--id is required"))?;
    let secret = Secret::from(secret.ok_or_else(|| usage("--secret is required"))?);
    let now = common::parse_time("--time", time.as_deref())?;
    let algorithm = match algorithm.as_deref() {
        None => Algorithm::HmacSha1,
        Some(name) => name.parse().map_err(|_| {
            usage(format!(
                "--algorithm {name:?} is not hmac-sha1, hmac-sha256, hmac-sha384 or hmac-sha512"
            ))
        })?,
    };
    if let Some(expires) = &expires {
        // A BCE option: checked so that a tool gets the same answer for every scheme.
        common::parse_seconds("--expires", expires)?;
    }
    let date_header = match (date_header.as_deref(), mode) {
        (None, _) | (Some("x-date"), _) => DateHeader::XDate,
        (Some("date"), Mode::KeyPair) => DateHeader::Date,
        (Some("date"), Mode::App) => {
            return Err(usage("--date-header date needs --scheme tencent-key-pair"))
        }
        (Some(other), _) => {
            return Err(usage(format!(
                "--date-header {other:?} is not x-date or date"
            )))
        }
    };
    let sign_headers: Option<Vec<&str>> = sign_headers.as_deref().map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect()
    });

    let mut signer = Signer::new(mode, &id, &secret)
        .algorithm(algorithm)
        .date_header(date_header);
    if let Some(names) = &sign_headers {
        signer = signer.sign_headers(names);
    }

    let input = common::read_stdin()?;
    let request = parse_request(&input)?;

    let (raw_path, raw_query) = request
        .target
        .split_once('?')
        .unwrap_or((request.target, ""));
    let path = decode_or_raw(raw_path, Plus::Literal);
    let query = pairs(raw_query, Plus::Literal);
    let query = borrow_pairs(&query);
    let form;
    let form_pairs;
    let body = if is_form(&request.headers) {
        let text =
            std::str::from_utf8(request.body).map_err(|_| usage("the form body is not UTF-8"))?;
        form = pairs(text, Plus::Space);
        form_pairs = borrow_pairs(&form);
        Body::Form(&form_pairs)
    } else if request.body.is_empty() {
        Body::Empty
    } else {
        Body::Bytes(request.body)
    };
    let parts = |headers| {
        Parts::new(request.method, &path)
            .query(&query)
            .headers(headers)
            .body(body)
    };
    let failed = |err: apigw_sign::Error| Stop::Failed(err.to_string());

    // The headers are signed as they will be sent: date headers at the signing time.
    let date = format_http_date(now);
    let dated = prepare(&request.headers, &date, None);
    let first = signer.sign_parts(&parts(&dated), now).map_err(failed)?;
    // A form body is re-encoded for the wire and may change length; sign again with the new
    // Content-Length, since the signature may cover it.
    let length = first.body.as_ref().map(|body| body.len().to_string());
    let headers = prepare(&request.headers, &date, length.as_deref());
    let signed = match length {
        Some(_) => signer.sign_parts(&parts(&headers), now).map_err(failed)?,
        None => first,
    };

    let body = signed.body.as_deref().unwrap_or(request.body);
    let headers = apply(&headers, &signed.signature);
    let mut output = format!("{} {} HTTP/1.1\r\n", request.method, signed.target).into_bytes();
    for header in &headers {
        output.extend_from_slice(header.name.as_bytes());
        output.extend_from_slice(b": ");
        output.extend_from_slice(header.value);
        output.extend_from_slice(b"\r\n");
    }
    output.extend_from_slice(b"\r\n");
    output.extend_from_slice(body);
    common::write_stdout(&output)?;

    if explain {
        let wire = Request::new(request.method, &signed.target, &headers, body);
        eprintln!("{}", signer.explain(&wire, now).map_err(failed)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// `raw` percent-decoded, or `raw` itself when it does not decode, so that a literal `100%`
/// is signed (and sent, encoded) as it was typed.
fn decode_or_raw(raw: &str, plus: Plus) -> Cow<'_, str> {
    decode(raw, plus).unwrap_or(Cow::Borrowed(raw))
}

/// The `&`-separated `key=value` items of `raw`, decoded; empty items carry nothing and an item
/// without `=` has an empty value.
fn pairs(raw: &str, plus: Plus) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    raw.split('&')
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            (decode_or_raw(key, plus), decode_or_raw(value, plus))
        })
        .collect()
}

fn borrow_pairs<'a>(pairs: &'a [(Cow<'_, str>, Cow<'_, str>)]) -> Vec<(&'a str, &'a str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect()
}

/// Whether the (first) `Content-Type` is `application/x-www-form-urlencoded`, parameters aside.
fn is_form(headers: &[Header<'_>]) -> bool {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-type"))
        .and_then(|h| h.value.split(|&b| b == b';').next())
        .is_some_and(|media| {
            media
                .trim_ascii()
                .eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
        })
}

/// The input headers as they will be sent: every `X-Date` and `Date` at the signing time and,
/// when given, `Content-Length` at the new body length.
fn prepare<'a>(
    headers: &[Header<'a>],
    date: &'a str,
    content_length: Option<&'a str>,
) -> Vec<Header<'a>> {
    headers
        .iter()
        .map(|header| {
            let name = header.name;
            if name.eq_ignore_ascii_case("x-date") || name.eq_ignore_ascii_case("date") {
                Header::new(name, date)
            } else {
                match content_length {
                    Some(length) if name.eq_ignore_ascii_case("content-length") => {
                        Header::new(name, length)
                    }
                    _ => *header,
                }
            }
        })
        .collect()
}

/// `headers` with the signature's headers applied: each replaces the first header of its name
/// in place (later copies are dropped), and those the request lacked are appended in order.
fn apply<'a>(headers: &[Header<'a>], signature: &'a Signature) -> Vec<Header<'a>> {
    let set: Vec<(&str, &str)> = signature.headers().collect();
    let mut placed = vec![false; set.len()];
    let mut out = Vec::with_capacity(headers.len() + set.len());
    for header in headers {
        match set
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case(header.name))
        {
            None => out.push(*header),
            Some(i) if !placed[i] => {
                placed[i] = true;
                out.push(Header::new(header.name, set[i].1));
            }
            Some(_) => {}
        }
    }
    for ((name, value), placed) in set.iter().zip(placed) {
        if !placed {
            out.push(Header::new(name, value));
        }
    }
    out
}
