//! Bounds on every input the crate parses.
//!
//! Each limit is checked before the crate loops over or allocates for the input it bounds, and
//! exceeding it is a typed error rather than a slow request or a large allocation.

/// Longest `Authorization` header value the Tencent parser accepts, in bytes (after trimming).
///
/// Longer values are rejected as a malformed header
/// ([`Malformed::TooLong`](crate::Malformed::TooLong)).
pub const MAX_AUTHORIZATION_LEN: usize = 4096;

/// Most header names one signature may cover; for BCE, also the most headers by signed names
/// one request may carry, those with an empty value included (left out of the signature, they
/// still count: the `bce` module's decisions say why).
///
/// More are rejected as a malformed header
/// ([`Malformed::TooManyHeaders`](crate::Malformed::TooManyHeaders)) by the Tencent verifier, as
/// [`BceFormat::TooManyHeaders`](crate::BceFormat::TooManyHeaders) by the BCE verifier, and as
/// [`RequestError::TooManySignedHeaders`](crate::RequestError::TooManySignedHeaders) by the signers.
pub const MAX_SIGNED_HEADERS: usize = 32;

/// Most query plus form parameters one request may carry.
///
/// More are rejected as [`RequestError::TooManyParameters`](crate::RequestError::TooManyParameters).
pub const MAX_PARAMETERS: usize = 256;

/// Longest value of a header that takes part in a signature, in bytes.
///
/// Longer values are rejected as [`RequestError::HeaderValueTooLong`](crate::RequestError::HeaderValueTooLong).
pub const MAX_HEADER_VALUE_LEN: usize = 8192;

/// Longest request target (`/path?query`) the crate canonicalizes, in bytes.
///
/// Longer targets are rejected as [`RequestError::TargetTooLong`](crate::RequestError::TargetTooLong).
pub const MAX_TARGET_LEN: usize = 16 * 1024;

/// Largest body the Tencent app-mode verifier or signer hashes for `Content-MD5`, in bytes
/// (64 MiB). Larger bodies are rejected as
/// [`RequestError::BodyTooLarge`](crate::RequestError::BodyTooLarge); to accept larger uploads,
/// verify the request [`without_body`](crate::Request::without_body) (the `Content-MD5` header
/// is then trusted) and check the body's digest as you stream it.
pub const MAX_DIGEST_BODY_LEN: usize = 64 * 1024 * 1024;

/// Largest form body (`application/x-www-form-urlencoded`) whose parameters are signed, in bytes.
///
/// Larger form bodies are rejected as [`RequestError::BodyTooLarge`](crate::RequestError::BodyTooLarge).
pub const MAX_FORM_BODY_LEN: usize = 1024 * 1024;

// Working buffers: sizes the crate chooses, not bounds on the input.

/// Bytes of parameter text that must be rewritten to be canonical (decoded for Tencent,
/// re-encoded for BCE) kept on the stack while a string to sign is built; more move to the
/// heap (one allocation). Text that is canonical where it stands is borrowed, not rewritten.
/// The list of parameters itself always fits on the stack: [`MAX_PARAMETERS`] items.
pub(crate) const INLINE_PARAM_TEXT: usize = 1024;
