//! Tencent Cloud API Gateway HMAC authentication, key-pair and app modes.
//!
//! - [`Authorization`]: the `hmac id="…", algorithm="…", headers="…", signature="…"` header.
//! - the string to sign (`string_to_sign.rs`): the canonical string, for both [`Mode`]s, shared
//!   by signer and verifier; [`Signer::explain`] and [`Verifier::explain`] show it.
//! - [`Signer`]: the client side; [`Verifier`] with its [`Policy`]: the server side.
//!
//! # Decisions where Tencent's documents are ambiguous
//!
//! - Values are signed decoded (raw UTF-8) and percent-encoded only on the wire. In a query `+`
//!   is a literal plus; in a form body it is a space. The signer escapes all but `A-Z a-z 0-9 -
//!   . _ ~`. A broken `%` escape or invalid UTF-8 after decoding is
//!   [`RequestError`](crate::RequestError), never a panic.
//! - Parameters sort by decoded key, then decoded value (byte order); an empty value is signed
//!   as the bare key; empty `&&` items carry no parameter.
//! - `Content-MD5` is base64 of the lower-case *hex* MD5 of the body (44 characters), empty for
//!   no body or a form body. The signer sends it as a header; the verifier recomputes it from the
//!   body and rejects a disagreeing header as a mismatch. A request given
//!   [`without_body`](crate::Request::without_body) is verified against the header instead.
//! - The signed date header is always checked against the window, `Date` as well as `X-Date`
//!   (Tencent checks only `X-Date`). App mode requires `x-date` among the signed headers.
//! - `Accept`, `Content-Type` and `Content-MD5`, which app mode signs implicitly, must not be
//!   repeated either ("HMAC do not support multiple HTTP header").
//! - A leading `/release`, `/prepub` or `/test` path segment is not signed, by default
//!   ([`EnvironmentPrefix`]).
//! - The path: Tencent's documents do not say whether app mode signs it decoded or exactly as
//!   sent, and its official demos differ: Go signs `/files/中文/a b`, Python, JavaScript, Java
//!   and PHP sign `/files/%E4%B8%AD%E6%96%87/a%20b`. The signer signs it decoded by default
//!   ([`Signer::path_form`] signs it as sent); the verifier accepts either by default, building
//!   the second string only when the path holds a `%`, and [`PathForms`] requires one.
//!   Accepting both means `/a%2Fb` signed as sent and `/a%252Fb` signed decoded share one
//!   string to sign (`/a%2Fb`); see [`PathForms::Either`] for what that allows and how to close
//!   it.
//! - An empty `Content-MD5:` header counts as absent (Tencent's Java form demo sends one with
//!   every form body).
//! - A key pinned to another algorithm is rejected as an unknown key would be ("HMAC signature
//!   cannot be verified"), so the answer does not reveal the pin.
//! - A request that cannot be canonicalized fails after the clock-window check and before the
//!   key lookup, as `InvalidRequest` (status 400).
//!
//! Because the vendor signs decoded values, `a=x%26b%3Dy` (one parameter) and `a=x&b=y` (two)
//! have the same string to sign. That is inherent to the scheme: a server must not let the
//! difference matter, or should use BCE's scheme, which signs the encoded form.

mod authorization;
mod signer;
mod string_to_sign;
mod verifier;

pub use authorization::Authorization;
pub use signer::{Body, DateHeader, Parts, Signature, SignedParts, Signer};
pub use string_to_sign::{
    content_md5, is_form_content_type, EnvironmentPrefix, Mode, PathForm, ENVIRONMENTS,
};
pub use verifier::{MismatchDetail, PathForms, Pending, Policy, Verified, Verifier};
