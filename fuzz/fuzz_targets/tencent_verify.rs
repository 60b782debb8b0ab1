#![no_main]
use apigw_sign::tencent::{MismatchDetail, Mode, Policy, Verifier};
use apigw_sign_fuzz::{keys, render, Input};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let mut detailed = Policy::default();
    detailed.mismatch_detail = MismatchDetail::ServerStringToSign;
    for verifier in [Verifier::default(), Verifier::new(detailed)] {
        for mode in [Mode::App, Mode::KeyPair] {
            for request in [input.request(), input.request().without_body()] {
                if let Err(error) = verifier.verify(mode, &request, keys(), input.now) {
                    render(&error);
                }
                let _ = verifier.explain(mode, &request);
            }
        }
    }
});
