//! `make bench` (not a test): every benchmark runs under QEMU raspi4b with
//! `-icount shift=0,sleep=off`, where one instruction advances virtual time
//! by 1 ns and a run repeats exactly, and the results are printed as one
//! table.
//!
//! Under icount the four vCPUs share that one virtual clock (QEMU runs them
//! in turn on one host thread), and the PMU cycle counter follows it. A path
//! measured while other cores work also counts their instructions, so exact
//! path lengths come from a one-core module (`partitions/bench.toml`); the
//! four-core numbers are given beside them, labelled as such.
use crate::build::{self, Image};
use crate::elf;
use crate::qemu::{self, Captured, Ending, Expect, Run};
use crate::tests;
use std::ffi::OsStr;
use std::time::Duration;

fn boot(images: &[Image], name: &str, expect: &[Expect], ending: &Ending) -> Result<Captured, String> {
    let image = images.iter().find(|i| i.name == name).ok_or_else(|| format!("benchmark image {name} not built"))?;
    let run = Run {
        image: &image.raw,
        kernel_elf: &image.elf,
        dtb: None,
        semihosting: matches!(ending, Ending::Exit(_)),
        icount: true,
        timeout: Duration::from_secs(300),
        qemu_args: &[],
        serial1_input: None,
    };
    // The console-write benchmark floods its own console buffer on purpose,
    // and the CPU-bound module prints more than 115200 baud carries.
    qemu::run(&run, expect, ending, &qemu::Forbid::defaults(&[r"^\[console\] \S+: \d+ bytes dropped"]))
}

/// The `bench | ...` lines of a run, without the prefix (and without a
/// partition's console prefix).
fn rows(out: &Captured) -> Vec<String> {
    out.lines
        .iter()
        .filter_map(|l| {
            let l = l.find("] bench | ").map_or(l.as_str(), |i| &l[i + 2..]);
            l.strip_prefix("bench | ").map(str::to_string)
        })
        .collect()
}

fn kernel_sizes(images: &[Image]) -> Result<String, String> {
    let kernel = images.iter().find(|i| i.name == "bulkhead").ok_or("kernel not built")?;
    let bytes = std::fs::read(&kernel.elf).map_err(|e| format!("cannot read {}: {e}", kernel.elf.display()))?;
    let get = |section: &str| elf::section_size(&bytes, section);
    Ok(format!(
        ".text {} B, .rodata {} B, .data {} B, .bss {} B (the stage-2 table pool, thread contexts and trace rings are .bss)",
        get(".text")?,
        get(".rodata")?,
        get(".data")?,
        get(".bss")?
    ))
}

pub fn run() -> Result<(), String> {
    let images = build::build_all()?;
    let mut table: Vec<(String, String)> = Vec::new();

    // One core: exact switch path, context floor, null hypercall.
    let one = boot(
        &images,
        "bench-module",
        &[Expect::line(r"bench \| console write \|"), Expect::line(r"^bench \| switch path \| core 3")],
        &Ending::Exit(0),
    )?;
    let mut floor = String::new();
    for row in rows(&one) {
        let cells: Vec<&str> = row.split(" | ").collect();
        match cells.as_slice() {
            ["context floor", v] => {
                floor = v.to_string();
                table.push(("context save/restore floor (hand-written EL1 GPR/ELR/SPSR)".into(), v.to_string()));
            }
            ["switch path", "core 0", v, ratio] => {
                table.push((
                    "partition switch path, 1-core module, core 0 (timer interrupt to eret)".into(),
                    format!("{v}; {ratio}"),
                ));
            }
            ["null hypercall", v] => {
                table.push(("null hypercall round trip (AbiVersion, from EL1)".into(), v.to_string()))
            }
            ["console write", v] => {
                table.push((
                    "ConsoleWrite, longest whole call (interrupts masked; in the caller's own time, cut by a pending interrupt)"
                        .into(),
                    v.to_string(),
                ))
            }
            _ => {}
        }
    }
    if floor.is_empty() {
        return Err(format!("the one-core benchmark printed no table:\n{}", one.text()));
    }

    // Ports: round trips and a waiting receiver's wake-up (product kernel).
    let ports = boot(
        &images,
        "bench-ports",
        &[Expect::all_of(&[
            r"bench \| port wake \|",
            r"bench \| port round trip \| queuing",
            r"bench \| port round trip \| sampling",
            r"bench \| word call \|",
            r"bench \| word wake \|",
        ])],
        &Ending::Settle(Duration::from_millis(100)),
    )?;
    for row in rows(&ports) {
        match row.split(" | ").collect::<Vec<_>>().as_slice() {
            ["port round trip", v] => {
                for part in v.split(", ") {
                    if let Some((what, ns)) = part.rsplit_once(' ').and_then(|(a, _)| a.rsplit_once(' ')) {
                        table.push((
                            format!("port round trip, {what} (send+receive or write+read, from EL1), instructions"),
                            ns.to_string(),
                        ));
                    }
                }
            }
            ["port wake", v] => table.push((
                "waiting receiver: its window's start to its first instruction with the message (ns, incl. one GetTime)".into(),
                v.to_string(),
            )),
            ["word call", v] => {
                for part in v.split("; ") {
                    if let Some((what, ns)) = part.rsplit_once(' ').and_then(|(a, _)| a.rsplit_once(' ')) {
                        table.push((format!("{what}, round trip from EL1, instructions"), ns.to_string()));
                    }
                }
            }
            ["word wake", v] => table.push((
                "WakeWord to the woken waiter's first instruction, same core (ns, incl. one GetTime)".into(),
                v.to_string(),
            )),
            _ => {}
        }
    }

    // Four cores: the same path while the other cores switch too.
    let four = boot(&images, "bench-lockstep", &[Expect::line(r"^bench \| switch path \| core 3")], &Ending::Exit(0))?;
    for row in rows(&four) {
        let cells: Vec<&str> = row.split(" | ").collect();
        if let ["switch path", core, v, ratio] = cells.as_slice() {
            table.push((
                format!(
                    "partition switch path, 4-core lockstep module, {core} (includes other cores' concurrent work)"
                ),
                format!("{v}; {ratio}"),
            ));
        }
    }

    // Interrupt path and SGI latency per core.
    let irq = boot(&images, "bench-irq", &[Expect::line(r"^bench \|")], &Ending::Exit(0))?;
    for row in rows(&irq).iter().skip(1) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        if let [core, path, sgi] = cells.as_slice() {
            table.push((
                format!("EL2 timer interrupt, vector to eret, core {core}, instructions (min / median / max)"),
                path.to_string(),
            ));
            table.push((
                format!("reschedule SGI, send to handler, core {core}, ticks (min / median / max)"),
                sgi.to_string(),
            ));
        }
    }

    // Lockstep: lateness and skew over 1,000 major frames.
    for line in traced_report(&images, "lockstep-traced", "partitions/lockstep.toml", "bench-lockstep")?.lines() {
        if let Some(rest) = line.strip_prefix("lateness core ") {
            let (core, v) = rest.split_once(": ").unwrap_or((rest, ""));
            table.push((format!("boundary lateness, core {core}, 1,000 lockstep frames"), v.to_string()));
        } else if let Some(v) = line.strip_prefix("skew: ") {
            table.push(("cross-core skew at every boundary, 1,000 lockstep frames".into(), v.to_string()));
        }
    }

    // The rendezvous under load: CPU-bound partitions on all four cores.
    for (what, v) in rendezvous_under_load(&images)? {
        table.push((what, v));
    }

    table.push(("kernel size (product kernel)".into(), kernel_sizes(&images)?));

    println!("\nBulkhead benchmarks: QEMU raspi4b, -icount shift=0,sleep=off (1 instruction = 1 ns, 1 tick = 16 ns)\n");
    let width = table.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!("| {:<width$} | value", "measure");
    println!("|-{}-|------", "-".repeat(width));
    for (k, v) in &table {
        println!("| {k:<width$} | {v}");
    }
    Ok(())
}

/// 1,000 frames of `partitions/timing/cast32a.toml` (CPU-bound partitions
/// on all four cores, five boundaries a frame): per core, from the trace
/// check, the time from each boundary to entering the next partition
/// (admitted minus the planned boundary) and the rendezvous itself
/// (admitted minus the core's decision: the wait for the slowest core to
/// leave the outgoing partition, plus, under icount, QEMU serving the
/// other vCPUs meanwhile).
fn rendezvous_under_load(images: &[Image]) -> Result<Vec<(String, String)>, String> {
    let report = traced_report(images, "cast32a", "partitions/timing/cast32a.toml", "bench-cast32a")?;
    let mut rows = Vec::new();
    for line in report.lines() {
        if let Some(rest) = line.strip_prefix("entry core ") {
            let (core, v) = rest.split_once(": ").unwrap_or((rest, ""));
            rows.push((
                format!("boundary to entering the next partition, core {core}, 1,000 frames CPU-bound on all cores"),
                v.to_string(),
            ));
        } else if let Some(rest) = line.strip_prefix("rendezvous core ") {
            let (core, v) = rest.split_once(": ").unwrap_or((rest, ""));
            rows.push((format!("rendezvous wait (decision to admission), core {core}, same run"), v.to_string()));
        } else if let Some(v) = line.strip_prefix("overlaps: ") {
            rows.push(("instants two partitions ran at once, same run".into(), v.to_string()));
        }
    }
    if rows.is_empty() {
        return Err(format!("bulkhead trace --check printed no rendezvous figures:\n{report}"));
    }
    Ok(rows)
}

/// Boots `image` until every core has started major frame 1,000, keeps
/// the log as `target/qemu-logs/<log_name>.log` and returns what
/// `bulkhead trace <description> <log> --check` reports (an error if the
/// check fails).
fn traced_report(images: &[Image], image: &str, description: &str, log_name: &str) -> Result<String, String> {
    let frames: Vec<String> = (0..4).map(|c| format!(r"^trace: {c} \d+ 0/1000/0 ")).collect();
    let refs: Vec<&str> = frames.iter().map(String::as_str).collect();
    let run = boot(images, image, &[Expect::all_of(&refs)], &Ending::Settle(Duration::ZERO))?;
    let (log, check) = tests::bulkhead_on_log("trace", description, log_name, &run, &[OsStr::new("--check")])?;
    let report = String::from_utf8_lossy(&check.stdout).into_owned();
    if !check.status.success() {
        return Err(format!(
            "bulkhead trace {description} {} --check failed:\n{report}{}",
            log.display(),
            String::from_utf8_lossy(&check.stderr)
        ));
    }
    Ok(report)
}
