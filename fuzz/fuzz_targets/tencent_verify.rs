#![no_main]
use apigw_sign::tencent::{MismatchDetail, Mode, Policy, Verifier};
use apigw_sign::{KeyLookup as _, OwnedKeyStatus, Scratch};
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
                let verified = verifier.verify(mode, &request, keys(), input.now);
                if let Err(error) = &verified {
                    render(error);
                }
                // The two phases, the key owned in between (as an async source hands it over),
                // decide exactly as `verify`.
                let mut scratch = Scratch::default();
                let phased = verifier
                    .prepare(mode, &request, input.now, &mut scratch)
                    .and_then(|pending| {
                        let key = OwnedKeyStatus::from(keys().lookup(pending.key_id()));
                        verifier.finish(&pending, key.status())
                    });
                assert_eq!(phased, verified);
                let _ = verifier.explain(mode, &request);
            }
        }
    }
});
