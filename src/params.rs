//! Query and form parameters, as both schemes read them from the wire: split on `&` and `=`,
//! each key and value checked (well-formed escapes, UTF-8 once decoded, and in a query no byte a
//! request line cannot carry), then canonicalized once into a [`Sorted`] buffer by the scheme's
//! own rule.

use crate::encoding::{validate, validate_wire, Plus};
use crate::limits::MAX_PARAMETERS;
use crate::request::RequestError;
use crate::sorted::Sorted;

/// One parameter as it stands on the wire.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Param<'a> {
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
}

/// How a scheme writes a parameter into its canonical list.
pub(crate) trait Canonical {
    /// Whether the parameter is signed at all.
    fn keeps(&self, param: &Param<'_>) -> bool;
    /// Writes the parameter's first part (its key).
    fn head(&self, param: &Param<'_>, out: &mut Sorted);
    /// Writes its second part (`=value`, or nothing for a bare key).
    fn tail(&self, param: &Param<'_>, out: &mut Sorted);
}

/// Adds the `&`-separated items of `raw` (the query, or the form body when `form`) that `rule`
/// keeps to `out`, canonicalized by `rule`. Empty items (`a=1&&b=2`) carry no parameter; an
/// item without `=` is a key with an empty value. Every item is checked, kept or not.
///
/// # Errors
///
/// The first item that does not decode ([`RequestError::BrokenPercentEscape`],
/// [`RequestError::InvalidUtf8`]) or, in a query, holds a byte a request line cannot carry
/// ([`RequestError::InvalidTarget`]); [`RequestError::TooManyParameters`] past
/// [`MAX_PARAMETERS`] in `out`.
pub(crate) fn add_all(
    raw: &str,
    form: bool,
    rule: &impl Canonical,
    out: &mut Sorted,
) -> Result<(), RequestError> {
    let plus = if form { Plus::Space } else { Plus::Literal };
    let check = |text: &str| match plus {
        Plus::Space => validate(text, plus),
        Plus::Literal => validate_wire(text),
    };
    for item in raw.split('&').filter(|item| !item.is_empty()) {
        let (key, value) = item.split_once('=').unwrap_or((item, ""));
        let param = Param {
            key,
            value,
            plus,
            key_plain: check(key)?,
            value_plain: check(value)?,
        };
        if !rule.keeps(&param) {
            continue;
        }
        if out.len() >= MAX_PARAMETERS {
            return Err(RequestError::TooManyParameters);
        }
        rule.head(&param, out);
        out.mid();
        rule.tail(&param, out);
        out.close()?;
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
        fn head(&self, param: &Param<'_>, out: &mut Sorted) {
            out.put(param.key.as_bytes());
        }
        fn tail(&self, param: &Param<'_>, out: &mut Sorted) {
            out.put(b"=");
            out.put(param.value.as_bytes());
        }
    }

    fn listed(raw: &str, form: bool) -> Result<String, RequestError> {
        let mut out = Sorted::default();
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
        let mut out = Sorted::default();
        add_all(&many, false, &Raw, &mut out).unwrap();
        assert_eq!(out.len(), MAX_PARAMETERS);
        assert_eq!(
            add_all("one=more", true, &Raw, &mut out),
            Err(RequestError::TooManyParameters)
        );
    }
}
