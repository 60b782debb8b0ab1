//! Dates on the wire and the clock window.
//!
//! The crate never reads the clock: every check takes `now` as an argument.
//!
//! HTTP dates (RFC 9110 §5.6.7): IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is what the signer
//! writes; the parser also takes the two obsolete forms, RFC 850 (`Sunday, 06-Nov-94 08:49:37
//! GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). Parsing is strict: exact layout, a real
//! calendar date, and a weekday that matches it.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime};

use crate::encoding::parse_decimal;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
/// Weekdays from Monday: abbreviation and full name.
const DAYS: [(&[u8; 3], &str); 7] = [
    (b"Mon", "Monday"),
    (b"Tue", "Tuesday"),
    (b"Wed", "Wednesday"),
    (b"Thu", "Thursday"),
    (b"Fri", "Friday"),
    (b"Sat", "Saturday"),
    (b"Sun", "Sunday"),
];

/// Parses an HTTP date in any of the three forms RFC 9110 names.
///
/// `now` is needed only for RFC 850's two-digit year, which RFC 9110 reads as the most recent
/// year with those digits that is not more than 50 years after `now`. Every form gives a year
/// from 0000 to 9999, the range [`format_http_date`] writes: an RFC 850 date the rule puts
/// outside it is rejected.
///
/// ```
/// use apigw_sign::parse_http_date;
/// let now = time::macros::datetime!(2021-03-11 08:30 UTC);
/// let t = parse_http_date(b"Thu, 11 Mar 2021 08:29:58 GMT", now).unwrap();
/// assert_eq!(t.unix_timestamp(), 1_615_451_398);
/// assert_eq!(parse_http_date(b"Thursday, 11-Mar-21 08:29:58 GMT", now), Some(t));
/// assert_eq!(parse_http_date(b"Thu Mar 11 08:29:58 2021", now), Some(t));
/// assert_eq!(parse_http_date(b"Fri, 11 Mar 2021 08:29:58 GMT", now), None); // wrong weekday
/// ```
pub fn parse_http_date(value: &[u8], now: OffsetDateTime) -> Option<OffsetDateTime> {
    let unix = parse_http_date_unix(value, now)?;
    OffsetDateTime::from_unix_timestamp(unix).ok()
}

/// [`parse_http_date`] as Unix seconds: the verifier's path.
pub(crate) fn parse_http_date_unix(value: &[u8], now: OffsetDateTime) -> Option<i64> {
    match value {
        // IMF-fixdate
        [w1, w2, w3, b',', b' ', d1, d2, b' ', m1, m2, m3, b' ', y1, y2, y3, y4, b' ', rest @ ..] =>
        {
            let clock = clock(rest, b" GMT")?;
            let year = i64::from(number(&[*y1, *y2, *y3, *y4])?);
            build(
                weekday_abbrev(&[*w1, *w2, *w3])?,
                year,
                &[*m1, *m2, *m3],
                &[*d1, *d2],
                clock,
            )
        }
        // asctime
        [w1, w2, w3, b' ', m1, m2, m3, b' ', d1, d2, b' ', h1, h2, b':', i1, i2, b':', s1, s2, b' ', y1, y2, y3, y4] =>
        {
            let day = if *d1 == b' ' { [b'0', *d2] } else { [*d1, *d2] };
            let clock = clock(&[*h1, *h2, b':', *i1, *i2, b':', *s1, *s2], b"")?;
            let year = i64::from(number(&[*y1, *y2, *y3, *y4])?);
            build(
                weekday_abbrev(&[*w1, *w2, *w3])?,
                year,
                &[*m1, *m2, *m3],
                &day,
                clock,
            )
        }
        _ => rfc850(value, now),
    }
}

fn rfc850(value: &[u8], now: OffsetDateTime) -> Option<i64> {
    let comma = value.iter().position(|&b| b == b',')?;
    let (weekday, rest) = value.split_at_checked(comma)?;
    let weekday = DAYS
        .iter()
        .position(|(_, full)| full.as_bytes() == weekday)?;
    match rest {
        [b',', b' ', d1, d2, b'-', m1, m2, m3, b'-', y1, y2, b' ', clock_text @ ..] => {
            let clock = clock(clock_text, b" GMT")?;
            let yy = i64::from(number(&[*y1, *y2])?);
            let now_year = i64::from(now.year());
            let mut year = now_year
                .checked_sub(now_year.rem_euclid(100))?
                .checked_add(yy)?;
            if year > now_year.checked_add(50)? {
                year = year.checked_sub(100)?;
            }
            // Near the ends of `now`'s range the rule can leave years 0000–9999, which the other
            // two forms cannot write and `format_http_date` cannot give back.
            if !(0..=9999).contains(&year) {
                return None;
            }
            build(weekday, year, &[*m1, *m2, *m3], &[*d1, *d2], clock)
        }
        _ => None,
    }
}

/// Seconds into the day of `hh:mm:ss` followed by exactly `suffix`.
fn clock(text: &[u8], suffix: &[u8]) -> Option<i64> {
    match text {
        [h1, h2, b':', i1, i2, b':', s1, s2, rest @ ..] if rest == suffix => {
            let (h, m, s) = (
                number(&[*h1, *h2])?,
                number(&[*i1, *i2])?,
                number(&[*s1, *s2])?,
            );
            (h < 24 && m < 60 && s < 60)
                .then(|| i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s))
        }
        _ => None,
    }
}

/// A fixed-width decimal number: every byte a digit.
fn number(digits: &[u8]) -> Option<u16> {
    parse_decimal(digits).and_then(|n| u16::try_from(n).ok())
}

fn weekday_abbrev(text: &[u8]) -> Option<usize> {
    DAYS.iter()
        .position(|(abbrev, _)| abbrev.as_slice() == text)
}

/// Unix seconds of an HTTP date's fields, if the date exists and falls on `weekday`
/// (0 = Monday).
fn build(weekday: usize, year: i64, month: &[u8], day: &[u8], seconds_of_day: i64) -> Option<i64> {
    let month = MONTHS.iter().position(|m| m.as_slice() == month)? + 1;
    let date = date(year, u16::try_from(month).ok()?, number(day)?)?;
    if usize::from(date.weekday().number_days_from_monday()) != weekday {
        return None;
    }
    unix_seconds(date, seconds_of_day)
}

/// The calendar date, if it exists.
fn date(year: i64, month: u16, day: u16) -> Option<Date> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

/// Unix seconds of a time of day on `date`.
fn unix_seconds(date: Date, seconds_of_day: i64) -> Option<i64> {
    date.midnight()
        .assume_utc()
        .unix_timestamp()
        .checked_add(seconds_of_day)
}

/// The calendar fields of a Unix time clamped to years 0000–9999.
fn fields(unix: i64) -> OffsetDateTime {
    let unix = unix.clamp(IMF_RANGE.0, IMF_RANGE.1);
    // Clamped to years 0000–9999, which `time` always holds.
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The ASCII digit of `n`'s last decimal place.
const fn digit(n: u32) -> u8 {
    b'0' + (n % 10) as u8
}

/// The fields [`http_date_bytes`] and [`iso8601_bytes`] write: year, month, day, hour, minute,
/// second (all non-negative: the year is clamped to 0000–9999).
fn numbers(t: OffsetDateTime) -> [u32; 6] {
    [
        t.year().unsigned_abs(),
        u32::from(u8::from(t.month())),
        u32::from(t.day()),
        u32::from(t.hour()),
        u32::from(t.minute()),
        u32::from(t.second()),
    ]
}

/// Earliest and latest instants an IMF-fixdate can write (0000-01-01 and 9999-12-31 23:59:59).
const IMF_RANGE: (i64, i64) = (-62_167_219_200, 253_402_300_799);

/// Formats `t` (converted to UTC) as an IMF-fixdate: `Thu, 11 Mar 2021 08:29:58 GMT`.
///
/// Instants outside years 0000–9999 cannot be written in that form; they are clamped to its range.
///
/// ```
/// let t = time::macros::datetime!(2021-03-11 16:29:58 +08:00);
/// assert_eq!(apigw_sign::format_http_date(t), "Thu, 11 Mar 2021 08:29:58 GMT");
/// ```
pub fn format_http_date(t: OffsetDateTime) -> String {
    String::from_utf8_lossy(&http_date_bytes(t.unix_timestamp())).into_owned()
}

/// The 29 ASCII bytes of the IMF-fixdate of Unix time `unix` (clamped to years 0000–9999).
pub(crate) fn http_date_bytes(unix: i64) -> [u8; 29] {
    let t = fields(unix);
    let [year, month, day, h, m, s] = numbers(t);
    let weekday = usize::from(t.weekday().number_days_from_monday());
    let ([w0, w1, w2], _) = DAYS.get(weekday).copied().unwrap_or(DAYS[0]);
    let [m0, m1, m2] = MONTHS
        .get((month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or(MONTHS[0]);
    let [d0, d1] = two_digits(day);
    let [y0, y1, y2, y3] = four_digits(year);
    let [c0, c1, c2, c3, c4, c5, c6, c7] = clock_digits(h, m, s);
    [
        *w0, *w1, *w2, b',', b' ', d0, d1, b' ', *m0, *m1, *m2, b' ', y0, y1, y2, y3, b' ', c0, c1,
        c2, c3, c4, c5, c6, c7, b' ', b'G', b'M', b'T',
    ]
}

/// `n`'s last two decimal places.
const fn two_digits(n: u32) -> [u8; 2] {
    [digit(n / 10), digit(n)]
}

/// `n`'s last four decimal places: a year.
const fn four_digits(n: u32) -> [u8; 4] {
    [digit(n / 1000), digit(n / 100), digit(n / 10), digit(n)]
}

/// `hh:mm:ss`.
const fn clock_digits(h: u32, m: u32, s: u32) -> [u8; 8] {
    let ([h0, h1], [m0, m1], [s0, s1]) = (two_digits(h), two_digits(m), two_digits(s));
    [h0, h1, b':', m0, m1, b':', s0, s1]
}

/// Parses a BCE timestamp, `yyyy-mm-ddThh:mm:ssZ` exactly (UTC, whole seconds, literal `Z`).
///
/// ```
/// let t = apigw_sign::parse_iso8601(b"2015-04-27T08:23:49Z").unwrap();
/// assert_eq!(t.unix_timestamp(), 1_430_123_029);
/// assert_eq!(apigw_sign::parse_iso8601(b"2015-13-45T99:99:99Z"), None);
/// ```
pub fn parse_iso8601(value: &[u8]) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(parse_iso8601_unix(value)?).ok()
}

/// [`parse_iso8601`] on Unix seconds.
pub(crate) fn parse_iso8601_unix(value: &[u8]) -> Option<i64> {
    match value {
        [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, b'T', rest @ ..] => {
            let seconds = clock(rest, b"Z")?;
            let year = i64::from(number(&[*y1, *y2, *y3, *y4])?);
            let date = date(year, number(&[*m1, *m2])?, number(&[*d1, *d2])?)?;
            unix_seconds(date, seconds)
        }
        _ => None,
    }
}

/// Formats `t` (converted to UTC) as a BCE timestamp: `2015-04-27T08:23:49Z`. Instants outside
/// years 0000–9999 are clamped to that range.
///
/// ```
/// let t = time::macros::datetime!(2015-04-27 16:23:49 +08:00);
/// assert_eq!(apigw_sign::format_iso8601(t), "2015-04-27T08:23:49Z");
/// ```
pub fn format_iso8601(t: OffsetDateTime) -> String {
    String::from_utf8_lossy(&iso8601_bytes(t.unix_timestamp())).into_owned()
}

/// The 20 ASCII bytes of the BCE timestamp of Unix time `unix` (clamped to years 0000–9999).
pub(crate) fn iso8601_bytes(unix: i64) -> [u8; 20] {
    let [year, month, day, h, m, s] = numbers(fields(unix));
    let [y0, y1, y2, y3] = four_digits(year);
    let ([m0, m1], [d0, d1]) = (two_digits(month), two_digits(day));
    let [c0, c1, c2, c3, c4, c5, c6, c7] = clock_digits(h, m, s);
    [
        y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', c0, c1, c2, c3, c4, c5, c6, c7, b'Z',
    ]
}

/// Unix time `unix` as an instant, for the dates an error reports: the epoch for a time `time`
/// cannot hold (a parsed date always fits).
pub(crate) fn instant(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Unix time `unix` as the end of a signature's window, clamped to the latest instant `time`
/// holds (a window ending past the year 9999 is, for a replay guard, the same as no end).
pub(crate) fn window_end(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or_else(|_| PrimitiveDateTime::MAX.assume_utc())
}

/// Whether Unix time `date` lies within `max_skew_secs` of `now`, on either side. Overflow is
/// "outside".
pub(crate) fn within_window(date: i64, now: i64, max_skew_secs: u64) -> bool {
    now.checked_sub(date)
        .is_some_and(|d| d.unsigned_abs() <= max_skew_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 00:00 UTC);

    #[test]
    fn parses_the_three_forms() {
        let t = datetime!(1994-11-06 08:49:37 UTC);
        assert_eq!(
            parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT", NOW),
            Some(t)
        );
        assert_eq!(
            parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT", NOW),
            Some(t)
        );
        assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994", NOW), Some(t));
    }

    #[test]
    fn rfc850_years_follow_the_fifty_year_rule() {
        // From 2026, "76" is 2076 (50 years ahead) and "77" is 1977.
        assert_eq!(
            parse_http_date(b"Thursday, 05-Nov-76 00:00:00 GMT", NOW).map(|t| t.year()),
            Some(2076)
        );
        assert_eq!(
            parse_http_date(b"Saturday, 05-Nov-77 00:00:00 GMT", NOW).map(|t| t.year()),
            Some(1977)
        );
    }

    #[test]
    fn rejects_near_misses() {
        for bad in [
            &b""[..],
            b"Sun, 06 Nov 1994 08:49:37 UTC",
            b"Sun, 06 Nov 1994 08:49:37 GMT ",
            b"Sun, 6 Nov 1994 08:49:37 GMT",
            b"Sun, 31 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            b"Sun, 06 Nov 1994 08:60:00 GMT",
            b"Sun, 06 Nov 1994 08:49:60 GMT",
            b"Mon, 06 Nov 1994 08:49:37 GMT",
            b"sun, 06 Nov 1994 08:49:37 GMT",
            b"Sun, 06 nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov +994 08:49:37 GMT",
            b"Sunday, 06-Nov-1994 08:49:37 GMT",
            b"Sun Nov 06 08:49:37 1994 ",
            b"1994-11-06T08:49:37Z",
        ] {
            assert_eq!(
                parse_http_date(bad, NOW),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn formats_imf_fixdate_and_round_trips() {
        let t = datetime!(2021-03-11 08:29:58 UTC);
        let s = format_http_date(t);
        assert_eq!(s, "Thu, 11 Mar 2021 08:29:58 GMT");
        assert_eq!(parse_http_date(s.as_bytes(), NOW), Some(t));
        assert_eq!(
            format_http_date(datetime!(0009-01-01 00:00 UTC)),
            "Thu, 01 Jan 0009 00:00:00 GMT"
        );
    }

    #[test]
    fn iso8601_round_trips_and_is_strict() {
        let t = datetime!(2015-04-27 08:23:49 UTC);
        assert_eq!(format_iso8601(t), "2015-04-27T08:23:49Z");
        assert_eq!(parse_iso8601(b"2015-04-27T08:23:49Z"), Some(t));
        assert_eq!(
            parse_iso8601(b"2016-02-29T00:00:00Z").map(|t| t.day()),
            Some(29)
        );
        for bad in [
            &b"2015-02-29T00:00:00Z"[..],
            b"2015-04-27T08:23:49",
            b"2015-04-27T08:23:49z",
            b"2015-04-27T08:23:49.000Z",
            b"2015-04-27 08:23:49Z",
            b"2015-4-27T08:23:49Z",
            b"2015-00-27T08:23:49Z",
            b"2015-04-00T08:23:49Z",
            b"2015-04-27T24:00:00Z",
            b"2015-04-27T08:23:49+00:00",
            b"abc",
            b"",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn window_ends_clamp() {
        assert_eq!(window_end(0), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(window_end(i64::MAX), PrimitiveDateTime::MAX.assume_utc());
        assert_eq!(window_end(i64::MIN), PrimitiveDateTime::MAX.assume_utc());
        assert_eq!(instant(i64::MAX), OffsetDateTime::UNIX_EPOCH);
    }

    #[test]
    fn window_is_symmetric_and_inclusive() {
        let now = 1_615_451_400;
        assert!(within_window(now - 900, now, 900));
        assert!(within_window(now + 900, now, 900));
        assert!(!within_window(now - 901, now, 900));
        assert!(!within_window(now + 901, now, 900));
        assert!(within_window(now, now, 0));
        // Overflowing arithmetic counts as outside, never wraps.
        assert!(within_window(i64::MIN + 1, 0, u64::MAX));
        assert!(!within_window(i64::MIN, 0, u64::MAX));
        assert!(!within_window(i64::MIN, i64::MAX, u64::MAX));
    }
}
