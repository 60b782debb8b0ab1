//! The command line (`../shared/spec/cli.md`, "apigw-gateway").

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use apigw_sign::layer::DEFAULT_BODY_LIMIT;

pub(crate) const USAGE: &str = "\
usage: apigw-gateway [--config FILE] [--listen ADDR] [options]

Serves the gateway model over HTTP/1.1: routes and authenticates each request (each signature
accepted once), then echoes the verified key, environment, service and API as JSON.

options:
  --config FILE           the gateway configuration (TOML); default: the built-in demo
                          (gateway/demo.toml). SIGHUP reloads it.
  --listen ADDR           the address to listen on; default 127.0.0.1:8080 (port 0: any free
                          port)
  --body-limit BYTES      the largest request body; default 1048576 (larger: 413)
  --redis URL             share the replay guard through Redis (redis://host:port/db); default:
                          in memory, for this process only
  --shutdown-timeout SECS how long requests in flight may take to finish once stopping;
                          default 10
  --log-format FORMAT     text (the default) or json: one line per request and per event, on
                          stderr
  --help                  print this text

Prints `listening on http://ADDR` on stdout once listening. SIGTERM, ctrl-c, or stdin closed
(unless stdin is a terminal) stop it; run it in the background as `cmd < /dev/tty &`, or keep
a pipe open, rather than with stdin at /dev/null.
";

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// The command line, checked.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) config: Option<PathBuf>,
    pub(crate) listen: SocketAddr,
    pub(crate) body_limit: usize,
    pub(crate) redis: Option<String>,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) log_format: LogFormat,
}

/// What the command line asks for.
pub(crate) enum Parsed {
    Run(Options),
    Help,
}

/// Parses the arguments (without the program name).
pub(crate) fn parse(args: impl Iterator<Item = OsString>) -> Result<Parsed, String> {
    let mut options = Options {
        config: None,
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        body_limit: DEFAULT_BODY_LIMIT,
        redis: None,
        shutdown_timeout: Duration::from_secs(10),
        log_format: LogFormat::Text,
    };
    let mut args = args.map(|arg| {
        arg.into_string()
            .map_err(|arg| format!("argument {arg:?} is not UTF-8"))
    });
    while let Some(arg) = args.next() {
        let arg = arg?;
        let mut value = || {
            args.next()
                .unwrap_or_else(|| Err(format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--help" | "-h" => return Ok(Parsed::Help),
            "--config" => options.config = Some(PathBuf::from(value()?)),
            "--listen" => {
                let text = value()?;
                options.listen = text
                    .parse()
                    .map_err(|_| format!("--listen {text}: expected IP:PORT (127.0.0.1:8080)"))?;
            }
            "--body-limit" => {
                let text = value()?;
                options.body_limit = text
                    .parse()
                    .map_err(|_| format!("--body-limit {text}: expected a number of bytes"))?;
            }
            "--redis" => options.redis = Some(value()?),
            "--shutdown-timeout" => options.shutdown_timeout = seconds(&arg, &value()?)?,
            "--log-format" => {
                options.log_format = match value()?.as_str() {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    other => return Err(format!("--log-format {other}: expected text or json")),
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Parsed::Run(options))
}

/// A whole number of seconds, at most a day.
fn seconds(option: &str, text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(secs) if secs <= 86_400 => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "{option} {text}: expected a number of seconds (0 to 86400)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(OsString::from))? {
            Parsed::Run(options) => Ok(options),
            Parsed::Help => Err("help".to_owned()),
        }
    }

    #[test]
    fn defaults_and_every_option() {
        let defaults = parse_all(&[]).unwrap();
        assert_eq!(defaults.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(defaults.shutdown_timeout, Duration::from_secs(10));
        assert_eq!(defaults.log_format, LogFormat::Text);
        let all = parse_all(&[
            "--config",
            "g.toml",
            "--listen",
            "127.0.0.1:0",
            "--body-limit",
            "64",
            "--redis",
            "redis://127.0.0.1:6379/",
            "--shutdown-timeout",
            "3",
            "--log-format",
            "json",
        ])
        .unwrap();
        assert_eq!(all.body_limit, 64);
        assert_eq!(all.redis.as_deref(), Some("redis://127.0.0.1:6379/"));
        assert_eq!(all.shutdown_timeout, Duration::from_secs(3));
        assert_eq!(all.log_format, LogFormat::Json);
    }

    #[test]
    fn bad_values_are_named() {
        for (args, message) in [
            (
                &["--shutdown-timeout", "x"][..],
                "--shutdown-timeout x: expected a number of seconds",
            ),
            (
                &["--log-format", "xml"][..],
                "--log-format xml: expected text or json",
            ),
            (&["--redis"][..], "--redis needs a value"),
            (&["--idle"][..], "unknown argument --idle"),
        ] {
            let error = parse_all(args).unwrap_err();
            assert!(error.starts_with(message), "{error}");
        }
    }
}
