//! What the `sign` and `verify` examples share: reading the arguments, reading the raw HTTP/1.1
//! request from stdin, and how a run ends (the exit codes of `spec/cli.md`).
//!
//! Nothing here signs or verifies; that is the library's job.

use std::io::{self, Read as _, Write as _};
use std::process::ExitCode;

use apigw_sign::bce::Carrier;
use apigw_sign::tencent::Mode;
use apigw_sign::Header;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Why a run ends before (or instead of) its normal output.
#[derive(Debug)]
pub(crate) enum Stop {
    /// `--help`: the usage text on stdout, exit 0.
    Help,
    /// A usage error or malformed input: the reason and the synopsis on stderr, exit 2.
    Usage(String),
    /// A failure that is not the caller's syntax (a library error, I/O): the message, exit 1.
    Failed(String),
}

impl Stop {
    /// Prints what the run ends with and returns its exit code. `usage` is the `--help` text;
    /// its first line is the synopsis.
    pub(crate) fn report(self, usage: &str) -> ExitCode {
        match self {
            Stop::Help => {
                print!("{usage}");
                ExitCode::SUCCESS
            }
            Stop::Usage(reason) => {
                let synopsis = usage.lines().next().unwrap_or_default();
                eprintln!("error: {reason}\n{synopsis}\n(--help lists the options)");
                ExitCode::from(2)
            }
            Stop::Failed(message) => {
                eprintln!("{message}");
                ExitCode::FAILURE
            }
        }
    }
}

/// A usage error.
pub(crate) fn usage(reason: impl Into<String>) -> Stop {
    Stop::Usage(reason.into())
}

/// The command-line arguments after the program name, read option by option.
pub(crate) struct Args(std::vec::IntoIter<String>);

impl Args {
    /// The process's arguments; every one must be UTF-8.
    pub(crate) fn from_env() -> Result<Self, Stop> {
        let args = std::env::args_os()
            .skip(1)
            // The argument is not echoed: it may be a secret.
            .map(|arg| {
                arg.into_string()
                    .map_err(|_| usage("an argument is not UTF-8"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Args(args.into_iter()))
    }

    /// The next option name, if any.
    pub(crate) fn next_option(&mut self) -> Option<String> {
        self.0.next()
    }

    /// The value following `option`.
    pub(crate) fn value(&mut self, option: &str) -> Result<String, Stop> {
        self.0
            .next()
            .ok_or_else(|| usage(format!("{option} needs a value")))
    }

    /// The value following `option`, stored in `slot`; the option may be given only once.
    pub(crate) fn value_once(
        &mut self,
        option: &str,
        slot: &mut Option<String>,
    ) -> Result<(), Stop> {
        let value = self.value(option)?;
        match slot.replace(value) {
            Some(_) => Err(usage(format!("{option} is given twice"))),
            None => Ok(()),
        }
    }
}

/// The usage error for an argument that is not an option of the program.
pub(crate) fn unknown(arg: &str) -> Stop {
    if arg.starts_with('-') {
        usage(format!("unknown option {arg}"))
    } else {
        // Not echoed: a stray argument may be a secret.
        usage("unexpected argument (options take the form --name value)")
    }
}

/// What a `--scheme` names: a Tencent mode, or a BCE carrier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `tencent-app` or `tencent-key-pair`.
    Tencent(Mode),
    /// `bce` (Authorization), `bce-app` (X-Bce-Signature), `bce-url` (the `authorization` query
    /// parameter) or `bce-appcode` (`X-Bce-Signature: AppCode/<code>`).
    Bce(Carrier),
}

/// The `--scheme` value and the scheme it names.
pub(crate) fn parse_scheme(scheme: Option<String>) -> Result<(String, Scheme), Stop> {
    let name = scheme.ok_or_else(|| usage("--scheme is required"))?;
    let scheme = match name.as_str() {
        "tencent-app" => Scheme::Tencent(Mode::App),
        "tencent-key-pair" => Scheme::Tencent(Mode::KeyPair),
        "bce" => Scheme::Bce(Carrier::Authorization),
        "bce-app" => Scheme::Bce(Carrier::XBceSignature),
        "bce-url" => Scheme::Bce(Carrier::Query),
        "bce-appcode" => Scheme::Bce(Carrier::AppCode),
        _ => {
            return Err(usage(format!(
                "unknown scheme {name:?} (tencent-app, tencent-key-pair, bce, bce-app, \
                 bce-url or bce-appcode)"
            )))
        }
    };
    Ok((name, scheme))
}

/// An RFC 3339 time given to `option`, or the current time when the option is absent.
pub(crate) fn parse_time(option: &str, value: Option<&str>) -> Result<OffsetDateTime, Stop> {
    match value {
        None => Ok(OffsetDateTime::now_utc()),
        Some(value) => OffsetDateTime::parse(value, &Rfc3339).map_err(|err| {
            usage(format!(
                "{option} {value:?} is not an RFC 3339 time such as 2021-03-11T08:29:58Z ({err})"
            ))
        }),
    }
}

/// A whole number of seconds given to `option`.
pub(crate) fn parse_seconds(option: &str, value: &str) -> Result<u64, Stop> {
    value
        .parse()
        .map_err(|_| usage(format!("{option} {value:?} is not a number of seconds")))
}

/// All of stdin.
pub(crate) fn read_stdin() -> Result<Vec<u8>, Stop> {
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut input)
        .map_err(|err| Stop::Failed(format!("cannot read the request from stdin: {err}")))?;
    Ok(input)
}

/// Writes `output` to stdout.
pub(crate) fn write_stdout(output: &[u8]) -> Result<(), Stop> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(output)
        .and_then(|()| stdout.flush())
        .map_err(|err| Stop::Failed(format!("cannot write to stdout: {err}")))
}

/// A raw HTTP/1.1 request as read, borrowing the input.
#[derive(Debug)]
pub(crate) struct RawRequest<'a> {
    /// Before the request line's first space.
    pub(crate) method: &'a str,
    /// Between the request line's first and last spaces, as written (it may hold raw spaces).
    pub(crate) target: &'a str,
    /// The header lines in order, values trimmed of spaces and tabs.
    pub(crate) headers: Vec<Header<'a>>,
    /// Everything after the blank line, exactly.
    pub(crate) body: &'a [u8],
}

/// Splits raw HTTP/1.1 request text: request line, header lines, blank line, body. Lines end
/// with CRLF or LF. Input that ends before the blank line has an empty body.
pub(crate) fn parse_request(input: &[u8]) -> Result<RawRequest<'_>, Stop> {
    let malformed = |reason: &str| usage(format!("malformed request on stdin: {reason}"));

    // RFC 9112 §2.2: a server ignores empty lines before the request line.
    let mut rest = input;
    while let Some(tail) = rest
        .strip_prefix(b"\r\n")
        .or_else(|| rest.strip_prefix(b"\n"))
    {
        rest = tail;
    }

    let (line, tail) = next_line(rest).ok_or_else(|| malformed("no request line"))?;
    rest = tail;
    let line = std::str::from_utf8(line).map_err(|_| malformed("the request line is not UTF-8"))?;
    // The target may hold raw spaces (`?q=中文 空格`): the method ends at the first space, the
    // version starts after the last.
    let (method, target, version) = line
        .split_once(' ')
        .and_then(|(method, after)| {
            let (target, version) = after.rsplit_once(' ')?;
            Some((method, target, version))
        })
        .ok_or_else(|| malformed("the request line is not METHOD TARGET HTTP/1.1"))?;
    if method.is_empty() || target.is_empty() || !version.starts_with("HTTP/") {
        return Err(malformed("the request line is not METHOD TARGET HTTP/1.1"));
    }

    let mut headers = Vec::new();
    let mut body: &[u8] = b"";
    while let Some((line, tail)) = next_line(rest) {
        rest = tail;
        if line.is_empty() {
            body = rest;
            break;
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| malformed("a header line has no ':'"))?;
        let (name, value) = line.split_at(colon);
        let name = std::str::from_utf8(name)
            .ok()
            .filter(|name| !name.is_empty() && name.bytes().all(is_tchar))
            .ok_or_else(|| malformed("a header name is not an HTTP token"))?;
        let value = value.get(1..).unwrap_or_default();
        headers.push(Header::from_bytes(name, trim(value)));
    }
    Ok(RawRequest {
        method,
        target,
        headers,
        body,
    })
}

/// The first line of `input` without its CRLF or LF, and the rest; `None` at the end.
fn next_line(input: &[u8]) -> Option<(&[u8], &[u8])> {
    if input.is_empty() {
        return None;
    }
    let (line, rest) = match input.iter().position(|&b| b == b'\n') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &b""[..]),
    };
    Some((line.strip_suffix(b"\r").unwrap_or(line), rest))
}

/// `value` without leading and trailing spaces and tabs.
fn trim(value: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    &value[start..end]
}

/// `tchar` of RFC 9110 §5.6.2: the characters of a header name.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
