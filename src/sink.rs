//! Streaming a canonical string: into a MAC while signing or verifying, into text for `Display`.
//!
//! A canonical string is data ([`Message`]) that writes itself piece by piece into a [`Sink`];
//! nothing builds it as a `String` on the hot path. The pieces go straight into the MAC, whose
//! own block buffer gathers them (a stack buffer in front of it cost 2–7 % more time).

use core::fmt;

/// Where a canonical string is written: a MAC (see [`crate::mac`]), a text buffer, a scratch
/// buffer.
pub(crate) trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);

    /// Appends one byte (a decoded escape, say).
    fn put_byte(&mut self, byte: u8) {
        self.put(&[byte]);
    }
}

/// A canonical string that can be streamed into a sink.
pub(crate) trait Message {
    /// Writes the whole string into `sink`.
    fn write_to(&self, sink: &mut impl Sink);
}

/// A message that is just bytes.
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl Message for Bytes<'_> {
    fn write_to(&self, sink: &mut impl Sink) {
        sink.put(self.0);
    }
}

/// A sink that collects the text, for `Display` and debugging output.
#[derive(Default)]
pub(crate) struct Text(pub(crate) Vec<u8>);

impl Sink for Text {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Writes `message` as text (lossy for bytes that are not UTF-8): the `Display` of every
/// canonical string.
pub(crate) fn display_message(message: &impl Message, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut text = Text::default();
    message.write_to(&mut text);
    f.write_str(&String::from_utf8_lossy(&text.0))
}

/// Writes `bytes` with `map` applied to each (an ASCII case mapping), through a small stack
/// buffer: `chunk` receives each mapped piece.
pub(crate) fn mapped(bytes: &[u8], map: fn(&u8) -> u8, mut chunk: impl FnMut(&[u8])) {
    let mut buf = [0u8; 64];
    for piece in bytes.chunks(buf.len()) {
        let out = buf.get_mut(..piece.len()).unwrap_or_default();
        for (o, b) in out.iter_mut().zip(piece) {
            *o = map(b);
        }
        chunk(out);
    }
}

/// Writes `bytes` in upper case: a method.
pub(crate) fn put_upper(bytes: &[u8], sink: &mut impl Sink) {
    mapped(bytes, u8::to_ascii_uppercase, |chunk| sink.put(chunk));
}

/// Writes `bytes` in lower case: a header name.
pub(crate) fn put_lower(bytes: &[u8], sink: &mut impl Sink) {
    mapped(bytes, u8::to_ascii_lowercase, |chunk| sink.put(chunk));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_puts_cross_chunks() {
        let mut out = Text::default();
        let text: Vec<u8> = (0..700usize).map(|i| b'a' + (i % 26) as u8).collect();
        out.put(b"x");
        put_upper(&text, &mut out);
        put_lower(b"MiXeD", &mut out);
        let mut expected = b"x".to_vec();
        expected.extend(text.to_ascii_uppercase());
        expected.extend(b"mixed");
        assert_eq!(out.0, expected);
    }
}
