//! The server side: verifying a Tencent API Gateway HMAC signature.
//!
//! Checks run in the spec's order, so one request always yields the same error:
//! `Authorization` present → parses → `id` and `signature` present → algorithm allowed → a date
//! header is signed → every listed header present → none repeated → the signed date parses → it
//! is inside the window → (app mode: the request canonicalizes) → key known, enabled, allowed this
//! algorithm → signature matches, and so does a `Content-MD5` header.

use core::fmt;
use core::time::Duration;

use time::OffsetDateTime;

use crate::error::{Error, KeyRejection, StatusProfile};
use crate::keys::{KeyLookup, KeyStatus};
use crate::mac::{verify_keyed, Algorithm, AlgorithmSet};
use crate::replay::{window_end, ReplayGuard};
use crate::request::{header_names, Request};
use crate::tencent::authorization::Authorization;
use crate::tencent::string_to_sign::{EnvironmentPrefix, Mode, SignedHeaders, StringToSign};
use crate::time::{parse_http_date_unix, within_window};

/// Longest base64 signature worth decoding: HMAC-SHA512's 64 bytes are 88 characters.
const MAX_SIGNATURE_LEN: usize = 88;

/// Whether a signature mismatch reports the server's string to sign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MismatchDetail {
    /// Only "HMAC signature does not match" (the default).
    #[default]
    Hidden,
    /// Add Tencent's `, Server StringToSign:…` with newlines shown as `#`. A debugging aid: it
    /// tells any caller what the server signed (never a secret or the expected MAC), so leave
    /// it off in production.
    ServerStringToSign,
}

/// Everything a [`Verifier`] decides. Build it from [`Policy::default`] and change fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// How far the signed date may lie from `now`, either way. Defaults to 900 seconds.
    pub max_skew: Duration,
    /// The algorithms accepted. Defaults to all four.
    pub algorithms: AlgorithmSet,
    /// The status codes errors answer with. Defaults to [`StatusProfile::Classic`].
    pub statuses: StatusProfile,
    /// Whether a leading `/release`, `/prepub` or `/test` segment is left out of the signed path
    /// (app mode). Defaults to [`EnvironmentPrefix::Strip`].
    pub environment_prefix: EnvironmentPrefix,
    /// Whether a mismatch error carries the server's string to sign. Defaults to
    /// [`MismatchDetail::Hidden`].
    pub mismatch_detail: MismatchDetail,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_skew: Duration::from_secs(900),
            algorithms: AlgorithmSet::ALL,
            statuses: StatusProfile::Classic,
            environment_prefix: EnvironmentPrefix::Strip,
            mismatch_detail: MismatchDetail::Hidden,
        }
    }
}

/// What a successful verification established. Borrows from the request.
///
/// `Debug` leaves the signature out: until its window ends it is a credential.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Verified<'r> {
    key_id: &'r str,
    algorithm: Algorithm,
    signed_headers: &'r str,
    /// The MAC bytes, decoded: the first `mac_len` bytes of `mac`.
    mac: [u8; 64],
    mac_len: usize,
    /// The last second (Unix time) at which the signature still verifies.
    not_after: i64,
}

impl<'r> Verified<'r> {
    /// The verified key id.
    pub const fn key_id(&self) -> &'r str {
        self.key_id
    }

    /// The algorithm the request was signed with.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The signed header names, in signing order, as the client listed them.
    pub fn signed_headers(&self) -> impl Iterator<Item = &'r str> + 'r {
        header_names(self.signed_headers)
    }

    /// The signature's MAC bytes (decoded from base64): what a
    /// [`ReplayGuard`](crate::replay::ReplayGuard) records.
    pub fn signature(&self) -> &[u8] {
        self.mac.get(..self.mac_len).unwrap_or_default()
    }

    /// The last instant at which this signature still verifies under the verifier's policy:
    /// the signed date plus `max_skew` (the earlier one when `Date` and `X-Date` are both
    /// signed).
    pub fn not_after(&self) -> OffsetDateTime {
        window_end(self.not_after)
    }
}

impl fmt::Debug for Verified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("key_id", &self.key_id)
            .field("algorithm", &self.algorithm)
            .field("signed_headers", &self.signed_headers)
            .field("not_after", &self.not_after())
            .finish_non_exhaustive()
    }
}

/// Verifies Tencent HMAC signatures under one [`Policy`].
///
/// ```
/// use apigw_sign::{Header, KeySet, Request, Secret};
/// use apigw_sign::tencent::{Mode, Policy, Signer, Verifier};
///
/// let secret = Secret::from("demo-secret");
/// let now = time::macros::datetime!(2021-03-11 08:29:58 UTC);
/// let request = Request::new("GET", "/release/v1/users?id=7", &[], b"");
/// let signature = Signer::new(Mode::App, "AKIDdemo", &secret).sign(&request, now)?;
///
/// let mut headers: Vec<Header> = signature.headers().map(|(n, v)| Header::new(n, v)).collect();
/// let signed = Request::new("GET", "/release/v1/users?id=7", &headers, b"");
/// let mut keys = KeySet::new();
/// keys.insert("AKIDdemo", "demo-secret");
/// let verifier = Verifier::new(Policy::default());
/// assert_eq!(verifier.verify(Mode::App, &signed, &keys, now)?.key_id(), "AKIDdemo");
///
/// let later = now + time::Duration::minutes(20);
/// let err = verifier.verify(Mode::App, &signed, &keys, later).unwrap_err();
/// assert_eq!(err.to_string(), "HMAC signature cannot be verified, the x-date header is out of date for HMAC Authentication");
/// # Ok::<(), apigw_sign::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Verifier {
    policy: Policy,
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

    /// Verifies `request`, signed in `mode`, at time `now`, with keys from `keys`.
    ///
    /// # Errors
    ///
    /// The first failed check, in the order of the module documentation.
    pub fn verify<'r>(
        &self,
        mode: Mode,
        request: &Request<'r>,
        keys: &impl KeyLookup,
        now: OffsetDateTime,
    ) -> Result<Verified<'r>, Error> {
        let authorization = authorization(request)?;
        let algorithm = Algorithm::from_name(authorization.algorithm)
            .filter(|a| self.policy.algorithms.contains(*a))
            .ok_or_else(|| Error::AlgorithmNotSupported {
                algorithm: authorization.algorithm.to_owned(),
            })?;

        let dates = signed_dates(mode, &authorization)?;
        let headers = SignedHeaders::new(authorization.headers, request, None)?;
        let max_skew = self.policy.max_skew.as_secs();
        let now_unix = now.unix_timestamp();
        let mut parsed = [None; 2];
        for (slot, (position, header)) in parsed.iter_mut().zip(dates.iter().flatten()) {
            let value = headers.value_at(*position);
            let date =
                parse_http_date_unix(value, now_unix).ok_or(Error::InvalidDate { header })?;
            *slot = Some((*header, date));
        }
        let mut not_after = i64::MAX;
        for (header, date) in parsed.into_iter().flatten() {
            if !within_window(date, now_unix, max_skew) {
                let date =
                    OffsetDateTime::from_unix_timestamp(date).unwrap_or(OffsetDateTime::UNIX_EPOCH);
                return Err(Error::DateOutOfWindow { header, date, now });
            }
            not_after = not_after.min(date.checked_add_unsigned(max_skew).unwrap_or(i64::MAX));
        }

        let string_to_sign =
            StringToSign::new(mode, headers, request, self.policy.environment_prefix)?;

        let key = match keys.lookup(authorization.id) {
            KeyStatus::Unknown => Err(KeyRejection::Unknown),
            KeyStatus::Disabled => Err(KeyRejection::Disabled),
            KeyStatus::NotBound => Err(KeyRejection::NotBound),
            KeyStatus::Active(key) if key.algorithm.is_some_and(|pin| pin != algorithm) => {
                Err(KeyRejection::AlgorithmPinned)
            }
            KeyStatus::Active(key) if key.secrets.is_empty() => Err(KeyRejection::NoSecret),
            KeyStatus::Active(key) => Ok(key),
        }
        .map_err(|reason| Error::KeyRejected {
            key_id: authorization.id.to_owned(),
            reason,
        })?;

        let mut buf = [0u8; 72];
        let tag = decode_signature(authorization.signature, &mut buf);
        let content_md5_agrees = string_to_sign.content_md5_header_agrees();
        let matched =
            tag.is_some_and(|tag| verify_keyed(algorithm, key.secrets, &string_to_sign, tag));
        if !matched || !content_md5_agrees {
            let server_string_to_sign = match self.policy.mismatch_detail {
                MismatchDetail::Hidden => None,
                MismatchDetail::ServerStringToSign => Some(string_to_sign.to_hash_separated()),
            };
            return Err(Error::SignatureMismatch {
                server_string_to_sign,
            });
        }
        // A matched tag is as long as the algorithm's MAC: at most 64 bytes.
        let mut mac = [0u8; 64];
        let mut mac_len = 0;
        for (to, from) in mac.iter_mut().zip(tag.unwrap_or_default()) {
            *to = *from;
            mac_len += 1;
        }
        Ok(Verified {
            key_id: authorization.id,
            algorithm,
            signed_headers: authorization.headers,
            mac,
            mac_len,
            not_after,
        })
    }

    /// Verifies `request` as [`verify`](Self::verify) does, then records its signature in
    /// `guard` until the signature's window ends ([`Verified::not_after`]), refusing a
    /// signature already recorded. Only a request that passed every other check reaches the
    /// guard.
    ///
    /// # Errors
    ///
    /// The errors of [`verify`](Self::verify); then [`Error::SignatureReplayed`] for a second
    /// use of the signature, [`Error::ReplayCacheFull`] when the guard has no room, or
    /// [`Error::ReplayGuardUnavailable`] when it cannot decide.
    ///
    /// ```
    /// use apigw_sign::{Header, KeySet, Request, Secret};
    /// use apigw_sign::replay::MemoryReplayGuard;
    /// use apigw_sign::tencent::{Mode, Policy, Signer, Verifier};
    ///
    /// let now = time::macros::datetime!(2021-03-11 08:29:58 UTC);
    /// let secret = Secret::from("demo-secret");
    /// let signature = Signer::new(Mode::KeyPair, "AKIDdemo", &secret)
    ///     .sign(&Request::new("GET", "/", &[], b""), now)?;
    /// let headers: Vec<Header> = signature.headers().map(|(n, v)| Header::new(n, v)).collect();
    /// let request = Request::new("GET", "/", &headers, b"");
    /// let mut keys = KeySet::new();
    /// keys.insert("AKIDdemo", "demo-secret");
    ///
    /// let guard = MemoryReplayGuard::default();
    /// let verifier = Verifier::new(Policy::default());
    /// assert!(verifier.verify_once(Mode::KeyPair, &request, &keys, &guard, now).is_ok());
    /// let again = verifier.verify_once(Mode::KeyPair, &request, &keys, &guard, now).unwrap_err();
    /// assert_eq!(again.code(), "SignatureReplayed");
    /// # Ok::<(), apigw_sign::Error>(())
    /// ```
    pub fn verify_once<'r>(
        &self,
        mode: Mode,
        request: &Request<'r>,
        keys: &impl KeyLookup,
        guard: &(impl ReplayGuard + ?Sized),
        now: OffsetDateTime,
    ) -> Result<Verified<'r>, Error> {
        let verified = self.verify(mode, request, keys, now)?;
        guard
            .check_and_record(verified.signature(), verified.not_after(), now)
            .map_err(|replay| Error::from_replay(replay, verified.key_id()))?;
        Ok(verified)
    }

    /// The string the server signs for `request` in `mode`, as text: what `--explain` prints.
    ///
    /// # Errors
    ///
    /// When the request gets no string to sign: its `Authorization` header is missing or
    /// malformed, or a listed header is missing or repeated, or the request does not
    /// canonicalize.
    pub fn explain(&self, mode: Mode, request: &Request<'_>) -> Result<String, Error> {
        let authorization = authorization(request)?;
        let headers = SignedHeaders::new(authorization.headers, request, None)?;
        let string_to_sign =
            StringToSign::new(mode, headers, request, self.policy.environment_prefix)?;
        Ok(string_to_sign.to_string())
    }
}

/// The request's single `Authorization` header, parsed.
fn authorization<'r>(request: &Request<'r>) -> Result<Authorization<'r>, Error> {
    let value = match request.unique_header("authorization") {
        Ok(Some(value)) if !value.iter().all(|&b| b == b' ' || b == b'\t') => value,
        Ok(_) => return Err(Error::MissingAuthorization),
        Err(_) => {
            return Err(Error::MalformedAuthorization {
                reason: crate::Malformed::Repeated,
            })
        }
    };
    let value = core::str::from_utf8(value).map_err(|_| Error::MalformedAuthorization {
        reason: crate::Malformed::NotText,
    })?;
    Authorization::parse(value)
}

/// The signed date headers to check (`x-date`, `date`), or the error when the mode's date
/// header is not signed. Key-pair mode takes either; app mode requires `x-date`.
fn signed_dates(
    mode: Mode,
    authorization: &Authorization<'_>,
) -> Result<[Option<(usize, &'static str)>; 2], Error> {
    let mut dates = [None; 2];
    for (position, name) in authorization.header_names().enumerate() {
        if name.eq_ignore_ascii_case("x-date") {
            dates[0] = Some((position, "x-date"));
        } else if name.eq_ignore_ascii_case("date") {
            dates[1] = Some((position, "date"));
        }
    }
    let ok = match mode {
        Mode::KeyPair => dates.iter().any(Option::is_some),
        Mode::App => dates[0].is_some(),
    };
    if ok {
        Ok(dates)
    } else {
        Err(Error::DateNotSigned)
    }
}

/// The decoded signature bytes; `None` (a mismatch) when the text is not canonical padded
/// base64 of at most 64 bytes.
fn decode_signature<'b>(signature: &str, buf: &'b mut [u8; 72]) -> Option<&'b [u8]> {
    if signature.len() > MAX_SIGNATURE_LEN {
        return None;
    }
    let len = crate::base64::decode_into(signature.as_bytes(), buf)?;
    buf.get(..len)
}
