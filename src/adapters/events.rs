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
use crate::bce::Carrier;
use crate::error::Error;

/// Emits the event for one request, accepted (`error` is `None`) or refused; `identity` holds
/// what authentication learnt before it ended (on a refusal, the key id the request claims).
pub(crate) fn request_event(
    authenticator: &Authenticator,
    identity: &Identity,
    error: Option<&Error>,
    latency: Duration,
) {
    let scheme = authenticator.scheme();
    let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    let key_id = identity
        .key_id
        .as_deref()
        .or_else(|| error.and_then(Error::key_id));
    // An AppCode is a secret: never logged.
    let key_id = match identity.carrier {
        Some(Carrier::AppCode) => key_id.map(|_| "<AppCode>"),
        _ => key_id,
    };
    let (service, environment, api) = (
        identity.service.as_deref(),
        identity.environment.as_deref(),
        identity.api.as_deref(),
    );
    match error {
        None => tracing::info!(
            target: "apigw_sign",
            scheme,
            outcome = "accepted",
            status = 200u16,
            key_id,
            service,
            environment,
            api,
            latency_us,
            "request"
        ),
        Some(error) => tracing::warn!(
            target: "apigw_sign",
            scheme,
            outcome = "refused",
            status = authenticator.status_of(error),
            key_id,
            service,
            environment,
            api,
            code = error.code(),
            reason = %error,
            detail = ?error,
            latency_us,
            "request"
        ),
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
