//! Items canonicalized once, then sorted and written joined: the query and form parameters of
//! both schemes, BCE's canonical header lines.
//!
//! Each item is made canonical once, before sorting: text that already is canonical where it
//! stands in the request is borrowed, the rest is written into one buffer. Sorting compares
//! those bytes: no comparison decodes or encodes anything, so `n` items cost `O(n log n)`
//! comparisons of their canonical text. The buffers live on the stack up to `TEXT` bytes and
//! `ITEMS` items and move to the heap beyond (a long query, a large form).

use core::cmp::Ordering;

use smallvec::SmallVec;

use crate::limits::{INLINE_HEADER_LINES, INLINE_HEADER_TEXT, INLINE_PARAMS, INLINE_PARAM_TEXT};
use crate::sink::Sink;

/// Query and form parameters.
pub(crate) type Params<'a> = Sorted<'a, INLINE_PARAM_TEXT, INLINE_PARAMS>;

/// BCE's canonical header lines.
pub(crate) type Lines<'a> = Sorted<'a, INLINE_HEADER_TEXT, INLINE_HEADER_LINES>;

/// One part of an item: canonical text borrowed from the request, or a span of the text the
/// list wrote.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Part<'a> {
    Borrowed(&'a [u8]),
    Written(u32, u32),
}

impl Part<'_> {
    /// No text.
    pub(crate) const EMPTY: Part<'static> = Part::Borrowed(b"");
}

/// One item, in two parts (a parameter's key and its `=value`).
#[derive(Clone, Copy, Debug)]
struct Item<'a> {
    head: Part<'a>,
    tail: Part<'a>,
}

/// Canonical items borrowing from `'a`, on the stack up to `TEXT` written bytes and `ITEMS`
/// items.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sorted<'a, const TEXT: usize, const ITEMS: usize> {
    text: Text<TEXT>,
    items: SmallVec<[Item<'a>; ITEMS]>,
}

/// The text a [`Sorted`] wrote: a [`Sink`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Text<const N: usize>(SmallVec<[u8; N]>);

impl<const N: usize> Sink for Text<N> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend(bytes.iter().copied());
    }
}

impl<'a, const TEXT: usize, const ITEMS: usize> Sorted<'a, TEXT, ITEMS> {
    /// The number of items.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// A part that `write` writes.
    pub(crate) fn written(&mut self, write: impl FnOnce(&mut Text<TEXT>)) -> Part<'a> {
        // The crate's limits keep the text far below 4 GiB; past it, parts would be cut short.
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let start = at(self.text.0.len());
        write(&mut self.text);
        Part::Written(start, at(self.text.0.len()))
    }

    /// Adds an item.
    pub(crate) fn push(&mut self, head: Part<'a>, tail: Part<'a>) {
        self.items.push(Item { head, tail });
    }

    fn bytes<'s>(&'s self, part: &Part<'a>) -> &'s [u8]
    where
        'a: 's,
    {
        match *part {
            Part::Borrowed(bytes) => bytes,
            Part::Written(start, end) => {
                let range = start as usize..end as usize;
                self.text.0.get(range).unwrap_or_default()
            }
        }
    }

    /// Sorts the items by their two parts: the first, then the second (Tencent's parameters:
    /// by key, then by value).
    pub(crate) fn sort_by_parts(&mut self) {
        let mut items = core::mem::take(&mut self.items);
        items.sort_unstable_by(|a, b| {
            let parts = |item: &Item<'a>| (self.bytes(&item.head), self.bytes(&item.tail));
            parts(a).cmp(&parts(b))
        });
        self.items = items;
    }

    /// Sorts the items by their whole text, the two parts joined (BCE's parameters and header
    /// lines).
    pub(crate) fn sort_whole(&mut self) {
        let mut items = core::mem::take(&mut self.items);
        items.sort_unstable_by(|a, b| self.cmp_whole(a, b));
        self.items = items;
    }

    fn cmp_whole(&self, a: &Item<'a>, b: &Item<'a>) -> Ordering {
        let (a_head, a_tail) = (self.bytes(&a.head), self.bytes(&a.tail));
        let (b_head, b_tail) = (self.bytes(&b.head), self.bytes(&b.tail));
        if a_tail.is_empty() && b_tail.is_empty() {
            return a_head.cmp(b_head);
        }
        a_head.iter().chain(a_tail).cmp(b_head.iter().chain(b_tail))
    }

    /// Writes the items in order, `separator` between them.
    pub(crate) fn write_joined(&self, separator: &[u8], sink: &mut impl Sink) {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                sink.put(separator);
            }
            sink.put(self.bytes(&item.head));
            sink.put(self.bytes(&item.tail));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items whose heads are borrowed and whose tails are written, or the reverse.
    fn sorted<'a>(items: &[(&'a str, &'a str)], borrow_heads: bool) -> Params<'a> {
        let mut sorted = Sorted::default();
        for (head, tail) in items {
            let (head, tail) = if borrow_heads {
                let tail = sorted.written(|text| text.put(tail.as_bytes()));
                (Part::Borrowed(head.as_bytes()), tail)
            } else {
                let head = sorted.written(|text| text.put(head.as_bytes()));
                (head, Part::Borrowed(tail.as_bytes()))
            };
            sorted.push(head, tail);
        }
        sorted
    }

    fn joined(sorted: &Params<'_>) -> String {
        let mut text = crate::sink::Text::default();
        sorted.write_joined(b"&", &mut text);
        String::from_utf8(text.0).unwrap()
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
        for borrow_heads in [false, true] {
            let mut by_parts = sorted(&items, borrow_heads);
            by_parts.sort_by_parts();
            assert_eq!(joined(&by_parts), "a=1&a=2&text&text1=x&text10=test");
            let mut whole = sorted(&items, borrow_heads);
            whole.sort_whole();
            // `0` (0x30) sorts before `=` (0x3D): whole items order differently from their parts.
            assert_eq!(joined(&whole), "a=1&a=2&text&text10=test&text1=x");
        }
        let mut bce = sorted(
            &[("text=", ""), ("text1=x", ""), ("text10=test", "")],
            false,
        );
        bce.sort_whole();
        assert_eq!(joined(&bce), "text10=test&text1=x&text=");
    }

    #[test]
    fn spills_past_the_stack_buffers() {
        let long = "k".repeat(INLINE_PARAM_TEXT);
        let items: Vec<(String, String)> = (0..INLINE_PARAMS + 5)
            .rev()
            .map(|i| (format!("{i:03}"), format!("={long}")))
            .collect();
        let borrowed: Vec<(&str, &str)> = items
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let mut s = sorted(&borrowed, true);
        s.sort_by_parts();
        let mut expected: Vec<String> = items.iter().map(|(a, b)| format!("{a}{b}")).collect();
        expected.sort();
        assert_eq!(joined(&s), expected.join("&"));
        assert_eq!(s.len(), INLINE_PARAMS + 5);
    }
}
