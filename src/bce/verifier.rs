//! The server side: verifying `bce-auth-v1` signatures and AppCodes.
//!
//! Checks run in the spec's order, so one request always yields the same error: `X-Bce-Stage`
//! valid → `EmptySignature` → `SignatureFormatInvalid` (the auth string, then the signed
//! headers: `host` listed, listed headers present, none repeated) → `SignatureTimestampInvalid`
//! → `RequestTimeTooSkewed` → `SignatureTimestampExpired` → (the request canonicalizes) →
//! `SignatureAppInvalid` → `SignatureMismatch`.

use core::fmt;
use core::time::Duration;
use std::borrow::Cow;

use time::OffsetDateTime;

use crate::algorithm::Algorithm;
use crate::bce::auth_string::{signing_key, AuthString, AUTH_VERSION};
use crate::bce::canonical::CanonicalRequest;
use crate::bce::signed_headers::{Selection, SignedHeaders};
use crate::bce::{shown_key_id, Carrier, Carriers, Stage};
use crate::date::{instant, parse_iso8601_unix, window_end};
use crate::encoding::{decode, decoded_eq_ignore_ascii_case, validate_wire, Plus};
use crate::error::{BceFormat, BceTimestamp, Error};
use crate::headers::{AUTHORIZATION, X_BCE_SIGNATURE, X_BCE_STAGE};
use crate::keys::{KeyLookup, KeyStatus};
use crate::mac::{verify, Key};
use crate::replay::ReplayGuard;
use crate::request::{split, split_once, trim_ows, Found, Request, Sent};
use crate::sorted::Params;
use crate::verification::{policy_setters, public_finish, run, Guard, Phases, Scratch};

/// Whether a signature mismatch reports the server's canonical request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MismatchDetail {
    /// Nothing but the code and message (the default).
    #[default]
    Hidden,
    /// Put the server's canonical request in the error's field (never in its message). A
    /// debugging aid: leave it off in production.
    ServerCanonicalRequest,
}

/// Everything a [`Verifier`] decides. Build it from [`Policy::default`] and its setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// How far in the future a timestamp (or signed `x-bce-date`) may be. Defaults to 300 seconds.
    pub max_skew: Duration,
    /// The longest expiration period accepted. Defaults to 129 600 seconds (36 hours, the Java
    /// SDK's bound).
    pub max_expiration: Duration,
    /// Where the auth string may travel. Defaults to [`Carriers::SIGNATURES`]: `X-Bce-Signature`,
    /// then `Authorization`, then the `authorization` query parameter, the first present being
    /// used; AppCode is off.
    pub carriers: Carriers,
    /// Whether a mismatch error carries the server's canonical request. Defaults to
    /// [`MismatchDetail::Hidden`].
    pub mismatch_detail: MismatchDetail,
}

// `Policy::default().carriers(Carriers::SIGNATURES.with(Carrier::AppCode))`.
policy_setters!(Policy {
    max_skew: Duration,
    max_expiration: Duration,
    carriers: Carriers,
    mismatch_detail: MismatchDetail,
});

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_skew: Duration::from_secs(300),
            max_expiration: Duration::from_secs(129_600),
            carriers: Carriers::SIGNATURES,
            mismatch_detail: MismatchDetail::Hidden,
        }
    }
}

/// What a successful verification established. Borrows from the request;
/// [`into_owned`](Verified::into_owned) keeps it beyond.
///
/// `Debug` leaves the signature out: until its window ends it is a credential.
#[derive(Clone, PartialEq, Eq)]
pub struct Verified<'r> {
    key_id: Cow<'r, str>,
    stage: Stage,
    carrier: Carrier,
    /// The signature's MAC bytes and the last second (Unix time) at which it verifies; `None`
    /// for an AppCode.
    signed: Option<([u8; 32], i64)>,
}

impl Verified<'_> {
    /// The verified access key id, or for [`Carrier::AppCode`] the AppCode (a secret: keep it out
    /// of logs).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The stage the request is for (`X-Bce-Stage`, `release` when absent).
    pub const fn stage(&self) -> Stage {
        self.stage
    }

    /// Where the auth string (or AppCode) was found.
    pub const fn carrier(&self) -> Carrier {
        self.carrier
    }

    /// The signature's 32 MAC bytes (decoded from its 64 hex digits): what a
    /// [`ReplayGuard`](crate::replay::ReplayGuard) records. `None` for an AppCode, which
    /// carries no signature.
    pub fn signature(&self) -> Option<&[u8]> {
        self.signed.as_ref().map(|(mac, _)| mac.as_slice())
    }

    /// The last instant at which this signature still verifies: the timestamp plus the
    /// expiration. `None` for an AppCode, which has no window.
    pub fn not_after(&self) -> Option<OffsetDateTime> {
        self.signed.map(|(_, not_after)| window_end(not_after))
    }

    /// The same, owning its key id: for keeping it past the request (an `http` adapter's
    /// result, a log line).
    pub fn into_owned(self) -> Verified<'static> {
        Verified {
            key_id: Cow::Owned(self.key_id.into_owned()),
            ..self
        }
    }
}

impl fmt::Debug for Verified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("key_id", shown_key_id(&self.key_id, Some(self.carrier)))
            .field("stage", &self.stage)
            .field("carrier", &self.carrier)
            .field("not_after", &self.not_after())
            .finish_non_exhaustive()
    }
}

/// Verifies `bce-auth-v1` signatures (and, when allowed, AppCodes) under one [`Policy`].
///
/// ```
/// use apigw_sign::{Header, KeySet, Request, Secret};
/// use apigw_sign::bce::{Carrier, Policy, Signer, Stage, Verifier};
///
/// let secret = Secret::from("demo-secret");
/// let now = time::macros::datetime!(2018-12-06 03:05:00 UTC);
/// let headers = [Header::new("Host", "default1.gateway-mock.com"), Header::new("Content-Type", "application/json")];
/// let request = Request::new("POST", "/app/1", &headers, b"{}");
/// let signature = Signer::new("AKdemo", &secret).carrier(Carrier::XBceSignature).sign(&request, now)?;
///
/// let mut signed: Vec<Header> = headers.to_vec();
/// signed.extend(signature.headers().map(|(n, v)| Header::new(n, v)));
/// let mut keys = KeySet::new();
/// keys.insert("AKdemo", "demo-secret");
/// let verified = Verifier::new(Policy::default()).verify(&Request::new("POST", "/app/1", &signed, b"{}"), &keys, now)?;
/// assert_eq!((verified.key_id(), verified.stage()), ("AKdemo", Stage::Release));
/// # Ok::<(), apigw_sign::Error>(())
/// ```
pub type Verifier = crate::verification::Verifier<Policy>;

/// The auth string or AppCode a request carries.
enum Carried<'r> {
    Auth(Cow<'r, str>, Carrier),
    AppCode(&'r str),
}

/// What the first phase of verification ([`Verifier::prepare`]) established: everything but
/// the key. Fetch [`key_id`](Self::key_id)'s status, then [`Verifier::finish`].
///
/// `Debug` shows the key id (an AppCode as `<AppCode>`), stage and carrier, never the
/// signature.
pub struct Pending<'r, 's>(Prepared<'r, 's>);

/// What phase one found: an AppCode, or a signature to check.
// It lives on the stack for one call; boxing the large variant would allocate per request.
#[allow(clippy::large_enum_variant)]
enum Prepared<'r, 's> {
    /// An AppCode, to look up.
    AppCode { code: &'r str, stage: Stage },
    /// A signature: the request is well formed, inside its window, and canonicalized (its query
    /// in a list the caller lent, `'s`).
    Signed(Signed<'r, 's>),
}

struct Signed<'r, 's> {
    stage: Stage,
    carrier: Carrier,
    /// The auth string's text (decoded from the query for a presigned URL).
    text: Cow<'r, str>,
    /// The access key id's length: it follows `bce-auth-v1/` in `text`.
    key_id_len: usize,
    /// The length of the signing key's prefix, `bce-auth-v1/{ak}/{timestamp}/{expiration}`.
    prefix_len: usize,
    tag: [u8; 32],
    /// The last second (Unix time) at which the signature verifies.
    expires: i64,
    canonical: CanonicalRequest<'s>,
}

impl Signed<'_, '_> {
    fn key_id(&self) -> &str {
        let start = AUTH_VERSION.len() + 1;
        self.text
            .get(start..start + self.key_id_len)
            .unwrap_or_default()
    }
}

impl Pending<'_, '_> {
    /// The key to fetch: the access key id, or for an AppCode the AppCode itself (a secret:
    /// keep it out of logs).
    pub fn key_id(&self) -> &str {
        match &self.0 {
            Prepared::AppCode { code, .. } => code,
            Prepared::Signed(signed) => signed.key_id(),
        }
    }

    /// The request's stage (`X-Bce-Stage`).
    pub const fn stage(&self) -> Stage {
        match &self.0 {
            Prepared::AppCode { stage, .. } | Prepared::Signed(Signed { stage, .. }) => *stage,
        }
    }

    /// Where the auth string (or AppCode) was found.
    pub const fn carrier(&self) -> Carrier {
        match &self.0 {
            Prepared::AppCode { .. } => Carrier::AppCode,
            Prepared::Signed(signed) => signed.carrier,
        }
    }

    /// The last instant at which the signature verifies (the timestamp plus the expiration);
    /// `None` for an AppCode.
    pub fn not_after(&self) -> Option<OffsetDateTime> {
        match &self.0 {
            Prepared::AppCode { .. } => None,
            Prepared::Signed(signed) => Some(window_end(signed.expires)),
        }
    }
}

impl fmt::Debug for Pending<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("key_id", shown_key_id(&self.key_id(), Some(self.carrier())))
            .field("stage", &self.stage())
            .field("carrier", &self.carrier())
            .field("not_after", &self.not_after())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Phase one of a verification in two steps, for a key store that answers asynchronously:
    /// every check that needs no key, in the order of the module documentation, with the
    /// request's query kept in `scratch`. Fetch the status of [`Pending::key_id`] (an access
    /// key id or an AppCode), then call [`finish`](Self::finish). Allocates nothing for a
    /// header-carried signature (a presigned URL's auth string may be decoded into a `String`).
    ///
    /// # Errors
    ///
    /// The first failed check before the key's.
    pub fn prepare<'r: 's, 's>(
        &self,
        request: &Request<'r>,
        now: OffsetDateTime,
        scratch: &'s mut Scratch<'r>,
    ) -> Result<Pending<'r, 's>, Error> {
        Phases::prepare(self, *request, now, scratch)
    }

    public_finish! {
        /// Phase two: the key's status (what the store said about [`Pending::key_id`]), then the
        /// signature. With [`prepare`](Self::prepare) it is exactly [`verify`](Self::verify); a
        /// replay guard, if any, is the caller's to consult afterwards.
        ///
        /// # Errors
        ///
        /// [`Error::BceSignatureAppInvalid`] or [`Error::BceSignatureMismatch`].
    }

    /// Verifies `request` at time `now` with keys (and AppCodes) from `keys`.
    ///
    /// # Errors
    ///
    /// The first failed check, in the order of the module documentation.
    pub fn verify<'r>(
        &self,
        request: &Request<'r>,
        keys: &impl KeyLookup,
        now: OffsetDateTime,
    ) -> Result<Verified<'r>, Error> {
        self.verify_with(request, keys, None, now)
    }

    /// Verifies `request` as [`verify`](Self::verify) does, then records its signature in
    /// `guard` until the signature's window ends ([`Verified::not_after`]), refusing a
    /// signature already recorded. Only a request that passed every other check reaches the
    /// guard. An AppCode carries no signature and has no window, so it is not guarded: it is a
    /// bearer secret, replayable by design.
    ///
    /// # Errors
    ///
    /// The errors of [`verify`](Self::verify); then [`Error::SignatureReplayed`] for a second
    /// use of the signature, [`Error::ReplayCacheFull`] when the guard has no room, or
    /// [`Error::ReplayGuardUnavailable`] when it cannot decide. These three are not Baidu's
    /// codes: their bodies are `{"message":"…"}`, without `code` or `requestId`.
    pub fn verify_once<'r>(
        &self,
        request: &Request<'r>,
        keys: &impl KeyLookup,
        guard: &(impl ReplayGuard + ?Sized),
        now: OffsetDateTime,
    ) -> Result<Verified<'r>, Error> {
        // `&G` is a sized guard for any `G`, so it makes a trait object.
        self.verify_with(request, keys, Some(&guard), now)
    }

    /// The one path of [`verify`](Self::verify) and [`verify_once`](Self::verify_once) (and of
    /// the gateway and the adapters): the request's checks, the key's, then the guard's when
    /// there is one.
    pub(crate) fn verify_with<'r>(
        &self,
        request: &Request<'r>,
        keys: &(impl KeyLookup + ?Sized),
        guard: Option<&dyn ReplayGuard>,
        now: OffsetDateTime,
    ) -> Result<Verified<'r>, Error> {
        run(self, *request, keys, guard, now)
    }

    /// The canonical request the server builds for `request`, as text: what `--explain` prints.
    /// It is built whatever the stage and the clock say.
    ///
    /// # Errors
    ///
    /// When the request gets no canonical request: no auth string, or one that does not parse,
    /// or signed headers that are not valid, or a request that does not canonicalize.
    pub fn explain(&self, request: &Request<'_>) -> Result<String, Error> {
        let [signature, authorization] = request.find_each([X_BCE_SIGNATURE, AUTHORIZATION]);
        let Carried::Auth(text, _) = self.carried(request, signature, authorization)? else {
            return Err(Error::BceSignatureFormatInvalid {
                reason: BceFormat::WrongCarrier,
            });
        };
        let auth = AuthString::parse(&text)?;
        let signed = signed_headers(request, &auth)?;
        let mut params = Params::default();
        Ok(CanonicalRequest::new(request, signed, &mut params)?.to_string())
    }

    /// Finds the auth string (or AppCode) in the first accepted carrier present: the
    /// `X-Bce-Signature` header (`signature`), the `Authorization` header (`authorization`),
    /// the `authorization` query parameter.
    fn carried<'r>(
        &self,
        request: &Request<'r>,
        signature: Found<'r>,
        authorization: Found<'r>,
    ) -> Result<Carried<'r>, Error> {
        let carriers = self.policy().carriers;
        let format = |reason| Error::BceSignatureFormatInvalid { reason };
        if carriers.contains(Carrier::XBceSignature) || carriers.contains(Carrier::AppCode) {
            if let Some(value) = header_text(signature)? {
                return match value.strip_prefix("AppCode/") {
                    Some(code) if carriers.contains(Carrier::AppCode) && !code.is_empty() => {
                        Ok(Carried::AppCode(code))
                    }
                    Some(_) if carriers.contains(Carrier::AppCode) => Err(Error::BceEmptySignature),
                    None if carriers.contains(Carrier::XBceSignature) => {
                        Ok(Carried::Auth(Cow::Borrowed(value), Carrier::XBceSignature))
                    }
                    _ => Err(format(BceFormat::WrongCarrier)),
                };
            }
        }
        if carriers.contains(Carrier::Authorization) {
            if let Some(value) = header_text(authorization)? {
                return Ok(Carried::Auth(Cow::Borrowed(value), Carrier::Authorization));
            }
        }
        if carriers.contains(Carrier::Query) {
            let mut found = None;
            for item in split(request.query(), b'&') {
                let (key, value) = split_once(item, b'=').unwrap_or((item, ""));
                if validate_wire(key).is_ok()
                    && decoded_eq_ignore_ascii_case(key, Plus::Literal, "authorization")
                {
                    if found.is_some() {
                        return Err(format(BceFormat::RepeatedCarrier));
                    }
                    found = Some(value);
                }
            }
            if let Some(raw) = found.filter(|raw| !raw.is_empty()) {
                // An auth string that does not decode is not one: a format error, as in a header.
                let text = decode(raw, Plus::Literal).map_err(|_| format(BceFormat::Shape))?;
                return Ok(Carried::Auth(text, Carrier::Query));
            }
        }
        Err(Error::BceEmptySignature)
    }
}

impl Phases for Verifier {
    type Input<'r> = Request<'r>;
    type Pending<'r, 's> = Pending<'r, 's>;
    type Verified<'r> = Verified<'r>;

    /// Phase one: every check that needs no key, in the spec's order; the query kept in
    /// `scratch`.
    fn prepare<'r: 's, 's>(
        &self,
        request: Request<'r>,
        now: OffsetDateTime,
        scratch: &'s mut Scratch<'r>,
    ) -> Result<Pending<'r, 's>, Error> {
        let request = &request;
        let [stage, signature, authorization] =
            request.find_each([X_BCE_STAGE, X_BCE_SIGNATURE, AUTHORIZATION]);
        let stage = Stage::of(stage)?;
        let (text, carrier) = match self.carried(request, signature, authorization)? {
            Carried::AppCode(code) => return Ok(Pending(Prepared::AppCode { code, stage })),
            Carried::Auth(text, carrier) => (text, carrier),
        };
        let auth = AuthString::parse(&text)?;
        let signed = signed_headers(request, &auth)?;

        let invalid = |reason| Error::BceSignatureTimestampInvalid { reason };
        let timestamp = parse_iso8601_unix(auth.timestamp.as_bytes())
            .ok_or_else(|| invalid(BceTimestamp::Unparsable))?;
        if auth.expiration > self.policy().max_expiration.as_secs() {
            return Err(invalid(BceTimestamp::ExpirationOverCap));
        }
        let date = match signed.date() {
            Some(value) => Some(
                parse_iso8601_unix(value)
                    .ok_or_else(|| invalid(BceTimestamp::DateHeaderUnparsable))?,
            ),
            None => None,
        };
        let now_unix = now.unix_timestamp();
        let latest = now_unix
            .checked_add_unsigned(self.policy().max_skew.as_secs())
            .unwrap_or(i64::MAX);
        for t in [Some(timestamp), date].into_iter().flatten() {
            if t > latest {
                return Err(Error::BceRequestTimeTooSkewed {
                    timestamp: instant(t),
                    now,
                });
            }
        }
        let expires = timestamp
            .checked_add_unsigned(auth.expiration)
            .unwrap_or(i64::MAX);
        if now_unix > expires {
            return Err(Error::BceSignatureTimestampExpired {
                timestamp: instant(timestamp),
                expiration: auth.expiration,
                now,
            });
        }

        let canonical = CanonicalRequest::new(request, signed, &mut scratch.params)?;
        let (key_id_len, prefix_len) = (auth.access_key_id.len(), auth.prefix_len());
        // A parsed auth string's signature is 64 hex digits: it always decodes.
        let tag = auth.signature_bytes().unwrap_or_default();
        Ok(Pending(Prepared::Signed(Signed {
            stage,
            carrier,
            text,
            key_id_len,
            prefix_len,
            tag,
            expires,
            canonical,
        })))
    }

    fn key_id<'p>(pending: &'p Pending<'_, '_>) -> &'p str {
        pending.key_id()
    }

    /// Phase two: the key's status and secrets, then the signature.
    fn finish<'r>(
        &self,
        Pending(prepared): &Self::Pending<'r, '_>,
        key: KeyStatus<'_>,
        guard: Guard<'_>,
    ) -> Result<Self::Verified<'r>, Error> {
        let signed = match *prepared {
            Prepared::AppCode { code, stage } => {
                key.active()
                    .map_err(|reason| Error::BceSignatureAppInvalid {
                        key_id: None,
                        reason,
                    })?;
                return Ok(Verified {
                    key_id: Cow::Borrowed(code),
                    stage,
                    carrier: Carrier::AppCode,
                    signed: None,
                });
            }
            Prepared::Signed(ref signed) => signed,
        };
        let secrets = key.secrets_for(Algorithm::HmacSha256).map_err(|reason| {
            Error::BceSignatureAppInvalid {
                key_id: Some(signed.key_id().to_owned()),
                reason,
            }
        })?;
        let prefix = signed
            .text
            .as_bytes()
            .get(..signed.prefix_len)
            .unwrap_or_default();
        let matched = secrets.iter().any(|secret| {
            signing_key(secret, prefix).is_ok_and(|signing_key| {
                verify(
                    Algorithm::HmacSha256,
                    Key::Once(&signing_key),
                    &signed.canonical,
                    &signed.tag,
                )
            })
        });
        if !matched {
            let server_canonical_request = match self.policy().mismatch_detail {
                MismatchDetail::Hidden => None,
                MismatchDetail::ServerCanonicalRequest => Some(signed.canonical.to_string()),
            };
            return Err(Error::BceSignatureMismatch {
                server_canonical_request,
            });
        }
        guard.record(signed.key_id(), &signed.tag, signed.expires)?;
        let key_id = match signed.text {
            Cow::Borrowed(text) => {
                let start = AUTH_VERSION.len() + 1;
                Cow::Borrowed(
                    text.get(start..start + signed.key_id_len)
                        .unwrap_or_default(),
                )
            }
            Cow::Owned(_) => Cow::Owned(signed.key_id().to_owned()),
        };
        Ok(Verified {
            key_id,
            stage: signed.stage,
            carrier: signed.carrier,
            signed: Some((signed.tag, signed.expires)),
        })
    }
}

/// The headers `auth` selects, as the request has them.
fn signed_headers<'r>(
    request: &Request<'r>,
    auth: &AuthString<'_>,
) -> Result<SignedHeaders<'r>, Error> {
    let selection = if auth.signed_headers.is_empty() {
        Selection::Default
    } else {
        Selection::Listed(auth.signed_headers)
    };
    let sent = Sent::new(request.headers(), &[])?;
    SignedHeaders::select(sent, selection).map_err(|e| e.for_verifier())
}

/// The trimmed text of a carrier header that may appear once; `None` when absent or empty.
fn header_text(found: Found<'_>) -> Result<Option<&str>, Error> {
    let format = |reason| Error::BceSignatureFormatInvalid { reason };
    let value = found
        .single()
        .map_err(|_| format(BceFormat::RepeatedCarrier))?;
    let Some(value) = value.map(trim_ows).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    core::str::from_utf8(value)
        .map(Some)
        .map_err(|_| format(BceFormat::Shape))
}
