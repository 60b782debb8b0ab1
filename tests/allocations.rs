//! Allocation counts on the hot paths, with a counting global allocator.
//!
//! Verifying the typical request allocates nothing, in every scheme; signing allocates only the
//! strings it returns. The first MAC under a `Secret` and an algorithm also allocates, once, the
//! keyed HMAC state the secret keeps (checked too). The counter is per thread, so tests running in parallel do not disturb
//! each other.
// A global allocator is an `unsafe impl`; it forwards every call to `System` unchanged.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use apigw_sign::tencent::{Mode, Parts, Policy, Signer};
use apigw_sign::{bce, tencent, Header, KeyLookup as _, KeySet, Request, Secret};
use time::macros::datetime;
use time::OffsetDateTime;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counter is a
// thread-local `Cell` with a const initializer, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` makes on this thread (its result is dropped outside the count).
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let value = f();
    let after = ALLOCATIONS.with(Cell::get);
    (after - before, value)
}

const KEY_ID: &str = "AKIDallocations";
const SECRET: &str = "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv";
const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);
const QUERY: [(&str, &str); 4] = [
    ("fields", "name,email"),
    ("lang", "zh-CN"),
    ("q", "中文 空格"),
    ("version", "2"),
];

/// The typical request: `GET /v1/users/profile`, four query parameters, `Host`, `Accept`,
/// `Source` (the date header is added by the signer).
fn typical() -> (String, Vec<Header<'static>>) {
    let secret = Secret::from(SECRET);
    let target = Signer::new(Mode::App, KEY_ID, &secret)
        .sign_parts(&Parts::new("GET", "/v1/users/profile").query(&QUERY), NOW)
        .unwrap()
        .target;
    let headers = vec![
        Header::new("Host", "service-demo-1250000000.gz.apigw.tencentcs.com"),
        Header::new("Accept", "application/json"),
        Header::new("Source", "allocations"),
    ];
    (target, headers)
}

fn keys() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    keys
}

#[test]
fn tencent_verify_allocates_nothing_and_sign_allocates_its_one_string() {
    let (target, headers) = typical();
    let secret = Secret::from(SECRET);
    let keys = keys();
    for (i, mode) in [Mode::App, Mode::KeyPair].into_iter().enumerate() {
        let signer = Signer::new(mode, KEY_ID, &secret);
        let unsigned = Request::new("GET", &target, &headers, b"");
        if i == 0 {
            // The first MAC under a secret and an algorithm also keeps the keyed HMAC state.
            let (count, _) = allocations(|| signer.sign(&unsigned, NOW).unwrap());
            assert_eq!(count, 2, "the first sign also allocates the keyed state");
        }
        let (count, signature) = allocations(|| signer.sign(&unsigned, NOW).unwrap());
        assert_eq!(
            count, 1,
            "{mode:?}: sign allocates the Authorization string only"
        );

        let owned: Vec<(String, String)> = signature
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let mut signed_headers = headers.clone();
        signed_headers.extend(owned.iter().map(|(n, v)| Header::new(n, v)));
        let signed = Request::new("GET", &target, &signed_headers, b"");
        let verifier = tencent::Verifier::new(Policy::default());
        if i == 0 {
            let (count, _) = allocations(|| verifier.verify(mode, &signed, &keys, NOW).is_ok());
            assert_eq!(count, 1, "the first verify keeps the key set's keyed state");
        }
        let (count, verified) = allocations(|| {
            verifier
                .verify(mode, &signed, &keys, NOW)
                .map(|v| v.key_id().len())
        });
        assert_eq!(verified, Ok(KEY_ID.len()));
        assert_eq!(count, 0, "{mode:?}: verify allocates nothing");
    }
}

#[test]
fn tencent_sign_parts_allocates_the_target_and_the_authorization() {
    let secret = Secret::from(SECRET);
    let signer = Signer::new(Mode::App, KEY_ID, &secret);
    let parts = Parts::new("GET", "/v1/users/profile").query(&QUERY);
    signer.sign_parts(&parts, NOW).unwrap(); // keys the secret's HMAC state
    let (count, signed) = allocations(|| signer.sign_parts(&parts, NOW).unwrap());
    assert!(signed.body.is_none());
    assert_eq!(count, 2, "the wire target and the Authorization string");
}

#[test]
fn bce_verify_allocates_nothing_and_sign_allocates_its_one_string() {
    let (target, mut headers) = typical();
    let timestamp = apigw_sign::format_iso8601(NOW);
    headers.push(Header::new("x-bce-date", &timestamp));
    let secret = Secret::from(SECRET);
    let keys = keys();
    for (i, carrier) in [bce::Carrier::XBceSignature, bce::Carrier::Authorization]
        .into_iter()
        .enumerate()
    {
        let signer = bce::Signer::new(KEY_ID, &secret).carrier(carrier);
        let unsigned = Request::new("GET", &target, &headers, b"");
        if i == 0 {
            // The first MAC under the secret also keeps its keyed HMAC-SHA256 state.
            let (count, _) = allocations(|| signer.sign(&unsigned, NOW).unwrap());
            assert_eq!(count, 2, "the first sign also allocates the keyed state");
        }
        let (count, signature) = allocations(|| signer.sign(&unsigned, NOW).unwrap());
        assert_eq!(count, 1, "{carrier:?}: sign allocates the auth string only");

        let owned: Vec<(String, String)> = signature
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let mut signed_headers = headers.clone();
        signed_headers.extend(owned.iter().map(|(n, v)| Header::new(n, v)));
        let signed = Request::new("GET", &target, &signed_headers, b"");
        let verifier = bce::Verifier::new(bce::Policy::default());
        if i == 0 {
            let (count, _) = allocations(|| verifier.verify(&signed, &keys, NOW).is_ok());
            assert_eq!(count, 1, "the first verify keeps the key set's keyed state");
        }
        let (count, verified) =
            allocations(|| verifier.verify(&signed, &keys, NOW).map(|v| v.stage()));
        assert_eq!(verified, Ok(bce::Stage::Release));
        assert_eq!(count, 0, "{carrier:?}: verify allocates nothing");
    }
}

/// A BCE `POST` with a JSON body signing four headers besides `x-bce-date` (`host`,
/// `content-length`, `content-type`, `content-md5`): the auth string's capacity covers the
/// signed-header list, so signing still allocates once.
#[test]
fn bce_post_with_four_signed_headers_allocates_once_to_sign_and_never_to_verify() {
    let body = br#"{"name":"allocations","items":[1,2,3]}"#;
    let length = body.len().to_string();
    let md5 = apigw_sign::tencent::content_md5(body);
    let headers = vec![
        Header::new("Host", "bce-allocations.example.com"),
        Header::new("Content-Length", &length),
        Header::new("Content-Type", "application/json"),
        Header::new("Content-MD5", &md5),
    ];
    let secret = Secret::from(SECRET);
    let signer = bce::Signer::new(KEY_ID, &secret).carrier(bce::Carrier::XBceSignature);
    let unsigned = Request::new("POST", "/v1/items?lang=zh-CN", &headers, body);
    signer.sign(&unsigned, NOW).unwrap(); // keys the secret's HMAC-SHA256 state
    let (count, signature) = allocations(|| signer.sign(&unsigned, NOW).unwrap());
    assert_eq!(count, 1, "sign allocates the auth string only");
    assert!(signature
        .auth_string()
        .contains("/content-length;content-md5;content-type;host;x-bce-date/"));

    let owned: Vec<(String, String)> = signature
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let mut signed_headers = headers.clone();
    signed_headers.extend(owned.iter().map(|(n, v)| Header::new(n, v)));
    let signed = Request::new("POST", "/v1/items?lang=zh-CN", &signed_headers, body);
    let keys = keys();
    let verifier = bce::Verifier::new(bce::Policy::default());
    verifier.verify(&signed, &keys, NOW).unwrap(); // keys the key set's secret
    let (count, verified) = allocations(|| verifier.verify(&signed, &keys, NOW).map(|v| v.stage()));
    assert_eq!(verified, Ok(bce::Stage::Release));
    assert_eq!(count, 0, "verify allocates nothing");
}

/// The query of the `*-params` bench groups: `n` parameters, unique keys in shuffled order,
/// values with an encoded space.
fn params_query(n: usize) -> String {
    (0..n)
        .map(|i| format!("key{:03}=value%20{i}", (i * 37) % 101))
        .collect::<Vec<_>>()
        .join("&")
}

/// The shapes of the `tencent-app-params` and `bce-params` bench groups (1, 10, 20 and 100
/// query parameters): verify allocates nothing, sign only the string it returns.
#[test]
fn params_groups_verify_allocates_nothing_and_sign_allocates_once() {
    let secret = Secret::from(SECRET);
    let keys = keys();
    let timestamp = apigw_sign::format_iso8601(NOW);
    for n in [1, 10, 20, 100] {
        let target = format!("/v1/users/profile?{}", params_query(n));
        let headers = vec![
            Header::new("Host", "service-demo-1250000000.gz.apigw.tencentcs.com"),
            Header::new("Accept", "application/json"),
            Header::new("x-bce-date", &timestamp),
        ];
        let unsigned = Request::new("GET", &target, &headers, b"");

        let signer = Signer::new(Mode::App, KEY_ID, &secret);
        signer.sign(&unsigned, NOW).unwrap(); // keys the secret's HMAC state
        let (count, signature) = allocations(|| signer.sign(&unsigned, NOW).unwrap());
        assert_eq!(count, 1, "tencent, {n} params: sign allocates once");
        let owned: Vec<(String, String)> = signature
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let mut signed_headers = headers.clone();
        signed_headers.extend(owned.iter().map(|(n, v)| Header::new(n, v)));
        let signed = Request::new("GET", &target, &signed_headers, b"");
        let verifier = tencent::Verifier::new(Policy::default());
        verifier.verify(Mode::App, &signed, &keys, NOW).unwrap();
        let (count, verified) =
            allocations(|| verifier.verify(Mode::App, &signed, &keys, NOW).is_ok());
        assert!(verified);
        assert_eq!(count, 0, "tencent, {n} params: verify allocates nothing");

        let signer = bce::Signer::new(KEY_ID, &secret).carrier(bce::Carrier::XBceSignature);
        signer.sign(&unsigned, NOW).unwrap();
        let (count, signature) = allocations(|| signer.sign(&unsigned, NOW).unwrap());
        assert_eq!(count, 1, "bce, {n} params: sign allocates once");
        let owned: Vec<(String, String)> = signature
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let mut signed_headers = headers.clone();
        signed_headers.extend(owned.iter().map(|(n, v)| Header::new(n, v)));
        let signed = Request::new("GET", &target, &signed_headers, b"");
        let verifier = bce::Verifier::new(bce::Policy::default());
        verifier.verify(&signed, &keys, NOW).unwrap();
        let (count, verified) = allocations(|| verifier.verify(&signed, &keys, NOW).is_ok());
        assert!(verified);
        assert_eq!(count, 0, "bce, {n} params: verify allocates nothing");
    }
}

/// The two-phase API: phase one allocates nothing, phase two with a borrowed status nothing, and
/// an owned status (what an asynchronous key source hands over) one `Arc` of the secrets.
#[test]
fn the_two_phases_allocate_nothing() {
    let (target, headers) = typical();
    let secret = Secret::from(SECRET);
    let keys = keys();
    let signature = Signer::new(Mode::App, KEY_ID, &secret)
        .sign(&Request::new("GET", &target, &headers, b""), NOW)
        .unwrap();
    let owned: Vec<(String, String)> = signature
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let mut signed_headers = headers.clone();
    signed_headers.extend(owned.iter().map(|(n, v)| Header::new(n, v)));
    let signed = Request::new("GET", &target, &signed_headers, b"");
    let verifier = tencent::Verifier::new(Policy::default());
    // Warm the key set's keyed state.
    assert!(verifier.verify(Mode::App, &signed, &keys, NOW).is_ok());

    let mut scratch = apigw_sign::Scratch::default();
    let (count, pending) = allocations(|| {
        verifier
            .prepare(Mode::App, &signed, NOW, &mut scratch)
            .unwrap()
    });
    assert_eq!(count, 0, "phase one allocates nothing");
    let (count, verified) = allocations(|| {
        verifier
            .finish(&pending, keys.lookup(pending.key_id()))
            .is_ok()
    });
    assert!(verified);
    assert_eq!(count, 0, "phase two allocates nothing");
    let (count, status) = allocations(|| keys.lookup_owned(pending.key_id()));
    assert_eq!(count, 1, "an owned status holds its secrets in one Arc");
    let (count, verified) = allocations(|| verifier.finish(&pending, status.status()).is_ok());
    assert!(verified);
    assert_eq!(count, 0, "phase two with an owned status allocates nothing");
}

#[test]
fn the_counter_counts() {
    let (count, v) = allocations(|| vec![1u8; 10]);
    assert_eq!((count, v.len()), (1, 10));
}
