//! Baidu AI Cloud `bce-auth-v1` signatures, in every carrier, and AppCode.
//!
//! - [`AuthString`], the auth string `bce-auth-v1/{ak}/{timestamp}/{expiration}/{signedHeaders}/{signature}`.
//! - the canonical request (`canonical.rs`, with the signed headers in `signed_headers.rs`):
//!   method, URI, query string and headers, shared by signer and verifier;
//!   [`Signer::explain`] and [`Verifier::explain`] show it.
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
//! - **Empty signed headers count toward the bound** (2026-12-01). Headers by signed names
//!   count toward [`MAX_SIGNED_HEADERS`](crate::limits::MAX_SIGNED_HEADERS) (32) even when
//!   their trimmed value is empty and they are left out of the signature: more than 32 is
//!   `SignatureFormatInvalid` (the signer's `TooManySignedHeaders`), though Baidu would accept
//!   a request with many empty `x-bce-*` headers. The repeat check must look at empty-valued
//!   signed headers too, and without a bound it costs time quadratic in the number of headers;
//!   32 matches the bound on signed headers, and no SDK sends empty `x-bce-*` headers in
//!   numbers.
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
//!   pairs codes and messages by the codes' names ([`Error`]'s docs).
//! - An AppCode is a bearer secret: accept it only over HTTPS. The verifier looks it up through
//!   the same [`KeyLookup`](crate::KeyLookup) as access keys; it is off by default.

mod auth_string;
mod canonical;
mod signed_headers;
mod signer;
mod verifier;

use core::fmt;

use crate::error::Error;
use crate::request::{trim_ows, Found};
use crate::set::{sealed, Member, Set};

pub use auth_string::{AuthString, AUTH_VERSION};
pub use signed_headers::DEFAULT_SIGNED_HEADERS;
pub use signer::{app_code_header, Signature, Signer};
pub use verifier::{MismatchDetail, Pending, Policy, Verified, Verifier};

/// The API release environment, from the `X-Bce-Stage` header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

    /// The stage of a request's `X-Bce-Stage` header: `release` when absent, the value's stage
    /// (trimmed) when it names one. The one reading of the header, the verifier's and the
    /// gateway's.
    pub(crate) fn of(header: Found<'_>) -> Result<Self, Error> {
        let invalid = |value: &[u8]| Error::BceInvalidStage {
            stage: String::from_utf8_lossy(value).into_owned(),
        };
        match header.single() {
            Ok(None) => Ok(Stage::Release),
            Ok(Some(value)) => Stage::from_value(trim_ows(value)).ok_or_else(|| invalid(value)),
            Err(_) => Err(invalid(b"(repeated)")),
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an auth string travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    /// The four carriers, in this order (how a [`Carriers`] set lists them).
    pub const ALL: [Carrier; 4] = [
        Carrier::Authorization,
        Carrier::XBceSignature,
        Carrier::Query,
        Carrier::AppCode,
    ];
}

impl sealed::Sealed for Carrier {}

impl Member for Carrier {
    const MEMBERS: &'static [Self] = &Carrier::ALL;

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`Carrier`]s: what a verifier accepts.
pub type Carriers = Set<Carrier>;

impl Set<Carrier> {
    /// The three signature carriers, not AppCode: the default.
    pub const SIGNATURES: Self = Set::from_bits(0b0111);
}

impl Default for Set<Carrier> {
    /// [`Carriers::SIGNATURES`].
    fn default() -> Self {
        Carriers::SIGNATURES
    }
}

/// A key id as `Debug` shows it: an AppCode, a bearer secret, as `"<AppCode>"`. The one place
/// that decides, for [`Verified`] and the adapters' identities.
pub(crate) fn shown_key_id(key_id: &dyn fmt::Debug, carrier: Option<Carrier>) -> &dyn fmt::Debug {
    if carrier == Some(Carrier::AppCode) {
        &"<AppCode>"
    } else {
        key_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Header, Request};

    #[test]
    fn carrier_sets() {
        assert_eq!(Carriers::default(), Carriers::SIGNATURES);
        assert!(!Carriers::SIGNATURES.contains(Carrier::AppCode));
        assert_eq!(
            Carriers::SIGNATURES.with(Carrier::AppCode).iter().count(),
            4
        );
        assert_eq!(format!("{:?}", Carriers::only(Carrier::Query)), "{Query}");
    }

    #[test]
    fn stages_from_the_header() {
        let stage = |headers: &[Header<'_>]| {
            Stage::of(Request::new("GET", "/", headers, b"").find("x-bce-stage"))
        };
        assert_eq!(stage(&[]), Ok(Stage::Release));
        assert_eq!(
            stage(&[Header::new("X-Bce-Stage", " test ")]),
            Ok(Stage::Test)
        );
        assert_eq!(
            stage(&[Header::new("X-Bce-Stage", "prod")]),
            Err(Error::BceInvalidStage {
                stage: "prod".into()
            })
        );
        let twice = [
            Header::new("X-Bce-Stage", "test"),
            Header::new("x-bce-stage", "test"),
        ];
        assert_eq!(
            stage(&twice),
            Err(Error::BceInvalidStage {
                stage: "(repeated)".into()
            })
        );
    }
}
