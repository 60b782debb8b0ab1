//! Baidu AI Cloud `bce-auth-v1` signatures, in every carrier, and AppCode.
//!
//! - [`AuthString`], the auth string `bce-auth-v1/{ak}/{timestamp}/{expiration}/{signedHeaders}/{signature}`.
//! - [`CanonicalRequest`]: method, URI, query string and headers, shared by signer and verifier.
//! - [`Signer`]: the client side, in the `Authorization` header, the `X-Bce-Signature` header (API
//!   Gateway APP authentication) or an `authorization` query parameter (a presigned URL);
//!   [`app_code_header`] for AppCode. [`Verifier`] with its [`Policy`]: the server side.
//!
//! ```text
//! SigningKey = hex(HMAC-SHA256(secret, "bce-auth-v1/{ak}/{timestamp}/{expiration}"))
//! Signature  = hex(HMAC-SHA256(SigningKey as 64 ASCII characters, CanonicalRequest))
//! ```
//!
//! # Decisions where the documents are ambiguous
//!
//! - **Which headers are signed.** With an empty `signedHeaders` field: `host`, `content-length`,
//!   `content-type`, `content-md5`. With an explicit list: the listed headers. In **both** cases
//!   every `x-bce-*` header present is signed too (never the carrier `x-bce-signature`), and a
//!   header whose trimmed value is empty is left out. The spec's draft said an explicit list is
//!   signed exactly; Baidu's official Python SDK (`bce_v1_signer._get_canonical_headers`), and
//!   the Go and JavaScript SDKs, sign every `x-bce-*` header whatever the list, so a verifier that
//!   signs the list alone rejects their requests. (The Java SDK signs the list alone; requests it
//!   signs with an unlisted `x-bce-*` header are the one case this rule does not accept.) The
//!   signer writes every header it signed into the list, so both readings verify its requests.
//! - An explicit list must name `host`, every listed header must be in the request, and no signed
//!   header may be repeated; otherwise `SignatureFormatInvalid`.
//! - On the wire `+` in a query is a literal plus (`%2B` canonically); decoding then re-encoding
//!   makes `%7e` and `~` equivalent. The `authorization` parameter (any case) is never signed,
//!   as the spec and Baidu's reference say. (The Python SDK 0.9.79 means to drop it too, but its
//!   test compares the `str.lower` method instead of its result, so it signs one; requests that
//!   carry their own `authorization` parameter are the one SDK case that does not verify.)
//! - The method is signed in upper case (the SDKs sign it as given; their clients pass it upper
//!   case).
//! - `RequestTimeTooSkewed` only for a timestamp (or signed `x-bce-date`) more than `max_skew`
//!   in the future; age is bounded by the expiration (`SignatureTimestampExpired`), which may not
//!   exceed the verifier's cap (`SignatureTimestampInvalid`).
//! - The signer adds `x-bce-date` only to a header-carried signature whose request has none; a
//!   presigned URL gets no extra header (it must work without one), as in the SDKs'
//!   `generate_pre_signed_url`.
//! - Baidu's seed table has rows 5–7 rotated (each code beside the next row's message); the crate
//!   pairs codes and messages by the codes' names ([`Error`](crate::Error)'s docs).
//! - An AppCode is a bearer secret: accept it only over HTTPS. The verifier looks it up through
//!   the same [`KeyLookup`](crate::KeyLookup) as access keys; it is off by default.

mod auth_string;
mod canonical;
mod signer;
mod verifier;

use core::fmt;

pub use auth_string::{AuthString, AUTH_VERSION};
pub use canonical::{CanonicalRequest, DEFAULT_SIGNED_HEADERS};
pub use signer::{app_code_header, Signature, Signer};
pub use verifier::{MismatchDetail, Policy, Verified, Verifier};

/// The API release environment, from the `X-Bce-Stage` header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `release`: the default when the header is absent.
    #[default]
    Release,
    /// `pre-online`.
    PreOnline,
    /// `test`.
    Test,
}

impl Stage {
    /// The header value: `release`, `pre-online` or `test`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Release => "release",
            Stage::PreOnline => "pre-online",
            Stage::Test => "test",
        }
    }

    /// The stage a header value names, exactly.
    pub fn from_value(value: &[u8]) -> Option<Self> {
        [Stage::Release, Stage::PreOnline, Stage::Test]
            .into_iter()
            .find(|s| s.as_str().as_bytes() == value)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an auth string travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Carrier {
    /// The `Authorization` header (BCE services).
    Authorization,
    /// The `X-Bce-Signature` header (API Gateway APP authentication).
    XBceSignature,
    /// An `authorization` query parameter (a presigned URL).
    Query,
    /// `X-Bce-Signature: AppCode/<code>`: no signature, a looked-up code.
    AppCode,
}

impl Carrier {
    const fn bit(self) -> u8 {
        match self {
            Carrier::Authorization => 1,
            Carrier::XBceSignature => 2,
            Carrier::Query => 4,
            Carrier::AppCode => 8,
        }
    }
}

/// A set of [`Carrier`]s: what a verifier accepts.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Carriers(u8);

impl Carriers {
    /// The three signature carriers, not AppCode: the default.
    pub const SIGNATURES: Carriers = Carriers(1 | 2 | 4);

    /// Only `carrier`.
    pub const fn only(carrier: Carrier) -> Self {
        Carriers(carrier.bit())
    }

    /// This set plus `carrier`.
    #[must_use]
    pub const fn with(self, carrier: Carrier) -> Self {
        Carriers(self.0 | carrier.bit())
    }

    /// Whether `carrier` is in the set.
    pub const fn contains(self, carrier: Carrier) -> bool {
        self.0 & carrier.bit() != 0
    }
}

impl Default for Carriers {
    /// [`Carriers::SIGNATURES`].
    fn default() -> Self {
        Carriers::SIGNATURES
    }
}

impl fmt::Debug for Carriers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = [
            Carrier::Authorization,
            Carrier::XBceSignature,
            Carrier::Query,
            Carrier::AppCode,
        ];
        f.debug_set()
            .entries(all.into_iter().filter(|c| self.contains(*c)))
            .finish()
    }
}
