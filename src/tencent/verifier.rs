//! The server side: verifying a Tencent API Gateway HMAC signature.
//!
//! Checks run in the spec's order, so one request always yields the same error:
//! `Authorization` present → parses → `id` and `signature` present → algorithm allowed → a date
//! header is signed → every listed header present → none repeated → the signed date parses → it
//! is inside the window → (app mode: the request canonicalizes) → key known, enabled, allowed this
//! algorithm → signature matches, and so does a `Content-MD5` header.

use core::fmt;
use core::time::Duration;
use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use time::OffsetDateTime;

use crate::algorithm::{Algorithm, AlgorithmSet, MAX_TAG_LEN};
use crate::date::{instant, parse_http_date_unix, window_end, within_window};
use crate::error::{Error, Malformed, StatusProfile};
use crate::headers::{AUTHORIZATION, DATE, X_DATE};
use crate::keys::{KeyLookup, KeyStatus};
use crate::limits::MAX_SIGNED_HEADERS;
use crate::mac::verify;
use crate::replay::ReplayGuard;
use crate::request::{split, Request, Sent};
use crate::sorted::Params;
use crate::tencent::authorization::Authorization;
use crate::tencent::string_to_sign::{
    EnvironmentPrefix, Mode, PathForm, SignedHeaders, StringToSign,
};
use crate::verification::{policy_setters, public_finish, run, Guard, Phases, Scratch};

/// Longest base64 signature worth decoding: HMAC-SHA512's 64 bytes are 88 characters.
const MAX_SIGNATURE_LEN: usize = MAX_TAG_LEN.div_ceil(3) * 4;

/// The room the base64 decoder asks for to decode [`MAX_SIGNATURE_LEN`] characters.
const DECODE_ROOM: usize = MAX_SIGNATURE_LEN / 4 * 3;

/// Whether a signature mismatch reports the server's string to sign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MismatchDetail {
    /// Only "HMAC signature does not match" (the default).
    #[default]
    Hidden,
    /// Add Tencent's `, Server StringToSign:…` with newlines shown as `#`. A debugging aid: it
    /// tells any caller what the server signed (never a secret or the expected MAC), so leave
    /// it off in production.
    ServerStringToSign,
}

/// Which path forms ([`PathForm`]) app-mode verification accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathForms {
    /// Either (the default): the decoded path first, then, when the path holds a `%`, the path
    /// as sent.
    ///
    /// Accepting both makes some strings stand for two paths: `/a%2Fb` as sent and `/a%252Fb`
    /// decoded are both `/a%2Fb`, so a signature over one verifies on the other. Only paths
    /// that carry `%25` are affected, a replay guard refuses the second use of a signature
    /// whichever path it comes with, and requiring one form ([`PathForms::Decoded`] or
    /// [`PathForms::AsSent`]) removes the ambiguity.
    #[default]
    Either,
    /// Only the decoded path (this crate's signer's default, Tencent's Go demo).
    Decoded,
    /// Only the path as sent (Tencent's Python, JavaScript, Java and PHP demos).
    AsSent,
}

impl PathForms {
    /// The forms to try for `string`, in order (at most two).
    fn candidates(self, string: &StringToSign<'_>) -> [Option<PathForm>; 2] {
        if !string.path_forms_differ() {
            return [Some(PathForm::Decoded), None];
        }
        match self {
            PathForms::Decoded => [Some(PathForm::Decoded), None],
            PathForms::AsSent => [Some(PathForm::AsSent), None],
            PathForms::Either => [Some(PathForm::Decoded), Some(PathForm::AsSent)],
        }
    }
}

/// Everything a [`Verifier`] decides. Build it from [`Policy::default`] and its setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// How far the signed date may lie from `now`, either way. Defaults to 900 seconds.
    pub max_skew: Duration,
    /// The algorithms accepted. Defaults to [`AlgorithmSet::DOCUMENTED`], the four of Tencent's
    /// error table; add `hmac-sm3` with `AlgorithmSet::DOCUMENTED.with(Algorithm::HmacSm3)`.
    pub algorithms: AlgorithmSet,
    /// The status codes errors answer with. Defaults to [`StatusProfile::Classic`].
    pub statuses: StatusProfile,
    /// Whether a leading `/release`, `/prepub` or `/test` segment is left out of the signed path
    /// (app mode). Defaults to [`EnvironmentPrefix::Strip`].
    pub environment_prefix: EnvironmentPrefix,
    /// Whether a mismatch error carries the server's string to sign. Defaults to
    /// [`MismatchDetail::Hidden`].
    pub mismatch_detail: MismatchDetail,
    /// Whether app mode accepts the path signed decoded, as sent, or either. Defaults to
    /// [`PathForms::Either`].
    pub path_forms: PathForms,
}

// `Policy::default().max_skew(Duration::from_secs(300)).path_forms(PathForms::Decoded)`.
policy_setters!(Policy {
    max_skew: Duration,
    algorithms: AlgorithmSet,
    statuses: StatusProfile,
    environment_prefix: EnvironmentPrefix,
    mismatch_detail: MismatchDetail,
    path_forms: PathForms,
});

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_skew: Duration::from_secs(900),
            algorithms: AlgorithmSet::DOCUMENTED,
            statuses: StatusProfile::Classic,
            environment_prefix: EnvironmentPrefix::Strip,
            mismatch_detail: MismatchDetail::Hidden,
            path_forms: PathForms::Either,
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
    algorithm: Algorithm,
    signed_headers: Cow<'r, str>,
    /// The MAC bytes, decoded: the first `algorithm.output_len()` bytes (the length a
    /// matching signature has).
    mac: [u8; DECODE_ROOM],
    /// The last second (Unix time) at which the signature still verifies.
    not_after: i64,
}

impl Verified<'_> {
    /// The verified key id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The algorithm the request was signed with.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The signed header names, in signing order, as the client listed them.
    pub fn signed_headers(&self) -> impl Iterator<Item = &str> {
        split(&self.signed_headers, b' ')
    }

    /// The signature's MAC bytes (decoded from base64): what a
    /// [`ReplayGuard`](crate::replay::ReplayGuard) records.
    pub fn signature(&self) -> &[u8] {
        self.mac
            .get(..self.algorithm.output_len())
            .unwrap_or_default()
    }

    /// The last instant at which this signature still verifies under the verifier's policy:
    /// the signed date plus `max_skew` (the earlier one when `Date` and `X-Date` are both
    /// signed).
    pub fn not_after(&self) -> OffsetDateTime {
        window_end(self.not_after)
    }

    /// The same, owning its text: for keeping it past the request (an `http` adapter's result,
    /// a log line).
    pub fn into_owned(self) -> Verified<'static> {
        Verified {
            key_id: Cow::Owned(self.key_id.into_owned()),
            signed_headers: Cow::Owned(self.signed_headers.into_owned()),
            ..self
        }
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

/// What the first phase of verification ([`Verifier::prepare`]) established: the request is
/// well formed, inside the clock window, and canonicalized (its parameters in the [`Scratch`]
/// the caller lent, `'s`). What is left needs the key: fetch [`key_id`](Self::key_id)'s, then
/// [`Verifier::finish`].
///
/// `Debug` shows the key id, algorithm and window, never the signature.
pub struct Pending<'r, 's> {
    authorization: Authorization<'r>,
    algorithm: Algorithm,
    not_after: i64,
    string_to_sign: StringToSign<'s>,
}

impl Pending<'_, '_> {
    /// The key id the request names: the key to fetch.
    pub fn key_id(&self) -> &str {
        self.authorization.id
    }

    /// The algorithm the request was signed with (one the policy accepts).
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The last instant at which the signature still verifies (see [`Verified::not_after`]).
    pub fn not_after(&self) -> OffsetDateTime {
        window_end(self.not_after)
    }
}

impl fmt::Debug for Pending<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("key_id", &self.key_id())
            .field("algorithm", &self.algorithm)
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
pub type Verifier = crate::verification::Verifier<Policy>;

impl Verifier {
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
        self.verify_with(mode, request, keys, None, now)
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
        // `&G` is a sized guard for any `G`, so it makes a trait object.
        self.verify_with(mode, request, keys, Some(&guard), now)
    }

    /// Phase one of a verification in two steps, for a key store that answers asynchronously:
    /// every check that needs no key, in the order of the module documentation, with the
    /// request's parameters kept in `scratch`. Fetch the key [`Pending::key_id`] names, then call
    /// [`finish`](Self::finish). Allocates nothing. See [`verification`](crate::verification)
    /// for an example.
    ///
    /// # Errors
    ///
    /// The first failed check before the key's.
    pub fn prepare<'r: 's, 's>(
        &self,
        mode: Mode,
        request: &Request<'r>,
        now: OffsetDateTime,
        scratch: &'s mut Scratch<'r>,
    ) -> Result<Pending<'r, 's>, Error> {
        Phases::prepare(self, (mode, *request), now, scratch)
    }

    public_finish! {
        /// Phase two: the key's status (what the store said about [`Pending::key_id`]), then the
        /// signature and `Content-MD5`. With [`prepare`](Self::prepare) it is exactly
        /// [`verify`](Self::verify); a replay guard, if any, is the caller's to consult afterwards
        /// (with [`Verified::signature`] and [`Verified::not_after`]).
        ///
        /// # Errors
        ///
        /// [`Error::KeyRejected`] or [`Error::SignatureMismatch`].
    }

    /// The one path of [`verify`](Self::verify) and [`verify_once`](Self::verify_once) (and of
    /// the gateway and the adapters): the request's checks, the key's, then the guard's when
    /// there is one.
    pub(crate) fn verify_with<'r>(
        &self,
        mode: Mode,
        request: &Request<'r>,
        keys: &(impl KeyLookup + ?Sized),
        guard: Option<&dyn ReplayGuard>,
        now: OffsetDateTime,
    ) -> Result<Verified<'r>, Error> {
        run(self, (mode, *request), keys, guard, now)
    }

    /// The clock window: each signed date parses and lies within `max_skew` of `now`. Returns
    /// the last second the signature verifies (the earlier date's, when two are signed).
    fn window(
        &self,
        dates: [Option<(usize, &'static str)>; 2],
        headers: &SignedHeaders<'_>,
        now: OffsetDateTime,
    ) -> Result<i64, Error> {
        let max_skew = self.policy().max_skew.as_secs();
        let now_unix = now.unix_timestamp();
        let mut parsed = [None; 2];
        for (slot, (position, header)) in parsed.iter_mut().zip(dates.iter().flatten()) {
            let value = headers.value_at(*position);
            let date = parse_http_date_unix(value, now).ok_or(Error::InvalidDate { header })?;
            *slot = Some((*header, date));
        }
        let mut not_after = i64::MAX;
        for (header, date) in parsed.into_iter().flatten() {
            if !within_window(date, now_unix, max_skew) {
                let date = instant(date);
                return Err(Error::DateOutOfWindow { header, date, now });
            }
            not_after = not_after.min(date.checked_add_unsigned(max_skew).unwrap_or(i64::MAX));
        }
        Ok(not_after)
    }

    /// The request canonicalized (the shared step of [`prepare`](Self::prepare) and
    /// [`explain`](Self::explain)).
    fn string_to_sign<'r, 's>(
        &self,
        mode: Mode,
        headers: SignedHeaders<'s>,
        request: &Request<'r>,
        params: &'s mut Params<'r>,
    ) -> Result<StringToSign<'s>, Error> {
        StringToSign::new(
            mode,
            headers,
            request,
            self.policy().environment_prefix,
            params,
        )
        .map_err(|e| e.for_verifier())
    }

    /// The string the server signs for `request` in `mode`, as text: what `--explain` prints.
    /// It is built whatever the algorithm and the clock say. Where the policy accepts two path
    /// forms ([`PathForms`]), the first it tries.
    ///
    /// # Errors
    ///
    /// When the request gets no string to sign: its `Authorization` header is missing or
    /// malformed, or a listed header is missing or repeated, or the request does not
    /// canonicalize.
    pub fn explain(&self, mode: Mode, request: &Request<'_>) -> Result<String, Error> {
        let authorization = authorization(request)?;
        let Scratch { params, positions } = &mut Scratch::default();
        let headers = signed_headers(&authorization, request, positions)?;
        let string = self.string_to_sign(mode, headers, request, params)?;
        let form = self.policy().path_forms.candidates(&string)[0].unwrap_or_default();
        Ok(string.with_path_form(form).to_string())
    }
}

impl Phases for Verifier {
    type Input<'r> = (Mode, Request<'r>);
    type Pending<'r, 's> = Pending<'r, 's>;
    type Verified<'r> = Verified<'r>;

    /// Phase one: every check that needs no key, in the spec's order; the request's
    /// parameters and the signed headers' positions kept in `scratch`.
    #[inline]
    fn prepare<'r: 's, 's>(
        &self,
        (mode, request): (Mode, Request<'r>),
        now: OffsetDateTime,
        scratch: &'s mut Scratch<'r>,
    ) -> Result<Pending<'r, 's>, Error> {
        let request = &request;
        let Scratch { params, positions } = scratch;
        let authorization = authorization(request)?;
        let algorithm = Algorithm::from_name(authorization.algorithm)
            .filter(|a| self.policy().algorithms.contains(*a))
            .ok_or_else(|| Error::AlgorithmNotSupported {
                algorithm: authorization.algorithm.to_owned(),
            })?;
        let dates = signed_dates(mode, &authorization)?;
        let headers = signed_headers(&authorization, request, positions)?;
        let not_after = self.window(dates, &headers, now)?;
        let string_to_sign = self.string_to_sign(mode, headers, request, params)?;
        Ok(Pending {
            authorization,
            algorithm,
            not_after,
            string_to_sign,
        })
    }

    fn key_id<'p>(pending: &'p Pending<'_, '_>) -> &'p str {
        pending.authorization.id
    }

    /// Phase two: the key's status and secrets, then the signature and `Content-MD5`.
    fn finish<'r>(
        &self,
        &Pending {
            ref authorization,
            algorithm,
            not_after,
            ref string_to_sign,
        }: &Self::Pending<'r, '_>,
        key: KeyStatus<'_>,
        guard: Guard<'_>,
    ) -> Result<Self::Verified<'r>, Error> {
        let secrets = key
            .secrets_for(algorithm)
            .map_err(|reason| Error::KeyRejected {
                key_id: authorization.id.to_owned(),
                reason,
            })?;
        let mut mac = [0u8; DECODE_ROOM];
        let mac_len = decode_signature(authorization.signature, &mut mac);
        let tag = mac_len.and_then(|len| mac.get(..len));
        let forms = self.policy().path_forms.candidates(string_to_sign);
        let signs = |string: &StringToSign<'_>, tag: &[u8]| {
            secrets
                .iter()
                .any(|secret| verify(algorithm, secret.key(), string, tag))
        };
        let matched = tag.is_some_and(|tag| {
            forms.into_iter().flatten().any(|form| match form {
                // As prepared: no copy on the common path.
                PathForm::Decoded => signs(string_to_sign, tag),
                form => signs(&string_to_sign.clone().with_path_form(form), tag),
            })
        });
        if !matched || !string_to_sign.content_md5_header_agrees() {
            let server_string_to_sign = match self.policy().mismatch_detail {
                MismatchDetail::Hidden => None,
                MismatchDetail::ServerStringToSign => Some(
                    string_to_sign
                        .clone()
                        .with_path_form(forms[0].unwrap_or_default())
                        .to_hash_separated(),
                ),
            };
            return Err(Error::SignatureMismatch {
                server_string_to_sign,
            });
        }
        let signature = mac.get(..algorithm.output_len()).unwrap_or_default();
        guard.record(authorization.id, signature, not_after)?;
        Ok(Verified {
            key_id: Cow::Borrowed(authorization.id),
            algorithm,
            signed_headers: Cow::Borrowed(authorization.headers),
            mac,
            not_after,
        })
    }
}

/// The request's single `Authorization` header, parsed.
fn authorization<'r>(request: &Request<'r>) -> Result<Authorization<'r>, Error> {
    let value = match request.find(AUTHORIZATION).single() {
        Ok(Some(value)) if !value.iter().all(|&b| b == b' ' || b == b'\t') => value,
        Ok(_) => return Err(Error::MissingAuthorization),
        Err(_) => {
            return Err(Error::MalformedAuthorization {
                reason: Malformed::Repeated,
            })
        }
    };
    let value = core::str::from_utf8(value).map_err(|_| Error::MalformedAuthorization {
        reason: Malformed::NotText,
    })?;
    Authorization::parse(value)
}

/// The headers `authorization` lists, as the request has them.
fn signed_headers<'r: 's, 's>(
    authorization: &Authorization<'r>,
    request: &Request<'r>,
    positions: &'s mut [u16; MAX_SIGNED_HEADERS],
) -> Result<SignedHeaders<'s>, Error> {
    let sent = Sent::new(request.headers(), &[])?;
    SignedHeaders::new(authorization.headers, sent, positions).map_err(|e| e.for_verifier())
}

/// The signed date headers to check (`x-date`, `date`), or the error when the mode's date
/// header is not signed. Key-pair mode takes either; app mode requires `x-date`.
fn signed_dates(
    mode: Mode,
    authorization: &Authorization<'_>,
) -> Result<[Option<(usize, &'static str)>; 2], Error> {
    let mut dates = [None; 2];
    for (position, name) in authorization.header_names().enumerate() {
        if name.eq_ignore_ascii_case(X_DATE) {
            dates[0] = Some((position, X_DATE));
        } else if name.eq_ignore_ascii_case(DATE) {
            dates[1] = Some((position, DATE));
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

/// Decodes the signature into `buf` and returns its length; `None` (a mismatch) when the text
/// is not canonical padded base64 of at most [`MAX_TAG_LEN`] bytes.
fn decode_signature(signature: &str, buf: &mut [u8; DECODE_ROOM]) -> Option<usize> {
    if signature.len() > MAX_SIGNATURE_LEN {
        return None;
    }
    STANDARD.decode_slice(signature, buf).ok()
}
