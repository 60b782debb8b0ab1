//! Replay protection: refusing a second use of a signature while it could still verify.
//!
//! A signature verifies for its whole window (Tencent: the signed date plus the policy's
//! `max_skew`; BCE: the timestamp plus the expiration), so a captured request can be sent again
//! until the window ends. A [`ReplayGuard`] records each verified signature until then and
//! refuses it a second time. The verifiers consult one through `verify_once`
//! ([`tencent::Verifier::verify_once`](crate::tencent::Verifier::verify_once),
//! [`bce::Verifier::verify_once`](crate::bce::Verifier::verify_once)), after every other check
//! has passed, so only a genuine signature takes room in the guard.
//!
//! [`MemoryReplayGuard`] is the in-process guard: bounded by a fixed number of entries, and when
//! full it refuses new signatures rather than forget ones that could still verify. It only
//! protects the process it lives in: servers that verify the same keys must share one store (a
//! [`ReplayGuard`] over Redis `SET key NX PX ms`, or a database table with a unique key and an
//! expiry), or a signature can be replayed once against each of them.
//!
//! Like the verifiers, a guard is given the time: `now` is an argument, the guard never reads
//! the clock.
//!
//! ```
//! use apigw_sign::replay::{MemoryReplayGuard, Replay, ReplayGuard};
//! use time::macros::datetime;
//!
//! let guard = MemoryReplayGuard::new(1000);
//! let now = datetime!(2021-03-11 08:29:58 UTC);
//! let not_after = datetime!(2021-03-11 08:44:58 UTC); // the signed date plus 900 s
//! assert_eq!(guard.check_and_record(b"mac bytes", not_after, now), Ok(()));
//! assert_eq!(guard.check_and_record(b"mac bytes", not_after, now), Err(Replay::Replayed));
//! ```

use core::cmp::Reverse;
use core::fmt;
use std::collections::{BinaryHeap, HashSet};
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

/// Why a [`ReplayGuard`] refused a signature. Every outcome but `Ok` refuses the request: a
/// guard that cannot tell fails closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Replay {
    /// The signature is recorded as used and its window has not passed; or its window has
    /// already passed by the guard's clock, so the guard can no longer prove it unused.
    #[error("the signature was already used")]
    Replayed,
    /// The guard has no room for another signature: every entry could still verify.
    #[error("the replay guard is full")]
    Full,
    /// The guard could not decide: its store is unreachable, or its state is unusable.
    #[error("the replay guard is unavailable")]
    Unavailable,
}

/// Remembers which signatures were used, until their windows end.
///
/// Implement it over a store shared by every server that verifies the same keys. The method
/// takes `&self`, so one guard can serve many threads: keep the state behind a lock or in the
/// store. It must be atomic: of two concurrent calls with the same signature, one succeeds.
pub trait ReplayGuard {
    /// Records `signature` (the MAC bytes a request carried) as used until `not_after`, the
    /// last instant at which it could still verify, unless it is already recorded.
    ///
    /// `now` is the verifier's time. A signature whose window has passed cannot verify again;
    /// a guard may refuse it as [`Replay::Replayed`] (it cannot prove such a signature unused).
    ///
    /// # Errors
    ///
    /// [`Replay::Replayed`] for a signature already recorded whose window has not passed,
    /// [`Replay::Full`] when there is no room to record it, [`Replay::Unavailable`] when the
    /// guard cannot decide. All three refuse the request.
    fn check_and_record(
        &self,
        signature: &[u8],
        not_after: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), Replay>;
}

/// A reference to a guard, or an `Arc` of one (to share it), is a guard.
macro_rules! forward {
    ($($pointer:ty),*) => {$(
        impl<G: ReplayGuard + ?Sized> ReplayGuard for $pointer {
            fn check_and_record(
                &self,
                signature: &[u8],
                not_after: OffsetDateTime,
                now: OffsetDateTime,
            ) -> Result<(), Replay> {
                (**self).check_and_record(signature, not_after, now)
            }
        }
    )*};
}

forward!(&G, Arc<G>);

/// The fixed-size key an entry is stored under: SHA-256 of the signature bytes, so every entry
/// has the same size whatever the algorithm (or whatever a caller passes).
type Digest = [u8; 32];

/// A bounded in-memory [`ReplayGuard`] for one process.
///
/// - **Bounded.** At most `capacity` signatures are recorded (default [`DEFAULT_CAPACITY`]).
///   Each entry costs about 80 bytes plus the hash table's slack, so the default bound is about
///   10 MB; memory grows with use up to that bound and is not returned.
/// - **Fails closed.** When every entry could still verify, a new signature is refused
///   ([`Replay::Full`]) instead of forgetting an old one, which would let that one be replayed.
///   Size `capacity` for your peak rate of verified requests times the longest window (900 s
///   for Tencent's default policy; the expiration, up to 36 hours, for BCE). A client holding a
///   valid key can fill the guard; that refuses service, it never lets a replay through.
/// - **Evicts only what has expired.** Each call first forgets the entries whose window ended
///   before `now`, earliest first, in `O(log n)` each; nothing else is ever dropped.
/// - **Its own clock never goes back.** The guard evicts by the latest `now` it was given, so
///   a thread whose `now` lags another's cannot sneak in a signature whose entry was already
///   evicted: a signature whose window has passed by the guard's clock is refused
///   ([`Replay::Replayed`]). Pass the server's clock, not a time taken from the request.
/// - **Shared.** The state sits behind a [`Mutex`]; share the guard by reference or in an
///   [`Arc`]. A poisoned lock (which this code never causes) refuses every request
///   ([`Replay::Unavailable`]) rather than trust state a panic may have left half-updated.
///
/// One process only: see the [module documentation](self) for several servers.
pub struct MemoryReplayGuard {
    capacity: usize,
    state: Mutex<State>,
}

/// The recorded signatures. Each digest is in `seen` exactly when it is in `expiries`: it is
/// inserted into both at once, and removed from `seen` when its heap entry is popped.
struct State {
    /// The digests recorded and not yet evicted.
    seen: HashSet<Digest>,
    /// The same entries by window end (Unix seconds), earliest on top: what eviction pops.
    expiries: BinaryHeap<Reverse<(i64, Digest)>>,
    /// The latest `now` seen (Unix seconds): the guard's clock, which never goes back.
    clock: i64,
}

/// [`MemoryReplayGuard::default`]'s capacity: 100 000 signatures (about 10 MB at most), room
/// for 110 verified requests a second over Tencent's default 900-second window.
pub const DEFAULT_CAPACITY: usize = 100_000;

impl MemoryReplayGuard {
    /// A guard recording at most `capacity` signatures. Nothing is allocated up front. A
    /// capacity of 0 refuses every signature.
    pub fn new(capacity: usize) -> Self {
        MemoryReplayGuard {
            capacity,
            state: Mutex::new(State {
                seen: HashSet::new(),
                expiries: BinaryHeap::new(),
                clock: i64::MIN,
            }),
        }
    }

    /// The most signatures it records at once.
    pub const fn capacity(&self) -> usize {
        self.capacity
    }
}

impl Default for MemoryReplayGuard {
    /// A guard with [`DEFAULT_CAPACITY`].
    fn default() -> Self {
        MemoryReplayGuard::new(DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for MemoryReplayGuard {
    /// The capacity only: the recorded signatures are not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayGuard")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn check_and_record(
        &self,
        signature: &[u8],
        not_after: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), Replay> {
        let digest: Digest = Sha256::digest(signature).into();
        let not_after = not_after.unix_timestamp();
        let mut state = self.state.lock().map_err(|_| Replay::Unavailable)?;
        state.clock = state.clock.max(now.unix_timestamp());
        state.evict_expired();
        if not_after < state.clock || state.seen.contains(&digest) {
            return Err(Replay::Replayed);
        }
        if state.seen.len() >= self.capacity {
            return Err(Replay::Full);
        }
        state.seen.insert(digest);
        state.expiries.push(Reverse((not_after, digest)));
        Ok(())
    }
}

impl State {
    /// Forgets every entry whose window ended before the guard's clock, and nothing else.
    fn evict_expired(&mut self) {
        while let Some(Reverse((not_after, digest))) = self.expiries.peek().copied() {
            if not_after >= self.clock {
                break;
            }
            self.expiries.pop();
            self.seen.remove(&digest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);

    #[test]
    fn the_two_structures_stay_in_step() {
        let guard = MemoryReplayGuard::new(8);
        for i in 0u8..8 {
            let end = NOW + time::Duration::seconds(i64::from(i));
            assert_eq!(guard.check_and_record(&[i], end, NOW), Ok(()));
        }
        let later = NOW + time::Duration::seconds(4);
        assert_eq!(
            guard.check_and_record(b"new", later, later),
            Ok(()),
            "four expired entries make room"
        );
        let state = guard.state.lock().expect("not poisoned");
        assert_eq!(state.seen.len(), 5);
        assert_eq!(state.expiries.len(), 5);
        assert!(state
            .expiries
            .iter()
            .all(|Reverse((_, d))| state.seen.contains(d)));
    }

    #[test]
    fn a_poisoned_lock_refuses() {
        let guard = Arc::new(MemoryReplayGuard::new(8));
        let poisoner = Arc::clone(&guard);
        let _ = std::thread::spawn(move || {
            let _held = poisoner.state.lock();
            panic!("poison the lock");
        })
        .join();
        assert_eq!(
            guard.check_and_record(b"sig", NOW, NOW),
            Err(Replay::Unavailable)
        );
    }
}
