//! What the test suites share: one owned request ([`request::Wire`]) that tests build and edit
//! before lending it to the crate, one loader for the vectors of `tests/vectors/` whatever the
//! scheme ([`vectors`]), the proptest strategies the property suites draw from
//! ([`strategies`]), the path of the gateway fixture and where the examples are built.
//!
//! Each test file includes it with `mod common;`, so each test binary compiles all of it and
//! uses a part.
// A helper one binary does not use is dead code there, though another uses it: allowed here,
// once for the whole module, rather than item by item.
#![allow(dead_code)]

pub(crate) mod request;
#[cfg(feature = "tower")]
pub(crate) mod service;
pub(crate) mod strategies;
pub(crate) mod vectors;

use std::path::PathBuf;

/// The gateway configuration the gateway, CLI and end-to-end suites share: `gateway.rs` reads it
/// with `include_str!("fixtures/gateway.toml")`, the others hand this path to the examples.
pub(crate) const GATEWAY_TOML: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gateway.toml");

/// The example `name`, which `cargo test` builds into `target/<profile>/examples/`, next to the
/// `deps/` directory that holds the test binary; `missing` says how to build it otherwise.
pub(crate) fn example(name: &str, missing: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing: {missing}", path.display());
    path
}
