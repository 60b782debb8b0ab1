//! Signs a raw HTTP/1.1 request read from stdin and prints the signed request on stdout.
//!
//! ```text
//! cargo run -q --example sign -- --scheme tencent-app --id AKIDexample \
//!     --secret Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv --time 2021-03-11T08:29:58Z < request.http
//! cargo run -q --example sign -- --scheme bce-app --id aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \
//!     --secret bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb --time 2015-04-27T08:23:49Z < request.http
//! ```
//!
//! The command-line contract is `spec/cli.md`. The input may be written as a person would type
//! it (`GET /v1/users?q=中文 空格 HTTP/1.1`): the path, query and form values are read raw and
//! percent-encoded for the wire by the library: Tencent signs the raw parts
//! (`Signer::sign_parts`), BCE signs the wire request (its canonical request decodes it again).

mod common;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::process::ExitCode;

use apigw_sign::bce::{self, app_code_header, Carrier};
use apigw_sign::encoding::{decode, encode_component, encode_path, Plus};
use apigw_sign::tencent::{self, Body, DateHeader, Mode, Parts, PathForm};
use apigw_sign::{format_http_date, Algorithm, Header, Request, Secret};
use time::OffsetDateTime;

use common::{parse_request, parse_scheme, usage, Args, RawRequest, Scheme, Stop};

const USAGE: &str = "\
usage: sign --scheme SCHEME --id ID --secret SECRET [options] < request.http

Reads a raw HTTP/1.1 request on stdin and prints it signed on stdout (CRLF line ends).

options:
  --scheme S           tencent-app, tencent-key-pair, bce (Authorization header),
                       bce-app (X-Bce-Signature header), bce-url (presigned URL)
                       or bce-appcode (X-Bce-Signature: AppCode/<ID>)
  --id ID              the key id (SecretId, access key id; for bce-appcode the AppCode)
  --secret SECRET      the secret key (not needed for bce-appcode)
  --time T             signing time, RFC 3339 (2021-03-11T08:29:58Z); default: now
  --sign-headers a,b   Tencent: headers to sign besides the date header (default: source,
                       if present); BCE: the headers to sign instead of the default set
                       (host, content-length, content-type, content-md5, x-bce-*)
  --expires N          BCE expiration seconds (default 1800)
  --algorithm A        Tencent: hmac-sha1 (default), hmac-sha256, hmac-sha384, hmac-sha512,
                       hmac-sm3
  --path-as-sent       Tencent app: sign the path exactly as it is on the wire instead of
                       decoded (as Tencent's Python, JavaScript, Java and PHP demos do)
  --date-header NAME   Tencent key-pair: x-date (default) or date
  --explain            also print the string to sign (Tencent) or the canonical request (BCE)
                       on stderr
  --help               print this text

Every option's value is checked whatever the scheme; --expires is unused by the Tencent
schemes, --algorithm, --date-header and --path-as-sent by the BCE ones (and --path-as-sent by
tencent-key-pair, which signs no path). A Tencent date header already in the
request is replaced by the signing time; a BCE x-bce-date already in the request is kept.
";

fn main() -> ExitCode {
    run().unwrap_or_else(|stop| stop.report(USAGE))
}

/// The options every scheme reads, checked.
struct Options {
    id: String,
    secret: Secret,
    now: OffsetDateTime,
    algorithm: Algorithm,
    sign_headers: Option<Vec<String>>,
    expires: u64,
    date_header: DateHeader,
    path_form: PathForm,
    explain: bool,
}

impl Options {
    fn sign_headers(&self) -> Option<Vec<&str>> {
        self.sign_headers
            .as_ref()
            .map(|names| names.iter().map(String::as_str).collect())
    }
}

/// A signed request and, with `--explain`, what to print on stderr.
type Signed = (Vec<u8>, Option<String>);

fn run() -> Result<ExitCode, Stop> {
    let mut args = Args::from_env()?;
    let (mut scheme, mut id, mut secret, mut time) = (None, None, None, None);
    let (mut algorithm, mut sign_headers, mut expires, mut date_header) = (None, None, None, None);
    let (mut explain, mut path_as_sent) = (false, false);
    while let Some(option) = args.next_option() {
        let slot = match option.as_str() {
            "--help" | "-h" => return Err(Stop::Help),
            "--explain" => {
                explain = true;
                continue;
            }
            "--path-as-sent" => {
                path_as_sent = true;
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

    let (_, scheme) = parse_scheme(scheme)?;
    let id = id.ok_or_else(|| usage("--id is required"))?;
    let secret = match (secret, scheme) {
        (Some(secret), _) => Secret::from(secret),
        // An AppCode travels as it is: nothing is keyed.
        (None, Scheme::Bce(Carrier::AppCode)) => Secret::from(""),
        (None, _) => return Err(usage("--secret is required")),
    };
    let now = common::parse_time("--time", time.as_deref())?;
    // Every option is checked whatever the scheme, so that a tool gets the same answer for
    // each; the other vendor's options are then unused.
    let algorithm = match algorithm.as_deref() {
        None => Algorithm::HmacSha1,
        Some(name) => name.parse().map_err(|_| {
            usage(format!(
                "--algorithm {name:?} is not hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sm3"
            ))
        })?,
    };
    let expires = match &expires {
        None => 1800,
        Some(expires) => common::parse_seconds("--expires", expires)?,
    };
    let date_header = match (date_header.as_deref(), scheme) {
        (None, _) | (Some("x-date"), _) => DateHeader::XDate,
        (Some("date"), Scheme::Tencent(Mode::App)) => {
            return Err(usage("--date-header date needs --scheme tencent-key-pair"))
        }
        (Some("date"), _) => DateHeader::Date,
        (Some(other), _) => {
            return Err(usage(format!(
                "--date-header {other:?} is not x-date or date"
            )))
        }
    };
    let sign_headers = sign_headers.as_deref().map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect()
    });
    if scheme == Scheme::Bce(Carrier::AppCode)
        && (id.is_empty() || id.chars().any(char::is_control))
    {
        // Not echoed: an AppCode is a secret.
        return Err(usage(
            "--id: an AppCode must be non-empty text without control characters",
        ));
    }
    let options = Options {
        id,
        secret,
        now,
        algorithm,
        sign_headers,
        expires,
        date_header,
        path_form: if path_as_sent {
            PathForm::AsSent
        } else {
            PathForm::Decoded
        },
        explain,
    };

    let input = common::read_stdin()?;
    let request = parse_request(&input)?;
    let (output, explained) = match scheme {
        Scheme::Tencent(mode) => sign_tencent(&request, mode, &options)?,
        Scheme::Bce(carrier) => sign_bce(&request, carrier, &options)?,
    };
    common::write_stdout(&output)?;
    if let Some(explained) = explained {
        eprintln!("{explained}");
    }
    Ok(ExitCode::SUCCESS)
}

fn failed(err: apigw_sign::Error) -> Stop {
    Stop::Failed(err.to_string())
}

/// Tencent: the raw parts are signed and the library encodes them for the wire.
fn sign_tencent(request: &RawRequest<'_>, mode: Mode, options: &Options) -> Result<Signed, Stop> {
    let now = options.now;
    let sign_headers = options.sign_headers();
    let mut signer = tencent::Signer::new(mode, &options.id, &options.secret)
        .algorithm(options.algorithm)
        .date_header(options.date_header)
        .path_form(options.path_form);
    if let Some(names) = &sign_headers {
        signer = signer.sign_headers(names);
    }

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
        form = pairs(form_text(request.body)?, Plus::Space);
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

    // The headers are signed as they will be sent: date headers at the signing time.
    let date = format_http_date(now);
    let dated = prepare(&request.headers, Some(&date), None);
    let first = signer.sign_parts(&parts(&dated), now).map_err(failed)?;
    // A form body is re-encoded for the wire and may change length; sign again with the new
    // Content-Length, since the signature may cover it.
    let length = first.body.as_ref().map(|body| body.len().to_string());
    let headers = prepare(&request.headers, Some(&date), length.as_deref());
    let signed = match length {
        Some(_) => signer.sign_parts(&parts(&headers), now).map_err(failed)?,
        None => first,
    };

    let body = signed.body.as_deref().unwrap_or(request.body);
    let headers = apply(&headers, &signed.signature.headers().collect::<Vec<_>>());
    let explained = if options.explain {
        let wire = Request::new(request.method, &signed.target, &headers, body);
        Some(signer.explain(&wire, now).map_err(failed)?)
    } else {
        None
    };
    Ok((
        render(request.method, &signed.target, &headers, body),
        explained,
    ))
}

/// BCE: the request is encoded for the wire first, then signed as it will travel.
fn sign_bce(request: &RawRequest<'_>, carrier: Carrier, options: &Options) -> Result<Signed, Stop> {
    // A presigned URL is signed afresh: an `authorization` parameter already there goes.
    let target = wire_target(request.target, carrier == Carrier::Query);
    let form = if is_form(&request.headers) {
        Some(wire_pairs(form_text(request.body)?, Plus::Space, false))
    } else {
        None
    };
    let length = form.as_ref().map(|body| body.len().to_string());
    let headers = prepare(&request.headers, None, length.as_deref());
    let body = form.as_ref().map_or(request.body, |form| form.as_bytes());

    if carrier == Carrier::AppCode {
        let (name, value) = app_code_header(&options.id).map_err(failed)?;
        let headers = apply(&headers, &[(name, value.as_str())]);
        let explained = options
            .explain
            .then(|| format!("AppCode: nothing is signed; the code travels as it is in {name}"));
        return Ok((render(request.method, &target, &headers, body), explained));
    }

    let sign_headers = options.sign_headers();
    let mut signer = bce::Signer::new(&options.id, &options.secret)
        .carrier(carrier)
        .expiration(options.expires);
    if let Some(names) = &sign_headers {
        signer = signer.sign_headers(names);
    }
    let wire = Request::new(request.method, &target, &headers, body);
    let signature = signer.sign(&wire, options.now).map_err(failed)?;
    let explained = if options.explain {
        Some(signer.explain(&wire, options.now).map_err(failed)?)
    } else {
        None
    };
    let headers = apply(&headers, &signature.headers().collect::<Vec<_>>());
    let target = signature.target().unwrap_or(&target);
    Ok((render(request.method, target, &headers, body), explained))
}

/// The request as text: request line, header lines, blank line (CRLF line ends), body.
fn render(method: &str, target: &str, headers: &[Header<'_>], body: &[u8]) -> Vec<u8> {
    let mut output = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
    for header in headers {
        output.extend_from_slice(header.name.as_bytes());
        output.extend_from_slice(b": ");
        output.extend_from_slice(header.value);
        output.extend_from_slice(b"\r\n");
    }
    output.extend_from_slice(b"\r\n");
    output.extend_from_slice(body);
    output
}

/// A form body as text.
fn form_text(body: &[u8]) -> Result<&str, Stop> {
    std::str::from_utf8(body).map_err(|_| usage("the form body is not UTF-8"))
}

/// The target as it travels: the path and each query key and value decoded (or taken as
/// typed) and percent-encoded; a bare key stays bare. With `drop_authorization`, items whose
/// key is `authorization` (any case) are left out.
fn wire_target(raw: &str, drop_authorization: bool) -> String {
    let (raw_path, raw_query) = raw.split_once('?').unwrap_or((raw, ""));
    let mut target = encode_path(&decode_or_raw(raw_path, Plus::Literal)).to_string();
    let query = wire_pairs(raw_query, Plus::Literal, drop_authorization);
    if !query.is_empty() {
        target.push('?');
        target.push_str(&query);
    }
    target
}

/// The `&`-separated items of `raw`, each key and value decoded (or taken as typed) and
/// percent-encoded; empty items are left out and a bare key stays bare.
fn wire_pairs(raw: &str, plus: Plus, drop_authorization: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    for item in raw.split('&').filter(|item| !item.is_empty()) {
        let (key, value) = match item.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (item, None),
        };
        let key = decode_or_raw(key, plus);
        if drop_authorization && key.eq_ignore_ascii_case("authorization") {
            continue;
        }
        if !out.is_empty() {
            out.push('&');
        }
        let _ = write!(out, "{}", encode_component(&key));
        if let Some(value) = value {
            let _ = write!(out, "={}", encode_component(&decode_or_raw(value, plus)));
        }
    }
    out
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

/// The input headers as they will be sent: when `date` is given (Tencent), every `X-Date` and
/// `Date` at the signing time and, when `content_length` is given, `Content-Length` at the new
/// body length.
fn prepare<'a>(
    headers: &[Header<'a>],
    date: Option<&'a str>,
    content_length: Option<&'a str>,
) -> Vec<Header<'a>> {
    headers
        .iter()
        .map(|header| {
            let name = header.name;
            match (date, content_length) {
                (Some(date), _)
                    if name.eq_ignore_ascii_case("x-date") || name.eq_ignore_ascii_case("date") =>
                {
                    Header::new(name, date)
                }
                (_, Some(length)) if name.eq_ignore_ascii_case("content-length") => {
                    Header::new(name, length)
                }
                _ => *header,
            }
        })
        .collect()
}

/// `headers` with a signature's headers applied: each replaces the first header of its name
/// in place (later copies are dropped), and those the request lacked are appended in order.
fn apply<'a>(headers: &[Header<'a>], set: &[(&'a str, &'a str)]) -> Vec<Header<'a>> {
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
