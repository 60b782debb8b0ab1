//! Sign and verify HTTP requests for cloud API gateways.
//!
//! - **Tencent Cloud API Gateway** HMAC authentication ([`tencent`]): `Authorization: hmac
//!   id="…", algorithm="…", headers="…", signature="…"`, in key-pair mode (headers only) and app
//!   mode (headers, method, `Accept`, `Content-Type`, `Content-MD5`, path and parameters).
//! - **Baidu AI Cloud** `bce-auth-v1` ([`bce`]): the auth string in `Authorization`, in
//!   `X-Bce-Signature` (API Gateway APP authentication) or in an `authorization` query parameter
//!   (a presigned URL), plus AppCode and `X-Bce-Stage`.
//! - A **gateway model** ([`gateway`]): services, environments, usage plans and routing, with the
//!   vendors' routing errors, in front of the verifiers.
//! - **Replay protection** ([`replay`]): a [`ReplayGuard`](replay::ReplayGuard) the verifiers'
//!   `verify_once` consult, so a signature is accepted once inside its window, and a bounded
//!   in-memory guard that refuses rather than forgets when full.
//!
//! Optional adapters live behind cargo features: `serde` (the gateway model from TOML), `http`
//! (signing and verifying `http::Request` values, errors as `http::Response`s) and `tower` (a
//! layer that authenticates, or routes through the gateway model, before the inner service).
//!
//! The crate is the reference implementation of the vendors' documents: every documented error
//! comes with its exact message and status, the checks run in a fixed order, and where the
//! documents are ambiguous the rule taken is written down (see each scheme's module).
//!
//! # No I/O
//!
//! The core does no network, file, environment or clock access. The time, the keys and the
//! policy are arguments: `now` is a [`time::OffsetDateTime`] you pass in (the crate re-exports
//! [`time`], so `apigw_sign::time::OffsetDateTime::now_utc()` needs no dependency of your own,
//! and `OffsetDateTime::from(std::time::SystemTime::now())` converts a std time), keys
//! come through the [`KeyLookup`] trait, and the request is a borrowed [`Request`] view (method,
//! target, headers, body) that depends on no HTTP crate. Only the `tower` adapter reads the clock
//! (it serves live requests); it does no other I/O either: the server around it owns the sockets.
//!
//! # Sign, then verify
//!
//! ```
//! use apigw_sign::{Header, KeySet, Request, Secret};
//! use apigw_sign::tencent::{Mode, Policy, Signer, Verifier};
//!
//! let secret = Secret::from("demo-secret");
//! let now = apigw_sign::time::OffsetDateTime::now_utc();
//!
//! // Client: sign a request already in wire form, then apply the returned headers.
//! let mut headers = vec![Header::new("Host", "service-demo-1250000000.gz.apigw.tencentcs.com"),
//!                        Header::new("Accept", "application/json"),
//!                        Header::new("Source", "quickstart")];
//! let target = "/release/v1/users/profile?lang=zh&q=%E4%B8%AD%E6%96%87%20%E7%A9%BA%E6%A0%BC";
//! let signature = Signer::new(Mode::App, "AKIDdemo", &secret)
//!     .sign(&Request::new("GET", target, &headers, b""), now)?;
//! headers.extend(signature.headers().map(|(name, value)| Header::new(name, value)));
//!
//! // Server: verify it with the key set and the clock passed in.
//! let mut keys = KeySet::new();
//! keys.insert("AKIDdemo", "demo-secret");
//! let verified = Verifier::new(Policy::default())
//!     .verify(Mode::App, &Request::new("GET", target, &headers, b""), &keys, now)?;
//! assert_eq!(verified.key_id(), "AKIDdemo");
//! assert_eq!(verified.signed_headers().collect::<Vec<_>>(), ["source", "x-date"]);
//! # Ok::<(), apigw_sign::Error>(())
//! ```
//!
//! The same for Baidu AI Cloud, with the signature in `X-Bce-Signature`:
//!
//! ```
//! use apigw_sign::{Header, KeySet, Request, Secret};
//! use apigw_sign::bce::{Carrier, Policy, Signer, Verifier};
//!
//! let now = apigw_sign::time::OffsetDateTime::from(std::time::SystemTime::now());
//! let secret = Secret::from("demo-secret");
//! let mut headers = vec![Header::new("Host", "default1.gateway-mock.com"),
//!                        Header::new("Content-Type", "application/json")];
//! let signature = Signer::new("AKdemo", &secret)
//!     .carrier(Carrier::XBceSignature)
//!     .sign(&Request::new("POST", "/app/1", &headers, b"{}"), now)?;
//! headers.extend(signature.headers().map(|(name, value)| Header::new(name, value)));
//!
//! let mut keys = KeySet::new();
//! keys.insert("AKdemo", "demo-secret");
//! let verified = Verifier::new(Policy::default())
//!     .verify(&Request::new("POST", "/app/1", &headers, b"{}"), &keys, now)?;
//! assert_eq!(verified.key_id(), "AKdemo");
//! # Ok::<(), apigw_sign::Error>(())
//! ```
//!
//! # Errors
//!
//! One [`Error`] type. Its `Display` is the vendor's message byte for byte,
//! [`Error::status`] the HTTP status (under a [`StatusProfile`] for Tencent), [`Error::code`] a
//! stable name and [`Error::json_body`] the vendor's response body. Secrets and expected MACs
//! never appear in an error, and [`Secret`] never shows its bytes in `Debug`.
//!
//! # Limits
//!
//! Every parsed input is bounded before it is looped over ([`limits`]); nothing panics on any
//! input; the crate has no `unsafe` code.
#![forbid(unsafe_code)]
// docs.rs (`--cfg docsrs`, nightly): "Available on crate feature …" on every gated item.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

// The module map is the README's "Architecture" section. The core floor (limits, headers, set,
// algorithm, sink, mac, request, encoding, date, error) imports only downward and names no
// scheme or adapter.
mod adapters;
mod algorithm;
pub mod bce;
mod date;
pub mod encoding;
mod error;
pub mod gateway;
pub mod headers;
mod keys;
pub mod limits;
mod mac;
mod params;
pub mod replay;
mod request;
mod set;
mod sink;
mod sorted;
pub mod tencent;
pub mod verification;

/// The README's code blocks, compiled and run as doctests (they use every adapter: run them
/// with `--all-features`, as the README's test command does).
#[cfg(all(
    doctest,
    feature = "reqwest-middleware",
    feature = "tower",
    feature = "serde",
    feature = "redis"
))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "http")]
pub use adapters::http;
#[cfg(feature = "redis")]
pub use adapters::redis;
#[cfg(feature = "reqwest")]
pub use adapters::reqwest;
#[cfg(feature = "tower")]
pub use adapters::tower as layer;
pub use algorithm::{Algorithm, AlgorithmSet, UnknownAlgorithm};
pub use date::{format_http_date, format_iso8601, parse_http_date, parse_iso8601};
pub use error::{
    BceFormat, BceTimestamp, Error, KeyRejection, Malformed, StatusProfile, REPLAY_FULL_RETRY_AFTER,
};
pub use keys::{
    ActiveKey, KeyEntry, KeyFuture, KeyLookup, KeySet, KeySource, KeySourceUnavailable, KeyStatus,
    OwnedKeyStatus, Secret, SharedKeys,
};
pub use request::{Header, Protocol, Request, RequestError};
pub use set::{Member, Set};
pub use verification::{Scratch, Verifier};

/// The `time` crate, whose [`OffsetDateTime`](time::OffsetDateTime) every `now` and signing
/// time is: re-exported so that a user needs no `time` dependency of their own.
/// `OffsetDateTime::now_utc()` is the current time; `OffsetDateTime::from(SystemTime)`
/// converts a [`std::time::SystemTime`].
pub use time;
