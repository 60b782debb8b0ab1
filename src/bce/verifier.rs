//! The server side: verifying `bce-auth-v1` signatures and AppCodes.
//!
//! Checks run in the spec's order, so one request always yields the same error: `X-Bce-Stage`
//! valid → `EmptySignature` → `SignatureFormatInvalid` (the auth string, then the signed
//! headers: `host` listed, listed headers present, none repeated) → `SignatureTimestampInvalid`
//! → `RequestTimeTooSkewed` → `SignatureTimestampExpired` → (the request canonicalizes) →
//! `SignatureAppInvalid` → `SignatureMismatch`.

use std::borrow::Cow;

use core::fmt;
use core::time::Duration;

use time::OffsetDateTime;

use crate::bce::auth_string::{AuthString, AUTH_VERSION};
use crate::bce::canonical::{CanonicalRequest, Selection, SignedHeaders, CARRIER_HEADER};
use crate::bce::signer::signing_key;
use crate::bce::{Carrier, Carriers, Stage};
use crate::encoding::{decode, decoded_eq_ignore_ascii_case, validate_wire, Plus};
use crate::error::{BceFormat, BceTimestamp, Error, KeyRejection};
use crate::keys::{KeyLookup, KeyStatus};
use crate::mac::{verify, Algorithm};
use crate::replay::{window_end, ReplayGuard};
use crate::request::{split_on, trim_ows, Repeated, Request};
use crate::time::parse_iso8601_unix;

/// Whether a signature mismatch reports the server's canonical request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MismatchDetail {
    /// Nothing but the code and message (the default).
    #[default]
    Hidden,
    /// Put the server's canonical request in the error's field (never in its message). A
    /// debugging aid: leave it off in production.
    ServerCanonicalRequest,
}

/// Everything a [`Verifier`] decides. Build it from [`Policy::default`] and change fields.
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

/// What a successful verification established.
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
}

impl fmt::Debug for Verified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key_id: &dyn fmt::Debug = if self.carrier == Carrier::AppCode {
            &"<AppCode>"
        } else {
            &self.key_id
        };
        f.debug_struct("Verified")
            .field("key_id", key_id)
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
#[derive(Clone, Debug, Default)]
pub struct Verifier {
    policy: Policy,
}

/// The auth string or AppCode a request carries.
enum Carried<'r> {
    Auth(Cow<'r, str>, Carrier),
    AppCode(&'r str),
}

impl Verifier {
    /// A verifier applying `policy`.
    pub const fn new(policy: Policy) -> Self {
        Verifier { policy }
    }

    /// The policy.
    pub const fn policy(&self) -> &Policy {
        &self.policy
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
        let headers = CarrierHeaders::of(request);
        let stage = stage(&headers)?;
        let (text, carrier) = match self.carried(request, &headers)? {
            Carried::AppCode(code) => {
                return match keys.lookup(code) {
                    KeyStatus::Active(_) => Ok(Verified {
                        key_id: Cow::Borrowed(code),
                        stage,
                        carrier: Carrier::AppCode,
                        signed: None,
                    }),
                    KeyStatus::Unknown => Err(Error::BceSignatureAppInvalid {
                        key_id: None,
                        reason: KeyRejection::Unknown,
                    }),
                    KeyStatus::Disabled => Err(Error::BceSignatureAppInvalid {
                        key_id: None,
                        reason: KeyRejection::Disabled,
                    }),
                    KeyStatus::NotBound => Err(Error::BceSignatureAppInvalid {
                        key_id: None,
                        reason: KeyRejection::NotBound,
                    }),
                };
            }
            Carried::Auth(text, carrier) => (text, carrier),
        };
        let auth = AuthString::parse(&text)?;
        let signed = SignedHeaders::select(request.headers(), &[], Selection::of(&auth))?;

        let invalid = |reason| Error::BceSignatureTimestampInvalid { reason };
        let timestamp = parse_iso8601_unix(auth.timestamp.as_bytes())
            .ok_or_else(|| invalid(BceTimestamp::Unparsable))?;
        if auth.expiration > self.policy.max_expiration.as_secs() {
            return Err(invalid(BceTimestamp::ExpirationOverCap));
        }
        let date = match signed.value_of("x-bce-date") {
            Some(value) => Some(
                parse_iso8601_unix(value)
                    .ok_or_else(|| invalid(BceTimestamp::DateHeaderUnparsable))?,
            ),
            None => None,
        };
        let now_unix = now.unix_timestamp();
        let latest = now_unix
            .checked_add_unsigned(self.policy.max_skew.as_secs())
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

        let canonical = CanonicalRequest::new(request, signed)?;
        let rejected = |reason| Error::BceSignatureAppInvalid {
            key_id: Some(auth.access_key_id.to_owned()),
            reason,
        };
        let key = match keys.lookup(auth.access_key_id) {
            KeyStatus::Unknown => return Err(rejected(KeyRejection::Unknown)),
            KeyStatus::Disabled => return Err(rejected(KeyRejection::Disabled)),
            KeyStatus::NotBound => return Err(rejected(KeyRejection::NotBound)),
            KeyStatus::Active(key) if key.algorithm.is_some_and(|a| a != Algorithm::HmacSha256) => {
                return Err(rejected(KeyRejection::AlgorithmPinned))
            }
            KeyStatus::Active(key) if key.secrets.is_empty() => {
                return Err(rejected(KeyRejection::NoSecret))
            }
            KeyStatus::Active(key) => key,
        };

        let tag = auth.signature_bytes();
        let prefix = text.as_bytes().get(..auth.prefix_len()).unwrap_or_default();
        let matched = tag.is_some_and(|tag| {
            key.secrets.iter().any(|secret| {
                signing_key(secret, prefix).is_ok_and(|signing_key| {
                    verify(Algorithm::HmacSha256, [&signing_key[..]], &canonical, &tag)
                })
            })
        });
        if !matched {
            let server_canonical_request = match self.policy.mismatch_detail {
                MismatchDetail::Hidden => None,
                MismatchDetail::ServerCanonicalRequest => Some(canonical.to_string()),
            };
            return Err(Error::BceSignatureMismatch {
                server_canonical_request,
            });
        }
        let key_id = match text {
            Cow::Borrowed(text) => Cow::Borrowed(access_key_id(text, auth.access_key_id.len())),
            Cow::Owned(_) => Cow::Owned(auth.access_key_id.to_owned()),
        };
        Ok(Verified {
            key_id,
            stage,
            carrier,
            signed: tag.map(|tag| (tag, expires)),
        })
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
        let verified = self.verify(request, keys, now)?;
        if let (Some(signature), Some(not_after)) = (verified.signature(), verified.not_after()) {
            guard
                .check_and_record(signature, not_after, now)
                .map_err(|replay| Error::from_replay(replay, verified.key_id()))?;
        }
        Ok(verified)
    }

    /// The canonical request the server builds for `request`, as text: what `--explain` prints.
    ///
    /// # Errors
    ///
    /// When the request gets no canonical request: no auth string, or one that does not parse,
    /// or signed headers that are not valid, or a request that does not canonicalize.
    pub fn explain(&self, request: &Request<'_>) -> Result<String, Error> {
        let Carried::Auth(text, _) = self.carried(request, &CarrierHeaders::of(request))? else {
            return Err(Error::BceSignatureFormatInvalid {
                reason: BceFormat::WrongCarrier,
            });
        };
        let auth = AuthString::parse(&text)?;
        let signed = SignedHeaders::select(request.headers(), &[], Selection::of(&auth))?;
        Ok(CanonicalRequest::new(request, signed)?.to_string())
    }

    /// Finds the auth string (or AppCode) in the first accepted carrier present.
    fn carried<'r>(
        &self,
        request: &Request<'r>,
        headers: &CarrierHeaders<'r>,
    ) -> Result<Carried<'r>, Error> {
        let carriers = self.policy.carriers;
        let format = |reason| Error::BceSignatureFormatInvalid { reason };
        if carriers.contains(Carrier::XBceSignature) || carriers.contains(Carrier::AppCode) {
            if let Some(value) = header_text(headers.signature)? {
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
            if let Some(value) = header_text(headers.authorization)? {
                return Ok(Carried::Auth(Cow::Borrowed(value), Carrier::Authorization));
            }
        }
        if carriers.contains(Carrier::Query) {
            let mut found = None;
            for (_, item) in split_on(request.query(), b'&') {
                let (key, value) = item.split_once('=').unwrap_or((item, ""));
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

/// A header that should appear at most once: absent, its value, or repeated.
type Single<'r> = Result<Option<&'r [u8]>, Repeated>;

/// The headers the verifier reads before the auth string: found in one pass over the request.
struct CarrierHeaders<'r> {
    stage: Single<'r>,
    signature: Single<'r>,
    authorization: Single<'r>,
}

impl<'r> CarrierHeaders<'r> {
    fn of(request: &Request<'r>) -> Self {
        let mut found = CarrierHeaders {
            stage: Ok(None),
            signature: Ok(None),
            authorization: Ok(None),
        };
        for header in request.headers() {
            // The three names have different lengths: one comparison at most per header.
            let slot = match header.name.len() {
                11 if header.name.eq_ignore_ascii_case("x-bce-stage") => &mut found.stage,
                15 if header.name.eq_ignore_ascii_case(CARRIER_HEADER) => &mut found.signature,
                13 if header.name.eq_ignore_ascii_case("authorization") => &mut found.authorization,
                _ => continue,
            };
            *slot = match slot {
                Ok(None) => Ok(Some(header.value)),
                _ => Err(Repeated),
            };
        }
        found
    }
}

/// The trimmed text of a single header; `None` when absent or empty.
fn header_text(value: Single<'_>) -> Result<Option<&str>, Error> {
    let value = value.map_err(|_| Error::BceSignatureFormatInvalid {
        reason: BceFormat::RepeatedCarrier,
    })?;
    let Some(value) = value.map(trim_ows).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    core::str::from_utf8(value)
        .map(Some)
        .map_err(|_| Error::BceSignatureFormatInvalid {
            reason: BceFormat::Shape,
        })
}

/// The request's stage: `X-Bce-Stage`, `release` when absent.
fn stage(headers: &CarrierHeaders<'_>) -> Result<Stage, Error> {
    let invalid = |value: &[u8]| Error::BceInvalidStage {
        stage: String::from_utf8_lossy(value).into_owned(),
    };
    match headers.stage {
        Ok(None) => Ok(Stage::Release),
        Ok(Some(value)) => Stage::from_value(trim_ows(value)).ok_or_else(|| invalid(value)),
        Err(_) => Err(invalid(b"(repeated)")),
    }
}

/// The access key id field, `len` bytes long, of a parsed auth string's text: it follows
/// `bce-auth-v1/`.
fn access_key_id(text: &str, len: usize) -> &str {
    let start = AUTH_VERSION.len() + 1;
    text.get(start..start + len).unwrap_or_default()
}

fn instant(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
