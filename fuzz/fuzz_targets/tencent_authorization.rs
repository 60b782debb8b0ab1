#![no_main]
use apigw_sign::tencent::Authorization;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = Authorization::parse(text) {
        assert_eq!(Authorization::parse(&parsed.to_string()), Ok(parsed));
    }
});
