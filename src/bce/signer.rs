//! The client side: signing a request with `bce-auth-v1`.

use core::fmt::{self, Write as _};

use time::OffsetDateTime;

use crate::algorithm::{Algorithm, MAX_TAG_LEN};
use crate::bce::auth_string::{hex_lower, signing_key, AUTH_VERSION};
use crate::bce::canonical::CanonicalRequest;
use crate::bce::signed_headers::{Selection, SignedHeaders};
use crate::bce::{Carrier, Stage};
use crate::date::iso8601_bytes;
use crate::encoding::encode_component;
use crate::error::Error;
use crate::headers::{X_BCE_DATE, X_BCE_STAGE};
use crate::keys::Secret;
use crate::mac::{compute, Key};
use crate::request::{Header, Request, RequestError, Sent};
use crate::sorted::Params;

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
        let mut set = [Header::new("", ""); 2];
        let set = self.set_headers(request, timestamp_text, &mut set)?;
        let date = set
            .iter()
            .any(|h| h.name == X_BCE_DATE)
            .then_some(timestamp);
        let mut params = Params::default();
        let canonical = self.prepare(request, set, &mut params)?;

        // One allocation, of the exact size: the version, the id, the timestamp, the
        // expiration, the names and the hex signature, and the five `/` between them.
        let capacity = AUTH_VERSION.len()
            + self.access_key_id.len()
            + timestamp.len()
            + 20
            + canonical.headers().names_len()
            + 64
            + 5;
        let mut auth = String::with_capacity(capacity);
        auth.push_str(AUTH_VERSION);
        auth.push('/');
        auth.push_str(self.access_key_id);
        auth.push('/');
        auth.push_str(timestamp_text);
        auth.push('/');
        let _ = write!(auth, "{}", self.expiration);
        let signing_key = signing_key(self.secret, auth.as_bytes())?;
        auth.push('/');
        canonical.headers().write_names(&mut auth);
        let mut tag = [0u8; MAX_TAG_LEN];
        compute(
            Algorithm::HmacSha256,
            Key::Once(&signing_key),
            &canonical,
            &mut tag,
        )
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
        let timestamp_text = core::str::from_utf8(&timestamp).unwrap_or_default();
        let mut set = [Header::new("", ""); 2];
        let set = self.set_headers(request, timestamp_text, &mut set)?;
        let mut params = Params::default();
        let text = self.prepare(request, set, &mut params)?.to_string();
        Ok(text)
    }

    /// The canonical request of `request` with the headers the signer sets, its query kept in
    /// `params`: what [`sign`](Self::sign) signs and [`explain`](Self::explain) shows.
    fn prepare<'a, 's>(
        &self,
        request: &Request<'a>,
        set: &'a [Header<'a>],
        params: &'s mut Params<'a>,
    ) -> Result<CanonicalRequest<'s>, Error> {
        let sent = Sent::new(request.headers(), set)?;
        let signed = SignedHeaders::select(sent, self.selection()).map_err(|e| e.for_signer())?;
        if !signed.signs_host() {
            return Err(RequestError::MissingHost.into());
        }
        Ok(CanonicalRequest::new(request, signed, params)?)
    }

    fn selection(&self) -> Selection<'k> {
        self.headers.map_or(Selection::Default, Selection::Names)
    }

    /// The headers the signer sets: `x-bce-date` (header carriers, when absent) and
    /// `X-Bce-Stage` (when asked).
    fn set_headers<'a>(
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
        let [date, stage] = request.find_each([X_BCE_DATE, X_BCE_STAGE]);
        let mut len = 0;
        if self.carrier != Carrier::Query && !date.is_present() {
            if let Some(slot) = out.get_mut(len) {
                *slot = Header::new(X_BCE_DATE, timestamp);
                len += 1;
            }
        }
        if let Some(stage_to_set) = self.stage {
            if stage.is_present() {
                return Err(RequestError::RepeatedHeaderToSign.into());
            }
            if let Some(slot) = out.get_mut(len) {
                *slot = Header::new("X-Bce-Stage", stage_to_set.as_str());
                len += 1;
            }
        }
        Ok(out.get(..len).unwrap_or_default())
    }
}

/// What to apply after signing: headers to set and, for a presigned URL, the new target.
///
/// `Debug` shows the auth string with its signature redacted, and not the presigned target
/// (which carries the auth string): until it expires, the signature is a credential.
#[derive(Clone, PartialEq, Eq)]
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
                .map(|d| (X_BCE_DATE, core::str::from_utf8(d).unwrap_or_default())),
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

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth_string = self
            .auth_string
            .rsplit_once('/')
            .map_or("<redacted>".to_owned(), |(head, _)| {
                format!("{head}/<redacted>")
            });
        f.debug_struct("Signature")
            .field("carrier", &self.carrier)
            .field("auth_string", &auth_string)
            .field("stage", &self.stage)
            .field("presigned_target", &self.target.is_some())
            .finish_non_exhaustive()
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
