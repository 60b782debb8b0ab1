//! The proptest strategies the property suites share, parameterized where the schemes differ
//! (the characters a parser's mutations draw from, the names and values that matter to it), and
//! the edits they apply to strings, bytes and requests.

use proptest::prelude::*;
use proptest::sample::{select, Index};
use time::{Duration, OffsetDateTime};

use super::request::Wire;

/// The methods requests are signed with: the usual ones, and one in lower case.
pub(crate) const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get",
];

/// A failed test case: `what` failed with `e`.
pub(crate) fn fail(what: &str, e: impl core::fmt::Display) -> TestCaseError {
    TestCaseError::fail(format!("{what}: {e}"))
}

/// A method for an arbitrary request: one of [`METHODS`], or any text.
pub(crate) fn method() -> impl Strategy<Value = String> {
    prop_oneof![select(METHODS).prop_map(String::from), "\\PC{0,6}"]
}

/// `new`, or where it is `original`'s (in any case) another method: a method that changes.
pub(crate) fn other_method(original: &str, new: &str) -> String {
    if new.eq_ignore_ascii_case(original) {
        (if original.eq_ignore_ascii_case("GET") {
            "POST"
        } else {
            "GET"
        })
        .to_owned()
    } else {
        new.to_owned()
    }
}

/// Text for path segments, keys and values: empty, plain, `spaced` (a regex: unicode with
/// spaces), a mix of the `special` characters (those that matter to the scheme's encoding), or
/// anything printable.
pub(crate) fn text(
    special: &'static [char],
    spaced: &'static str,
) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9]{1,6}",
        spaced,
        prop::collection::vec(select(special), 1..10).prop_map(String::from_iter),
        "\\PC{1,8}",
    ]
}

/// Keys: often from `pool`, so that keys repeat, else `text`.
pub(crate) fn key(
    pool: &'static [&'static str],
    text: impl Strategy<Value = String>,
) -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(pool).prop_map(String::from),
        3 => text,
    ]
}

/// A header value: no CR, LF or NUL (which no header can carry); spaces are allowed, and the
/// `special` characters.
pub(crate) fn header_value(special: &'static [char]) -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,12}",
        "[^\r\n\u{0}]{0,12}",
        prop::collection::vec(select(special), 0..10).prop_map(String::from_iter),
    ]
}

/// Header names for an arbitrary request: mostly the `names` that matter, sometimes one of the
/// `carriers` of a signature (with `carrier_weight` against 30: a repeated carrier stops
/// verification at once), and anything.
pub(crate) fn header_name(
    names: &'static [&'static str],
    carriers: &'static [&'static str],
    carrier_weight: u32,
) -> impl Strategy<Value = String> {
    prop_oneof![
        30 => select(names).prop_map(String::from),
        carrier_weight => select(carriers).prop_map(String::from),
        2 => "[!-~]{0,8}",
        2 => "\\PC{0,4}",
    ]
}

/// Header value bytes for an arbitrary request: any bytes, printable text, a date within
/// 1000 s of `now` as `format` writes it, or one of `samples`.
pub(crate) fn header_bytes(
    now: OffsetDateTime,
    format: fn(OffsetDateTime) -> String,
    samples: &'static [&'static str],
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..40),
        "[ -~]{0,30}".prop_map(String::into_bytes),
        (-1000i64..1000).prop_map(move |s| format(now + Duration::seconds(s)).into_bytes()),
        select(samples).prop_map(|s| s.as_bytes().to_vec()),
    ]
}

/// One edit to a string: insert, delete, replace, duplicate or truncate at a char boundary.
#[derive(Clone, Debug)]
pub(crate) enum Edit {
    Insert(Index, char),
    Delete(Index),
    Replace(Index, char),
    Duplicate(Index, Index),
    Truncate(Index),
}

/// An edit whose inserted characters are mostly from `chars` (those the parser under test cares
/// about), else any.
pub(crate) fn edit(chars: &'static [char]) -> impl Strategy<Value = Edit> {
    let ch = prop_oneof![3 => select(chars), 1 => any::<char>()];
    prop_oneof![
        (any::<Index>(), ch.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), ch).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Duplicate(a, b)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

/// Arbitrary input for a parser that cares about `chars`: any string, a string of `chars`, or a
/// `plausible` one (mostly the right shape).
pub(crate) fn parser_input(
    chars: &'static [char],
    plausible: impl Strategy<Value = String>,
) -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(select(chars), 0..80).prop_map(String::from_iter),
        plausible,
    ]
}

/// Mutated input for a parser that cares about `chars`: `good` or a `plausible` value, with one
/// to five [`edit`]s.
pub(crate) fn mutated(
    good: &'static str,
    plausible: impl Strategy<Value = String>,
    chars: &'static [char],
) -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(good.to_owned()), plausible],
        prop::collection::vec(edit(chars), 1..6),
    )
        .prop_map(|(base, edits)| apply(&base, &edits))
}

/// `text` with `edits` applied in order.
pub(crate) fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let n = chars.len();
        match edit {
            Edit::Insert(i, c) => chars.insert(i.index(n + 1), *c),
            Edit::Delete(i) if n > 0 => {
                chars.remove(i.index(n));
            }
            Edit::Replace(i, c) if n > 0 => chars[i.index(n)] = *c,
            Edit::Duplicate(a, b) if n > 0 => {
                let (a, b) = (a.index(n), b.index(n));
                let (from, to) = (a.min(b), a.max(b) + 1);
                let copy: Vec<char> = chars[from..to].to_vec();
                chars.splice(to..to, copy);
            }
            Edit::Truncate(i) => chars.truncate(i.index(n + 1)),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Up to three bytes to insert, each at an index.
pub(crate) fn byte_inserts() -> impl Strategy<Value = Vec<(Index, u8)>> {
    prop::collection::vec((any::<Index>(), any::<u8>()), 0..4)
}

/// Inserts each of `inserts` into `bytes`, in order.
pub(crate) fn insert_bytes(bytes: &mut Vec<u8>, inserts: &[(Index, u8)]) {
    for (at, byte) in inserts {
        let i = at.index(bytes.len() + 1);
        bytes.insert(i, *byte);
    }
}

/// Mutates a signed request: `target_edits` to its target, `header_inserts` into the value of
/// the header at `header` (the request has headers).
pub(crate) fn mutate(
    wire: &mut Wire,
    target_edits: &[Edit],
    header: Index,
    header_inserts: &[(Index, u8)],
) {
    wire.target = apply(&wire.target, target_edits);
    let h = header.index(wire.headers.len());
    insert_bytes(&mut wire.headers[h].1, header_inserts);
}
