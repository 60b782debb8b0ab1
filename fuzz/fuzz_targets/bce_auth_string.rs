#![no_main]
use apigw_sign::bce::AuthString;

libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(parsed) = AuthString::parse(text) {
        // The parser takes the fields verbatim, so formatting gives back the very text.
        assert_eq!(parsed.to_string(), text);
        assert_eq!(AuthString::parse(&parsed.to_string()), Ok(parsed));
    }
});
