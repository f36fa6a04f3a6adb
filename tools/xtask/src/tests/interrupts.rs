//! The QEMU tests of partition interrupts (issue 18): a thread's virtual
//! timer, a device a partition owns (the mini UART, QEMU's serial1, fed
//! by the runner), another partition touching it, and a device interrupt
//! that never stops. A child of `tests.rs`, whose `QemuTest` they use.
//!
//! What each checks is what a user sees: the partitions' own lines (their
//! counts, the kernel's InterruptStatus counts they print), the bytes on
//! serial1, the bystander's ticks. Expected numbers are computed here from
//! the system description's schedule, never written down.
use super::{QemuTest, then_ticker, ticker_on_schedule, with_boot};
use crate::build;
use crate::qemu::{self, Captured, Ending, Expect, Run};
use std::time::Duration;

/// The windows of `partition` in the first schedule of `description`
/// (a path from the workspace root): their `[start, end)` in ns from the
/// major frame's start, in order, and the major frame.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Windows {
    frame_ns: u64,
    of_partition: Vec<(u64, u64)>,
}

fn windows_of(description: &str, partition: &str) -> Result<Windows, String> {
    let path = build::workspace_root().join(description);
    let source = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    windows_in(&source, partition).map_err(|e| format!("{description}: {e}"))
}

fn windows_in(source: &str, partition: &str) -> Result<Windows, String> {
    let mut diags = bulkhead::diag::Diagnostics::default();
    let desc = bulkhead::desc::read(source, &mut diags);
    let schedule = desc.schedules.first().ok_or("no schedule")?;
    let frame_ns = schedule.major_frame.as_ref().ok_or("no major_frame")?.value;
    let (mut at, mut of_partition) = (0, Vec::new());
    for w in &schedule.windows {
        let duration = w.duration.as_ref().ok_or("a window without a duration")?.value;
        if w.partition.as_ref().is_some_and(|p| p.value == partition) {
            of_partition.push((at, at + duration));
        }
        at += duration;
    }
    if of_partition.is_empty() {
        return Err(format!("no window of {partition}"));
    }
    Ok(Windows { frame_ns, of_partition })
}

/// What a tick on absolute deadlines sees, as `vtimer-tick` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct TickCounts {
    deadlines: u64,
    on_time: u64,
    deferred: u64,
    skipped: u64,
}

impl Windows {
    /// Where the `n`th window of the partition (from 0, frame 0's first)
    /// begins, in ns since the epoch.
    fn start_of(&self, n: u64) -> u64 {
        let per_frame = self.of_partition.len() as u64;
        (n / per_frame) * self.frame_ns + self.of_partition[(n % per_frame) as usize].0
    }

    fn inside(&self, t_ns: u64) -> bool {
        let t = t_ns % self.frame_ns;
        self.of_partition.iter().any(|&(a, b)| (a..b).contains(&t))
    }

    /// The deadlines `first_ns + k * period_ns` before `until_ns`: those
    /// inside a window fire on time; of those in a gap between two
    /// windows, the first is delivered when the next window begins
    /// (deferred) and the thread's handler steps over the rest (skipped).
    fn ticks(&self, first_ns: u64, period_ns: u64, until_ns: u64) -> TickCounts {
        let mut c = TickCounts::default();
        let mut in_gap = false;
        let mut d = first_ns;
        while d < until_ns {
            c.deadlines += 1;
            if self.inside(d) {
                c.on_time += 1;
                in_gap = false;
            } else if in_gap {
                c.skipped += 1;
            } else {
                c.deferred += 1;
                in_gap = true;
            }
            d += period_ns;
        }
        c
    }
}

const VTIMER_DESCRIPTION: &str = "partitions/tests/vtimer-tick.toml";
/// The frames `vtimer-tick` runs.
const VTIMER_FRAMES: u64 = 1000;
/// vtimer-tick's period: 1 kHz.
const TICK_PERIOD_NS: u64 = 1_000_000;

/// Windows of the partition in [`VTIMER_FRAMES`] frames.
fn vtimer_windows() -> u64 {
    let w = windows_of(VTIMER_DESCRIPTION, "vtimer-tick").expect("vtimer-tick.toml has windows for vtimer-tick");
    VTIMER_FRAMES * w.of_partition.len() as u64
}

fn vtimer_tick_expectations() -> Vec<Expect> {
    let windows = vtimer_windows();
    let start = |t: u32| {
        format!(
            r"^\[vtimer-tick:\w+@{t}\] vtimer-tick: thread {t} on core {t}, 1 kHz, CNTFRQ \d+ Hz, first deadline at \d+ us$"
        )
    };
    let last = |t: u32| format!(r"^\[vtimer-tick:\w+@{t}\] vtimer-tick: thread {t}, window {windows}: kernel: ");
    let (s0, s1, l0, l1) = (start(0), start(1), last(0), last(1));
    with_boot(vec![Expect::all_of(&[&s0, &s1]), Expect::all_of(&[&l0, &l1])])
}

/// Every summary line of both threads holds exactly the counts the
/// schedule predicts for the deadlines before the window it was printed
/// at, and the kernel's InterruptStatus agrees: delivered = on time +
/// deferred, deferred the same, none dropped. Lines up to
/// [`VTIMER_FRAMES`] frames, for both threads.
fn vtimer_ticks_as_scheduled(out: &Captured) -> Result<(), String> {
    let windows = windows_of(VTIMER_DESCRIPTION, "vtimer-tick")?;
    let start = regex::Regex::new(
        r"^\[vtimer-tick:\w+@\d\] vtimer-tick: thread (\d) on core \d, 1 kHz, CNTFRQ \d+ Hz, first deadline at (\d+) us$",
    )
    .expect("valid regex");
    let counted = regex::Regex::new(
        r"^\[vtimer-tick:\w+@\d\] vtimer-tick: thread (\d), window (\d+): (\d+) deadlines: (\d+) on time, (\d+) deferred, (\d+) skipped$",
    )
    .expect("valid regex");
    let kernel = regex::Regex::new(r"^\[vtimer-tick:\w+@\d\] vtimer-tick: thread (\d), window (\d+): kernel: delivered (\d+), deferred (\d+), dropped (\d+); latest on time (\d+) us late$").expect("valid regex");
    let mut first = [None::<u64>; 2];
    // Per thread: the window of its last counts line and what the schedule
    // says of it, for the kernel's line that follows.
    let mut want = [None::<(u64, TickCounts)>; 2];
    let mut lines = [0u64; 2];
    let mut latest = [0u64; 2];
    let last_windows = vtimer_windows();
    for line in &out.lines {
        if line.starts_with("[vtimer-tick:") && line.contains("failed") {
            return Err(format!("a call failed: {line}"));
        }
        if let Some(c) = start.captures(line) {
            let (t, us): (usize, u64) = (c[1].parse().expect("digit"), c[2].parse().expect("digits"));
            // Half a period off the whole-millisecond windows, in the
            // partition's first window: the thread started there.
            let (w0_start, w0_end) = windows.of_partition[0];
            if us % 1000 != 500 || us * 1000 < w0_start || us * 1000 >= w0_end {
                return Err(format!("thread {t}'s first deadline is not (k + 1/2) ms inside its first window: {line}"));
            }
            first[t] = Some(us * 1000);
            continue;
        }
        if let Some(c) = counted.captures(line) {
            let n = |i: usize| c[i].parse::<u64>().expect("digits");
            let t = n(1) as usize;
            let first_ns = first[t].ok_or_else(|| format!("counts before thread {t}'s first line: {line}"))?;
            let w = n(2);
            let until = windows.start_of(w);
            let expected = windows.ticks(first_ns, TICK_PERIOD_NS, until);
            let got = TickCounts { deadlines: n(3), on_time: n(4), deferred: n(5), skipped: n(6) };
            if got != expected {
                return Err(format!(
                    "thread {t} at window {w} (deadlines before {} us): counted {got:?}, the schedule says {expected:?}: {line}",
                    until / 1000
                ));
            }
            want[t] = Some((w, expected));
            continue;
        }
        let Some(c) = kernel.captures(line) else { continue };
        let n = |i: usize| c[i].parse::<u64>().expect("digits");
        let (t, w) = (n(1) as usize, n(2));
        let Some((at, expected)) = want[t].take().filter(|(at, _)| *at == w) else {
            return Err(format!("the kernel's counts without the thread's own before them: {line}"));
        };
        let counts = (n(3), n(4), n(5));
        if counts != (expected.on_time + expected.deferred, expected.deferred, 0) {
            return Err(format!(
                "thread {t} at window {at}: the kernel counts delivered {}, deferred {}, dropped {}; the thread handled {} on time and {} deferred: {line}",
                counts.0, counts.1, counts.2, expected.on_time, expected.deferred
            ));
        }
        lines[t] = lines[t].max(w);
        latest[t] = n(6);
    }
    if lines.iter().any(|&w| w < last_windows) {
        return Err(format!("counts up to windows {lines:?}; expected both threads' at {last_windows} at least"));
    }
    let total = windows.ticks(first[0].unwrap_or_default(), TICK_PERIOD_NS, windows.start_of(last_windows));
    println!(
        "    {VTIMER_FRAMES} frames, each thread: {} deadlines, {} on time (latest {} / {} us late), {} deferred, {} skipped, as the schedule says",
        total.deadlines, total.on_time, latest[0], latest[1], total.deferred, total.skipped
    );
    Ok(())
}

/// What the runner feeds the mini UART: every byte value, twice, in two
/// orders, so an echo that drops, repeats, reorders or alters a byte
/// shows.
static UART_INPUT: [u8; 512] = {
    let mut b = [0u8; 512];
    let mut i = 0;
    while i < 256 {
        b[i] = i as u8;
        b[511 - i] = i as u8;
        i += 1;
    }
    b
};

fn echo_done(input: usize) -> String {
    format!(r"^\[uart-echo:echo@0\] uart-echo: {input} bytes echoed; kernel: delivered \d+, deferred \d+, dropped \d+$")
}

const ECHO_START: &str =
    r"^\[uart-echo:echo@0\] uart-echo: echoing the mini UART \(INTID 125\) on core 0 \(restarts 0\)$";

/// serial1 carried back exactly the bytes fed, in order, and the echo's
/// counts say every one came through interrupts: its last count line says
/// all of them, each count line counts more than the one before, none
/// dropped, deferred within delivered.
fn echoed_in_order(out: &Captured) -> Result<(), String> {
    let input = &UART_INPUT[..];
    if out.serial1 != input {
        let at = out.serial1.iter().zip(input).position(|(a, b)| a != b).unwrap_or(out.serial1.len().min(input.len()));
        return Err(format!(
            "serial1 carried {} bytes back for {} fed; first difference at byte {at}: {:?} for {:?}",
            out.serial1.len(),
            input.len(),
            out.serial1.get(at),
            input.get(at)
        ));
    }
    let re = regex::Regex::new(
        r"^\[uart-echo:echo@0\] uart-echo: (\d+) bytes echoed; kernel: delivered (\d+), deferred (\d+), dropped (\d+)$",
    )
    .expect("valid regex");
    let mut last = (0, 0, 0, 0);
    for line in out.lines.iter().filter(|l| l.starts_with("[uart-echo:")) {
        if line.contains("failed") {
            return Err(format!("a call failed: {line}"));
        }
        let Some(c) = re.captures(line) else { continue };
        let n = |i: usize| c[i].parse::<u64>().expect("digits");
        let now = (n(1), n(2), n(3), n(4));
        if now.0 <= last.0 || now.1 < last.1 || now.1 == 0 || now.2 > now.1 || now.3 != 0 {
            return Err(format!("after {last:?} (bytes, delivered, deferred, dropped) came {now:?}: {line}"));
        }
        last = now;
    }
    if last.0 != input.len() as u64 {
        return Err(format!("the echo counted {} bytes at last, {} were fed", last.0, input.len()));
    }
    Ok(())
}

/// [`echoed_in_order`], and some of the UART's interrupts came while the
/// owner was out of its window and were delivered at its next one.
fn echoed_with_deferred(out: &Captured) -> Result<(), String> {
    echoed_in_order(out)?;
    let done = regex::Regex::new(&echo_done(UART_INPUT.len())).expect("valid regex");
    let line = out.lines.iter().rfind(|l| done.is_match(l)).ok_or("no final count line")?;
    let deferred: u64 = line
        .split("deferred ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no deferred count in {line}"))?;
    if deferred == 0 {
        return Err(format!(
            "no UART interrupt was deferred: none arrived outside the owner's 2 ms window, or the kernel did not count it: {line}"
        ));
    }
    println!("    {} bytes echoed back in order; {}", UART_INPUT.len(), line.split("; ").nth(1).unwrap_or_default());
    Ok(())
}

/// The owner went on echoing once the intruder was stopped: a count line
/// after the kernel's `stopped` line counts more than every one before it
/// (the input comes paced over the run, so most of it comes after the
/// intruder's first window).
fn echo_went_on_after_the_stop(out: &Captured) -> Result<(), String> {
    let count =
        |l: &str| -> Option<u64> { l.strip_prefix("[uart-echo:echo@0] uart-echo: ")?.split(' ').next()?.parse().ok() };
    let stop = out
        .lines
        .iter()
        .position(|l| l == "health: partition hostile-aux stopped")
        .ok_or("no line says hostile-aux was stopped")?;
    let before = out.lines[..stop].iter().filter_map(|l| count(l)).max().unwrap_or(0);
    let after = out.lines[stop..].iter().filter_map(|l| count(l)).max().unwrap_or(0);
    if after <= before {
        return Err(format!(
            "the echo counted {before} bytes before hostile-aux was stopped and no more after it: the owner stopped too"
        ));
    }
    println!("    {before} bytes echoed before the intruder was reported stopped, {after} in all");
    Ok(())
}

fn uart_echo_expectations() -> Vec<Expect> {
    with_boot(vec![Expect::line(ECHO_START), Expect::line(&echo_done(UART_INPUT.len()))])
}

fn device_intruder_expectations() -> Vec<Expect> {
    // The kernel's health lines and the partitions' lines come out in
    // turns, in no fixed order (the echo may be done first).
    let done = echo_done(UART_INPUT.len());
    then_ticker(vec![Expect::all_of(&[
        ECHO_START,
        r"^\[hostile-aux:main@0\] hostile-aux: writing to the mini UART at IPA 0xfe215040, owned by another partition \(restarts 0\)$",
        r"^health: partition hostile-aux thread main core 0: stage2_abort: stage-2 write fault at IPA 0xfe215040 \(outside its memory\), PC 0x[0-9a-f]+ -> stop_partition$",
        r"^health: partition hostile-aux stopped$",
        &done,
    ])])
}

const FLOOD_LINE: &str = r"^\[irq-flood:reporter@1\] irq-flood: window (\d+): (\d+) interrupts handled; kernel: delivered (\d+), deferred (\d+), dropped (\d+)$";

/// The storm's first lines, then 100 frames of the bystander: enough
/// ticks for a 99th percentile.
fn irq_flood_expectations() -> Vec<Expect> {
    with_boot(vec![
        Expect::line(r"^\[irq-flood:storm@0\] irq-flood: storm on core 0, transmit interrupt enabled \(restarts 0\)$"),
        Expect::line(
            r"^\[irq-flood:reporter@1\] irq-flood: window (1\d|[2-9]\d|\d{3,}): [1-9]\d* interrupts handled; ",
        ),
        // 100 frames or more.
        Expect::line(r"^\[ticker:main@0\] ticker: tick (\d{3,}) at \d+ us$"),
    ])
}

/// The boundary race's report (`docs/DESIGN.md`, "Device SPIs"): the
/// kernel's line in the owner's console.
const FOREIGN_LINE: &str = r"^\[irq-flood:\w+@\d\] irq: device mini-uart INTID 125: (\d+) taken in other partitions' windows so far \(masked at once; at most one per window change\), kernel path at most (\d+) cycles$";

/// The storm was real and stayed in its owner's windows: the handler's
/// count grows report after report, and the kernel's counts follow the
/// documented policy (`docs/DESIGN.md`, "Device SPIs"): under `drop` a
/// level-sensitive line that still asserts stays pending and is
/// delivered, so nothing is dropped, and at most one delivery per owner
/// window is deferred (the one found pending when the window opened).
/// Interrupts taken in another partition's window (the boundary race),
/// if the kernel reports any, are at most one per window change. The
/// bystander, on the core the interrupt is routed to, is no later into
/// its window than in the same module with a CPU-bound partition in the
/// flood's place (`hostile-spin.img`, product kernel): its
/// 99th-percentile offset at most twice the spinner run's median plus
/// 1 us of rounding (the bound `ticker_on_schedule` holds a run to
/// against its own median; here against a run without the flood, so a
/// flood that made every tick late cannot raise its own bound).
fn flood_stays_in_its_windows(out: &Captured) -> Result<(), String> {
    let re = regex::Regex::new(FLOOD_LINE).expect("valid regex");
    let foreign_re = regex::Regex::new(FOREIGN_LINE).expect("valid regex");
    let mut last: Option<(u64, u64, u64, u64, u64)> = None;
    let mut foreign = (0u64, 0u64);
    let mut frames_so_far = 0u64;
    for line in &out.lines {
        if line.starts_with("[irq-flood:") && line.contains("failed") {
            return Err(format!("a call failed: {line}"));
        }
        if let Some(tick) = line.strip_prefix("[ticker:main@0] ticker: tick ").and_then(|l| l.split(' ').next()) {
            frames_so_far = tick.parse::<u64>().unwrap_or(frames_so_far) + 1;
        }
        if let Some(c) = foreign_re.captures(line) {
            let n: u64 = c[1].parse().expect("digits");
            // Each frame has two window changes on core 0 (the owner's
            // window ends once), and the report may lag by a frame.
            if n > 2 * (frames_so_far + 1) {
                return Err(format!(
                    "{n} taken in other windows after about {frames_so_far} frames: more than one per window change: {line}"
                ));
            }
            foreign = (n, c[2].parse().expect("digits"));
            continue;
        }
        let Some(c) = re.captures(line) else { continue };
        let n = |i: usize| c[i].parse::<u64>().expect("digits");
        let now = (n(1), n(2), n(3), n(4), n(5));
        if let Some(prev) = last
            && now.1 <= prev.1
        {
            return Err(format!("the storm's handler stopped: {} interrupts, then {}: {line}", prev.1, now.1));
        }
        // The reporter's window N: the owner has begun at most N + 1.
        if now.3 > now.0 + 1 || now.4 != 0 || now.2 == 0 {
            return Err(format!(
                "by window {}: delivered {}, deferred {}, dropped {}; expected some delivered, at most one deferred per window, none dropped (the line never falls)",
                now.0, now.2, now.3, now.4
            ));
        }
        last = Some(now);
    }
    let (_, handled, delivered, deferred, _) = last.ok_or("no irq-flood report")?;
    let ticker = no_later_than_beside_a_spinner(out, "the flood")?;
    println!(
        "    storm: {handled} interrupts handled, kernel: delivered {delivered}, deferred {deferred}; {} taken in the bystander's windows (kernel path at most {} cycles); {ticker}",
        foreign.0, foreign.1
    );
    Ok(())
}

/// The bystander `ticker` (core 0) is no later into its window than in
/// the same module with a CPU-bound partition in the hostile one's place
/// (`hostile-spin.img`, product kernel): its 99th-percentile offset at
/// most twice the spinner run's median plus 1 us of rounding (the bound
/// `ticker_on_schedule` holds a run to against its own median; here
/// against a run without the hostile partition, so one that made every
/// tick late cannot raise its own bound). Returns the figures, for the
/// test's summary line.
fn no_later_than_beside_a_spinner(out: &Captured, what: &str) -> Result<String, String> {
    let with = ticker_offsets(out)?;
    let root = build::workspace_root();
    let image = root.join("target/images/hostile-spin.img");
    let elf = root.join("target").join(build::TARGET).join("release/bulkhead");
    let run = Run {
        image: &image,
        kernel_elf: &elf,
        dtb: None,
        semihosting: false,
        icount: true,
        timeout: super::DEFAULT_TIMEOUT,
        qemu_args: &[],
        serial1_input: None,
    };
    let frames = with.len();
    let until = format!(r"^\[ticker:main@0\] ticker: tick {} at \d+ us$", frames);
    let spin = qemu::run(
        &run,
        &with_boot(vec![Expect::line(&until)]),
        &Ending::Settle(Duration::ZERO),
        &qemu::Forbid::defaults(&[]),
    )?;
    let without = ticker_offsets(&spin)?;
    let p99 = |v: &[u64]| super::percentile_99(v.iter().copied());
    let median = |v: &[u64]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v[(v.len() - 1) / 2]
    };
    let (with_p99, without_p99, without_median) = (p99(&with), p99(&without), median(&without));
    let bound = 2 * without_median + 1;
    if with_p99 > bound {
        return Err(format!(
            "with {what} the ticker's 99th-percentile tick is {with_p99} us into its window; with a CPU-bound partition in its place its median is {without_median} us, bound {bound} us: {what} costs the bystander"
        ));
    }
    Ok(format!(
        "ticker, {} ticks: 99th percentile {with_p99} us into its window with {what}, {without_p99} us with a spinner in its place (median {without_median} us), bound {bound} us",
        with.len()
    ))
}

const VGIC_LINE: &str = r"^\[hostile-vgic:poker@1\] hostile-vgic: window (\d+): (\d+) timer interrupts handled; (\d+) pokes; (\d+) InterruptEnable refused of (\d+) tried$";

/// The storm's first line, then 100 frames of the bystander.
fn hostile_vgic_expectations() -> Vec<Expect> {
    with_boot(vec![
        Expect::line(
            r"^\[hostile-vgic:storm@0\] hostile-vgic: storm on core 0, virtual timer armed in the past \(restarts 0\)$",
        ),
        Expect::line(r"^\[hostile-vgic:poker@1\] hostile-vgic: window (1\d|[2-9]\d|\d{3,}): [1-9]\d* timer"),
        Expect::line(r"^\[ticker:main@0\] ticker: tick (\d{3,}) at \d+ us$"),
    ])
}

/// The abuse was real and went on (the timer's handler and the pokes
/// counted more at every report), every foreign INTID was refused, and
/// the bystander beside the storm stays on time.
fn vgic_abuse_stays_in_its_windows(out: &Captured) -> Result<(), String> {
    let re = regex::Regex::new(VGIC_LINE).expect("valid regex");
    let mut last: Option<(u64, u64, u64)> = None;
    for line in &out.lines {
        if line.starts_with("[hostile-vgic:") && line.contains("failed") {
            return Err(format!("a call failed: {line}"));
        }
        let Some(c) = re.captures(line) else { continue };
        let n = |i: usize| c[i].parse::<u64>().expect("digits");
        let (window, handled, pokes, refused, tried) = (n(1), n(2), n(3), n(4), n(5));
        if refused != tried {
            return Err(format!(
                "by window {window}, {} InterruptEnable calls for foreign INTIDs were not refused: {line}",
                tried - refused
            ));
        }
        if let Some((w, h, p)) = last
            && (handled <= h || pokes <= p)
        {
            return Err(format!("the abuse stopped between windows {w} and {window}: {line}"));
        }
        last = Some((window, handled, pokes));
    }
    let (window, handled, pokes) = last.ok_or("no hostile-vgic report")?;
    let ticker = no_later_than_beside_a_spinner(out, "the virtual GIC abuse")?;
    println!(
        "    by window {window}: {handled} timer interrupts handled, {pokes} pokes, every foreign INTID refused; {ticker}"
    );
    Ok(())
}

/// The ticker's offsets into its window (us), ticks 1 on (tick 0 comes
/// from the thread's start-up, a longer path).
fn ticker_offsets(out: &Captured) -> Result<Vec<u64>, String> {
    let re = regex::Regex::new(r"^\[ticker:main@0\] ticker: tick (\d+) at (\d+) us$").expect("valid regex");
    let offsets: Vec<u64> = out
        .lines
        .iter()
        .filter_map(|l| re.captures(l))
        .filter(|c| &c[1] != "0")
        .map(|c| c[2].parse::<u64>().expect("digits") % super::TICKER_FRAME_US - super::TICKER_WINDOW_US.0)
        .collect();
    if offsets.len() < 30 {
        return Err(format!("only {} ticker lines", offsets.len()));
    }
    Ok(offsets)
}

pub(super) fn interrupt_tests() -> Vec<QemuTest> {
    vec![
        QemuTest::new(
            "vtimer-tick",
            "a 1 kHz tick on each of two threads' virtual timers, absolute deadlines half a period off the windows: over 1,000 frames every deadline inside a window fires on time, each gap's first is delivered (deferred) when the next window begins, the rest skipped, exactly as the schedule says, and the kernel's InterruptStatus agrees; the bystander stays on time",
            "vtimer-tick",
            vtimer_tick_expectations,
        )
        .icount()
        .timeout(Duration::from_secs(180))
        .check(|out| {
            vtimer_ticks_as_scheduled(out)?;
            ticker_on_schedule(out)
        }),
        QemuTest::new(
            "uart-echo",
            "a partition owning the mini UART (serial1, fed by the runner) takes its receive interrupt and echoes every byte back, in order; interrupts that came outside its 2 ms window were delivered (deferred) in its next one",
            "uart-echo",
            uart_echo_expectations,
        )
        .icount()
        .serial1_input(&UART_INPUT)
        .timeout(Duration::from_secs(120))
        .allow(&[r"^sched: partition spinner thread main core 0: still running at the end of its window, preempted"])
        .check(echoed_with_deferred),
        QemuTest::new(
            "device-intruder",
            "a partition writing to the mini UART another partition owns is a stage-2 fault, reported, and stopped; no byte of it reaches serial1, and the owner echoes every byte fed; the bystander stays on time",
            "device-intruder",
            device_intruder_expectations,
        )
        .icount()
        .serial1_input(&UART_INPUT)
        .timeout(Duration::from_secs(120))
        .check(|out| {
            echoed_in_order(out)?;
            echo_went_on_after_the_stop(out)?;
            ticker_on_schedule(out)
        }),
        QemuTest::new(
            "irq-flood",
            "a device interrupt asserted without pause (the mini UART's transmit interrupt, never cleared) keeps its owner's thread busy in its own windows only: the bystander on the same core stays on time, no later than beside a CPU-bound partition; a level line that never falls is not dropped, at most one delivery per window deferred",
            "irq-flood",
            irq_flood_expectations,
        )
        .icount()
        .timeout(Duration::from_secs(120))
        .allow(&[r"^sched: partition irq-flood thread storm core 0: still running at the end of its window, preempted"])
        .check(|out| {
            ticker_on_schedule(out)?;
            flood_stays_in_its_windows(out)
        }),
        QemuTest::new(
            "hostile-vgic",
            "a partition whose virtual timer fires without pause (armed in the past, never re-armed) and whose other thread writes junk to every register of its virtual GIC CPU interface and asks for interrupts not its own (each refused): the bystander on the storm's core stays on time, no later than beside a CPU-bound partition",
            "hostile-vgic",
            hostile_vgic_expectations,
        )
        .icount()
        .timeout(Duration::from_secs(120))
        .allow(&[r"^sched: partition hostile-vgic thread storm core 0: still running at the end of its window, preempted"])
        .check(|out| {
            ticker_on_schedule(out)?;
            vgic_abuse_stays_in_its_windows(out)
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_WINDOWS: &str = r#"
[[schedule]]
name = "main"
major_frame = "10ms"
  [[schedule.window]]
  partition = "p"
  duration = "4ms"
  [[schedule.window]]
  partition = "q"
  duration = "4ms"
  [[schedule.window]]
  partition = "p"
  duration = "1ms"
  [[schedule.window]]
  spare = true
  duration = "1ms"
"#;

    #[test]
    fn windows_are_read_from_the_schedule() {
        let w = windows_in(TWO_WINDOWS, "p").unwrap();
        assert_eq!(w, Windows { frame_ns: 10_000_000, of_partition: vec![(0, 4_000_000), (8_000_000, 9_000_000)] });
        assert_eq!(w.start_of(0), 0);
        assert_eq!(w.start_of(1), 8_000_000);
        assert_eq!(w.start_of(2), 10_000_000);
        assert_eq!(w.start_of(2000), 10_000_000_000);
        assert!(windows_in(TWO_WINDOWS, "r").is_err());
    }

    #[test]
    fn ticks_on_time_deferred_and_skipped_per_gap() {
        let w = windows_in(TWO_WINDOWS, "p").unwrap();
        // One frame: 0.5..3.5 on time, 4.5 deferred, 5.5..7.5 skipped,
        // 8.5 on time, 9.5 deferred (delivered at the next frame's start).
        let one = w.ticks(500_000, 1_000_000, w.start_of(2));
        assert_eq!(one, TickCounts { deadlines: 10, on_time: 5, deferred: 2, skipped: 3 });
        // Before the second window: only the first gap.
        let half = w.ticks(500_000, 1_000_000, w.start_of(1));
        assert_eq!(half, TickCounts { deadlines: 8, on_time: 4, deferred: 1, skipped: 3 });
        let thousand = w.ticks(500_000, 1_000_000, w.start_of(2000));
        assert_eq!(thousand, TickCounts { deadlines: 10_000, on_time: 5000, deferred: 2000, skipped: 3000 });
        // A late start loses the deadlines before it, nothing else.
        let late = w.ticks(2_500_000, 1_000_000, w.start_of(2));
        assert_eq!(late, TickCounts { deadlines: 8, on_time: 3, deferred: 2, skipped: 3 });
    }

    #[test]
    fn the_uart_input_holds_every_byte_value_twice() {
        let mut seen = [0u32; 256];
        for &b in &UART_INPUT {
            seen[b as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n == 2));
    }
}
