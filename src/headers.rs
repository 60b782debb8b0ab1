//! The names of the headers the schemes read and write, lower case (as HTTP/2 sends them and as
//! `http::HeaderName::from_static` takes them). With the `http` feature,
//! [`http`](crate::http) has each as an `http::HeaderName` too.
//!
//! Header names are case-insensitive; the signers' [`headers`](crate::tencent::Signature::headers)
//! methods write them in the vendors' documented Title-Case, which is the same header.

/// Tencent's signed date header (app mode requires it).
pub const X_DATE: &str = "x-date";
/// The HTTP date header (Tencent key-pair mode may sign it instead of `X-Date`).
pub const DATE: &str = "date";
/// Tencent's default extra signed header.
pub const SOURCE: &str = "source";
/// Tencent app mode's body digest (base64 of the hex MD5).
pub const CONTENT_MD5: &str = "content-md5";
/// The header Tencent's signature and BCE's auth string travel in.
pub const AUTHORIZATION: &str = "authorization";
/// BCE's signing time, when the signer adds it.
pub const X_BCE_DATE: &str = "x-bce-date";
/// BCE API Gateway's carrier of the auth string or an AppCode.
pub const X_BCE_SIGNATURE: &str = "x-bce-signature";
/// BCE API Gateway's stage (`RELEASE`, `TEST`, …).
pub const X_BCE_STAGE: &str = "x-bce-stage";
