//! The one dispatch from a request to what authenticates it (the Tencent verifier, the BCE
//! verifier or the gateway model), and the [`Identity`] it establishes: what the tower layer
//! runs for each request.

use core::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::bce::{self, shown_key_id, Carrier, Stage};
use crate::error::{Error, StatusProfile};
use crate::gateway::{Auth, Gateway, Vendor};
use crate::keys::KeyLookup;
use crate::replay::ReplayGuard;
use crate::request::{Protocol, Request};
use crate::tencent::{self, Mode};

/// A key store shared between requests.
pub(crate) type SharedKeys = Arc<dyn KeyLookup + Send + Sync>;

/// A replay guard shared between requests (and with whoever else holds it).
pub(crate) type SharedGuard = Arc<dyn ReplayGuard + Send + Sync>;

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
        keys: SharedKeys,
    },
    Bce {
        verifier: bce::Verifier,
        keys: SharedKeys,
    },
    Gateway {
        gateway: Gateway,
        protocol: Protocol,
    },
}

impl Authenticator {
    /// The status profile of Tencent errors (BCE errors ignore it).
    pub(crate) fn profile(&self) -> StatusProfile {
        match self {
            Authenticator::Tencent { verifier, .. } => verifier.policy().statuses,
            Authenticator::Bce { .. } => StatusProfile::default(),
            Authenticator::Gateway { gateway, .. } => gateway.tencent.statuses,
        }
    }

    /// Authenticates `request` at `now`; with a `guard`, also refuses a second use of its
    /// signature.
    pub(crate) fn authenticate(
        &self,
        request: &Request<'_>,
        guard: Option<&dyn ReplayGuard>,
        now: OffsetDateTime,
    ) -> Result<Identity, Error> {
        let mut identity = Identity::default();
        match self {
            Authenticator::Tencent {
                verifier,
                mode,
                keys,
            } => {
                let verified = verifier.verify_with(*mode, request, &**keys, guard, now)?;
                identity.key_id = Some(verified.key_id().to_owned());
            }
            Authenticator::Bce { verifier, keys } => {
                let verified = verifier.verify_with(request, &**keys, guard, now)?;
                let stage = verified.stage();
                identity.key_id = Some(verified.key_id().to_owned());
                identity.environment = Some(stage.as_str().to_owned());
                identity.stage = Some(stage);
                identity.carrier = Some(verified.carrier());
            }
            Authenticator::Gateway { gateway, protocol } => {
                let routed = gateway.route_with(request, *protocol, guard, now)?;
                identity.stage = match routed.service.vendor {
                    Vendor::Bce => Stage::from_value(routed.environment.as_bytes()),
                    Vendor::Tencent => None,
                };
                identity.carrier = match routed.api.auth {
                    Auth::BceApp => Some(Carrier::XBceSignature),
                    Auth::BceAppcode => Some(Carrier::AppCode),
                    Auth::None | Auth::KeyPair | Auth::App => None,
                };
                identity.key_id = routed.key_id;
                identity.service = Some(routed.service.id.clone());
                identity.environment = Some(routed.environment.to_owned());
                identity.api = Some(routed.api.path.clone());
                identity.path = Some(routed.uri);
            }
        }
        Ok(identity)
    }
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
