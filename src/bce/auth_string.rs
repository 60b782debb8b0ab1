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
        // `bce-auth-v1/` then five fields: four more `/`, none in the signature.
        let rest = text
            .strip_prefix(AUTH_VERSION)
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or_else(|| format(BceFormat::Shape))?;
        // The fields are short: a plain loop finds each `/` sooner than `memchr`.
        let mut cuts = [0usize; 4];
        let mut from = 0;
        for cut in &mut cuts {
            let at = rest
                .get(from..)
                .and_then(|tail| tail.bytes().position(|b| b == b'/'))
                .ok_or_else(|| format(BceFormat::Shape))?;
            *cut = from + at;
            from = *cut + 1;
        }
        let [a, b, c, d] = cuts;
        let field = |start: usize, end: usize| rest.get(start..end).unwrap_or_default();
        let (access_key_id, timestamp, expiration_text, signed_headers) = (
            field(0, a),
            field(a + 1, b),
            field(b + 1, c),
            field(c + 1, d),
        );
        let signature = rest.get(from..).unwrap_or_default();
        let signature_ok = is_signature(signature);
        if !signature_ok && signature.contains('/') {
            return Err(format(BceFormat::Shape));
        }
        if access_key_id.is_empty() {
            return Err(format(BceFormat::EmptyKeyId));
        }
        let expiration =
            parse_decimal(expiration_text).ok_or_else(|| format(BceFormat::Expiration))?;
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
        let digits: &[u8; 64] = self.signature.as_bytes().try_into().ok()?;
        if !all_lower_hex(digits) {
            return None;
        }
        // '0'..='9' is 0x30..=0x39 and 'a'..='f' 0x61..=0x66: the low nibble, plus 9 for a letter.
        let value = |c: u8| (c & 0x0F) + 9 * (c >> 6);
        let mut bytes = [0u8; 32];
        let (pairs, _) = digits.as_chunks::<2>();
        for (byte, &[hi, lo]) in bytes.iter_mut().zip(pairs) {
            *byte = (value(hi) << 4) | value(lo);
        }
        Some(bytes)
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

/// Whether `text` is 64 lower-case hex digits.
fn is_signature(text: &str) -> bool {
    <&[u8; 64]>::try_from(text.as_bytes()).is_ok_and(all_lower_hex)
}

/// Whether every byte is a lower-case hex digit (no early exit: the loop vectorizes).
fn all_lower_hex(digits: &[u8; 64]) -> bool {
    digits.iter().fold(true, |ok, &c| {
        ok & ((c.wrapping_sub(b'0') < 10) | (c.wrapping_sub(b'a') < 6))
    })
}

/// Empty, or `;`-separated non-empty tokens, at most [`MAX_SIGNED_HEADERS`] of them.
fn check_signed_headers(list: &str) -> Result<(), Error> {
    if list.is_empty() {
        return Ok(());
    }
    let bad = Err(Error::BceSignatureFormatInvalid {
        reason: BceFormat::SignedHeaders,
    });
    let mut count = 1usize;
    // Whether the last byte ended a name (or nothing has begun): a `;` there is an empty name.
    let mut at_start = true;
    for b in list.bytes() {
        if b == b';' {
            count += 1;
            if at_start || count > MAX_SIGNED_HEADERS {
                return bad;
            }
            at_start = true;
        } else if is_tchar(b) {
            at_start = false;
        } else {
            return bad;
        }
    }
    if at_start {
        return bad;
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
