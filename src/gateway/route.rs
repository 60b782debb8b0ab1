//! Routing a request through the model, in the spec's order: `Host` present → usable → method
//! supported → service for the host → environment → API for the path → method allowed →
//! protocol allowed → CORS → (an API that authenticates) a usage plan on the environment → the
//! signature, with only the keys of that environment's plans.
//!
//! In two phases, like the verifiers: [`Gateway::prepare_route`] runs every check that needs
//! no key, [`Gateway::finish_route`] takes the key's status from wherever the caller found it.
//! [`Gateway::route`] and [`Gateway::route_once`] run both with the configuration's keys.

use core::fmt;

use time::OffsetDateTime;

use crate::bce;
use crate::error::Error;
use crate::gateway::model::{
    environments, Api, Auth, CustomDomain, Gateway, Service, Vendor, SUPPORTED_METHODS,
};
use crate::headers::X_BCE_STAGE;
use crate::keys::{KeyLookup, KeyStatus};
use crate::replay::{Recorded, ReplayGuard};
use crate::request::{trim_ows, Protocol, Request};
use crate::tencent;
use crate::verification::{Guard, Phases, Scratch};

/// What routing established for a request that may pass.
#[derive(Clone, Debug)]
pub struct Routed<'g> {
    /// The service.
    pub service: &'g Service,
    /// The environment (`release`, `prepub`, `test`; for BCE `release`, `pre-online`, `test`).
    pub environment: &'g str,
    /// The API.
    pub api: &'g Api,
    /// The path inside the service (without the environment part).
    pub uri: String,
    /// The verified key id, for an API that authenticates.
    pub key_id: Option<String>,
}

/// Room that routing in two phases lends: the request's parameters and, for a Tencent API, the
/// target of the path inside the service. One per request; see [`Gateway::prepare_route`].
#[derive(Default)]
pub struct RouteScratch<'a> {
    target: String,
    scratch: Scratch<'a>,
}

impl fmt::Debug for RouteScratch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteScratch").finish_non_exhaustive()
    }
}

/// What the first phase of routing established ([`Gateway::prepare_route`]): the service,
/// environment and API, and for an API that authenticates, everything but the key. Fetch the
/// status of [`key_id`](Self::key_id), then [`Gateway::finish_route`].
pub struct PendingRoute<'g, 'a> {
    service: &'g Service,
    environment: &'g str,
    api: &'g Api,
    uri: &'a str,
    plan_ids: &'g [String],
    check: Check<'a>,
}

/// The signature a routed request still has to pass.
// It lives on the stack for one call; boxing the large variants would allocate per request.
#[allow(clippy::large_enum_variant)]
enum Check<'a> {
    /// An API without authentication.
    None,
    Tencent(tencent::Verifier, tencent::Pending<'a, 'a>),
    Bce(bce::Verifier, bce::Pending<'a, 'a>),
}

impl PendingRoute<'_, '_> {
    /// The key to fetch; `None` for an API without authentication. An AppCode (a `bce-appcode`
    /// API) is a secret: keep it out of logs.
    pub fn key_id(&self) -> Option<&str> {
        match &self.check {
            Check::None => None,
            Check::Tencent(_, pending) => Some(pending.key_id()),
            Check::Bce(_, pending) => Some(pending.key_id()),
        }
    }

    /// The matched service.
    pub const fn service(&self) -> &Service {
        self.service
    }

    /// The environment.
    pub const fn environment(&self) -> &str {
        self.environment
    }

    /// The matched API.
    pub const fn api(&self) -> &Api {
        self.api
    }
}

impl fmt::Debug for PendingRoute<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("PendingRoute");
        debug
            .field("service", &self.service.id)
            .field("environment", &self.environment)
            .field("api", &self.api.path)
            .field("uri", &self.uri);
        match &self.check {
            Check::None => {}
            Check::Tencent(_, pending) => {
                debug.field("pending", pending);
            }
            Check::Bce(_, pending) => {
                debug.field("pending", pending);
            }
        }
        debug.finish_non_exhaustive()
    }
}

impl Gateway {
    /// Routes `request`, which arrived over `protocol`, at time `now`: the matched service,
    /// environment and API and, when the API authenticates, the verified key.
    ///
    /// # Errors
    ///
    /// The first failed check, in the order of the module documentation, with Tencent's routing
    /// messages (for BCE services too) and each vendor's signature errors.
    pub fn route(
        &self,
        request: &Request<'_>,
        protocol: Protocol,
        now: OffsetDateTime,
    ) -> Result<Routed<'_>, Error> {
        self.route_with(request, protocol, None, now)
    }

    /// Routes `request` as [`route`](Self::route) does, verifying a signature with the
    /// verifiers' `verify_once`: a signature that verifies is recorded in `guard` until its
    /// window ends and refused the second time ([`Error::SignatureReplayed`]), and a guard that
    /// is full or cannot decide refuses the request ([`Error::ReplayCacheFull`],
    /// [`Error::ReplayGuardUnavailable`]). AppCodes are bearer secrets and are not recorded.
    ///
    /// # Errors
    ///
    /// As [`route`](Self::route), then the guard's refusal.
    pub fn route_once(
        &self,
        request: &Request<'_>,
        protocol: Protocol,
        guard: &(impl ReplayGuard + ?Sized),
        now: OffsetDateTime,
    ) -> Result<Routed<'_>, Error> {
        // `&G` is a sized guard for any `G`, so it makes a trait object.
        self.route_with(request, protocol, Some(&guard), now)
    }

    /// The one path of [`route`](Self::route) and [`route_once`](Self::route_once) (and of the
    /// `http` adapter): both phases, with the gateway's own keys, then the guard.
    pub(crate) fn route_with(
        &self,
        request: &Request<'_>,
        protocol: Protocol,
        guard: Option<&dyn ReplayGuard>,
        now: OffsetDateTime,
    ) -> Result<Routed<'_>, Error> {
        let mut scratch = RouteScratch::default();
        let pending = self.prepare_route(request, protocol, now, &mut scratch)?;
        let key = pending.key_id().map(|id| self.keys.lookup(id));
        let (routed, _) = self.finish_route_with(
            &pending,
            key.unwrap_or(KeyStatus::Unknown),
            Guard::new(guard, now),
        )?;
        Ok(routed)
    }

    /// Phase one of routing in two steps: every routing check and every check of the signature
    /// that needs no key, in the order of the module documentation. Fetch the status of
    /// [`PendingRoute::key_id`] (from [`Gateway::keys`] or your own store), then call
    /// [`finish_route`](Self::finish_route).
    ///
    /// # Errors
    ///
    /// The first failed check before the key's.
    pub fn prepare_route<'g, 'a>(
        &'g self,
        request: &Request<'a>,
        protocol: Protocol,
        now: OffsetDateTime,
        scratch: &'a mut RouteScratch<'a>,
    ) -> Result<PendingRoute<'g, 'a>, Error> {
        let host = match request.find("host").single() {
            Ok(None) => return Err(Error::HostNotFound),
            Err(_) => return Err(Error::HostUnusable),
            Ok(Some(value)) => match core::str::from_utf8(trim_ows(value)) {
                Ok(text) if !text.is_empty() => text,
                _ => return Err(Error::HostUnusable),
            },
        };
        let method = request.method();
        if !SUPPORTED_METHODS.contains(&method) {
            return Err(Error::MethodNotSupported);
        }
        let name = host_name(host);
        let (service, custom) = self
            .services
            .iter()
            .find_map(|s| {
                if s.default_domain.eq_ignore_ascii_case(name) {
                    Some((s, None))
                } else {
                    s.custom_domains
                        .iter()
                        .find(|d| d.host.eq_ignore_ascii_case(name))
                        .map(|d| (s, Some(d)))
                }
            })
            .ok_or_else(|| Error::NoApiForHost {
                host: host.to_owned(),
            })?;

        let path = request.path();
        let (environment, uri) = environment(service, custom, request, path)?;

        let mut candidates = service
            .apis
            .iter()
            .filter(|api| template_matches(&api.path, uri))
            .peekable();
        if candidates.peek().is_none() {
            return Err(Error::NoApiForUri {
                uri: uri.to_owned(),
            });
        }
        let api = candidates
            .find(|api| api.methods.iter().any(|m| m == method))
            .ok_or_else(|| Error::NoApiForMethod {
                method: method.to_owned(),
            })?;
        if !api.protocols.contains(&protocol) {
            return Err(Error::ProtocolNotAllowed { protocol });
        }
        if is_cross_origin(request, protocol, host) && !api.cors {
            return Err(Error::CrossOrigin {
                uri: uri.to_owned(),
            });
        }

        let mut pending = PendingRoute {
            service,
            environment,
            api,
            uri,
            plan_ids: &[],
            check: Check::None,
        };
        if api.auth == Auth::None {
            return Ok(pending);
        }
        pending.plan_ids = service
            .usage_plans
            .get(environment)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if pending.plan_ids.is_empty() {
            return Err(Error::NoUsagePlan);
        }
        let RouteScratch { target, scratch } = scratch;
        pending.check = match api.auth {
            Auth::None => Check::None,
            Auth::KeyPair | Auth::App => {
                let mode = if api.auth == Auth::App {
                    tencent::Mode::App
                } else {
                    tencent::Mode::KeyPair
                };
                // The signed path is the path inside the service.
                let query = request.query();
                target.push_str(uri);
                if !query.is_empty() {
                    target.push('?');
                    target.push_str(query);
                }
                let target: &'a str = target;
                let inner = Request::new(
                    method,
                    target,
                    request.headers(),
                    request.body().unwrap_or_default(),
                );
                let inner = if request.body().is_some() {
                    inner
                } else {
                    inner.without_body()
                };
                // The environment part is already removed: never strip a second segment,
                // whatever policy the caller set.
                let mut policy = self.tencent.clone();
                policy.environment_prefix = tencent::EnvironmentPrefix::Keep;
                let verifier = tencent::Verifier::new(policy);
                let prepared = verifier.prepare(mode, &inner, now, scratch)?;
                Check::Tencent(verifier, prepared)
            }
            Auth::BceApp | Auth::BceAppcode => {
                let mut policy = self.bce.clone();
                policy.carriers = bce::Carriers::only(if api.auth == Auth::BceApp {
                    bce::Carrier::XBceSignature
                } else {
                    bce::Carrier::AppCode
                });
                let verifier = bce::Verifier::new(policy);
                let prepared = verifier.prepare(request, now, scratch)?;
                Check::Bce(verifier, prepared)
            }
        };
        Ok(pending)
    }

    /// Phase two of routing: the key's status (what the store said about
    /// [`PendingRoute::key_id`]; ignored for an API without authentication), limited to the
    /// keys of the usage plans bound to the environment, then the signature. A replay guard,
    /// if any, is the caller's to consult afterwards.
    ///
    /// # Errors
    ///
    /// The key's or the signature's error.
    pub fn finish_route<'g>(
        &self,
        pending: &PendingRoute<'g, '_>,
        key: KeyStatus<'_>,
    ) -> Result<Routed<'g>, Error> {
        self.finish_route_with(pending, key, Guard::NONE)
            .map(|(routed, _)| routed)
    }

    /// [`finish_route`](Self::finish_route) with `guard`, which the scheme's phase two
    /// consults as the verifiers' `verify_once` do; and what a replay guard records, for a
    /// caller whose guard is asynchronous (the tower layer's) and passes [`Guard::NONE`].
    pub(crate) fn finish_route_with<'g>(
        &self,
        pending: &PendingRoute<'g, '_>,
        key: KeyStatus<'_>,
        guard: Guard<'_>,
    ) -> Result<(Routed<'g>, Option<Recorded>), Error> {
        let routed = |key_id| Routed {
            service: pending.service,
            environment: pending.environment,
            api: pending.api,
            uri: pending.uri.to_owned(),
            key_id,
        };
        let key = match (pending.key_id(), key) {
            (Some(key_id), KeyStatus::Active(active)) => {
                let bound = pending
                    .plan_ids
                    .iter()
                    .filter_map(|id| self.plans.get(id))
                    .any(|plan| plan.keys.iter().any(|k| k == key_id));
                if bound {
                    KeyStatus::Active(active)
                } else {
                    KeyStatus::NotBound
                }
            }
            (_, other) => other,
        };
        match &pending.check {
            Check::None => Ok((routed(None), None)),
            Check::Tencent(verifier, prepared) => {
                let verified = Phases::finish(verifier, prepared, key, guard)?;
                let recorded = Recorded::of(verified.signature(), verified.not_after());
                Ok((routed(Some(verified.key_id().to_owned())), Some(recorded)))
            }
            Check::Bce(verifier, prepared) => {
                let verified = Phases::finish(verifier, prepared, key, guard)?;
                let recorded = verified
                    .signature()
                    .zip(verified.not_after())
                    .map(|(signature, not_after)| Recorded::of(signature, not_after));
                Ok((routed(Some(verified.key_id().to_owned())), recorded))
            }
        }
    }
}

/// The host without a `:port` suffix (an IPv6 literal keeps its brackets).
fn host_name(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && !name.ends_with(':') =>
        {
            name
        }
        _ => host,
    }
}

/// The environment and the path inside the service.
fn environment<'g, 'p>(
    service: &'g Service,
    custom: Option<&'g CustomDomain>,
    request: &Request<'_>,
    path: &'p str,
) -> Result<(&'g str, &'p str), Error> {
    let published = |env: &str| {
        service
            .published
            .iter()
            .find(|p| p.as_str() == env)
            .map(String::as_str)
    };
    if service.vendor == Vendor::Bce {
        let stage = bce::Stage::of(request.find(X_BCE_STAGE))?;
        let env = published(stage.as_str()).ok_or_else(|| Error::NoEnvMapping {
            mapping: stage.as_str().to_owned(),
        })?;
        return Ok((env, path));
    }
    let (segment, rest) = first_segment(path);
    match custom {
        None => {
            let env = environments(Vendor::Tencent)
                .contains(&segment)
                .then(|| published(segment))
                .flatten()
                .ok_or_else(|| Error::NoDefaultEnvMapping {
                    mapping: segment.to_owned(),
                })?;
            Ok((env, rest))
        }
        Some(domain) => {
            let (env, uri) = match (domain.env_mapping.get(segment), domain.env_mapping.get("")) {
                (Some(env), _) if !segment.is_empty() => (env, rest),
                (_, Some(env)) => (env, path),
                _ => {
                    return Err(Error::NoEnvMapping {
                        mapping: segment.to_owned(),
                    })
                }
            };
            let env = published(env).ok_or_else(|| Error::NoEnvMapping {
                mapping: segment.to_owned(),
            })?;
            Ok((env, uri))
        }
    }
}

/// The first segment of `path` and the rest (`/` when nothing is left).
fn first_segment(path: &str) -> (&str, &str) {
    let rest = path.strip_prefix('/').unwrap_or(path);
    match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    }
}

/// Whether `path` matches `template`, segment by segment; `{name}` matches one non-empty segment.
fn template_matches(template: &str, path: &str) -> bool {
    let mut expected = template.split('/');
    let mut actual = path.split('/');
    loop {
        match (expected.next(), actual.next()) {
            (None, None) => return true,
            (Some(t), Some(p)) if t.starts_with('{') && t.ends_with('}') && !p.is_empty() => {}
            (Some(t), Some(p)) if t == p => {}
            _ => return false,
        }
    }
}

/// A request is cross-origin when it carries an `Origin` that differs from its own
/// `scheme://host`.
fn is_cross_origin(request: &Request<'_>, protocol: Protocol, host: &str) -> bool {
    let Some((_, origin)) = request.find("origin").first else {
        return false;
    };
    let scheme = match protocol {
        Protocol::Http => "http://",
        Protocol::Https => "https://",
    };
    let origin = trim_ows(origin);
    let own = origin.len() == scheme.len() + host.len()
        && origin
            .get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme.as_bytes()))
        && origin
            .get(scheme.len()..)
            .is_some_and(|h| h.eq_ignore_ascii_case(host.as_bytes()));
    !own
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert!(template_matches("/items/{id}", "/items/7"));
        assert!(!template_matches("/items/{id}", "/items/"));
        assert!(!template_matches("/items/{id}", "/items/7/x"));
        assert!(template_matches("/", "/"));
        assert!(!template_matches("/users", "/users/"));
    }

    #[test]
    fn hosts_and_segments() {
        assert_eq!(host_name("api.example.com:8080"), "api.example.com");
        assert_eq!(host_name("api.example.com"), "api.example.com");
        assert_eq!(host_name("[::1]:80"), "[::1]");
        assert_eq!(first_segment("/release/users/7"), ("release", "/users/7"));
        assert_eq!(first_segment("/release"), ("release", "/"));
        assert_eq!(first_segment("/"), ("", "/"));
    }
}
