//! The owned request: what tests build, edit and send, lent to the crate as a borrowed
//! [`Request`] (a `Vec<Header>` borrowing its names and values).
//!
//! What a scheme does with it (signing, verifying, explaining) stays in the suites, as inherent
//! methods in their own `impl Wire` blocks.

use core::fmt;

use apigw_sign::bce::Carrier;
use apigw_sign::encoding::encode_component;
use apigw_sign::{Header, Request};

/// A request as sent: method, origin-form target, headers with raw value bytes (in order,
/// repeats kept), body.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Wire {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) body: Vec<u8>,
}

impl Wire {
    /// `method target` with text `headers` and `body`.
    pub(crate) fn new(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        Wire {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body: body.to_vec(),
        }
    }

    /// `method target` with no headers and no body.
    pub(crate) fn bare(method: &str, target: &str) -> Self {
        Wire::new(method, target, &[], b"")
    }

    /// Adds another `name` header.
    pub(crate) fn with(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// Removes every `name` header (any case).
    pub(crate) fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// Replaces every `name` header by one, last, with `value`.
    pub(crate) fn set(self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.without(name).with(name, value)
    }

    /// [`Wire::with`] for each of `headers`, in order.
    pub(crate) fn with_all<N, V>(self, headers: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: AsRef<str>,
        V: AsRef<[u8]>,
    {
        headers
            .into_iter()
            .fold(self, |wire, (n, v)| wire.with(n.as_ref(), v))
    }

    /// [`Wire::set`] for each of `headers`, in order: what applying a signature's headers does.
    pub(crate) fn set_all<N, V>(self, headers: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: AsRef<str>,
        V: AsRef<[u8]>,
    {
        headers
            .into_iter()
            .fold(self, |wire, (n, v)| wire.set(n.as_ref(), v))
    }

    /// The first `name` header's value, if any.
    pub(crate) fn value(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The first `name` header's value, which the test knows is there and is text.
    pub(crate) fn header(&self, name: &str) -> String {
        let value = self
            .value(name)
            .unwrap_or_else(|| panic!("no {name} header"));
        String::from_utf8(value.to_vec()).expect("text header")
    }

    /// Rewrites the `Authorization` header.
    pub(crate) fn auth(self, edit: impl FnOnce(&str) -> String) -> Self {
        let value = edit(&self.header("authorization"));
        self.set("Authorization", value)
    }

    pub(crate) fn method(mut self, method: &str) -> Self {
        self.method = method.to_owned();
        self
    }

    pub(crate) fn target(mut self, target: &str) -> Self {
        self.target = target.to_owned();
        self
    }

    pub(crate) fn body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }

    /// With a BCE auth string in `carrier`: the `Authorization` or `X-Bce-Signature` header, or
    /// the `authorization` query parameter (percent-encoded).
    pub(crate) fn carry(mut self, carrier: Carrier, auth: &str) -> Self {
        match carrier {
            Carrier::Authorization => self.with("Authorization", auth),
            Carrier::XBceSignature => self.with("X-Bce-Signature", auth),
            Carrier::Query => {
                let separator = if self.target.contains('?') { '&' } else { '?' };
                self.target = format!(
                    "{}{separator}authorization={}",
                    self.target,
                    encode_component(auth)
                );
                self
            }
            Carrier::AppCode => unreachable!("an AppCode carries no auth string"),
            other => unreachable!("a carrier these tests do not know: {other:?}"),
        }
    }

    /// The borrowed headers, for [`Wire::request`].
    pub(crate) fn view(&self) -> Vec<Header<'_>> {
        self.headers
            .iter()
            .map(|(n, v)| Header::from_bytes(n, v))
            .collect()
    }

    /// The borrowed request over `headers` (this request's [`Wire::view`]), with the body.
    pub(crate) fn request<'a>(&'a self, headers: &'a [Header<'a>]) -> Request<'a> {
        Request::new(&self.method, &self.target, headers, &self.body)
    }

    /// Calls `f` with the borrowed request (with the body).
    pub(crate) fn with_request<T>(&self, f: impl FnOnce(&Request<'_>) -> T) -> T {
        let headers = self.view();
        f(&self.request(&headers))
    }
}

/// The headers as `name: "value"` (lossy UTF-8), like [`Header`]'s `Debug`.
impl fmt::Debug for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wire")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("headers", &self.view())
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}
