//! Items canonicalized once into one buffer, then sorted and written joined: the query and form
//! parameters of both schemes, BCE's canonical header lines.
//!
//! Each item is written once, in its canonical form, and sorting compares those bytes: no
//! comparison decodes or encodes anything, so `n` items cost `O(n log n)` comparisons of their
//! canonical text. The buffers live on the stack up to [`INLINE_SORTED_TEXT`] bytes and
//! [`INLINE_SORTED_ITEMS`] items and spill to the heap beyond (a long query, a large form).

use smallvec::SmallVec;

use crate::limits::{INLINE_SORTED_ITEMS, INLINE_SORTED_TEXT};
use crate::request::RequestError;
use crate::sink::Sink;

/// One item: `text[start..end]`, in two parts split at `mid` (a parameter's key and its
/// `=value`, a header line's name and its `:value`).
#[derive(Clone, Copy, Debug, Default)]
struct Item {
    start: u32,
    mid: u32,
    end: u32,
}

/// Canonical items in one buffer. Write an item's first part into it (it is a [`Sink`]), call
/// [`mid`](Sorted::mid), write the second part, then [`close`](Sorted::close) it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sorted {
    text: SmallVec<[u8; INLINE_SORTED_TEXT]>,
    items: SmallVec<[Item; INLINE_SORTED_ITEMS]>,
    /// Where the open item starts, and where its second part does.
    open: (usize, usize),
}

impl Sink for Sorted {
    fn put(&mut self, bytes: &[u8]) {
        self.text.extend_from_slice(bytes);
    }
}

impl Sorted {
    /// The number of items.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Starts the open item's second part here.
    pub(crate) fn mid(&mut self) {
        self.open.1 = self.text.len();
    }

    /// Ends the open item here and starts the next one.
    ///
    /// # Errors
    ///
    /// [`RequestError::BodyTooLarge`] if the text outgrows 4 GiB (the crate's limits keep it far
    /// below).
    pub(crate) fn close(&mut self) -> Result<(), RequestError> {
        let at = |n: usize| u32::try_from(n).map_err(|_| RequestError::BodyTooLarge);
        let end = self.text.len();
        let (start, mid) = self.open;
        self.items.push(Item {
            start: at(start)?,
            mid: at(mid.max(start))?,
            end: at(end)?,
        });
        self.open = (end, end);
        Ok(())
    }

    /// The two parts of `item`.
    fn parts(&self, item: &Item) -> (&[u8], &[u8]) {
        let (start, mid, end) = (item.start as usize, item.mid as usize, item.end as usize);
        (
            self.text.get(start..mid).unwrap_or_default(),
            self.text.get(mid..end).unwrap_or_default(),
        )
    }

    /// Sorts the items by their two parts: the first, then the second (Tencent's parameters:
    /// by key, then by value).
    pub(crate) fn sort_by_parts(&mut self) {
        let mut items = core::mem::take(&mut self.items);
        items.sort_unstable_by(|a, b| self.parts(a).cmp(&self.parts(b)));
        self.items = items;
    }

    /// Sorts the items by their whole text (BCE's parameters and header lines).
    pub(crate) fn sort_whole(&mut self) {
        let mut items = core::mem::take(&mut self.items);
        items.sort_unstable_by(|a, b| self.whole(a).cmp(self.whole(b)));
        self.items = items;
    }

    fn whole(&self, item: &Item) -> &[u8] {
        self.text
            .get(item.start as usize..item.end as usize)
            .unwrap_or_default()
    }

    /// Writes the items in order, `separator` between them.
    pub(crate) fn write_joined(&self, separator: &[u8], sink: &mut impl Sink) {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                sink.put(separator);
            }
            sink.put(self.whole(item));
        }
    }

    /// Orders two items as [`sort_whole`](Self::sort_whole) does (for tests).
    #[cfg(test)]
    fn cmp_whole(&self, a: usize, b: usize) -> core::cmp::Ordering {
        let item = |i: usize| self.items.get(i).copied().unwrap_or_default();
        self.whole(&item(a)).cmp(self.whole(&item(b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Text;

    fn sorted(items: &[(&str, &str)]) -> Sorted {
        let mut sorted = Sorted::default();
        for (head, tail) in items {
            sorted.put(head.as_bytes());
            sorted.mid();
            sorted.put(tail.as_bytes());
            sorted.close().unwrap();
        }
        sorted
    }

    fn joined(sorted: &Sorted) -> String {
        let mut text = Text::default();
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
        let mut by_parts = sorted(&items);
        by_parts.sort_by_parts();
        assert_eq!(joined(&by_parts), "a=1&a=2&text&text1=x&text10=test");
        let mut whole = sorted(&items);
        whole.sort_whole();
        // `0` (0x30) sorts before `=` (0x3D): whole items order differently from their parts.
        assert_eq!(joined(&whole), "a=1&a=2&text&text10=test&text1=x");
        let mut bce = sorted(&[("text", "="), ("text1", "=x"), ("text10", "=test")]);
        bce.sort_whole();
        assert_eq!(joined(&bce), "text10=test&text1=x&text=");
        assert_eq!(bce.cmp_whole(0, 1), core::cmp::Ordering::Less);
    }

    #[test]
    fn spills_past_the_stack_buffers() {
        let long = "k".repeat(INLINE_SORTED_TEXT);
        let mut items: Vec<(String, String)> = (0..INLINE_SORTED_ITEMS + 5)
            .rev()
            .map(|i| (format!("{i:03}"), format!("={long}")))
            .collect();
        let borrowed: Vec<(&str, &str)> = items
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let mut s = sorted(&borrowed);
        s.sort_by_parts();
        items.sort();
        let expected: Vec<String> = items.iter().map(|(a, b)| format!("{a}{b}")).collect();
        assert_eq!(joined(&s), expected.join("&"));
        assert_eq!(s.len(), INLINE_SORTED_ITEMS + 5);
    }
}
