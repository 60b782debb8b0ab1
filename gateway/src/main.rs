//! `apigw-gateway`: the gateway model (`apigw_sign::gateway`) from a TOML file, in front of a
//! demo handler, through the `tower` layer (`apigw_sign::layer`), served by axum over plain
//! HTTP/1.1. A local stand-in for the Tencent and Baidu gateways.
//!
//! ```text
//! cargo run -p apigw-gateway -- [--config FILE] [--listen ADDR] [--body-limit N]
//! cargo install --path gateway
//! ```
//!
//! Without `--config` it serves the built-in demo configuration, `gateway/demo.toml`. Every
//! request is routed and authenticated by the layer; those that pass reach the demo handler,
//! which echoes what was established as JSON (`{"key_id":…,"environment":…,"service":…,"api":…}`);
//! the others get the vendor's status and JSON body from the layer.
//!
//! On start it prints one line on stdout, `listening on http://ADDR` (with the port the system
//! chose for `--listen 127.0.0.1:0`). It stops on ctrl-c, or when its standard input is closed
//! unless that is a terminal (so a parent process can stop it by closing the pipe). It only
//! accepts connections: it never connects anywhere.

use std::ffi::OsString;
use std::io::{IsTerminal as _, Read as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use apigw_sign::gateway::{Config, Gateway};
use apigw_sign::layer::{Identity, VerifyLayer, DEFAULT_BODY_LIMIT};
use apigw_sign::Protocol;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::{Extension, Router};

/// The built-in demo configuration.
const DEMO_CONFIG: &str = include_str!("../demo.toml");

const USAGE: &str = "\
usage: apigw-gateway [--config FILE] [--listen ADDR] [--body-limit N]

Serves the gateway model over HTTP/1.1: routes and authenticates each request, then echoes the
verified key, environment, service and API as JSON.

options:
  --config FILE      the gateway configuration (TOML); default: the built-in demo
                     (gateway/demo.toml)
  --listen ADDR      the address to listen on; default 127.0.0.1:8080 (port 0: any free port)
  --body-limit N     the largest request body, in bytes; default 1048576 (larger: 413)
  --help             print this text

Prints `listening on http://ADDR` on stdout once listening. Stops on ctrl-c, or when stdin is
closed unless stdin is a terminal (run it in the background as `cmd < /dev/tty &`, or keep a
pipe open, rather than with stdin at /dev/null).
";

/// The command line, checked.
struct Options {
    config: Option<PathBuf>,
    listen: SocketAddr,
    body_limit: usize,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(reason) => {
            let synopsis = USAGE.lines().next().unwrap_or_default();
            eprintln!("error: {reason}\n{synopsis}\n(--help lists the options)");
            return ExitCode::from(2);
        }
    };
    let gateway = match load(options.config.as_ref()) {
        Ok(gateway) => gateway,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(gateway, &options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The options, or `None` for `--help`.
fn parse_args(args: impl Iterator<Item = OsString>) -> Result<Option<Options>, String> {
    let mut options = Options {
        config: None,
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        body_limit: DEFAULT_BODY_LIMIT,
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
            "--help" | "-h" => return Ok(None),
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
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Some(options))
}

/// The gateway from `path`, or from the demo configuration.
fn load(path: Option<&PathBuf>) -> Result<Gateway, String> {
    let (name, text) = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            (path.display().to_string(), text)
        }
        None => ("the demo configuration".to_owned(), DEMO_CONFIG.to_owned()),
    };
    let config: Config = toml::from_str(&text).map_err(|error| format!("{name}: {error}"))?;
    Gateway::new(config).map_err(|error| format!("{name}: {error}"))
}

async fn serve(gateway: Gateway, options: &Options) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.listen))?;
    let address = listener
        .local_addr()
        .map_err(|error| format!("cannot read the bound address: {error}"))?;
    // Plain HTTP: the gateway checks each API's `protocols` against `http`.
    let layer = VerifyLayer::gateway(gateway, Protocol::Http).body_limit(options.body_limit);
    let app = Router::new().fallback(echo).layer(layer);

    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{address}")
            .and_then(|()| stdout.flush())
            .map_err(|error| format!("cannot write to stdout: {error}"))?;
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(stop())
        .await
        .map_err(|error| format!("serving: {error}"))
}

/// The demo backend: what the layer established, as JSON.
async fn echo(Extension(identity): Extension<Identity>) -> impl IntoResponse {
    // In this order (a `serde_json::Map` would sort the keys).
    let json = |value: Option<String>| serde_json::Value::from(value);
    let body = format!(
        r#"{{"key_id":{},"environment":{},"service":{},"api":{}}}"#,
        json(identity.key_id),
        json(identity.environment),
        json(identity.service),
        json(identity.api),
    );
    ([(CONTENT_TYPE, "application/json")], body)
}

/// Resolves on ctrl-c, or when stdin (not a terminal) reaches its end.
async fn stop() {
    let (closed, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    // A terminal stays open; reading it from a background job would stop the process (SIGTTIN).
    if !std::io::stdin().is_terminal() {
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut sink = [0_u8; 512];
            loop {
                match stdin.read(&mut sink) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = closed.send(());
        });
    }
    tokio::select! {
        Ok(()) = tokio::signal::ctrl_c() => eprintln!("ctrl-c: stopping"),
        Ok(()) = stdin_closed => eprintln!("stdin closed: stopping"),
        else => std::future::pending::<()>().await,
    }
}
