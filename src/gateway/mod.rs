//! A model of an API gateway, without I/O: keys, usage plans and services, and one call,
//! [`Gateway::route`], that takes a request (with its protocol and `now`) and returns the matched
//! service, environment, API and verified key, or the vendor's documented error.
//!
//! A key authenticates only where the service is published in the environment, the environment
//! is bound to a usage plan, and the plan is bound to the key ("Found no validate usage plan"
//! when the environment has no plan; "HMAC signature cannot be verified" — for BCE
//! `SignatureAppInvalid` — when the key is unknown, disabled or in no bound plan).
//!
//! - Tencent default domain: the environment is the first path segment (`release`, `prepub`,
//!   `test`, and published), else "There is no api match default env_mapping[…]".
//! - Custom domain: the first path segment selects a mapping; without one the `""` mapping (the
//!   whole path) applies; with neither it is "There is no api match env_mapping[…]".
//! - A `bce` service takes its environment from `X-Bce-Stage` (absent: `release`).
//! - Hosts match case-insensitively, without a `:port`. Placeholders: `host[…]` is the `Host`
//!   value as sent, `env_mapping[…]` the first path segment, `uri[…]` (and the CORS message's) the
//!   path inside the service, `method[…]` the method.
//! - Routing errors use Tencent's messages for both vendors (they are the documented ones).

mod model;
mod route;

pub use model::{
    Api, Auth, Config, ConfigError, CustomDomain, Gateway, KeyConfig, Service, UsagePlan, Vendor,
    SUPPORTED_METHODS,
};
pub use route::{PendingRoute, RouteScratch, Routed};
