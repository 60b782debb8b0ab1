//! Inputs the fuzz targets (`fuzz/fuzz_targets/`) found failing, replayed through the same code
//! path as the target that found them, with the result the fix gives. Each test names its target
//! and the input (minimized) as the target read it.

use apigw_sign::{format_http_date, parse_http_date};
use time::macros::datetime;

/// `dates`: with `now` early in year 0000, RFC 850's 50-year rule read `94` as year -6, an
/// instant `format_http_date` cannot write (it clamped it to 0000-01-01, so formatting and
/// parsing again gave another instant). Such a year is now rejected, as in the other forms.
#[test]
fn dates_rfc850_year_before_0000() {
    let now = datetime!(0000-01-01 00:00 UTC);
    assert_eq!(
        parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT", now),
        None
    );
    // Years the rule keeps inside 0000–9999 still parse, and round-trip.
    let t = parse_http_date(b"Saturday, 06-Nov-49 08:49:37 GMT", now);
    assert_eq!(t, Some(datetime!(0049-11-06 08:49:37 UTC)));
    let t = t.unwrap();
    assert_eq!(
        parse_http_date(format_http_date(t).as_bytes(), now),
        Some(t)
    );
    // At the other end the year would pass 9999.
    let now = datetime!(9999-12-31 23:59:59 UTC);
    assert_eq!(
        parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT", now).map(|t| t.year()),
        Some(9994)
    );
    assert_eq!(
        parse_http_date(b"Wednesday, 06-Nov-30 08:49:37 GMT", now),
        None
    );
}
