//! The gateway model (`src/gateway/`) through [`Gateway::route`]: every routing row of the
//! Tencent error table (`tencent.md` §5), "Found no validate usage plan", and a key that is
//! unknown, disabled or in no plan bound to the environment (Tencent and BCE), each with its
//! exact message and its status under both profiles; successes for every kind of
//! authentication (requests really signed with the crate's signers); path templates, custom
//! domains and their `""` mapping; the check order; and [`Gateway::new`] rejecting bad
//! configurations; `Gateway::route_once` refusing a replayed signature after the routing checks;
//! routing in two phases (`prepare_route`, then `finish_route` with a key from any store, the
//! usage plans still applied).
//!
//! The configuration is the issue's TOML, extended (`tests/fixtures/gateway.toml`, which the CLI
//! and end-to-end suites share), parsed with the `serde` feature.
#![cfg(feature = "serde")]

mod common;

use apigw_sign::bce::{self, Carrier, Stage};
use apigw_sign::gateway::{Config, ConfigError, Gateway, Routed};
use apigw_sign::tencent::{self, EnvironmentPrefix, Mode};
use apigw_sign::{Error, KeyRejection, Protocol, Secret, StatusProfile};
use common::request::Wire;
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);

const DEFAULT: &str = "service-1-1250000000.gz.apigw.tencentcs.com";
const CUSTOM: &str = "api.example.com";
const MAPPED: &str = "mapped.example.com";
const NO_PLAN: &str = "service-2-1250000000.gz.apigw.tencentcs.com";
const BCE: &str = "bce.example.com";
const BCE_RELEASE_ONLY: &str = "bce-release.example.com";

/// The shared configuration: the issue's service, extended with a second Tencent service
/// without usage plans, a BCE service, and a BCE service published in `release` only (and the
/// CLI's and the end-to-end test's services, on other hosts).
const CONFIG: &str = include_str!("fixtures/gateway.toml");

fn config(text: &str) -> Config {
    toml::from_str::<Config>(text).expect("the configuration parses")
}

fn gateway() -> Gateway {
    Gateway::new(config(CONFIG)).expect("the configuration is valid")
}

/// The gateway side of the shared owned request: built step by step, routed at [`NOW`].
impl Wire {
    /// `method target` with `Host: host`.
    fn to(method: &str, host: &str, target: &str) -> Self {
        Wire::bare(method, target).with("Host", host)
    }

    fn get(host: &str, target: &str) -> Self {
        Wire::to("GET", host, target)
    }

    fn route<'g>(&self, gateway: &'g Gateway, protocol: Protocol) -> Result<Routed<'g>, Error> {
        self.with_request(|request| gateway.route(request, protocol, NOW))
    }

    fn http<'g>(&self, gateway: &'g Gateway) -> Result<Routed<'g>, Error> {
        self.route(gateway, Protocol::Http)
    }

    /// Signed for Tencent `mode` over `signed_target` (the path the client signs, which the
    /// gateway must see as the path inside the service).
    fn tencent(self, mode: Mode, key_id: &str, secret: &str, signed_target: &str) -> Self {
        let secret = Secret::from(secret);
        let signature = self.clone().target(signed_target).with_request(|request| {
            tencent::Signer::new(mode, key_id, &secret)
                .environment_prefix(EnvironmentPrefix::Strip)
                .sign(request, NOW)
                .expect("the request signs")
        });
        self.with_all(signature.headers())
    }

    /// Signed for Tencent app mode over its own target, the environment segment stripped.
    fn app(self, key_id: &str, secret: &str) -> Self {
        let target = self.target.clone();
        self.tencent(Mode::App, key_id, secret, &target)
    }

    /// Signed with `bce-auth-v1` in `X-Bce-Signature`, with `X-Bce-Stage` when `stage` is given.
    fn bce(self, key_id: &str, secret: &str, stage: Option<Stage>) -> Self {
        let secret = Secret::from(secret);
        let signature = self.with_request(|request| {
            let signer = bce::Signer::new(key_id, &secret).carrier(Carrier::XBceSignature);
            let signer = match stage {
                Some(stage) => signer.stage(stage),
                None => signer,
            };
            signer.sign(request, NOW).expect("the request signs")
        });
        self.with_all(signature.headers())
    }

    /// Carrying `X-Bce-Signature: AppCode/<code>`.
    fn app_code(self, code: &str) -> Self {
        let (name, value) = bce::app_code_header(code).expect("a usable AppCode");
        self.with(name, value)
    }
}

/// Asserts `result` is an error with exactly `message` and the two statuses, and returns it.
#[track_caller]
fn fails(result: Result<Routed<'_>, Error>, message: &str, classic: u16, current: u16) -> Error {
    let err = match result {
        Ok(routed) => panic!(
            "expected {message:?}, got a route to {} {} {}",
            routed.service.id, routed.environment, routed.api.path
        ),
        Err(err) => err,
    };
    assert_eq!(err.to_string(), message, "{err:?}");
    assert_eq!(err.status(StatusProfile::Classic), classic, "{err:?}");
    assert_eq!(err.status(StatusProfile::Current), current, "{err:?}");
    err
}

/// A routing error: 404 under both profiles.
#[track_caller]
fn not_found(result: Result<Routed<'_>, Error>, message: &str) -> Error {
    fails(result, message, 404, 404)
}

/// Asserts `result` routed to `service`, `environment`, the API `api` with path-inside-service
/// `uri` and key `key_id`.
#[track_caller]
fn routes(
    result: Result<Routed<'_>, Error>,
    service: &str,
    environment: &str,
    api: &str,
    uri: &str,
    key_id: Option<&str>,
) {
    let routed = result.unwrap_or_else(|err| panic!("expected a route, got {err:?} ({err})"));
    assert_eq!(routed.service.id, service);
    assert_eq!(routed.environment, environment);
    assert_eq!(routed.api.path, api);
    assert_eq!(routed.uri, uri);
    assert_eq!(routed.key_id.as_deref(), key_id);
}

// ---- the configuration ----

#[test]
fn the_issue_toml_parses_and_builds() {
    let issue = r#"
[[keys]]
id = "AKIDexample"
secret = "secret"
enabled = true

[[usage_plans]]
id = "plan-1"
keys = ["AKIDexample"]

[[services]]
id = "service-1"
vendor = "tencent"
default_domain = "service-1-1250000000.gz.apigw.tencentcs.com"
published = ["release", "test"]
custom_domains = [{ host = "api.example.com", env_mapping = { "" = "release", "t" = "test" } }]

[services.usage_plans]
release = ["plan-1"]

[[services.apis]]
path = "/users/{id}"
methods = ["GET", "POST"]
protocols = ["http", "https"]
cors = false
auth = "app"
"#;
    let gateway = Gateway::new(config(issue)).expect("valid");
    let services = gateway.services();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].custom_domains[0].env_mapping[""], "release");
    assert_eq!(
        services[0].apis[0].protocols,
        [Protocol::Http, Protocol::Https]
    );

    let signed = Wire::get(DEFAULT, "/release/users/42").app("AKIDexample", "secret");
    routes(
        signed.http(&gateway),
        "service-1",
        "release",
        "/users/{id}",
        "/users/42",
        Some("AKIDexample"),
    );
}

#[test]
fn defaults_apply_when_fields_are_omitted() {
    let gateway = gateway();
    let open = &gateway.services()[0].apis[0];
    assert_eq!(open.path, "/open");
    assert_eq!(open.protocols, [Protocol::Http, Protocol::Https]);
    assert!(!open.cors);
    assert_eq!(open.auth, apigw_sign::gateway::Auth::None);
}

#[test]
fn unknown_fields_are_rejected_by_the_parser() {
    let err = toml::from_str::<Config>("[[keys]]\nid = \"a\"\nsecret = \"b\"\ncolour = \"red\"\n")
        .expect_err("an unknown field");
    assert!(err.to_string().contains("colour"), "{err}");
}

/// A one-service configuration with `service` as the service's body (after `id`/`vendor`).
fn one_service(vendor: &str, service: &str) -> String {
    format!(
        "[[keys]]\nid = \"k\"\nsecret = \"s\"\n\n[[usage_plans]]\nid = \"p\"\nkeys = [\"k\"]\n\n\
         [[services]]\nid = \"svc\"\nvendor = \"{vendor}\"\ndefault_domain = \"svc.example.com\"\n{service}"
    )
}

#[test]
fn gateway_new_rejects_bad_configurations() {
    let reject = |text: &str| Gateway::new(config(text)).expect_err("an invalid configuration");

    // A usage plan naming an unknown key.
    let err = reject(
        "[[keys]]\nid = \"k\"\nsecret = \"s\"\n[[usage_plans]]\nid = \"p\"\nkeys = [\"k\", \"ghost\"]\n",
    );
    assert_eq!(
        err,
        ConfigError::Unknown {
            owner: "usage plan `p`".into(),
            what: "key",
            id: "ghost".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "usage plan `p` refers to unknown key `ghost`"
    );

    // An environment bound to an unknown plan.
    let err = reject(&one_service(
        "tencent",
        "published = [\"release\"]\n[services.usage_plans]\nrelease = [\"p\", \"nope\"]\n",
    ));
    assert_eq!(
        err,
        ConfigError::Unknown {
            owner: "service `svc`".into(),
            what: "usage plan",
            id: "nope".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "service `svc` refers to unknown usage plan `nope`"
    );

    // Unknown environments: published, bound to a plan, mapped, and a Tencent name on BCE.
    for (vendor, body, env) in [
        ("tencent", "published = [\"staging\"]\n", "staging"),
        (
            "tencent",
            "[services.usage_plans]\nproduction = [\"p\"]\n",
            "production",
        ),
        (
            "tencent",
            "custom_domains = [{ host = \"c.example.com\", env_mapping = { \"x\" = \"prod\" } }]\n",
            "prod",
        ),
        ("bce", "published = [\"prepub\"]\n", "prepub"),
        ("tencent", "published = [\"pre-online\"]\n", "pre-online"),
    ] {
        let err = reject(&one_service(vendor, body));
        assert_eq!(
            err,
            ConfigError::Unknown {
                owner: "service `svc`".into(),
                what: "environment",
                id: env.into()
            },
            "{vendor}: {body}"
        );
        assert_eq!(
            err.to_string(),
            format!("service `svc` refers to unknown environment `{env}`")
        );
    }

    // Methods the gateway does not support (methods are case-sensitive).
    for method in ["TRACE", "CONNECT", "get"] {
        let err = reject(&one_service(
            "tencent",
            &format!("[[services.apis]]\npath = \"/a\"\nmethods = [\"GET\", \"{method}\"]\n"),
        ));
        assert_eq!(
            err,
            ConfigError::InvalidApi {
                service: "svc".into(),
                detail: format!("method `{method}` on `/a`")
            }
        );
        assert_eq!(
            err.to_string(),
            format!("service `svc`: invalid API method `{method}` on `/a`")
        );
    }

    // A path that does not start with `/`, and a broken template.
    let err = reject(&one_service(
        "tencent",
        "[[services.apis]]\npath = \"a\"\nmethods = [\"GET\"]\n",
    ));
    assert!(matches!(err, ConfigError::InvalidApi { .. }), "{err:?}");
    let err = reject(&one_service(
        "tencent",
        "[[services.apis]]\npath = \"/items/{id\"\nmethods = [\"GET\"]\n",
    ));
    assert!(matches!(err, ConfigError::InvalidApi { .. }), "{err:?}");

    // Another vendor's authentication.
    let err = reject(&one_service(
        "bce",
        "[[services.apis]]\npath = \"/a\"\nmethods = [\"GET\"]\nauth = \"app\"\n",
    ));
    assert!(matches!(err, ConfigError::InvalidApi { .. }), "{err:?}");
    let err = reject(&one_service(
        "tencent",
        "[[services.apis]]\npath = \"/a\"\nmethods = [\"GET\"]\nauth = \"bce-app\"\n",
    ));
    assert!(matches!(err, ConfigError::InvalidApi { .. }), "{err:?}");

    // Duplicates: a key, a plan, a host (case-insensitively).
    let err =
        reject("[[keys]]\nid = \"k\"\nsecret = \"s\"\n[[keys]]\nid = \"k\"\nsecret = \"t\"\n");
    assert_eq!(
        err,
        ConfigError::Duplicate {
            what: "key",
            id: "k".into()
        }
    );
    let err = reject("[[usage_plans]]\nid = \"p\"\n[[usage_plans]]\nid = \"p\"\n");
    assert_eq!(
        err,
        ConfigError::Duplicate {
            what: "usage plan",
            id: "p".into()
        }
    );
    let err = reject(
        "[[services]]\nid = \"a\"\nvendor = \"tencent\"\ndefault_domain = \"x.example.com\"\n\
         [[services]]\nid = \"b\"\nvendor = \"tencent\"\ndefault_domain = \"X.Example.com\"\n",
    );
    assert_eq!(
        err,
        ConfigError::Duplicate {
            what: "host",
            id: "X.Example.com".into()
        }
    );
}

// ---- routing errors, in the spec's order ----

#[test]
fn no_host_header_is_not_found_host() {
    let gateway = gateway();
    let err = not_found(
        Wire::bare("GET", "/release/open").http(&gateway),
        "Not Found Host",
    );
    assert_eq!(err, Error::HostNotFound);
    assert_eq!(err.json_body(), r#"{"message":"Not Found Host"}"#);
}

#[test]
fn an_unusable_host_is_get_host_fail() {
    let gateway = gateway();
    let cases = [
        ("empty", Wire::get("", "/release/open")),
        ("spaces only", Wire::get("  ", "/release/open")),
        (
            "repeated",
            Wire::get(DEFAULT, "/release/open").with("host", DEFAULT),
        ),
        (
            "not UTF-8",
            Wire::bare("GET", "/release/open").with("Host", b"api.\xffexample.com"),
        ),
    ];
    for (what, req) in cases {
        let err = not_found(req.http(&gateway), "Get Host Fail");
        assert_eq!(err, Error::HostUnusable, "{what}");
    }
}

#[test]
fn an_unsupported_method_is_could_not_support_method() {
    let gateway = gateway();
    for method in ["TRACE", "CONNECT", "PROPFIND", "get"] {
        let err = not_found(
            Wire::to(method, DEFAULT, "/release/open").http(&gateway),
            "Could not support method",
        );
        assert_eq!(err, Error::MethodNotSupported, "{method}");
    }
    // Every supported method gets past the check (to the API's own method list).
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        not_found(
            Wire::to(method, DEFAULT, "/release/open").http(&gateway),
            &format!("There is no api match method[{method}]"),
        );
    }
}

#[test]
fn an_unknown_host_is_no_api_match_host_with_the_value_as_sent() {
    let gateway = gateway();
    for host in [
        "unknown.example.com",
        "unknown.example.com:8080",
        "Unknown.Example.COM",
        "[::1]:8080",
    ] {
        let err = not_found(
            Wire::get(host, "/release/open").http(&gateway),
            &format!("There is no api match host[{host}]"),
        );
        assert_eq!(err, Error::NoApiForHost { host: host.into() });
    }
}

#[test]
fn hosts_match_case_insensitively_and_without_a_port() {
    let gateway = gateway();
    for host in [
        "SERVICE-1-1250000000.gz.apigw.tencentcs.com",
        "service-1-1250000000.gz.apigw.tencentcs.com:80",
    ] {
        routes(
            Wire::get(host, "/release/open").http(&gateway),
            "service-1",
            "release",
            "/open",
            "/open",
            None,
        );
    }
    routes(
        Wire::get("API.example.com:8443", "/open").http(&gateway),
        "service-1",
        "release",
        "/open",
        "/open",
        None,
    );
}

#[test]
fn default_domain_unknown_or_unpublished_environment() {
    let gateway = gateway();
    for (target, mapping) in [
        ("/staging/open", "staging"),
        ("/open", "open"),
        ("/", ""),
        ("/Release/open", "Release"),
        // Known to Tencent but not published by this service.
        ("/prepub/open", "prepub"),
    ] {
        let err = not_found(
            Wire::get(DEFAULT, target).http(&gateway),
            &format!("There is no api match default env_mapping[{mapping}]"),
        );
        assert_eq!(
            err,
            Error::NoDefaultEnvMapping {
                mapping: mapping.into()
            }
        );
    }
}

#[test]
fn custom_domain_without_a_matching_or_empty_mapping() {
    let gateway = gateway();
    for (target, mapping) in [
        ("/x/open", "x"),
        ("/open", "open"),
        ("/", ""),
        // The default domain's environment names mean nothing on a custom domain.
        ("/release/open", "release"),
        // Mapped, but to an environment the service is not published in.
        ("/p/open", "p"),
    ] {
        let err = not_found(
            Wire::get(MAPPED, target).http(&gateway),
            &format!("There is no api match env_mapping[{mapping}]"),
        );
        assert_eq!(
            err,
            Error::NoEnvMapping {
                mapping: mapping.into()
            }
        );
    }
}

#[test]
fn no_api_for_the_path_names_the_path_inside_the_service() {
    let gateway = gateway();
    for (host, target, uri) in [
        (DEFAULT, "/release/missing/x", "/missing/x"),
        (DEFAULT, "/release", "/"),
        (DEFAULT, "/test/open/", "/open/"),
        (DEFAULT, "/release/items/", "/items/"),
        (DEFAULT, "/release/items/7/extra", "/items/7/extra"),
        (DEFAULT, "/release/missing?open=1", "/missing"),
        (CUSTOM, "/t/missing", "/missing"),
        // The "" mapping keeps the whole path.
        (CUSTOM, "/missing", "/missing"),
        (CUSTOM, "/release/open", "/release/open"),
        (MAPPED, "/t/nothing/here", "/nothing/here"),
        (BCE, "/v1/missing", "/v1/missing"),
    ] {
        let err = not_found(
            Wire::get(host, target).http(&gateway),
            &format!("There is no api match uri[{uri}]"),
        );
        assert_eq!(
            err,
            Error::NoApiForUri { uri: uri.into() },
            "{host}{target}"
        );
    }
}

#[test]
fn a_method_the_api_does_not_allow() {
    let gateway = gateway();
    for (method, host, target) in [
        ("POST", DEFAULT, "/release/open"),
        ("DELETE", DEFAULT, "/release/items/7"),
        ("PATCH", CUSTOM, "/t/pair"),
        ("OPTIONS", BCE, "/v1/app"),
    ] {
        let err = not_found(
            Wire::to(method, host, target).http(&gateway),
            &format!("There is no api match method[{method}]"),
        );
        assert_eq!(
            err,
            Error::NoApiForMethod {
                method: method.into()
            }
        );
    }
    // HEAD is allowed on /open.
    routes(
        Wire::to("HEAD", DEFAULT, "/release/open").http(&gateway),
        "service-1",
        "release",
        "/open",
        "/open",
        None,
    );
}

#[test]
fn a_protocol_the_api_does_not_allow() {
    let gateway = gateway();
    let err = not_found(
        Wire::get(DEFAULT, "/release/secure").route(&gateway, Protocol::Http),
        "Not allow use HTTP protocol",
    );
    assert_eq!(
        err,
        Error::ProtocolNotAllowed {
            protocol: Protocol::Http
        }
    );
    let err = not_found(
        Wire::get(DEFAULT, "/release/plain").route(&gateway, Protocol::Https),
        "Not allow use HTTPS protocol",
    );
    assert_eq!(
        err,
        Error::ProtocolNotAllowed {
            protocol: Protocol::Https
        }
    );
    // Each over its own protocol passes.
    routes(
        Wire::get(DEFAULT, "/release/secure").route(&gateway, Protocol::Https),
        "service-1",
        "release",
        "/secure",
        "/secure",
        None,
    );
    routes(
        Wire::get(DEFAULT, "/release/plain").route(&gateway, Protocol::Http),
        "service-1",
        "release",
        "/plain",
        "/plain",
        None,
    );
    // The AppCode API is HTTPS only.
    not_found(
        Wire::get(BCE, "/v1/code")
            .app_code("appcode-1")
            .route(&gateway, Protocol::Http),
        "Not allow use HTTP protocol",
    );
}

#[test]
fn a_cross_origin_request_to_an_api_without_cors() {
    let gateway = gateway();
    for (host, target, origin, protocol, uri) in [
        (
            DEFAULT,
            "/release/open",
            "https://evil.example",
            Protocol::Http,
            "/open",
        ),
        // Same host, other scheme.
        (
            DEFAULT,
            "/release/open",
            "https://service-1-1250000000.gz.apigw.tencentcs.com",
            Protocol::Http,
            "/open",
        ),
        // Same host, other port.
        (
            CUSTOM,
            "/t/open",
            "http://api.example.com:8080",
            Protocol::Http,
            "/open",
        ),
        (CUSTOM, "/open", "null", Protocol::Https, "/open"),
        (
            BCE,
            "/v1/app",
            "https://evil.example",
            Protocol::Https,
            "/v1/app",
        ),
    ] {
        let err = fails(
            Wire::get(host, target)
                .with("Origin", origin)
                .route(&gateway, protocol),
            &format!("req is cross origin, api {uri} need open cors flag on qcloud apigateway."),
            429,
            429,
        );
        assert_eq!(err, Error::CrossOrigin { uri: uri.into() });
    }
}

#[test]
fn a_same_origin_request_or_an_api_with_cors_passes() {
    let gateway = gateway();
    for (origin, protocol) in [
        (
            "http://service-1-1250000000.gz.apigw.tencentcs.com",
            Protocol::Http,
        ),
        (
            "HTTPS://Service-1-1250000000.gz.apigw.tencentcs.com",
            Protocol::Https,
        ),
    ] {
        routes(
            Wire::get(DEFAULT, "/release/open")
                .with("Origin", origin)
                .route(&gateway, protocol),
            "service-1",
            "release",
            "/open",
            "/open",
            None,
        );
    }
    // Same origin includes the port as the Host carries it.
    routes(
        Wire::get("api.example.com:8080", "/t/open")
            .with("Origin", "http://api.example.com:8080")
            .http(&gateway),
        "service-1",
        "test",
        "/open",
        "/open",
        None,
    );
    routes(
        Wire::get(DEFAULT, "/release/cors")
            .with("Origin", "https://elsewhere.example")
            .http(&gateway),
        "service-1",
        "release",
        "/cors",
        "/cors",
        None,
    );
}

// ---- usage plans and keys ----

#[test]
fn an_api_that_authenticates_in_an_environment_without_a_plan() {
    let gateway = gateway();
    // Checked before the signature: no Authorization at all still gets this message.
    let err = fails(
        Wire::get(NO_PLAN, "/release/pair").http(&gateway),
        "Found no validate usage plan",
        403,
        403,
    );
    assert_eq!(err, Error::NoUsagePlan);
    assert_eq!(
        err.json_body(),
        r#"{"message":"Found no validate usage plan"}"#
    );
    // A correctly signed request with a key of another service's plan: still no plan.
    fails(
        Wire::get(NO_PLAN, "/release/pair")
            .with("Source", "test")
            .tencent(Mode::KeyPair, "AKIDpair", "pair-secret", "/release/pair")
            .http(&gateway),
        "Found no validate usage plan",
        403,
        403,
    );
    // BCE: `pre-online` is published but bound to no plan.
    let err = fails(
        Wire::get(BCE, "/v1/app")
            .bce("bce-ak", "bce-sk", Some(Stage::PreOnline))
            .http(&gateway),
        "Found no validate usage plan",
        403,
        403,
    );
    assert_eq!(err, Error::NoUsagePlan);
    // An API without authentication needs no plan.
    routes(
        Wire::get(BCE_RELEASE_ONLY, "/v1/open").http(&gateway),
        "bce-release-only",
        "release",
        "/v1/open",
        "/v1/open",
        None,
    );
}

#[test]
fn tencent_unknown_disabled_or_unbound_keys_cannot_be_verified() {
    let gateway = gateway();
    for (key_id, secret, reason) in [
        ("AKIDnobody", "whatever", KeyRejection::Unknown),
        ("AKIDoff", "off-secret", KeyRejection::Disabled),
        // In plan-test, which is bound to `test` only.
        ("AKIDtest", "test-secret", KeyRejection::NotBound),
        // A BCE key is not in the Tencent service's plans.
        ("bce-ak", "bce-sk", KeyRejection::NotBound),
    ] {
        for (host, target) in [(DEFAULT, "/release/items/7"), (CUSTOM, "/items/7")] {
            let err = fails(
                Wire::get(host, target).app(key_id, secret).http(&gateway),
                "HMAC signature cannot be verified",
                403,
                401,
            );
            assert_eq!(
                err,
                Error::KeyRejected {
                    key_id: key_id.into(),
                    reason
                },
                "{key_id} {host}"
            );
        }
        let err = fails(
            Wire::get(DEFAULT, "/release/pair")
                .tencent(Mode::KeyPair, key_id, secret, "/release/pair")
                .http(&gateway),
            "HMAC signature cannot be verified",
            403,
            401,
        );
        assert_eq!(
            err,
            Error::KeyRejected {
                key_id: key_id.into(),
                reason
            }
        );
    }
    // The key bound to `test` works there.
    routes(
        Wire::get(DEFAULT, "/test/items/7")
            .app("AKIDtest", "test-secret")
            .http(&gateway),
        "service-1",
        "test",
        "/items/{id}",
        "/items/7",
        Some("AKIDtest"),
    );
}

#[test]
fn bce_unknown_disabled_or_unbound_keys_are_app_invalid() {
    let gateway = gateway();
    for (key_id, secret, reason) in [
        ("nobody", "x", KeyRejection::Unknown),
        ("bce-off", "bce-off-sk", KeyRejection::Disabled),
        ("bce-loose", "bce-loose-sk", KeyRejection::NotBound),
        ("AKIDapp", "app-secret", KeyRejection::NotBound),
    ] {
        for stage in [None, Some(Stage::Test)] {
            let err = fails(
                Wire::get(BCE, "/v1/app")
                    .bce(key_id, secret, stage)
                    .http(&gateway),
                "Signature is invalid: app key is invalid.",
                400,
                400,
            );
            assert_eq!(
                err,
                Error::BceSignatureAppInvalid {
                    key_id: Some(key_id.into()),
                    reason
                },
                "{key_id} {stage:?}"
            );
            assert_eq!(err.code(), "SignatureAppInvalid");
        }
    }
    for (code, reason) in [
        ("appcode-nobody", KeyRejection::Unknown),
        ("appcode-off", KeyRejection::Disabled),
        ("appcode-loose", KeyRejection::NotBound),
    ] {
        let err = fails(
            Wire::get(BCE, "/v1/code")
                .app_code(code)
                .route(&gateway, Protocol::Https),
            "Signature is invalid: app key is invalid.",
            400,
            400,
        );
        // The AppCode is a secret: the error does not carry it.
        assert_eq!(
            err,
            Error::BceSignatureAppInvalid {
                key_id: None,
                reason
            },
            "{code}"
        );
    }
}

#[test]
fn bce_environment_comes_from_x_bce_stage() {
    let gateway = gateway();
    // The stage header is not published by this service.
    let err = not_found(
        Wire::get(BCE_RELEASE_ONLY, "/v1/open")
            .with("X-Bce-Stage", "test")
            .http(&gateway),
        "There is no api match env_mapping[test]",
    );
    assert_eq!(
        err,
        Error::NoEnvMapping {
            mapping: "test".into()
        }
    );
    // Not a stage at all.
    let err = fails(
        Wire::get(BCE, "/v1/app")
            .with("X-Bce-Stage", "prepub")
            .http(&gateway),
        "Invalid X-Bce-Stage: expected release, pre-online or test",
        400,
        400,
    );
    assert_eq!(
        err,
        Error::BceInvalidStage {
            stage: "prepub".into()
        }
    );
    // The path is not an environment: `/release/...` stays in the path.
    not_found(
        Wire::get(BCE, "/release/v1/app").http(&gateway),
        "There is no api match uri[/release/v1/app]",
    );
}

// ---- successes, one per kind of authentication ----

#[test]
fn no_authentication() {
    let gateway = gateway();
    routes(
        Wire::get(DEFAULT, "/release/open?x=1").http(&gateway),
        "service-1",
        "release",
        "/open",
        "/open",
        None,
    );
    routes(
        Wire::get(DEFAULT, "/test/open").http(&gateway),
        "service-1",
        "test",
        "/open",
        "/open",
        None,
    );
}

#[test]
fn tencent_key_pair() {
    let gateway = gateway();
    for (host, target, env) in [
        (DEFAULT, "/release/pair", "release"),
        (DEFAULT, "/test/pair", "test"),
        (CUSTOM, "/pair", "release"),
        (CUSTOM, "/t/pair", "test"),
        (MAPPED, "/t/pair", "test"),
    ] {
        routes(
            Wire::get(host, target)
                .with("Source", "gateway test")
                .tencent(Mode::KeyPair, "AKIDpair", "pair-secret", target)
                .http(&gateway),
            "service-1",
            env,
            "/pair",
            "/pair",
            Some("AKIDpair"),
        );
    }
}

#[test]
fn tencent_app_on_the_default_domain_signs_without_the_environment() {
    let gateway = gateway();
    // EnvironmentPrefix::Strip: the signer drops `/release`, as the gateway does.
    routes(
        Wire::get(DEFAULT, "/release/items/7?b=2&a=1")
            .with("Accept", "application/json")
            .app("AKIDapp", "app-secret")
            .route(&gateway, Protocol::Https),
        "service-1",
        "release",
        "/items/{id}",
        "/items/7",
        Some("AKIDapp"),
    );
    // Signing the path with the environment kept does not verify.
    let signed_with_env = Wire::get(DEFAULT, "/release/items/7");
    let secret = Secret::from("app-secret");
    let signature = signed_with_env.with_request(|request| {
        tencent::Signer::new(Mode::App, "AKIDapp", &secret)
            .environment_prefix(EnvironmentPrefix::Keep)
            .sign(request, NOW)
            .expect("signs")
    });
    let req = signed_with_env.with_all(signature.headers());
    fails(
        req.http(&gateway),
        "HMAC signature does not match",
        403,
        401,
    );
}

#[test]
fn tencent_app_on_a_custom_domain_signs_the_path_after_the_mapping() {
    let gateway = gateway();
    // The "t" mapping: the client signs `/items/7`, sends `/t/items/7`.
    routes(
        Wire::to("PUT", CUSTOM, "/t/items/7?q=1")
            .tencent(Mode::App, "AKIDapp", "app-secret", "/items/7?q=1")
            .http(&gateway),
        "service-1",
        "test",
        "/items/{id}",
        "/items/7",
        Some("AKIDapp"),
    );
    // Signing the sent path (with `/t`) does not verify.
    fails(
        Wire::get(CUSTOM, "/t/items/7")
            .app("AKIDapp", "app-secret")
            .http(&gateway),
        "HMAC signature does not match",
        403,
        401,
    );
    // The "" mapping: the whole path is the path inside the service.
    routes(
        Wire::get(CUSTOM, "/items/abc")
            .app("AKIDapp", "app-secret")
            .http(&gateway),
        "service-1",
        "release",
        "/items/{id}",
        "/items/abc",
        Some("AKIDapp"),
    );
}

#[test]
fn bce_app_with_and_without_x_bce_stage() {
    let gateway = gateway();
    for (stage, env) in [
        (None, "release"),
        (Some(Stage::Release), "release"),
        (Some(Stage::Test), "test"),
    ] {
        routes(
            Wire::get(BCE, "/v1/app?limit=10")
                .bce("bce-ak", "bce-sk", stage)
                .route(&gateway, Protocol::Https),
            "bce-service",
            env,
            "/v1/app",
            "/v1/app",
            Some("bce-ak"),
        );
    }
    // A wrong secret is a BCE mismatch, after the key is found bound.
    fails(
        Wire::get(BCE, "/v1/app")
            .bce("bce-ak", "wrong", None)
            .http(&gateway),
        "Signature is invalid: signature is mismatched.",
        400,
        400,
    );
}

#[test]
fn bce_appcode() {
    let gateway = gateway();
    for (stage, env) in [(None, "release"), (Some("test"), "test")] {
        let mut req = Wire::get(BCE, "/v1/code").app_code("appcode-1");
        if let Some(stage) = stage {
            req = req.with("X-Bce-Stage", stage);
        }
        routes(
            req.route(&gateway, Protocol::Https),
            "bce-service",
            env,
            "/v1/code",
            "/v1/code",
            Some("appcode-1"),
        );
    }
}

#[test]
fn path_templates_match_one_non_empty_segment() {
    let gateway = gateway();
    for id in ["7", "abc", "%E4%B8%AD", "a.b"] {
        let target = format!("/release/items/{id}");
        routes(
            Wire::get(DEFAULT, &target)
                .app("AKIDapp", "app-secret")
                .http(&gateway),
            "service-1",
            "release",
            "/items/{id}",
            &format!("/items/{id}"),
            Some("AKIDapp"),
        );
    }
    not_found(
        Wire::get(DEFAULT, "/release/items").http(&gateway),
        "There is no api match uri[/items]",
    );
}

// ---- the check order ----

#[test]
fn the_earlier_of_two_defects_wins() {
    let gateway = gateway();
    let cases: [(&str, Wire, Protocol, &str); 11] = [
        // No Host, and an unsupported method.
        (
            "host present before method",
            Wire::bare("TRACE", "/release/open"),
            Protocol::Http,
            "Not Found Host",
        ),
        (
            "host usable before method",
            Wire::to("TRACE", "", "/release/open"),
            Protocol::Http,
            "Get Host Fail",
        ),
        (
            "method before host lookup",
            Wire::to("TRACE", "nowhere.example", "/release/open"),
            Protocol::Http,
            "Could not support method",
        ),
        (
            "host lookup before environment",
            Wire::get("nowhere.example", "/staging/open"),
            Protocol::Http,
            "There is no api match host[nowhere.example]",
        ),
        (
            "environment before path",
            Wire::get(DEFAULT, "/staging/missing"),
            Protocol::Http,
            "There is no api match default env_mapping[staging]",
        ),
        (
            "custom mapping before path",
            Wire::get(MAPPED, "/x/missing"),
            Protocol::Http,
            "There is no api match env_mapping[x]",
        ),
        (
            "path before method",
            Wire::to("DELETE", DEFAULT, "/release/missing"),
            Protocol::Http,
            "There is no api match uri[/missing]",
        ),
        (
            "method before protocol",
            Wire::to("POST", DEFAULT, "/release/secure"),
            Protocol::Http,
            "There is no api match method[POST]",
        ),
        (
            "protocol before CORS",
            Wire::get(DEFAULT, "/release/secure").with("Origin", "https://evil.example"),
            Protocol::Http,
            "Not allow use HTTP protocol",
        ),
        (
            "CORS before usage plan",
            Wire::get(NO_PLAN, "/release/pair").with("Origin", "https://evil.example"),
            Protocol::Http,
            "req is cross origin, api /pair need open cors flag on qcloud apigateway.",
        ),
        (
            "usage plan before signature",
            Wire::get(NO_PLAN, "/release/pair").with("Authorization", "garbage"),
            Protocol::Http,
            "Found no validate usage plan",
        ),
    ];
    for (what, req, protocol, message) in cases {
        let err = req.route(&gateway, protocol).expect_err(what);
        assert_eq!(err.to_string(), message, "{what}");
    }
    // Routing before the signature: an unknown key on a missing API is the routing error.
    not_found(
        Wire::get(DEFAULT, "/release/missing")
            .app("AKIDnobody", "x")
            .http(&gateway),
        "There is no api match uri[/missing]",
    );
    // The signature's own checks come before the key: a missing Authorization on a bound
    // environment is that row, not the key's.
    fails(
        Wire::get(DEFAULT, "/release/items/7").http(&gateway),
        "HMAC signature cannot be verified, a validate authorization header is required",
        401,
        401,
    );
    // BCE: an invalid stage is found before the API lookup.
    fails(
        Wire::get(BCE, "/v1/missing")
            .with("X-Bce-Stage", "nope")
            .http(&gateway),
        "Invalid X-Bce-Stage: expected release, pre-online or test",
        400,
        400,
    );
}

#[test]
fn a_path_inside_the_service_may_start_with_an_environment_name() {
    // `/release/test/7`: environment `release`, path inside the service `/test/7`. The client
    // strips one environment segment; the gateway must not strip a second one, whatever
    // Tencent policy the caller set.
    let mut gateway = gateway();
    let req = Wire::get(DEFAULT, "/release/test/7").app("AKIDapp", "app-secret");
    routes(
        req.http(&gateway),
        "service-1",
        "release",
        "/test/{id}",
        "/test/7",
        Some("AKIDapp"),
    );
    gateway.tencent = tencent::Policy::default();
    routes(
        req.http(&gateway),
        "service-1",
        "release",
        "/test/{id}",
        "/test/7",
        Some("AKIDapp"),
    );
}

// ---- replay protection through routing ----

#[test]
fn route_once_refuses_a_replayed_signature_after_the_routing_checks() {
    use apigw_sign::replay::MemoryReplayGuard;

    let gateway = gateway();
    let guard = MemoryReplayGuard::default();
    let once = |req: &Wire| {
        req.with_request(|request| gateway.route_once(request, Protocol::Https, &guard, NOW))
            .map(|routed| routed.key_id)
    };
    let tencent = Wire::get(DEFAULT, "/test/items/7").app("AKIDtest", "test-secret");
    let bce = Wire::get(BCE, "/v1/app?limit=10").bce("bce-ak", "bce-sk", None);
    for (req, key_id) in [(&tencent, "AKIDtest"), (&bce, "bce-ak")] {
        assert_eq!(once(req), Ok(Some(key_id.to_owned())));
        let err = once(req).expect_err("the second use is a replay");
        assert_eq!(err.code(), "SignatureReplayed", "{err:?}");
        // `route` itself keeps no state: the same request still routes.
        assert!(req
            .with_request(|r| gateway.route(r, Protocol::Https, NOW))
            .is_ok());
    }
    // A request that fails routing never reaches the guard: a full one does not refuse it first.
    let full = MemoryReplayGuard::new(0);
    let unrouted = Wire::get(DEFAULT, "/test/nope").app("AKIDtest", "test-secret");
    let err = unrouted
        .with_request(|r| gateway.route_once(r, Protocol::Https, &full, NOW))
        .expect_err("no API for the path");
    assert_eq!(err.status(StatusProfile::Classic), 404, "{err:?}");
    // An API without authentication carries no signature: nothing to record.
    let open = Wire::get(BCE_RELEASE_ONLY, "/v1/open");
    for _ in 0..2 {
        assert!(open
            .with_request(|r| gateway.route_once(r, Protocol::Https, &full, NOW))
            .is_ok());
    }
}

// ---- routing in two phases ----

#[test]
fn routing_in_two_phases_takes_the_key_from_anywhere_and_still_checks_the_plans() {
    use apigw_sign::gateway::RouteScratch;
    use apigw_sign::OwnedKeyStatus;

    let gateway = gateway();
    let two_phases = |req: &Wire, key: &dyn Fn(&str) -> OwnedKeyStatus| {
        req.with_request(|request| {
            let mut scratch = RouteScratch::default();
            let pending = gateway.prepare_route(request, Protocol::Https, NOW, &mut scratch)?;
            let key_id = pending.key_id().map(str::to_owned);
            let status = key_id.as_deref().map(key);
            let status = status
                .as_ref()
                .map_or(apigw_sign::KeyStatus::Unknown, |s| s.status());
            gateway
                .finish_route(&pending, status)
                .map(|routed| (key_id, routed.key_id, routed.api.path.clone()))
        })
    };
    // The configuration's key, fetched "elsewhere": the same answer as `route`.
    let tencent = Wire::get(DEFAULT, "/test/items/7").app("AKIDtest", "test-secret");
    let from_config = |id: &str| gateway.keys().lookup_owned(id);
    assert_eq!(
        two_phases(&tencent, &from_config),
        Ok((
            Some("AKIDtest".to_owned()),
            Some("AKIDtest".to_owned()),
            "/items/{id}".to_owned()
        ))
    );
    assert_eq!(
        tencent.route(&gateway, Protocol::Https).map(|r| r.key_id),
        Ok(Some("AKIDtest".to_owned()))
    );
    // A store that rotated the secret: the old signature no longer matches.
    let rotated = |_: &str| OwnedKeyStatus::active([Secret::from("rotated-secret")]);
    assert_eq!(
        two_phases(&tencent, &rotated)
            .map(|_| ())
            .unwrap_err()
            .code(),
        "SignatureMismatch"
    );
    // A key the store knows but no plan of the environment binds: refused as not bound.
    let stranger = Wire::get(DEFAULT, "/test/items/7").app("AKIDstranger", "s");
    let knows_everyone = |_: &str| OwnedKeyStatus::active([Secret::from("s")]);
    assert!(matches!(
        two_phases(&stranger, &knows_everyone),
        Err(Error::KeyRejected {
            reason: KeyRejection::NotBound,
            ..
        })
    ));
    // An API without authentication needs no key.
    let open = Wire::get(BCE_RELEASE_ONLY, "/v1/open");
    let never = |_: &str| -> OwnedKeyStatus { panic!("no key is fetched") };
    assert!(two_phases(&open, &never).is_ok());
}
