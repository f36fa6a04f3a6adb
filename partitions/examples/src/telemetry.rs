//! What `region-writer` puts in the shared memory region `telemetry` and
//! `region-reader` checks (partitions/tests/shared-region.toml). Included
//! by both images with `#[path]`, as `fuzz.rs` is.
//!
//! Layout of the region (byte offsets):
//!
//! | offset | what |
//! | --- | --- |
//! | 0x00 | sequence number, u64, 1..=[`FINAL`]; 0 before the first write |
//! | 0x08..0x40 | seven words: word `i` is [`pattern`]`(sequence, i)` |
//! | 0x40 | length of the text, u64 |
//! | 0x1000 | the text: `region-writer was here, sequence N` |

/// The last sequence number the writer writes; it then leaves the region
/// as it is, so a reader restarted afterwards sees what a restart left.
pub const FINAL: u64 = 5;
/// Where the sequence number is.
pub const SEQUENCE: u64 = 0;
/// Where the text length is.
pub const TEXT_LEN: u64 = 0x40;
/// Where the text is: on a page of its own, for the reader to hand the
/// kernel as a ConsoleWrite buffer.
pub const TEXT: u64 = 0x1000;
/// The text, before its one-digit sequence number.
pub const TEXT_HEAD: &[u8] = b"region-writer was here, sequence ";

/// Word `i` (1..=7) of the pattern that goes with `sequence`.
pub const fn pattern(sequence: u64, i: u64) -> u64 {
    sequence * 0x0101_0101_0000 + i
}
