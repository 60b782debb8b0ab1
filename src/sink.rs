//! Streaming a canonical string: into a MAC while signing or verifying, into text for `Display`.
//!
//! A canonical string is data ([`Message`]) that writes itself piece by piece into a [`Sink`];
//! nothing builds it as a `String` on the hot path.

use core::fmt;

use crate::limits::SINK_BUFFER;

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

/// A stack buffer in front of a sink: canonical strings are written in many small pieces, and a
/// MAC's per-call bookkeeping costs more than copying them into one buffer first.
pub(crate) struct Buffered<'s, S: Sink> {
    sink: &'s mut S,
    buf: [u8; SINK_BUFFER],
    len: usize,
}

impl<'s, S: Sink> Buffered<'s, S> {
    pub(crate) fn new(sink: &'s mut S) -> Self {
        Buffered {
            sink,
            buf: [0; SINK_BUFFER],
            len: 0,
        }
    }

    /// Hands everything buffered to the sink.
    pub(crate) fn flush(&mut self) {
        if self.len > 0 {
            self.sink.put(self.buf.get(..self.len).unwrap_or_default());
            self.len = 0;
        }
    }
}

impl<S: Sink> Sink for Buffered<'_, S> {
    #[inline]
    fn put_byte(&mut self, byte: u8) {
        if self.len == SINK_BUFFER {
            self.flush();
        }
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(free) = self.buf.get_mut(self.len..end) {
            free.copy_from_slice(bytes);
            self.len = end;
            return;
        }
        self.flush();
        match self.buf.get_mut(..bytes.len()) {
            Some(free) if bytes.len() < SINK_BUFFER => {
                free.copy_from_slice(bytes);
                self.len = bytes.len();
            }
            _ => self.sink.put(bytes),
        }
    }
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
    fn buffered_sink_preserves_every_byte() {
        let mut out = Text::default();
        let mut expected = Vec::new();
        {
            let mut b = Buffered::new(&mut out);
            for i in 0..600usize {
                let piece = vec![(i % 251) as u8; i % 300];
                b.put(&piece);
                expected.extend_from_slice(&piece);
            }
            b.flush();
        }
        assert_eq!(out.0, expected);
    }

    #[test]
    fn mapped_puts_cross_chunks() {
        let mut out = Text::default();
        let text: Vec<u8> = (0..700usize).map(|i| b'a' + (i % 26) as u8).collect();
        {
            let mut b = Buffered::new(&mut out);
            b.put(b"x");
            put_upper(&text, &mut b);
            put_lower(b"MiXeD", &mut b);
            b.flush();
        }
        let mut expected = b"x".to_vec();
        expected.extend(text.to_ascii_uppercase());
        expected.extend(b"mixed");
        assert_eq!(out.0, expected);
    }
}
