#![no_main]
use apigw_sign::bce::{Carrier, Carriers, MismatchDetail, Policy, Verifier};
use apigw_sign::{KeyLookup as _, OwnedKeyStatus, Scratch};
use apigw_sign_fuzz::{keys, render, Input};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let mut policy = Policy::default();
    policy.carriers = Carriers::SIGNATURES.with(Carrier::AppCode);
    policy.mismatch_detail = MismatchDetail::ServerCanonicalRequest;
    let verifier = Verifier::new(policy);
    let request = input.request();
    let verified = verifier.verify(&request, keys(), input.now);
    if let Err(error) = &verified {
        render(error);
    }
    // The two phases, the key owned in between (as an async source hands it over), decide
    // exactly as `verify`.
    let mut scratch = Scratch::default();
    let phased = verifier
        .prepare(&request, input.now, &mut scratch)
        .and_then(|pending| {
            let key = OwnedKeyStatus::from(keys().lookup(pending.key_id()));
            verifier.finish(&pending, key.status())
        });
    assert_eq!(phased, verified);
    let _ = verifier.explain(&input.request());
});
