//! Verification in two phases, the same for every scheme: phase one checks everything that
//! needs no key (the request's shape, the clock window, the signature's text) and names the key
//! to fetch; phase two takes what the key store says and checks the signature; a replay guard,
//! when there is one, records the signature last.
//!
//! [`Verifier`] is the shell every scheme's verifier is (`tencent::Verifier`, `bce::Verifier`):
//! a policy, applied. Each implements [`Phases`]; [`run`] runs the phases and the guard, so
//! `verify`, `verify_once`, the gateway's routing and the adapters share one path.

use time::OffsetDateTime;

use crate::error::Error;
use crate::keys::{KeyLookup, KeyStatus};
use crate::replay::{Replay, ReplayGuard};
use crate::sorted::Params;

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
    /// What phase one takes: the request (and for Tencent, the mode).
    type Input<'r>;
    /// What phase one established: borrowing the request (`'r`) and what the caller lent it
    /// (`'s`, the list of parameters).
    type Pending<'r, 's>;
    /// What a successful verification established.
    type Verified<'r>;

    /// Phase one: every check that needs no key, the request's parameters kept in `params`
    /// (an empty list the caller lends).
    fn prepare<'r: 's, 's>(
        &self,
        input: Self::Input<'r>,
        now: OffsetDateTime,
        params: &'s mut Params<'r>,
    ) -> Result<Self::Pending<'r, 's>, Error>;

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

/// The one path of every verification: phase one of `input` (lent a list for the request's
/// parameters from this frame), phase two with the key `keys` has for the request, then, with
/// a `guard`, the signature recorded (refused when already used).
pub(crate) fn run<'r, V: Phases>(
    verifier: &V,
    input: V::Input<'r>,
    keys: &(impl KeyLookup + ?Sized),
    guard: Option<&dyn ReplayGuard>,
    now: OffsetDateTime,
) -> Result<V::Verified<'r>, Error> {
    let mut params = Params::default();
    let pending = verifier.prepare(input, now, &mut params)?;
    let key = keys.lookup(V::key_id(&pending));
    let verified = verifier.finish(&pending, key)?;
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
