//! The client side: signing a request with `bce-auth-v1`.

use time::OffsetDateTime;

use crate::bce::auth_string::AUTH_VERSION;
use crate::bce::canonical::{CanonicalRequest, Selection, SignedHeaders};
use crate::bce::{Carrier, Stage};
use crate::encoding::encode_component;
use crate::error::{BceFormat, Error, RequestError};
use crate::keys::Secret;
use crate::mac::{compute, compute_keyed, Algorithm, Bytes, MAX_TAG_LEN};
use crate::request::{Header, Request};
use crate::time::iso8601_bytes;

/// Signs requests with one access key.
///
/// Defaults: expiration 1800 s; the default header set (`host`, `content-length`,
/// `content-type`, `content-md5`, every `x-bce-*`), written as an explicit sorted list; carrier
/// `Authorization`; no `X-Bce-Stage`.
///
/// ```
/// use apigw_sign::{Header, Request, Secret};
/// use apigw_sign::bce::{Carrier, Signer};
///
/// let secret = Secret::from("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
/// let headers = [Header::new("Host", "bj.bcebos.com")];
/// let request = Request::new("GET", "/v1/test", &headers, b"");
/// let now = time::macros::datetime!(2015-04-27 08:23:49 UTC);
/// let signature = Signer::new("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &secret).carrier(Carrier::XBceSignature).sign(&request, now)?;
/// assert!(signature.auth_string().starts_with("bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2015-04-27T08:23:49Z/1800/host;x-bce-date/"));
/// assert_eq!(signature.headers().map(|(n, _)| n).collect::<Vec<_>>(), ["x-bce-date", "X-Bce-Signature"]);
/// # Ok::<(), apigw_sign::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Signer<'k> {
    access_key_id: &'k str,
    secret: &'k Secret,
    expiration: u64,
    headers: Option<&'k [&'k str]>,
    carrier: Carrier,
    stage: Option<Stage>,
}

impl<'k> Signer<'k> {
    /// A signer for access key `access_key_id` / `secret` with the defaults above.
    pub const fn new(access_key_id: &'k str, secret: &'k Secret) -> Self {
        Signer {
            access_key_id,
            secret,
            expiration: 1800,
            headers: None,
            carrier: Carrier::Authorization,
            stage: None,
        }
    }

    /// The expiration period in seconds (default 1800).
    #[must_use]
    pub const fn expiration(self, seconds: u64) -> Self {
        Signer {
            expiration: seconds,
            ..self
        }
    }

    /// Signs exactly these headers (plus every `x-bce-*`) instead of the default set. `host` must
    /// be among them, and each must be in the request.
    #[must_use]
    pub const fn sign_headers(self, names: &'k [&'k str]) -> Self {
        Signer {
            headers: Some(names),
            ..self
        }
    }

    /// Where the auth string goes (default `Authorization`). [`Carrier::AppCode`] carries no
    /// signature: use [`app_code_header`].
    #[must_use]
    pub const fn carrier(self, carrier: Carrier) -> Self {
        Signer { carrier, ..self }
    }

    /// Sets and signs `X-Bce-Stage` (the request must not have one).
    #[must_use]
    pub const fn stage(self, stage: Stage) -> Self {
        Signer {
            stage: Some(stage),
            ..self
        }
    }

    /// Signs `request` (in wire form) at `now`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`]: the request cannot be canonicalized, has no `Host`, lacks a
    /// header to sign or repeats one, or the key id or carrier cannot be used.
    pub fn sign(&self, request: &Request<'_>, now: OffsetDateTime) -> Result<Signature, Error> {
        let timestamp = iso8601_bytes(now.unix_timestamp());
        let timestamp_text = core::str::from_utf8(&timestamp).unwrap_or_default();
        let mut added = [Header::new("", ""); 2];
        let added = self.added_headers(request, timestamp_text, &mut added)?;
        let date = (added.iter().any(|h| h.name == "x-bce-date")).then_some(timestamp);

        let mut auth = String::with_capacity(140 + self.access_key_id.len());
        auth.push_str(AUTH_VERSION);
        auth.push('/');
        auth.push_str(self.access_key_id);
        auth.push('/');
        auth.push_str(timestamp_text);
        auth.push('/');
        push_decimal(&mut auth, self.expiration);
        let signing_key = signing_key(self.secret, auth.as_bytes())?;

        let signed = SignedHeaders::select(request.headers(), added, self.selection())
            .map_err(client_side)?;
        if signed.value_of("host").is_none() {
            return Err(RequestError::MissingHeaderToSign.into());
        }
        auth.push('/');
        signed.write_names(&mut auth);
        let canonical = CanonicalRequest::new(request, signed)?;
        let mut tag = [0u8; MAX_TAG_LEN];
        compute(Algorithm::HmacSha256, &signing_key, &canonical, &mut tag)
            .filter(|&len| len == 32)
            .ok_or(RequestError::UnusableSecret)?;
        auth.push('/');
        auth.push_str(core::str::from_utf8(&hex_lower(&tag)).unwrap_or_default());

        let target = (self.carrier == Carrier::Query).then(|| {
            let separator = if request.target().contains('?') {
                '&'
            } else {
                '?'
            };
            format!(
                "{}{separator}authorization={}",
                request.target(),
                encode_component(&auth)
            )
        });
        Ok(Signature {
            carrier: self.carrier,
            auth_string: auth,
            date,
            stage: self.stage,
            target,
        })
    }

    /// The canonical request for `request` at `now`, as text (for `--explain` and debugging).
    ///
    /// # Errors
    ///
    /// As [`Signer::sign`].
    pub fn explain(&self, request: &Request<'_>, now: OffsetDateTime) -> Result<String, Error> {
        let timestamp = iso8601_bytes(now.unix_timestamp());
        let mut added = [Header::new("", ""); 2];
        let added = self.added_headers(
            request,
            core::str::from_utf8(&timestamp).unwrap_or_default(),
            &mut added,
        )?;
        let signed = SignedHeaders::select(request.headers(), added, self.selection())
            .map_err(client_side)?;
        Ok(CanonicalRequest::new(request, signed)?.to_string())
    }

    fn selection(&self) -> Selection<'k> {
        self.headers.map_or(Selection::Default, Selection::Names)
    }

    /// The headers the signer adds: `x-bce-date` (header carriers, when absent) and
    /// `X-Bce-Stage` (when asked).
    fn added_headers<'a>(
        &self,
        request: &Request<'_>,
        timestamp: &'a str,
        out: &'a mut [Header<'a>; 2],
    ) -> Result<&'a [Header<'a>], Error> {
        let id = self.access_key_id;
        if id.is_empty() || id.bytes().any(|b| b == b'/' || b <= b' ' || b == 0x7f) {
            return Err(RequestError::InvalidKeyId.into());
        }
        if self.carrier == Carrier::AppCode {
            return Err(RequestError::UnsupportedCarrier.into());
        }
        let mut len = 0;
        if self.carrier != Carrier::Query && request.header_values("x-bce-date").next().is_none() {
            if let Some(slot) = out.get_mut(len) {
                *slot = Header::new("x-bce-date", timestamp);
                len += 1;
            }
        }
        if let Some(stage) = self.stage {
            if request.header_values("x-bce-stage").next().is_some() {
                return Err(RequestError::RepeatedHeaderToSign.into());
            }
            if let Some(slot) = out.get_mut(len) {
                *slot = Header::new("X-Bce-Stage", stage.as_str());
                len += 1;
            }
        }
        Ok(out.get(..len).unwrap_or_default())
    }
}

/// The verifier's format errors, said the way a client needs to hear them.
fn client_side(e: Error) -> Error {
    match e {
        Error::BceSignatureFormatInvalid {
            reason: BceFormat::RepeatedHeader,
        } => RequestError::RepeatedHeaderToSign.into(),
        Error::BceSignatureFormatInvalid {
            reason: BceFormat::TooManyHeaders,
        } => RequestError::TooManySignedHeaders.into(),
        Error::BceSignatureFormatInvalid { .. } => RequestError::MissingHeaderToSign.into(),
        other => other,
    }
}

/// `hex(HMAC-SHA256(secret, prefix))` as its 64 ASCII bytes: the key of the second HMAC.
pub(crate) fn signing_key(secret: &Secret, prefix: &[u8]) -> Result<[u8; 64], Error> {
    let mut tag = [0u8; MAX_TAG_LEN];
    compute_keyed(Algorithm::HmacSha256, secret, &Bytes(prefix), &mut tag)
        .filter(|&len| len == 32)
        .ok_or(RequestError::UnusableSecret)?;
    Ok(hex_lower(&tag))
}

/// Lower-case hex of the first 32 bytes of `tag`: an HMAC-SHA256 as text.
fn hex_lower(tag: &[u8; MAX_TAG_LEN]) -> [u8; 64] {
    let mut out = [0u8; 64];
    // 32 bytes into 64 digits: the sizes match, so this cannot fail.
    let _ = hex::encode_to_slice(tag.get(..32).unwrap_or_default(), &mut out);
    out
}

fn push_decimal(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut start = buf.len();
    loop {
        start -= 1;
        if let Some(slot) = buf.get_mut(start) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    out.push_str(core::str::from_utf8(buf.get(start..).unwrap_or_default()).unwrap_or_default());
}

/// What to apply after signing: headers to set and, for a presigned URL, the new target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    carrier: Carrier,
    auth_string: String,
    date: Option<[u8; 20]>,
    stage: Option<Stage>,
    target: Option<String>,
}

impl Signature {
    /// The auth string.
    pub fn auth_string(&self) -> &str {
        &self.auth_string
    }

    /// Every header to set: `x-bce-date` when the signer added it, `X-Bce-Stage` when asked, and
    /// the carrier header (`Authorization` or `X-Bce-Signature`; none for a presigned URL).
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let carrier = match self.carrier {
            Carrier::Authorization => Some("Authorization"),
            Carrier::XBceSignature => Some("X-Bce-Signature"),
            Carrier::Query | Carrier::AppCode => None,
        };
        [
            self.date
                .as_ref()
                .map(|d| ("x-bce-date", core::str::from_utf8(d).unwrap_or_default())),
            self.stage.map(|s| ("X-Bce-Stage", s.as_str())),
            carrier.map(|name| (name, self.auth_string.as_str())),
        ]
        .into_iter()
        .flatten()
    }

    /// For a presigned URL: the request target with `authorization=…` appended.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }
}

/// The AppCode header: (`X-Bce-Signature`, `AppCode/<code>`). Send it over HTTPS only: the code
/// is a bearer secret.
///
/// # Errors
///
/// [`RequestError::InvalidKeyId`] for an empty code or one holding a space or control character
/// (which could break, or inject, a header line).
///
/// ```
/// assert_eq!(apigw_sign::bce::app_code_header("9ae2bf21")?.1, "AppCode/9ae2bf21");
/// assert!(apigw_sign::bce::app_code_header("a\r\nX-Evil: 1").is_err());
/// # Ok::<(), apigw_sign::Error>(())
/// ```
pub fn app_code_header(code: &str) -> Result<(&'static str, String), Error> {
    if code.is_empty() || code.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(RequestError::InvalidKeyId.into());
    }
    Ok(("X-Bce-Signature", format!("AppCode/{code}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for n in [0u64, 7, 1800, 129_600, u64::MAX] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
