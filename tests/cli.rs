//! The `sign` and `verify` examples against their command-line contract (`spec/cli.md`): the
//! spec's vectors (Tencent and BCE), sign-then-verify round trips, every failure's exact JSON
//! line, and the exit codes of usage errors.
//!
//! `cargo test` builds the examples into `target/<profile>/examples/`, next to the `deps/`
//! directory that holds this test binary; the tests run them from there.

mod common;

use std::io::Write as _;
#[cfg(feature = "serde")]
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::example;
#[cfg(feature = "serde")]
use common::GATEWAY_TOML;

const APP_SECRET: &str = "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv";
const KEY_PAIR_SECRET: &str = "k66d99m4gs9f05x6vqgp2yrkrvpdemhhpnhj68FX";
const TIME: &str = "2021-03-11T08:29:58Z";
const X_DATE: &str = "X-Date: Thu, 11 Mar 2021 08:29:58 GMT";

/// The spec's documented app-mode request (LF line ends, as a person would type it).
const APP_REQUEST: &str = "POST / HTTP/1.1
Accept: application/json
Content-Type: application/x-www-form-urlencoded
Source: apigw test

p=test";

const OK_APP: &str = r#"{"ok":true,"scheme":"tencent-app","key_id":"AKIDexample"}"#;
const OK_KEY_PAIR: &str = r#"{"ok":true,"scheme":"tencent-key-pair","key_id":"AKIDexample"}"#;
const MISMATCH_403: &str = r#"{"ok":false,"status":403,"code":"SignatureMismatch","message":"HMAC signature does not match"}"#;
const MISMATCH_401: &str = r#"{"ok":false,"status":401,"code":"SignatureMismatch","message":"HMAC signature does not match"}"#;

/// What one run of an example produced.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Asserts exit 0 and returns stdout.
    #[track_caller]
    fn ok(&self) -> String {
        assert_eq!(self.code, 0, "expected success: {self:?}");
        self.stdout()
    }

    /// Asserts a usage error: exit 2, nothing on stdout, a reason on stderr.
    #[track_caller]
    fn usage_error(&self) {
        assert_eq!(self.code, 2, "expected a usage error: {self:?}");
        assert!(self.stdout.is_empty(), "{self:?}");
        assert!(!self.stderr.is_empty(), "{self:?}");
    }
}

/// How to build the examples when one is missing.
const BUILD_EXAMPLES: &str = "run the tests with plain `cargo test` (which builds the examples) \
                              or `cargo build --examples` first";

fn run(name: &str, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(example(name, BUILD_EXAMPLES))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the example");
    let mut input = child.stdin.take().expect("stdin");
    // A run that stops at a usage error may exit without reading: a broken pipe is fine.
    let _ = input.write_all(stdin);
    drop(input);
    let output = child.wait_with_output().expect("wait for the example");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: output.stdout,
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

fn sign(args: &[&str], stdin: impl AsRef<[u8]>) -> Run {
    run("sign", args, stdin.as_ref())
}

fn verify(args: &[&str], stdin: impl AsRef<[u8]>) -> Run {
    run("verify", args, stdin.as_ref())
}

/// `sign --scheme <scheme> --id AKIDexample --secret <secret> --time TIME <extra…>`.
fn sign_with(scheme: &str, secret: &str, extra: &[&str], stdin: impl AsRef<[u8]>) -> Run {
    let mut args = vec![
        "--scheme",
        scheme,
        "--id",
        "AKIDexample",
        "--secret",
        secret,
        "--time",
        TIME,
    ];
    args.extend_from_slice(extra);
    sign(&args, stdin)
}

/// `verify --scheme <scheme> --key AKIDexample:<secret> --now TIME <extra…>`.
fn verify_with(scheme: &str, secret: &str, extra: &[&str], stdin: impl AsRef<[u8]>) -> Run {
    let key = format!("AKIDexample:{secret}");
    let mut args = vec!["--scheme", scheme, "--key", &key, "--now", TIME];
    args.extend_from_slice(extra);
    verify(&args, stdin)
}

/// Signs `request` under `scheme` and checks that the output verifies; returns it.
#[track_caller]
fn round_trip(scheme: &str, sign_extra: &[&str], request: &str) -> String {
    let signed = sign_with(scheme, "round-trip-secret", sign_extra, request).ok();
    let verified = verify_with(scheme, "round-trip-secret", &[], &signed);
    let expected = match scheme {
        "tencent-app" => OK_APP,
        _ => OK_KEY_PAIR,
    };
    assert_eq!(verified.ok(), format!("{expected}\n"), "{signed}");
    signed
}

/// The value of the first header `name` in a signed request.
fn header<'a>(signed: &'a str, name: &str) -> Option<&'a str> {
    let head = signed.split("\r\n\r\n").next().unwrap_or_default();
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(": ")?;
        n.eq_ignore_ascii_case(name).then_some(v)
    })
}

fn body(signed: &str) -> &str {
    signed.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

// --- the spec's vectors -------------------------------------------------------------------

#[test]
fn app_vector_from_the_spec() {
    let signed = sign_with("tencent-app", APP_SECRET, &[], APP_REQUEST).ok();
    assert_eq!(
        signed,
        "POST / HTTP/1.1\r\n\
         Accept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Source: apigw test\r\n\
         X-Date: Thu, 11 Mar 2021 08:29:58 GMT\r\n\
         Authorization: hmac id=\"AKIDexample\", algorithm=\"hmac-sha1\", headers=\"source x-date\", signature=\"jLN0+Qva7WIzoEvvT1A5/+naheA=\"\r\n\
         \r\n\
         p=test"
    );
    assert_eq!(
        verify_with("tencent-app", APP_SECRET, &[], &signed).ok(),
        format!("{OK_APP}\n")
    );
}

#[test]
fn app_vector_with_crlf_input_signs_the_same() {
    let crlf = APP_REQUEST.replace('\n', "\r\n");
    assert_eq!(
        sign_with("tencent-app", APP_SECRET, &[], crlf).ok(),
        sign_with("tencent-app", APP_SECRET, &[], APP_REQUEST).ok()
    );
}

#[test]
fn explain_prints_the_spec_string_to_sign() {
    let run = sign_with("tencent-app", APP_SECRET, &["--explain"], APP_REQUEST);
    run.ok();
    assert_eq!(
        run.stderr,
        "source: apigw test\n\
         x-date: Thu, 11 Mar 2021 08:29:58 GMT\n\
         POST\n\
         application/json\n\
         application/x-www-form-urlencoded\n\
         \n\
         /?p=test\n"
    );
}

#[test]
fn key_pair_vector_from_the_spec() {
    let signed = sign(
        &[
            "--scheme",
            "tencent-key-pair",
            "--id",
            "AKIDexample",
            "--secret",
            KEY_PAIR_SECRET,
            "--date-header",
            "date",
            "--sign-headers",
            "source",
            "--time",
            "2020-02-15T13:07:19Z",
        ],
        "GET / HTTP/1.1\nSource: ccc\n\n",
    )
    .ok();
    assert_eq!(
        signed,
        "GET / HTTP/1.1\r\n\
         Source: ccc\r\n\
         Date: Sat, 15 Feb 2020 13:07:19 GMT\r\n\
         Authorization: hmac id=\"AKIDexample\", algorithm=\"hmac-sha1\", headers=\"date source\", signature=\"aSqvktrLNYBwKDeMS43788rJ4rU=\"\r\n\
         \r\n"
    );
    let key = format!("AKIDexample:{KEY_PAIR_SECRET}");
    let verified = verify(
        &[
            "--scheme",
            "tencent-key-pair",
            "--key",
            &key,
            "--now",
            "2020-02-15T13:07:19Z",
        ],
        &signed,
    );
    assert_eq!(verified.ok(), format!("{OK_KEY_PAIR}\n"));
}

// --- sign then verify -----------------------------------------------------------------------

#[test]
fn raw_query_is_signed_raw_and_sent_encoded() {
    let request =
        "GET /release/v1/users?q=中文 空格&plus=a+b HTTP/1.1\nHost: example.com\nSource: cli\n\n";
    for scheme in ["tencent-app", "tencent-key-pair"] {
        let signed = round_trip(scheme, &[], request);
        assert!(
            signed.starts_with(
                "GET /release/v1/users?q=%E4%B8%AD%E6%96%87%20%E7%A9%BA%E6%A0%BC&plus=a%2Bb HTTP/1.1\r\n"
            ),
            "{signed}"
        );
        assert_eq!(header(&signed, "x-date"), Some(&X_DATE[8..]));
    }
    let run = sign_with("tencent-app", "s", &["--explain"], request);
    run.ok();
    assert!(
        run.stderr.ends_with("\n/v1/users?plus=a+b&q=中文 空格\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn json_body_gets_content_md5_in_app_mode() {
    let request = "POST /v1/items HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"arg1\":\"a\",\"arg2\":\"b\"}";
    let signed = round_trip("tencent-app", &[], request);
    assert_eq!(
        header(&signed, "content-md5"),
        Some("MzNiMjk0MTJjZWIzMWQ5NmE1OGRiZDYyOWMwNWQ0ZGE=")
    );
    assert_eq!(body(&signed), r#"{"arg1":"a","arg2":"b"}"#);

    let signed = round_trip("tencent-key-pair", &[], request);
    assert_eq!(header(&signed, "content-md5"), None);
    assert_eq!(body(&signed), r#"{"arg1":"a","arg2":"b"}"#);
}

#[test]
fn form_body_is_encoded_and_content_length_follows() {
    let request = "POST /f HTTP/1.1\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\nContent-Length: 18\n\nname=张 三&a=b+c";
    // Content-Length is signed too: the signature must cover the new length.
    for scheme in ["tencent-app", "tencent-key-pair"] {
        let signed = round_trip(
            scheme,
            &["--sign-headers", "content-length,content-type"],
            request,
        );
        assert_eq!(body(&signed), "name=%E5%BC%A0%20%E4%B8%89&a=b%20c");
        assert_eq!(header(&signed, "content-length"), Some("34"));
        assert!(signed.contains(r#"headers="content-length content-type x-date""#));
    }
}

#[test]
fn existing_headers_are_replaced_in_place() {
    let request = "POST /v1 HTTP/1.1\n\
                   X-Date: yesterday\n\
                   Authorization: old\n\
                   Content-MD5: stale\n\
                   Date: Mon, 01 Jan 2001 00:00:00 GMT\n\
                   Content-Type: application/json\n\
                   \n\
                   {}";
    let signed = round_trip("tencent-app", &[], request);
    let names: Vec<&str> = signed
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .split("\r\n")
        .skip(1)
        .map(|line| line.split_once(':').map_or(line, |(name, _)| name))
        .collect();
    assert_eq!(
        names,
        [
            "X-Date",
            "Authorization",
            "Content-MD5",
            "Date",
            "Content-Type"
        ]
    );
    assert_eq!(header(&signed, "x-date"), Some(&X_DATE[8..]));
    assert_eq!(header(&signed, "date"), Some(&X_DATE[8..]));
    assert!(header(&signed, "authorization")
        .unwrap_or_default()
        .starts_with("hmac id="));
    assert_ne!(header(&signed, "content-md5"), Some("stale"));
}

#[test]
fn a_literal_percent_in_the_path_survives() {
    let signed = round_trip("tencent-app", &[], "GET /files/100% HTTP/1.1\n\n");
    assert!(
        signed.starts_with("GET /files/100%25 HTTP/1.1\r\n"),
        "{signed}"
    );
}

#[test]
fn header_values_need_not_be_utf8() {
    let request = b"GET /bin HTTP/1.1\nX-Bin: \xff\xfe \nSource: s\n\n";
    let run = sign_with("tencent-key-pair", "s", &[], request);
    assert_eq!(run.code, 0, "{run:?}");
    let needle: &[u8] = b"\r\nX-Bin: \xff\xfe\r\n";
    assert!(run.stdout.windows(needle.len()).any(|w| w == needle));
    let verified = verify_with("tencent-key-pair", "s", &[], &run.stdout);
    assert_eq!(verified.ok(), format!("{OK_KEY_PAIR}\n"));

    // Signing the non-UTF-8 header works too; verification sees the same bytes.
    let run = sign_with(
        "tencent-key-pair",
        "s",
        &["--sign-headers", "x-bin"],
        request,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let verified = verify_with("tencent-key-pair", "s", &[], &run.stdout);
    assert_eq!(verified.ok(), format!("{OK_KEY_PAIR}\n"));
}

#[test]
fn every_algorithm_round_trips() {
    for algorithm in ["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"] {
        let signed = round_trip(
            "tencent-app",
            &["--algorithm", algorithm],
            "GET /a?b=c HTTP/1.1\n\n",
        );
        assert!(
            signed.contains(&format!("algorithm=\"{algorithm}\"")),
            "{signed}"
        );
    }
}

/// `sign --algorithm hmac-sm3`: the default verifier refuses it with the documented message;
/// `verify --algorithms` that lists it accepts it.
#[test]
fn hmac_sm3_signs_and_verifies_when_allowed() {
    let request = "GET /a?b=c HTTP/1.1\n\n";
    let signed = sign_with(
        "tencent-app",
        "sm3-secret",
        &["--algorithm", "hmac-sm3"],
        request,
    )
    .ok();
    assert!(signed.contains("algorithm=\"hmac-sm3\""), "{signed}");
    assert_rejected(
        &verify_with("tencent-app", "sm3-secret", &[], &signed),
        r#"{"ok":false,"status":403,"code":"AlgorithmNotSupported","message":"HMAC algorithm hmac-sm3 not supported"}"#,
    );
    let allowed = ["--algorithms", "hmac-sha1,hmac-sm3"];
    assert_eq!(
        verify_with("tencent-app", "sm3-secret", &allowed, &signed).ok(),
        format!("{OK_APP}\n")
    );
    // An allow-list without the request's algorithm refuses it.
    let signed = sign_with("tencent-app", "sm3-secret", &[], request).ok();
    assert_rejected(
        &verify_with(
            "tencent-app",
            "sm3-secret",
            &["--algorithms", "hmac-sm3"],
            &signed,
        ),
        r#"{"ok":false,"status":403,"code":"AlgorithmNotSupported","message":"HMAC algorithm hmac-sha1 not supported"}"#,
    );
}

/// `sign --path-as-sent`: the string to sign holds the wire path; the default verifier accepts
/// it (either form), as it does the decoded default.
#[test]
fn path_as_sent_signs_the_wire_path() {
    let request = "GET /files/中文/a b?q=1 HTTP/1.1\n\n";
    let run = sign_with(
        "tencent-app",
        "s",
        &["--path-as-sent", "--explain"],
        request,
    );
    let signed = run.ok();
    assert!(
        signed.starts_with("GET /files/%E4%B8%AD%E6%96%87/a%20b?q=1 HTTP/1.1\r\n"),
        "{signed}"
    );
    assert!(
        run.stderr
            .ends_with("\n/files/%E4%B8%AD%E6%96%87/a%20b?q=1\n"),
        "{}",
        run.stderr
    );
    assert_eq!(
        verify_with("tencent-app", "s", &[], &signed).ok(),
        format!("{OK_APP}\n")
    );
    let decoded = sign_with("tencent-app", "s", &["--explain"], request);
    assert!(
        decoded.stderr.ends_with("\n/files/中文/a b?q=1\n"),
        "{}",
        decoded.stderr
    );
    assert_eq!(
        verify_with("tencent-app", "s", &[], decoded.ok()).ok(),
        format!("{OK_APP}\n")
    );
}

// --- verify failures ----------------------------------------------------------------------

fn signed_app_request() -> String {
    sign_with(
        "tencent-app",
        APP_SECRET,
        &[],
        "POST /v1 HTTP/1.1\nSource: s\nContent-Type: application/json\n\n{\"a\":1}",
    )
    .ok()
}

#[test]
fn a_tampered_request_is_a_mismatch() {
    let signed = signed_app_request();
    for tampered in [
        signed.replace("{\"a\":1}", "{\"a\":2}"),
        signed.replace("Source: s", "Source: t"),
        signed.replace("POST /v1", "POST /v2"),
    ] {
        let run = verify_with("tencent-app", APP_SECRET, &[], &tampered);
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stdout(), format!("{MISMATCH_403}\n"));
        let run = verify_with(
            "tencent-app",
            APP_SECRET,
            &["--statuses", "current"],
            &tampered,
        );
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stdout(), format!("{MISMATCH_401}\n"));
    }
}

#[test]
fn explain_on_failure_prints_the_server_string_to_sign() {
    let tampered = signed_app_request().replace("POST /v1", "POST /v2");
    let run = verify_with("tencent-app", APP_SECRET, &["--explain"], &tampered);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "source: s\n\
         x-date: Thu, 11 Mar 2021 08:29:58 GMT\n\
         POST\n\
         \n\
         application/json\n\
         YmI2Y2I1YzY4ZGY0NjUyOTQxY2FmNjUyYTM2NmYyZDg=\n\
         /v2\n"
    );
    // No string to sign without an Authorization header: nothing is explained.
    let run = verify_with(
        "tencent-app",
        APP_SECRET,
        &["--explain"],
        "GET / HTTP/1.1\n\n",
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, "");
}

#[test]
fn a_request_outside_the_clock_window_is_out_of_date() {
    let signed = signed_app_request();
    let key = format!("AKIDexample:{APP_SECRET}");
    let at = |now: &str, extra: &[&str]| {
        let mut args = vec!["--scheme", "tencent-app", "--key", &key, "--now", now];
        args.extend_from_slice(extra);
        verify(&args, &signed)
    };
    let out_of_date = r#"{"ok":false,"status":403,"code":"DateOutOfWindow","message":"HMAC signature cannot be verified, the x-date header is out of date for HMAC Authentication"}"#;
    for now in [
        "2021-03-11T08:44:59Z",
        "2021-03-11T08:14:57Z",
        "2030-01-01T00:00:00Z",
    ] {
        let run = at(now, &[]);
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stdout(), format!("{out_of_date}\n"));
    }
    // The window is inclusive, and --max-skew widens it.
    assert_eq!(at("2021-03-11T08:44:58Z", &[]).ok(), format!("{OK_APP}\n"));
    assert_eq!(
        at("2021-03-11T09:29:58Z", &["--max-skew", "3600"]).ok(),
        format!("{OK_APP}\n")
    );
    let run = at("2021-03-11T08:30:00Z", &["--max-skew", "1"]);
    assert_eq!(run.code, 1);
}

#[test]
fn a_request_without_authorization_is_401() {
    let expected = r#"{"ok":false,"status":401,"code":"MissingAuthorization","message":"HMAC signature cannot be verified, a validate authorization header is required"}"#;
    for scheme in ["tencent-app", "tencent-key-pair"] {
        let run = verify_with(scheme, "s", &[], "GET / HTTP/1.1\nX-Date: x\n\n");
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stdout(), format!("{expected}\n"));
    }
}

#[test]
fn an_unknown_key_cannot_be_verified() {
    let signed = signed_app_request();
    let run = verify(
        &[
            "--scheme",
            "tencent-app",
            "--key",
            "AKIDother:x",
            "--now",
            TIME,
        ],
        &signed,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stdout(),
        "{\"ok\":false,\"status\":403,\"code\":\"KeyRejected\",\"message\":\"HMAC signature cannot be verified\"}\n"
    );
}

#[test]
fn a_key_pair_signature_is_not_an_app_signature() {
    let signed = sign_with("tencent-key-pair", "s", &[], "GET /x HTTP/1.1\n\n").ok();
    let run = verify_with("tencent-app", "s", &[], &signed);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout(), format!("{MISMATCH_403}\n"));
}

#[test]
fn rotation_accepts_either_secret() {
    let signed = sign_with("tencent-app", "new-secret", &[], "GET /r HTTP/1.1\n\n").ok();
    let both = verify(
        &[
            "--scheme",
            "tencent-app",
            "--key",
            "AKIDexample:old-secret",
            "--key",
            "AKIDexample:new-secret",
            "--now",
            TIME,
        ],
        &signed,
    );
    assert_eq!(both.ok(), format!("{OK_APP}\n"));
    let old_only = verify_with("tencent-app", "old-secret", &[], &signed);
    assert_eq!(old_only.code, 1);
    assert_eq!(old_only.stdout(), format!("{MISMATCH_403}\n"));
}

#[test]
fn a_key_splits_at_the_first_colon() {
    let signed = sign_with("tencent-key-pair", "se:cr:et", &[], "GET / HTTP/1.1\n\n").ok();
    let run = verify_with("tencent-key-pair", "se:cr:et", &[], &signed);
    assert_eq!(run.ok(), format!("{OK_KEY_PAIR}\n"));
}

// --- usage and other errors -----------------------------------------------------------------

#[test]
fn help_prints_usage_and_succeeds() {
    assert!(sign(&["--help"], "").ok().starts_with("usage: sign "));
    assert!(verify(&["--help"], "").ok().starts_with("usage: verify "));
}

#[test]
fn usage_errors_exit_2() {
    let request = "GET / HTTP/1.1\nSource: s\n\n";
    let key = ["--id", "a", "--secret", "b"];
    let sign_cases: &[&[&str]] = &[
        &[],
        &["--scheme", "tencent-cloud", "--id", "a", "--secret", "b"],
        &["--scheme", "tencent-app", "--secret", "b"],
        &["--scheme", "tencent-app", "--id", "a"],
        &["--scheme", "tencent-app", "--id", "a", "--secret"],
        &[
            "--scheme",
            "tencent-app",
            "--id",
            "c",
            "--id",
            "a",
            "--secret",
            "b",
        ],
        &[
            "--scheme",
            "tencent-app",
            "--bogus",
            "--id",
            "a",
            "--secret",
            "b",
        ],
        &[
            "--scheme",
            "tencent-app",
            "stray",
            "--id",
            "a",
            "--secret",
            "b",
        ],
    ];
    for args in sign_cases {
        sign(args, request).usage_error();
    }
    // Bad option values, each with a complete key.
    let bad_values: &[&[&str]] = &[
        &["--scheme", "tencent-app", "--time", "2021-03-11 08:29:58"],
        &["--scheme", "tencent-app", "--algorithm", "hmac-md5"],
        &["--scheme", "tencent-app", "--algorithm", "HMAC-SM3"],
        &["--scheme", "tencent-app", "--expires", "soon"],
        &["--scheme", "tencent-app", "--date-header", "date"],
        &["--scheme", "tencent-key-pair", "--date-header", "expires"],
    ];
    for args in bad_values {
        sign(&[*args, &key[..]].concat(), request).usage_error();
    }

    let verify_cases: &[&[&str]] = &[
        &[],
        &["--key", "a:b"],
        &["--scheme", "tencent-cloud", "--key", "a:b"],
        &["--scheme", "tencent-app"],
        &["--scheme", "tencent-app", "--key", "no-colon"],
        &["--scheme", "tencent-app", "--key", ":secret"],
        &["--scheme", "tencent-app", "--key"],
        &["--scheme", "tencent-app", "--key", "a:b", "--now", "today"],
        &[
            "--scheme",
            "tencent-app",
            "--key",
            "a:b",
            "--max-skew",
            "-5",
        ],
        &[
            "--scheme",
            "tencent-app",
            "--key",
            "a:b",
            "--statuses",
            "new",
        ],
        &["--scheme", "tencent-app", "--key", "a:b", "--expires", "60"],
        &[
            "--scheme",
            "tencent-app",
            "--key",
            "a:b",
            "--algorithms",
            "hmac-md5",
        ],
        &[
            "--scheme",
            "bce",
            "--key",
            "a:b",
            "--algorithms",
            "hmac-sha1,",
        ],
    ];
    for args in verify_cases {
        verify(args, request).usage_error();
    }
}

#[test]
fn malformed_input_exits_2() {
    for input in [
        &b""[..],
        b"\n\n",
        b"GET /\n\n",
        b"GET / HTTP/1.1\nno colon here\n\n",
        b"GET / HTTP/1.1\n: empty name\n\n",
        b"GET / HTTP/1.1\nBad Name: x\n\n",
        b"GET /\xff HTTP/1.1\n\n",
    ] {
        sign_with("tencent-app", "s", &[], input).usage_error();
        verify_with("tencent-app", "s", &[], input).usage_error();
    }
    // A form body must be text to be split into parameters.
    sign_with(
        "tencent-app",
        "s",
        &[],
        &b"POST / HTTP/1.1\nContent-Type: application/x-www-form-urlencoded\n\na=\xff"[..],
    )
    .usage_error();
}

#[test]
fn a_library_error_while_signing_exits_1() {
    let run = sign_with(
        "tencent-app",
        "s",
        &["--sign-headers", "source"],
        "GET / HTTP/1.1\n\n",
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty());
    assert_eq!(
        run.stderr,
        "invalid request: a header to sign is not in the request\n"
    );
}

// --- BCE -------------------------------------------------------------------------------------

const BCE_AK: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const BCE_SK: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const BCE_TIME: &str = "2015-04-27T08:23:49Z";
const BCE_SIGNATURE: &str = "d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e";
const BCE_SIGNATURE_HOST_DATE: &str =
    "1b8de5a23a56eef657c69f94c621e7acd227d049a4ba577f537d5e5cebf0cf32";

/// The spec's published request (§7), with an 8-byte body to match its `Content-Length`.
const BCE_REQUEST: &str =
    "PUT /v1/test/myfolder/readme.txt?partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851 HTTP/1.1
Host: bj.bcebos.com
Date: Mon, 27 Apr 2015 16:23:49 +0800
Content-Type: text/plain
Content-Length: 8
Content-Md5: NFzcPqhviddjRNnSOGo4rw==
x-bce-date: 2015-04-27T08:23:49Z

12345678";

/// The spec's canonical request for [`BCE_REQUEST`].
const BCE_CANONICAL: &str = "PUT
/v1/test/myfolder/readme.txt
partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851
content-length:8
content-md5:NFzcPqhviddjRNnSOGo4rw%3D%3D
content-type:text%2Fplain
host:bj.bcebos.com
x-bce-date:2015-04-27T08%3A23%3A49Z";

const BCE_DEFAULT_LIST: &str = "content-length;content-md5;content-type;host;x-bce-date";

/// A raw request as a person would type it: Chinese and a space in the path, a space and a
/// bare key in the query.
const BCE_RAW_REQUEST: &str = "GET /v1/中文 路径?q=a b&x HTTP/1.1\nHost: example.com\n\n";
const BCE_RAW_TARGET: &str = "/v1/%E4%B8%AD%E6%96%87%20%E8%B7%AF%E5%BE%84?q=a%20b&x";

const BCE_MISMATCH: &str = r#"{"ok":false,"status":400,"code":"SignatureMismatch","message":"Signature is invalid: signature is mismatched."}"#;
const BCE_EXPIRED: &str = r#"{"ok":false,"status":400,"code":"SignatureTimestampExpired","message":"Signature is invalid: timestamp is expired."}"#;
const BCE_EMPTY: &str =
    r#"{"ok":false,"status":400,"code":"EmptySignature","message":"Signature is empty"}"#;
const BCE_APP_INVALID: &str = r#"{"ok":false,"status":400,"code":"SignatureAppInvalid","message":"Signature is invalid: app key is invalid."}"#;
const BCE_SKEWED: &str = r#"{"ok":false,"status":403,"code":"RequestTimeTooSkewed","message":"The difference between the request time and the server's time is too large."}"#;
const BCE_FORMAT_INVALID: &str = r#"{"ok":false,"status":400,"code":"SignatureFormatInvalid","message":"Signature is invalid: invalid signature format."}"#;

/// `sign --scheme <scheme> --id BCE_AK --secret BCE_SK --time <time> <extra…>`.
fn bce_sign(scheme: &str, time: &str, extra: &[&str], stdin: impl AsRef<[u8]>) -> Run {
    let mut args = vec![
        "--scheme", scheme, "--id", BCE_AK, "--secret", BCE_SK, "--time", time,
    ];
    args.extend_from_slice(extra);
    sign(&args, stdin)
}

/// `verify --scheme <scheme> --key BCE_AK:BCE_SK --now <now> <extra…>`.
fn bce_verify(scheme: &str, now: &str, extra: &[&str], stdin: impl AsRef<[u8]>) -> Run {
    let key = format!("{BCE_AK}:{BCE_SK}");
    let mut args = vec!["--scheme", scheme, "--key", &key, "--now", now];
    args.extend_from_slice(extra);
    verify(&args, stdin)
}

fn bce_ok(scheme: &str, key_id: &str) -> String {
    format!("{{\"ok\":true,\"scheme\":\"{scheme}\",\"key_id\":\"{key_id}\"}}\n")
}

/// Asserts a failed verification with exactly `line`.
#[track_caller]
fn assert_rejected(run: &Run, line: &str) {
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout(), format!("{line}\n"));
}

/// The auth string of a signed request, from whichever carrier it uses.
fn auth_string(signed: &str) -> String {
    if let Some(value) = header(signed, "x-bce-signature").or(header(signed, "authorization")) {
        return value.to_owned();
    }
    let target = signed.split(' ').nth(1).unwrap_or_default();
    let encoded = target
        .split_once("authorization=")
        .map_or("", |(_, v)| v.split('&').next().unwrap_or_default());
    encoded
        .replace("%2F", "/")
        .replace("%3A", ":")
        .replace("%3B", ";")
}

/// Signs `request` under the BCE `scheme` and checks that the output verifies; returns it.
#[track_caller]
fn bce_round_trip(scheme: &str, sign_extra: &[&str], request: &str) -> String {
    let signed = sign_with(scheme, "round-trip-secret", sign_extra, request).ok();
    let verified = if scheme == "bce-appcode" {
        verify(
            &["--scheme", scheme, "--key", "AKIDexample", "--now", TIME],
            &signed,
        )
    } else {
        verify_with(scheme, "round-trip-secret", &[], &signed)
    };
    assert_eq!(
        verified.ok(),
        bce_ok(scheme, "AKIDexample"),
        "{signed}\n{verified:?}"
    );
    signed
}

#[test]
fn bce_vector_from_the_spec() {
    let auth = format!("bce-auth-v1/{BCE_AK}/{BCE_TIME}/1800/{BCE_DEFAULT_LIST}/{BCE_SIGNATURE}");
    let signed = bce_sign("bce", BCE_TIME, &[], BCE_REQUEST).ok();
    // The request as given (x-bce-date kept, Date untouched) plus the Authorization header.
    assert_eq!(
        signed,
        format!(
            "PUT /v1/test/myfolder/readme.txt?partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851 HTTP/1.1\r\n\
             Host: bj.bcebos.com\r\n\
             Date: Mon, 27 Apr 2015 16:23:49 +0800\r\n\
             Content-Type: text/plain\r\n\
             Content-Length: 8\r\n\
             Content-Md5: NFzcPqhviddjRNnSOGo4rw==\r\n\
             x-bce-date: 2015-04-27T08:23:49Z\r\n\
             Authorization: {auth}\r\n\
             \r\n\
             12345678"
        )
    );
    assert_eq!(
        bce_verify("bce", BCE_TIME, &[], &signed).ok(),
        bce_ok("bce", BCE_AK)
    );

    // The same auth string in every carrier.
    let signed = bce_sign("bce-app", BCE_TIME, &[], BCE_REQUEST).ok();
    assert_eq!(header(&signed, "x-bce-signature"), Some(auth.as_str()));
    assert_eq!(header(&signed, "authorization"), None);
    assert_eq!(
        bce_verify("bce-app", BCE_TIME, &[], &signed).ok(),
        bce_ok("bce-app", BCE_AK)
    );
    let signed = bce_sign("bce-url", BCE_TIME, &[], BCE_REQUEST).ok();
    assert_eq!(auth_string(&signed), auth);
    assert_eq!(
        bce_verify("bce-url", BCE_TIME, &[], &signed).ok(),
        bce_ok("bce-url", BCE_AK)
    );

    // The explicit default list signs the same; host and x-bce-date alone sign the other vector.
    let signed = bce_sign(
        "bce",
        BCE_TIME,
        &[
            "--sign-headers",
            "content-length,content-md5,content-type,host,x-bce-date",
        ],
        BCE_REQUEST,
    )
    .ok();
    assert_eq!(header(&signed, "authorization"), Some(auth.as_str()));
    let signed = bce_sign(
        "bce",
        BCE_TIME,
        &["--sign-headers", "host,x-bce-date"],
        BCE_REQUEST,
    )
    .ok();
    assert_eq!(
        header(&signed, "authorization"),
        Some(
            format!(
                "bce-auth-v1/{BCE_AK}/{BCE_TIME}/1800/host;x-bce-date/{BCE_SIGNATURE_HOST_DATE}"
            )
            .as_str()
        )
    );
    assert_eq!(
        bce_verify("bce", BCE_TIME, &[], &signed).ok(),
        bce_ok("bce", BCE_AK)
    );
}

#[test]
fn bce_vector_with_crlf_input_signs_the_same() {
    let crlf = BCE_REQUEST.replace('\n', "\r\n");
    assert_eq!(
        bce_sign("bce", BCE_TIME, &[], crlf).ok(),
        bce_sign("bce", BCE_TIME, &[], BCE_REQUEST).ok()
    );
}

#[test]
fn bce_explain_prints_the_canonical_request() {
    for scheme in ["bce", "bce-app", "bce-url"] {
        let run = bce_sign(scheme, BCE_TIME, &["--explain"], BCE_REQUEST);
        run.ok();
        assert_eq!(run.stderr, format!("{BCE_CANONICAL}\n"), "{scheme}");
    }
    // On a verification failure, the server's canonical request for what it received.
    let signed = bce_sign("bce", BCE_TIME, &[], BCE_REQUEST).ok();
    let tampered = signed.replace("partNumber=9", "partNumber=10");
    let run = bce_verify("bce", BCE_TIME, &["--explain"], &tampered);
    assert_rejected(&run, BCE_MISMATCH);
    assert_eq!(
        run.stderr,
        format!(
            "{}\n",
            BCE_CANONICAL.replace("partNumber=9", "partNumber=10")
        )
    );
    // Nothing to explain without an auth string, nor on success.
    let run = bce_verify("bce", BCE_TIME, &["--explain"], BCE_REQUEST);
    assert_rejected(&run, BCE_EMPTY);
    assert_eq!(run.stderr, "");
    let run = bce_verify("bce", BCE_TIME, &["--explain"], &signed);
    run.ok();
    assert_eq!(run.stderr, "");
}

#[test]
fn bce_keeps_an_existing_x_bce_date_and_adds_one_otherwise() {
    // Signed a minute after the x-bce-date the request carries: the header is kept as it is,
    // the auth string has the signing time.
    let later = "2015-04-27T08:24:49Z";
    let signed = bce_sign("bce-app", later, &[], BCE_REQUEST).ok();
    assert_eq!(header(&signed, "x-bce-date"), Some(BCE_TIME));
    assert!(
        auth_string(&signed).starts_with(&format!("bce-auth-v1/{BCE_AK}/{later}/1800/")),
        "{signed}"
    );
    assert_eq!(
        bce_verify("bce-app", later, &[], &signed).ok(),
        bce_ok("bce-app", BCE_AK)
    );

    // Without one, the signer adds x-bce-date at the signing time (header carriers only).
    let request = "GET /a HTTP/1.1\nHost: example.com\n\n";
    for scheme in ["bce", "bce-app"] {
        let signed = bce_round_trip(scheme, &[], request);
        assert_eq!(header(&signed, "x-bce-date"), Some(TIME), "{signed}");
        assert!(auth_string(&signed).contains("/1800/host;x-bce-date/"));
    }
    let signed = bce_round_trip("bce-url", &[], request);
    assert_eq!(header(&signed, "x-bce-date"), None, "{signed}");
    assert!(auth_string(&signed).contains("/1800/host/"));
}

#[test]
fn bce_raw_input_round_trips_in_every_scheme() {
    for scheme in ["bce", "bce-app", "bce-url", "bce-appcode"] {
        let signed = bce_round_trip(scheme, &[], BCE_RAW_REQUEST);
        let request_line = signed.split("\r\n").next().unwrap_or_default();
        match scheme {
            "bce-url" => assert!(
                request_line.starts_with(&format!(
                    "GET {BCE_RAW_TARGET}&authorization=bce-auth-v1%2FAKIDexample%2F2021-03-11T08%3A29%3A58Z%2F1800%2Fhost%2F"
                )),
                "{signed}"
            ),
            _ => assert_eq!(request_line, format!("GET {BCE_RAW_TARGET} HTTP/1.1")),
        }
        let carrier = match scheme {
            "bce" => "authorization",
            _ => "x-bce-signature",
        };
        match scheme {
            "bce-url" => assert!(!signed.contains("Authorization:") && !signed.contains("X-Bce")),
            "bce-appcode" => {
                assert_eq!(header(&signed, carrier), Some("AppCode/AKIDexample"));
                assert_eq!(header(&signed, "x-bce-date"), None);
            }
            _ => assert!(header(&signed, carrier)
                .unwrap_or_default()
                .starts_with("bce-auth-v1/AKIDexample/2021-03-11T08:29:58Z/1800/host;x-bce-date/")),
        }
    }
    // The canonical request decodes the wire target again: the raw text, encoded once.
    let run = sign_with("bce", "s", &["--explain"], BCE_RAW_REQUEST);
    run.ok();
    assert_eq!(
        run.stderr,
        "GET\n\
         /v1/%E4%B8%AD%E6%96%87%20%E8%B7%AF%E5%BE%84\n\
         q=a%20b&x=\n\
         host:example.com\n\
         x-bce-date:2021-03-11T08%3A29%3A58Z\n"
    );
    // Already-encoded input is not encoded twice; `+` is a literal plus; a stray `%` is text.
    let signed = bce_round_trip(
        "bce",
        &[],
        "GET /v1/%E4%B8%AD?q=a%20b&p=a+b&pct=100% HTTP/1.1\nHost: h\n\n",
    );
    assert!(
        signed.starts_with("GET /v1/%E4%B8%AD?q=a%20b&p=a%2Bb&pct=100%25 HTTP/1.1\r\n"),
        "{signed}"
    );
}

#[test]
fn bce_url_is_resigned_without_the_old_authorization() {
    let first = bce_round_trip("bce-url", &[], "GET /p?a=1 HTTP/1.1\nHost: h\n\n");
    let later = sign(
        &[
            "--scheme",
            "bce-url",
            "--id",
            "AKIDexample",
            "--secret",
            "round-trip-secret",
            "--time",
            "2021-03-11T09:00:00Z",
        ],
        &first,
    )
    .ok();
    assert_eq!(later.matches("authorization=").count(), 1, "{later}");
    assert!(later.contains("%2F2021-03-11T09%3A00%3A00Z%2F"), "{later}");
    let run = verify_with("bce-url", "round-trip-secret", &[], &later);
    assert_rejected(&run, BCE_SKEWED);
    let run = verify(
        &[
            "--scheme",
            "bce-url",
            "--key",
            "AKIDexample:round-trip-secret",
            "--now",
            "2021-03-11T09:00:00Z",
        ],
        &later,
    );
    assert_eq!(run.ok(), bce_ok("bce-url", "AKIDexample"));
}

#[test]
fn bce_form_body_is_encoded_and_content_length_follows() {
    let request = "POST /f HTTP/1.1\nHost: h\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 18\n\nname=张 三&a=b+c";
    for scheme in ["bce", "bce-app", "bce-url"] {
        let signed = bce_round_trip(scheme, &[], request);
        assert_eq!(body(&signed), "name=%E5%BC%A0%20%E4%B8%89&a=b%20c");
        assert_eq!(header(&signed, "content-length"), Some("34"));
        assert!(auth_string(&signed).contains("content-length;content-type;host"));
    }
}

#[test]
fn bce_expires_sets_the_expiration() {
    let signed = sign_with(
        "bce-app",
        "s",
        &["--expires", "60"],
        "GET / HTTP/1.1\nHost: h\n\n",
    )
    .ok();
    assert!(auth_string(&signed).contains("/2021-03-11T08:29:58Z/60/"));
    let at = |now: &str| {
        verify(
            &[
                "--scheme",
                "bce-app",
                "--key",
                "AKIDexample:s",
                "--now",
                now,
            ],
            &signed,
        )
    };
    assert_eq!(
        at("2021-03-11T08:30:58Z").ok(),
        bce_ok("bce-app", "AKIDexample")
    );
    assert_rejected(&at("2021-03-11T08:30:59Z"), BCE_EXPIRED);
}

#[test]
fn bce_a_tampered_request_is_a_mismatch() {
    let signed = bce_sign("bce", BCE_TIME, &[], BCE_REQUEST).ok();
    for tampered in [
        signed.replace("PUT /v1", "PUT /v2"),
        signed.replace("partNumber=9", "partNumber=8"),
        signed.replace("Content-Type: text/plain", "Content-Type: text/html"),
        signed.replace("Host: bj.bcebos.com", "Host: gz.bcebos.com"),
        signed.replace("PUT /v1", "POST /v1"),
    ] {
        assert_rejected(&bce_verify("bce", BCE_TIME, &[], &tampered), BCE_MISMATCH);
    }
    // The body and unsigned headers are not covered.
    for untouched in [
        signed.replace("12345678", "87654321"),
        signed.replace("+0800", "+0000"),
    ] {
        bce_verify("bce", BCE_TIME, &[], &untouched).ok();
    }
    // A wrong secret is a mismatch too; --statuses does not change BCE statuses.
    let wrong = format!("{BCE_AK}:not-the-secret");
    for statuses in ["classic", "current"] {
        let run = verify(
            &[
                "--scheme",
                "bce",
                "--key",
                &wrong,
                "--now",
                BCE_TIME,
                "--statuses",
                statuses,
            ],
            &signed,
        );
        assert_rejected(&run, BCE_MISMATCH);
    }
}

#[test]
fn bce_clock_checks() {
    let signed = bce_sign("bce-app", BCE_TIME, &[], BCE_REQUEST).ok();
    // The expiration bounds the age, inclusive.
    bce_verify("bce-app", "2015-04-27T08:53:49Z", &[], &signed).ok();
    for now in ["2015-04-27T08:53:50Z", "2030-01-01T00:00:00Z"] {
        assert_rejected(&bce_verify("bce-app", now, &[], &signed), BCE_EXPIRED);
    }
    // Signed more than max-skew (default 300 s) in the future.
    bce_verify("bce-app", "2015-04-27T08:18:49Z", &[], &signed).ok();
    assert_rejected(
        &bce_verify("bce-app", "2015-04-27T08:18:48Z", &[], &signed),
        BCE_SKEWED,
    );
    bce_verify(
        "bce-app",
        "2015-04-27T08:13:49Z",
        &["--max-skew", "600"],
        &signed,
    )
    .ok();
    assert_rejected(
        &bce_verify(
            "bce-app",
            "2015-04-27T08:23:48Z",
            &["--max-skew", "0"],
            &signed,
        ),
        BCE_SKEWED,
    );
}

#[test]
fn bce_without_a_carrier_is_empty_signature() {
    let request = "GET / HTTP/1.1\nHost: h\n\n";
    for scheme in ["bce", "bce-app", "bce-url", "bce-appcode"] {
        let run = bce_verify(scheme, BCE_TIME, &[], request);
        assert_rejected(&run, BCE_EMPTY);
    }
    // Each scheme looks only in its own carrier.
    let signed = bce_sign("bce", BCE_TIME, &[], BCE_REQUEST).ok();
    for scheme in ["bce-app", "bce-url", "bce-appcode"] {
        assert_rejected(&bce_verify(scheme, BCE_TIME, &[], &signed), BCE_EMPTY);
    }
    let signed = bce_sign("bce-url", BCE_TIME, &[], BCE_REQUEST).ok();
    for scheme in ["bce", "bce-app"] {
        assert_rejected(&bce_verify(scheme, BCE_TIME, &[], &signed), BCE_EMPTY);
    }
    // An AppCode is not an auth string, nor an auth string an AppCode.
    let app_code = sign(&["--scheme", "bce-appcode", "--id", "code-1"], request).ok();
    assert_rejected(
        &bce_verify("bce-app", BCE_TIME, &[], &app_code),
        BCE_FORMAT_INVALID,
    );
    let signed = bce_sign("bce-app", BCE_TIME, &[], BCE_REQUEST).ok();
    assert_rejected(
        &bce_verify("bce-appcode", BCE_TIME, &[], &signed),
        BCE_FORMAT_INVALID,
    );
}

#[test]
fn bce_unknown_keys_and_app_codes_are_app_invalid() {
    let signed = bce_sign("bce", BCE_TIME, &[], BCE_REQUEST).ok();
    let run = verify(
        &["--scheme", "bce", "--key", "other:x", "--now", BCE_TIME],
        &signed,
    );
    assert_rejected(&run, BCE_APP_INVALID);

    let request = "GET /v1 HTTP/1.1\nHost: h\n\n";
    let app_code = sign(&["--scheme", "bce-appcode", "--id", "9ae2bf21"], request).ok();
    assert_eq!(
        app_code,
        "GET /v1 HTTP/1.1\r\nHost: h\r\nX-Bce-Signature: AppCode/9ae2bf21\r\n\r\n"
    );
    let known = |keys: &[&str]| {
        let mut args = vec!["--scheme", "bce-appcode"];
        for key in keys {
            args.extend(["--key", key]);
        }
        verify(&args, &app_code)
    };
    assert_rejected(&known(&["9ae2bf22"]), BCE_APP_INVALID);
    // The whole --key value is the code, colon and all.
    assert_rejected(&known(&["9ae2bf21:x"]), BCE_APP_INVALID);
    assert_eq!(
        known(&["other", "9ae2bf21"]).ok(),
        bce_ok("bce-appcode", "9ae2bf21")
    );
}

#[test]
fn bce_rotation_and_colons_in_secrets() {
    let signed = sign_with("bce", "se:cr:et", &[], "GET / HTTP/1.1\nHost: h\n\n").ok();
    assert_eq!(
        verify_with("bce", "se:cr:et", &[], &signed).ok(),
        bce_ok("bce", "AKIDexample")
    );
    let both = verify(
        &[
            "--scheme",
            "bce",
            "--key",
            "AKIDexample:old",
            "--key",
            "AKIDexample:se:cr:et",
            "--now",
            TIME,
        ],
        &signed,
    );
    assert_eq!(both.ok(), bce_ok("bce", "AKIDexample"));
    assert_rejected(&verify_with("bce", "old", &[], &signed), BCE_MISMATCH);
}

#[test]
fn bce_signing_errors_exit_1() {
    const MISSING: &str = "invalid request: a header to sign is not in the request\n";
    let cases: &[(&[&str], &str, &str)] = &[
        // host must be signed, and listed headers must be present.
        (
            &["--sign-headers", "content-type"],
            "GET / HTTP/1.1\nHost: h\nContent-Type: t\n\n",
            "invalid request: the headers to sign must include host (bce-auth-v1 always signs it)\n",
        ),
        (
            &["--sign-headers", "host,content-md5"],
            "GET / HTTP/1.1\nHost: h\n\n",
            MISSING,
        ),
        (
            &[],
            "GET / HTTP/1.1\nAccept: */*\n\n",
            "invalid request: the request has no Host header (bce-auth-v1 always signs it)\n",
        ),
    ];
    for (extra, request, message) in cases {
        let run = sign_with("bce", "s", extra, request);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert_eq!(run.stderr, *message);
    }
}

#[test]
fn bce_usage_errors_exit_2() {
    let request = "GET / HTTP/1.1\nHost: h\n\n";
    for scheme in ["bce", "bce-app", "bce-url"] {
        sign(&["--scheme", scheme, "--id", "a"], request).usage_error();
        sign(&["--scheme", scheme, "--secret", "b"], request).usage_error();
    }
    sign(&["--scheme", "bce-appcode"], request).usage_error();
    sign(&["--scheme", "bce-appcode", "--id", ""], request).usage_error();
    sign(&["--scheme", "bce-appcode", "--id", "a\nb"], request).usage_error();

    // Every option's value is checked whatever the scheme: Tencent's --algorithm and
    // --date-header are checked for BCE, as BCE's --expires is for Tencent.
    let bad_values: &[&[&str]] = &[
        &["--expires", "soon"],
        &["--expires", "-1"],
        &["--time", "2015-04-27 08:23:49"],
        &["--algorithm", "hmac-md5"],
        &["--date-header", "expires"],
    ];
    for scheme in ["bce", "bce-app", "bce-url", "bce-appcode"] {
        for extra in bad_values {
            bce_sign(scheme, BCE_TIME, extra, request).usage_error();
        }
    }

    let verify_cases: &[&[&str]] = &[
        &["--scheme", "bce"],
        &["--scheme", "bce-app", "--key", "no-colon"],
        &["--scheme", "bce-url", "--key", ":secret"],
        &["--scheme", "bce-appcode"],
        &["--scheme", "bce-appcode", "--key", ""],
        &["--scheme", "bce", "--key", "a:b", "--now", "today"],
        &["--scheme", "bce", "--key", "a:b", "--max-skew", "-5"],
        &["--scheme", "bce-app", "--key", "a:b", "--statuses", "new"],
        &["--scheme", "bce", "--key", "a:b", "--expires", "60"],
        &[
            "--scheme",
            "bce-url",
            "--key",
            "a:b",
            "--algorithm",
            "hmac-sha256",
        ],
    ];
    for args in verify_cases {
        verify(args, request).usage_error();
    }
}

#[test]
fn bce_ignores_tencent_options_once_checked() {
    let plain = bce_sign("bce", BCE_TIME, &[], BCE_REQUEST).ok();
    for extra in [
        &["--algorithm", "hmac-sha256"][..],
        &["--date-header", "date"],
        &["--date-header", "x-date"],
    ] {
        assert_eq!(bce_sign("bce", BCE_TIME, extra, BCE_REQUEST).ok(), plain);
    }
    // An AppCode needs no secret, and one given is unused.
    let request = "GET / HTTP/1.1\nHost: h\n\n";
    assert_eq!(
        sign(
            &["--scheme", "bce-appcode", "--id", "c", "--secret", "x"],
            request
        )
        .ok(),
        sign(&["--scheme", "bce-appcode", "--id", "c"], request).ok()
    );
    // --statuses is checked and accepted for BCE.
    let run = bce_verify("bce", BCE_TIME, &["--statuses", "current"], &plain);
    assert_eq!(run.ok(), bce_ok("bce", BCE_AK));
}

#[test]
fn bce_malformed_input_exits_2() {
    for input in [&b""[..], b"GET /\n\n", b"GET / HTTP/1.1\nno colon here\n\n"] {
        bce_sign("bce", BCE_TIME, &[], input).usage_error();
        bce_verify("bce", BCE_TIME, &[], input).usage_error();
    }
}

// --- verify --gateway ------------------------------------------------------------------------
// The configuration is the shared `tests/fixtures/gateway.toml`; these tests use its services
// `service-cli` (the issue's TOML) and `bce-cli`.

/// A file in the temporary directory, removed when dropped.
#[cfg(feature = "serde")]
struct TempFile(PathBuf);

#[cfg(feature = "serde")]
impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("apigw-sign-cli-{}-{name}.toml", std::process::id()));
        std::fs::write(&path, contents).expect("write the temporary file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

#[cfg(feature = "serde")]
impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `verify --gateway <file> --now TIME <extra…>`.
#[cfg(feature = "serde")]
fn verify_gateway(file: &str, extra: &[&str], stdin: impl AsRef<[u8]>) -> Run {
    let mut args = vec!["--gateway", file, "--now", TIME];
    args.extend_from_slice(extra);
    verify(&args, stdin)
}

#[cfg(feature = "serde")]
#[test]
fn gateway_routes_a_signed_request_over_https() {
    // `sign` strips the `/release` segment, as the gateway does.
    let request = "GET /release/users/42?lang=zh HTTP/1.1
Host: service-cli-1250000000.gz.apigw.tencentcs.com
Accept: application/json

";
    let signed = sign_with("tencent-app", "gateway-secret", &[], request).ok();
    let run = verify_gateway(GATEWAY_TOML, &["--proto", "https"], &signed);
    assert_eq!(
        run.ok(),
        concat!(
            r#"{"ok":true,"scheme":"tencent-app","key_id":"AKIDexample","#,
            r#""service":"service-cli","environment":"release","api":"/users/{id}"}"#,
            "\n"
        )
    );
    // HTTPS is the default (spec/cli.md).
    assert_eq!(run.ok(), verify_gateway(GATEWAY_TOML, &[], &signed).ok());
    // The same request over HTTP is refused by the API.
    assert_rejected(
        &verify_gateway(GATEWAY_TOML, &["--proto", "http"], &signed),
        r#"{"ok":false,"status":404,"code":"ProtocolNotAllowed","message":"Not allow use HTTP protocol"}"#,
    );

    // Key-pair on the custom domain's "" mapping (the whole path is the API's).
    let request = "GET /pair HTTP/1.1\nHost: cli.example.com\nSource: cli\n\n";
    let signed = sign_with("tencent-key-pair", "gateway-secret", &[], request).ok();
    assert_eq!(
        verify_gateway(GATEWAY_TOML, &["--proto", "https"], &signed).ok(),
        concat!(
            r#"{"ok":true,"scheme":"tencent-key-pair","key_id":"AKIDexample","#,
            r#""service":"service-cli","environment":"release","api":"/pair"}"#,
            "\n"
        )
    );

    // No authentication: key_id is null.
    let request =
        "GET /release/open HTTP/1.1\nHost: service-cli-1250000000.gz.apigw.tencentcs.com\n\n";
    assert_eq!(
        verify_gateway(GATEWAY_TOML, &["--proto", "http"], request).ok(),
        concat!(
            r#"{"ok":true,"scheme":"none","key_id":null,"#,
            r#""service":"service-cli","environment":"release","api":"/open"}"#,
            "\n"
        )
    );

    // BCE: the environment comes from X-Bce-Stage (signed, as every x-bce-* header).
    let request = "GET /v1/app HTTP/1.1\nHost: bce-cli.example.com\nX-Bce-Stage: test\n\n";
    let signed = sign(
        &[
            "--scheme", "bce-app", "--id", "bce-ak", "--secret", "bce-sk", "--time", TIME,
        ],
        request,
    )
    .ok();
    assert_eq!(
        verify_gateway(GATEWAY_TOML, &["--proto", "https"], &signed).ok(),
        concat!(
            r#"{"ok":true,"scheme":"bce-app","key_id":"bce-ak","#,
            r#""service":"bce-cli","environment":"test","api":"/v1/app"}"#,
            "\n"
        )
    );
}

#[cfg(feature = "serde")]
#[test]
fn gateway_errors_are_the_documented_lines() {
    let https = ["--proto", "https"];
    let http = ["--proto", "http"];
    let cases: [(&str, &[&str], &str); 7] = [
        (
            "GET /release/open HTTP/1.1\nHost: service-cli-1250000000.gz.apigw.tencentcs.com\n\n",
            &https,
            r#"{"ok":false,"status":404,"code":"ProtocolNotAllowed","message":"Not allow use HTTPS protocol"}"#,
        ),
        (
            "GET /release/open HTTP/1.1\nHost: nowhere.example:8080\n\n",
            &https,
            r#"{"ok":false,"status":404,"code":"NoApiForHost","message":"There is no api match host[nowhere.example:8080]"}"#,
        ),
        (
            "GET /staging/open HTTP/1.1\nHost: service-cli-1250000000.gz.apigw.tencentcs.com\n\n",
            &http,
            r#"{"ok":false,"status":404,"code":"NoDefaultEnvMapping","message":"There is no api match default env_mapping[staging]"}"#,
        ),
        (
            "GET /t/missing HTTP/1.1\nHost: cli.example.com\n\n",
            &http,
            r#"{"ok":false,"status":404,"code":"NoApiForUri","message":"There is no api match uri[/missing]"}"#,
        ),
        (
            "TRACE /release/open HTTP/1.1\nHost: service-cli-1250000000.gz.apigw.tencentcs.com\n\n",
            &http,
            r#"{"ok":false,"status":404,"code":"MethodNotSupported","message":"Could not support method"}"#,
        ),
        (
            "GET /release/open HTTP/1.1\nHost: service-cli-1250000000.gz.apigw.tencentcs.com\nOrigin: https://evil.example\n\n",
            &http,
            r#"{"ok":false,"status":429,"code":"CrossOrigin","message":"req is cross origin, api /open need open cors flag on qcloud apigateway."}"#,
        ),
        // `test` is published but bound to no usage plan.
        (
            "GET /test/pair HTTP/1.1\nHost: service-cli-1250000000.gz.apigw.tencentcs.com\n\n",
            &http,
            r#"{"ok":false,"status":403,"code":"NoUsagePlan","message":"Found no validate usage plan"}"#,
        ),
    ];
    for (request, extra, line) in cases {
        assert_rejected(&verify_gateway(GATEWAY_TOML, extra, request), line);
    }

    // A disabled key: 403 classic, 401 current.
    let request =
        "GET /release/pair HTTP/1.1\nHost: service-cli-1250000000.gz.apigw.tencentcs.com\n\n";
    let signed = sign(
        &[
            "--scheme",
            "tencent-key-pair",
            "--id",
            "AKIDoff",
            "--secret",
            "off-secret",
            "--time",
            TIME,
        ],
        request,
    )
    .ok();
    assert_rejected(
        &verify_gateway(GATEWAY_TOML, &http, &signed),
        r#"{"ok":false,"status":403,"code":"KeyRejected","message":"HMAC signature cannot be verified"}"#,
    );
    assert_rejected(
        &verify_gateway(
            GATEWAY_TOML,
            &["--statuses", "current", "--proto", "http"],
            &signed,
        ),
        r#"{"ok":false,"status":401,"code":"KeyRejected","message":"HMAC signature cannot be verified"}"#,
    );
    // BCE: a key not bound to `release` (the default stage).
    let request = "GET /v1/app HTTP/1.1\nHost: bce-cli.example.com\n\n";
    let signed = sign(
        &[
            "--scheme", "bce-app", "--id", "bce-ak", "--secret", "bce-sk", "--time", TIME,
        ],
        request,
    )
    .ok();
    assert_rejected(
        &verify_gateway(GATEWAY_TOML, &http, &signed),
        r#"{"ok":false,"status":403,"code":"NoUsagePlan","message":"Found no validate usage plan"}"#,
    );
}

#[cfg(feature = "serde")]
#[test]
fn gateway_usage_errors_exit_2() {
    let request =
        "GET /release/open HTTP/1.1\nHost: service-cli-1250000000.gz.apigw.tencentcs.com\n\n";
    let with_file: &[&[&str]] = &[
        &["--scheme", "tencent-app"],
        &["--key", "a:b"],
        &["--scheme", "tencent-app", "--key", "a:b"],
        &["--explain"],
        &["--proto", "ftp"],
        &["--proto", "HTTPS"],
        &["--proto", "http", "--proto", "https"],
        &["--statuses", "new"],
        &["--max-skew", "soon"],
    ];
    for extra in with_file {
        verify_gateway(GATEWAY_TOML, extra, request).usage_error();
    }
    // --gateway needs a value, may be given once, and --proto needs --gateway.
    verify(&["--gateway"], request).usage_error();
    verify(
        &["--gateway", GATEWAY_TOML, "--gateway", GATEWAY_TOML],
        request,
    )
    .usage_error();
    verify(
        &[
            "--scheme",
            "tencent-app",
            "--key",
            "a:b",
            "--proto",
            "https",
        ],
        request,
    )
    .usage_error();
    // A file that cannot be read, does not parse, or is not a valid gateway.
    let missing = std::env::temp_dir().join(format!(
        "apigw-sign-cli-{}-missing.toml",
        std::process::id()
    ));
    verify(&["--gateway", missing.to_str().expect("UTF-8")], request).usage_error();
    let bad_toml = TempFile::new(
        "bad-toml",
        "[[keys]]\nid = \"k\"\nsecret = \"hunter2\"\ncolour = 1\n",
    );
    let run = verify_gateway(bad_toml.path(), &[], request);
    run.usage_error();
    assert!(run.stderr.contains("line 4"), "{run:?}");
    assert!(!run.stderr.contains("hunter2"), "{run:?}");
    let invalid = TempFile::new(
        "invalid",
        "[[usage_plans]]\nid = \"p\"\nkeys = [\"ghost\"]\n",
    );
    let run = verify_gateway(invalid.path(), &[], request);
    run.usage_error();
    assert!(
        run.stderr
            .contains("usage plan `p` refers to unknown key `ghost`"),
        "{run:?}"
    );
}

#[cfg(not(feature = "serde"))]
#[test]
fn gateway_needs_the_serde_feature() {
    let request = "GET / HTTP/1.1\nHost: h\n\n";
    let run = verify(&["--gateway", "gateway.toml"], request);
    run.usage_error();
    assert!(run.stderr.contains("--features serde"), "{run:?}");
}
