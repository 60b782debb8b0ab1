#![no_main]
use apigw_sign::encoding::{decode, encode_component, Plus};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    for plus in [Plus::Literal, Plus::Space] {
        if let Ok(decoded) = decode(raw, plus) {
            let encoded = encode_component(&decoded).to_string();
            assert_eq!(decode(&encoded, plus).ok(), Some(decoded));
        }
    }
});
