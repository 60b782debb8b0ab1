#![no_main]
use apigw_sign::{format_http_date, format_iso8601, parse_http_date, parse_iso8601};
use time::macros::datetime;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // RFC 850's two-digit year depends on `now`: a usual one, and both ends of the range.
    for now in [
        datetime!(2026-11-23 00:00 UTC),
        datetime!(0000-01-01 00:00 UTC),
        datetime!(9999-12-31 23:59:59 UTC),
    ] {
        if let Some(t) = parse_http_date(data, now) {
            // Only IMF-fixdate comes back as the same text; every form gives the same instant.
            assert_eq!(
                parse_http_date(format_http_date(t).as_bytes(), now),
                Some(t)
            );
        }
    }
    if let Some(t) = parse_iso8601(data) {
        // One layout only, so formatting gives back the very text.
        assert_eq!(format_iso8601(t).as_bytes(), data);
    }
});
