//! Verification in two phases, the same for every scheme: phase one checks everything that
//! needs no key (the request's shape, the clock window, the signature's text) and names the key
//! to fetch; phase two takes what the key store says and checks the signature; a replay guard,
//! when there is one, records the signature last.
//!
//! [`Verifier`] is the shell every scheme's verifier is (`tencent::Verifier`, `bce::Verifier`):
//! a policy, applied. Each implements [`Phases`]; [`complete`] runs phase two and the guard, so
//! `verify`, `verify_once`, the gateway's routing and the adapters share one path.

use time::OffsetDateTime;

use crate::error::Error;
use crate::keys::{KeyLookup, KeyStatus};
use crate::replay::{Replay, ReplayGuard};

/// Verifies requests under one policy: a scheme's `Policy` (see
/// [`tencent::Verifier`](crate::tencent::Verifier) and [`bce::Verifier`](crate::bce::Verifier),
/// where its methods are).
#[derive(Clone, Debug, Default)]
pub struct Verifier<P> {
    policy: P,
}

impl<P> Verifier<P> {
    /// A verifier applying `policy`.
    pub const fn new(policy: P) -> Self {
        Verifier { policy }
    }

    /// The policy.
    pub const fn policy(&self) -> &P {
        &self.policy
    }
}

/// A verifier's two phases.
pub(crate) trait Phases {
    /// What phase one established: borrowing the request (`'r`) and what the caller lent it
    /// (`'s`, the list of parameters).
    type Pending<'r, 's>;
    /// What a successful verification established.
    type Verified<'r>;

    /// The key id (or AppCode) phase two needs.
    fn key_id<'p>(pending: &'p Self::Pending<'_, '_>) -> &'p str;

    /// Phase two: the key's status and secrets, then the signature.
    fn finish<'r>(
        &self,
        pending: &Self::Pending<'r, '_>,
        key: KeyStatus<'_>,
    ) -> Result<Self::Verified<'r>, Error>;

    /// What a replay guard records: the signature, the end of its window and the key id; `None`
    /// when there is no signature (an AppCode).
    fn replay_entry<'v>(
        verified: &'v Self::Verified<'_>,
    ) -> Option<(&'v [u8], OffsetDateTime, &'v str)>;
}

/// Phase two of `pending` with the key `keys` has for it, then, with a `guard`, the signature
/// recorded (refused when already used).
pub(crate) fn complete<'r, V: Phases>(
    verifier: &V,
    pending: &V::Pending<'r, '_>,
    keys: &(impl KeyLookup + ?Sized),
    guard: Option<&dyn ReplayGuard>,
    now: OffsetDateTime,
) -> Result<V::Verified<'r>, Error> {
    let key = keys.lookup(V::key_id(pending));
    let verified = verifier.finish(pending, key)?;
    if let (Some(guard), Some((signature, not_after, key_id))) = (guard, V::replay_entry(&verified))
    {
        guard
            .check_and_record(signature, not_after, now)
            .map_err(|replay| match replay {
                Replay::Replayed => Error::SignatureReplayed {
                    key_id: key_id.to_owned(),
                },
                Replay::Full => Error::ReplayCacheFull,
                Replay::Unavailable => Error::ReplayGuardUnavailable,
            })?;
    }
    Ok(verified)
}
