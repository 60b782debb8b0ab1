#![no_main]
use apigw_sign::bce::{Carrier, Carriers, MismatchDetail, Policy, Verifier};
use apigw_sign_fuzz::{keys, render, Input};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let mut policy = Policy::default();
    policy.carriers = Carriers::SIGNATURES.with(Carrier::AppCode);
    policy.mismatch_detail = MismatchDetail::ServerCanonicalRequest;
    let verifier = Verifier::new(policy);
    if let Err(error) = verifier.verify(&input.request(), keys(), input.now) {
        render(&error);
    }
    let _ = verifier.explain(&input.request());
});
