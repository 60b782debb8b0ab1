//! The `bce-auth-v1/{accessKeyId}/{timestamp}/{expirationPeriodInSeconds}/{signedHeaders}/{signature}`
//! auth string: a strict, bounded parser and the formatter.
//!
//! The parser checks the shape only: six `/`-separated fields, the literal `bce-auth-v1`, a
//! non-empty access key id, a decimal expiration, a signed-header list of `;`-separated tokens (or
//! empty, the default set) and 64 lower-case hex digits. Anything else is
//! `SignatureFormatInvalid`. The timestamp's text is checked later, by the verifier, because a
//! bad timestamp is `SignatureTimestampInvalid` whatever its shape.

use core::fmt;

use crate::error::{BceFormat, Error};
use crate::limits::{MAX_AUTHORIZATION_LEN, MAX_SIGNED_HEADERS};
use crate::request::{is_tchar, split_on};

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
        let mut fields = split_on(text, b'/').map(|(_, field)| field);
        let (
            Some(version),
            Some(access_key_id),
            Some(timestamp),
            Some(expiration_text),
            Some(signed_headers),
            Some(signature),
            None,
        ) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        )
        else {
            return Err(format(BceFormat::Shape));
        };
        if version != AUTH_VERSION {
            return Err(format(BceFormat::Shape));
        }
        if access_key_id.is_empty() {
            return Err(format(BceFormat::EmptyKeyId));
        }
        let expiration =
            parse_decimal(expiration_text).ok_or_else(|| format(BceFormat::Expiration))?;
        check_signed_headers(signed_headers)?;
        if signature.len() != 64
            || !signature
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
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

    /// The signed header names; none for the default set.
    pub fn signed_header_names(&self) -> impl Iterator<Item = &'a str> + 'a {
        split_on(self.signed_headers, b';')
            .map(|(_, name)| name)
            .filter(|name| !name.is_empty())
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

/// A decimal number of seconds: 1 to 20 digits that fit in a `u64`.
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    text.bytes().try_fold(0u64, |acc, b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// Empty, or `;`-separated non-empty tokens, at most [`MAX_SIGNED_HEADERS`] of them.
fn check_signed_headers(list: &str) -> Result<(), Error> {
    if list.is_empty() {
        return Ok(());
    }
    let bad = Error::BceSignatureFormatInvalid {
        reason: BceFormat::SignedHeaders,
    };
    let mut count = 0usize;
    for (_, name) in split_on(list, b';') {
        count += 1;
        if name.is_empty() || !name.bytes().all(is_tchar) || count > MAX_SIGNED_HEADERS {
            return Err(bad);
        }
    }
    Ok(())
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
