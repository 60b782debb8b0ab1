//! Verification in two phases, the same for every scheme: phase one checks everything that
//! needs no key (the request's shape, the clock window, the signature's text) and names the key
//! to fetch; phase two takes what the key store says and checks the signature; a replay guard,
//! when there is one, records the signature last.
//!
//! [`Verifier`] is the shell every scheme's verifier is (`tencent::Verifier`, `bce::Verifier`):
//! a policy, applied. Each implements `Phases`; `run` runs the phases and the guard, so
//! `verify`, `verify_once`, the gateway's routing and the adapters share one path.
//!
//! The phases are public too, for a key store that answers asynchronously (a database, a
//! secrets service): `prepare` ([`tencent::Verifier::prepare`](crate::tencent::Verifier::prepare),
//! [`bce::Verifier::prepare`](crate::bce::Verifier::prepare)) checks the request and says which
//! key it needs; the caller fetches it however it likes (the core does no I/O and needs no
//! runtime); `finish` checks the signature with what the store said. Phase one borrows a
//! [`Scratch`] from the caller for the request's parameters and allocates nothing.
//!
//! ```
//! use std::future::Future as _;
//!
//! use apigw_sign::tencent::{Mode, Policy, Signer, Verifier};
//! use apigw_sign::{Header, OwnedKeyStatus, Request, Scratch, Secret};
//!
//! /// A key store that answers later, as a database does.
//! async fn fetch(key_id: &str) -> OwnedKeyStatus {
//!     match key_id {
//!         "AKIDdemo" => OwnedKeyStatus::active([Secret::from("demo-secret")]),
//!         _ => OwnedKeyStatus::Unknown,
//!     }
//! }
//!
//! async fn verify(request: &Request<'_>, now: time::OffsetDateTime) -> Result<String, apigw_sign::Error> {
//!     let verifier = Verifier::new(Policy::default());
//!     let mut scratch = Scratch::default();
//!     let pending = verifier.prepare(Mode::App, request, now, &mut scratch)?; // no key yet
//!     let key = fetch(pending.key_id()).await;                              // any I/O here
//!     let verified = verifier.finish(&pending, key.status())?;
//!     Ok(verified.key_id().to_owned())
//! }
//!
//! let now = time::macros::datetime!(2021-03-11 08:29:58 UTC);
//! let secret = Secret::from("demo-secret");
//! let signature = Signer::new(Mode::App, "AKIDdemo", &secret)
//!     .sign(&Request::new("GET", "/v1/users", &[], b""), now)?;
//! let headers: Vec<Header> = signature.headers().map(|(n, v)| Header::new(n, v)).collect();
//! let request = Request::new("GET", "/v1/users", &headers, b"");
//!
//! // Any executor runs it; here, polled once, as nothing in it waits.
//! let mut future = std::pin::pin!(verify(&request, now));
//! let mut context = std::task::Context::from_waker(std::task::Waker::noop());
//! let std::task::Poll::Ready(key_id) = future.as_mut().poll(&mut context) else { unreachable!() };
//! assert_eq!(key_id?, "AKIDdemo");
//! # Ok::<(), apigw_sign::Error>(())
//! ```

use time::OffsetDateTime;

use core::fmt;

use crate::date::window_end;
use crate::error::Error;
use crate::keys::{KeyLookup, KeyStatus};
use crate::limits::MAX_SIGNED_HEADERS;
use crate::replay::{Entry, ReplayGuard};
use crate::sorted::Params;

/// Setters for a verifier policy's fields (the policies are `#[non_exhaustive]`, so a user
/// outside the crate builds one from `Policy::default()` and these): one `const fn` per field,
/// consuming and returning the policy.
macro_rules! policy_setters {
    ($policy:ty { $($field:ident: $ty:ty),* $(,)? }) => {
        impl $policy {
            $(
                #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
                #[must_use]
                pub const fn $field(mut self, $field: $ty) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}
pub(crate) use policy_setters;

/// A scheme verifier's public phase two, `finish`, with the scheme's documentation: phase two
/// without a guard (its caller consults one afterwards, as it likes). One body for both schemes.
macro_rules! public_finish {
    ($(#[$doc:meta])*) => {
        $(#[$doc])*
        pub fn finish<'r>(
            &self,
            pending: &Pending<'r, '_>,
            key: KeyStatus<'_>,
        ) -> Result<Verified<'r>, Error> {
            Phases::finish(self, pending, key, $crate::verification::Guard::NONE)
        }
    };
}
pub(crate) use public_finish;

/// Room for a request's canonical pieces while it is verified in two phases: phase one
/// (`prepare`) keeps the sorted list of the request's query (and form) parameters here, and
/// where each signed header is among the request's, and what it returns borrows them until
/// phase two is done. It holds all [`MAX_PARAMETERS`] and 1 KiB of their rewritten text inline
/// (about 5 KiB), so verifying allocates nothing; keep it on the stack (or in the future that
/// awaits the key) and use one per request. (The signers lend themselves one too.)
///
/// [`MAX_PARAMETERS`]: crate::limits::MAX_PARAMETERS
#[derive(Default)]
pub struct Scratch<'r> {
    pub(crate) params: Params<'r>,
    /// Where each signed header is (Tencent): kept here rather than in what phase one returns,
    /// so that it is written once and never copied.
    pub(crate) positions: [u16; MAX_SIGNED_HEADERS],
}

impl fmt::Debug for Scratch<'_> {
    /// Only how many parameters it holds: they are the request's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scratch")
            .field("parameters", &self.params.len())
            .finish()
    }
}

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
    /// (`'s`, the scratch).
    type Pending<'r, 's>;
    /// What a successful verification established.
    type Verified<'r>;

    /// Phase one: every check that needs no key, the request's canonical pieces kept in
    /// `scratch` (an empty one the caller lends).
    fn prepare<'r: 's, 's>(
        &self,
        input: Self::Input<'r>,
        now: OffsetDateTime,
        scratch: &'s mut Scratch<'r>,
    ) -> Result<Self::Pending<'r, 's>, Error>;

    /// The key id (or AppCode) phase two needs.
    fn key_id<'p>(pending: &'p Self::Pending<'_, '_>) -> &'p str;

    /// Phase two: the key's status and secrets, then the signature; last, when the signature
    /// matched, `guard` records it.
    fn finish<'r>(
        &self,
        pending: &Self::Pending<'r, '_>,
        key: KeyStatus<'_>,
        guard: Guard<'_>,
    ) -> Result<Self::Verified<'r>, Error>;
}

/// The replay guard phase two consults last, when there is one (`verify_once`): where the
/// verifiers' own path and the gateway's routing record a signature and turn a refusal into the
/// error. (The tower layer, whose guard is asynchronous, keeps a
/// [`Recorded`](crate::replay::Recorded) past phase two and consults its guard afterwards.) Phase two calls [`record`](Self::record) just before it builds
/// what it returns, so that `run` hands phase two's result on as it is: checking the guard on
/// the returned value copied that value once more (key-pair verify 545 → 524 ns with every
/// function 64-byte aligned in both builds, lowest of six criterion medians).
#[derive(Clone, Copy)]
pub(crate) struct Guard<'g> {
    guard: Option<&'g dyn ReplayGuard>,
    now: OffsetDateTime,
}

impl<'g> Guard<'g> {
    /// No guard: the public `finish`, which leaves the guard to its caller.
    pub(crate) const NONE: Guard<'static> = Guard {
        guard: None,
        now: OffsetDateTime::UNIX_EPOCH,
    };

    /// `guard`, if any, consulted at `now`.
    pub(crate) const fn new(guard: Option<&'g dyn ReplayGuard>, now: OffsetDateTime) -> Self {
        Guard { guard, now }
    }

    /// Records `signature` of `key_id` until `not_after` (Unix time) in the guard, if any;
    /// a signature already recorded, or a guard that cannot decide, is refused.
    pub(crate) fn record(
        &self,
        key_id: &str,
        signature: &[u8],
        not_after: i64,
    ) -> Result<(), Error> {
        let Some(guard) = self.guard else {
            return Ok(());
        };
        // The date is built only here, with a guard: it costs a conversion.
        guard
            .check_and_record(
                Entry::new(key_id, signature, window_end(not_after)),
                self.now,
            )
            .map_err(|replay| replay.refusal(key_id))
    }
}

/// The one path of every verification: phase one of `input` (lent a scratch from this
/// frame), phase two with the key `keys` has for the request, then, with
/// a `guard`, the signature recorded (refused when already used).
pub(crate) fn run<'r, V: Phases>(
    verifier: &V,
    input: V::Input<'r>,
    keys: &(impl KeyLookup + ?Sized),
    guard: Option<&dyn ReplayGuard>,
    now: OffsetDateTime,
) -> Result<V::Verified<'r>, Error> {
    let mut scratch = Scratch::default();
    let pending = verifier.prepare(input, now, &mut scratch)?;
    let key = keys.lookup(V::key_id(&pending));
    verifier.finish(&pending, key, Guard::new(guard, now))
}
