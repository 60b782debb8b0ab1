//! Serving: the configuration behind a swappable router (SIGHUP reloads it), one replay guard
//! for the life of the process, and a stop that lets requests in flight finish within the
//! shutdown timeout.

use std::convert::Infallible;
use std::future::Future;
use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use apigw_sign::gateway::{Config, Gateway};
use apigw_sign::layer::{Identity, VerifyLayer};
use apigw_sign::redis::RedisReplayGuard;
use apigw_sign::replay::{MemoryReplayGuard, ReplayFuture, ReplayStore};
use apigw_sign::Protocol;
use arc_swap::ArcSwap;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use time::OffsetDateTime;
use tower_service::Service;

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
        key_id: &'a str,
        signature: &'a [u8],
        not_after: OffsetDateTime,
        now: OffsetDateTime,
    ) -> ReplayFuture<'a> {
        self.0
            .check_and_record_async(key_id, signature, not_after, now)
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

/// A service that hands each request to the router in use when it arrives.
#[derive(Clone)]
struct Current(Arc<ArcSwap<Router>>);

impl Service<Request> for Current {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let mut router = Router::clone(&self.0.load());
        Box::pin(async move { router.call(request).await })
    }
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

    let app = Router::new().fallback_service(Current(current));
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        stop().await;
        let _ = stopping.send(true);
    });
    let deadline = async {
        let mut stopped = stopped;
        while !*stopped.borrow() {
            if stopped.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tokio::time::sleep(options.shutdown_timeout).await;
    };
    tokio::select! {
        served = server => {
            served.map_err(|error| format!("serving: {error}"))?;
            tracing::info!("stopped: every request finished");
            Ok(())
        }
        () = deadline => {
            tracing::warn!(
                timeout_secs = options.shutdown_timeout.as_secs(),
                "stopped: the shutdown timeout passed, requests still in flight were cut"
            );
            Ok(())
        }
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
