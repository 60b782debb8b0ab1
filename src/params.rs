//! Query and form parameters, as both schemes read them from the wire: split on `&`, checked in
//! one pass, kept as byte offsets into the text they came from (no copies), and sorted by each
//! scheme's own rule.

use core::cmp::Ordering;

use crate::encoding::{cmp_decoded, scan, Plus};
use crate::error::RequestError;
use crate::limits::MAX_PARAMETERS;

/// One parameter, as byte offsets into the query or the form body: the key is `start..eq`, the
/// value `eq + 1..end` (empty when `eq == end`, an item without `=`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Param {
    start: u32,
    eq: u32,
    end: u32,
    /// From the form body (where `+` is a space) rather than the query.
    form: bool,
    /// The key decodes to itself.
    pub(crate) key_plain: bool,
    /// The value decodes to itself.
    pub(crate) value_plain: bool,
}

impl Param {
    /// Key and value decode to themselves.
    pub(crate) const fn plain(&self) -> bool {
        self.key_plain && self.value_plain
    }
}

/// Where parameters' bytes live.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sources<'a> {
    pub(crate) query: &'a str,
    pub(crate) form: &'a str,
}

impl<'a> Sources<'a> {
    /// The raw (still encoded) key and value of `param`, and how their `+` decodes.
    pub(crate) fn text(&self, param: &Param) -> (&'a str, &'a str, Plus) {
        let (source, plus) = if param.form {
            (self.form, Plus::Space)
        } else {
            (self.query, Plus::Literal)
        };
        let (start, eq, end) = (param.start as usize, param.eq as usize, param.end as usize);
        let key = source.get(start..eq).unwrap_or_default();
        let value = source
            .get(eq.saturating_add(1).min(end)..end)
            .unwrap_or_default();
        (key, value, plus)
    }

    /// The raw item of `param`, `key=value` (or just `key`), as it stands in its source.
    pub(crate) fn item(&self, param: &Param) -> &'a str {
        let source = if param.form { self.form } else { self.query };
        source
            .get(param.start as usize..param.end as usize)
            .unwrap_or_default()
    }

    /// The raw key and value bytes of `param` (byte slicing: no character-boundary checks),
    /// and how their `+` decodes.
    fn bytes(&self, param: &Param) -> (&'a [u8], &'a [u8], Plus) {
        let (source, plus) = if param.form {
            (self.form.as_bytes(), Plus::Space)
        } else {
            (self.query.as_bytes(), Plus::Literal)
        };
        let (start, eq, end) = (param.start as usize, param.eq as usize, param.end as usize);
        let key = source.get(start..eq).unwrap_or_default();
        let value = source
            .get(eq.saturating_add(1).min(end)..end)
            .unwrap_or_default();
        (key, value, plus)
    }

    /// Decoded key, then decoded value, byte-wise (Tencent's order).
    pub(crate) fn cmp_decoded(&self, a: &Param, b: &Param) -> Ordering {
        let (a_key, a_value, a_plus) = self.bytes(a);
        let (b_key, b_value, b_plus) = self.bytes(b);
        let keys = if a.key_plain && b.key_plain {
            a_key.cmp(b_key)
        } else {
            cmp_decoded(a_key, a_plus, b_key, b_plus)
        };
        keys.then_with(|| {
            if a.value_plain && b.value_plain {
                a_value.cmp(b_value)
            } else {
                cmp_decoded(a_value, a_plus, b_value, b_plus)
            }
        })
    }
}

/// Parameters held inline up to this count, on the heap beyond it.
const INLINE_PARAMS: usize = 8;

/// A list of parameters: inline for the common few, on the heap beyond that.
#[derive(Clone, Debug)]
pub(crate) enum Params {
    Inline([Param; INLINE_PARAMS], usize),
    Heap(Vec<Param>),
}

impl Default for Params {
    fn default() -> Self {
        Params::Inline([Param::default(); INLINE_PARAMS], 0)
    }
}

impl Params {
    fn push(&mut self, param: Param) -> Result<(), RequestError> {
        if self.as_slice().len() >= MAX_PARAMETERS {
            return Err(RequestError::TooManyParameters);
        }
        match self {
            Params::Inline(items, len) => match items.get_mut(*len) {
                Some(slot) => {
                    *slot = param;
                    *len += 1;
                }
                None => {
                    let mut heap = Vec::with_capacity(INLINE_PARAMS * 4);
                    heap.extend_from_slice(items);
                    heap.push(param);
                    *self = Params::Heap(heap);
                }
            },
            Params::Heap(items) => items.push(param),
        }
        Ok(())
    }

    pub(crate) fn as_slice(&self) -> &[Param] {
        match self {
            Params::Inline(items, len) => items.get(..*len).unwrap_or_default(),
            Params::Heap(items) => items,
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [Param] {
        match self {
            Params::Inline(items, len) => items.get_mut(..*len).unwrap_or_default(),
            Params::Heap(items) => items,
        }
    }

    /// Adds the `&`-separated items of `raw` (the query, or the form body when `form`) for which
    /// `keep(raw key, plus)` holds. Empty items (`a=1&&b=2`) carry no parameter and are skipped;
    /// an item without `=` is a key with an empty value. Every item is checked: well-formed
    /// escapes, UTF-8 after decoding, and (in a query) no byte a request line cannot carry.
    pub(crate) fn add_all(
        &mut self,
        raw: &str,
        form: bool,
        mut keep: impl FnMut(&str, Plus) -> bool,
    ) -> Result<(), RequestError> {
        let plus = if form { Plus::Space } else { Plus::Literal };
        let bytes = raw.as_bytes();
        let mut offset = 0;
        // One pass per item: `scan` stops at its `&`, finds its first `=` and checks it, key and
        // value together (no escape spans the raw `=`).
        while let Some(rest) = bytes.get(offset..) {
            let item = scan(rest, plus, !form, true)?;
            if item.len > 0 {
                let key = raw.get(offset..offset + item.eq).unwrap_or_default();
                if keep(key, plus) {
                    let at = |n: usize| {
                        u32::try_from(offset + n).map_err(|_| RequestError::BodyTooLarge)
                    };
                    self.push(Param {
                        start: at(0)?,
                        eq: at(item.eq)?,
                        end: at(item.len)?,
                        form,
                        key_plain: item.key_plain,
                        value_plain: item.value_plain,
                    })?;
                }
            }
            offset += item.len + 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_skips_empty_items_and_filters() {
        let mut params = Params::default();
        let sources = Sources {
            query: "a=1&&b&c=x=y&authorization=z",
            form: "",
        };
        params
            .add_all(sources.query, false, |key, _| key != "authorization")
            .unwrap();
        let texts: Vec<_> = params
            .as_slice()
            .iter()
            .map(|p| sources.text(p))
            .map(|(k, v, _)| (k, v))
            .collect();
        assert_eq!(texts, [("a", "1"), ("b", ""), ("c", "x=y")]);
    }

    #[test]
    fn spills_to_the_heap_and_stops_at_the_limit() {
        let many = vec!["k=v"; MAX_PARAMETERS].join("&");
        let mut params = Params::default();
        params.add_all(&many, false, |_, _| true).unwrap();
        assert!(matches!(params, Params::Heap(ref v) if v.len() == MAX_PARAMETERS));
        assert_eq!(
            params.add_all("one=more", false, |_, _| true),
            Err(RequestError::TooManyParameters)
        );
    }
}
