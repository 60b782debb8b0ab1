//! Dates on the wire and the clock window.
//!
//! The crate never reads the clock: every check takes `now` as an argument.
//!
//! HTTP dates (RFC 9110 §5.6.7): IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is what the signer
//! writes; the parser also takes the two obsolete forms, RFC 850 (`Sunday, 06-Nov-94 08:49:37
//! GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). Parsing is strict: exact layout, a real
//! calendar date, and a weekday that matches it.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
const DAYS: [(&[u8; 3], &str, Weekday); 7] = [
    (b"Mon", "Monday", Weekday::Monday),
    (b"Tue", "Tuesday", Weekday::Tuesday),
    (b"Wed", "Wednesday", Weekday::Wednesday),
    (b"Thu", "Thursday", Weekday::Thursday),
    (b"Fri", "Friday", Weekday::Friday),
    (b"Sat", "Saturday", Weekday::Saturday),
    (b"Sun", "Sunday", Weekday::Sunday),
];

/// Parses an HTTP date in any of the three forms RFC 9110 names.
///
/// `now` is needed only for RFC 850's two-digit year, which RFC 9110 reads as the most recent
/// year with those digits that is not more than 50 years after `now`.
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
    match value {
        // IMF-fixdate
        [w1, w2, w3, b',', b' ', d1, d2, b' ', m1, m2, m3, b' ', y1, y2, y3, y4, b' ', rest @ ..] =>
        {
            let (hour, minute, second) = clock(rest, b" GMT")?;
            let year = i32::from(number(&[*y1, *y2, *y3, *y4])?);
            build(
                &[*w1, *w2, *w3],
                year,
                &[*m1, *m2, *m3],
                &[*d1, *d2],
                hour,
                minute,
                second,
            )
        }
        // asctime
        [w1, w2, w3, b' ', m1, m2, m3, b' ', d1, d2, b' ', h1, h2, b':', i1, i2, b':', s1, s2, b' ', y1, y2, y3, y4] =>
        {
            let day = if *d1 == b' ' { [b'0', *d2] } else { [*d1, *d2] };
            let (hour, minute, second) = clock(&[*h1, *h2, b':', *i1, *i2, b':', *s1, *s2], b"")?;
            let year = i32::from(number(&[*y1, *y2, *y3, *y4])?);
            build(
                &[*w1, *w2, *w3],
                year,
                &[*m1, *m2, *m3],
                &day,
                hour,
                minute,
                second,
            )
        }
        _ => rfc850(value, now),
    }
}

fn rfc850(value: &[u8], now: OffsetDateTime) -> Option<OffsetDateTime> {
    let comma = value.iter().position(|&b| b == b',')?;
    let (weekday, rest) = value.split_at_checked(comma)?;
    let (_, abbrev) = DAYS
        .iter()
        .find(|(_, full, _)| full.as_bytes() == weekday)
        .map(|(a, f, _)| (f, a))?;
    match rest {
        [b',', b' ', d1, d2, b'-', m1, m2, m3, b'-', y1, y2, b' ', clock_text @ ..] => {
            let (hour, minute, second) = clock(clock_text, b" GMT")?;
            let yy = i32::from(number(&[*y1, *y2])?);
            let now_year = now.to_offset(UtcOffset::UTC).year();
            let mut year = now_year
                .checked_sub(now_year.rem_euclid(100))?
                .checked_add(yy)?;
            if year > now_year.checked_add(50)? {
                year = year.checked_sub(100)?;
            }
            build(
                *abbrev,
                year,
                &[*m1, *m2, *m3],
                &[*d1, *d2],
                hour,
                minute,
                second,
            )
        }
        _ => None,
    }
}

/// `hh:mm:ss` followed by exactly `suffix`.
fn clock(text: &[u8], suffix: &[u8]) -> Option<(u8, u8, u8)> {
    match text {
        [h1, h2, b':', i1, i2, b':', s1, s2, rest @ ..] if rest == suffix => Some((
            u8::try_from(number(&[*h1, *h2])?).ok()?,
            u8::try_from(number(&[*i1, *i2])?).ok()?,
            u8::try_from(number(&[*s1, *s2])?).ok()?,
        )),
        _ => None,
    }
}

/// A fixed-width decimal number: every byte a digit.
fn number(digits: &[u8]) -> Option<u16> {
    digits.iter().try_fold(0u16, |acc, &d| {
        if d.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u16::from(d - b'0'))
        } else {
            None
        }
    })
}

fn build(
    weekday: &[u8],
    year: i32,
    month: &[u8],
    day: &[u8],
    hour: u8,
    minute: u8,
    second: u8,
) -> Option<OffsetDateTime> {
    let month_index = MONTHS.iter().position(|m| m.as_slice() == month)?;
    let month = Month::try_from(u8::try_from(month_index.checked_add(1)?).ok()?).ok()?;
    let day = u8::try_from(number(day)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let (_, _, expected) = DAYS
        .iter()
        .find(|(abbrev, _, _)| abbrev.as_slice() == weekday)?;
    if date.weekday() != *expected {
        return None;
    }
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Formats `t` (converted to UTC) as an IMF-fixdate: `Thu, 11 Mar 2021 08:29:58 GMT`.
///
/// Years outside 0–9999 cannot be written in that form; they are clamped to its range.
///
/// ```
/// let t = time::macros::datetime!(2021-03-11 16:29:58 +08:00);
/// assert_eq!(apigw_sign::format_http_date(t), "Thu, 11 Mar 2021 08:29:58 GMT");
/// ```
pub fn format_http_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let weekday = DAYS
        .iter()
        .find(|(_, _, w)| *w == t.weekday())
        .map_or("Mon", |(a, _, _)| {
            core::str::from_utf8(a.as_slice()).unwrap_or("Mon")
        });
    let month = MONTHS
        .get(usize::from(u8::from(t.month())).saturating_sub(1))
        .and_then(|m| core::str::from_utf8(m.as_slice()).ok())
        .unwrap_or("Jan");
    format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        t.day(),
        t.year().clamp(0, 9999),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Seconds from `a` to `b` (`b - a`), or `None` if that overflows.
pub(crate) fn seconds_between(a: OffsetDateTime, b: OffsetDateTime) -> Option<i64> {
    b.unix_timestamp().checked_sub(a.unix_timestamp())
}

/// Whether `date` lies within `max_skew_secs` of `now`, on either side. Overflow is "outside".
pub(crate) fn within_window(date: OffsetDateTime, now: OffsetDateTime, max_skew_secs: u64) -> bool {
    seconds_between(date, now).is_some_and(|d| d.unsigned_abs() <= max_skew_secs)
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
    fn window_is_symmetric_and_inclusive() {
        let now = datetime!(2021-03-11 08:30:00 UTC);
        assert!(within_window(now - time::Duration::seconds(900), now, 900));
        assert!(within_window(now + time::Duration::seconds(900), now, 900));
        assert!(!within_window(now - time::Duration::seconds(901), now, 900));
        assert!(!within_window(now + time::Duration::seconds(901), now, 900));
        assert!(within_window(now, now, 0));
        assert!(within_window(OffsetDateTime::UNIX_EPOCH, now, u64::MAX));
    }
}
