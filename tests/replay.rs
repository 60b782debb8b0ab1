//! Replay protection.
//!
//! [`MemoryReplayGuard`] directly: a second use of a signature inside its window is refused and
//! a different one passes; eviction forgets exactly the entries whose window has passed (seen
//! through behaviour: what is admitted again, what still counts against the capacity); the hard
//! cap refuses a new signature rather than forget an unexpired one, and admits again once
//! windows pass; the guard's clock does not go back; threads racing on one guard admit each
//! signature once. Then both verifiers' `verify_once`: the replay refused with its own error,
//! the window each scheme hands the guard, a full or failing guard, a guard left untouched by a
//! request that does not verify, AppCodes not guarded, and the new errors' codes, statuses and
//! bodies.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;

use apigw_sign::replay::{Entry, MemoryReplayGuard, Replay, ReplayGuard, DEFAULT_CAPACITY};
use apigw_sign::{bce, tencent, Error, KeySet, Secret, StatusProfile};
use base64::Engine as _;
use common::request::Wire;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

// ---------------------------------------------------------------------------------------------
// The guard on its own

#[test]
fn a_second_use_inside_the_window_is_refused_and_another_signature_passes() {
    let guard = MemoryReplayGuard::new(16).per_key(16);
    let end = NOW + secs(900);
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig-a", end), NOW),
        Ok(())
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig-a", end), NOW),
        Err(Replay::Replayed)
    );
    // Still refused at the window's last second, whatever window the replay claims.
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig-a", end + secs(3600)), end),
        Err(Replay::Replayed)
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig-b", end), NOW),
        Ok(())
    );
    // Signatures are compared whole: a prefix or an extension is another signature.
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig-", end), NOW),
        Ok(())
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig-ab", end), NOW),
        Ok(())
    );
}

#[test]
fn eviction_forgets_exactly_the_entries_whose_window_has_passed() {
    let guard = MemoryReplayGuard::new(100).per_key(100);
    // Mixed window ends, recorded out of order.
    let ends = [("c", 30), ("a", 10), ("e", 50), ("b", 20), ("d", 40)];
    for (sig, end) in ends {
        assert_eq!(
            guard.check_and_record(Entry::new("k", sig.as_bytes(), NOW + secs(end)), NOW),
            Ok(())
        );
    }
    let at = NOW + secs(20);
    // "a" ended at +10: forgotten, so a new use (with a new window) is admitted.
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"a", at + secs(60)), at),
        Ok(())
    );
    // "b" ends at +20, which is now: it still verifies, so it is still refused.
    for sig in ["b", "c", "d", "e"] {
        assert_eq!(
            guard.check_and_record(Entry::new("k", sig.as_bytes(), at + secs(60)), at),
            Err(Replay::Replayed),
            "{sig} is still inside its window"
        );
    }
    let at = NOW + secs(41);
    for sig in ["b", "c", "d"] {
        assert_eq!(
            guard.check_and_record(Entry::new("k", sig.as_bytes(), at + secs(60)), at),
            Ok(()),
            "{sig} ended before +41"
        );
    }
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"e", at + secs(60)), at),
        Err(Replay::Replayed),
        "e ends at +50"
    );
}

#[test]
fn eviction_frees_only_the_room_of_expired_entries() {
    // Capacity 3: after the one expired entry goes, exactly one new signature fits.
    let guard = MemoryReplayGuard::new(3).per_key(3);
    for (sig, end) in [("x", 30), ("y", 10), ("z", 20)] {
        assert_eq!(
            guard.check_and_record(Entry::new("k", sig.as_bytes(), NOW + secs(end)), NOW),
            Ok(())
        );
    }
    let at = NOW + secs(15);
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"new-1", at + secs(100)), at),
        Ok(())
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"new-2", at + secs(100)), at),
        Err(Replay::Full),
        "x and z are unexpired and must not be dropped to make room"
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"x", at + secs(100)), at),
        Err(Replay::Replayed)
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"z", at + secs(100)), at),
        Err(Replay::Replayed)
    );
}

#[test]
fn a_full_guard_refuses_rather_than_forgets_and_admits_again_once_windows_pass() {
    const N: usize = 64;
    let guard = MemoryReplayGuard::new(N).per_key(N);
    assert_eq!(guard.capacity(), N);
    let end = NOW + secs(900);
    for i in 0..N {
        assert_eq!(
            guard.check_and_record(Entry::new("k", format!("sig-{i}").as_bytes(), end), NOW),
            Ok(())
        );
    }
    for at in [NOW, NOW + secs(899), end] {
        assert_eq!(
            guard.check_and_record(Entry::new("k", b"one more", end), at),
            Err(Replay::Full),
            "full at {at}"
        );
        // Nothing was forgotten to make room: every recorded signature is still refused.
        for i in 0..N {
            assert_eq!(
                guard.check_and_record(Entry::new("k", format!("sig-{i}").as_bytes(), end), at),
                Err(Replay::Replayed)
            );
        }
    }
    let later = end + secs(1);
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"one more", later + secs(900)), later),
        Ok(())
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig-0", later + secs(900)), later),
        Ok(()),
        "sig-0's window has passed, so it was forgotten"
    );
}

#[test]
fn capacity_zero_refuses_everything_and_the_default_is_documented() {
    let guard = MemoryReplayGuard::new(0);
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig", NOW + secs(1)), NOW),
        Err(Replay::Full)
    );
    assert_eq!(DEFAULT_CAPACITY, 100_000);
    assert_eq!(MemoryReplayGuard::default().capacity(), DEFAULT_CAPACITY);
    assert_eq!(
        format!("{:?}", MemoryReplayGuard::new(7)),
        "MemoryReplayGuard { capacity: 7, per_key: 1, max_window: 3600, .. }"
    );
}

#[test]
fn a_signature_past_its_window_is_refused() {
    let guard = MemoryReplayGuard::new(8).per_key(8);
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"old", NOW - secs(1)), NOW),
        Err(Replay::Replayed)
    );
    // Its window's last second is still inside.
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"edge", NOW), NOW),
        Ok(())
    );
}

#[test]
fn the_guards_clock_does_not_go_back() {
    let guard = MemoryReplayGuard::new(8).per_key(8);
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig", NOW + secs(50)), NOW),
        Ok(())
    );
    // Another caller, later, evicts it: its window ended at +50.
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"other", NOW + secs(500)), NOW + secs(100)),
        Ok(())
    );
    // A caller whose clock lags (+40, inside the window) cannot replay the evicted signature.
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"sig", NOW + secs(50)), NOW + secs(40)),
        Err(Replay::Replayed)
    );
}

#[test]
fn extreme_times_do_not_panic() {
    let guard = MemoryReplayGuard::new(8)
        .per_key(8)
        .max_window(std::time::Duration::MAX);
    let max = time::PrimitiveDateTime::MAX.assume_utc();
    let min = time::PrimitiveDateTime::MIN.assume_utc();
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"far", max), min),
        Ok(())
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"far", max), max),
        Err(Replay::Replayed)
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"past", min), max),
        Err(Replay::Replayed)
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"", max), max),
        Ok(())
    );
}

#[test]
fn threads_racing_on_one_guard_admit_each_signature_once() {
    const THREADS: usize = 8;
    const SHARED: usize = 200;
    // Room for every signature: no refusal here is for want of space.
    let capacity = THREADS * SHARED + SHARED;
    let guard = MemoryReplayGuard::new(capacity).per_key(capacity);
    let admitted: Vec<AtomicUsize> = (0..SHARED).map(|_| AtomicUsize::new(0)).collect();
    let own = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (guard, admitted, own) = (&guard, &admitted, &own);
            scope.spawn(move || {
                for (i, count) in admitted.iter().enumerate() {
                    // Every thread tries every shared signature, at slightly different times.
                    let now = NOW + secs((i % 3) as i64);
                    let sig = format!("shared-{i}");
                    if guard
                        .check_and_record(Entry::new("k", sig.as_bytes(), NOW + secs(900)), now)
                        .is_ok()
                    {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    let mine = format!("thread-{t}-{i}");
                    if guard
                        .check_and_record(Entry::new("k", mine.as_bytes(), NOW + secs(900)), now)
                        .is_ok()
                    {
                        own.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    for (i, count) in admitted.iter().enumerate() {
        assert_eq!(count.load(Ordering::Relaxed), 1, "shared-{i}");
    }
    assert_eq!(own.load(Ordering::Relaxed), THREADS * SHARED);
    // Now it is full: the next new signature is refused.
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"one more", NOW + secs(900)), NOW),
        Err(Replay::Full)
    );
}

// ---------------------------------------------------------------------------------------------
// Through the verifiers

const TENCENT_ID: &str = "AKIDreplay";
const BCE_ID: &str = "AKreplay";
const SECRET: &str = "replay-secret";

fn keys() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(TENCENT_ID, SECRET);
    keys.insert(BCE_ID, SECRET);
    keys
}

/// A Tencent key-pair `GET /` signed at `at`.
fn tencent_signed(at: OffsetDateTime) -> Wire {
    let secret = Secret::from(SECRET);
    let unsigned = Wire::bare("GET", "/");
    let signature = unsigned
        .with_request(|request| {
            tencent::Signer::new(tencent::Mode::KeyPair, TENCENT_ID, &secret).sign(request, at)
        })
        .expect("signs");
    unsigned.with_all(signature.headers())
}

/// A BCE `GET /items` signed at `at`, valid for `expiration` seconds.
fn bce_signed(at: OffsetDateTime, expiration: u64) -> Wire {
    let secret = Secret::from(SECRET);
    let unsigned = Wire::bare("GET", "/items").with("Host", "replay.example.com");
    let signature = unsigned
        .with_request(|request| {
            bce::Signer::new(BCE_ID, &secret)
                .expiration(expiration)
                .sign(request, at)
        })
        .expect("signs");
    unsigned.with_all(signature.headers())
}

fn tencent_once(
    wire: &Wire,
    guard: &(impl ReplayGuard + ?Sized),
    now: OffsetDateTime,
) -> Result<(), Error> {
    wire.with_request(|request| {
        tencent::Verifier::default()
            .verify_once(tencent::Mode::KeyPair, request, &keys(), guard, now)
            .map(|_| ())
    })
}

fn bce_once(
    wire: &Wire,
    guard: &(impl ReplayGuard + ?Sized),
    now: OffsetDateTime,
) -> Result<(), Error> {
    wire.with_request(|request| {
        bce::Verifier::default()
            .verify_once(request, &keys(), guard, now)
            .map(|_| ())
    })
}

#[test]
fn tencent_verify_once_refuses_a_replay_for_the_whole_window() {
    let guard = MemoryReplayGuard::default();
    let first = tencent_signed(NOW);
    assert_eq!(tencent_once(&first, &guard, NOW), Ok(()));
    for at in [NOW, NOW + secs(1), NOW + secs(900)] {
        assert_eq!(
            tencent_once(&first, &guard, at),
            Err(Error::SignatureReplayed {
                key_id: TENCENT_ID.to_owned()
            }),
            "replayed at {at}"
        );
    }
    // Past the window the verifier's own clock check answers first.
    assert_eq!(
        tencent_once(&first, &guard, NOW + secs(901)).map_err(|e| e.code()),
        Err("DateOutOfWindow")
    );
    // A fresh signature (another date) passes, once.
    let second = tencent_signed(NOW + secs(1));
    assert_eq!(tencent_once(&second, &guard, NOW + secs(1)), Ok(()));
    assert!(tencent_once(&second, &guard, NOW + secs(1)).is_err());
    // `verify` itself is unchanged: it has no guard.
    let view = first.view();
    let request = first.request(&view);
    for _ in 0..2 {
        tencent::Verifier::default()
            .verify(tencent::Mode::KeyPair, &request, &keys(), NOW)
            .expect("verify does not guard");
    }
}

#[test]
fn tencent_hands_the_guard_the_mac_bytes_and_the_date_plus_max_skew() {
    let wire = tencent_signed(NOW);
    let view = wire.view();
    let request = wire.request(&view);
    let mut policy = tencent::Policy::default();
    policy.max_skew = core::time::Duration::from_secs(60);
    let verified = tencent::Verifier::new(policy)
        .verify(tencent::Mode::KeyPair, &request, &keys(), NOW + secs(30))
        .expect("verifies");
    let authorization = wire.header("authorization");
    let b64 = authorization
        .split("signature=\"")
        .nth(1)
        .and_then(|s| s.strip_suffix('"'))
        .expect("signature");
    let mac = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    assert_eq!(verified.signature(), mac.as_slice());
    assert_eq!(verified.signature().len(), 20, "hmac-sha1");
    assert_eq!(verified.not_after(), NOW + secs(60));
    // The signature is a credential until then: Debug leaves it out.
    let debug = format!("{verified:?}");
    assert!(!debug.contains(b64), "{debug}");
    assert!(debug.contains(TENCENT_ID), "{debug}");
}

#[test]
fn bce_verify_once_refuses_a_replay_for_the_whole_window() {
    let guard = MemoryReplayGuard::default();
    let first = bce_signed(NOW, 1800);
    assert_eq!(bce_once(&first, &guard, NOW), Ok(()));
    for at in [NOW, NOW + secs(1800)] {
        let err = bce_once(&first, &guard, at).expect_err("a replay");
        assert_eq!(
            err,
            Error::SignatureReplayed {
                key_id: BCE_ID.to_owned()
            }
        );
    }
    assert_eq!(
        bce_once(&first, &guard, NOW + secs(1801)).map_err(|e| e.code()),
        Err("SignatureTimestampExpired")
    );
    let second = bce_signed(NOW + secs(1), 1800);
    assert_eq!(bce_once(&second, &guard, NOW + secs(1)), Ok(()));
    assert!(bce_once(&second, &guard, NOW + secs(2)).is_err());
}

#[test]
fn bce_hands_the_guard_the_mac_bytes_and_the_timestamp_plus_expiration() {
    let wire = bce_signed(NOW, 120);
    let view = wire.view();
    let verified = bce::Verifier::default()
        .verify(&wire.request(&view), &keys(), NOW)
        .expect("verifies");
    let auth = wire.header("authorization");
    let hex_signature = auth.rsplit('/').next().expect("signature");
    assert_eq!(
        verified.signature().map(hex::encode),
        Some(hex_signature.to_owned())
    );
    assert_eq!(verified.not_after(), Some(NOW + secs(120)));
    assert!(!format!("{verified:?}").contains(hex_signature));
}

#[test]
fn bce_app_codes_are_not_guarded() {
    let (name, value) = bce::app_code_header("replay-app-code").expect("header");
    let wire = Wire::bare("GET", "/items").with(name, value);
    let mut policy = bce::Policy::default();
    policy.carriers = bce::Carriers::only(bce::Carrier::AppCode);
    let mut keys = KeySet::new();
    keys.insert("replay-app-code", "unused");
    let calls = CountingGuard::default();
    let view = wire.view();
    let request = wire.request(&view);
    for _ in 0..2 {
        let verified = bce::Verifier::new(policy.clone())
            .verify_once(&request, &keys, &calls, NOW)
            .expect("an AppCode verifies every time");
        assert_eq!((verified.signature(), verified.not_after()), (None, None));
    }
    assert_eq!(calls.calls.get(), 0);
}

/// Counts its calls; admits everything.
#[derive(Default)]
struct CountingGuard {
    calls: Cell<usize>,
}

impl ReplayGuard for CountingGuard {
    fn check_and_record(&self, _: Entry<'_>, _: OffsetDateTime) -> Result<(), Replay> {
        self.calls.set(self.calls.get() + 1);
        Ok(())
    }
}

/// Refuses everything with one outcome.
struct Refusing(Replay);

impl ReplayGuard for Refusing {
    fn check_and_record(&self, _: Entry<'_>, _: OffsetDateTime) -> Result<(), Replay> {
        Err(self.0)
    }
}

#[test]
fn only_a_request_that_verifies_reaches_the_guard() {
    let calls = CountingGuard::default();
    let tampered = tencent_signed(NOW).auth(|a| a.replace("signature=\"", "signature=\"AAAA"));
    assert!(tencent_once(&tampered, &calls, NOW).is_err());
    assert!(tencent_once(&tencent_signed(NOW), &calls, NOW + secs(3600)).is_err());
    assert!(bce_once(&bce_signed(NOW, 60), &calls, NOW + secs(61)).is_err());
    assert_eq!(calls.calls.get(), 0);
    assert_eq!(tencent_once(&tencent_signed(NOW), &calls, NOW), Ok(()));
    assert_eq!(bce_once(&bce_signed(NOW, 60), &calls, NOW), Ok(()));
    assert_eq!(calls.calls.get(), 2);
}

#[test]
fn a_full_or_failing_guard_refuses_through_both_verifiers() {
    // Full, for real: capacity 1 and one unexpired signature.
    let guard = MemoryReplayGuard::new(1);
    assert_eq!(tencent_once(&tencent_signed(NOW), &guard, NOW), Ok(()));
    assert_eq!(
        tencent_once(&tencent_signed(NOW + secs(1)), &guard, NOW + secs(1)),
        Err(Error::ReplayCacheFull)
    );
    assert_eq!(
        bce_once(&bce_signed(NOW, 60), &guard, NOW),
        Err(Error::ReplayCacheFull)
    );
    // Once the first signature's window passes there is room again.
    let later = NOW + secs(901);
    assert_eq!(tencent_once(&tencent_signed(later), &guard, later), Ok(()));

    // Any guard, also as a trait object.
    let unavailable: &dyn ReplayGuard = &Refusing(Replay::Unavailable);
    assert_eq!(
        tencent_once(&tencent_signed(NOW), unavailable, NOW),
        Err(Error::ReplayGuardUnavailable)
    );
    assert_eq!(
        bce_once(&bce_signed(NOW, 60), unavailable, NOW),
        Err(Error::ReplayGuardUnavailable)
    );
    let shared = std::sync::Arc::new(MemoryReplayGuard::new(4).per_key(4));
    assert_eq!(bce_once(&bce_signed(NOW, 60), &shared, NOW), Ok(()));
    assert!(bce_once(&bce_signed(NOW, 60), &shared, NOW).is_err());
}

#[test]
fn the_replay_errors_codes_statuses_and_bodies() {
    // Not vendor rows: the crate's own messages and codes. Tencent's body shape for both
    // schemes; the replay answers like Tencent's other authentication errors, a guard with no
    // room or no answer with 503.
    let rows = [
        (
            Error::SignatureReplayed {
                key_id: "AK".into(),
            },
            "the signature was already used",
            "SignatureReplayed",
            403,
            401,
        ),
        (
            Error::ReplayCacheFull,
            "the replay cache is full, try again later",
            "ReplayCacheFull",
            503,
            503,
        ),
        (
            Error::ReplayGuardUnavailable,
            "the replay guard is unavailable, try again later",
            "ReplayGuardUnavailable",
            503,
            503,
        ),
    ];
    for (err, message, code, classic, current) in rows {
        assert_eq!(err.to_string(), message);
        assert_eq!(err.code(), code);
        assert_eq!(err.status(StatusProfile::Classic), classic, "{code}");
        assert_eq!(err.status(StatusProfile::Current), current, "{code}");
        assert!(!err.is_bce());
        let body = format!(r#"{{"message":"{message}"}}"#);
        assert_eq!(err.json_body(), body);
        assert_eq!(err.json_body_with_request_id("r-1"), body);
    }
    assert_eq!(
        Replay::Replayed.to_string(),
        "the signature was already used"
    );
    assert_eq!(Replay::Full.to_string(), "the replay guard is full");
    assert_eq!(
        Replay::Unavailable.to_string(),
        "the replay guard is unavailable"
    );
}

#[test]
fn one_key_cannot_exhaust_the_guard() {
    // Capacity 8: each key holds at most 2 entries by default.
    let guard = MemoryReplayGuard::new(8);
    let end = NOW + secs(900);
    let mut flooder_accepted = 0;
    for i in 0..1000 {
        if guard
            .check_and_record(
                Entry::new("flooder", format!("sig-{i}").as_bytes(), end),
                NOW,
            )
            .is_ok()
        {
            flooder_accepted += 1;
        }
    }
    assert_eq!(flooder_accepted, 2, "the flooder gets its share only");
    assert_eq!(
        guard.check_and_record(Entry::new("flooder", b"one more", end), NOW),
        Err(Replay::Full)
    );
    // Three other keys still get theirs.
    for key in ["a", "b", "c"] {
        for i in 0..2 {
            assert_eq!(
                guard.check_and_record(Entry::new(key, format!("sig-{i}").as_bytes(), end), NOW),
                Ok(()),
                "{key} {i}"
            );
        }
    }
    // The shares add up to the capacity: now it is full for everybody.
    assert_eq!(
        guard.check_and_record(Entry::new("d", b"sig", end), NOW),
        Err(Replay::Full)
    );
    // When the flooder's entries expire, its share opens again.
    let later = end + secs(1);
    assert_eq!(
        guard.check_and_record(Entry::new("flooder", b"again", later + secs(60)), later),
        Ok(())
    );
}

#[test]
fn the_same_mac_under_two_keys_is_two_entries() {
    let guard = MemoryReplayGuard::new(8);
    let end = NOW + secs(60);
    assert_eq!(
        guard.check_and_record(Entry::new("a", b"mac", end), NOW),
        Ok(())
    );
    assert_eq!(
        guard.check_and_record(Entry::new("b", b"mac", end), NOW),
        Ok(())
    );
    assert_eq!(
        guard.check_and_record(Entry::new("a", b"mac", end), NOW),
        Err(Replay::Replayed)
    );
}

#[test]
fn windows_longer_than_the_cap_are_refused_unless_allowed() {
    let guard = MemoryReplayGuard::new(8);
    // A 36-hour BCE expiration.
    let far = NOW + secs(36 * 3600);
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"long", far), NOW),
        Err(Replay::WindowTooLong)
    );
    // The default cap, one hour, is inside; one second more is not.
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"hour", NOW + secs(3600)), NOW),
        Ok(())
    );
    assert_eq!(
        guard.check_and_record(Entry::new("k", b"hour+1", NOW + secs(3601)), NOW),
        Err(Replay::WindowTooLong)
    );
    let allowing = MemoryReplayGuard::new(8).max_window(std::time::Duration::from_secs(36 * 3600));
    assert_eq!(
        allowing.check_and_record(Entry::new("k", b"long", far), NOW),
        Ok(())
    );
    let error = Replay::WindowTooLong.refusal("AKIDx");
    assert_eq!(error.code(), "SignatureWindowTooLong");
    assert_eq!(error.status(StatusProfile::Classic), 403);
    assert_eq!(error.retry_after(), None);
    assert_eq!(Replay::Full.refusal("k").retry_after(), Some(60));
    assert_eq!(Replay::Unavailable.refusal("k").retry_after(), Some(1));
}
