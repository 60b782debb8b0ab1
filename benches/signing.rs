//! Signing and verification cost against the bare HMAC ("floor") over the same string to sign.
//!
//! `floor` keys the HMAC on every call, as a hand-written signer does. The crate keeps each
//! secret's keyed HMAC state (see `Secret`), so `floor-prekeyed` is shown too: the same MAC from
//! a state keyed in advance. The difference between `sign`/`verify` and `floor-prekeyed` is the
//! cost of canonicalizing, parsing and formatting.
//!
//! Run with `cargo bench --bench signing`. Each group signs and verifies the typical request:
//! `GET /v1/users/profile` with four query parameters (one with Chinese characters and a space),
//! `Host`, `Accept`, `Source` and the date header (`X-Date` for Tencent, `x-bce-date` for BCE,
//! whose signature goes in `X-Bce-Signature`).

use std::hint::black_box;

use apigw_sign::replay::{Entry, MemoryReplayGuard, ReplayGuard as _};
use apigw_sign::tencent::{Mode, Parts, Policy, Signer, Verifier};
use apigw_sign::{bce, Header, KeySet, Request, Secret};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::Sha256;
use time::macros::datetime;
use time::OffsetDateTime;

const KEY_ID: &str = "AKIDbenchmark";
const SECRET: &str = "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv";
const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);
const PATH: &str = "/v1/users/profile";
const QUERY: [(&str, &str); 4] = [
    ("fields", "name,email"),
    ("lang", "zh-CN"),
    ("q", "中文 空格"),
    ("version", "2"),
];

fn base_headers() -> Vec<Header<'static>> {
    vec![
        Header::new("Host", "service-demo-1250000000.gz.apigw.tencentcs.com"),
        Header::new("Accept", "application/json"),
        Header::new("Source", "benchmark"),
    ]
}

/// The bare HMAC-SHA1 (keyed per call, as signing does) over `string_to_sign`.
fn floor(secret: &[u8], string_to_sign: &[u8]) -> [u8; 20] {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret).unwrap();
    mac.update(string_to_sign);
    mac.finalize().into_bytes().into()
}

/// [`floor`] from a MAC state keyed in advance: what is left of the floor once the secret's
/// keyed HMAC state is kept, as `Secret` does.
fn floor_prekeyed(keyed: &Hmac<Sha1>, string_to_sign: &[u8]) -> [u8; 20] {
    let mut mac = keyed.clone();
    mac.update(string_to_sign);
    mac.finalize().into_bytes().into()
}

fn tencent(c: &mut Criterion, group_name: &str, mode: Mode) {
    let secret = Secret::from(SECRET);
    let signer = Signer::new(mode, KEY_ID, &secret);
    let parts = Parts::new("GET", PATH).query(&QUERY);
    let headers = base_headers();
    let wire = signer.sign_parts(&parts.headers(&headers), NOW).unwrap();
    let unsigned = Request::new("GET", &wire.target, &headers, b"");
    let string_to_sign = signer.explain(&unsigned, NOW).unwrap();

    let mut signed_headers = headers.clone();
    signed_headers.extend(wire.signature.headers().map(|(n, v)| Header::new(n, v)));
    let signed = Request::new("GET", &wire.target, &signed_headers, b"");
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    let verifier = Verifier::new(Policy::default());
    verifier.verify(mode, &signed, &keys, NOW).unwrap();

    let mut group = c.benchmark_group(group_name);
    group.bench_function("floor", |b| {
        b.iter(|| {
            floor(
                black_box(SECRET.as_bytes()),
                black_box(string_to_sign.as_bytes()),
            )
        })
    });
    let keyed = <Hmac<Sha1> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    group.bench_function("floor-prekeyed", |b| {
        b.iter(|| floor_prekeyed(black_box(&keyed), black_box(string_to_sign.as_bytes())))
    });
    group.bench_function("sign", |b| {
        b.iter(|| signer.sign(black_box(&unsigned), black_box(NOW)).unwrap())
    });
    group.bench_function("sign_parts", |b| {
        b.iter(|| {
            signer
                .sign_parts(black_box(&parts.headers(&headers)), black_box(NOW))
                .unwrap()
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            verifier
                .verify(mode, black_box(&signed), black_box(&keys), black_box(NOW))
                .unwrap()
                .key_id()
                .len()
        })
    });
    group.finish();
}

/// The bare BCE cost: `hex(HMAC-SHA256(hex(HMAC-SHA256(sk, prefix)), canonical))`.
fn bce_floor(secret: &[u8], prefix: &[u8], canonical: &[u8]) -> [u8; 64] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap();
    mac.update(prefix);
    let mut signing_key = [0u8; 64];
    hex::encode_to_slice(mac.finalize().into_bytes(), &mut signing_key).unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&signing_key).unwrap();
    mac.update(canonical);
    let mut signature = [0u8; 64];
    hex::encode_to_slice(mac.finalize().into_bytes(), &mut signature).unwrap();
    signature
}

/// [`bce_floor`] with the first HMAC from a state keyed with the secret in advance (the second
/// is keyed with the derived signing key, which changes with every timestamp).
fn bce_floor_prekeyed(keyed: &Hmac<Sha256>, prefix: &[u8], canonical: &[u8]) -> [u8; 64] {
    let mut mac = keyed.clone();
    mac.update(prefix);
    let mut signing_key = [0u8; 64];
    hex::encode_to_slice(mac.finalize().into_bytes(), &mut signing_key).unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&signing_key).unwrap();
    mac.update(canonical);
    let mut signature = [0u8; 64];
    hex::encode_to_slice(mac.finalize().into_bytes(), &mut signature).unwrap();
    signature
}

fn bce(c: &mut Criterion) {
    let secret = Secret::from(SECRET);
    let signer = bce::Signer::new(KEY_ID, &secret).carrier(bce::Carrier::XBceSignature);
    let target = wire_target();
    let mut headers = base_headers();
    let timestamp = apigw_sign::format_iso8601(NOW);
    headers.push(Header::new("x-bce-date", &timestamp));
    let unsigned = Request::new("GET", &target, &headers, b"");
    let signature = signer.sign(&unsigned, NOW).unwrap();
    let canonical = signer.explain(&unsigned, NOW).unwrap();
    let auth = signature.auth_string();
    let prefix = &auth[..auth.match_indices('/').nth(3).unwrap().0];

    let mut signed_headers = headers.clone();
    signed_headers.extend(signature.headers().map(|(n, v)| Header::new(n, v)));
    let signed = Request::new("GET", &target, &signed_headers, b"");
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    let verifier = bce::Verifier::new(bce::Policy::default());
    verifier.verify(&signed, &keys, NOW).unwrap();

    let mut group = c.benchmark_group("bce");
    group.bench_function("floor", |b| {
        b.iter(|| {
            bce_floor(
                black_box(SECRET.as_bytes()),
                black_box(prefix.as_bytes()),
                black_box(canonical.as_bytes()),
            )
        })
    });
    let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    group.bench_function("floor-prekeyed", |b| {
        b.iter(|| {
            bce_floor_prekeyed(
                black_box(&keyed),
                black_box(prefix.as_bytes()),
                black_box(canonical.as_bytes()),
            )
        })
    });
    group.bench_function("sign", |b| {
        b.iter(|| signer.sign(black_box(&unsigned), black_box(NOW)).unwrap())
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&signed), black_box(&keys), black_box(NOW))
                .unwrap()
                .stage()
        })
    });
    group.finish();
}

/// The typical request's target in wire form.
fn wire_target() -> String {
    let secret = Secret::from(SECRET);
    let parts = Parts::new("GET", PATH).query(&QUERY);
    Signer::new(Mode::App, KEY_ID, &secret)
        .sign_parts(&parts, NOW)
        .unwrap()
        .target
}

fn tencent_app(c: &mut Criterion) {
    tencent(c, "tencent-app", Mode::App);
}

fn tencent_key_pair(c: &mut Criterion) {
    tencent(c, "tencent-key-pair", Mode::KeyPair);
}

/// `tencent-app` with a body: a 1 KiB JSON `POST` and a 1 MiB body, in bytes per second. The
/// floor adds the MD5 of the body to the HMAC, as signing must.
fn tencent_app_bodies(c: &mut Criterion) {
    let secret = Secret::from(SECRET);
    let signer = Signer::new(Mode::App, KEY_ID, &secret);
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    let verifier = Verifier::new(Policy::default());
    let mut group = c.benchmark_group("tencent-app");
    for (name, size) in [("json-1KiB", 1024usize), ("body-1MiB", 1024 * 1024)] {
        let body: Vec<u8> =
            br#"{"items":[1,2,3],"name":"abc"}"#.iter().copied().cycle().take(size).collect();
        let headers = vec![
            Header::new("Host", "service-demo-1250000000.gz.apigw.tencentcs.com"),
            Header::new("Accept", "application/json"),
            Header::new("Content-Type", "application/json"),
            Header::new("Source", "benchmark"),
        ];
        let unsigned = Request::new("POST", "/v1/users", &headers, &body);
        let string_to_sign = signer.explain(&unsigned, NOW).unwrap();
        let signature = signer.sign(&unsigned, NOW).unwrap();
        let mut signed_headers = headers.clone();
        signed_headers.extend(signature.headers().map(|(n, v)| Header::new(n, v)));
        let signed = Request::new("POST", "/v1/users", &signed_headers, &body);
        verifier.verify(Mode::App, &signed, &keys, NOW).unwrap();

        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format!("floor/{name}"), |b| {
            b.iter(|| {
                let md5 = apigw_sign::tencent::content_md5(black_box(&body));
                (
                    md5,
                    floor(
                        black_box(SECRET.as_bytes()),
                        black_box(string_to_sign.as_bytes()),
                    ),
                )
            })
        });
        group.bench_function(format!("sign/{name}"), |b| {
            b.iter(|| signer.sign(black_box(&unsigned), black_box(NOW)).unwrap())
        });
        group.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| {
                verifier
                    .verify(
                        Mode::App,
                        black_box(&signed),
                        black_box(&keys),
                        black_box(NOW),
                    )
                    .unwrap()
                    .key_id()
                    .len()
            })
        });
    }
    group.finish();
}

/// The query of the parameter-scaling groups: `n` parameters, keys out of order, each value
/// with an escaped space.
fn scaling_query(n: usize) -> String {
    (0..n)
        .map(|i| format!("key{:03}=value%20{i}", (i * 37) % 101))
        .collect::<Vec<_>>()
        .join("&")
}

/// The parameter counts of the scaling groups.
const PARAM_COUNTS: [usize; 4] = [1, 10, 20, 100];

/// How signing and verifying scale with the number of query parameters (1, 10, 20, 100).
fn scaling(c: &mut Criterion) {
    let secret = Secret::from(SECRET);
    let signer = Signer::new(Mode::App, KEY_ID, &secret);
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    let verifier = Verifier::new(Policy::default());
    let mut group = c.benchmark_group("tencent-app-params");
    for n in PARAM_COUNTS {
        let target = format!("/v1/users/profile?{}", scaling_query(n));
        let headers = base_headers();
        let unsigned = Request::new("GET", &target, &headers, b"");
        let signature = signer.sign(&unsigned, NOW).unwrap();
        let mut signed_headers = headers.clone();
        signed_headers.extend(signature.headers().map(|(n, v)| Header::new(n, v)));
        let signed = Request::new("GET", &target, &signed_headers, b"");
        verifier.verify(Mode::App, &signed, &keys, NOW).unwrap();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("sign", n), &unsigned, |b, r| {
            b.iter(|| signer.sign(black_box(r), NOW).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("verify", n), &signed, |b, r| {
            b.iter(|| {
                verifier
                    .verify(Mode::App, black_box(r), &keys, NOW)
                    .unwrap()
                    .key_id()
                    .len()
            })
        });
    }
    group.finish();
}

/// [`scaling`] for BCE (signature in `X-Bce-Signature`, `x-bce-date` in the request).
fn bce_scaling(c: &mut Criterion) {
    let secret = Secret::from(SECRET);
    let signer = bce::Signer::new(KEY_ID, &secret).carrier(bce::Carrier::XBceSignature);
    let mut keys = KeySet::new();
    keys.insert(KEY_ID, SECRET);
    let verifier = bce::Verifier::new(bce::Policy::default());
    let timestamp = apigw_sign::format_iso8601(NOW);
    let mut group = c.benchmark_group("bce-params");
    for n in PARAM_COUNTS {
        let target = format!("/v1/users/profile?{}", scaling_query(n));
        let mut headers = base_headers();
        headers.push(Header::new("x-bce-date", &timestamp));
        let unsigned = Request::new("GET", &target, &headers, b"");
        let signature = signer.sign(&unsigned, NOW).unwrap();
        let mut signed_headers = headers.clone();
        signed_headers.extend(signature.headers().map(|(n, v)| Header::new(n, v)));
        let signed = Request::new("GET", &target, &signed_headers, b"");
        verifier.verify(&signed, &keys, NOW).unwrap();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("sign", n), &unsigned, |b, r| {
            b.iter(|| signer.sign(black_box(r), NOW).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("verify", n), &signed, |b, r| {
            b.iter(|| verifier.verify(black_box(r), &keys, NOW).unwrap().stage())
        });
    }
    group.finish();
}

/// The in-memory replay guard recording fresh signatures, as a server's guard does: one key,
/// a 20-byte MAC each, a 900-second window, the clock one second on every 64 records, so that
/// about 57 600 entries are held and one expires for each one recorded (the steady state of a
/// server at 64 verified requests a second per second of clock, scaled).
fn replay(c: &mut Criterion) {
    let guard = MemoryReplayGuard::new(100_000).per_key(100_000);
    let mut n: u64 = 0;
    c.benchmark_group("replay")
        .bench_function("memory-guard/record", |b| {
            b.iter(|| {
                n += 1;
                let now = NOW + time::Duration::seconds((n / 64) as i64);
                let mut mac = [0x5a_u8; 20];
                mac[..8].copy_from_slice(&n.to_le_bytes());
                let entry = Entry::new(KEY_ID, &mac, now + time::Duration::seconds(900));
                guard.check_and_record(black_box(entry), now).unwrap()
            })
        });
}

criterion_group!(
    benches,
    replay,
    tencent_app,
    tencent_key_pair,
    bce,
    tencent_app_bodies,
    scaling,
    bce_scaling
);
criterion_main!(benches);
