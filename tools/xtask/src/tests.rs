//! The QEMU tests: what a user of the module would see on its console.
//!
//! Each test boots one image from `kernel/src/bin` (or the product kernel)
//! and checks its console line by line. Test images that can judge
//! themselves end QEMU through semihosting with a status; images that halt
//! the module are checked for silence afterwards.
use crate::build::{self, Image};
use crate::qemu::{self, Captured, Ending, Expect, Run};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How the image is handed to QEMU.
#[derive(Clone, Copy)]
enum Format {
    /// Raw `kernel8.img`: entered at EL2, cores 1-3 in the boot stub.
    Raw,
    /// The ELF: entered at EL3 on all four cores at once.
    Elf,
}

struct QemuTest {
    name: &'static str,
    what: &'static str,
    image: &'static str,
    format: Format,
    semihosting: bool,
    expect: fn() -> Vec<Expect>,
    ending: Ending,
    check: Option<fn(&Captured) -> Result<(), String>>,
}

const BOOT_LINE: &str = r"^core [0-3]: MPIDR 0x[0-9a-f]{8}, EL2, online$";

fn boot_expectations() -> Vec<Expect> {
    vec![
        Expect::all_of(&[BOOT_LINE, BOOT_LINE, BOOT_LINE, BOOT_LINE]),
        Expect::line(r"^Bulkhead \S+ separation kernel: EL2, 4 cores online$"),
        Expect::line(r"^CNTFRQ 62500000 Hz \(tick 16\.000 ns\)$"),
        Expect::line(r"^memory map:$"),
        Expect::line(r"^  kernel image "),
        Expect::line(r"^  devices +0x0fc000000\.\.0x100000000 .*device-nGnRE"),
    ]
}

/// Four boot lines, one per core, with four distinct MPIDRs whose Aff0 is
/// the core index, all at EL2.
fn four_distinct_cores(out: &Captured) -> Result<(), String> {
    let re = regex::Regex::new(BOOT_LINE.replace("[0-3]", "([0-3])").replace("0x[0-9a-f]{8}", "(0x[0-9a-f]{8})").as_str())
        .expect("valid regex");
    let mut cores = BTreeSet::new();
    let mut mpidrs = BTreeSet::new();
    for line in &out.lines {
        if let Some(c) = re.captures(line) {
            let core: u64 = c[1].parse().expect("digit");
            let mpidr = u64::from_str_radix(&c[2][2..], 16).expect("hex");
            if mpidr & 0xff != core {
                return Err(format!("core {core} reports MPIDR {mpidr:#x}, whose Aff0 is not {core}"));
            }
            cores.insert(core);
            mpidrs.insert(mpidr);
        }
    }
    if cores.len() != 4 || mpidrs.len() != 4 {
        return Err(format!("expected 4 distinct cores and MPIDRs, saw cores {cores:?}, MPIDRs {mpidrs:x?}"));
    }
    Ok(())
}

fn halt_lines(by: usize) -> Vec<Expect> {
    let others: Vec<String> = (0..4).filter(|&c| c != by).map(|c| format!(r"^core {c}: halted by core {by}$")).collect();
    let refs: Vec<&str> = others.iter().map(String::as_str).collect();
    vec![Expect::all_of(&refs), Expect::line(&format!(r"^core {by}: all cores halted$"))]
}

fn with_boot(mut rest: Vec<Expect>) -> Vec<Expect> {
    let mut all = boot_expectations();
    all.append(&mut rest);
    all
}

/// Half a second without output after the halt: halted cores stay halted
/// (their 5 ms heartbeats would otherwise show up at once).
const QUIET: Duration = Duration::from_millis(500);

fn all_tests() -> Vec<QemuTest> {
    vec![
        QemuTest {
            name: "boot-el2",
            what: "raw kernel image entered at EL2: four cores online, distinct MPIDRs, banner; no system image is refused",
            image: "bulkhead",
            format: Format::Raw,
            semihosting: false,
            expect: || with_boot(vec![Expect::line(r"^no system image after the kernel \(no BULKHEAD magic"), Expect::line(r"^no partition started$")]),
            ending: Ending::Stop,
            check: Some(four_distinct_cores),
        },
        QemuTest {
            name: "boot-el3-elf",
            what: "ELF entered at EL3 on all cores: every core drops to EL2",
            image: "bulkhead",
            format: Format::Elf,
            semihosting: false,
            expect: || with_boot(vec![Expect::line(r"^no system image after the kernel \(no BULKHEAD magic"), Expect::line(r"^no partition started$")]),
            ending: Ending::Stop,
            check: Some(four_distinct_cores),
        },
        QemuTest {
            name: "fault-dump",
            what: "a data abort at EL2 prints the decoded dump and halts every core",
            image: "selftest-fault",
            format: Format::Raw,
            semihosting: false,
            expect: || {
                let mut e = with_boot(vec![
                    Expect::line(r"^core 2: reading unmapped address 0x80000000$"),
                    Expect::line(r"^\*\*\* EL2 exception on core 2: Data Abort taken without a change in EL \(EC 0x25\), vector synchronous, current EL with SPx$"),
                    Expect::line(r"^    ESR_EL2 0x0000000096\w{6}  ELR_EL2 0x[0-9a-f]{16}  FAR_EL2 0x0000000080000000  SPSR_EL2 0x[0-9a-f]{16}$"),
                    Expect::line(r"^    x0  0x[0-9a-f]{16} x1  0x[0-9a-f]{16} x2  0x[0-9a-f]{16} x3  0x[0-9a-f]{16}$"),
                    Expect::line(r"^    x28 0x[0-9a-f]{16} x29 0x[0-9a-f]{16} x30 0x[0-9a-f]{16}$"),
                ]);
                e.extend(halt_lines(2));
                e
            },
            ending: Ending::Quiet(QUIET),
            check: None,
        },
        QemuTest {
            name: "stack-overflow",
            what: "a kernel stack overflow hits the guard page and is reported from the fatal stack",
            image: "selftest-overflow",
            format: Format::Raw,
            semihosting: false,
            expect: || {
                let mut e = with_boot(vec![
                    Expect::line(r"^core 1: recursing without end$"),
                    Expect::line(r"^\*\*\* EL2 exception on core 1: Data Abort taken without a change in EL \(EC 0x25\)"),
                    Expect::line(r"^    FAR is in a stack guard page: kernel stack overflow$"),
                ]);
                e.extend(halt_lines(1));
                e
            },
            ending: Ending::Quiet(QUIET),
            check: None,
        },
        QemuTest {
            name: "panic-halts-all",
            what: "a kernel panic prints its location and message and halts every core",
            image: "selftest-panic",
            format: Format::Raw,
            semihosting: false,
            expect: || {
                let mut e = with_boot(vec![Expect::line(
                    r"^\*\*\* kernel panic on core 3 at kernel/src/bin/selftest-panic\.rs:\d+:\d+: assertion `left == right` failed: deliberate test panic$",
                )]);
                e.extend(halt_lines(3));
                e
            },
            ending: Ending::Quiet(QUIET),
            check: None,
        },
        QemuTest {
            name: "halt-ipi",
            what: "a Halt IPI sent by core 2 stops every core",
            image: "selftest-halt",
            format: Format::Raw,
            semihosting: false,
            expect: || {
                let mut e = with_boot(vec![
                    Expect::all_of(&[r"^core 0: heartbeat 1$", r"^core 1: heartbeat 1$", r"^core 3: heartbeat 1$"]),
                    Expect::line(r"^core 2: sending Halt to all cores$"),
                ]);
                e.extend(halt_lines(2));
                e
            },
            ending: Ending::Quiet(QUIET),
            check: None,
        },
        QemuTest {
            name: "timer-deadlines",
            what: "1,000 absolute EL2-timer deadlines per core: none early, none lost",
            image: "selftest-timer",
            format: Format::Raw,
            semihosting: true,
            expect: || {
                let mut e = boot_expectations();
                for c in 0..4 {
                    e.push(Expect::line(&format!(
                        r"^core {c}: 1000/1000 deadlines, 0 early, 0 lost, 0 out of order, max lateness \d+ ticks$"
                    )));
                }
                e.push(Expect::line(r"^timer test: passed$"));
                e
            },
            ending: Ending::Exit(0),
            check: None,
        },
        QemuTest {
            name: "ipi-ping-pong",
            what: "SGI ping-pong over all 12 ordered core pairs, counts checked",
            image: "selftest-ipi",
            format: Format::Raw,
            semihosting: true,
            expect: || {
                let mut e = boot_expectations();
                for a in 0..4 {
                    for b in (0..4).filter(|&b| b != a) {
                        e.push(Expect::line(&format!(
                            r"^ipi: core {a} -> core {b}: 100 pings received, 100 pongs returned$"
                        )));
                    }
                }
                e.push(Expect::line(r"^ipi ping-pong: 12 ordered pairs passed$"));
                e
            },
            ending: Ending::Exit(0),
            check: None,
        },
    ]
}

/// Runs the QEMU tests named in `only` (all when empty). Prints one line per
/// test and closes with `N passed, M failed`.
pub fn run_qemu_tests(only: &[String]) -> Result<(), String> {
    let tests = all_tests();
    for name in only {
        if !tests.iter().any(|t| t.name == name) {
            let known: Vec<&str> = tests.iter().map(|t| t.name).collect();
            return Err(format!("no QEMU test named {name}; known: {}", known.join(", ")));
        }
    }
    let images = build::build_all()?;
    let (mut passed, mut failed) = (0, 0);
    for test in tests.iter().filter(|t| only.is_empty() || only.iter().any(|n| n == t.name)) {
        let started = Instant::now();
        let result = run_one(test, &images);
        let secs = started.elapsed().as_secs_f64();
        match result {
            Ok(()) => {
                passed += 1;
                println!("qemu test {} ... ok ({secs:.1} s): {}", test.name, test.what);
            }
            Err(e) => {
                failed += 1;
                println!("qemu test {} ... FAILED ({secs:.1} s): {}\n{e}", test.name, test.what);
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 { Ok(()) } else { Err(format!("{failed} QEMU test(s) failed")) }
}

fn run_one(test: &QemuTest, images: &[Image]) -> Result<(), String> {
    let image = images
        .iter()
        .find(|i| i.name == test.image)
        .ok_or_else(|| format!("image {} was not built (built: {})", test.image, build::names(images)))?;
    let path = match test.format {
        Format::Raw => &image.raw,
        Format::Elf => &image.elf,
    };
    let run = Run { image: path, semihosting: test.semihosting, icount: false, timeout: Duration::from_secs(60) };
    let captured = qemu::run(&run, &(test.expect)(), &test.ending)?;
    if let Some(check) = test.check {
        check(&captured).map_err(|e| format!("{e}\n--- captured output ---\n{}", captured.text()))?;
    }
    Ok(())
}
