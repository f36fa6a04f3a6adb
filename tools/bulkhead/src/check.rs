//! `bulkhead check`: the relations between objects of a description. Reads
//! the description (`desc.rs`), then checks names, references, time, cores,
//! memory and channels (shared memory regions: `regions.rs`; devices:
//! `devices.rs`), collecting
//! every diagnostic, and on success resolves
//! it to a [`System`]: the image contents minus the partition binaries.
//!
//! The rules follow docs/DESIGN.md#scheduling-rules: a window's owner exists and windows fit the
//! major frame (ARINC 653 Part 1, partition scheduling); every thread names
//! cores of the module (scheduling rule 4: threads of one partition placed on
//! one core share it by priority, as ARINC 653 processes do); memory is disjoint and inside
//! the partition RAM region; a channel connects one source port to
//! destination ports of the same kind and message size.

use std::collections::HashMap;
use std::ops::Range;

use bulkhead_board_rpi4 as rpi4;
use bulkhead_board_rpi4::console::{DivisorError, MAX_ERROR_PERMILLE, pl011_divisor};
use bulkhead_image::{
    CONSOLE_BUFFER_MAX, CONSOLE_BUFFER_MIN, CONSOLE_BUFFER_TOTAL_MAX, ChannelKind, ChannelSpec, ImageSpec, ModuleSpec,
    NAME_MAX_LEN, PartitionSpec, PortSpec, STACK_GUARD_SIZE, ScheduleSpec, ThreadSpec, WindowSpec,
};

use crate::desc::{self, Description, Direction, Kind, S};
use crate::diag::{Diagnostics, closest, error, warning};
use crate::layout::{self, MIN_DURATION_NS, PAGE_SIZE, PlaceError, Request, TICK_HZ};
use crate::units::{fmt_ns, fmt_size};

/// What `check` needs to know of a board.
#[derive(Clone, Copy, Debug)]
pub struct Board {
    /// The description's name for it (`board = "rpi4"`).
    pub name: &'static str,
    /// Cores it has.
    pub cores: u32,
    /// Clock of its PL011 console UART, Hz (every board so far has a PL011).
    pub console_clock_hz: u32,
    /// Console speed when the description sets no `console_baud`.
    pub console_baud: u32,
    /// What the name means, for `show` and the hints.
    pub about: &'static str,
    /// The ARM memory it has, `[start, end)` ascending (the default GPU
    /// split: `bulkhead_board_rpi4::memory::MODELS`). Partitions and shared
    /// regions are placed only where it meets the kernel's RAM window
    /// ([`layout::partition_area`]).
    pub ram: &'static [(u64, u64)],
    /// The devices a partition may own (`[[partition.device]]`,
    /// `devices.rs`).
    pub devices: &'static [rpi4::devices::BoardDevice],
}

impl Board {
    /// Whether the board's PL011 makes `rate` baud from its clock, with the
    /// divisor the kernel will program (`rpi4::console::pl011_divisor`);
    /// the error says why not.
    pub fn console_rate(&self, rate: u32) -> Result<(), String> {
        let clock = self.console_clock_hz;
        let mhz =
            if clock.is_multiple_of(1_000_000) { format!("{} MHz", clock / 1_000_000) } else { format!("{clock} Hz") };
        let why = match pl011_divisor(clock, rate) {
            Ok(_) => return Ok(()),
            Err(DivisorError::Zero { .. }) => "the clock or the rate is zero".to_string(),
            Err(DivisorError::TooFast { max_baud, .. }) => format!("at most {max_baud} baud, the clock / 16"),
            Err(DivisorError::TooSlow { min_baud, .. }) => {
                format!("at least {min_baud} baud, the clock / (16 x 65535)")
            }
            Err(DivisorError::Inexact { actual_baud, .. }) => format!(
                "its nearest divisor makes {actual_baud} baud, more than {}.{} % off",
                MAX_ERROR_PERMILLE / 10,
                MAX_ERROR_PERMILLE % 10
            ),
        };
        Err(format!("the PL011 at {mhz} cannot make it ({why})"))
    }
}

const fn pi4(name: &'static str, about: &'static str, model: usize) -> Board {
    Board {
        name,
        cores: rpi4::CORES as u32,
        console_clock_hz: rpi4::console::PL011_CLOCK_HZ,
        console_baud: rpi4::console::BAUD,
        about,
        ram: rpi4::memory::MODELS[model].ram,
        devices: rpi4::devices::DEVICES,
    }
}

/// Boards the tool knows; their facts come from the board crates. `rpi4`
/// is any Pi 4: the memory of the 1 GiB model, which every model has and
/// which the kernel assumes when the firmware passes no device tree; the
/// others name a model, smallest first.
pub const BOARDS: &[Board] = &[
    pi4("rpi4", "any Raspberry Pi 4 (the 1 GiB model's memory, which every model has)", 0),
    pi4("rpi4-1g", "Raspberry Pi 4, 1 GiB", 0),
    pi4("rpi4-2g", "Raspberry Pi 4, 2 GiB", 1),
    pi4("rpi4-4g", "Raspberry Pi 4, 4 GiB", 2),
    pi4("rpi4-8g", "Raspberry Pi 4, 8 GiB", 3),
];

/// The board a checked description names.
pub fn board(name: &str) -> Option<&'static Board> {
    BOARDS.iter().find(|b| b.name == name)
}
/// A partition's share of the console when it does not set `console_buffer`.
pub const DEFAULT_CONSOLE_BUFFER: u64 = 2 << 10;
/// Stack of a thread that does not set `stack`.
pub const DEFAULT_STACK: u64 = 16 << 10;
// The ABI the partitions read and the map the kernel builds agree.
const _: () = assert!(DEFAULT_STACK == bulkhead_abi::DEFAULT_STACK_SIZE);
const _: () = assert!(STACK_GUARD_SIZE == bulkhead_abi::STACK_GUARD_SIZE);
// The image parser keeps devices off the GIC CPU interface the ABI promises.
const _: () = assert!(bulkhead_image::GICC_IPA == bulkhead_abi::GICC_IPA);
const _: () = assert!(bulkhead_image::GICC_SIZE == bulkhead_abi::GICC_SIZE);
/// Priority of a thread that does not set `priority`.
pub const DEFAULT_PRIORITY: u32 = 1;

/// A checked description: what goes into the system image, without the
/// partition binaries (`pack` adds their segments and entry points).
#[derive(Clone, Debug)]
pub struct System {
    /// The image contents; partitions have no segments yet and their
    /// `entry_ipa` is their `ipa_base`.
    pub spec: ImageSpec,
    /// The board.
    pub board: String,
    /// Per partition id, the `image` value (crate name or ELF path).
    pub images: Vec<String>,
}

/// The outcome of `check`: every diagnostic, and the system if no error.
#[derive(Debug)]
pub struct Checked {
    /// The resolved system, when there is no error.
    pub system: Option<System>,
    /// Errors and warnings.
    pub diags: Diagnostics,
}

struct Port<'a> {
    partition: usize,
    desc: &'a desc::PortDesc,
    name: &'a S<String>,
    /// The channel end that already uses the port, if any.
    used_by: Option<Range<usize>>,
}

/// Check a description's text.
pub fn check(source: &str) -> Checked {
    let mut diags = Diagnostics::default();
    let desc = desc::read(source, &mut diags);
    if desc.syntax_errors > 0 {
        // What the parser recovered is partial; checking it would report
        // missing objects that are only hidden by the syntax error.
        return Checked { system: None, diags };
    }
    let system = Checker { desc: &desc, diags: &mut diags }.run();
    let system = if diags.errors() == 0 { system } else { None };
    Checked { system, diags }
}

pub(crate) struct Checker<'a> {
    pub(crate) desc: &'a Description,
    pub(crate) diags: &'a mut Diagnostics,
}

pub(crate) fn check_name(name: &S<String>, what: &str, diags: &mut Diagnostics) {
    let n = &name.value;
    if n.is_empty() {
        diags.push(error(name.span.clone(), format!("{what} name is empty")).hint("give it a name"));
    } else if n.len() > NAME_MAX_LEN {
        diags.push(
            error(name.span.clone(), format!("{what} name \"{n}\" is {} bytes, longer than {NAME_MAX_LEN}", n.len()))
                .hint("shorten it: the system image stores names in 32-byte fields"),
        );
    } else if let Some(c) = n.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
        diags
            .push(error(name.span.clone(), format!("{what} name \"{n}\" contains {c:?}")).hint(
                "names use ASCII letters, digits, '_' and '-'; '.' separates partition and port in channel ends",
            ));
    }
}

/// Report names that repeat (within one scope); returns first spans by name.
pub(crate) fn unique<'n>(
    names: impl Iterator<Item = &'n S<String>>,
    what: &str,
    scope: &str,
    diags: &mut Diagnostics,
) -> HashMap<&'n str, Range<usize>> {
    let mut seen: HashMap<&'n str, Range<usize>> = HashMap::new();
    for name in names {
        if let Some(first) = seen.get(name.value.as_str()) {
            diags.push(
                error(name.span.clone(), format!("duplicate {what} name \"{}\"{scope}", name.value))
                    .note(first.clone(), "first defined here")
                    .hint(format!("rename one of the two; {what} names are unique{scope}")),
            );
        } else {
            seen.insert(&name.value, name.span.clone());
        }
    }
    seen
}

fn check_duration(d: &S<u64>, what: &str, diags: &mut Diagnostics) -> bool {
    if d.value == 0 {
        diags.push(error(d.span.clone(), format!("{what} is zero")).hint("give it a length, e.g. \"1ms\""));
        false
    } else if d.value < MIN_DURATION_NS {
        diags.push(
            error(
                d.span.clone(),
                format!(
                    "{what} is {}, shorter than one tick of the {} MHz system counter ({:.1} ns)",
                    fmt_ns(d.value),
                    TICK_HZ / 1_000_000,
                    1e9 / TICK_HZ as f64
                ),
            )
            .hint(format!("the kernel cannot time it; use at least {}", fmt_ns(MIN_DURATION_NS))),
        );
        false
    } else {
        true
    }
}

/// Whether a thread's stack counts towards its partition's total (an
/// invalid stack is reported on its own, not again in the total).
pub(crate) fn stacks_ok_for(t: &desc::ThreadDesc) -> bool {
    t.stack.as_ref().is_none_or(|s| s.value != 0 && s.value.is_multiple_of(PAGE_SIZE))
}

fn mask_of(cores: &[u32]) -> u32 {
    cores.iter().fold(0, |m, c| m | 1u32.checked_shl(*c).unwrap_or(0))
}

impl Checker<'_> {
    fn run(&mut self) -> Option<System> {
        let (module_name, board, cores, console_baud) = self.module();
        let partition_ids = self.partitions(cores);
        self.heaps();
        // An unknown board was reported; place as for any Pi 4.
        let known = board.as_deref().and_then(self::board).unwrap_or(&BOARDS[0]);
        let (bases, region_bases) = self.memory(known);
        let regions = self.regions(&region_bases);
        let devices = self.devices(known, regions.as_deref());
        let (schedules, initial_index) = self.schedules(&partition_ids);
        self.initial_coverage(initial_index);
        self.health();
        let channels = self.channels(&partition_ids);

        let d = self.desc;
        let mut spec = ImageSpec {
            module: ModuleSpec { name: module_name?, core_count: cores, console_baud },
            schedules: schedules?,
            partitions: Vec::new(),
            threads: Vec::new(),
            channels: channels?,
            health: self.health_entries(),
            regions: regions?,
            devices: devices?,
        };
        let mut images = Vec::new();
        for (id, p) in d.partitions.iter().enumerate() {
            spec.partitions.push(PartitionSpec {
                name: p.name.as_ref()?.value.clone(),
                system: p.system.as_ref().is_some_and(|s| s.value),
                write_execute: p.allow_write_execute.as_ref().is_some_and(|w| w.value),
                initialization: p.initialization.as_ref().is_some_and(|w| w.value),
                phys_base: (*bases.get(id)?)?,
                memory_size: p.memory.as_ref()?.value,
                ipa_base: layout::PARTITION_IPA_BASE,
                entry_ipa: layout::PARTITION_IPA_BASE,
                console_buffer: p.console_buffer.as_ref().map_or(DEFAULT_CONSOLE_BUFFER, |c| c.value) as u32,
                heap_size: p.heap.as_ref().map_or(0, |h| h.value),
                segments: Vec::new(),
            });
            images.push(p.image.as_ref()?.value.clone());
            for t in &p.threads {
                let cores: Vec<u32> = t.cores.as_ref()?.value.iter().map(|c| c.value as u32).collect();
                spec.threads.push(ThreadSpec {
                    name: t.name.as_ref()?.value.clone(),
                    partition: id as u32,
                    affinity: mask_of(&cores),
                    priority: t.priority.as_ref().map_or(DEFAULT_PRIORITY, |p| p.value as u32),
                    period_ns: t.period.as_ref().map(|p| p.value),
                    deadline_ns: t.deadline.as_ref().map(|p| p.value),
                    stack_size: t.stack.as_ref().map_or(DEFAULT_STACK, |s| s.value),
                });
            }
        }
        // Only a description clean so far goes to the scheduler and the
        // image parser: their verdicts on a broken one would repeat, in
        // their terms, what was already said above.
        if self.diags.errors() > 0 {
            return None;
        }
        self.plan(&spec);
        if self.diags.errors() > 0 {
            return None;
        }
        // Belt and braces: what the image parser would say about it. A
        // failure here is a gap in the checks above, reported rather than
        // hidden.
        match spec.to_bytes().map(|b| bulkhead_image::SystemImage::parse(&b).map(|_| ())) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.diags.push(error(0..0, format!("internal: the image would be rejected: {e}"))),
            Err(e) => self.diags.push(error(0..0, format!("internal: the image cannot be written: {e}"))),
        }
        Some(System { spec, board: board?, images })
    }

    /// Scheduling rule 4 (docs/DESIGN.md#scheduling-rule-4): the kernel's
    /// own plan (`bulkhead-sched`) validates and places the threads exactly
    /// as at boot, so the tool accepts exactly what the kernel will run.
    /// Threads of one partition that the placement puts on one core are no
    /// error: they share it by priority.
    fn plan(&mut self, spec: &ImageSpec) {
        let d = self.desc;
        let inputs = match crate::plan::PlanInputs::new(spec) {
            Ok(inputs) => inputs,
            Err(e) => {
                self.diags.push(error(0..0, e).hint("the scheduler's limits are in kernel/sched/src/lib.rs"));
                return;
            }
        };
        let schedules = inputs.schedules();
        if let Err(e) = inputs.plan(&schedules) {
            use bulkhead_sched::PlanError as P;
            let diag = match e {
                P::TooManyWindows { schedule, windows, max } => error(
                    d.schedules
                        .get(usize::from(schedule.0))
                        .and_then(|s| s.name.as_ref())
                        .map_or(0..0, |n| n.span.clone()),
                    format!(
                        "schedule \"{}\" has {windows} windows; the scheduler takes at most {max}",
                        spec.schedules.get(usize::from(schedule.0)).map_or("?", |s| s.name.as_str())
                    ),
                )
                .hint("use fewer, longer windows (adjacent windows of one partition can be merged)"),
                P::TooManyThreads { threads, max } => {
                    error(0..0, format!("the module has {threads} threads; the scheduler takes at most {max}"))
                        .hint("merge threads or partitions")
                }
                other => error(0..0, format!("the scheduler refuses the module: {other}"))
                    .hint("the scheduler's limits are in kernel/sched/src/lib.rs"),
            };
            self.diags.push(diag);
        }
    }

    fn module(&mut self) -> (Option<String>, Option<String>, u32, u32) {
        let Some(m) = &self.desc.module else {
            return (None, None, 4, rpi4::console::BAUD);
        };
        if let Some(name) = &m.name {
            check_name(name, "module", self.diags);
        }
        let mut known_board = None;
        if let Some(board) = &m.board {
            match BOARDS.iter().find(|b| b.name == board.value) {
                Some(b) => known_board = Some(*b),
                None => {
                    let names: Vec<&str> = BOARDS.iter().map(|b| b.name).collect();
                    self.diags.push(
                        error(board.span.clone(), format!("unknown board \"{}\"", board.value))
                            .hint(format!("supported boards: {}", names.join(", "))),
                    );
                }
            }
        }
        let board_cores = known_board.map(|b| b.cores);
        let max = board_cores.unwrap_or(4);
        let cores = match &m.cores {
            Some(c) if c.value >= 1 && c.value <= i64::from(max) => c.value as u32,
            // An unknown board was reported above; its core count is unknown.
            Some(_) if board_cores.is_none() => max,
            Some(c) => {
                let board = m.board.as_ref().map_or("rpi4", |b| b.value.as_str());
                self.diags.push(
                    error(c.span.clone(), format!("module has cores = {} but board {board} has {max} cores", c.value))
                        .hint(format!("set cores to 1..={max}")),
                );
                max
            }
            None => max,
        };
        let console_baud = self.console_baud(m, known_board);
        (m.name.as_ref().map(|n| n.value.clone()), m.board.as_ref().map(|b| b.value.clone()), cores, console_baud)
    }

    /// `console_baud`: a rate the board's PL011 makes from its clock, with
    /// the divisor the kernel will program (`rpi4::console::pl011_divisor`).
    fn console_baud(&mut self, m: &desc::ModuleDesc, board: Option<Board>) -> u32 {
        let default = board.map_or(rpi4::console::BAUD, |b| b.console_baud);
        let Some(baud) = &m.console_baud else { return default };
        let hint = format!("console_baud is the console speed in baud; leave it out for {default}, or use e.g. 921600");
        let Some(rate) = u32::try_from(baud.value).ok().filter(|&r| r > 0) else {
            self.diags.push(
                error(baud.span.clone(), format!("module.console_baud = {}: not a baud rate", baud.value)).hint(hint),
            );
            return default;
        };
        // An unknown board was reported above; its UART clock is unknown.
        let Some(board) = board else { return rate };
        match board.console_rate(rate) {
            Ok(()) => rate,
            Err(why) => {
                self.diags.push(error(baud.span.clone(), format!("module.console_baud = {rate}: {why}")).hint(hint));
                default
            }
        }
    }

    /// Per-partition checks; returns the id of each partition name.
    fn partitions(&mut self, cores: u32) -> HashMap<String, usize> {
        let d = self.desc;
        if d.partitions.is_empty() {
            self.diags.push(
                error(0..0, "the description has no [[partition]]")
                    .hint("add a [[partition]] with a name, memory, image and a [[partition.thread]]"),
            );
        }
        for p in &d.partitions {
            if let Some(name) = &p.name {
                check_name(name, "partition", self.diags);
            }
        }
        let first = unique(d.partitions.iter().filter_map(|p| p.name.as_ref()), "partition", "", self.diags);
        let mut ids = HashMap::new();
        for (id, p) in d.partitions.iter().enumerate() {
            if let Some(name) = &p.name
                && first.get(name.value.as_str()) == Some(&name.span)
            {
                ids.insert(name.value.clone(), id);
            }
        }

        for p in &d.partitions {
            let pname = p.name.as_ref().map_or("?", |n| n.value.as_str());
            if let Some(mem) = &p.memory {
                if mem.value == 0 {
                    self.diags.push(
                        error(mem.span.clone(), format!("partition \"{pname}\" has zero memory"))
                            .hint("give it at least its image, stacks and data, e.g. memory = \"4MiB\""),
                    );
                } else if mem.value % PAGE_SIZE != 0 {
                    self.diags.push(
                        error(
                            mem.span.clone(),
                            format!(
                                "partition \"{pname}\" memory {} is not a multiple of the 4KiB page",
                                fmt_size(mem.value)
                            ),
                        )
                        .hint(format!(
                            "round it up to memory = \"{}\"",
                            fmt_size(mem.value.next_multiple_of(PAGE_SIZE))
                        )),
                    );
                } else if mem.value > layout::MAX_PARTITION_MEMORY {
                    self.diags.push(
                        error(
                            mem.span.clone(),
                            format!(
                                "partition \"{pname}\" memory {} is larger than the {} a partition may have",
                                fmt_size(mem.value),
                                fmt_size(layout::MAX_PARTITION_MEMORY)
                            ),
                        )
                        .hint(format!(
                            "a partition sees its memory at IPA {:#x}, below the shared memory regions at {:#x}; \
                             split it, or share data through a [[memory_region]]",
                            layout::PARTITION_IPA_BASE,
                            layout::REGION_IPA_BASE
                        )),
                    );
                }
            }
            if let Some(allow) = &p.allow_write_execute
                && allow.value
            {
                self.diags.push(
                    warning(
                        allow.span.clone(),
                        format!(
                            "partition \"{pname}\" allows writable and executable memory: W^X is off for its image's segments, so a stray write can become code"
                        ),
                    )
                    .hint("leave allow_write_execute out unless the partition writes its own code; linker/partition.ld keeps text and data on separate pages"),
                );
            }
            if let Some(image) = &p.image
                && image.value.trim().is_empty()
            {
                self.diags.push(
                    error(image.span.clone(), format!("partition \"{pname}\" has an empty image"))
                        .hint("name a crate under partitions/ or a path to an ELF file"),
                );
            }
            if p.threads.is_empty() {
                self.diags.push(
                    error(p.span.clone(), format!("partition \"{pname}\" has no thread"))
                        .hint("add a [[partition.thread]] with a name and a core"),
                );
            }
            for t in &p.threads {
                if let Some(name) = &t.name {
                    check_name(name, "thread", self.diags);
                }
            }
            unique(
                p.threads.iter().filter_map(|t| t.name.as_ref()),
                "thread",
                &format!(" in partition \"{pname}\""),
                self.diags,
            );
            // Every stack sits above an unmapped guard page of its own
            // (bulkhead_image::MemoryMap): both count.
            let mut stacks = 0u64;
            for t in &p.threads {
                let tname = format!("{pname}.{}", t.name.as_ref().map_or("?", |n| n.value.as_str()));
                let mut mask = 0u32;
                let mut cores_ok = true;
                if let Some(list) = &t.cores {
                    if list.value.is_empty() {
                        cores_ok = false;
                        self.diags.push(
                            error(list.span.clone(), format!("thread \"{tname}\" has an empty core list"))
                                .hint(format!("name at least one core of 0..={}", cores - 1)),
                        );
                    }
                    for c in &list.value {
                        if c.value < 0 || c.value >= i64::from(cores) {
                            cores_ok = false;
                            self.diags.push(
                                error(
                                    c.span.clone(),
                                    format!(
                                        "thread \"{tname}\" names core {} but the module has {cores} cores (0..={})",
                                        c.value,
                                        cores - 1
                                    ),
                                )
                                .hint(format!("use a core of 0..={}, or raise [module] cores", cores - 1)),
                            );
                        } else if mask & (1 << c.value) != 0 {
                            cores_ok = false;
                            self.diags.push(
                                error(c.span.clone(), format!("thread \"{tname}\" lists core {} twice", c.value))
                                    .hint("list each core once"),
                            );
                        } else {
                            mask |= 1 << c.value;
                        }
                    }
                    let _ = cores_ok;
                }
                if let Some(prio) = &t.priority
                    && !(0..=255).contains(&prio.value)
                {
                    self.diags.push(
                        error(
                            prio.span.clone(),
                            format!("thread \"{tname}\" priority {} is outside 0..=255", prio.value),
                        )
                        .hint("priorities are 0 (lowest) to 255 (highest)"),
                    );
                }
                let period_ok = t
                    .period
                    .as_ref()
                    .is_some_and(|p| check_duration(p, &format!("period of thread \"{tname}\""), self.diags));
                let deadline_ok = t
                    .deadline
                    .as_ref()
                    .is_some_and(|d| check_duration(d, &format!("deadline of thread \"{tname}\""), self.diags));
                if let (Some(period), Some(deadline), true, true) = (&t.period, &t.deadline, period_ok, deadline_ok)
                    && deadline.value > period.value
                {
                    self.diags.push(
                        error(
                            deadline.span.clone(),
                            format!(
                                "thread \"{tname}\" deadline {} is longer than its period {}",
                                fmt_ns(deadline.value),
                                fmt_ns(period.value)
                            ),
                        )
                        .note(period.span.clone(), "period set here")
                        .hint(format!("set deadline to at most \"{}\"", fmt_ns(period.value))),
                    );
                }
                // ARINC 653: a process's period is a multiple of its
                // partition's. Here, of the major frame of each schedule
                // that gives the partition a window: else its release
                // points fall at another place in its windows each frame
                // (and some outside them).
                if let (Some(period), true) = (&t.period, period_ok) {
                    for s in &self.desc.schedules {
                        let (Some(name), Some(major)) = (&s.name, &s.major_frame) else { continue };
                        let owns = s.windows.iter().any(|w| w.partition.as_ref().is_some_and(|n| n.value == *pname));
                        if owns && major.value != 0 && !period.value.is_multiple_of(major.value) {
                            self.diags.push(
                                warning(
                                    period.span.clone(),
                                    format!(
                                        "thread \"{tname}\" period {} is not a multiple of schedule \"{}\"'s major frame {}: its release points fall at a different offset in each frame, some outside its partition's windows",
                                        fmt_ns(period.value),
                                        name.value,
                                        fmt_ns(major.value)
                                    ),
                                )
                                .note(major.span.clone(), "major frame set here")
                                .hint(format!("use a multiple of \"{}\"", fmt_ns(major.value))),
                            );
                        }
                    }
                }
                let stack = t.stack.as_ref().map_or(DEFAULT_STACK, |s| s.value);
                if let Some(s) = &t.stack
                    && (s.value == 0 || !s.value.is_multiple_of(PAGE_SIZE))
                {
                    self.diags.push(
                        error(
                            s.span.clone(),
                            format!(
                                "thread \"{tname}\" stack {} is not a non-zero multiple of 4KiB",
                                fmt_size(s.value)
                            ),
                        )
                        .hint(format!(
                            "use stack = \"{}\" (stacks are whole pages, guarded by unmapped ones)",
                            fmt_size(s.value.max(1).next_multiple_of(PAGE_SIZE))
                        )),
                    );
                }
                if stacks_ok_for(t) {
                    stacks = stacks.saturating_add(stack).saturating_add(STACK_GUARD_SIZE);
                }
            }
            if let Some(mem) = &p.memory
                && mem.value != 0
                && mem.value.is_multiple_of(PAGE_SIZE)
                && stacks > mem.value
            {
                self.diags.push(
                    error(
                        mem.span.clone(),
                        format!(
                            "partition \"{pname}\" memory {} cannot hold its thread stacks and their guard pages ({} in total)",
                            fmt_size(mem.value),
                            fmt_size(stacks)
                        ),
                    )
                    .hint("raise memory or shrink the stacks"),
                );
            }

            for port in &p.ports {
                if let Some(name) = &port.name {
                    check_name(name, "port", self.diags);
                }
                if let Some(size) = &port.message_size
                    && (size.value == 0 || size.value > u64::from(u32::MAX))
                {
                    self.diags.push(
                        error(
                            size.span.clone(),
                            format!(
                                "port \"{pname}.{}\" message_size {} is outside 1B..4GiB",
                                port.name.as_ref().map_or("?", |n| n.value.as_str()),
                                fmt_size(size.value)
                            ),
                        )
                        .hint("give the largest message in bytes, e.g. \"64B\""),
                    );
                }
            }
            unique(
                p.ports.iter().filter_map(|t| t.name.as_ref()),
                "port",
                &format!(" in partition \"{pname}\""),
                self.diags,
            );
        }
        self.console_buffers();
        ids
    }

    /// Each partition's `console_buffer` within the kernel's bounds, and all
    /// of them together within the console pool the kernel sets aside.
    fn console_buffers(&mut self) {
        let d = self.desc;
        let (min, max) = (u64::from(CONSOLE_BUFFER_MIN), u64::from(CONSOLE_BUFFER_MAX));
        let mut total = 0u64;
        let mut crossing = None;
        for p in &d.partitions {
            let pname = p.name.as_ref().map_or("?", |n| n.value.as_str());
            let (size, span) = match &p.console_buffer {
                Some(c) if (min..=max).contains(&c.value) => (c.value, c.span.clone()),
                Some(c) => {
                    self.diags.push(
                        error(
                            c.span.clone(),
                            format!(
                                "partition \"{pname}\" console_buffer {} is outside {}..={}",
                                fmt_size(c.value),
                                fmt_size(min),
                                fmt_size(max)
                            ),
                        )
                        .hint(format!(
                            "set console_buffer = \"{}\": the bytes of console output the kernel holds for the partition",
                            fmt_size(c.value.clamp(min, max))
                        )),
                    );
                    continue;
                }
                None => (DEFAULT_CONSOLE_BUFFER, p.name.as_ref().map_or(p.span.clone(), |n| n.span.clone())),
            };
            total += size;
            if total > CONSOLE_BUFFER_TOTAL_MAX && crossing.is_none() {
                crossing = Some((pname, size, span, p.console_buffer.is_none()));
            }
        }
        if let Some((pname, size, span, default)) = crossing {
            self.diags.push(
                error(
                    span,
                    format!(
                        "partition \"{pname}\" console_buffer {}{} takes the console buffers of all partitions to {}, {} more than the {} the kernel holds",
                        fmt_size(size),
                        if default { " (the default)" } else { "" },
                        fmt_size(total),
                        fmt_size(total - CONSOLE_BUFFER_TOTAL_MAX),
                        fmt_size(CONSOLE_BUFFER_TOTAL_MAX)
                    ),
                )
                .hint(format!(
                    "shrink console_buffer of some partitions by {} in all (each {}..={}, default {})",
                    fmt_size(total - CONSOLE_BUFFER_TOTAL_MAX),
                    fmt_size(min),
                    fmt_size(max),
                    fmt_size(DEFAULT_CONSOLE_BUFFER)
                )),
            );
        }
    }

    /// Physical placement: every partition's memory, then every shared
    /// memory region's, in declaration order (so a region never moves a
    /// partition), pinned ones where `base` says. Returns the bases of the
    /// partitions and of the regions.
    fn memory(&mut self, board: &Board) -> (Vec<Option<u64>>, Vec<Option<u64>>) {
        let d = self.desc;
        // What asks for memory: a partition (by index) or a region.
        #[derive(Clone, Copy)]
        enum Owner {
            Partition(usize),
            Region(usize),
        }
        let mut requests = Vec::new();
        let mut owners = Vec::new();
        let partitions = d.partitions.iter().enumerate().map(|(i, p)| (Owner::Partition(i), &p.memory, &p.base));
        let regions = d.regions.iter().enumerate().map(|(i, r)| (Owner::Region(i), &r.size, &r.base));
        for (owner, size, base) in partitions.chain(regions) {
            let Some(size) = size else { continue };
            if size.value == 0 || size.value % PAGE_SIZE != 0 {
                continue;
            }
            let pinned = match base {
                Some(b) if b.value < 0 || !(b.value as u64).is_multiple_of(PAGE_SIZE) => {
                    let what = if matches!(owner, Owner::Partition(_)) { "partition" } else { "memory region" };
                    self.diags.push(
                        error(b.span.clone(), format!("{what} base {:#x} is not 4KiB aligned", b.value))
                            .hint("use a multiple of 0x1000, or drop `base` and let the tool place it"),
                    );
                    continue;
                }
                Some(b) => Some(b.value as u64),
                None => None,
            };
            requests.push(Request { size: size.value, pinned });
            owners.push(owner);
        }
        let area = layout::partition_area(board.ram);
        let (bases, errors) = layout::place(&requests, &area);
        // `partition "a"` / `memory region "t"`, and the subject of a
        // sentence about its memory.
        let name = |i: usize| match owners[i] {
            Owner::Partition(p) => {
                format!("partition \"{}\"", d.partitions[p].name.as_ref().map_or("?", |n| n.value.as_str()))
            }
            Owner::Region(r) => {
                format!("memory region \"{}\"", d.regions[r].name.as_ref().map_or("?", |n| n.value.as_str()))
            }
        };
        let subject = |i: usize| match owners[i] {
            Owner::Partition(_) => format!("{} memory", name(i)),
            Owner::Region(_) => name(i),
        };
        let span = |i: usize| {
            let (base, size, whole) = match owners[i] {
                Owner::Partition(p) => (&d.partitions[p].base, &d.partitions[p].memory, &d.partitions[p].span),
                Owner::Region(r) => (&d.regions[r].base, &d.regions[r].size, &d.regions[r].span),
            };
            base.as_ref().map(|b| b.span.clone()).or(size.as_ref().map(|m| m.span.clone())).unwrap_or(whole.clone())
        };
        let range = |i: usize| {
            let r = requests[i];
            let base = r.pinned.or(bases[i]).unwrap_or(0);
            format!("{base:#x}..{:#x}", base.saturating_add(r.size))
        };
        let region = format!("{} of board {}", layout::fmt_area(&area), board.name);
        let area_size: u64 = area.iter().map(|r| r.end - r.start).sum();
        // The smallest model whose partition RAM would take what this
        // board's does not, for the hint.
        let larger = |fits: &dyn Fn(&[Range<u64>]) -> bool| {
            BOARDS[1..]
                .iter()
                .find(|b| {
                    let a = layout::partition_area(b.ram);
                    a.iter().map(|r| r.end - r.start).sum::<u64>() > area_size && fits(&a)
                })
                .map(|b| format!(", or name a larger model: board = \"{}\" ({})", b.name, b.about))
                .unwrap_or_default()
        };
        for e in errors {
            let diag = match e {
                PlaceError::OutsideRegion { index } => {
                    let r = requests[index];
                    let base = r.pinned.unwrap_or(0);
                    let inside = |a: &[Range<u64>]| {
                        base.checked_add(r.size).is_some_and(|end| a.iter().any(|x| x.start <= base && end <= x.end))
                    };
                    error(
                        span(index),
                        format!("{} {} is outside the partition RAM {region}", subject(index), range(index)),
                    )
                    .hint(format!("pick a base inside it, or drop `base` and let the tool place it{}", larger(&inside)))
                }
                PlaceError::Overlap { index, other } => error(
                    span(index),
                    format!("{} {} overlaps {} at {}", subject(index), range(index), name(other), range(other)),
                )
                .note(span(other), format!("{} pinned here", name(other)))
                .hint("move one base, or drop `base` and let the tool place it"),
                PlaceError::NoRoom { index, largest_gap } => {
                    let total = requests.iter().fold(0u64, |t, r| t.saturating_add(r.size));
                    let shrink = match owners[index] {
                        Owner::Partition(_) => "partitions",
                        Owner::Region(_) => "partitions or memory regions",
                    };
                    error(
                        span(index),
                        format!(
                            "{} {} does not fit in the partition RAM {region} ({} in total requested, largest free gap {})",
                            subject(index),
                            fmt_size(requests[index].size),
                            fmt_size(total),
                            fmt_size(largest_gap)
                        ),
                    )
                    .hint(format!(
                        "it holds {}; shrink {shrink} (placement aligns each to 2MiB){}",
                        fmt_size(area_size),
                        larger(&|_: &[Range<u64>]| true)
                    ))
                }
            };
            self.diags.push(diag);
        }
        let mut partition_bases = vec![None; d.partitions.len()];
        let mut region_bases = vec![None; d.regions.len()];
        for (i, base) in bases.into_iter().enumerate() {
            match owners[i] {
                Owner::Partition(p) => partition_bases[p] = base,
                Owner::Region(r) => region_bases[r] = base,
            }
        }
        (partition_bases, region_bases)
    }

    fn partition_ref(&mut self, name: &S<String>, ids: &HashMap<String, usize>, what: &str) -> Option<usize> {
        if let Some(&id) = ids.get(&name.value) {
            return Some(id);
        }
        let names = self.desc.partitions.iter().filter_map(|p| p.name.as_ref()).map(|n| n.value.as_str());
        let hint = match closest(&name.value, names.clone()) {
            Some(c) => format!("did you mean \"{c}\"?"),
            None => format!("partitions are: {}", names.collect::<Vec<_>>().join(", ")),
        };
        self.diags.push(
            error(name.span.clone(), format!("{what} names partition \"{}\", which does not exist", name.value))
                .hint(hint),
        );
        None
    }

    /// Returns the resolved schedules (if every window resolved) and the
    /// index of the initial schedule.
    fn schedules(&mut self, ids: &HashMap<String, usize>) -> (Option<Vec<ScheduleSpec>>, Option<usize>) {
        let d = self.desc;
        if d.schedules.is_empty() {
            self.diags.push(
                error(0..0, "the description has no [[schedule]]")
                    .hint("add a [[schedule]] with a major_frame and [[schedule.window]]s"),
            );
            return (None, None);
        }
        for s in &d.schedules {
            if let Some(name) = &s.name {
                check_name(name, "schedule", self.diags);
            }
        }
        unique(d.schedules.iter().filter_map(|s| s.name.as_ref()), "schedule", "", self.diags);
        let initial: Vec<usize> = d
            .schedules
            .iter()
            .enumerate()
            .filter(|(_, s)| s.initial.as_ref().is_some_and(|i| i.value))
            .map(|(i, _)| i)
            .collect();
        let initial_index = match initial.as_slice() {
            [] if d.schedules.len() == 1 => Some(0),
            [] => {
                self.diags.push(
                    error(
                        d.schedules[0].span.clone(),
                        format!("none of the {} schedules is marked initial", d.schedules.len()),
                    )
                    .hint("set `initial = true` on the schedule the module boots with"),
                );
                None
            }
            [one] => Some(*one),
            [first, rest @ ..] => {
                let span_of =
                    |i: usize| d.schedules[i].initial.as_ref().map_or(d.schedules[i].span.clone(), |s| s.span.clone());
                let name_of = |i: usize| d.schedules[i].name.as_ref().map_or("?".to_string(), |n| n.value.clone());
                for &other in rest {
                    self.diags.push(
                        error(
                            span_of(other),
                            format!(
                                "schedule \"{}\" is marked initial, but so is schedule \"{}\"",
                                name_of(other),
                                name_of(*first)
                            ),
                        )
                        .note(span_of(*first), "first initial schedule")
                        .hint("exactly one schedule is initial; the others are switched to at run time"),
                    );
                }
                Some(*first)
            }
        };

        let mut out = Some(Vec::new());
        for (si, s) in d.schedules.iter().enumerate() {
            let sname = s.name.as_ref().map_or("?", |n| n.value.as_str());
            let major_ok = s
                .major_frame
                .as_ref()
                .is_some_and(|m| check_duration(m, &format!("major frame of schedule \"{sname}\""), self.diags));
            if s.windows.is_empty() {
                self.diags.push(
                    warning(
                        s.span.clone(),
                        format!("schedule \"{sname}\" has no window: the whole major frame is spare"),
                    )
                    .hint("add [[schedule.window]]s"),
                );
            }
            let mut windows = Some(Vec::new());
            let mut sum = 0u64;
            // A sum past u64 (windows of centuries) saturates `sum`; it
            // exceeds any major frame the image can hold.
            let mut sum_overflows = false;
            let mut sum_ok = true;
            let mut single_too_long = false;
            for (wi, w) in s.windows.iter().enumerate() {
                let what = format!("window {} of schedule \"{sname}\"", wi + 1);
                let owner = match (&w.partition, &w.spare) {
                    (Some(p), None) => self.partition_ref(p, ids, &what).map(|id| Some(id as u32)),
                    (Some(p), Some(sp)) => {
                        self.diags.push(
                            error(sp.span.clone(), format!("{what} has both `partition` and `spare`"))
                                .note(p.span.clone(), "partition set here")
                                .hint("a window is owned by one partition or is spare time, not both"),
                        );
                        None
                    }
                    (None, Some(sp)) if sp.value => Some(None),
                    (None, Some(sp)) => {
                        self.diags.push(
                            error(sp.span.clone(), format!("{what} has `spare = false` and no partition"))
                                .hint("set `partition = \"name\"`, or `spare = true` for idle time"),
                        );
                        None
                    }
                    (None, None) => {
                        self.diags.push(
                            error(w.span.clone(), format!("{what} has neither `partition` nor `spare`"))
                                .hint("set `partition = \"name\"`, or `spare = true` for idle time"),
                        );
                        None
                    }
                };
                let duration =
                    w.duration.as_ref().filter(|dur| check_duration(dur, &format!("duration of {what}"), self.diags));
                if let (Some(dur), Some(m), true) = (duration, &s.major_frame, major_ok)
                    && dur.value > m.value
                {
                    single_too_long = true;
                    self.diags.push(
                        error(
                            dur.span.clone(),
                            format!(
                                "{what} lasts {}, longer than the major frame {}",
                                fmt_ns(dur.value),
                                fmt_ns(m.value)
                            ),
                        )
                        .note(m.span.clone(), "major frame set here")
                        .hint(format!("shorten the window to at most \"{}\" or lengthen major_frame", fmt_ns(m.value))),
                    );
                }
                match (owner, duration) {
                    (Some(owner), Some(dur)) => {
                        sum = sum.checked_add(dur.value).unwrap_or_else(|| {
                            sum_overflows = true;
                            u64::MAX
                        });
                        if let Some(ws) = windows.as_mut() {
                            ws.push(WindowSpec { owner, duration_ns: dur.value });
                        }
                    }
                    (_, d) => {
                        sum_ok &= d.is_some();
                        windows = None;
                    }
                }
            }
            if let (Some(m), true, true, false) = (&s.major_frame, major_ok, sum_ok, single_too_long)
                && (sum > m.value || sum_overflows)
            {
                let excess = sum - m.value;
                let (total, more) = if sum_overflows {
                    (format!("more than {}", fmt_ns(u64::MAX)), "more".to_string())
                } else {
                    (fmt_ns(sum), format!("{} more", fmt_ns(excess)))
                };
                let mut diag = error(
                    m.span.clone(),
                    format!(
                        "windows of schedule \"{sname}\" sum to {total}, {more} than the major frame {}",
                        fmt_ns(m.value)
                    ),
                );
                let mut end = 0u64;
                for (wi, w) in s.windows.iter().enumerate() {
                    let Some(dur) = &w.duration else { continue };
                    let start = end;
                    end = end.saturating_add(dur.value);
                    if end > m.value {
                        let owner =
                            w.partition.as_ref().map_or("spare".to_string(), |p| format!("partition \"{}\"", p.value));
                        diag = diag.note(
                            w.span.clone(),
                            format!(
                                "window {} ({owner}, {}..{}) ends past the frame",
                                wi + 1,
                                fmt_ns(start),
                                fmt_ns(end)
                            ),
                        );
                        break;
                    }
                }
                self.diags.push(diag.hint(if sum_overflows {
                    "shorten the windows: they must sum to at most the major frame".to_string()
                } else {
                    format!("shorten the windows by {} or set major_frame = \"{}\"", fmt_ns(excess), fmt_ns(sum))
                }));
            }
            match (windows, &s.name, &s.major_frame, major_ok, out.as_mut()) {
                (Some(windows), Some(name), Some(m), true, Some(list)) => list.push(ScheduleSpec {
                    name: name.value.clone(),
                    major_frame_ns: m.value,
                    initial: Some(si) == initial_index,
                    windows,
                }),
                _ => out = None,
            }
        }
        (out, initial_index)
    }

    /// Warn about partitions that own no window in the initial schedule.
    fn initial_coverage(&mut self, initial: Option<usize>) {
        let d = self.desc;
        let Some(s) = initial.and_then(|i| d.schedules.get(i)) else {
            return;
        };
        let sname = s.name.as_ref().map_or("?", |n| n.value.as_str());
        for p in &d.partitions {
            let Some(name) = &p.name else { continue };
            let owns = s.windows.iter().any(|w| w.partition.as_ref().is_some_and(|o| o.value == name.value));
            if !owns {
                self.diags.push(
                    warning(name.span.clone(), format!("partition \"{}\" has no window in the initial schedule \"{sname}\", so it does not run at boot", name.value))
                        .hint(format!("add a [[schedule.window]] with partition = \"{}\" to schedule \"{sname}\" if it should", name.value)),
                );
            }
        }
    }

    /// What the kernel can hold of the channels: their count, their
    /// ports' count, and their messages' storage in its pool.
    fn channel_limits(&mut self, channels: &[ChannelSpec]) {
        let span = self.desc.channels.first().map_or(0..0, |c| c.span.clone());
        if channels.len() > bulkhead_ports::MAX_CHANNELS {
            self.diags.push(
                error(
                    span.clone(),
                    format!("{} channels, the kernel supports {}", channels.len(), bulkhead_ports::MAX_CHANNELS),
                )
                .hint("join channels that carry the same kind of data"),
            );
        }
        let ports: usize = channels.iter().map(|c| c.ports.len()).sum();
        if ports > bulkhead_ports::MAX_PORTS {
            self.diags.push(
                error(span.clone(), format!("{ports} channel ends, the kernel supports {}", bulkhead_ports::MAX_PORTS))
                    .hint("use fewer channels or fewer destinations"),
            );
        }
        let storage = |c: &ChannelSpec| bulkhead_ports::storage_bytes(c.kind.into(), c.message_size).unwrap_or(0);
        let total: usize = channels.iter().map(storage).sum();
        if total > bulkhead_ports::POOL_SIZE {
            let largest = channels.iter().rev().max_by_key(|c| storage(c)).map_or(String::new(), |c| {
                format!("; the largest is \"{}\" with {}", c.name, fmt_size(storage(c) as u64))
            });
            self.diags.push(
                error(
                    span,
                    format!(
                        "the channels' messages need {} of kernel memory, the kernel has {}{largest}",
                        fmt_size(total as u64),
                        fmt_size(bulkhead_ports::POOL_SIZE as u64)
                    ),
                )
                .hint("each queue takes depth x (message_size + 4 bytes, to 8-byte multiples), each sampling channel one such slot; shrink depths or message sizes"),
            );
        }
    }

    fn channels(&mut self, ids: &HashMap<String, usize>) -> Option<Vec<ChannelSpec>> {
        let d = self.desc;
        for c in &d.channels {
            if let Some(name) = &c.name {
                check_name(name, "channel", self.diags);
            }
        }
        unique(d.channels.iter().filter_map(|c| c.name.as_ref()), "channel", "", self.diags);
        let mut ports: HashMap<(usize, &str), Port<'_>> = HashMap::new();
        for (pid, p) in d.partitions.iter().enumerate() {
            for port in &p.ports {
                if let Some(name) = &port.name {
                    ports.entry((pid, name.value.as_str())).or_insert(Port {
                        partition: pid,
                        desc: port,
                        name,
                        used_by: None,
                    });
                }
            }
        }
        let mut out = Some(Vec::new());
        let mut unresolved = false;
        for c in &d.channels {
            let cname = c.name.as_ref().map_or("?", |n| n.value.as_str());
            let what = format!("channel \"{cname}\"");
            let kind = c.kind.as_ref().map(|k| k.value);
            let mut ok = kind.is_some() && c.message_size.is_some();
            if let Some(size) = &c.message_size
                && (size.value == 0 || size.value > u64::from(bulkhead_ports::MAX_MESSAGE_SIZE))
            {
                ok = false;
                self.diags.push(
                    error(
                        size.span.clone(),
                        format!(
                            "{what} message_size {} is outside 1B..{} (the kernel's largest message)",
                            fmt_size(size.value),
                            fmt_size(u64::from(bulkhead_ports::MAX_MESSAGE_SIZE))
                        ),
                    )
                    .hint("a port call copies a whole message with interrupts masked; send larger data in parts, or share it in a memory region"),
                );
            }
            let mut channel_kind = None;
            match kind {
                Some(Kind::Sampling) => {
                    if let Some(depth) = &c.depth {
                        ok = false;
                        self.diags.push(
                            error(depth.span.clone(), format!("{what} is a sampling channel but sets `depth`"))
                                .hint("`depth` is for queuing channels; a sampling channel sets refresh_period"),
                        );
                    }
                    match &c.refresh_period {
                        Some(r) if check_duration(r, &format!("refresh_period of {what}"), self.diags) => {
                            channel_kind = Some(ChannelKind::Sampling { refresh_period_ns: r.value });
                        }
                        Some(_) => ok = false,
                        None => {
                            ok = false;
                            self.diags.push(
                                error(c.span.clone(), format!("{what} is a sampling channel without `refresh_period`"))
                                    .hint("add refresh_period = \"40ms\": how long a message stays valid"),
                            );
                        }
                    }
                }
                Some(Kind::Queuing) => {
                    if let Some(r) = &c.refresh_period {
                        ok = false;
                        self.diags.push(
                            error(r.span.clone(), format!("{what} is a queuing channel but sets `refresh_period`"))
                                .hint("`refresh_period` is for sampling channels; a queuing channel sets depth"),
                        );
                    }
                    match &c.depth {
                        Some(depth)
                            if depth.value >= 1 && depth.value <= i64::from(bulkhead_ports::MAX_QUEUE_DEPTH) =>
                        {
                            channel_kind = Some(ChannelKind::Queuing { depth: depth.value as u32 });
                        }
                        Some(depth) if depth.value >= 1 => {
                            ok = false;
                            self.diags.push(
                                error(
                                    depth.span.clone(),
                                    format!(
                                        "{what} depth {} is over the kernel's deepest queue, {} messages",
                                        depth.value,
                                        bulkhead_ports::MAX_QUEUE_DEPTH
                                    ),
                                )
                                .hint(format!("set depth = {} or less", bulkhead_ports::MAX_QUEUE_DEPTH)),
                            );
                        }
                        Some(depth) => {
                            ok = false;
                            self.diags.push(
                                error(
                                    depth.span.clone(),
                                    format!("{what} depth {} is not a positive number of messages", depth.value),
                                )
                                .hint("set depth = 1 or more"),
                            );
                        }
                        None => {
                            ok = false;
                            self.diags.push(
                                error(c.span.clone(), format!("{what} is a queuing channel without `depth`"))
                                    .hint("add depth = 8: how many messages the queue holds"),
                            );
                        }
                    }
                }
                None => {}
            }
            if kind == Some(Kind::Queuing) && c.destinations.len() > 1 {
                ok = false;
                self.diags.push(
                    error(
                        c.span.clone(),
                        format!("{what} is a queuing channel with {} destinations", c.destinations.len()),
                    )
                    .hint("a queuing channel has one destination (each message is received once); use one channel per destination, or a sampling channel to multicast"),
                );
            }
            if c.destinations.is_empty() && c.source.is_some() {
                ok = false;
                self.diags.push(
                    error(c.span.clone(), format!("{what} has no destination"))
                        .hint("add destinations = [\"partition.port\"]"),
                );
            }
            let mut resolved = Vec::new();
            let ends = c
                .source
                .iter()
                .map(|s| (s, Direction::Source))
                .chain(c.destinations.iter().map(|s| (s, Direction::Destination)));
            for (end, direction) in ends {
                let end_what =
                    format!("{} of {what}", if direction == Direction::Source { "source" } else { "destination" });
                let Some((pname, portname)) = end.value.split_once('.') else {
                    ok = false;
                    unresolved = true;
                    self.diags.push(
                        error(end.span.clone(), format!("{end_what} \"{}\" is not \"partition.port\"", end.value))
                            .hint(format!("write \"{}.<port>\", naming a [[partition.port]]", end.value)),
                    );
                    continue;
                };
                let pref = S { value: pname.to_string(), span: end.span.clone() };
                let Some(pid) = self.partition_ref(&pref, ids, &end_what) else {
                    ok = false;
                    unresolved = true;
                    continue;
                };
                let Some(port) = ports.get_mut(&(pid, portname)) else {
                    ok = false;
                    unresolved = true;
                    let declared: Vec<&str> = d.partitions[pid]
                        .ports
                        .iter()
                        .filter_map(|p| p.name.as_ref())
                        .map(|n| n.value.as_str())
                        .collect();
                    let hint = match closest(portname, declared.iter().copied()) {
                        Some(c) => format!("did you mean \"{pname}.{c}\"?"),
                        None if declared.is_empty() => format!(
                            "partition \"{pname}\" declares no port; add a [[partition.port]] named \"{portname}\""
                        ),
                        None => format!(
                            "ports of \"{pname}\": {}; or declare \"{portname}\" with [[partition.port]]",
                            declared.join(", ")
                        ),
                    };
                    self.diags.push(
                        error(
                            end.span.clone(),
                            format!(
                                "{end_what} names port \"{}\", which partition \"{pname}\" does not declare",
                                end.value
                            ),
                        )
                        .hint(hint),
                    );
                    continue;
                };
                let port_span = port.name.span.clone();
                if let Some(dir) = &port.desc.direction
                    && dir.value != direction
                {
                    ok = false;
                    self.diags.push(
                        error(end.span.clone(), format!("{end_what} \"{}\" is a {} port", end.value, dir.value.as_str()))
                            .note(dir.span.clone(), "direction declared here")
                            .hint(format!("a channel's source is a source port and its destinations destination ports; swap them or fix `direction` of \"{}\"", end.value)),
                    );
                }
                if let (Some(pk), Some(k)) = (&port.desc.kind, kind)
                    && pk.value != k
                {
                    ok = false;
                    self.diags.push(
                        error(
                            end.span.clone(),
                            format!(
                                "{end_what}: port \"{}\" is {} but the channel is {}",
                                end.value,
                                pk.value.as_str(),
                                k.as_str()
                            ),
                        )
                        .note(pk.span.clone(), "port kind declared here")
                        .hint("both ends of a channel have the channel's kind"),
                    );
                }
                if let (Some(ps), Some(cs)) = (&port.desc.message_size, &c.message_size)
                    && ps.value != cs.value
                {
                    ok = false;
                    self.diags.push(
                        error(
                            end.span.clone(),
                            format!(
                                "{end_what}: port \"{}\" has message_size {} but the channel has {}",
                                end.value,
                                fmt_size(ps.value),
                                fmt_size(cs.value)
                            ),
                        )
                        .note(ps.span.clone(), "port message_size declared here")
                        .note(cs.span.clone(), "channel message_size set here")
                        .hint(format!(
                            "make them equal, e.g. message_size = \"{}\" on both",
                            fmt_size(ps.value.max(cs.value))
                        )),
                    );
                }
                if let Some(first) = &port.used_by {
                    ok = false;
                    self.diags.push(
                        error(end.span.clone(), format!("port \"{}\" is connected twice", end.value))
                            .note(first.clone(), "first connected here")
                            .hint("a port belongs to one channel; a sampling source may have several destinations in that channel"),
                    );
                } else {
                    port.used_by = Some(end.span.clone());
                }
                let _ = port_span;
                resolved.push(PortSpec { partition: port.partition as u32, name: portname.to_string() });
            }
            match (ok, channel_kind, &c.name, &c.message_size, out.as_mut()) {
                (true, Some(kind), Some(name), Some(size), Some(list))
                    if resolved.len() == 1 + c.destinations.len() =>
                {
                    list.push(ChannelSpec {
                        name: name.value.clone(),
                        kind,
                        message_size: size.value as u32,
                        ports: resolved,
                    })
                }
                _ => out = None,
            }
        }
        if let Some(list) = &out {
            self.channel_limits(list);
        }
        // A channel end that did not resolve may have meant one of the
        // unconnected ports; warning about them then would only add noise.
        let mut unused: Vec<&Port<'_>> = ports.values().filter(|p| p.used_by.is_none() && !unresolved).collect();
        unused.sort_by_key(|p| p.name.span.start);
        for p in unused {
            let pname = d.partitions[p.partition].name.as_ref().map_or("?", |n| n.value.as_str());
            self.diags.push(
                warning(
                    p.name.span.clone(),
                    format!(
                        "port \"{pname}.{}\" is declared but no channel connects it: it is not packed, so the partition cannot open it",
                        p.name.value
                    ),
                )
                .hint("connect it with a [[channel]] or remove it"),
            );
        }
        out
    }
}
