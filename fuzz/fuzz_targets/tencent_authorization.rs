#![no_main]
use apigw_sign::tencent::Authorization;

libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(parsed) = Authorization::parse(text) {
        assert_eq!(Authorization::parse(&parsed.to_string()), Ok(parsed));
    }
});
