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
//! [`MemoryReplayGuard`] is the in-process guard: bounded by a fixed number of entries, fair
//! between key ids, and when full it refuses new signatures rather than forget ones that could
//! still verify. It only protects the process it lives in: servers that verify the same keys
//! must share one store (`RedisReplayGuard`, with the `redis` feature, or your own
//! [`ReplayStore`] over a database table with a unique key and an expiry), or a signature can
//! be replayed once against each of them.
//!
//! Like the verifiers, a guard is given the time: `now` is an argument, the guard never reads
//! the clock.
//!
//! ```
//! use apigw_sign::replay::{Entry, MemoryReplayGuard, Replay, ReplayGuard};
//! use time::macros::datetime;
//!
//! let guard = MemoryReplayGuard::new(1000);
//! let now = datetime!(2021-03-11 08:29:58 UTC);
//! let not_after = datetime!(2021-03-11 08:44:58 UTC); // the signed date plus 900 s
//! assert_eq!(guard.check_and_record(Entry::new("k", b"mac bytes", not_after), now), Ok(()));
//! assert_eq!(guard.check_and_record(Entry::new("k", b"mac bytes", not_after), now), Err(Replay::Replayed));
//! ```

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::time::Duration;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher as _, Hash, Hasher, RandomState};
use std::sync::{Arc, Mutex};

use rustc_hash::FxBuildHasher;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::algorithm::MAX_TAG_LEN;
use crate::error::Error;

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
    /// The signature's window reaches further ahead than the guard keeps entries (see
    /// [`MemoryReplayGuard::max_window`]).
    #[error("the signature's window is longer than the replay guard keeps signatures")]
    WindowTooLong,
}

/// Remembers which signatures were used, until their windows end.
///
/// Implement it over a store shared by every server that verifies the same keys. The method
/// takes `&self`, so one guard can serve many threads: keep the state behind a lock or in the
/// store. It must be atomic: of two concurrent calls with the same signature, one succeeds.
pub trait ReplayGuard {
    /// Records `entry` (the MAC bytes a request carried, signed by its key id) as used until
    /// its `not_after`, the last instant at which it could still verify, unless it is already
    /// recorded. A guard keys its entries on the key id and the signature, so two tenants never
    /// collide, and may share its room out per key id.
    ///
    /// `now` is the verifier's time. A signature whose window has passed cannot verify again;
    /// a guard may refuse it as [`Replay::Replayed`] (it cannot prove such a signature unused).
    ///
    /// # Errors
    ///
    /// [`Replay::Replayed`] for a signature already recorded whose window has not passed,
    /// [`Replay::Full`] when there is no room to record it, [`Replay::Unavailable`] when the
    /// guard cannot decide. All three refuse the request.
    fn check_and_record(&self, entry: Entry<'_>, now: OffsetDateTime) -> Result<(), Replay>;
}

/// A verified signature as a guard records it: the key id that signed it, the MAC bytes the
/// request carried, and the last instant at which it could still verify (the end of its
/// window).
///
/// `Debug` shows the key id and the window's end, never the signature: until its window ends
/// it is a credential.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry<'a> {
    /// The key id (Tencent `id`, BCE access key id) that signed it.
    pub key_id: &'a str,
    /// The MAC bytes (decoded from the request's base64 or hex).
    pub signature: &'a [u8],
    /// The last instant at which it could still verify.
    pub not_after: OffsetDateTime,
}

impl<'a> Entry<'a> {
    /// The entry for `signature` of `key_id`, verifying until `not_after`.
    pub const fn new(key_id: &'a str, signature: &'a [u8], not_after: OffsetDateTime) -> Self {
        Entry {
            key_id,
            signature,
            not_after,
        }
    }
}

impl fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("key_id", &self.key_id)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl Replay {
    /// The verification error this refusal answers with, for a signature of `key_id`.
    pub fn refusal(self, key_id: &str) -> Error {
        match self {
            Replay::Replayed => Error::SignatureReplayed {
                key_id: key_id.to_owned(),
            },
            Replay::Full => Error::ReplayCacheFull,
            Replay::Unavailable => Error::ReplayGuardUnavailable,
            Replay::WindowTooLong => Error::SignatureWindowTooLong {
                key_id: key_id.to_owned(),
            },
        }
    }
}

/// A reference to a guard, or an `Arc` of one (to share it), is a guard.
macro_rules! forward {
    ($($pointer:ty),*) => {$(
        impl<G: ReplayGuard + ?Sized> ReplayGuard for $pointer {
            fn check_and_record(&self, entry: Entry<'_>, now: OffsetDateTime) -> Result<(), Replay> {
                (**self).check_and_record(entry, now)
            }
        }
    )*};
}

forward!(&G, Arc<G>);

/// The future a [`ReplayStore`] answers with.
pub type ReplayFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Replay>> + Send + 'a>>;

/// A [`ReplayGuard`] that answers asynchronously: one over a network store
/// (`RedisReplayGuard` with the `redis` feature), what the tower layer asks. Every
/// `ReplayGuard` that is `Sync` is one (answering at once).
///
/// The contract is the guard's: atomic, failing closed (a store that cannot answer in time is
/// [`Replay::Unavailable`], never a pass), consulted only after every other check passed.
pub trait ReplayStore {
    /// [`ReplayGuard::check_and_record`], answered when the store has answered.
    fn check_and_record_async<'a>(
        &'a self,
        entry: Entry<'a>,
        now: OffsetDateTime,
    ) -> ReplayFuture<'a>;
}

impl<G: ReplayGuard + Sync + ?Sized> ReplayStore for G {
    fn check_and_record_async<'a>(
        &'a self,
        entry: Entry<'a>,
        now: OffsetDateTime,
    ) -> ReplayFuture<'a> {
        Box::pin(core::future::ready(self.check_and_record(entry, now)))
    }
}

/// What a replay guard records for a verified signature: its MAC and the end of its window
/// (kept past the verification, for a guard consulted afterwards: the tower layer's, which is
/// asynchronous; every synchronous guard is consulted inside phase two, `verification::Guard`).
#[cfg_attr(not(feature = "tower"), allow(dead_code))]
pub(crate) struct Recorded {
    mac: [u8; MAX_TAG_LEN],
    len: usize,
    pub(crate) not_after: OffsetDateTime,
}

impl Recorded {
    pub(crate) fn of(signature: &[u8], not_after: OffsetDateTime) -> Self {
        let mut mac = [0; MAX_TAG_LEN];
        let len = signature.len().min(MAX_TAG_LEN);
        mac.get_mut(..len)
            .unwrap_or_default()
            .copy_from_slice(signature.get(..len).unwrap_or_default());
        Recorded {
            mac,
            len,
            not_after,
        }
    }

    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn signature(&self) -> &[u8] {
        self.mac.get(..self.len).unwrap_or_default()
    }
}

/// The fixed-size key an entry is stored under: SHA-256 of the guard's random salt, the key id
/// (its length first) and the signature bytes, so every entry has the same size whatever the
/// algorithm (or whatever a caller passes), two keys never share one, and no client can tell
/// where an entry will land in the table.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Digest([u8; 32]);

impl Hash for Digest {
    /// Eight of its bytes: they are already a keyed hash no client can predict, so the table
    /// needs no second keyed hash (SipHash over all 32 bytes, on every insert and every
    /// eviction) to be safe from aimed collisions.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        state.write_u64(u64::from_le_bytes([a, b, c, d, e, f, g, h]));
    }
}

/// The key id an entry is counted against, for its share: the id hashed with the guard's own
/// random SipHash keys. Two ids share a count only if their 64-bit hashes collide, which a
/// client cannot aim for without the keys; the entries themselves stay apart ([`Digest`]).
type KeyTag = u64;

/// A bounded in-memory [`ReplayGuard`] for one process.
///
/// - **Bounded.** At most `capacity` signatures are recorded (default [`DEFAULT_CAPACITY`]).
///   Each entry costs about 73 bytes plus the tables' slack, so the default bound is about
///   12 MB; memory grows with use up to that bound and is not returned.
/// - **Fails closed.** When there is no room, a new signature is refused ([`Replay::Full`])
///   instead of forgetting an old one, which would let that one be replayed. Size `capacity`
///   for your peak rate of verified requests times the longest window (900 s for Tencent's
///   default policy; the expiration for BCE).
/// - **Fair between keys.** One key id holds at most [`per_key`](Self::per_key) entries (a
///   quarter of the capacity by default): a client holding one valid key that sends unique
///   signed requests as fast as it can fills its own share and is refused, while every other
///   key keeps the rest.
/// - **Windows are capped.** A signature whose window ends more than
///   [`max_window`](Self::max_window) after `now` (one hour by default) is refused
///   ([`Replay::WindowTooLong`]) instead of pinning an entry that long: a BCE client choosing a
///   36-hour expiration cannot hold room for 36 hours unless the operator allows it. The
///   defaults pass every signature the default policies accept with default clients (Tencent:
///   up to 1 800 s; BCE SDKs sign for 1 800 s).
/// - **Evicts only what has expired.** Each call first forgets the entries whose window ended
///   before `now`, a second's entries at a time, earliest first; nothing else is ever
///   dropped.
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
    per_key: usize,
    max_window: i64,
    /// The keys of [`KeyTag`]'s hash, random per guard.
    tags: RandomState,
    /// SHA-256 with a random 64-byte block already absorbed: each [`Digest`] starts from it.
    salted: Sha256,
    state: Mutex<State>,
}

/// The recorded signatures. Each digest is in `seen` exactly when it is in `expiries`: it is
/// inserted into both at once, and removed from `seen` when its second's bucket is taken from
/// `expiries`; each key's count in `per_key` is the number of its entries (a key with none has
/// no count).
struct State {
    /// The digests recorded and not yet evicted.
    seen: HashSet<Digest, FxBuildHasher>,
    /// The same entries by the second their window ends (Unix seconds), earliest first, each
    /// with its key's tag: what eviction takes, a second at a time. Windows end at most
    /// `max_window` after the guard's clock, so there are at most that many seconds' buckets
    /// (and never more buckets than entries: a bucket is made by the entry it holds).
    expiries: BTreeMap<i64, Vec<(Digest, KeyTag)>>,
    /// How many entries each key id (by tag) holds. FxHash: a tag is already a keyed hash,
    /// which no client can aim.
    per_key: HashMap<KeyTag, usize, FxBuildHasher>,
    /// The latest `now` seen (Unix seconds): the guard's clock, which never goes back.
    clock: i64,
}

/// [`MemoryReplayGuard::default`]'s capacity: 100 000 signatures (about 12 MB at most), room
/// for 110 verified requests a second over Tencent's default 900-second window.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// [`MemoryReplayGuard::max_window`]'s default: one hour.
pub const DEFAULT_MAX_WINDOW: Duration = Duration::from_secs(3600);

impl MemoryReplayGuard {
    /// A guard recording at most `capacity` signatures, a quarter of them (at least one) per
    /// key id, windows up to [`DEFAULT_MAX_WINDOW`]. Nothing is allocated up front. A capacity
    /// of 0 refuses every signature.
    pub fn new(capacity: usize) -> Self {
        MemoryReplayGuard {
            capacity,
            per_key: (capacity / 4).max(1),
            max_window: window_secs(DEFAULT_MAX_WINDOW),
            tags: RandomState::new(),
            salted: Sha256::new().chain_update(random_block()),
            state: Mutex::new(State {
                seen: HashSet::default(),
                expiries: BTreeMap::new(),
                per_key: HashMap::default(),
                clock: i64::MIN,
            }),
        }
    }

    /// The most entries one key id may hold (at least one; at most the capacity). A
    /// deployment with one key (or one dominant key) sets it to the capacity.
    #[must_use]
    pub fn per_key(self, share: usize) -> Self {
        MemoryReplayGuard {
            per_key: share.clamp(1, self.capacity.max(1)),
            ..self
        }
    }

    /// The longest a signature's window may reach past `now` for the guard to record it;
    /// longer ones are refused ([`Replay::WindowTooLong`]). Defaults to
    /// [`DEFAULT_MAX_WINDOW`] (one hour); raise it to accept longer BCE expirations, and size
    /// the capacity for it.
    #[must_use]
    pub fn max_window(self, window: Duration) -> Self {
        MemoryReplayGuard {
            max_window: window_secs(window),
            ..self
        }
    }

    /// The most signatures it records at once.
    pub const fn capacity(&self) -> usize {
        self.capacity
    }
}

/// 64 random bytes: 128 bits of the operating system's randomness (the keys `RandomState`
/// draws once per thread) stretched by SipHash, the standard library's own defence against
/// aimed hash collisions; the crate takes no random-number dependency for it.
fn random_block() -> [u8; 64] {
    let keys = RandomState::new();
    let mut block = [0; 64];
    for (i, chunk) in (0_u64..).zip(block.chunks_exact_mut(8)) {
        chunk.copy_from_slice(&keys.hash_one(i).to_le_bytes());
    }
    block
}

/// A window in whole seconds, saturating.
fn window_secs(window: Duration) -> i64 {
    i64::try_from(window.as_secs()).unwrap_or(i64::MAX)
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
            .field("per_key", &self.per_key)
            .field("max_window", &self.max_window)
            .finish_non_exhaustive()
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn check_and_record(&self, entry: Entry<'_>, now: OffsetDateTime) -> Result<(), Replay> {
        let Entry {
            key_id,
            signature,
            not_after,
        } = entry;
        // One SHA-256 block (the salt's is absorbed already; a short key id and a MAC fit one)
        // and one table lookup for the signature; the key's share by a 64-bit tag.
        let digest = Digest(
            self.salted
                .clone()
                .chain_update((key_id.len() as u64).to_le_bytes())
                .chain_update(key_id)
                .chain_update(signature)
                .finalize()
                .into(),
        );
        let key: KeyTag = self.tags.hash_one(key_id);
        let not_after = not_after.unix_timestamp();
        let mut state = self.state.lock().map_err(|_| Replay::Unavailable)?;
        state.clock = state.clock.max(now.unix_timestamp());
        state.evict_expired();
        if not_after < state.clock {
            return Err(Replay::Replayed);
        }
        // Recorded at once (one hash, not a lookup then an insert) and taken back if refused;
        // when full, only looked up, so that the table never grows past its capacity.
        let full = state.seen.len() >= self.capacity;
        let fresh = if full {
            !state.seen.contains(&digest)
        } else {
            state.seen.insert(digest)
        };
        if !fresh {
            return Err(Replay::Replayed);
        }
        let held = state.per_key.get(&key).copied().unwrap_or(0);
        let refusal = if not_after.saturating_sub(state.clock) > self.max_window {
            Some(Replay::WindowTooLong)
        } else if full || held >= self.per_key {
            Some(Replay::Full)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            if !full {
                state.seen.remove(&digest);
            }
            return Err(refusal);
        }
        state
            .expiries
            .entry(not_after)
            .or_default()
            .push((digest, key));
        state.per_key.insert(key, held + 1);
        Ok(())
    }
}

impl State {
    /// Forgets every entry whose window ended before the guard's clock, and nothing else: the
    /// earliest seconds' buckets, whole.
    fn evict_expired(&mut self) {
        while let Some(bucket) = self.expiries.first_entry() {
            if *bucket.key() >= self.clock {
                break;
            }
            for (digest, key) in bucket.remove() {
                self.seen.remove(&digest);
                if let Some(held) = self.per_key.get_mut(&key) {
                    *held -= 1;
                    if *held == 0 {
                        self.per_key.remove(&key);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);

    /// The entries waiting for eviction.
    fn entries(state: &State) -> usize {
        state.expiries.values().map(Vec::len).sum()
    }

    #[test]
    fn an_entry_never_shows_its_signature() {
        let entry = Entry::new("AKIDdemo", b"MACBYTES", NOW);
        let shown = format!("{entry:?}");
        assert!(
            shown.contains("AKIDdemo") && shown.contains("2021"),
            "{shown}"
        );
        // Neither the bytes nor their numbers (`[77, 65, ...]`) nor the field's name.
        assert!(
            !shown.contains("MACBYTES")
                && !shown.contains("77, 65")
                && !shown.contains("signature"),
            "{shown}"
        );
    }

    #[test]
    fn the_two_structures_stay_in_step() {
        let guard = MemoryReplayGuard::new(8).per_key(8);
        for i in 0u8..8 {
            let end = NOW + time::Duration::seconds(i64::from(i));
            assert_eq!(
                guard.check_and_record(Entry::new("k", &[i], end), NOW),
                Ok(())
            );
        }
        let later = NOW + time::Duration::seconds(4);
        assert_eq!(
            guard.check_and_record(Entry::new("k", b"new", later), later),
            Ok(()),
            "four expired entries make room"
        );
        let state = guard.state.lock().expect("not poisoned");
        assert_eq!(state.seen.len(), 5);
        assert_eq!(entries(&state), 5);
        // Seconds 4 to 7, the new entry in second 4's bucket beside the old one.
        assert_eq!(state.expiries.len(), 4);
        assert!(state
            .expiries
            .values()
            .flatten()
            .all(|(d, _)| state.seen.contains(d)));
        assert_eq!(state.per_key.values().sum::<usize>(), 5);
    }

    #[test]
    fn a_refused_signature_leaves_nothing_recorded() {
        let guard = MemoryReplayGuard::new(4).per_key(1);
        let end = NOW + time::Duration::seconds(60);
        assert_eq!(
            guard.check_and_record(Entry::new("k", b"a", end), NOW),
            Ok(())
        );
        // Refused for the key's share, then for its window: neither is kept.
        assert_eq!(
            guard.check_and_record(Entry::new("k", b"b", end), NOW),
            Err(Replay::Full)
        );
        let far = NOW + time::Duration::hours(2);
        assert_eq!(
            guard.check_and_record(Entry::new("j", b"c", far), NOW),
            Err(Replay::WindowTooLong)
        );
        {
            let state = guard.state.lock().expect("not poisoned");
            assert_eq!((state.seen.len(), entries(&state)), (1, 1));
            assert_eq!(state.per_key.values().sum::<usize>(), 1);
        }
        // So each is admitted once allowed, not taken for a replay.
        assert_eq!(
            guard.check_and_record(Entry::new("j", b"c", end), NOW),
            Ok(())
        );
        let later = end + time::Duration::seconds(1);
        let later_end = later + time::Duration::seconds(60);
        assert_eq!(
            guard.check_and_record(Entry::new("k", b"b", later_end), later),
            Ok(())
        );
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
            guard.check_and_record(Entry::new("k", b"sig", NOW), NOW),
            Err(Replay::Unavailable)
        );
    }
}
