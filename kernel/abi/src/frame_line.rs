//! The console line of a [`ConsoleFrame`](crate::Call::ConsoleFrame) call:
//! how a partition's binary log frame (a defmt frame) travels as text among
//! the console's other lines, encoded by the kernel, decoded by the host
//! tool (`bulkhead log`, `tools/bulkhead/src/log.rs`).
//!
//! ```text
//! @<partition id>.<thread>.<core> <base64>
//! ```
//!
//! - `partition id`: declaration index in the system description (what
//!   MyIds returns as `partition`);
//! - `thread`: the module-wide thread index (threads numbered in
//!   declaration order across all partitions, as in the trace records);
//! - `core`: the core the call was made on;
//! - `base64`: RFC 4648 section 4 (standard alphabet `A-Z a-z 0-9 + /`),
//!   without `=` padding, of the payload: the kernel time of the call in ns
//!   since the module epoch (GetTime's first result) as an unsigned LEB128
//!   varint, then the frame's bytes as the partition gave them.
//!
//! Pure code, no allocation: the kernel builds a line in fixed buffers.
//! This is the wire format other tools rely on: changing it is an ABI
//! change.

use crate::MAX_CONSOLE_FRAME;

/// The first byte of every frame line (no other console line starts with
/// it: partition text lines start with `[`).
pub const MARKER: char = '@';

/// Longest LEB128 encoding of a `u64`: 7 bits per byte.
pub const MAX_VARINT: usize = 10;

/// Longest payload: a time varint and a frame of [`MAX_CONSOLE_FRAME`].
pub const MAX_PAYLOAD: usize = MAX_VARINT + MAX_CONSOLE_FRAME;

/// Longest base64 text of a payload.
pub const MAX_BASE64: usize = base64_len(MAX_PAYLOAD);

/// Characters of the base64 text (no padding) of `n` bytes.
pub const fn base64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Writes `value` as unsigned LEB128 (7 bits per byte, low group first,
/// bit 7 set on every byte but the last) at the start of `out`; returns
/// the bytes written (1..=[`MAX_VARINT`]).
pub fn write_varint(mut value: u64, out: &mut [u8; MAX_VARINT]) -> usize {
    let mut n = 0;
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out[n] = low;
            return n + 1;
        }
        out[n] = low | 0x80;
        n += 1;
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Writes the base64 of `bytes` (standard alphabet, no padding) at the
/// start of `out`; returns the characters written, or `None` if `out` is
/// shorter than [`base64_len`]`(bytes.len())`.
pub fn write_base64(bytes: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = base64_len(bytes.len());
    if out.len() < len {
        return None;
    }
    let mut o = 0;
    for group in bytes.chunks(3) {
        let b = [group[0], *group.get(1).unwrap_or(&0), *group.get(2).unwrap_or(&0)];
        let word = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        // A group of k bytes gives k + 1 characters.
        for i in 0..=group.len() {
            out[o] = ALPHABET[((word >> (18 - 6 * i)) & 0x3f) as usize];
            o += 1;
        }
    }
    Some(o)
}

/// The payload of a frame line: the time varint, then the frame. `None`
/// for a frame longer than [`MAX_CONSOLE_FRAME`]. Returns the buffer and
/// the length used.
pub fn payload(time_ns: u64, frame: &[u8]) -> Option<([u8; MAX_PAYLOAD], usize)> {
    if frame.len() > MAX_CONSOLE_FRAME {
        return None;
    }
    let mut out = [0u8; MAX_PAYLOAD];
    let mut varint = [0u8; MAX_VARINT];
    let n = write_varint(time_ns, &mut varint);
    out[..n].copy_from_slice(&varint[..n]);
    out[n..n + frame.len()].copy_from_slice(frame);
    Some((out, n + frame.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(v: u64) -> ([u8; MAX_VARINT], usize) {
        let mut out = [0; MAX_VARINT];
        let n = write_varint(v, &mut out);
        (out, n)
    }

    #[test]
    fn leb128_examples() {
        // The DWARF standard's examples (DWARF 5, section 7.6).
        assert_eq!(varint(0).0[..varint(0).1], [0x00]);
        assert_eq!(varint(127).0[..varint(127).1], [0x7f]);
        assert_eq!(varint(128).0[..varint(128).1], [0x80, 0x01]);
        assert_eq!(varint(129).0[..varint(129).1], [0x81, 0x01]);
        assert_eq!(varint(12857).0[..varint(12857).1], [0xb9, 0x64]);
        assert_eq!(varint(u64::MAX).1, MAX_VARINT);
        assert_eq!(varint(u64::MAX).0[9], 0x01);
    }

    fn b64(bytes: &[u8]) -> ([u8; 64], usize) {
        let mut out = [0; 64];
        let n = write_base64(bytes, &mut out).expect("fits");
        (out, n)
    }

    #[test]
    fn rfc4648_vectors_without_padding() {
        // RFC 4648 section 10, with the `=` padding left off.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            let (out, n) = b64(input.as_bytes());
            assert_eq!(&out[..n], expected.as_bytes(), "{input:?}");
            assert_eq!(n, base64_len(input.len()));
        }
        let (out, n) = b64(&[0xfb, 0xff, 0xbf]);
        assert_eq!(&out[..n], b"+/+/", "the two last characters of the standard alphabet");
    }

    #[test]
    fn base64_refuses_a_short_buffer() {
        assert_eq!(write_base64(b"foo", &mut [0; 3]), None);
    }

    #[test]
    fn the_longest_payload_fits() {
        let frame = [0xa5; MAX_CONSOLE_FRAME];
        let (buf, n) = payload(u64::MAX, &frame).expect("at the limit");
        assert_eq!(n, MAX_PAYLOAD);
        assert_eq!(&buf[MAX_VARINT..n], &frame[..]);
        assert_eq!(MAX_BASE64, 270);
        assert!(payload(0, &[0; MAX_CONSOLE_FRAME + 1]).is_none());
    }
}
