//! Signing and verification cost against the bare HMAC ("floor") over the same string to sign.
//!
//! Run with `cargo bench --bench signing`. Each group signs and verifies the typical request:
//! `GET /v1/users/profile` with four query parameters (one with Chinese characters and a space),
//! `Host`, `Accept`, `Source` and the date header.

use std::hint::black_box;

use apigw_sign::tencent::{Mode, Parts, Policy, Signer, Verifier};
use apigw_sign::{Header, KeySet, Request, Secret};
use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
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

fn tencent_app(c: &mut Criterion) {
    tencent(c, "tencent-app", Mode::App);
}

fn tencent_key_pair(c: &mut Criterion) {
    tencent(c, "tencent-key-pair", Mode::KeyPair);
}

criterion_group!(benches, tencent_app, tencent_key_pair);
criterion_main!(benches);
