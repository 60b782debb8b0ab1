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
  --header-timeout SECS   how long a client may take to send a request's headers (and to
                          start the next request on a kept-alive connection); default 10
  --body-timeout SECS     how long a request body may take to arrive (then 408); default 30
  --idle-timeout SECS     how long a connection may stay without a byte either way; default 60
  --max-connections N     connections served at once; more wait to be accepted; default 10000
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
    pub(crate) header_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_connections: usize,
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
        header_timeout: Duration::from_secs(10),
        body_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(60),
        max_connections: 10_000,
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
            "--header-timeout" => options.header_timeout = positive_seconds(&arg, &value()?)?,
            "--body-timeout" => options.body_timeout = positive_seconds(&arg, &value()?)?,
            "--idle-timeout" => options.idle_timeout = positive_seconds(&arg, &value()?)?,
            "--max-connections" => {
                let text = value()?;
                options.max_connections = match text.parse::<usize>() {
                    Ok(n) if (1..=1_000_000).contains(&n) => n,
                    _ => {
                        return Err(format!(
                            "--max-connections {text}: expected a number from 1 to 1000000"
                        ))
                    }
                };
            }
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

/// A whole number of seconds, from 1 to a day.
fn positive_seconds(option: &str, text: &str) -> Result<Duration, String> {
    match seconds(option, text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(format!(
            "{option} {text}: expected a number of seconds (1 to 86400)"
        )),
    }
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
            "--header-timeout",
            "4",
            "--body-timeout",
            "5",
            "--idle-timeout",
            "6",
            "--max-connections",
            "7",
        ])
        .unwrap();
        assert_eq!(all.body_limit, 64);
        assert_eq!(all.redis.as_deref(), Some("redis://127.0.0.1:6379/"));
        assert_eq!(all.shutdown_timeout, Duration::from_secs(3));
        assert_eq!(all.log_format, LogFormat::Json);
        assert_eq!(
            (
                all.header_timeout,
                all.body_timeout,
                all.idle_timeout,
                all.max_connections
            ),
            (
                Duration::from_secs(4),
                Duration::from_secs(5),
                Duration::from_secs(6),
                7
            )
        );
        assert_eq!(
            (
                defaults.header_timeout,
                defaults.body_timeout,
                defaults.idle_timeout
            ),
            (
                Duration::from_secs(10),
                Duration::from_secs(30),
                Duration::from_secs(60)
            )
        );
        assert_eq!(defaults.max_connections, 10_000);
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
            (
                &["--header-timeout", "0"][..],
                "--header-timeout 0: expected a number of seconds (1",
            ),
            (
                &["--max-connections", "0"][..],
                "--max-connections 0: expected a number from 1",
            ),
        ] {
            let error = parse_all(args).unwrap_err();
            assert!(error.starts_with(message), "{error}");
        }
    }
}
