//! The switch path by phase (issue 19, item 2), from QEMU's own record of
//! what the core executed: the one-core benchmark module on the kernel
//! without the trace, under `-icount shift=0,sleep=off`, with
//! `-d in_asm,exec,nochain,int` restricted (`-dfilter`) to the kernel's
//! addresses. Every instruction of the translated blocks executed from the
//! EL2 IRQ exception to the `eret` back to EL1 is counted, attributed to
//! the kernel function it belongs to (through inlining: `addr2line -f -i`,
//! the first frame outside `core`, `spin` and `aarch64_cpu`), and that
//! function to a phase. Nothing is added to the kernel for it, so the
//! profile is of the very binary `make bench` measures.
//!
//! The run is deterministic under icount; it is stopped once
//! [`SEGMENTS`] interrupts have been seen (QEMU's log is slow to write),
//! and the segments after the first, which is the module's first switch,
//! are reported.
use crate::build::Image;
use crate::qemu;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// IRQ segments to wait for: the first switch and two steady ones.
const SEGMENTS: usize = 3;

/// The phases, in path order, and what each holds.
pub const PHASES: [(&str, &str); 9] = [
    ("vector", "exception entry, GPR save, SError window, Spectre-BHB and register clearing"),
    ("interrupt", "GIC acknowledge, timer handler, end of interrupt"),
    ("save", "EL1 registers, FP/SIMD, virtual GIC state into the context"),
    ("decision", "scheduler tick, window bookkeeping, timer re-arm"),
    ("admission", "health gate and the rendezvous at the change of partition"),
    ("restore", "pending work, EL1/FP/GIC state, stage 2 and ids of the next thread"),
    ("eret", "GPR load and eret"),
    ("measurement", "the benchmark's own cycle stamps"),
    ("loop", "the per-core loop's own code, locks and the rest"),
];

fn phase_of(function: &str) -> &'static str {
    let has = |s: &str| function.contains(s);
    if has("guest_exit") || has("el2_vectors") || has("guest_serror") {
        "vector"
    } else if has("__run_guest") {
        "eret"
    } else if has("irq::dispatch") || has("gic::") || has("timer::handle_interrupt") || has("on_deadline") {
        "interrupt"
    } else if has("save_into") || has("FpState::save") || has("interrupts::save") {
        "save"
    } else if has("stats::") || has("guest_cycle_stamps") || has("cycle_counter") {
        "measurement"
    } else if has("bulkhead_sched")
        || has("bulkhead_time")
        || has("run::decide")
        || has("window_changed")
        || has("timer::arm_at")
        || has("report_deadline_misses")
    {
        "decision"
    } else if has("rendezvous") || has("gate::") || has("health::enter") || has("run::enter") {
        "admission"
    } else if has("take_pending")
        || has("El1State::restore")
        || has("FpState::restore")
        || has("interrupts::restore")
        || has("before_entry")
        || has("load_vm")
        || has("set_fast_ids")
    {
        "restore"
    } else {
        "loop"
    }
}

/// One interrupt's path: instructions per phase, and the total.
pub struct Segment {
    pub phases: BTreeMap<&'static str, u64>,
    /// Instructions per (phase, function).
    pub functions: BTreeMap<(&'static str, String), u64>,
    /// The functions in the order they were first entered.
    pub entered: Vec<String>,
    pub total: u64,
}

/// The image profiled: the one-core bench module on the kernel without the
/// trace.
pub const IMAGE: &str = "bench-module-product";

/// QEMU's exception log line that starts an interrupt's path.
const IRQ: &str = "Taking exception 5 [IRQ]";
/// The one that starts a hypercall's.
const HVC: &str = "Taking exception 11 [Hypervisor Call]";

/// Profiles the switch path of [`IMAGE`] among the built `images`.
pub fn switch_phases(images: &[Image]) -> Result<Vec<Segment>, String> {
    let image = images.iter().find(|i| i.name == IMAGE).ok_or_else(|| format!("{IMAGE} not built"))?;
    let segments = profile(image, IRQ, SEGMENTS, phase_of)?;
    if segments.len() < 2 {
        return Err(format!("the exec log held {} complete interrupt path(s), not 2", segments.len()));
    }
    Ok(segments.into_iter().skip(1).take(SEGMENTS - 1).collect())
}

/// The image whose hypercalls [`hypercall_paths`] profiles: the port
/// benchmark on the product kernel.
pub const HYPERCALL_IMAGE: &str = "bench-ports";

/// Hypercall paths (HVC to eret) to collect.
const HYPERCALLS: usize = 8_000;

/// The phases of a hypercall's full path.
pub const HYPERCALL_PHASES: [(&str, &str); 6] = [
    ("vector", "exception entry, GPR save, SError window, Spectre-BHB and register clearing"),
    ("loop", "back in run_thread: the exit's kind, the syndrome, the way back in"),
    ("dispatch", "hypercall::dispatch: the call's number, the caller, the common checks"),
    ("call", "the call's own work: argument checks, locks, copies"),
    ("switch", "a call that waits: the switch path's save, decision, admission and restore"),
    ("eret", "GPR load and eret"),
];

fn hypercall_phase_of(function: &str) -> &'static str {
    let has = |s: &str| function.contains(s);
    if has("guest_exit") || has("el2_vectors") || has("guest_serror") {
        "vector"
    } else if has("__run_guest") {
        "eret"
    } else if has("hypercall::dispatch") || has("Call::from_id") {
        "dispatch"
    } else if has("process::holds_preemption_lock") || has("ports::") || has("words::wait") || has("words::wake") {
        // The calls' own code, whatever the switch path shares with it.
        "call"
    } else if matches!(phase_of(function), "save" | "decision" | "admission" | "restore" | "interrupt") {
        "switch"
    } else if has("run::") || has("guest::") || has("percpu::") || has("before_entry") || has("trace::entered_el2") {
        "loop"
    } else {
        "call"
    }
}

/// Whether `function` is a call's own handler, which names the call: the
/// first kernel function entered past the common dispatch that is not one
/// of the helpers every call shares (argument checks, copies, locks).
fn is_handler(function: &str) -> bool {
    const SHARED: [&str; 13] = [
        "::dispatch",
        "ports::port",
        "ports::port_for",
        "hypercall::user_bytes",
        "copy_out",
        "copy_into",
        "word_spans",
        "hypercall::ok",
        "hypercall::fail",
        "ns_since_epoch",
        "select_or_zero",
        "OnceMutex",
        "lock_core_schedulers",
    ];
    hypercall_phase_of(function) == "call"
        && function.starts_with("bulkhead_kernel::module::")
        && !function.starts_with("bulkhead_kernel::module::Module::")
        && !function.starts_with("bulkhead_kernel::module::PartitionInfo::")
        && !SHARED.iter().any(|s| function.ends_with(s))
}

/// The full hypercall paths of [`HYPERCALL_IMAGE`], by kind: for each, its
/// name (the first handler function entered, [`is_handler`]) and the
/// path of median length among those of that kind, with how many there
/// were. The answers of the exit vector's fast path (AbiVersion, MyIds,
/// GetTime) never reach the kernel's code past the vector and are left
/// out.
pub fn hypercall_paths(images: &[Image]) -> Result<Vec<(String, usize, Segment)>, String> {
    let image =
        images.iter().find(|i| i.name == HYPERCALL_IMAGE).ok_or_else(|| format!("{HYPERCALL_IMAGE} not built"))?;
    let segments = profile(image, HVC, HYPERCALLS, hypercall_phase_of)?;
    let mut kinds: BTreeMap<String, Vec<Segment>> = BTreeMap::new();
    for s in segments {
        if let Some(name) = s.entered.iter().find(|f| is_handler(f)) {
            let name = name.trim_start_matches("bulkhead_kernel::module::");
            // PeriodicWait, TimedWait and Yield enter this check first.
            let name =
                if name == "process::holds_preemption_lock" { "a wait (PeriodicWait, TimedWait, Yield)" } else { name };
            kinds.entry(name.to_string()).or_default().push(s);
        }
    }
    Ok(kinds
        .into_iter()
        .map(|(name, mut v)| {
            v.sort_by_key(|s| s.total);
            let n = v.len();
            (name, n, v.swap_remove(n / 2))
        })
        .collect())
}

/// Runs `image` under icount with QEMU's exec log until `count` paths
/// starting with `marker` (plus one, so the last has ended) are in it, or
/// two minutes; returns the complete paths.
fn profile(image: &Image, marker: &str, count: usize, phase: fn(&str) -> &'static str) -> Result<Vec<Segment>, String> {
    if Command::new("addr2line").arg("--version").stdout(Stdio::null()).status().is_err() {
        return Err("addr2line (binutils) is not installed: no phase profile".into());
    }
    let dir = crate::build::target_dir().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let log = dir.join(format!("{}-exec.log", image.name));
    let _ = std::fs::remove_file(&log);
    let mut child = Command::new("qemu-system-aarch64")
        .args(qemu::machine_args())
        .args(["-kernel"])
        .arg(&image.raw)
        .args(["-display", "none", "-monitor", "none", "-serial", "null", "-serial", "null"])
        .args(qemu::ICOUNT)
        .args(["-semihosting", "-d", "in_asm,exec,nochain,int", "-dfilter", "0x80000..0x400000", "-D"])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-aarch64: {e}"))?;
    let started = Instant::now();
    let mut seen = 0;
    let mut read = 0u64;
    let mut carry = String::new();
    // Poll the log until enough complete segments are in it (the count
    // of entries, plus one so the last counted one has ended).
    while seen <= count && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(300));
        if let Ok(mut f) = std::fs::File::open(&log) {
            use std::io::Seek;
            let _ = f.seek(std::io::SeekFrom::Start(read));
            let mut buf = Vec::new();
            let _ = f.read_to_end(&mut buf);
            read += buf.len() as u64;
            carry.push_str(&String::from_utf8_lossy(&buf));
            let cut = carry.rfind('\n').map_or(0, |i| i + 1);
            seen += carry[..cut].matches(marker).count();
            carry.drain(..cut);
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let segments = parse(&log, &image.elf, marker, phase);
    let _ = std::fs::remove_file(&log);
    segments
}

/// The segments of an exec log from an exception logged as `marker` to
/// the eret back to EL1, in instructions per PC, each function's put in
/// its `phase`. A path some other exception interrupts is dropped.
fn parse(log: &Path, elf: &Path, marker: &str, phase_of: fn(&str) -> &'static str) -> Result<Vec<Segment>, String> {
    let text = std::fs::read(log).map_err(|e| format!("cannot read {}: {e}", log.display()))?;
    let text = String::from_utf8_lossy(&text);
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok();
    // Translated block start -> its instruction count (`IN:` listings).
    let mut block_len: BTreeMap<u64, u64> = BTreeMap::new();
    let mut listing: Option<(u64, u64)> = None;
    // Per path: instructions per PC, and its blocks in the order run.
    let mut counts: Vec<(BTreeMap<u64, u64>, Vec<u64>)> = Vec::new();
    let mut current: Option<(BTreeMap<u64, u64>, Vec<u64>)> = None;
    for line in text.lines() {
        if line.starts_with("IN:") {
            listing = Some((0, 0));
            continue;
        }
        if let Some((start, n)) = listing.as_mut() {
            if let Some(pc) = line.split(":  ").next().filter(|s| s.starts_with("0x")).and_then(hex) {
                if *n == 0 {
                    *start = pc;
                }
                *n += 1;
                continue;
            }
            if *n > 0 {
                block_len.insert(*start, *n);
            }
            listing = None;
        }
        if line.starts_with(marker) {
            current = Some((BTreeMap::new(), Vec::new()));
        } else if line.starts_with("Taking exception") {
            current = None;
        } else if line.starts_with("Exception return from AArch64 EL2") {
            if let Some(c) = current.take() {
                counts.push(c);
            }
        } else if let Some((c, blocks)) = current.as_mut()
            && line.starts_with("Trace ")
            && let Some(pc) = line.split('/').nth(1).and_then(hex)
        {
            blocks.push(pc);
            for i in 0..block_len.get(&pc).copied().unwrap_or(0) {
                *c.entry(pc + 4 * i).or_default() += 1;
            }
        }
    }
    // One addr2line run for every address of every segment.
    let mut pcs: Vec<u64> = counts.iter().flat_map(|(c, _)| c.keys().copied()).collect();
    pcs.sort_unstable();
    pcs.dedup();
    let functions = functions_of(elf, &pcs)?;
    Ok(counts
        .iter()
        .map(|(c, blocks)| {
            let (mut phases, mut by_function) = (BTreeMap::new(), BTreeMap::new());
            for (pc, n) in c {
                let function = functions.get(pc).map_or("?", String::as_str);
                let phase = phase_of(function);
                *phases.entry(phase).or_default() += n;
                *by_function.entry((phase, function.to_string())).or_default() += n;
            }
            let mut entered: Vec<String> = Vec::new();
            for f in blocks.iter().filter_map(|pc| functions.get(pc)) {
                if !entered.contains(f) {
                    entered.push(f.clone());
                }
            }
            Segment { total: c.values().sum(), phases, functions: by_function, entered }
        })
        .collect())
}

/// The kernel function each address is in, through inlining.
fn functions_of(elf: &Path, pcs: &[u64]) -> Result<BTreeMap<u64, String>, String> {
    let mut child = Command::new("addr2line")
        .args(["-f", "-i", "-C", "-a", "-e"])
        .arg(elf)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run addr2line: {e}"))?;
    let input: String = pcs.iter().map(|pc| format!("{pc:#x}\n")).collect();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().ok_or("addr2line has no stdin")?;
        stdin.write_all(input.as_bytes()).map_err(|e| format!("addr2line: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("addr2line: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // `-a`: each address's block starts with the address; then pairs of
    // function and file:line lines, innermost inline frame first.
    let mut map = BTreeMap::new();
    let mut at: Option<u64> = None;
    let mut chosen = false;
    // Standard library code, methods of primitive types (`<u64>::...`,
    // `<usize as core::...>`) and the GIC's register accessors are charged
    // to their caller.
    let primitive = |f: &str| {
        f.strip_prefix('<').and_then(|t| t.split(['>', ' ']).next()).is_some_and(|t| {
            t.starts_with('[')
                || t == "usize"
                || t == "isize"
                || t == "bool"
                || (t.len() > 1 && t.starts_with(['u', 'i']) && t[1..].bytes().all(|b| b.is_ascii_digit()))
        })
    };
    let library = |f: &str| {
        primitive(f)
            || f.contains(" as core::")
            || f.starts_with("core::")
            || f.starts_with("<core::")
            || f.starts_with("spin::")
            || f.starts_with("<spin::")
            || f.starts_with("aarch64_cpu")
            || f.starts_with("<aarch64_cpu")
            || f.starts_with("tock_registers")
            || f.starts_with("<tock_registers")
            // The GIC's register accessors, charged to what reads the
            // register: the acknowledge to the interrupt, a list register
            // to the virtual interface's save or restore.
            || f.starts_with("bulkhead_kernel::gic::Block::")
            || f.starts_with("bulkhead_kernel::gic::gich::")
    };
    for line in text.lines() {
        if let Some(pc) = line.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok()) {
            at = Some(pc);
            chosen = false;
            continue;
        }
        let Some(pc) = at else { continue };
        if line.contains(':') && (line.contains('/') || line.starts_with("??:")) && !line.contains("::") {
            continue; // a file:line line
        }
        if !chosen {
            map.insert(pc, line.to_string());
            if !library(line) {
                chosen = true;
            }
        }
    }
    // Hand-written assembly has no debug information (addr2line says `??`
    // or names a `$x` mapping symbol): the nearest symbol at or below it.
    let symbols = text_symbols(elf)?;
    for (pc, f) in map.iter_mut() {
        if f.starts_with("??") || f.starts_with('$') {
            let i = symbols.partition_point(|(a, _)| a <= pc);
            if let Some((_, name)) = i.checked_sub(1).and_then(|i| symbols.get(i)) {
                f.clone_from(name);
            }
        }
    }
    Ok(map)
}

/// The ELF's named symbols, by address (mapping symbols left out).
fn text_symbols(elf: &Path) -> Result<Vec<(u64, String)>, String> {
    use object::{Object, ObjectSymbol};
    let data = std::fs::read(elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
    let file = object::File::parse(&*data).map_err(|e| format!("{}: not an ELF file: {e}", elf.display()))?;
    let mut symbols: Vec<(u64, String)> = file
        .symbols()
        .filter_map(|s| Some((s.address(), s.name().ok()?.to_string())))
        .filter(|(_, n)| !n.is_empty() && !n.starts_with('$'))
        .collect();
    symbols.sort();
    Ok(symbols)
}
