//! The gateway's configuration: keys, usage plans, services with their domains, environments and
//! APIs. Plain data (deserializable from TOML with the `serde` feature), checked once by
//! [`Gateway::new`].

use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxBuildHasher;

use crate::bce;
use crate::keys::{KeySet, Secret};
use crate::request::{is_tchar, Protocol};
use crate::tencent;

/// A whole gateway configuration.
#[derive(Clone, Debug, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Config {
    /// The keys (and AppCodes) requests may sign with.
    #[cfg_attr(feature = "serde", serde(default))]
    pub keys: Vec<KeyConfig>,
    /// Usage plans: which keys each plan admits.
    #[cfg_attr(feature = "serde", serde(default))]
    pub usage_plans: Vec<UsagePlan>,
    /// The services.
    #[cfg_attr(feature = "serde", serde(default))]
    pub services: Vec<Service>,
}

/// One key: for Tencent a key pair's id and secret, for BCE an access key, or an AppCode (its
/// `id`; the secret is unused).
#[derive(Clone, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct KeyConfig {
    /// The key id (or AppCode).
    pub id: String,
    /// The secret.
    pub secret: Secret,
    /// Whether the key may be used. Defaults to `true`.
    #[cfg_attr(feature = "serde", serde(default = "enabled_by_default"))]
    pub enabled: bool,
}

#[cfg(feature = "serde")]
const fn enabled_by_default() -> bool {
    true
}

/// A usage plan: the keys it admits.
#[derive(Clone, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct UsagePlan {
    /// The plan id.
    pub id: String,
    /// The ids of the keys bound to the plan.
    #[cfg_attr(feature = "serde", serde(default))]
    pub keys: Vec<String>,
}

/// Whose rules a service follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(rename_all = "lowercase")
)]
#[non_exhaustive]
pub enum Vendor {
    /// Tencent Cloud API Gateway: the environment is the first path segment (default domain) or
    /// a custom domain's mapping.
    Tencent,
    /// Baidu AI Cloud API Gateway: the environment is the `X-Bce-Stage` header.
    Bce,
}

/// A service: its domains, the environments it is published in, the usage plans bound to each
/// environment, and its APIs.
#[derive(Clone, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Service {
    /// The service id.
    pub id: String,
    /// Tencent or BCE.
    pub vendor: Vendor,
    /// The default domain (`service-…-1250000000.gz.apigw.tencentcs.com`).
    pub default_domain: String,
    /// The environments the service is published in.
    #[cfg_attr(feature = "serde", serde(default))]
    pub published: Vec<String>,
    /// Custom domains and their environment mappings.
    #[cfg_attr(feature = "serde", serde(default))]
    pub custom_domains: Vec<CustomDomain>,
    /// Environment → the ids of the usage plans bound to it.
    #[cfg_attr(feature = "serde", serde(default))]
    pub usage_plans: BTreeMap<String, Vec<String>>,
    /// The APIs.
    #[cfg_attr(feature = "serde", serde(default))]
    pub apis: Vec<Api>,
}

/// A custom domain of a service.
#[derive(Clone, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct CustomDomain {
    /// The host name.
    pub host: String,
    /// First path segment → environment; the key `""` maps the whole path.
    #[cfg_attr(feature = "serde", serde(default))]
    pub env_mapping: BTreeMap<String, String>,
}

/// How an API authenticates requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(rename_all = "kebab-case")
)]
#[non_exhaustive]
pub enum Auth {
    /// No authentication (the default).
    #[default]
    None,
    /// Tencent key-pair HMAC.
    KeyPair,
    /// Tencent app HMAC.
    App,
    /// BCE `bce-auth-v1` in `X-Bce-Signature`.
    BceApp,
    /// BCE AppCode in `X-Bce-Signature`.
    BceAppcode,
}

/// One API of a service.
#[derive(Clone, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Api {
    /// The path template: literal segments and `{name}` segments, each matching one non-empty
    /// segment (`/items/{id}`).
    pub path: String,
    /// The methods allowed.
    pub methods: Vec<String>,
    /// The protocols allowed. Defaults to both.
    #[cfg_attr(feature = "serde", serde(default = "both_protocols"))]
    pub protocols: Vec<Protocol>,
    /// Whether cross-origin requests are allowed. Defaults to `false`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub cors: bool,
    /// The authentication. Defaults to [`Auth::None`].
    #[cfg_attr(feature = "serde", serde(default))]
    pub auth: Auth,
}

#[cfg(feature = "serde")]
fn both_protocols() -> Vec<Protocol> {
    vec![Protocol::Http, Protocol::Https]
}

/// The methods a gateway serves at all ("Could not support method" for any other).
pub const SUPPORTED_METHODS: [&str; 7] =
    ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"];

/// A configuration that cannot be served.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Two keys, plans or services share an id, or two services a host.
    #[error("duplicate {what} `{id}`")]
    Duplicate {
        /// `key`, `usage plan`, `service` or `host`.
        what: &'static str,
        /// The repeated id.
        id: String,
    },
    /// A reference to a key, plan or environment that does not exist.
    #[error("{owner} refers to unknown {what} `{id}`")]
    Unknown {
        /// Who refers.
        owner: String,
        /// `key`, `usage plan` or `environment`.
        what: &'static str,
        /// The missing id.
        id: String,
    },
    /// An API path that is not `/…`, or a method that is not supported.
    #[error("service `{service}`: invalid API {detail}")]
    InvalidApi {
        /// The service.
        service: String,
        /// What is wrong.
        detail: String,
    },
}

/// A checked configuration, ready to route requests.
#[derive(Clone, Debug)]
pub struct Gateway {
    pub(crate) services: Vec<Service>,
    /// FxHash, as `KeySet`: the plan ids are the operator's; a request only looks one up.
    pub(crate) plans: HashMap<String, UsagePlan, FxBuildHasher>,
    pub(crate) keys: KeySet,
    /// How Tencent signatures are verified. The environment prefix is the gateway's business:
    /// the gateway hands the verifier the path without it, so `environment_prefix` is ignored
    /// (always [`Keep`](tencent::EnvironmentPrefix::Keep)).
    pub tencent: tencent::Policy,
    /// How BCE signatures are verified (the carrier is the API's).
    pub bce: bce::Policy,
}

/// The environments each vendor knows.
pub(crate) fn environments(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        Vendor::Tencent => &tencent::ENVIRONMENTS,
        Vendor::Bce => &["release", "pre-online", "test"],
    }
}

impl Gateway {
    /// The configuration's keys: what [`route`](Gateway::route) verifies with, and what a
    /// caller of [`prepare_route`](Gateway::prepare_route) may look the key up in.
    pub const fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// Checks `config` and builds the gateway, with default verification policies.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for duplicate ids or hosts, references to unknown keys, plans or
    /// environments, and invalid API paths or methods.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        let mut keys = KeySet::new();
        let mut key_ids = std::collections::HashSet::new();
        for key in config.keys {
            if !key_ids.insert(key.id.clone()) {
                return Err(ConfigError::Duplicate {
                    what: "key",
                    id: key.id,
                });
            }
            keys.insert(key.id, key.secret).set_enabled(key.enabled);
        }
        let mut plans = HashMap::default();
        for plan in config.usage_plans {
            if let Some(id) = plan.keys.iter().find(|id| !key_ids.contains(*id)) {
                return Err(ConfigError::Unknown {
                    owner: format!("usage plan `{}`", plan.id),
                    what: "key",
                    id: id.clone(),
                });
            }
            if plans.contains_key(&plan.id) {
                return Err(ConfigError::Duplicate {
                    what: "usage plan",
                    id: plan.id,
                });
            }
            plans.insert(plan.id.clone(), plan);
        }
        let mut ids = std::collections::HashSet::new();
        let mut hosts = std::collections::HashSet::new();
        for service in &config.services {
            check_service(service, &plans)?;
            if !ids.insert(service.id.as_str()) {
                return Err(ConfigError::Duplicate {
                    what: "service",
                    id: service.id.clone(),
                });
            }
            let domains = core::iter::once(service.default_domain.as_str())
                .chain(service.custom_domains.iter().map(|d| d.host.as_str()));
            for host in domains {
                if !hosts.insert(host.to_ascii_lowercase()) {
                    return Err(ConfigError::Duplicate {
                        what: "host",
                        id: host.to_owned(),
                    });
                }
            }
        }
        let mut tencent = tencent::Policy::default();
        tencent.environment_prefix = tencent::EnvironmentPrefix::Keep;
        Ok(Gateway {
            services: config.services,
            plans,
            keys,
            tencent,
            bce: bce::Policy::default(),
        })
    }

    /// The services.
    pub fn services(&self) -> &[Service] {
        &self.services
    }
}

fn check_service(
    service: &Service,
    plans: &HashMap<String, UsagePlan, FxBuildHasher>,
) -> Result<(), ConfigError> {
    let owner = || format!("service `{}`", service.id);
    let known = environments(service.vendor);
    let check_env = |env: &String| {
        if known.contains(&env.as_str()) {
            Ok(())
        } else {
            Err(ConfigError::Unknown {
                owner: owner(),
                what: "environment",
                id: env.clone(),
            })
        }
    };
    service.published.iter().try_for_each(check_env)?;
    for (env, plan_ids) in &service.usage_plans {
        check_env(env)?;
        if let Some(id) = plan_ids.iter().find(|id| !plans.contains_key(*id)) {
            return Err(ConfigError::Unknown {
                owner: owner(),
                what: "usage plan",
                id: id.clone(),
            });
        }
    }
    for domain in &service.custom_domains {
        domain.env_mapping.values().try_for_each(check_env)?;
    }
    for api in &service.apis {
        let invalid = |detail: String| ConfigError::InvalidApi {
            service: service.id.clone(),
            detail,
        };
        if !api.path.starts_with('/') {
            return Err(invalid(format!(
                "path `{}`: it must start with `/`",
                api.path
            )));
        }
        if let Some(method) = api
            .methods
            .iter()
            .find(|m| !SUPPORTED_METHODS.contains(&m.as_str()))
        {
            return Err(invalid(format!("method `{method}` on `{}`", api.path)));
        }
        let bce_auth = matches!(api.auth, Auth::BceApp | Auth::BceAppcode);
        let tencent_auth = matches!(api.auth, Auth::KeyPair | Auth::App);
        if (service.vendor == Vendor::Tencent && bce_auth)
            || (service.vendor == Vendor::Bce && tencent_auth)
        {
            return Err(invalid(format!(
                "authentication {:?} on `{}` for a {:?} service",
                api.auth, api.path, service.vendor
            )));
        }
        if api.path.split('/').any(|s| {
            s.starts_with('{') != s.ends_with('}')
                || !s.bytes().all(|b| b != b'?' && is_path_byte(b))
        }) {
            return Err(invalid(format!("path `{}`", api.path)));
        }
    }
    Ok(())
}

/// Bytes an API path template may hold: a request-target's (the `{name}` braces included).
fn is_path_byte(b: u8) -> bool {
    is_tchar(b)
        || matches!(
            b,
            b'{' | b'}' | b'/' | b':' | b'@' | b'=' | b',' | b';' | b'(' | b')'
        )
}
