//! The one `tracing` event the tower layer emits per request (feature `tracing`): what an
//! operator needs to see why a request was refused, and nothing that authenticates.
//!
//! Target `apigw_sign`, message `request`. Fields: `scheme` (`tencent`, `bce`, `gateway`),
//! `outcome` (`accepted`, `refused`), `status`, `key_id` (an AppCode shows as `<AppCode>`),
//! `service`, `environment`, `api` (gateway), `code` (the error's [`code`](crate::Error::code)),
//! `reason` (its message), `detail` (its `Debug`: every field of its reason, such as which
//! header, which dates, unknown or disabled key), `latency_us`. Accepted requests are `INFO`,
//! refusals `WARN` (filter on `status=503` for the ones where the server could not decide).
//! Never a secret, a MAC, an `Authorization` header or a body.

use core::time::Duration;

use crate::adapters::authenticate::{Authenticator, Identity};
use crate::bce::shown_key_id;
use crate::error::Error;

/// Emits the event for one authenticated (or refused) request.
pub(crate) fn request_event(
    authenticator: &Authenticator,
    outcome: &Result<Identity, Error>,
    latency: Duration,
) {
    let scheme = authenticator.scheme();
    let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    match outcome {
        Ok(identity) => {
            let key_id = identity.key_id.as_deref().unwrap_or("");
            let key_id = shown_key_id(&key_id, identity.carrier);
            tracing::info!(
                target: "apigw_sign",
                scheme,
                outcome = "accepted",
                status = 200u16,
                key_id = ?key_id,
                service = identity.service.as_deref(),
                environment = identity.environment.as_deref(),
                api = identity.api.as_deref(),
                latency_us,
                "request"
            );
        }
        Err(error) => refused(scheme, error, authenticator.status_of(error), latency_us),
    }
}

/// The event of a request the layer refused before authenticating it (its body).
pub(crate) fn body_refused(
    authenticator: &Authenticator,
    code: &str,
    status: u16,
    latency: Duration,
) {
    let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    tracing::warn!(
        target: "apigw_sign",
        scheme = authenticator.scheme(),
        outcome = "refused",
        status,
        code,
        latency_us,
        "request"
    );
}

fn refused(scheme: &str, error: &Error, status: u16, latency_us: u64) {
    tracing::warn!(
        target: "apigw_sign",
        scheme,
        outcome = "refused",
        status,
        key_id = error.key_id(),
        code = error.code(),
        reason = %error,
        detail = ?error,
        latency_us,
        "request"
    );
}
