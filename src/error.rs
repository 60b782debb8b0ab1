//! The crate's one error type, with the vendors' exact messages, statuses and codes.
//!
//! Baidu's seed table lists seven codes, but its rows 5–7 are rotated: each of
//! `SignatureTimestampInvalid`, `SignatureTimestampExpired` and `SignatureMismatch` sits beside
//! the next row's message (`SignatureTimestampExpired` reads "signature is mismatched"). The
//! crate pairs each code with the message its name describes: `SignatureTimestampInvalid` →
//! "timestamp is invalid", `SignatureTimestampExpired` → "timestamp is expired",
//! `SignatureMismatch` → "signature is mismatched".
//!
//! Every variant is one documented condition. [`Error::status`], [`Error::code`] and the message
//! (`Display`) are total matches below; `tests/error_table.rs` pins each variant against the
//! spec's table (the replay errors, the crate's own, in `tests/replay.rs`). Values behind a failure (a header name, an algorithm, dates) are carried in
//! fields; secrets and expected MACs never are.

use core::fmt;

use time::OffsetDateTime;

use crate::request::{Protocol, RequestError};

/// Which status codes Tencent authentication errors answer with.
///
/// Routing errors (404, 429) and "Found no validate usage plan" (403) are the same in both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusProfile {
    /// The seed's table: 401 only for a missing `Authorization`, 403 for every other
    /// authentication error. The default.
    #[default]
    Classic,
    /// Tencent's newer table (as Kong ≥ 1.1): 401 for every authentication error.
    Current,
}

/// Why an `Authorization: hmac …` header did not parse. Not part of the message (which is fixed
/// by the vendor); kept for debugging.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformed {
    /// Longer than [`MAX_AUTHORIZATION_LEN`](crate::limits::MAX_AUTHORIZATION_LEN).
    TooLong,
    /// More than one `Authorization` header.
    Repeated,
    /// The value is not text (not UTF-8).
    NotText,
    /// The scheme is not `hmac`, or no parameters follow it.
    Scheme,
    /// A parameter is not `name="value"`, or parameters are not separated by `,`.
    Syntax,
    /// A quoted value has no closing quote.
    UnterminatedQuote,
    /// A quoted value holds a control character.
    ControlCharacter,
    /// A parameter appears twice.
    RepeatedParameter,
    /// No `algorithm` parameter.
    MissingAlgorithm,
    /// No `headers` parameter.
    MissingHeaders,
    /// `headers=""`.
    EmptyHeaders,
    /// An empty name in `headers` (a leading, trailing or doubled space).
    EmptyHeaderName,
    /// More names in `headers` than [`MAX_SIGNED_HEADERS`](crate::limits::MAX_SIGNED_HEADERS).
    TooManyHeaders,
}

/// Why a key id did not authenticate. The message is always "HMAC signature cannot be
/// verified"; this reason is for the server's logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyRejection {
    /// No such key id.
    Unknown,
    /// The key is disabled.
    Disabled,
    /// The key is pinned to another algorithm than the request's.
    AlgorithmPinned,
    /// The key is active but has no secret.
    NoSecret,
    /// The key is in no usage plan bound to the request's environment.
    NotBound,
}

/// Why a BCE auth string or its signed headers are `SignatureFormatInvalid`. Not part of the
/// message; kept for debugging.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BceFormat {
    /// Longer than [`MAX_AUTHORIZATION_LEN`](crate::limits::MAX_AUTHORIZATION_LEN), or not text.
    TooLong,
    /// Not `bce-auth-v1` followed by exactly five more `/`-separated fields.
    Shape,
    /// An empty access key id.
    EmptyKeyId,
    /// The expiration is not a decimal number of seconds.
    Expiration,
    /// The signature is not 64 lower-case hex digits.
    Signature,
    /// An empty or non-token name in the signed-header list, or too many names.
    SignedHeaders,
    /// An explicit signed-header list without `host`.
    HostNotSigned,
    /// A listed header is not in the request.
    MissingHeader,
    /// A signed header appears more than once in the request.
    RepeatedHeader,
    /// The carrier (header or query parameter) appears more than once.
    RepeatedCarrier,
    /// More headers by signed names than
    /// [`MAX_SIGNED_HEADERS`](crate::limits::MAX_SIGNED_HEADERS), those with an empty value
    /// (which are not signed) included.
    TooManyHeaders,
    /// `X-Bce-Signature: AppCode/…` where a signature was expected, or the reverse.
    WrongCarrier,
}

/// Why a BCE timestamp is `SignatureTimestampInvalid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BceTimestamp {
    /// The auth string's timestamp is not `yyyy-mm-ddThh:mm:ssZ`.
    Unparsable,
    /// The expiration is longer than the verifier's cap.
    ExpirationOverCap,
    /// The signed `x-bce-date` header is not `yyyy-mm-ddThh:mm:ssZ`.
    DateHeaderUnparsable,
}

/// Every way signing or verifying can fail.
///
/// The message (`Display`) is the vendor's, byte for byte; [`status`](Error::status) and
/// [`code`](Error::code) give the HTTP status and a stable name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request has no `Authorization` header (or an empty one).
    #[error("HMAC signature cannot be verified, a validate authorization header is required")]
    MissingAuthorization,
    /// The `Authorization` header does not parse.
    #[error("authorization headers is invalidate")]
    MalformedAuthorization {
        /// What is wrong with it.
        reason: Malformed,
    },
    /// `id` or `signature` is absent or empty.
    #[error("id or signature missing")]
    IdOrSignatureMissing,
    /// A header listed in `headers` is not in the request.
    #[error("HMAC signature cannot be verified, a valid {name} header is required")]
    MissingSignedHeader {
        /// The name as listed.
        name: String,
    },
    /// Neither `date` nor `x-date` is signed (app mode: `x-date` is not signed).
    #[error("HMAC signature cannot be verified, a valid date header is required")]
    DateNotSigned,
    /// The signed date header does not parse as an HTTP date.
    #[error("HMAC signature cannot be verified, a valid {header} header is required for HMAC Authentication")]
    InvalidDate {
        /// `x-date` or `date`.
        header: &'static str,
    },
    /// The signed date lies outside the clock window.
    #[error("HMAC signature cannot be verified, the {header} header is out of date for HMAC Authentication")]
    DateOutOfWindow {
        /// `x-date` or `date`.
        header: &'static str,
        /// The date the request carries.
        date: OffsetDateTime,
        /// The verifier's `now`.
        now: OffsetDateTime,
    },
    /// The algorithm is unknown or not allowed by the policy.
    #[error("HMAC algorithm {algorithm} not supported")]
    AlgorithmNotSupported {
        /// The algorithm as the request names it.
        algorithm: String,
    },
    /// A signed header appears more than once.
    #[error("HMAC do not support multiple HTTP header")]
    RepeatedHeader {
        /// The header's name.
        name: String,
    },
    /// The API needs authentication but its environment is bound to no usage plan.
    #[error("Found no validate usage plan")]
    NoUsagePlan,
    /// The key id is unknown, disabled, pinned to another algorithm or not bound to the
    /// environment.
    #[error("HMAC signature cannot be verified")]
    KeyRejected {
        /// The key id the request names.
        key_id: String,
        /// Why it was rejected (not part of the message).
        reason: KeyRejection,
    },
    /// The signature (or the `Content-MD5` header) does not match.
    #[error("{}", mismatch_message(server_string_to_sign.as_deref()))]
    SignatureMismatch {
        /// The server's string to sign with newlines shown as `#`, only when the policy's
        /// opt-in debugging switch is on (Tencent's `Server StringToSign`).
        server_string_to_sign: Option<String>,
    },
    /// The request has no `Host` header.
    #[error("Not Found Host")]
    HostNotFound,
    /// The `Host` header is empty, repeated or not text.
    #[error("Get Host Fail")]
    HostUnusable,
    /// The method is not one the gateway supports.
    #[error("Could not support method")]
    MethodNotSupported,
    /// No service has this host.
    #[error("There is no api match host[{host}]")]
    NoApiForHost {
        /// The `Host` value.
        host: String,
    },
    /// Custom domain: no environment mapping for the path's first segment.
    #[error("There is no api match env_mapping[{mapping}]")]
    NoEnvMapping {
        /// The first path segment.
        mapping: String,
    },
    /// Default domain: the first path segment is not `test`, `prepub` or `release`.
    #[error("There is no api match default env_mapping[{mapping}]")]
    NoDefaultEnvMapping {
        /// The first path segment.
        mapping: String,
    },
    /// No API of the service matches the path.
    #[error("There is no api match uri[{uri}]")]
    NoApiForUri {
        /// The path without its environment part.
        uri: String,
    },
    /// The API does not allow the method.
    #[error("There is no api match method[{method}]")]
    NoApiForMethod {
        /// The request method.
        method: String,
    },
    /// The API does not allow the protocol.
    #[error("Not allow use {} protocol", protocol.name())]
    ProtocolNotAllowed {
        /// The request's protocol.
        protocol: Protocol,
    },
    /// A cross-origin request to an API without CORS.
    #[error("req is cross origin, api {uri} need open cors flag on qcloud apigateway.")]
    CrossOrigin {
        /// The path without its environment part.
        uri: String,
    },
    /// BCE `EmptySignature`: the carrier is absent or empty.
    #[error("Signature is empty")]
    BceEmptySignature,
    /// BCE `SignatureFormatInvalid`: the auth string or the signed headers are malformed.
    #[error("Signature is invalid: invalid signature format.")]
    BceSignatureFormatInvalid {
        /// What is wrong (not part of the message).
        reason: BceFormat,
    },
    /// BCE `SignatureAppInvalid`: the access key or AppCode is unknown or disabled.
    #[error("Signature is invalid: app key is invalid.")]
    BceSignatureAppInvalid {
        /// The access key id (not the AppCode, which is a secret).
        key_id: Option<String>,
        /// Why it was rejected (not part of the message).
        reason: KeyRejection,
    },
    /// BCE `RequestTimeTooSkewed`: signed too far in the future.
    #[error("The difference between the request time and the server's time is too large.")]
    BceRequestTimeTooSkewed {
        /// The signing time (or the `x-bce-date`) the request carries.
        timestamp: OffsetDateTime,
        /// The verifier's `now`.
        now: OffsetDateTime,
    },
    /// BCE `SignatureTimestampInvalid`.
    #[error("Signature is invalid: timestamp is invalid.")]
    BceSignatureTimestampInvalid {
        /// What is wrong (not part of the message).
        reason: BceTimestamp,
    },
    /// BCE `SignatureTimestampExpired`: `now` is past the timestamp plus the expiration.
    #[error("Signature is invalid: timestamp is expired.")]
    BceSignatureTimestampExpired {
        /// The signing time.
        timestamp: OffsetDateTime,
        /// The expiration period, in seconds.
        expiration: u64,
        /// The verifier's `now`.
        now: OffsetDateTime,
    },
    /// BCE `SignatureMismatch`: the signature differs.
    #[error("Signature is invalid: signature is mismatched.")]
    BceSignatureMismatch {
        /// The server's canonical request, only when the policy's debugging switch is on.
        server_canonical_request: Option<String>,
    },
    /// `X-Bce-Stage` is not `release`, `pre-online` or `test` (not one of the seven codes).
    #[error("Invalid X-Bce-Stage: expected release, pre-online or test")]
    BceInvalidStage {
        /// The value sent.
        stage: String,
    },
    /// The request cannot be canonicalized (not one of the vendor's rows). The message carries
    /// the [`RequestError`]; it is not repeated as [`source`](std::error::Error::source).
    #[error("invalid request: {0}")]
    InvalidRequest(RequestError),
    /// The replay guard refused the signature: it was already used and could still verify (or
    /// its window had passed by the guard's clock). From `verify_once` of either scheme. Not a
    /// vendor row: the message and code are the crate's own; the status is that of the other
    /// Tencent authentication errors (403 Classic, 401 Current), and the body is Tencent's
    /// `{"message"}` shape for BCE too.
    #[error("the signature was already used")]
    SignatureReplayed {
        /// The verified key id (never an AppCode: AppCodes are not guarded).
        key_id: String,
    },
    /// The replay guard refused to record the signature because its window reaches further
    /// ahead than the guard keeps entries (a BCE expiration longer than the guard's
    /// `max_window`): the client signs with a shorter expiration. Not a vendor row: the crate's
    /// own message and code, the status of the other authentication errors, Tencent's
    /// `{"message"}` body.
    #[error("the signature's window is longer than the replay guard keeps signatures")]
    SignatureWindowTooLong {
        /// The verified key id.
        key_id: String,
    },
    /// The replay guard is full (or the key's share of it is): every recorded signature could
    /// still verify, and it refuses a new one rather than forget one. Not a vendor row: the crate's own message and code, 503
    /// (the server is out of room, not the request at fault), Tencent's `{"message"}` body.
    #[error("the replay cache is full, try again later")]
    ReplayCacheFull,
    /// The replay guard could not decide (its store unreachable, its state unusable) and
    /// refused the request. Not a vendor row: the crate's own message and code, 503,
    /// Tencent's `{"message"}` body.
    #[error("the replay guard is unavailable, try again later")]
    ReplayGuardUnavailable,
    /// The key store could not answer (an asynchronous key source: its database or secrets
    /// service unreachable) and the request was refused, not treated as an unknown key. Not a
    /// vendor row: the crate's own message and code, 503, Tencent's `{"message"}` body.
    #[error("the key store is unavailable, try again later")]
    KeySourceUnavailable,
}

/// [`Error::retry_after`] of [`Error::ReplayCacheFull`]: 60 seconds.
pub const REPLAY_FULL_RETRY_AFTER: u32 = 60;

fn mismatch_message(server_string_to_sign: Option<&str>) -> String {
    match server_string_to_sign {
        None => "HMAC signature does not match".to_owned(),
        Some(s) => format!("HMAC signature does not match, Server StringToSign:{s}"),
    }
}

impl From<RequestError> for Error {
    fn from(error: RequestError) -> Self {
        Error::InvalidRequest(error)
    }
}

impl Error {
    /// The HTTP status this error answers with under `profile`.
    pub const fn status(&self, profile: StatusProfile) -> u16 {
        let auth = match profile {
            StatusProfile::Classic => 403,
            StatusProfile::Current => 401,
        };
        match self {
            Error::MissingAuthorization => 401,
            Error::MalformedAuthorization { .. }
            | Error::IdOrSignatureMissing
            | Error::MissingSignedHeader { .. }
            | Error::DateNotSigned
            | Error::InvalidDate { .. }
            | Error::DateOutOfWindow { .. }
            | Error::AlgorithmNotSupported { .. }
            | Error::RepeatedHeader { .. }
            | Error::KeyRejected { .. }
            | Error::SignatureMismatch { .. } => auth,
            Error::NoUsagePlan => 403,
            Error::HostNotFound
            | Error::HostUnusable
            | Error::MethodNotSupported
            | Error::NoApiForHost { .. }
            | Error::NoEnvMapping { .. }
            | Error::NoDefaultEnvMapping { .. }
            | Error::NoApiForUri { .. }
            | Error::NoApiForMethod { .. }
            | Error::ProtocolNotAllowed { .. } => 404,
            Error::CrossOrigin { .. } => 429,
            Error::BceEmptySignature
            | Error::BceSignatureFormatInvalid { .. }
            | Error::BceSignatureAppInvalid { .. }
            | Error::BceSignatureTimestampInvalid { .. }
            | Error::BceSignatureTimestampExpired { .. }
            | Error::BceSignatureMismatch { .. }
            | Error::BceInvalidStage { .. } => 400,
            Error::BceRequestTimeTooSkewed { .. } => 403,
            Error::InvalidRequest(_) => 400,
            Error::SignatureReplayed { .. } | Error::SignatureWindowTooLong { .. } => auth,
            Error::ReplayCacheFull
            | Error::ReplayGuardUnavailable
            | Error::KeySourceUnavailable => 503,
        }
    }

    /// For the errors that answer 503 (the server cannot decide now, the request is not at
    /// fault): how many seconds a client should wait before it retries, for a `Retry-After`
    /// header; `None` for every other error. A retried request must be signed afresh (a
    /// replay guard refuses the same signature once it is recorded).
    ///
    /// One second for a guard or key store that could not answer (a passing outage); for a
    /// full replay guard, [`REPLAY_FULL_RETRY_AFTER`] (room opens only as recorded signatures'
    /// windows end).
    pub const fn retry_after(&self) -> Option<u32> {
        match self {
            Error::ReplayGuardUnavailable | Error::KeySourceUnavailable => Some(1),
            Error::ReplayCacheFull => Some(REPLAY_FULL_RETRY_AFTER),
            _ => None,
        }
    }

    /// The key id the error is about, when it names one (a rejected key, a replayed
    /// signature); never an AppCode.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Error::KeyRejected { key_id, .. }
            | Error::SignatureReplayed { key_id }
            | Error::SignatureWindowTooLong { key_id } => Some(key_id),
            Error::BceSignatureAppInvalid { key_id, .. } => key_id.as_deref(),
            _ => None,
        }
    }

    /// A stable name for the condition: the variant's name.
    pub const fn code(&self) -> &'static str {
        match self {
            Error::MissingAuthorization => "MissingAuthorization",
            Error::MalformedAuthorization { .. } => "MalformedAuthorization",
            Error::IdOrSignatureMissing => "IdOrSignatureMissing",
            Error::MissingSignedHeader { .. } => "MissingSignedHeader",
            Error::DateNotSigned => "DateNotSigned",
            Error::InvalidDate { .. } => "InvalidDate",
            Error::DateOutOfWindow { .. } => "DateOutOfWindow",
            Error::AlgorithmNotSupported { .. } => "AlgorithmNotSupported",
            Error::RepeatedHeader { .. } => "RepeatedHeader",
            Error::NoUsagePlan => "NoUsagePlan",
            Error::KeyRejected { .. } => "KeyRejected",
            Error::SignatureMismatch { .. } => "SignatureMismatch",
            Error::HostNotFound => "HostNotFound",
            Error::HostUnusable => "HostUnusable",
            Error::MethodNotSupported => "MethodNotSupported",
            Error::NoApiForHost { .. } => "NoApiForHost",
            Error::NoEnvMapping { .. } => "NoEnvMapping",
            Error::NoDefaultEnvMapping { .. } => "NoDefaultEnvMapping",
            Error::NoApiForUri { .. } => "NoApiForUri",
            Error::NoApiForMethod { .. } => "NoApiForMethod",
            Error::ProtocolNotAllowed { .. } => "ProtocolNotAllowed",
            Error::CrossOrigin { .. } => "CrossOrigin",
            Error::BceEmptySignature => "EmptySignature",
            Error::BceSignatureFormatInvalid { .. } => "SignatureFormatInvalid",
            Error::BceSignatureAppInvalid { .. } => "SignatureAppInvalid",
            Error::BceRequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            Error::BceSignatureTimestampInvalid { .. } => "SignatureTimestampInvalid",
            Error::BceSignatureTimestampExpired { .. } => "SignatureTimestampExpired",
            Error::BceSignatureMismatch { .. } => "SignatureMismatch",
            Error::BceInvalidStage { .. } => "InvalidStage",
            Error::InvalidRequest(_) => "InvalidRequest",
            Error::SignatureReplayed { .. } => "SignatureReplayed",
            Error::SignatureWindowTooLong { .. } => "SignatureWindowTooLong",
            Error::ReplayCacheFull => "ReplayCacheFull",
            Error::ReplayGuardUnavailable => "ReplayGuardUnavailable",
            Error::KeySourceUnavailable => "KeySourceUnavailable",
        }
    }

    /// Whether this is one of Baidu AI Cloud's errors (its body carries a `code`).
    pub const fn is_bce(&self) -> bool {
        matches!(
            self,
            Error::BceEmptySignature
                | Error::BceSignatureFormatInvalid { .. }
                | Error::BceSignatureAppInvalid { .. }
                | Error::BceRequestTimeTooSkewed { .. }
                | Error::BceSignatureTimestampInvalid { .. }
                | Error::BceSignatureTimestampExpired { .. }
                | Error::BceSignatureMismatch { .. }
                | Error::BceInvalidStage { .. }
        )
    }

    /// The response body the vendor sends, with an empty `requestId` for BCE errors; see
    /// [`json_body_with_request_id`](Error::json_body_with_request_id).
    ///
    /// ```
    /// assert_eq!(apigw_sign::Error::NoUsagePlan.json_body(), r#"{"message":"Found no validate usage plan"}"#);
    /// ```
    pub fn json_body(&self) -> String {
        self.json_body_with_request_id("")
    }

    /// The response body the vendor sends: Tencent's `{"message":"…"}`, or BCE's
    /// `{"code":"…","message":"…","requestId":"…"}` with the caller's request id (the crate does
    /// no I/O and makes no ids; a gateway assigns one per request).
    ///
    /// ```
    /// let body = apigw_sign::Error::BceEmptySignature.json_body_with_request_id("b1f3");
    /// assert_eq!(body, r#"{"code":"EmptySignature","message":"Signature is empty","requestId":"b1f3"}"#);
    /// ```
    pub fn json_body_with_request_id(&self, request_id: &str) -> String {
        let mut body = String::from("{");
        if self.is_bce() {
            body.push_str("\"code\":");
            push_json_string(&mut body, self.code());
            body.push(',');
        }
        body.push_str("\"message\":");
        push_json_string(&mut body, &self.to_string());
        if self.is_bce() {
            body.push_str(",\"requestId\":");
            push_json_string(&mut body, request_id);
        }
        body.push('}');
        body
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    use fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_request_says_its_cause_once() {
        let e = Error::from(RequestError::InvalidTarget);
        assert_eq!(
            e.to_string(),
            "invalid request: the request target is not an origin-form target (/path?query)"
        );
        // A report that prints the chain (anyhow, eyre) shows the cause once.
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn json_escapes() {
        let e = Error::NoApiForHost {
            host: "a\"b\\c\u{1}".into(),
        };
        assert_eq!(
            e.json_body(),
            r#"{"message":"There is no api match host[a\"b\\c\u0001]"}"#
        );
    }

    #[test]
    fn mismatch_message_with_and_without_detail() {
        let plain = Error::SignatureMismatch {
            server_string_to_sign: None,
        };
        assert_eq!(plain.to_string(), "HMAC signature does not match");
        let detail = Error::SignatureMismatch {
            server_string_to_sign: Some("a#b".into()),
        };
        assert_eq!(
            detail.to_string(),
            "HMAC signature does not match, Server StringToSign:a#b"
        );
    }
}
