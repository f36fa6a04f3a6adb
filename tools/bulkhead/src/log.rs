//! `bulkhead log`: decode the partitions' defmt frames in a captured
//! console stream.
//!
//! A partition that logs with the SDK's `defmt` feature sends each frame
//! with the ConsoleFrame hypercall; the kernel prints it as one line
//! `@<partition id>.<thread>.<core> <base64>` (`bulkhead_abi::frame_line`:
//! base64 without padding of an LEB128 varint of the kernel time in ns
//! since the epoch, then the raw defmt frame). Here each such line becomes
//!
//! ```text
//! [partition:thread@core] S.UUUUUU LEVEL message
//! ```
//!
//! decoded with the defmt table of the partition's ELF (the `image` of the
//! description, found as `bulkhead pack` finds it); every other line passes
//! through unchanged. A malformed `@` line is reported with its line
//! number and kept as it was, never dropped.
//!
//! The line parsing, base64 and varint decoding are independent of the
//! kernel's encoder (in `bulkhead-abi`), so the tests check one against the
//! other.
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use defmt_decoder::{Encoding, Table};

use crate::check::System;

/// One `@` line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameLine {
    pub partition: usize,
    /// Module-wide thread index.
    pub thread: usize,
    pub core: usize,
    /// Kernel time of the ConsoleFrame call, ns since the module epoch.
    pub time_ns: u64,
    /// The defmt frame.
    pub frame: Vec<u8>,
}

/// Decodes RFC 4648 base64, standard alphabet, without `=` padding (a
/// length of 1 mod 4 cannot end a well-formed text).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return Err(format!(
            "base64 of {} characters: a length of 1 mod 4 is not a whole number of bytes",
            bytes.len()
        ));
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for group in bytes.chunks(4) {
        let mut word = 0u32;
        for (i, &c) in group.iter().enumerate() {
            let v = value(c).ok_or_else(|| format!("{:?} is not a base64 character", char::from(c)))?;
            word |= v << (18 - 6 * i);
        }
        // k characters carry k - 1 whole bytes; the bits after them must
        // be zero (a canonical encoding).
        let whole = group.len() - 1;
        let spare_bits = 24 - 8 * whole;
        if word & ((1 << spare_bits) - 1) != 0 && group.len() < 4 {
            return Err("base64 ends in non-zero padding bits".into());
        }
        out.extend_from_slice(&word.to_be_bytes()[1..=whole]);
    }
    Ok(out)
}

/// Reads an unsigned LEB128 varint at the start of `bytes`: the value and
/// the bytes it took.
pub fn read_varint(bytes: &[u8]) -> Result<(u64, usize), String> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate() {
        let shift = 7 * i as u32;
        let low = u64::from(b & 0x7f);
        if shift >= 64 || (shift == 63 && low > 1) {
            return Err("time varint is longer than a u64".into());
        }
        value |= low << shift;
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(format!("time varint is cut short after {} bytes", bytes.len()))
}

/// Parses a console line that starts with `@`; `None` for any other line.
pub fn parse_frame_line(line: &str) -> Option<Result<FrameLine, String>> {
    let rest = line.strip_prefix(bulkhead_abi::frame_line::MARKER)?;
    Some(parse_after_marker(rest))
}

fn parse_after_marker(rest: &str) -> Result<FrameLine, String> {
    let (ids, text) = rest.split_once(' ').ok_or("no space between the ids and the base64")?;
    let ids: Vec<&str> = ids.split('.').collect();
    let [partition, thread, core] = ids[..] else {
        return Err(format!("expected <partition>.<thread>.<core>, got {:?}", ids.join(".")));
    };
    let number = |what: &str, s: &str| s.parse::<usize>().map_err(|_| format!("{what} {s:?} is not a decimal number"));
    let payload = decode_base64(text)?;
    let (time_ns, used) = read_varint(&payload)?;
    let frame = payload[used..].to_vec();
    if frame.is_empty() {
        return Err("no frame after the time".into());
    }
    Ok(FrameLine {
        partition: number("partition", partition)?,
        thread: number("thread", thread)?,
        core: number("core", core)?,
        time_ns,
        frame,
    })
}

/// `S.UUUUUU`: seconds with microseconds.
pub fn format_time(ns: u64) -> String {
    format!("{}.{:06}", ns / 1_000_000_000, (ns / 1_000) % 1_000_000)
}

/// The defmt tables of the partitions' ELF files, loaded on first use.
pub struct Tables<'s> {
    sys: &'s System,
    elf_dir: Option<PathBuf>,
    description: PathBuf,
    loaded: HashMap<usize, Result<Table, String>>,
}

impl<'s> Tables<'s> {
    pub fn new(sys: &'s System, description: PathBuf, elf_dir: Option<PathBuf>) -> Self {
        Tables { sys, elf_dir, description, loaded: HashMap::new() }
    }

    /// A table given directly (tests).
    pub fn insert(&mut self, partition: usize, table: Table) {
        self.loaded.insert(partition, Ok(table));
    }

    fn table(&mut self, partition: usize) -> Result<&Table, String> {
        let sys = self.sys;
        let (description, elf_dir) = (&self.description, &self.elf_dir);
        self.loaded
            .entry(partition)
            .or_insert_with(|| {
                let opts = crate::pack::PackOptions {
                    description: description.clone(),
                    out: PathBuf::new(),
                    kernel: None,
                    elf_dir: elf_dir.clone(),
                };
                let name = &sys.spec.partitions[partition].name;
                let path = crate::pack::resolve_image(&sys.images[partition], &opts);
                let elf = std::fs::read(&path)
                    .map_err(|e| format!("partition \"{name}\": cannot read its image {} ({e})", path.display()))?;
                let table = Table::parse(&elf)
                    .map_err(|e| format!("partition \"{name}\": {}: no usable defmt table ({e})", path.display()))?
                    .ok_or_else(|| {
                        format!(
                            "partition \"{name}\": {} has no .defmt section (built without the SDK's defmt feature, or another build than the one that ran?)",
                            path.display()
                        )
                    })?;
                if table.encoding() != Encoding::Raw {
                    return Err(format!(
                        "partition \"{name}\": {} uses defmt's {:?} encoding; the SDK logger sends raw frames (defmt feature encoding-raw)",
                        path.display(),
                        table.encoding()
                    ));
                }
                Ok(table)
            })
            .as_ref()
            .map_err(String::clone)
    }

    /// The decoded line for a parsed frame line.
    pub fn decode(&mut self, line: &FrameLine) -> Result<String, String> {
        let sys = self.sys;
        let partition = sys.spec.partitions.get(line.partition).ok_or_else(|| {
            format!(
                "partition id {} is not in the description ({} partitions)",
                line.partition,
                sys.spec.partitions.len()
            )
        })?;
        let thread = sys.spec.threads.get(line.thread).ok_or_else(|| {
            format!("thread index {} is not in the description ({} threads)", line.thread, sys.spec.threads.len())
        })?;
        if thread.partition as usize != line.partition {
            return Err(format!(
                "thread index {} ({}) belongs to partition {}, not to {} ({})",
                line.thread, thread.name, thread.partition, line.partition, partition.name
            ));
        }
        let prefix = format!("[{}:{}@{}] {}", partition.name, thread.name, line.core, format_time(line.time_ns));
        let table = self.table(line.partition)?;
        let (frame, consumed) =
            table.decode(&line.frame).map_err(|e| format!("the defmt frame does not decode ({e:?})"))?;
        if consumed != line.frame.len() {
            return Err(format!("{} bytes after the defmt frame of {consumed}", line.frame.len() - consumed));
        }
        let mut out = prefix;
        if let Some(level) = frame.level() {
            let _ = write!(out, " {:<5}", level.as_str().to_uppercase());
        }
        let _ = write!(out, " {}", frame.display_message());
        Ok(out)
    }
}

/// What decoding a whole log gave: the output text, and one error per
/// malformed `@` line (`NAME:LINE: reason`), whose line is kept as it was.
pub struct Decoded {
    pub text: String,
    pub errors: Vec<String>,
    /// `@` lines decoded.
    pub frames: usize,
}

/// Decodes every `@` line of `log` (named `name` in errors).
pub fn decode_log(tables: &mut Tables<'_>, name: &str, log: &str) -> Decoded {
    let mut out = Decoded { text: String::new(), errors: Vec::new(), frames: 0 };
    for (n, raw) in log.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match parse_frame_line(line) {
            None => out.text.push_str(line),
            Some(parsed) => match parsed.and_then(|f| tables.decode(&f)) {
                Ok(decoded) => {
                    out.frames += 1;
                    out.text.push_str(&decoded);
                }
                Err(e) => {
                    out.errors.push(format!("{name}:{}: {e}: {line}", n + 1));
                    out.text.push_str(line);
                }
            },
        }
        out.text.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_abi::frame_line::{MAX_BASE64, payload, write_base64};

    /// The line the kernel prints (kernel/src/module/frame.rs), built with
    /// the ABI crate's encoder.
    fn kernel_line(partition: usize, thread: usize, core: usize, time_ns: u64, frame: &[u8]) -> String {
        let (buf, used) = payload(time_ns, frame).expect("frame fits");
        let mut text = [0u8; MAX_BASE64];
        let n = write_base64(&buf[..used], &mut text).expect("fits");
        format!("@{partition}.{thread}.{core} {}", std::str::from_utf8(&text[..n]).expect("ascii"))
    }

    #[test]
    fn rfc4648_vectors_without_padding() {
        for (text, bytes) in [
            ("", ""),
            ("Zg", "f"),
            ("Zm8", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg", "foob"),
            ("Zm9vYmE", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(decode_base64(text).as_deref(), Ok(bytes.as_bytes()), "{text:?}");
        }
        assert_eq!(decode_base64("+/+/"), Ok(vec![0xfb, 0xff, 0xbf]));
    }

    #[test]
    fn bad_base64_is_refused() {
        assert!(decode_base64("Zm9v=").unwrap_err().contains("1 mod 4"));
        assert!(decode_base64("Zm=v").unwrap_err().contains("'=' is not a base64 character"));
        assert!(decode_base64("Zh").unwrap_err().contains("padding bits"), "Zg is canonical for 'f'");
        assert!(decode_base64("Zm-v").is_err(), "URL-safe alphabet is not ours");
    }

    #[test]
    fn leb128_examples() {
        assert_eq!(read_varint(&[0x00]), Ok((0, 1)));
        assert_eq!(read_varint(&[0x7f, 0xff]), Ok((127, 1)));
        assert_eq!(read_varint(&[0x80, 0x01]), Ok((128, 2)));
        assert_eq!(read_varint(&[0xb9, 0x64, 0x05]), Ok((12857, 2)));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(read_varint(&max), Ok((u64::MAX, 10)));
        assert!(read_varint(&[0x80, 0x80]).unwrap_err().contains("cut short"));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(read_varint(&over).unwrap_err().contains("longer than a u64"));
    }

    #[test]
    fn kernel_lines_parse_back() {
        for (time, frame) in [(0u64, vec![1u8]), (12_345_678_901, vec![2, 0, 9, 8, 7]), (u64::MAX, vec![0xff; 192])] {
            let line = kernel_line(3, 17, 2, time, &frame);
            assert_eq!(
                parse_frame_line(&line),
                Some(Ok(FrameLine { partition: 3, thread: 17, core: 2, time_ns: time, frame })),
                "{line}"
            );
        }
    }

    #[test]
    fn other_lines_are_not_frames() {
        assert_eq!(parse_frame_line("[ticker:main@0] ticker: tick 1 at 10003 us"), None);
        assert_eq!(parse_frame_line("health: partition x restarted"), None);
        assert_eq!(parse_frame_line(""), None);
    }

    #[test]
    fn malformed_frame_lines_say_why() {
        let err = |l: &str| parse_frame_line(l).expect("an @ line").unwrap_err();
        assert!(err("@1.2.0").contains("no space"));
        assert!(err("@1.2 AQ").contains("<partition>.<thread>.<core>"));
        assert!(err("@1.x.0 AAE").contains("thread \"x\""));
        assert!(err("@1.2.0 gA").contains("cut short"), "a varint with its continuation bit set and nothing after");
        assert!(err("@1.2.0 AA").contains("no frame"), "a time and nothing else");
    }

    #[test]
    fn times_are_seconds_with_microseconds() {
        assert_eq!(format_time(0), "0.000000");
        assert_eq!(format_time(10_003_999), "0.010003");
        assert_eq!(format_time(12_345_678_901), "12.345678");
    }

    /// A system of two partitions, the second with two threads.
    fn system() -> System {
        let source = r#"
[module]
name = "t"
board = "rpi4"
cores = 4
[[partition]]
name = "ticker"
memory = "2MiB"
image = "ticker"
  [[partition.thread]]
  name = "main"
  core = 0
[[partition]]
name = "logger"
memory = "2MiB"
image = "logger"
  [[partition.thread]]
  name = "main"
  core = 0
  [[partition.thread]]
  name = "helper"
  core = 1
[[schedule]]
name = "main"
major_frame = "10ms"
  [[schedule.window]]
  partition = "ticker"
  duration = "2ms"
  [[schedule.window]]
  partition = "logger"
  duration = "4ms"
"#;
        crate::check::check(source).system.expect("a valid description")
    }

    #[test]
    fn a_log_keeps_other_lines_and_reports_bad_frames_by_line() {
        let sys = system();
        let mut tables = Tables::new(&sys, PathBuf::from("/nonexistent/t.toml"), Some(PathBuf::from("/nonexistent")));
        let log = format!(
            "core 0: online\r\n[ticker:main@0] ticker: tick 0 at 3 us\r\n{}\r\n@9.0.0 AAE\r\n@1.0.0 AAE\r\n@1.1.0 !!\r\n",
            kernel_line(1, 2, 1, 5, &[1, 0])
        );
        let decoded = decode_log(&mut tables, "run.log", &log);
        let lines: Vec<&str> = decoded.text.lines().collect();
        assert_eq!(lines[0], "core 0: online");
        assert_eq!(lines[1], "[ticker:main@0] ticker: tick 0 at 3 us");
        assert_eq!(decoded.frames, 0);
        // Every @ line is kept and reported with its number.
        assert_eq!(lines.len(), 6);
        assert_eq!(decoded.errors.len(), 4, "{:#?}", decoded.errors);
        assert!(
            decoded.errors[0].starts_with("run.log:3: partition \"logger\": cannot read its image"),
            "{}",
            decoded.errors[0]
        );
        assert!(
            decoded.errors[1].starts_with("run.log:4: partition id 9 is not in the description"),
            "{}",
            decoded.errors[1]
        );
        assert!(
            decoded.errors[2].starts_with("run.log:5: thread index 0 (main) belongs to partition 0, not to 1 (logger)"),
            "{}",
            decoded.errors[2]
        );
        assert!(decoded.errors[3].starts_with("run.log:6: '!' is not a base64 character"), "{}", decoded.errors[3]);
        assert_eq!(lines[3], "@9.0.0 AAE");
    }
}
