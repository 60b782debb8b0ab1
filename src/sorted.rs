//! Items canonicalized once, then sorted and written joined: the query and form parameters of
//! both schemes.
//!
//! Each item is made canonical once, before sorting: text that already is canonical where it
//! stands in the request is borrowed, the rest is written into one buffer. Sorting compares
//! those bytes: no comparison decodes or encodes anything, so `n` items cost `O(n log n)`
//! comparisons of their canonical text. One exception keeps the common case cheap: a Tencent
//! value that needs decoding is decoded only if it has to be compared (its key comes twice),
//! once; otherwise it is decoded as it is written. The buffers live on the stack up to `TEXT` bytes and
//! `ITEMS` items and move to the heap beyond (for parameters: more than 1 KiB of rewritten text).

use smallvec::SmallVec;

use crate::encoding::{write_decoded_bytes, Plus};
use crate::limits::{INLINE_PARAM_TEXT, MAX_PARAMETERS};
use crate::sink::Sink;

/// Query and form parameters: room for [`MAX_PARAMETERS`] items, so a list never moves to the
/// heap. It is large (5 KiB), so it is never moved either: whoever builds a string to sign
/// lends one, empty, from its own stack frame, and the string to sign borrows it.
///
/// Kept for its figures: moving a list this size with the verifier's pending state cost 14 %
/// more instructions to verify in key-pair mode (9 250 against 7 964) and 12 % in app mode;
/// building the list only when the string is written (a second pass over the query) cost app
/// mode 4–5 %; the eight-item list this replaced allocated from the ninth parameter on.
pub(crate) type Params<'a> = Sorted<'a, INLINE_PARAM_TEXT, MAX_PARAMETERS>;

/// Where an item's part is: a range of one of the list's two sources (the query and the form
/// body), or of the text the list wrote. Eight bytes, so that a list of items stays small.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    /// The source in the top two bits (0 and 1 for the sources, 2 for the written text), the
    /// offset of the first byte in the rest.
    start: u32,
    /// The offset past the last byte, in the same place; its top bit is [`ENCODED`].
    end: u32,
}

/// A [`Span::end`] flag: the part is the raw text of a value that decodes (in the query, `+`
/// is a plus; in the form body, a space). It is decoded when it is written, or into the written
/// text the first time it must be compared.
const ENCODED: u32 = 1 << 31;

/// The written text's place in [`Span::start`].
const WRITTEN: usize = 2;

impl Span {
    /// No text.
    pub(crate) const EMPTY: Span = Span { start: 0, end: 0 };

    fn new(place: usize, start: usize, end: usize) -> Self {
        // The crate's limits keep every offset far below 1 GiB; past it a part is empty.
        match u32::try_from(end) {
            Ok(end) if end < 1 << 30 && start as u64 <= u64::from(end) && place < 4 => Span {
                // `start <= end < 2^30` and `place < 4`: both fit.
                start: ((place as u32) << 30) | start as u32,
                end,
            },
            _ => Span::EMPTY,
        }
    }
}

impl Span {
    fn place(self) -> usize {
        (self.start >> 30) as usize
    }

    fn range(self) -> core::ops::Range<usize> {
        (self.start & ((1 << 30) - 1)) as usize..(self.end & !ENCODED) as usize
    }

    fn encoded(self) -> bool {
        self.end & ENCODED != 0
    }
}

/// One item, in two parts (a parameter's key and its `=value`).
#[derive(Clone, Copy, Debug, Default)]
struct Item {
    head: Span,
    tail: Span,
}

/// Canonical items from two sources (`'a`), on the stack up to `TEXT` written bytes and `ITEMS`
/// items.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sorted<'a, const TEXT: usize, const ITEMS: usize> {
    sources: [&'a [u8]; 2],
    text: Text<TEXT>,
    items: SmallVec<[Item; ITEMS]>,
}

/// The text a [`Sorted`] wrote: a [`Sink`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Text<const N: usize>(SmallVec<[u8; N]>);

impl<const N: usize> Sink for Text<N> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn put_byte(&mut self, byte: u8) {
        self.0.push(byte);
    }
}

/// The bytes of `span`, among `sources` and `text` (raw, for an encoded span).
fn bytes<'s, const TEXT: usize>(
    sources: &'s [&[u8]; 2],
    text: &'s Text<TEXT>,
    span: Span,
) -> &'s [u8] {
    let text = match sources.get(span.place()) {
        Some(source) => source,
        None => text.0.as_slice(),
    };
    text.get(span.range()).unwrap_or_default()
}

/// How `+` decodes in an encoded span of source `place`: source 1 is the form body.
fn plus(place: usize) -> Plus {
    if place == 1 {
        Plus::Space
    } else {
        Plus::Literal
    }
}

impl<'a, const TEXT: usize, const ITEMS: usize> Sorted<'a, TEXT, ITEMS> {
    /// The number of items.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Sets source `which` (0 or 1), which parts can then borrow from.
    pub(crate) fn source(&mut self, which: usize, text: &'a str) {
        if let Some(slot) = self.sources.get_mut(which) {
            *slot = text.as_bytes();
        }
    }

    /// The part `len` bytes long at `at` in source `which`.
    pub(crate) fn borrowed(&self, which: usize, at: usize, len: usize) -> Span {
        Span::new(which, at, at.saturating_add(len))
    }

    /// The part `len` bytes long at `at` in source `which`, which decodes to the part: decoded
    /// when written, or when it must be compared.
    pub(crate) fn encoded(&self, which: usize, at: usize, len: usize) -> Span {
        let span = self.borrowed(which, at, len);
        Span {
            end: span.end | ENCODED,
            ..span
        }
    }

    /// The part `write` writes.
    pub(crate) fn written(&mut self, write: impl FnOnce(&mut Text<TEXT>)) -> Span {
        let start = self.text.0.len();
        write(&mut self.text);
        Span::new(WRITTEN, start, self.text.0.len())
    }

    /// Adds an item.
    pub(crate) fn push(&mut self, head: Span, tail: Span) {
        self.items.push(Item { head, tail });
    }

    fn bytes(&self, span: Span) -> &[u8] {
        bytes(&self.sources, &self.text, span)
    }

    /// Sorts the items by their two parts: the first, then the second (Tencent's parameters:
    /// by key, then by value). Encoded second parts are decoded (once) where their first parts
    /// tie.
    pub(crate) fn sort_by_parts(&mut self) {
        let Sorted {
            sources,
            text,
            items,
        } = self;
        // Heads that tie are rare (a repeated key): only then look for the runs they make.
        let mut ties = false;
        items.sort_unstable_by(|a, b| {
            let order = bytes(sources, text, a.head).cmp(bytes(sources, text, b.head));
            ties |= order.is_eq();
            order
        });
        if !ties {
            return;
        }
        let same_head =
            |a: &Item, b: &Item| bytes(sources, text, a.head) == bytes(sources, text, b.head);
        let mut runs: SmallVec<[(usize, usize); 4]> = SmallVec::new();
        let mut start = 0;
        for run in items.chunk_by(same_head) {
            if run.len() > 1 {
                runs.push((start, start + run.len()));
            }
            start += run.len();
        }
        for (start, end) in runs {
            let Some(run) = items.get_mut(start..end) else {
                continue;
            };
            for item in run.iter_mut().filter(|item| item.tail.encoded()) {
                // An encoded part is always in a source, never in the text.
                let raw = sources
                    .get(item.tail.place())
                    .and_then(|source| source.get(item.tail.range()))
                    .unwrap_or_default();
                let from = text.0.len();
                write_decoded_bytes(raw, plus(item.tail.place()), text);
                item.tail = Span::new(WRITTEN, from, text.0.len());
            }
            run.sort_unstable_by(|a, b| {
                bytes(sources, text, a.tail).cmp(bytes(sources, text, b.tail))
            });
        }
    }

    /// Sorts the items by their whole text, the two parts joined (BCE's parameters and header
    /// lines).
    pub(crate) fn sort_whole(&mut self) {
        let Sorted {
            sources,
            text,
            items,
        } = self;
        let part = |span| bytes(sources, text, span);
        items.sort_unstable_by(|a, b| {
            let (a_head, a_tail, b_head, b_tail) =
                (part(a.head), part(a.tail), part(b.head), part(b.tail));
            if a_tail.is_empty() && b_tail.is_empty() {
                return a_head.cmp(b_head);
            }
            a_head.iter().chain(a_tail).cmp(b_head.iter().chain(b_tail))
        });
    }

    /// Writes the items in order, `separator` between them.
    pub(crate) fn write_joined(&self, separator: &[u8], sink: &mut impl Sink) {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                sink.put(separator);
            }
            sink.put(self.bytes(item.head));
            if item.tail.encoded() {
                write_decoded_bytes(self.bytes(item.tail), plus(item.tail.place()), sink);
            } else {
                sink.put(self.bytes(item.tail));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items whose heads are borrowed (from one source holding them all, `&`-joined) and whose
    /// tails are written, or the reverse.
    fn sorted<'a>(items: &[(&str, &str)], joined_heads: &'a str, borrow_heads: bool) -> Params<'a> {
        let mut sorted = Params::default();
        sorted.source(1, joined_heads);
        let mut at = 0;
        for (head, tail) in items {
            let (head, tail) = if borrow_heads {
                let borrowed = sorted.borrowed(1, at, head.len());
                (borrowed, sorted.written(|text| text.put(tail.as_bytes())))
            } else {
                let written = sorted.written(|text| text.put(head.as_bytes()));
                let tail = sorted.written(|text| text.put(tail.as_bytes()));
                (written, tail)
            };
            at += head_len(head, &sorted) + 1;
            sorted.push(head, tail);
        }
        sorted
    }

    fn head_len(span: Span, sorted: &Params<'_>) -> usize {
        sorted.bytes(span).len()
    }

    fn joined(sorted: &Params<'_>) -> String {
        let mut text = crate::sink::Text::default();
        sorted.write_joined(b"&", &mut text);
        String::from_utf8(text.0).unwrap()
    }

    fn heads(items: &[(&str, &str)]) -> String {
        items.iter().map(|(h, _)| *h).collect::<Vec<_>>().join("&")
    }

    #[test]
    fn sorts_by_parts_or_whole() {
        let items = [
            ("text10", "=test"),
            ("text", ""),
            ("text1", "=x"),
            ("a", "=2"),
            ("a", "=1"),
        ];
        let heads = heads(&items);
        for borrow_heads in [false, true] {
            let mut by_parts = sorted(&items, &heads, borrow_heads);
            by_parts.sort_by_parts();
            assert_eq!(joined(&by_parts), "a=1&a=2&text&text1=x&text10=test");
            let mut whole = sorted(&items, &heads, borrow_heads);
            whole.sort_whole();
            // `0` (0x30) sorts before `=` (0x3D): whole items order differently from their parts.
            assert_eq!(joined(&whole), "a=1&a=2&text&text10=test&text1=x");
        }
        let bce = [("text=", ""), ("text1=x", ""), ("text10=test", "")];
        let mut sorted = sorted(&bce, "", false);
        sorted.sort_whole();
        assert_eq!(joined(&sorted), "text10=test&text1=x&text=");
    }

    #[test]
    fn spills_past_the_stack_buffers() {
        let long = "k".repeat(INLINE_PARAM_TEXT);
        let items: Vec<(String, String)> = (0..MAX_PARAMETERS + 5)
            .rev()
            .map(|i| (format!("{i:03}"), format!("={long}")))
            .collect();
        let borrowed: Vec<(&str, &str)> = items
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let heads = heads(&borrowed);
        let mut s = sorted(&borrowed, &heads, true);
        s.sort_by_parts();
        let mut expected: Vec<String> = items.iter().map(|(a, b)| format!("{a}{b}")).collect();
        expected.sort();
        assert_eq!(joined(&s), expected.join("&"));
        assert_eq!(s.len(), MAX_PARAMETERS + 5);
    }

    #[test]
    fn spans_stay_in_their_place() {
        let mut sorted = Params::default();
        sorted.source(0, "query");
        sorted.source(1, "form");
        let written = sorted.written(|text| text.put(b"text"));
        assert_eq!(sorted.bytes(sorted.borrowed(0, 1, 3)), b"uer");
        assert_eq!(sorted.bytes(sorted.borrowed(1, 0, 4)), b"form");
        assert_eq!(sorted.bytes(written), b"text");
        assert_eq!(sorted.bytes(sorted.borrowed(1, 2, 9)), b"");
        assert_eq!(sorted.bytes(Span::EMPTY), b"");
        assert_eq!(Span::new(0, 1 << 30, (1 << 30) + 1), Span::EMPTY);
    }
}
