//! Base64 (RFC 4648 §4: standard alphabet, padded) for the short values the crate writes and
//! reads: Tencent's signature and `Content-MD5`.
//!
//! Written here rather than taken from a general-purpose crate because the values are a few
//! dozen bytes, where a general engine's setup costs more than the encoding. Decoding is strict:
//! only the canonical encoding of some bytes decodes (padding required, no bits left over),
//! exactly as the `base64` crate's `STANDARD` engine decides (a property test compares them).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Marks a byte outside the alphabet in [`DECODE`].
const INVALID: u8 = 0xFF;

// Built at compile time: an index out of range would fail the build, not panic at run time.
#[allow(clippy::indexing_slicing)]
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The length of the encoding of `n` bytes.
pub(crate) const fn encoded_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

#[inline(always)]
fn symbol(six_bits: u32) -> u8 {
    ALPHABET
        .get((six_bits & 0x3F) as usize)
        .copied()
        .unwrap_or(b'A')
}

#[inline(always)]
fn value(symbol: u8) -> u32 {
    u32::from(DECODE.get(usize::from(symbol)).copied().unwrap_or(INVALID))
}

/// Writes the encoding of `bytes` at the start of `out` and returns its length; writes nothing
/// and returns 0 when `out` is shorter than [`encoded_len`]`(bytes.len())`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut [u8]) -> usize {
    let len = encoded_len(bytes.len());
    if out.len() < len {
        return 0;
    }
    let mut groups = bytes.chunks_exact(3);
    let mut o = 0;
    for group in &mut groups {
        let [b0, b1, b2] = *group else { break };
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        put4(
            out,
            o,
            [symbol(n >> 18), symbol(n >> 12), symbol(n >> 6), symbol(n)],
        );
        o += 4;
    }
    match *groups.remainder() {
        [b0] => {
            let n = u32::from(b0) << 16;
            put4(out, o, [symbol(n >> 18), symbol(n >> 12), b'=', b'=']);
        }
        [b0, b1] => {
            let n = (u32::from(b0) << 16) | (u32::from(b1) << 8);
            put4(
                out,
                o,
                [symbol(n >> 18), symbol(n >> 12), symbol(n >> 6), b'='],
            );
        }
        _ => {}
    }
    len
}

#[inline(always)]
fn put4(out: &mut [u8], at: usize, symbols: [u8; 4]) {
    if let Some(dst) = out
        .get_mut(at..at + 4)
        .and_then(|s| <&mut [u8; 4]>::try_from(s).ok())
    {
        *dst = symbols;
    }
}

/// Decodes canonical padded base64 `text` into the start of `out` and returns the number of
/// bytes; `None` when `text` is not the canonical encoding of some bytes or they do not fit.
pub(crate) fn decode_into(text: &[u8], out: &mut [u8]) -> Option<usize> {
    if !text.len().is_multiple_of(4)
        || out.len() < (text.len() / 4 * 3).saturating_sub(tail_padding(text))
    {
        return None;
    }
    if text.is_empty() {
        return Some(0);
    }
    let invalid = u32::from(INVALID);
    let (body, last) = text.split_at_checked(text.len().checked_sub(4)?)?;
    let mut o = 0;
    for quad in body.chunks_exact(4) {
        let [s0, s1, s2, s3] = *quad else { return None };
        let (a, b, c, d) = (value(s0), value(s1), value(s2), value(s3));
        // INVALID has its top bit set: one test for all four symbols.
        if (a | b | c | d) & 0x80 != 0 {
            return None;
        }
        let n = (a << 18) | (b << 12) | (c << 6) | d;
        let dst = out
            .get_mut(o..o + 3)
            .and_then(|s| <&mut [u8; 3]>::try_from(s).ok())?;
        *dst = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        o += 3;
    }
    let [s0, s1, s2, s3] = *last else { return None };
    let (a, b, c, d) = (value(s0), value(s1), value(s2), value(s3));
    if a == invalid || b == invalid {
        return None;
    }
    let n = (a << 18) | (b << 12);
    let tail: &[u8] = if c != invalid && d != invalid {
        let n = n | (c << 6) | d;
        &[(n >> 16) as u8, (n >> 8) as u8, n as u8]
    } else if s3 == b'=' && c != invalid && c & 0x03 == 0 {
        // `xxx=`: two bytes; the third symbol's low two bits must be zero.
        let n = n | (c << 6);
        &[(n >> 16) as u8, (n >> 8) as u8]
    } else if s2 == b'=' && s3 == b'=' && b & 0x0F == 0 {
        // `xx==`: one byte; the second symbol's low four bits must be zero.
        &[(n >> 16) as u8]
    } else {
        return None;
    };
    out.get_mut(o..o + tail.len())?.copy_from_slice(tail);
    Some(o + tail.len())
}

/// How many `=` end `text` (at most two counted).
fn tail_padding(text: &[u8]) -> usize {
    match text {
        [.., b'=', b'='] => 2,
        [.., b'='] => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use proptest::prelude::*;

    const STANDARD: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    fn decoded(text: &str) -> Option<Vec<u8>> {
        let mut out = [0u8; 96];
        decode_into(text.as_bytes(), &mut out).map(|n| out[..n].to_vec())
    }

    #[test]
    fn known_values() {
        let mut out = [0u8; 8];
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
        ] {
            let n = encode_into(bytes, &mut out);
            assert_eq!(&out[..n], text.as_bytes());
            assert_eq!(decoded(text).as_deref(), Some(bytes));
        }
        // Not canonical: left-over bits, missing or misplaced padding, bad symbols.
        for text in [
            "Zh==", "Zm9=", "Zg", "Zg=", "Zg=a", "Z===", "====", "Zg==Zg==", "Zm9v!", "Zm-v",
        ] {
            assert_eq!(decoded(text), None, "{text}");
        }
        assert_eq!(encode_into(b"foo", &mut [0u8; 3]), 0);
        assert_eq!(decode_into(b"Zm9v", &mut [0u8; 2]), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn encoding_matches_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..70)) {
            let mut out = [0u8; 96];
            let n = encode_into(&bytes, &mut out);
            let theirs = STANDARD.encode(&bytes);
            prop_assert_eq!(&out[..n], theirs.as_bytes());
        }

        #[test]
        fn decoding_accepts_what_the_base64_crate_accepts(
            text in "[A-Za-z0-9+/=_.-]{0,16}|[A-Za-z0-9+/]{0,12}(=|==)?|[A-Za-z0-9+/]{27}=",
        ) {
            let theirs = STANDARD.decode(&text).ok();
            prop_assert_eq!(decoded(&text), theirs, "{:?}", text);
        }
    }
}
