//! The `bce-auth-v1/{accessKeyId}/{timestamp}/{expirationPeriodInSeconds}/{signedHeaders}/{signature}`
//! auth string: a strict, bounded parser and the formatter.
//!
//! The parser checks the shape only: six `/`-separated fields, the literal `bce-auth-v1`, a
//! non-empty access key id, a decimal expiration, a signed-header list of `;`-separated tokens (or
//! empty, the default set) and 64 lower-case hex digits. Anything else is
//! `SignatureFormatInvalid`. The timestamp's text is checked later, by the verifier, because a
//! bad timestamp is `SignatureTimestampInvalid` whatever its shape.

use core::fmt;

use crate::algorithm::{Algorithm, MAX_TAG_LEN};
use crate::encoding::parse_decimal;
use crate::error::{BceFormat, Error};
use crate::keys::Secret;
use crate::limits::{MAX_AUTHORIZATION_LEN, MAX_SIGNED_HEADERS};
use crate::mac::compute;
use crate::request::{is_tchar, split, split_once, RequestError};
use crate::sink::Bytes;

/// The auth string's first field.
pub const AUTH_VERSION: &str = "bce-auth-v1";

/// A parsed auth string. Every field borrows from the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuthString<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The signing time as sent (`yyyy-mm-ddThh:mm:ssZ` when well formed).
    pub timestamp: &'a str,
    /// The expiration period as sent (decimal seconds).
    pub expiration_text: &'a str,
    /// The expiration period in seconds.
    pub expiration: u64,
    /// The signed header names, `;`-separated; empty means the default set.
    pub signed_headers: &'a str,
    /// The signature: 64 lower-case hex digits.
    pub signature: &'a str,
}

impl<'a> AuthString<'a> {
    /// Parses an auth string.
    ///
    /// # Errors
    ///
    /// [`Error::BceSignatureFormatInvalid`] with the [`BceFormat`] reason.
    ///
    /// ```
    /// use apigw_sign::bce::AuthString;
    /// let text = "bce-auth-v1/359117df989c4a3db52289bbb8d286fb/2018-12-06T03:05:00Z/1800/content-type;host/4f2408c97f217f1a28b3771c816843656ede2e968ac1f912711560da7f31dafd";
    /// let auth = AuthString::parse(text)?;
    /// assert_eq!((auth.access_key_id, auth.expiration), ("359117df989c4a3db52289bbb8d286fb", 1800));
    /// assert_eq!(auth.signed_header_names().collect::<Vec<_>>(), ["content-type", "host"]);
    /// assert_eq!(auth.to_string(), text);
    /// # Ok::<(), apigw_sign::Error>(())
    /// ```
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        let format = |reason| Error::BceSignatureFormatInvalid { reason };
        if text.len() > MAX_AUTHORIZATION_LEN {
            return Err(format(BceFormat::TooLong));
        }
        let rest = text
            .strip_prefix(AUTH_VERSION)
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or_else(|| format(BceFormat::Shape))?;
        // `bce-auth-v1/` then five fields: four more `/`; a `/` in the last is a shape error.
        let shape = || format(BceFormat::Shape);
        let (access_key_id, rest) = split_once(rest, b'/').ok_or_else(shape)?;
        let (timestamp, rest) = split_once(rest, b'/').ok_or_else(shape)?;
        let (expiration_text, rest) = split_once(rest, b'/').ok_or_else(shape)?;
        let (signed_headers, signature) = split_once(rest, b'/').ok_or_else(shape)?;
        let signature_ok = is_signature(signature);
        if !signature_ok && signature.contains('/') {
            return Err(format(BceFormat::Shape));
        }
        if access_key_id.is_empty() {
            return Err(format(BceFormat::EmptyKeyId));
        }
        let expiration = parse_decimal(expiration_text.as_bytes())
            .ok_or_else(|| format(BceFormat::Expiration))?;
        check_signed_headers(signed_headers)?;
        if !signature_ok {
            return Err(format(BceFormat::Signature));
        }
        Ok(AuthString {
            access_key_id,
            timestamp,
            expiration_text,
            expiration,
            signed_headers,
            signature,
        })
    }

    /// The signature's 32 bytes, when it is 64 lower-case hex digits (always, once parsed).
    pub(crate) fn signature_bytes(&self) -> Option<[u8; 32]> {
        let mut bytes = [0u8; 32];
        const_hex::decode_to_slice(self.signature, &mut bytes).ok()?;
        Some(bytes)
    }

    /// The signed header names; none for the default set.
    pub fn signed_header_names(&self) -> impl Iterator<Item = &'a str> + 'a {
        split(self.signed_headers, b';').filter(|name| !name.is_empty())
    }

    /// `bce-auth-v1/{accessKeyId}/{timestamp}/{expiration}`: the text the signing key is derived
    /// from.
    pub fn prefix_len(&self) -> usize {
        AUTH_VERSION.len()
            + self.access_key_id.len()
            + self.timestamp.len()
            + self.expiration_text.len()
            + 3
    }
}

/// Whether `text` is 64 lower-case hex digits.
fn is_signature(text: &str) -> bool {
    // A fold rather than `all`: no early exit, so the compiler vectorizes it (BCE verify
    // 44 970 → 44 339 instructions, callgrind).
    text.len() == 64
        && text
            .bytes()
            .fold(true, |hex, c| hex & matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Empty, or `;`-separated non-empty tokens, at most [`MAX_SIGNED_HEADERS`] of them.
fn check_signed_headers(list: &str) -> Result<(), Error> {
    if list.is_empty() {
        return Ok(());
    }
    let mut names = split(list, b';');
    let ok = names
        .by_ref()
        .take(MAX_SIGNED_HEADERS)
        .all(|name| !name.is_empty() && name.bytes().all(is_tchar));
    if ok && names.next().is_none() {
        Ok(())
    } else {
        Err(Error::BceSignatureFormatInvalid {
            reason: BceFormat::SignedHeaders,
        })
    }
}

/// The signing key: `hex(HMAC-SHA256(secret, prefix))` as its 64 ASCII bytes, where `prefix` is
/// `bce-auth-v1/{accessKeyId}/{timestamp}/{expiration}` ([`AuthString::prefix_len`]). It keys
/// the second HMAC, over the canonical request.
pub(crate) fn signing_key(secret: &Secret, prefix: &[u8]) -> Result<[u8; 64], RequestError> {
    let mut tag = [0u8; MAX_TAG_LEN];
    compute(
        Algorithm::HmacSha256,
        secret.key(),
        &Bytes(prefix),
        &mut tag,
    )
    .filter(|&len| len == 32)
    .ok_or(RequestError::UnusableSecret)?;
    Ok(hex_lower(&tag))
}

/// Lower-case hex of the first 32 bytes of `tag`: an HMAC-SHA256 as text.
pub(crate) fn hex_lower(tag: &[u8; MAX_TAG_LEN]) -> [u8; 64] {
    let mut out = [0u8; 64];
    // 32 bytes into 64 digits: the sizes match, so this cannot fail.
    let _ = const_hex::encode_to_slice(tag.get(..32).unwrap_or_default(), &mut out);
    out
}

/// Writes exactly `bce-auth-v1/{ak}/{timestamp}/{expiration}/{signedHeaders}/{signature}`.
impl fmt::Display for AuthString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{AUTH_VERSION}/{}/{}/{}/{}/{}",
            self.access_key_id,
            self.timestamp,
            self.expiration_text,
            self.signed_headers,
            self.signature
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e";

    fn reason(text: &str) -> BceFormat {
        match AuthString::parse(text) {
            Err(Error::BceSignatureFormatInvalid { reason }) => reason,
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn parses_and_formats() {
        let text = format!("bce-auth-v1/ak/2015-04-27T08:23:49Z/1800//{SIG}");
        let auth = AuthString::parse(&text).unwrap();
        assert_eq!(auth.signed_header_names().count(), 0);
        assert_eq!(auth.to_string(), text);
        assert_eq!(
            &text[..auth.prefix_len()],
            "bce-auth-v1/ak/2015-04-27T08:23:49Z/1800"
        );
        // The timestamp's text is not this parser's business.
        assert!(AuthString::parse(&format!("bce-auth-v1/ak/abc/1800/host/{SIG}")).is_ok());
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(reason(""), BceFormat::Shape);
        assert_eq!(reason("bce-auth-v1/ak/t/1800/host"), BceFormat::Shape);
        assert_eq!(
            reason(&format!("bce-auth-v1/ak/t/1800/host/{SIG}/x")),
            BceFormat::Shape
        );
        assert_eq!(
            reason(&format!("bce-auth-v2/ak/t/1800/host/{SIG}")),
            BceFormat::Shape
        );
        assert_eq!(
            reason(&format!("BCE-AUTH-V1/ak/t/1800/host/{SIG}")),
            BceFormat::Shape
        );
        assert_eq!(
            reason(&format!("bce-auth-v1//t/1800/host/{SIG}")),
            BceFormat::EmptyKeyId
        );
        for exp in ["", "-1", "18.0", "1e3", "99999999999999999999", " 1800"] {
            assert_eq!(
                reason(&format!("bce-auth-v1/ak/t/{exp}/host/{SIG}")),
                BceFormat::Expiration,
                "{exp:?}"
            );
        }
        for list in ["host;", ";host", "host;;date", "ho st", "host:x"] {
            assert_eq!(
                reason(&format!("bce-auth-v1/ak/t/1800/{list}/{SIG}")),
                BceFormat::SignedHeaders,
                "{list:?}"
            );
        }
        let many = vec!["h"; MAX_SIGNED_HEADERS + 1].join(";");
        assert_eq!(
            reason(&format!("bce-auth-v1/ak/t/1800/{many}/{SIG}")),
            BceFormat::SignedHeaders
        );
        for sig in [
            &SIG[1..],
            &SIG.to_uppercase(),
            &format!("{}g", &SIG[1..]),
            "",
        ] {
            assert_eq!(
                reason(&format!("bce-auth-v1/ak/t/1800/host/{sig}")),
                BceFormat::Signature,
                "{sig:?}"
            );
        }
        let long = format!(
            "bce-auth-v1/{}/t/1800/host/{SIG}",
            "a".repeat(MAX_AUTHORIZATION_LEN)
        );
        assert_eq!(reason(&long), BceFormat::TooLong);
    }
}
