//! The one dispatch from a request to what authenticates it (the Tencent verifier, the BCE
//! verifier or the gateway model), and the [`Identity`] it establishes: what the tower layer
//! runs for each request.

use core::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::bce::{self, shown_key_id, Carrier, Stage};
use crate::error::{Error, StatusProfile};
use crate::gateway::{Auth, Gateway, RouteScratch, Vendor};
use crate::keys::{KeyLookup as _, KeySource, KeyStatus, OwnedKeyStatus};
use crate::replay::{Entry, Recorded, ReplayStore};
use crate::request::{trim_ows, Protocol, Request, RequestError};
use crate::tencent::{self, Mode};
use crate::verification::{Guard, Scratch};

/// A key source shared between requests.
pub(crate) type SourceHandle = Arc<dyn KeySource + Send + Sync>;

/// A replay store shared between requests (and with whoever else holds it).
pub(crate) type StoreHandle = Arc<dyn ReplayStore + Send + Sync>;

/// What authenticated a request, handed to the inner service in the request's extensions.
///
/// Read it with `request.extensions().get::<Identity>()` (in axum, the `Extension<Identity>`
/// extractor).
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// The verified key id; `None` for a gateway API without authentication. For an AppCode
    /// ([`carrier`](Identity::carrier) `Some(Carrier::AppCode)`) the AppCode itself, a secret:
    /// keep it out of logs (`Debug` hides it).
    pub key_id: Option<String>,
    /// Gateway: the id of the matched service. `None` otherwise.
    pub service: Option<String>,
    /// Gateway: the environment (`release`, `prepub`, `test`; for a BCE service `release`,
    /// `pre-online`, `test`). BCE verifier: the stage's name. `None` for the Tencent verifier.
    pub environment: Option<String>,
    /// Gateway: the matched API's path template (`/items/{id}`). `None` otherwise.
    pub api: Option<String>,
    /// Gateway: the path inside the service, without the environment part. `None` otherwise.
    pub path: Option<String>,
    /// BCE (the verifier, or a gateway service of vendor `bce`): the `X-Bce-Stage` stage.
    pub stage: Option<Stage>,
    /// BCE: where the signature or AppCode was found. `None` for Tencent.
    pub carrier: Option<Carrier>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("key_id", shown_key_id(&self.key_id, self.carrier))
            .field("service", &self.service)
            .field("environment", &self.environment)
            .field("api", &self.api)
            .field("path", &self.path)
            .field("stage", &self.stage)
            .field("carrier", &self.carrier)
            .finish()
    }
}

/// How requests are authenticated.
/// What authenticates requests.
#[derive(Clone)]
pub(crate) enum Authenticator {
    Tencent {
        verifier: tencent::Verifier,
        mode: Mode,
        keys: SourceHandle,
    },
    Bce {
        verifier: bce::Verifier,
        keys: SourceHandle,
    },
    Gateway {
        gateway: Gateway,
        protocol: Protocol,
    },
}

impl Authenticator {
    /// The scheme's name in logs: `tencent`, `bce` or `gateway`.
    #[cfg(feature = "tracing")]
    pub(crate) const fn scheme(&self) -> &'static str {
        match self {
            Authenticator::Tencent { .. } => "tencent",
            Authenticator::Bce { .. } => "bce",
            Authenticator::Gateway { .. } => "gateway",
        }
    }

    /// The status `error` answers with here.
    #[cfg(feature = "tracing")]
    pub(crate) fn status_of(&self, error: &Error) -> u16 {
        error.status(self.profile())
    }

    /// The status profile of Tencent errors (BCE errors ignore it).
    pub(crate) fn profile(&self) -> StatusProfile {
        match self {
            Authenticator::Tencent { verifier, .. } => verifier.policy().statuses,
            Authenticator::Bce { .. } => StatusProfile::default(),
            Authenticator::Gateway { gateway, .. } => gateway.tencent.statuses,
        }
    }

    /// Authenticates `request` at `now` in two phases, the key fetched from the key source in
    /// between; with a `store`, then refuses a second use of its signature. `identity` is
    /// filled as the phases learn it, so a refusal's log line can say which key, service,
    /// environment and API it was about (the key id is then the one the request claims).
    /// `fetched` keeps the key the source answered with, so that a second pass (with the body)
    /// does not ask the source again.
    pub(crate) async fn authenticate(
        &self,
        request: &Request<'_>,
        store: Option<&(dyn ReplayStore + Send + Sync)>,
        now: OffsetDateTime,
        identity: &mut Identity,
        fetched: &mut Option<OwnedKeyStatus>,
    ) -> Result<(), Error> {
        let recorded = self
            .phases(request, now, identity, fetched, &mut false)
            .await?;
        self.record(recorded, store, identity, now).await
    }

    /// Both phases of verification (no replay guard); `signs_body` learns whether the scheme
    /// signs the body (Tencent app mode, or a gateway API in it). What a guard would record.
    async fn phases(
        &self,
        request: &Request<'_>,
        now: OffsetDateTime,
        identity: &mut Identity,
        fetched: &mut Option<OwnedKeyStatus>,
        signs_body: &mut bool,
    ) -> Result<Option<Recorded>, Error> {
        let recorded = match self {
            Authenticator::Tencent {
                verifier,
                mode,
                keys,
            } => {
                *signs_body = *mode == Mode::App;
                let mut scratch = Scratch::default();
                let pending = verifier.prepare(*mode, request, now, &mut scratch)?;
                identity.key_id = Some(pending.key_id().to_owned());
                let key = match fetched.take() {
                    Some(key) => key,
                    None => fetch(&**keys, pending.key_id()).await?,
                };
                let key = fetched.insert(key);
                let verified = verifier.finish(&pending, key.status())?;
                Some(Recorded::of(verified.signature(), verified.not_after()))
            }
            Authenticator::Bce { verifier, keys } => {
                let mut scratch = Scratch::default();
                let pending = verifier.prepare(request, now, &mut scratch)?;
                let stage = pending.stage();
                identity.key_id = Some(pending.key_id().to_owned());
                identity.environment = Some(stage.as_str().to_owned());
                identity.stage = Some(stage);
                identity.carrier = Some(pending.carrier());
                let key = match fetched.take() {
                    Some(key) => key,
                    None => fetch(&**keys, pending.key_id()).await?,
                };
                let key = fetched.insert(key);
                let verified = verifier.finish(&pending, key.status())?;
                verified
                    .signature()
                    .zip(verified.not_after())
                    .map(|(signature, not_after)| Recorded::of(signature, not_after))
            }
            Authenticator::Gateway { gateway, protocol } => {
                // The gateway's keys are its configuration's.
                let mut scratch = RouteScratch::default();
                let pending = gateway
                    .prepare_route(request, *protocol, now, &mut scratch)
                    .inspect_err(|error| {
                        // Only an app API's form parameters need the body this early.
                        *signs_body =
                            matches!(error, Error::InvalidRequest(RequestError::BodyUnavailable));
                    })?;
                let (service, environment, api) =
                    (pending.service(), pending.environment(), pending.api());
                *signs_body = api.auth == Auth::App;
                identity.stage = match service.vendor {
                    Vendor::Bce => Stage::from_value(environment.as_bytes()),
                    Vendor::Tencent => None,
                };
                identity.carrier = match api.auth {
                    Auth::BceApp => Some(Carrier::XBceSignature),
                    Auth::BceAppcode => Some(Carrier::AppCode),
                    Auth::None | Auth::KeyPair | Auth::App => None,
                };
                identity.service = Some(service.id.clone());
                identity.environment = Some(environment.to_owned());
                identity.api = Some(api.path.clone());
                identity.key_id = pending.key_id().map(str::to_owned);
                let key = pending.key_id().map(|id| gateway.keys().lookup(id));
                let (routed, recorded) = gateway.finish_route_with(
                    &pending,
                    key.unwrap_or(KeyStatus::Unknown),
                    Guard::NONE,
                )?;
                identity.path = Some(routed.uri);
                recorded
            }
        };
        Ok(recorded)
    }

    /// With a `store`, records what `phases` verified, refusing a second use.
    async fn record(
        &self,
        recorded: Option<Recorded>,
        store: Option<&(dyn ReplayStore + Send + Sync)>,
        identity: &Identity,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        if let (Some(store), Some(recorded), Some(key_id)) = (store, recorded, &identity.key_id) {
            store
                .check_and_record_async(
                    Entry::new(key_id, recorded.signature(), recorded.not_after),
                    now,
                )
                .await
                .map_err(|replay| replay.refusal(key_id))?;
        }
        Ok(())
    }
}

/// What authenticating a request's head (without its body) decided.
pub(crate) enum Head {
    /// Decided: the body is not signed (Tencent key-pair, BCE, a gateway API without
    /// authentication or of those kinds), or the request was refused.
    Done(Result<(), Error>),
    /// Tencent app mode signs the body: every check that could be made without it passed (or
    /// could not be made without it); read the body, then authenticate the whole request (with
    /// the key already fetched, if any).
    ReadBody(Option<OwnedKeyStatus>),
}

impl Authenticator {
    /// Authenticates `request`, given without its body (or with an empty one when it declares
    /// none), as far as the body allows: the whole way (replay guard included) where the body
    /// is not signed or is known to be empty; in Tencent app mode with a body to come, every
    /// check without a guard, so that a request refused here costs no body memory.
    pub(crate) async fn authenticate_head(
        &self,
        request: &Request<'_>,
        store: Option<&(dyn ReplayStore + Send + Sync)>,
        now: OffsetDateTime,
        identity: &mut Identity,
    ) -> Head {
        // One pass: routing and both phases run once; only where the scheme signs a body that
        // is still to come (`request` has none) is the decision left to the full pass.
        let mut fetched = None;
        let mut signs_body = false;
        let outcome = self
            .phases(request, now, identity, &mut fetched, &mut signs_body)
            .await;
        if signs_body && request.body().is_none() {
            return match outcome {
                Ok(_) => Head::ReadBody(fetched),
                Err(error) if needs_the_body(&error, request) => Head::ReadBody(fetched),
                Err(error) => Head::Done(Err(error)),
            };
        }
        Head::Done(match outcome {
            Ok(recorded) => self.record(recorded, store, identity, now).await,
            Err(error) => Err(error),
        })
    }
}

/// Whether an app-mode verification without the body (one is to come) failed only for want of
/// it: a form body (its parameters are signed), or a signature that may cover the body's MD5,
/// which the request does not declare in a `Content-MD5` header.
fn needs_the_body(error: &Error, request: &Request<'_>) -> bool {
    match error {
        Error::InvalidRequest(RequestError::BodyUnavailable) => true,
        Error::SignatureMismatch { .. } => request
            .find("content-md5")
            .single()
            .ok()
            .flatten()
            .is_none_or(|value| trim_ows(value).is_empty()),
        _ => false,
    }
}

/// The key `keys` has for `key_id`; a store that cannot answer refuses the request.
async fn fetch(
    keys: &(dyn KeySource + Send + Sync),
    key_id: &str,
) -> Result<OwnedKeyStatus, Error> {
    keys.fetch(key_id)
        .await
        .map_err(|_| Error::KeySourceUnavailable)
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authenticator::Tencent { verifier, mode, .. } => f
                .debug_struct("Tencent")
                .field("verifier", verifier)
                .field("mode", mode)
                .finish_non_exhaustive(),
            Authenticator::Bce { verifier, .. } => f
                .debug_struct("Bce")
                .field("verifier", verifier)
                .finish_non_exhaustive(),
            Authenticator::Gateway { protocol, .. } => f
                .debug_struct("Gateway")
                .field("protocol", protocol)
                .finish_non_exhaustive(),
        }
    }
}
