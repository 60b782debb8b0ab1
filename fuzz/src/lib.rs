//! What the request-taking fuzz targets share: the reader for their input, the key set the
//! verifiers look keys up in and the gateway the router routes through. Both hold the test
//! vectors' keys, so the seeds (the vectors' signed requests) verify and the fuzzer starts from
//! requests that reach every check.
//!
//! An input is a raw HTTP request after a line giving `now`, so a seed is a vector's request as
//! it is written in `tests/vectors/`:
//!
//! ```text
//! 1615451398                    `now` in Unix seconds ([`DEFAULT_NOW`] if it is not a number)
//! GET /v1/a?b=c HTTP/1.1        the method, one space, the target (` HTTP/…` at the end dropped)
//! Host: example.com             `name:value`, one space after the colon dropped; any bytes but LF
//!                               an empty line (or the end of the input) ends the headers
//! body                          the rest: the body
//! ```
//!
//! Lines end at LF, and a CR before it is dropped: header values can still hold CR, NUL and any
//! other byte, which the crate must refuse without panicking.
//!
//! # Running
//!
//! From the repository root, with cargo-fuzz on a nightly toolchain (`-a`: overflow checks and
//! debug assertions on, as in the tests):
//!
//! ```text
//! cargo +nightly fuzz run -a <target> fuzz/corpus/<target> fuzz/seeds/<target>
//! ```
//!
//! `fuzz/seeds/` is committed and written by `fuzz/make_seeds.py` from `tests/vectors/`;
//! `fuzz/corpus/` and `fuzz/artifacts/` are not. A crashing input, once fixed, is replayed by
//! `tests/fuzz_regressions.rs` in the main crate. `cargo test --lib` here checks that the
//! request seeds still verify and route.

use std::sync::LazyLock;

use apigw_sign::gateway::{Config, Gateway};
use apigw_sign::{Algorithm, Error, Header, KeySet, Request, StatusProfile};
use time::macros::datetime;
use time::OffsetDateTime;

/// `now` when the first line is not a Unix time.
pub const DEFAULT_NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);

/// Most headers an input may carry; more and the input is skipped.
const MAX_HEADERS: usize = 32;

/// The gateway's configuration: the vectors' hosts, paths and keys.
const GATEWAY_TOML: &str = include_str!("../gateway.toml");

/// A request read from fuzz input, with the `now` to check it at.
#[derive(Debug)]
pub struct Input<'a> {
    /// The time to verify at.
    pub now: OffsetDateTime,
    method: &'a str,
    target: &'a str,
    headers: Vec<Header<'a>>,
    body: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads `data` as laid out in the crate docs; `None` when the method, target or a header
    /// name is not UTF-8, a header line has no colon, or there are too many headers.
    pub fn parse(data: &'a [u8]) -> Option<Self> {
        let (first, rest) = line(data);
        let now = std::str::from_utf8(first)
            .ok()
            .and_then(|text| text.parse().ok())
            .and_then(|unix| OffsetDateTime::from_unix_timestamp(unix).ok())
            .unwrap_or(DEFAULT_NOW);
        let (request_line, mut rest) = line(rest);
        let request_line = std::str::from_utf8(request_line).ok()?;
        let (method, target) = request_line.split_once(' ').unwrap_or((request_line, ""));
        let target = match target.rsplit_once(" HTTP/") {
            Some((target, _)) => target,
            None => target,
        };
        let mut headers = Vec::new();
        loop {
            let (header, after) = line(rest);
            rest = after;
            if header.is_empty() {
                break;
            }
            let colon = header.iter().position(|&b| b == b':')?;
            let (name, value) = header.split_at(colon);
            let value = &value[1..];
            let value = value.strip_prefix(b" ").unwrap_or(value);
            headers.push(Header::from_bytes(std::str::from_utf8(name).ok()?, value));
            if headers.len() > MAX_HEADERS {
                return None;
            }
        }
        Some(Input {
            now,
            method,
            target,
            headers,
            body: rest,
        })
    }

    /// The request, with its body.
    pub fn request(&self) -> Request<'_> {
        Request::new(self.method, self.target, &self.headers, self.body)
    }
}

/// The first line of `data` (without its LF and one CR before it) and the rest.
fn line(data: &[u8]) -> (&[u8], &[u8]) {
    let (line, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &data[data.len()..]),
    };
    (line.strip_suffix(b"\r").unwrap_or(line), rest)
}

/// The gateway of `gateway.toml`, built once.
pub fn gateway() -> &'static Gateway {
    static GATEWAY: LazyLock<Gateway> = LazyLock::new(|| {
        let config: Config = toml::from_str(GATEWAY_TOML).expect("gateway.toml parses");
        Gateway::new(config).expect("gateway.toml is a valid gateway")
    });
    &GATEWAY
}

/// The keys of `gateway.toml` (enabled or not, as there), plus a second secret for
/// `AKIDexampleapp` (rotation) and `AKIDpinned`, pinned to HMAC-SHA256.
pub fn keys() -> &'static KeySet {
    static KEYS: LazyLock<KeySet> = LazyLock::new(|| {
        let config: Config = toml::from_str(GATEWAY_TOML).expect("gateway.toml parses");
        let mut keys = KeySet::new();
        for key in config.keys {
            keys.insert(key.id, key.secret).set_enabled(key.enabled);
        }
        keys.insert("AKIDexampleapp", "the-previous-secret");
        keys.insert("AKIDpinned", "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv")
            .pin(Some(Algorithm::HmacSha256));
        keys
    });
    &KEYS
}

/// Renders every view of `error` a server would send, so that none of them can panic unseen.
pub fn render(error: &Error) {
    let _ = (
        error.to_string(),
        format!("{error:?}"),
        error.code(),
        error.status(StatusProfile::Classic),
        error.status(StatusProfile::Current),
        error.json_body(),
        error.json_body_with_request_id("req-1"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use apigw_sign::{bce, tencent, Protocol};

    /// The seeds of `target`, by file name.
    fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("seeds")
            .join(target);
        let mut seeds: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
        seeds
    }

    #[test]
    fn every_tencent_seed_verifies() {
        for (name, data) in seeds("tencent_verify") {
            let input = Input::parse(&data).unwrap_or_else(|| panic!("{name} does not read"));
            let verified = [tencent::Mode::App, tencent::Mode::KeyPair]
                .into_iter()
                .any(|mode| {
                    tencent::Verifier::default()
                        .verify(mode, &input.request(), keys(), input.now)
                        .is_ok()
                });
            assert!(verified, "{name} does not verify");
        }
    }

    #[test]
    fn every_bce_seed_verifies() {
        let mut policy = bce::Policy::default();
        policy.carriers = bce::Carriers::SIGNATURES.with(bce::Carrier::AppCode);
        for (name, data) in seeds("bce_verify") {
            let input = Input::parse(&data).unwrap_or_else(|| panic!("{name} does not read"));
            let verified =
                bce::Verifier::new(policy.clone()).verify(&input.request(), keys(), input.now);
            assert!(verified.is_ok(), "{name}: {verified:?}");
        }
    }

    /// Every gateway seed routes, but the one lower-case method (the BCE presigned vector).
    #[test]
    fn gateway_seeds_route() {
        for (name, data) in seeds("gateway_route") {
            let input = Input::parse(&data).unwrap_or_else(|| panic!("{name} does not read"));
            let routed = gateway().route(&input.request(), Protocol::Https, input.now);
            match routed {
                Err(Error::MethodNotSupported) if name.contains("presigned") => {}
                routed => assert!(routed.is_ok(), "{name}: {routed:?}"),
            }
        }
    }
}
