#![no_main]
use apigw_sign::Protocol;
use apigw_sign_fuzz::{gateway, render, Input};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    for protocol in [Protocol::Http, Protocol::Https] {
        for request in [input.request(), input.request().without_body()] {
            if let Err(error) = gateway().route(&request, protocol, input.now) {
                render(&error);
            }
        }
    }
});
