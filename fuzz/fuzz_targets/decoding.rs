#![no_main]
use apigw_sign::encoding::{decode, encode_component, Plus};

libfuzzer_sys::fuzz_target!(|raw: &str| {
    for plus in [Plus::Literal, Plus::Space] {
        if let Ok(decoded) = decode(raw, plus) {
            let encoded = encode_component(&decoded).to_string();
            assert_eq!(decode(&encoded, plus).ok(), Some(decoded));
        }
    }
});
