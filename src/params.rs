//! Query and form parameters, as both schemes read them from the wire: split on `&` and `=`,
//! each key and value checked (well-formed escapes, UTF-8 once decoded, and in a query no byte a
//! request line cannot carry), then canonicalized once into a sorted list ([`Params`]) by the
//! scheme's own rule.

use crate::encoding::{check_item, Plus};
use crate::limits::MAX_PARAMETERS;
use crate::request::RequestError;
use crate::sorted::Params;

/// One parameter as it stands on the wire.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Param<'a> {
    /// The raw item: `key=value`, or just `key`.
    pub(crate) item: &'a str,
    /// The raw item from its `=` on: `=value`, empty for an item without `=`.
    pub(crate) tail: &'a str,
    /// The raw (still encoded) key.
    pub(crate) key: &'a str,
    /// The raw value; empty for an item without `=`.
    pub(crate) value: &'a str,
    /// How `+` decodes: literal in a query, a space in a form body.
    pub(crate) plus: Plus,
    /// The key decodes to itself.
    pub(crate) key_plain: bool,
    /// The value decodes to itself.
    pub(crate) value_plain: bool,
    /// Where the item is: in source 0 (the query) or 1 (the form body) of the list, and at
    /// which byte.
    pub(crate) source: usize,
    pub(crate) at: usize,
}

/// How a scheme signs parameters.
pub(crate) trait Canonical {
    /// Whether the parameter is signed at all.
    fn keeps(&self, param: &Param<'_>) -> bool;
    /// Adds the parameter to `out`, canonicalized.
    fn add<'a>(&self, param: &Param<'a>, out: &mut Params<'a>);
}

/// Adds the `&`-separated items of `raw` (the query, or the form body when `form`) that `rule`
/// keeps to `out`, canonicalized by `rule`. Empty items (`a=1&&b=2`) carry no parameter; an item
/// without `=` is a key with an empty value. Every item is checked, kept or not.
///
/// # Errors
///
/// The first item that does not decode ([`RequestError::BrokenPercentEscape`],
/// [`RequestError::InvalidUtf8`]) or, in a query, holds a byte a request line cannot carry
/// ([`RequestError::InvalidTarget`]); [`RequestError::TooManyParameters`] past
/// [`MAX_PARAMETERS`] in `out`.
pub(crate) fn add_all<'a>(
    raw: &'a str,
    form: bool,
    rule: &impl Canonical,
    out: &mut Params<'a>,
) -> Result<(), RequestError> {
    let plus = if form { Plus::Space } else { Plus::Literal };
    let source = usize::from(form);
    out.source(source, raw);
    let mut at = 0;
    // Each item is split and checked in one pass ([`check_item`]); `at` is where it starts,
    // past the `&` that ended the one before.
    while let Some(rest) = raw.get(at..) {
        let checked = check_item(rest.as_bytes(), plus, !form)?;
        let item_at = at;
        at += checked.len + 1;
        // `&` and `=` are ASCII, and `eq <= len`: both cuts fall on character boundaries.
        let item = rest.get(..checked.len).unwrap_or_default();
        if item.is_empty() {
            continue;
        }
        let (key, tail) = item.split_at_checked(checked.eq).unwrap_or((item, ""));
        let param = Param {
            item,
            tail,
            key,
            value: tail.get(1..).unwrap_or_default(),
            plus,
            key_plain: checked.key_plain,
            value_plain: checked.value_plain,
            source,
            at: item_at,
        };
        if !rule.keeps(&param) {
            continue;
        }
        if out.len() >= MAX_PARAMETERS {
            return Err(RequestError::TooManyParameters);
        }
        rule.add(&param, out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::{Sink, Text};

    /// Keys and values as they stand, all but `authorization`.
    struct Raw;

    impl Canonical for Raw {
        fn keeps(&self, param: &Param<'_>) -> bool {
            param.key != "authorization"
        }
        fn add<'a>(&self, param: &Param<'a>, out: &mut Params<'a>) {
            let tail = out.written(|text| {
                text.put(b"=");
                text.put(param.value.as_bytes());
            });
            let key = out.borrowed(param.source, param.at, param.key.len());
            out.push(key, tail);
        }
    }

    fn listed(raw: &str, form: bool) -> Result<String, RequestError> {
        let mut out = Params::default();
        add_all(raw, form, &Raw, &mut out)?;
        let mut text = Text::default();
        out.write_joined(b"&", &mut text);
        Ok(String::from_utf8(text.0).unwrap())
    }

    #[test]
    fn splits_skips_empty_items_and_filters() {
        assert_eq!(
            listed("a=1&&b&c=x=y&authorization=z", false).unwrap(),
            "a=1&b=&c=x=y"
        );
    }

    #[test]
    fn checks_every_item_kept_or_not() {
        assert_eq!(
            listed("a=1&authorization=%zz", false),
            Err(RequestError::BrokenPercentEscape)
        );
        assert_eq!(listed("a=b c", false), Err(RequestError::InvalidTarget));
        assert_eq!(listed("a=b c", true).unwrap(), "a=b c");
        assert_eq!(listed("a=%E4", true), Err(RequestError::InvalidUtf8));
    }

    #[test]
    fn stops_at_the_limit() {
        let many = vec!["k=v"; MAX_PARAMETERS].join("&");
        let mut out = Params::default();
        add_all(&many, false, &Raw, &mut out).unwrap();
        assert_eq!(out.len(), MAX_PARAMETERS);
        assert_eq!(
            add_all("one=more", true, &Raw, &mut out),
            Err(RequestError::TooManyParameters)
        );
        // Parameters the rule leaves out do not count.
        assert_eq!(add_all("authorization=x", true, &Raw, &mut out), Ok(()));
    }
}
