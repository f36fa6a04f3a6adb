//! The `wide` channel of the sampling-port test
//! (partitions/tests/ports-sampling.toml), shared by `port-sampler` and
//! `port-reader`: message M's length and bytes, and a buffer aligned to a
//! word, so that "M bytes past a word boundary" means what it says.

/// The channel's message size.
pub const WIDE: usize = 64;

/// Message `m`: `1 + (13 m) % 64` bytes (every length from 1 to 64 over 64
/// messages, lengths below and above a word, odd and even), byte 0 `m`,
/// byte i `m * 31 + i * 7` (mod 256).
pub fn wide_message(m: u8) -> ([u8; WIDE], usize) {
    let len = 1 + (usize::from(m) * 13) % WIDE;
    let mut bytes = [0u8; WIDE];
    for (i, b) in bytes.iter_mut().enumerate().take(len) {
        *b = if i == 0 { m } else { m.wrapping_mul(31).wrapping_add((i as u8).wrapping_mul(7)) };
    }
    (bytes, len)
}

/// A message buffer with room for any offset 0-7 from a word boundary.
#[repr(C, align(8))]
pub struct Aligned(pub [u8; WIDE + 8]);
