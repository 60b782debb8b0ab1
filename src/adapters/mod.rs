//! The adapters: where the crate meets HTTP libraries, behind cargo features. They translate
//! and read the clock; every rule stays in the core and the schemes.

#[cfg(feature = "tower")]
mod authenticate;
#[cfg(all(feature = "tower", feature = "tracing"))]
mod events;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "tower")]
pub mod tower;
