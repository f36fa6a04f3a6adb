//! The trace port's byte stream, decoded into `trace:` lines.
//!
//! Where it sits: the host side of `kernel/src/module/trace.rs`. The traced
//! kernel sends each trace line (`trace: begin ...`, one per record,
//! `trace: <core> dropped <n>`) as one defmt frame whose format string is
//! the line itself, rzcobs-encoded (defmt's stream encoding): every frame
//! ends in a 0x00 and holds none. Decoding a frame with the `.defmt` table
//! of the kernel's ELF gives back exactly the text line, which
//! [`crate::trace::parse_log`] reads as it reads a text log.
//!
//! Used by `bulkhead trace --elf KERNEL_ELF` on a capture of the port, and
//! by the QEMU test runner (`tools/xtask/src/qemu.rs`) as it captures it.
//! Nothing undecodable is skipped: a frame that does not decode is an error
//! naming its byte offset in the stream and what is wrong with it, and the
//! decoder goes on at the next frame (rzcobs lets it).
//!
//! The rzcobs decoding is written here rather than taken from
//! `defmt-decoder`'s stream decoder, whose errors say only "malformed".
//! The format (defmt's `src/encoding/rzcobs.rs`), as the encoder writes it,
//! in groups read from the frame's end backwards:
//!
//! ```text
//! 0xxxxxxx  seven bytes, bit 6 - i for the i-th from the end: 1 a zero, 0 a byte that follows
//! 1nnnnnnn  a zero, then n + 7 bytes that follow (0xff: 134 bytes, no zero)
//! ```
//!
//! The last group of a frame may say zeros past its end (the encoder pads
//! an unfinished group with them): up to six zero bytes after the message
//! are padding, not an error.

use std::collections::HashSet;

use defmt_decoder::{DecodeError, Encoding, Table};

/// One frame decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The frame's text: a `trace:` line without its newline.
    pub line: String,
    /// Bytes the frame took on the wire, its 0x00 included (and any
    /// separators before it).
    pub wire_bytes: usize,
}

/// Decodes the trace port's stream as it arrives.
pub struct PortDecoder {
    table: Table,
    /// The indices of the table's log messages (what a frame may start
    /// with), to name an unknown one.
    messages: HashSet<usize>,
    /// Bytes received and not yet decoded: the start of the next frame.
    pending: Vec<u8>,
    /// Stream offset of `pending[0]`.
    offset: u64,
}

impl PortDecoder {
    /// A decoder with the defmt table of the kernel ELF `elf` (named
    /// `name` in errors).
    pub fn from_elf(name: &str, elf: &[u8]) -> Result<Self, String> {
        let table = Table::parse(elf)
            .map_err(|e| format!("{name}: no usable defmt table ({e})"))?
            .ok_or_else(|| {
                format!(
                    "{name} has no .defmt section: not a Bulkhead kernel that sends its trace as defmt frames (give the ELF of the traced kernel that ran, e.g. target/aarch64-unknown-none-softfloat/release/bulkhead-traced)"
                )
            })?;
        Self::new(name, table)
    }

    /// A decoder with `table` (from the ELF named `name`).
    pub fn new(name: &str, table: Table) -> Result<Self, String> {
        if table.encoding() != Encoding::Rzcobs {
            return Err(format!(
                "{name} uses defmt's {:?} encoding; the trace port carries rzcobs frames (the kernel's defmt feature encoding-rzcobs: was it built together with the partitions, whose SDK asks for encoding-raw?)",
                table.encoding()
            ));
        }
        let messages: HashSet<usize> = table.indices().collect();
        if messages.is_empty() {
            return Err(format!(
                "{name} holds no defmt log message: a kernel that does not trace (the product kernel sends nothing to the port); give the ELF of the traced kernel that ran"
            ));
        }
        Ok(PortDecoder { table, messages, pending: Vec::new(), offset: 0 })
    }

    /// Takes bytes as they arrive.
    pub fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next frame, once its terminating 0x00 has arrived; `None` until
    /// then. An error names the frame's byte offset in the stream.
    pub fn next_frame(&mut self) -> Option<Result<Decoded, String>> {
        // Separators before the frame (the kernel's first frame starts
        // with one) count with it.
        let start = self.pending.iter().position(|&b| b != 0)?;
        let len = self.pending[start..].iter().position(|&b| b == 0)?;
        let at = self.offset + start as u64;
        let wire_bytes = start + len + 1;
        let result = self.decode_frame(&self.pending[start..start + len]);
        self.pending.drain(..wire_bytes);
        self.offset += wire_bytes as u64;
        Some(
            result
                .map(|line| Decoded { line, wire_bytes })
                .map_err(|why| format!("the frame at byte {at} ({len} {}) does not decode: {why}", bytes(len))),
        )
    }

    /// Bytes of a frame whose 0x00 has not arrived (at the end of a
    /// capture: a frame cut short when the writer stopped).
    pub fn unfinished(&self) -> usize {
        self.pending.iter().position(|&b| b != 0).map_or(0, |start| self.pending.len() - start)
    }

    /// Stream offset of the first byte not yet decoded.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn decode_frame(&self, encoded: &[u8]) -> Result<String, String> {
        let raw = rzcobs_decode(encoded)?;
        let Some(index) = raw.get(..2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))) else {
            return Err(format!("{} byte(s) after rzcobs, shorter than a defmt message index (2 bytes)", raw.len()));
        };
        if !self.messages.contains(&index) {
            return Err(format!(
                "message index {index} is not in the kernel's defmt table (an ELF from another build than the one that ran?)"
            ));
        }
        let (frame, consumed) = self.table.decode(&raw).map_err(|e| match e {
            DecodeError::UnexpectedEof => {
                format!("message {index}'s arguments need more than the frame's {} bytes", raw.len())
            }
            DecodeError::Malformed => format!("message {index}'s arguments are malformed"),
        })?;
        // Up to six zeros are the last group's padding; anything else is
        // more than the message holds.
        let rest = &raw[consumed..];
        let extra = rest.iter().rposition(|&b| b != 0).map_or(0, |last| last + 1);
        if extra > 0 || rest.len() >= 7 {
            let shown = if extra > 0 { extra } else { rest.len() };
            return Err(format!("{shown} byte(s) after message {index}'s arguments"));
        }
        Ok(frame.display_message().to_string())
    }
}

fn bytes(n: usize) -> &'static str {
    if n == 1 { "byte" } else { "bytes" }
}

/// A whole capture of the port, decoded.
#[derive(Debug, Default)]
pub struct Capture {
    /// The `trace:` lines, each with its newline: a text log.
    pub text: String,
    /// Frames decoded.
    pub frames: usize,
    /// One per frame that does not decode (`NAME: the frame at byte ...`).
    pub errors: Vec<String>,
    /// A frame cut short at the end (the writer stopped mid-frame): its
    /// bytes and where it starts. Not an error, as a text log's
    /// unfinished last line is not.
    pub unfinished: Option<(usize, u64)>,
}

/// Decodes the capture `bytes` (named `name` in errors) with `decoder`.
pub fn decode_capture(decoder: &mut PortDecoder, name: &str, bytes: &[u8]) -> Capture {
    let mut capture = Capture::default();
    decoder.push(bytes);
    while let Some(frame) = decoder.next_frame() {
        match frame {
            Ok(frame) => {
                capture.frames += 1;
                capture.text.push_str(&frame.line);
                capture.text.push('\n');
            }
            Err(e) => capture.errors.push(format!("{name}: {e}")),
        }
    }
    capture.unfinished = (decoder.unfinished() > 0).then(|| (decoder.unfinished(), decoder.offset()));
    capture
}

/// Undoes rzcobs (module doc); `encoded` holds no 0x00.
pub fn rzcobs_decode(encoded: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(encoded.len() * 2);
    // Groups are read from the end of the frame; each takes the bytes
    // before it, so the output comes out backwards.
    let mut left = encoded;
    while let Some((&group, before)) = left.split_last() {
        left = before;
        let mut take = |out: &mut Vec<u8>| {
            let (&byte, before) = left.split_last().ok_or_else(|| {
                format!("rzcobs: group byte {group:#04x} asks for more bytes than come before it in the frame")
            })?;
            left = before;
            out.push(byte);
            Ok::<(), String>(())
        };
        match group {
            0 => return Err("rzcobs: a 0x00 inside a frame".into()),
            0x01..=0x7f => {
                // Bit k stands for the group's k-th byte; the last first.
                for bit in (0..7).rev() {
                    if group & (1 << bit) == 0 {
                        take(&mut out)?;
                    } else {
                        out.push(0);
                    }
                }
            }
            0x80..=0xfe => {
                out.push(0);
                for _ in 0..(group & 0x7f) + 7 {
                    take(&mut out)?;
                }
            }
            0xff => {
                for _ in 0..134 {
                    take(&mut out)?;
                }
            }
        }
    }
    out.reverse();
    Ok(out)
}

/// What the tests here and the QEMU runner's tests build their streams
/// with (feature `fixtures`): a kernel ELF that holds only a defmt table,
/// and frames encoded as the kernel's defmt encoder writes them.
#[cfg(any(test, feature = "fixtures"))]
pub mod fixture {
    use object::write::{Object, Symbol, SymbolSection};
    use object::{Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind, SymbolScope};

    /// The kernel's format strings (`kernel/src/module/trace.rs`), at the
    /// indices this fixture's table gives them: (index, defmt tag, string).
    pub const KERNEL_STRINGS: &[(u16, &str, &str)] = &[
        (1, "defmt_prim", "{=__internal_FormatSequence}"),
        (2, "defmt_println", "trace: begin {=str} freq={=u64} epoch={=u64} cores={=u32} schedule={=u32}"),
        (3, "defmt_println", "trace: {=u8} {=u64} {=u8}/{=u64}/{=u16} {=u16} {=u16} {=istr} {=u64} {=u64}"),
        (4, "defmt_println", "trace: {=u8} {=u64} {=u8}/{=u64}/{=u16} - - {=istr} {=u64} -"),
        (5, "defmt_println", "trace: {=u8} {=u64} {} {} {=istr} {=u64} {}"),
        (6, "defmt_println", "trace: {=u8} dropped {=u32}"),
        (7, "defmt_write", "-/-/-"),
        (8, "defmt_write", "- -"),
        (9, "defmt_write", "-"),
        (10, "defmt_str", "boundary"),
        (11, "defmt_str", "wait"),
        (12, "defmt_println", "trace: {=u8} {=u64} deadline {=u16} {=u16}"),
    ];

    /// An ELF whose `.defmt` table holds `strings`, as the kernel's link
    /// leaves it (each string a symbol whose address is its index), with
    /// defmt's version and `encoding` symbols.
    pub fn table_elf(strings: &[(u16, &str, &str)], encoding: &str) -> Vec<u8> {
        let mut obj = Object::new(BinaryFormat::Elf, Architecture::Aarch64, Endianness::Little);
        let section = obj.add_section(Vec::new(), b".defmt".to_vec(), SectionKind::Other);
        let size = strings.iter().map(|s| s.0).max().unwrap_or(0) + 1;
        obj.append_section_data(section, &vec![0; usize::from(size)], 1);
        let mut symbol = |name: String, value: u64, section: SymbolSection| {
            obj.add_symbol(Symbol {
                name: name.into_bytes(),
                value,
                size: 1,
                kind: SymbolKind::Data,
                scope: SymbolScope::Compilation,
                weak: false,
                section,
                flags: SymbolFlags::None,
            });
        };
        for (index, tag, string) in strings {
            let json = format!(
                r#"{{"package":"bulkhead-kernel","tag":"{tag}","data":"{}","disambiguator":"{index}","crate_name":"bulkhead_kernel"}}"#,
                string.replace('\\', "\\\\").replace('"', "\\\"")
            );
            symbol(json, u64::from(*index), SymbolSection::Section(section));
        }
        symbol("_defmt_version_ = 4".into(), 0, SymbolSection::Absolute);
        symbol(format!("_defmt_encoding_ = {encoding}"), 0, SymbolSection::Absolute);
        obj.write().expect("an ELF in memory")
    }

    /// `raw` as one rzcobs frame with its 0x00, as defmt 1.2's encoder
    /// writes it (`src/encoding/rzcobs.rs`), rewritten from its source.
    pub fn rzcobs_frame(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut run, mut zeros) = (0u8, 0u8);
        for &byte in raw {
            if run < 7 {
                if byte == 0 {
                    zeros |= 1 << run;
                } else {
                    out.push(byte);
                }
                run += 1;
                if run == 7 && zeros != 0 {
                    out.push(zeros);
                    (run, zeros) = (0, 0);
                }
            } else if byte == 0 {
                out.push((run - 7) | 0x80);
                (run, zeros) = (0, 0);
            } else {
                out.push(byte);
                run += 1;
                if run == 134 {
                    out.push(0xff);
                    (run, zeros) = (0, 0);
                }
            }
        }
        match run {
            0 => {}
            1..=6 => out.push((zeros | (0xff << run)) & 0x7f),
            _ => out.push((run - 7) | 0x80),
        }
        out.push(0);
        out
    }

    /// The header's raw frame (message 2 of [`KERNEL_STRINGS`]).
    pub fn header(module: &str, freq: u64, epoch: u64, cores: u32, schedule: u32) -> Vec<u8> {
        let mut raw = 2u16.to_le_bytes().to_vec();
        raw.extend((module.len() as u32).to_le_bytes());
        raw.extend(module.as_bytes());
        raw.extend(freq.to_le_bytes());
        raw.extend(epoch.to_le_bytes());
        raw.extend(cores.to_le_bytes());
        raw.extend(schedule.to_le_bytes());
        raw
    }

    /// An idle record's raw frame (message 4 of [`KERNEL_STRINGS`]).
    pub fn idle(core: u8, ticks: u64, window: (u8, u64, u16), reason: u16, entered: u64) -> Vec<u8> {
        let mut raw = 4u16.to_le_bytes().to_vec();
        raw.push(core);
        raw.extend(ticks.to_le_bytes());
        raw.push(window.0);
        raw.extend(window.1.to_le_bytes());
        raw.extend(window.2.to_le_bytes());
        raw.extend(reason.to_le_bytes());
        raw.extend(entered.to_le_bytes());
        raw
    }

    /// A running record's raw frame (message 3 of [`KERNEL_STRINGS`]).
    pub fn record(
        core: u8,
        ticks: u64,
        window: (u8, u64, u16),
        runs: (u16, u16),
        reason: u16,
        entered: u64,
        admitted: u64,
    ) -> Vec<u8> {
        let mut raw = 3u16.to_le_bytes().to_vec();
        raw.push(core);
        raw.extend(ticks.to_le_bytes());
        raw.push(window.0);
        raw.extend(window.1.to_le_bytes());
        raw.extend(window.2.to_le_bytes());
        raw.extend(runs.0.to_le_bytes());
        raw.extend(runs.1.to_le_bytes());
        raw.extend(reason.to_le_bytes());
        raw.extend(entered.to_le_bytes());
        raw.extend(admitted.to_le_bytes());
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{KERNEL_STRINGS, rzcobs_frame, table_elf};
    use super::*;

    fn decoder() -> PortDecoder {
        PortDecoder::from_elf("kernel.elf", &table_elf(KERNEL_STRINGS, "rzcobs")).expect("a usable table")
    }

    /// Every frame of `stream`, decoded.
    fn decode_all(decoder: &mut PortDecoder, stream: &[u8]) -> Vec<Result<Decoded, String>> {
        decoder.push(stream);
        std::iter::from_fn(|| decoder.next_frame()).collect()
    }

    #[test]
    fn defmt_encoder_vectors_decode() {
        // defmt 1.2's own test vectors for its encoder (raw, encoded with
        // the 0x00): decoding gives the raw bytes and at most six zeros of
        // padding from the last group.
        let vectors: &[(&[u8], &[u8])] = &[
            (&[], &[0x00]),
            (&[0x00], &[0x7f, 0x00]),
            (&[0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], &[0x7f, 0x7f, 0x00]),
            (&[0x01], &[0x01, 0x7e, 0x00]),
            (&[0x00, 0x01], &[0x01, 0x7d, 0x00]),
            (&[0x01, 0x02], &[0x01, 0x02, 0x7c, 0x00]),
            (&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x00], &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x40, 0x00]),
            (&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77], &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x80, 0x00]),
            (
                &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
                &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x81, 0x00],
            ),
            (&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff], &[0x7f, 0xff, 0x3f, 0x00]),
            (&[0, 0, 0, 0, 0, 0x44, 0, 0, 0, 0, 0, 0, 0, 0xff], &[0x44, 0x5f, 0xff, 0x3f, 0x00]),
        ];
        for (raw, encoded) in vectors {
            assert_eq!(rzcobs_frame(raw), *encoded, "the fixture encoder on {raw:02x?}");
            let decoded = rzcobs_decode(&encoded[..encoded.len() - 1]).unwrap();
            assert!(decoded.starts_with(raw), "{encoded:02x?} gave {decoded:02x?}, not {raw:02x?}");
            let padding = &decoded[raw.len()..];
            assert!(padding.len() < 7 && padding.iter().all(|&b| b == 0), "{encoded:02x?} gave {decoded:02x?}");
        }
        // Long runs without a zero: the 0xff group.
        let long: Vec<u8> = (1..=200).collect();
        let encoded = rzcobs_frame(&long);
        assert!(encoded.contains(&0xff));
        assert!(rzcobs_decode(&encoded[..encoded.len() - 1]).unwrap().starts_with(&long));
    }

    #[test]
    fn a_stream_decodes_into_the_kernels_text_lines() {
        let mut stream = vec![0u8]; // the encoder's separator before its first frame
        stream.extend(rzcobs_frame(&fixture::header("lockstep", 62_500_000, 1_250_000, 4, 0)));
        stream.extend(rzcobs_frame(&fixture::record(2, 1_312_500, (0, 1, 2), (1, 3), 10, 1_312_480, 1_312_530)));
        stream.extend(rzcobs_frame(&fixture::idle(0, 9_000_000_000, (1, 1_000, 4), 11, 8_999_999_990)));
        // The general form, before the epoch: three nested format
        // sequences (tag, the write's index, terminator).
        let mut early = 5u16.to_le_bytes().to_vec();
        early.push(3);
        early.extend(7u64.to_le_bytes());
        for write in [7u16, 8] {
            early.extend([1, 0]);
            early.extend(write.to_le_bytes());
            early.extend([0, 0]);
        }
        early.extend(11u16.to_le_bytes());
        early.extend(0u64.to_le_bytes());
        early.extend([1, 0, 9, 0, 0, 0]);
        stream.extend(rzcobs_frame(&early));
        let mut dropped = 6u16.to_le_bytes().to_vec();
        dropped.push(1);
        dropped.extend(17u32.to_le_bytes());
        stream.extend(rzcobs_frame(&dropped));
        let mut deadline = 12u16.to_le_bytes().to_vec();
        deadline.push(2);
        deadline.extend(1_312_500u64.to_le_bytes());
        deadline.extend(1u16.to_le_bytes());
        deadline.extend(3u16.to_le_bytes());
        stream.extend(rzcobs_frame(&deadline));

        let mut decoder = decoder();
        let frames: Vec<Decoded> = decode_all(&mut decoder, &stream).into_iter().map(Result::unwrap).collect();
        let lines: Vec<&str> = frames.iter().map(|f| f.line.as_str()).collect();
        assert_eq!(
            lines,
            [
                "trace: begin lockstep freq=62500000 epoch=1250000 cores=4 schedule=0",
                "trace: 2 1312500 0/1/2 1 3 boundary 1312480 1312530",
                "trace: 0 9000000000 1/1000/4 - - wait 8999999990 -",
                "trace: 3 7 -/-/- - - wait 0 -",
                "trace: 1 dropped 17",
                "trace: 2 1312500 deadline 1 3",
            ]
        );
        // Every byte is one frame's, the first separator the first frame's.
        assert_eq!(frames.iter().map(|f| f.wire_bytes).sum::<usize>(), stream.len());
        assert_eq!((decoder.unfinished(), decoder.offset()), (0, stream.len() as u64));
        // And the lines are what `bulkhead trace` reads.
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let log = crate::trace::parse_log("port", &text).expect("the decoded lines parse");
        assert_eq!(log.header.cores, 4);
    }

    #[test]
    fn a_capture_is_checked_as_its_text_log_is() {
        use crate::trace::{Span, build_model, parse_log};
        use crate::trace_check::{Bounds, check_trace};
        // Frame 0 of tests/trace/pair.toml, every core punctual
        // (tests/pair/mod.rs), then frame 1 begun; cut mid-frame.
        let boundary = 10;
        let raws = [
            fixture::header("pair", 1_000_000, 1000, 2, 0),
            fixture::record(0, 1000, (0, 0, 0), (0, 0), boundary, 1000, 1000),
            fixture::record(1, 1000, (0, 0, 0), (0, 1), boundary, 1000, 1000),
            fixture::idle(0, 5000, (0, 0, 1), boundary, 5000),
            fixture::record(1, 5000, (0, 0, 1), (1, 2), boundary, 5000, 5000),
            fixture::idle(0, 9000, (0, 0, 2), boundary, 9000),
            fixture::idle(1, 9000, (0, 0, 2), boundary, 9000),
            fixture::record(0, 11000, (0, 1, 0), (0, 0), boundary, 11000, 11000),
            fixture::record(1, 11000, (0, 1, 0), (0, 1), boundary, 11000, 11000),
        ];
        let mut stream: Vec<u8> = raws.iter().flat_map(|r| rzcobs_frame(r)).collect();
        stream.extend(&rzcobs_frame(&raws[1])[..5]);
        let capture = decode_capture(&mut decoder(), "pair.port", &stream);
        assert!(capture.errors.is_empty(), "{:?}", capture.errors);
        assert_eq!((capture.frames, capture.unfinished.map(|u| u.0)), (9, Some(5)));
        assert!(capture.text.starts_with(
            "trace: begin pair freq=1000000 epoch=1000 cores=2 schedule=0\ntrace: 0 1000 0/0/0 0 0 boundary 1000 1000\n"
        ));
        let source =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/trace/pair.toml")).expect("fixture");
        let sys = crate::check::check(&source).system.expect("pair.toml checks");
        let log = parse_log("pair.port frame", &capture.text).expect("the decoded lines parse");
        let model = build_model(&sys, log, "pair.port frame").expect("and build the model");
        let bounds = Bounds { max_lateness_ticks: Some(0), max_skew_ticks: Some(0), derived: true, serial: false };
        let report = check_trace(&model, bounds, Span { start_frame: 0, frames: 1 }, false);
        assert_eq!(report.problems, 0, "{}", report.text);
        assert!(report.text.lines().any(|l| l == "check: ok"), "{}", report.text);
    }

    #[test]
    fn frames_arrive_in_pieces_and_a_cut_one_waits() {
        let frame = rzcobs_frame(&fixture::record(1, 5, (0, 0, 0), (0, 0), 10, 4, 6));
        let mut decoder = decoder();
        for (i, byte) in frame.iter().enumerate() {
            decoder.push(&[*byte]);
            let next = decoder.next_frame();
            if i + 1 < frame.len() {
                assert_eq!(next, None, "no frame before its 0x00 (byte {i})");
                assert_eq!(decoder.unfinished(), i + 1);
            } else {
                assert_eq!(next.unwrap().unwrap().line, "trace: 1 5 0/0/0 0 0 boundary 4 6");
            }
        }
    }

    #[test]
    fn a_corrupt_frame_is_an_error_naming_its_offset_and_fault_and_the_next_decodes() {
        let good = rzcobs_frame(&fixture::record(1, 5, (0, 0, 0), (0, 0), 10, 4, 6));
        let cases: Vec<(Vec<u8>, &str)> = vec![
            // A group byte that wants seven bytes where there are none.
            (vec![0x80, 0x00], "rzcobs: group byte 0x80 asks for more bytes than come before it"),
            // An index the table does not have.
            (rzcobs_frame(&[0x99, 0x00, 1, 2]), "message index 153 is not in the kernel's defmt table"),
            // A record cut after its ticks.
            (
                rzcobs_frame(&fixture::record(1, 5, (0, 0, 0), (0, 0), 10, 4, 6)[..11]),
                "message 3's arguments need more",
            ),
            // An interned string index that names no string.
            (
                rzcobs_frame(&fixture::record(1, 5, (0, 0, 0), (0, 0), 0x4242, 4, 6)),
                "message 3's arguments are malformed",
            ),
            // Bytes after the arguments.
            (
                rzcobs_frame(&[fixture::record(1, 5, (0, 0, 0), (0, 0), 10, 4, 6), vec![1, 2, 3]].concat()),
                "3 byte(s) after message 3's arguments",
            ),
        ];
        for (bad, why) in cases {
            let mut stream = good.clone();
            stream.extend(&bad);
            stream.extend(&good);
            let mut decoder = decoder();
            let frames = decode_all(&mut decoder, &stream);
            assert_eq!(frames.len(), 3, "{bad:02x?}");
            assert!(frames[0].is_ok() && frames[2].is_ok(), "the frames around it decode: {frames:?}");
            let err = frames[1].as_ref().unwrap_err();
            let len = bad.len() - 1;
            let at = format!("the frame at byte {} ({len} {}) does not decode: ", good.len(), bytes(len));
            assert!(err.starts_with(&at), "{err}");
            assert!(err.contains(why), "{err} should say {why:?}");
        }
    }

    #[test]
    fn an_elf_without_a_table_or_with_raw_frames_is_refused() {
        let no_table = object::write::Object::new(
            object::BinaryFormat::Elf,
            object::Architecture::Aarch64,
            object::Endianness::Little,
        )
        .write()
        .unwrap();
        let e = PortDecoder::from_elf("k.elf", &no_table).err().unwrap();
        assert!(e.starts_with("k.elf has no .defmt section"), "{e}");
        let no_messages = table_elf(&KERNEL_STRINGS[..1], "rzcobs");
        let e = PortDecoder::from_elf("bulkhead", &no_messages).err().unwrap();
        assert!(e.starts_with("bulkhead holds no defmt log message: a kernel that does not trace"), "{e}");
        let raw = table_elf(KERNEL_STRINGS, "raw");
        let e = PortDecoder::from_elf("k.elf", &raw).err().unwrap();
        assert!(e.starts_with("k.elf uses defmt's Raw encoding; the trace port carries rzcobs frames"), "{e}");
        let e = PortDecoder::from_elf("notes.txt", b"trace: begin").err().unwrap();
        assert!(e.starts_with("notes.txt: no usable defmt table"), "{e}");
    }
}
