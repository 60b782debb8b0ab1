//! The `sign` and `verify` examples against their command-line contract (`spec/cli.md`): the
//! spec's vectors, sign-then-verify round trips, every failure's exact JSON line, and the exit
//! codes of usage errors.
//!
//! `cargo test` builds the examples into `target/<profile>/examples/`, next to the `deps/`
//! directory that holds this test binary; the tests run them from there.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

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

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the tests with plain `cargo test` (which builds the examples) \
         or `cargo build --examples` first",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(example(name))
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
fn bce_schemes_are_not_supported_yet() {
    for scheme in ["bce", "bce-app", "bce-url", "bce-appcode"] {
        let run = sign(
            &["--scheme", scheme, "--id", "a", "--secret", "b"],
            "GET / HTTP/1.1\n\n",
        );
        run.usage_error();
        assert_eq!(
            run.stderr,
            format!("scheme {scheme} is not supported yet\n")
        );
        let run = verify(&["--scheme", scheme, "--key", "a:b"], "GET / HTTP/1.1\n\n");
        run.usage_error();
        assert_eq!(
            run.stderr,
            format!("scheme {scheme} is not supported yet\n")
        );
    }
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
