//! `apigw-gateway`: the gateway model (`apigw_sign::gateway`) from a TOML file, in front of a
//! demo handler, through the `tower` layer (`apigw_sign::layer`), served by axum over plain
//! HTTP/1.1. A local stand-in for the Tencent and Baidu gateways.
//!
//! ```text
//! cargo run -p apigw-gateway -- [--config FILE] [--listen ADDR] [options]
//! cargo install --path gateway
//! ```
//!
//! Without `--config` it serves the built-in demo configuration, `gateway/demo.toml`. Every
//! request is routed and authenticated by the layer, each signature accepted once (a replay
//! guard: in memory, or shared through Redis with `--redis`); those that pass reach the demo
//! handler, which echoes what was established as JSON
//! (`{"key_id":…,"environment":…,"service":…,"api":…}`); the others get the vendor's status and
//! JSON body from the layer.
//!
//! On start it prints one line on stdout, `listening on http://ADDR` (with the port the system
//! chose for `--listen 127.0.0.1:0`); everything else it says goes to stderr, one line per
//! request and per event (`--log-format text|json`). SIGTERM, ctrl-c, or its standard input
//! closed (unless that is a terminal) stop it: it stops accepting, lets the requests in flight
//! finish and exits within `--shutdown-timeout`. SIGHUP reloads the configuration file (a file
//! that fails to load is logged and the old configuration kept). It only accepts connections;
//! it connects nowhere but to the Redis of `--redis`.

mod connection;
mod options;
mod serve;

use std::process::ExitCode;

use crate::options::{LogFormat, Parsed};

fn main() -> ExitCode {
    let options = match options::parse(std::env::args_os().skip(1)) {
        Ok(Parsed::Run(options)) => options,
        Ok(Parsed::Help) => {
            print!("{}", options::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(reason) => {
            let synopsis = options::USAGE.lines().next().unwrap_or_default();
            eprintln!("error: {reason}\n{synopsis}\n(--help lists the options)");
            return ExitCode::from(2);
        }
    };
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO);
    match options.log_format {
        LogFormat::Text => subscriber.init(),
        LogFormat::Json => subscriber.json().flatten_event(true).init(),
    }
    let gateway = match serve::load(options.config.as_deref()) {
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
    match runtime.block_on(serve::serve(gateway, &options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
