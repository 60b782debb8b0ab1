//! What the test suites share: one owned request ([`request::Wire`]) that tests build and edit
//! before lending it to the crate, one loader for the vectors of `tests/vectors/` whatever the
//! scheme ([`vectors`]), and the proptest strategies the property suites draw from
//! ([`strategies`]).
//!
//! Each test file includes it with `mod common;`, so each test binary compiles all of it and
//! uses a part.
// A helper one binary does not use is dead code there, though another uses it: allowed here,
// once for the whole module, rather than item by item.
#![allow(dead_code)]

pub(crate) mod request;
pub(crate) mod strategies;
pub(crate) mod vectors;
