//! Serving: the configuration behind a swappable router (SIGHUP reloads it), one replay guard
//! for the life of the process, and a stop that lets requests in flight finish within the
//! shutdown timeout.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use apigw_sign::gateway::{Config, Gateway};
use apigw_sign::layer::{Identity, VerifyLayer};
use apigw_sign::redis::RedisReplayGuard;
use apigw_sign::replay::{Entry, MemoryReplayGuard, ReplayFuture, ReplayStore};
use apigw_sign::Protocol;
use arc_swap::ArcSwap;
use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tower_service::Service;

use crate::connection::{LastActivity, TimedBody, Watched};
use crate::options::Options;

/// The built-in demo configuration.
const DEMO_CONFIG: &str = include_str!("../demo.toml");

/// The gateway from `path`, or from the demo configuration.
pub(crate) fn load(path: Option<&Path>) -> Result<Gateway, String> {
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

/// The process's replay guard, shared by every router a reload builds.
#[derive(Clone)]
struct Guard(Arc<dyn ReplayStore + Send + Sync>);

impl ReplayStore for Guard {
    fn check_and_record_async<'a>(
        &'a self,
        entry: Entry<'a>,
        now: OffsetDateTime,
    ) -> ReplayFuture<'a> {
        self.0.check_and_record_async(entry, now)
    }
}

/// The router for `gateway`: the layer (with the process's guard) in front of the echo handler.
fn router(gateway: Gateway, options: &Options, guard: &Guard) -> Router {
    // Plain HTTP: the gateway checks each API's `protocols` against `http`.
    let layer = VerifyLayer::gateway(gateway, Protocol::Http)
        .body_limit(options.body_limit)
        .replay_guard(guard.clone());
    Router::new().fallback(echo).layer(layer)
}

pub(crate) async fn serve(gateway: Gateway, options: &Options) -> Result<(), String> {
    let guard = match &options.redis {
        Some(url) => {
            let redis =
                RedisReplayGuard::new(url).map_err(|error| format!("--redis {url}: {error}"))?;
            tracing::info!(url = %url, "replay guard: Redis");
            Guard(Arc::new(redis))
        }
        None => Guard(Arc::new(MemoryReplayGuard::default())),
    };
    let current = Arc::new(ArcSwap::from_pointee(router(gateway, options, &guard)));

    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.listen))?;
    let address = listener
        .local_addr()
        .map_err(|error| format!("cannot read the bound address: {error}"))?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{address}")
            .and_then(|()| stdout.flush())
            .map_err(|error| format!("cannot write to stdout: {error}"))?;
    }
    tracing::info!(%address, "listening");
    tokio::spawn(reload_on_sighup(
        Arc::clone(&current),
        options.clone(),
        guard,
    ));

    accept(listener, current, options).await;
    Ok(())
}

/// Accepts connections until a stop signal, at most `--max-connections` at once (the others
/// wait in the listen queue), each bounded by the header, body and idle timeouts; then lets
/// the requests in flight finish, at most `--shutdown-timeout`.
async fn accept(
    listener: tokio::net::TcpListener,
    current: Arc<ArcSwap<Router>>,
    options: &Options,
) {
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed
            },
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    // Out of file descriptors, say: say so, and try again shortly rather
                    // than spin or stall.
                    tracing::warn!(%error, "accept failed, retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let activity = LastActivity::new();
        let io = TokioIo::new(Watched::new(stream, activity.clone()));
        let current = Arc::clone(&current);
        let body_timeout = options.body_timeout;
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut router = Router::clone(&current.load());
            let request = request.map(|body| Body::new(TimedBody::new(body, body_timeout)));
            async move { router.call(request).await }
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        let idle = options.idle_timeout;
        tokio::spawn(async move {
            tokio::select! {
                served = connection => {
                    if let Err(error) = served {
                        tracing::debug!(%error, "connection ended");
                    }
                }
                () = activity.idle_for(idle) => tracing::debug!("idle connection closed"),
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("stopped: every request finished"),
        () = tokio::time::sleep(options.shutdown_timeout) => tracing::warn!(
            timeout_secs = options.shutdown_timeout.as_secs(),
            "stopped: the shutdown timeout passed, requests still in flight were cut"
        ),
    }
}

/// Reloads the configuration on each SIGHUP; a configuration that fails to load is logged and
/// the one in use kept.
async fn reload_on_sighup(current: Arc<ArcSwap<Router>>, options: Options, guard: Guard) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP: no reloads");
            return;
        };
        while hangups.recv().await.is_some() {
            match load(options.config.as_deref()) {
                Ok(gateway) => {
                    current.store(Arc::new(router(gateway, &options, &guard)));
                    tracing::info!("SIGHUP: configuration reloaded");
                }
                Err(message) => {
                    tracing::error!(%message, "SIGHUP: configuration not reloaded, the old one stays");
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (current, options, guard);
}

/// The demo backend: what the layer established, as JSON. The [`Identity`] is taken from the
/// request, not cloned (axum's `Extension` extractor would copy its strings).
async fn echo(mut request: axum::extract::Request) -> impl IntoResponse {
    let identity = request
        .extensions_mut()
        .remove::<Identity>()
        .unwrap_or_default();
    // In this order (a `serde_json::Map` would sort the keys).
    let json = |value: Option<String>| serde_json::Value::from(value);
    let body = format!(
        r#"{{"key_id":{},"environment":{},"service":{},"api":{}}}"#,
        json(identity.key_id),
        json(identity.environment),
        json(identity.service),
        json(identity.api),
    );
    ([(CONTENT_TYPE, "application/json")], Body::from(body))
}

/// Resolves on SIGTERM, ctrl-c, or when stdin (not a terminal) reaches its end.
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
    let terminate = async {
        #[cfg(unix)]
        if let Ok(mut terms) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            terms.recv().await;
            return;
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        Ok(()) = tokio::signal::ctrl_c() => tracing::info!("ctrl-c: stopping"),
        () = terminate => tracing::info!("SIGTERM: stopping"),
        Ok(()) = stdin_closed => tracing::info!("stdin closed: stopping"),
        else => std::future::pending::<()>().await,
    }
}
