//! The module at run time: partitions loaded from the system image, their
//! threads, and the per-core scheduling loop.
//!
//! Boot (core 0, [`load`]): the packed system image that follows the kernel
//! is validated with the shared parser (`bulkhead-image`) before anything is
//! touched; then the kernel checks what only it can know (a partition's
//! physical memory must be RAM outside the kernel and the image, RAM the
//! board has and the firmware did not reserve (`crate::dtb`), its memory
//! map must be one it can build: `bulkhead_image::MemoryMap`), loads each
//! partition's segments into its own region (zeroing the rest), builds its
//! stage-2 table from that map and the shared memory regions it maps
//! (zeroed once, here: docs/DESIGN.md#memory-regions), and derives the
//! scheduling plan with `bulkhead-sched`. Any refusal prints what and where, and no partition
//! starts.
//!
//! Run (every core, [`run::run_core`]): the per-core loop of `run.rs`.
//!
//! Locks, in the only order they may nest (docs/DESIGN.md#lock-order): a
//! thread's context, then the per-core schedulers (`CORE_SCHED[c]`, several
//! only in ascending core order), then `PLAN`, then `TIMELINE`, then the
//! console. Each core takes its own scheduler on the switch path; another
//! core's only to stop or start a partition's threads there (health
//! actions) and, all of them at once, for a schedule switch or migration.
pub mod abort;
pub mod frame;
pub mod health;
pub mod hypercall;
pub mod interrupts;
pub mod ports;
pub mod process;
pub mod rendezvous;
pub mod run;
pub mod stats;
pub mod text;
pub mod trace;
pub mod words;

use crate::arch::Mutex;
use crate::arch::guest::{El1State, FpState, GuestFrame};
use crate::arch::stage2::{Rights, Stage2};
use crate::{arch, gic, println, timer};
use bulkhead_abi::MAX_MEMORY_REGIONS;
use bulkhead_board_rpi4::gic::GICV_BASE;
use bulkhead_board_rpi4::{CORES, devices, memory};
use bulkhead_image::{ImageError, MemoryMap, SystemImage};
use bulkhead_sched::{
    CoreId, CoreScheduler, CoreSet, Epoch, ModulePlan, ModuleTimeline, Nanos, PartitionId, Schedule, ScheduleId,
    ThreadId, ThreadSpec, Ticks, Window,
};
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use spin::Once;

pub const MAX_PARTITIONS: usize = 16;
pub const MAX_THREADS: usize = bulkhead_sched::MAX_THREADS;
pub const MAX_SCHEDULES: usize = bulkhead_sched::MAX_SCHEDULES;
const MAX_WINDOWS: usize = bulkhead_sched::MAX_WINDOWS;

/// What the kernel keeps of a partition after boot (immutable).
#[derive(Debug, Clone, Copy)]
pub struct PartitionInfo {
    pub name: &'static str,
    pub system: bool,
    /// It initialises itself: starts in COLD_START with its first thread
    /// only (`process.rs`).
    pub initialization: bool,
    pub phys_base: u64,
    pub memory_size: u64,
    pub ipa_base: u64,
    pub entry: u64,
    /// Its heap (IPA, bytes), from the image's memory map; `(0, 0)` for
    /// none. Every thread gets it at entry in `x6`, `x7` (bulkhead-abi).
    pub heap: (u64, u64),
    /// Module thread ids of this partition, in declaration order.
    pub first_thread: usize,
    pub thread_count: usize,
    /// The parts of its memory it cannot read (guard pages, pages without
    /// read access), as offsets, from its memory map at load: what a
    /// hypercall buffer must not touch, looked up in a few comparisons
    /// rather than by walking the image's tables on every call. `None` if
    /// there are more than [`HOLES`] (then the map is walked).
    pub holes: Option<([(u64, u64); HOLES], usize)>,
    /// The same for the parts it cannot write (text, read-only data and
    /// the unreadable parts): what a buffer the kernel fills for it (a
    /// port read) must not touch.
    pub read_only: Option<([(u64, u64); HOLES], usize)>,
    /// The shared memory regions it maps (the first `region_count`), from
    /// the image at load: stage 2 maps each at its IPA, and a hypercall
    /// buffer may lie in one.
    pub regions: [MappedRegion; MAX_MEMORY_REGIONS],
    pub region_count: usize,
}

/// A shared memory region as one partition maps it.
#[derive(Debug, Clone, Copy)]
pub struct MappedRegion {
    /// Index in the image's region table (its name: `Module::image`).
    pub index: u32,
    pub ipa_base: u64,
    pub phys_base: u64,
    pub size: u64,
    pub writable: bool,
}

impl MappedRegion {
    const NONE: MappedRegion = MappedRegion { index: 0, ipa_base: 0, phys_base: 0, size: 0, writable: false };

    /// The physical address behind `[ipa, ipa + len)` if the whole range
    /// lies in this region; masked against Spectre v1 as
    /// [`PartitionInfo::translate`] is.
    fn translate(&self, ipa: u64, len: u64) -> Option<u64> {
        let end = ipa.checked_add(len)?;
        let inside = ipa >= self.ipa_base && end <= self.ipa_base + self.size;
        let offset = crate::arch::select_or_zero(inside, ipa.wrapping_sub(self.ipa_base));
        inside.then_some(self.phys_base + offset)
    }
}

/// Unreadable runs a partition's [`PartitionInfo::holes`] keeps: a guard
/// page per thread, and the rare unreadable segment page.
pub const HOLES: usize = 16;

impl PartitionInfo {
    /// The physical address behind `[ipa, ipa + len)`, if the whole range
    /// lies in this partition's memory (its only stage-2 mapping).
    pub fn translate(&self, ipa: u64, len: u64) -> Option<u64> {
        let end = ipa.checked_add(len)?;
        let inside = ipa >= self.ipa_base && end <= self.ipa_base + self.memory_size;
        // Spectre v1: even on a mispredicted path the address used is
        // inside the partition's memory. The offset is masked to 0 unless
        // the check held, with a conditional select the core does not
        // predict, then a speculation barrier (CSDB) orders it before any
        // use.
        let offset = crate::arch::select_or_zero(inside, ipa.wrapping_sub(self.ipa_base));
        inside.then_some(self.phys_base + offset)
    }

    /// The regions it maps.
    pub fn regions(&self) -> &[MappedRegion] {
        &self.regions[..self.region_count]
    }

    /// The region it maps at `ipa`, if any.
    pub fn region_at(&self, ipa: u64) -> Option<&MappedRegion> {
        self.regions().iter().find(|r| r.ipa_base <= ipa && ipa - r.ipa_base < r.size)
    }
}

/// What the kernel keeps of a thread after boot (immutable).
#[derive(Debug, Clone, Copy)]
pub struct ThreadInfo {
    pub name: &'static str,
    pub partition: usize,
    /// Index within the partition (x0 at entry, VMPIDR Aff0).
    pub index: usize,
    pub stack_top: u64,
    /// Its partition's VTTBR_EL2 (stage-2 table and VMID), kept with each
    /// thread of the partition rather than with the partition, so the
    /// switch path finds it in the record it has already looked up
    /// (issue 19).
    pub vttbr: u64,
}

/// The loaded module.
pub struct Module {
    pub image: SystemImage<'static>,
    pub name: &'static str,
    pub partitions: [Option<PartitionInfo>; MAX_PARTITIONS],
    pub partition_count: usize,
    pub threads: [Option<ThreadInfo>; MAX_THREADS],
    pub thread_count: usize,
    /// The cores the module uses (`module.core_count` of the image), kept
    /// here so a hypercall reads a field instead of decoding the module
    /// record on every call.
    pub core_count: usize,
    pub freq: bulkhead_time::Frequency,
}

impl Module {
    pub fn partition(&self, id: usize) -> &PartitionInfo {
        self.partitions[id].as_ref().expect("partition ids are dense and checked at boot")
    }
    /// Partition `id`'s memory map: what lies where in its memory, with
    /// which rights (checked at boot by [`load`]).
    pub fn memory_map(&self, id: usize) -> MemoryMap<'static> {
        MemoryMap::of(&self.image, id as u32).expect("partition ids are dense and checked at boot")
    }
    /// The physical address behind the caller's buffer `[ipa, ipa + len)`
    /// if partition `id` may read all of it: inside its memory, no byte in
    /// a guard page or a page it cannot read, or inside one shared memory
    /// region it maps (every region a partition maps is readable; a buffer
    /// never spans two pieces, which are not contiguous in physical memory).
    /// A hypercall reads only what the partition itself could.
    pub fn readable(&self, id: usize, ipa: u64, len: u64) -> Option<u64> {
        let p = self.partition(id);
        self.allows(id, ipa, len, &p.holes, false, |map, start, len| map.readable(start, len))
    }
    /// The same for a buffer the kernel writes for the partition: it must
    /// be able to write all of it itself (no text, no read-only data, no
    /// guard page, no region it maps read-only), so a hypercall never
    /// writes where the partition could not.
    pub fn writable(&self, id: usize, ipa: u64, len: u64) -> Option<u64> {
        let p = self.partition(id);
        self.allows(id, ipa, len, &p.read_only, true, |map, start, len| map.writable(start, len))
    }
    fn allows(
        &self,
        id: usize,
        ipa: u64,
        len: u64,
        holes: &Option<([(u64, u64); HOLES], usize)>,
        write: bool,
        walk: fn(&MemoryMap<'static>, u64, u64) -> bool,
    ) -> Option<u64> {
        let p = self.partition(id);
        let Some(phys) = p.translate(ipa, len) else {
            return p.regions().iter().filter(|r| r.writable || !write).find_map(|r| r.translate(ipa, len));
        };
        let (start, end) = (ipa - p.ipa_base, ipa - p.ipa_base + len);
        let allowed = match holes {
            Some((holes, n)) => len == 0 || !holes[..*n].iter().any(|&(from, to)| start < to && from < end),
            None => walk(&self.memory_map(id), start, len),
        };
        allowed.then_some(phys)
    }
    pub fn thread(&self, id: usize) -> &ThreadInfo {
        self.threads[id].as_ref().expect("thread ids are dense and checked at boot")
    }
}

/// A partition's operating mode (ARINC 653), shared by all cores.
pub struct PartitionRuntime {
    pub mode: AtomicU8,
    pub restarts: AtomicU32,
    /// Why it last started (`bulkhead_abi::StartCondition`).
    pub start_condition: AtomicU8,
    /// Processes (bit = index in the partition) started during its
    /// initialisation, made Ready when it enters NORMAL (`process.rs`).
    pub pending_start: AtomicU64,
}

pub const MODE_IDLE: u8 = 0;
pub const MODE_COLD_START: u8 = 1;
pub const MODE_WARM_START: u8 = 2;
pub const MODE_NORMAL: u8 = 3;

/// A thread's saved state: the only copy whenever its lock is free (a
/// core holds the live state in its registers only inside `run_thread`,
/// under the lock), so a restart's reset always wins.
pub struct ThreadContext {
    pub frame: GuestFrame,
    pub el1: El1State,
    pub fp: FpState,
    pub line: text::Line<{ bulkhead_abi::CONSOLE_LINE }>,
    /// A `ConsoleWrite` the kernel stopped early and set up to continue
    /// (`hypercall.rs`): where it resumes, so the finished call reports
    /// every byte the thread asked for.
    pub console_resume: ConsoleResume,
    /// A port call waiting for a message or for room (`ports.rs`): the
    /// deadline its re-issue keeps.
    pub port_wait: ports::PortWait,
    /// Its virtual GIC CPU interface while it is off its core.
    pub vgic: interrupts::VgicState,
}

/// The continuation of a `ConsoleWrite`: the HVC's address, the pointer
/// the continued call starts at, and the bytes taken before it.
#[derive(Clone, Copy)]
pub struct ConsoleResume {
    /// There is one (the fields below hold it). Not a sentinel `hvc`: the
    /// context's every initial value is zero bytes, so `CONTEXTS` is
    /// `.bss`, not 78 KB of initialised data.
    pub pending: bool,
    pub hvc: u64,
    pub ptr: u64,
    pub taken: u64,
}

impl ConsoleResume {
    pub const NONE: ConsoleResume = ConsoleResume { pending: false, hvc: 0, ptr: 0, taken: 0 };
}

impl ThreadContext {
    const EMPTY: ThreadContext = ThreadContext {
        frame: GuestFrame { x: [0; 31], sp_el0: 0, elr: 0, spsr: 0 },
        el1: El1State::ZERO,
        fp: FpState { q: [0; 32], fpcr: 0, fpsr: 0 },
        line: text::Line::new(),
        console_resume: ConsoleResume::NONE,
        port_wait: ports::PortWait::NONE,
        vgic: interrupts::VgicState::ZERO,
    };

    /// The state a thread starts (or restarts) in; see bulkhead-abi.
    fn reset(&mut self, module: &Module, thread: &ThreadInfo) {
        let p = module.partition(thread.partition);
        self.frame = GuestFrame::default();
        self.frame.x[0] = thread.index as u64;
        self.frame.x[1] = p.thread_count as u64;
        self.frame.x[2] = p.ipa_base;
        self.frame.x[3] = p.memory_size;
        (self.frame.x[6], self.frame.x[7]) = p.heap;
        self.frame.elr = p.entry;
        self.frame.spsr = 0x3c5; // EL1h, D, A, I, F masked
        self.el1 = El1State::initial(thread.stack_top);
        self.fp = FpState::default();
        self.line.clear();
        self.console_resume = ConsoleResume::NONE;
        self.port_wait = ports::PortWait::NONE;
        self.vgic = interrupts::VgicState::ZERO;
    }
}

pub static MODULE: Once<Module> = Once::new();
static THREAD_SPECS: Once<[ThreadSpec; MAX_THREADS]> = Once::new();
static WINDOWS: Once<[[Window; MAX_WINDOWS]; MAX_SCHEDULES]> = Once::new();
static SCHEDULES: Once<[Schedule<'static>; MAX_SCHEDULES]> = Once::new();
/// The thread placement and schedules (the global lock: taken after any
/// per-core scheduler lock, never before one).
pub static PLAN: Mutex<Option<ModulePlan<'static>>> = Mutex::new(None);
pub static TIMELINE: Mutex<Option<ModuleTimeline>> = Mutex::new(None);
pub static EPOCH: AtomicU64 = AtomicU64::new(0);
/// Set once core 0 has loaded the module and fixed the epoch (or failed).
static READY: AtomicU8 = AtomicU8::new(0);
const READY_OK: u8 = 1;
const READY_FAILED: u8 = 2;

pub static CONTEXTS: [Mutex<ThreadContext>; MAX_THREADS] = [const { Mutex::new(ThreadContext::EMPTY) }; MAX_THREADS];
pub static CORE_SCHED: [arch::OnceMutex<CoreScheduler>; CORES] = [const { arch::OnceMutex::new() }; CORES];
pub static PARTITIONS: [PartitionRuntime; MAX_PARTITIONS] = [const {
    PartitionRuntime {
        mode: AtomicU8::new(MODE_IDLE),
        restarts: AtomicU32::new(0),
        start_condition: AtomicU8::new(0),
        pending_start: AtomicU64::new(0),
    }
}; MAX_PARTITIONS];
/// The partition each core is running a thread of right now (`NOT_RUNNING`
/// in the kernel or idle), so a restart can wait until nobody runs it.
pub static RUNNING: [AtomicU32; CORES] = [const { AtomicU32::new(NOT_RUNNING) }; CORES];
pub const NOT_RUNNING: u32 = u32::MAX;
pub static NEED_RESCHED: [AtomicBool; CORES] = [const { AtomicBool::new(false) }; CORES];

/// Why the kernel refused the system image.
pub enum LoadError {
    /// Nothing follows the kernel (a kernel binary booted on its own).
    NoImage,
    Image(ImageError),
    Rejected(Line),
    Partition {
        name: &'static str,
        what: Line,
    },
    Plan(bulkhead_sched::PlanError),
    Sched(bulkhead_sched::SchedError),
}

type Line = text::Line<200>;

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NoImage => f.write_str(
                "no system image after the kernel (no BULKHEAD magic at the 4 KiB boundary after the kernel's bytes); \
                 build a bootable kernel8.img with `bulkhead pack FILE --kernel KERNEL --out kernel8.img`",
            ),
            LoadError::Image(e) => write!(f, "system image rejected: {e}"),
            LoadError::Rejected(what) => write!(f, "system image rejected: {what}"),
            LoadError::Partition { name, what } => write!(f, "system image rejected: partition {name}: {what}"),
            LoadError::Plan(e) => write!(f, "system image rejected: schedule plan: {e}"),
            LoadError::Sched(e) => write!(f, "system image rejected: scheduler: {e}"),
        }
    }
}

unsafe extern "C" {
    static __kernel_start: u8;
    static __kernel_end: u8;
    static __system_image_start: u8;
    static __system_image_limit: u8;
}

/// The text of a refusal (its `Line` reports anything that did not fit).
fn line(args: fmt::Arguments) -> Line {
    let mut what = Line::new();
    let _ = fmt::Write::write_fmt(&mut what, args);
    what
}

/// Physical memory of a partition or region the kernel cannot give it.
struct Misplaced {
    phys: core::ops::Range<u64>,
    outside_ram: bool,
    kernel: core::ops::Range<u64>,
    image: core::ops::Range<u64>,
}

impl fmt::Display for Misplaced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Misplaced { phys, kernel, image, .. } = self;
        if self.outside_ram {
            write!(
                f,
                "memory {:#x}..{:#x} is not inside RAM {:#x}..{:#x}",
                phys.start,
                phys.end,
                0x1000,
                memory::RAM_SIZE
            )
        } else {
            write!(
                f,
                "memory {:#x}..{:#x} overlaps the kernel ({:#x}..{:#x}) or the system image ({:#x}..{:#x})",
                phys.start, phys.end, kernel.start, kernel.end, image.start, image.end
            )
        }
    }
}

fn rejected(args: fmt::Arguments) -> LoadError {
    LoadError::Rejected(line(args))
}

fn partition_error(name: &'static str, args: fmt::Arguments) -> LoadError {
    LoadError::Partition { name, what: line(args) }
}

/// The bytes the firmware loaded after the kernel: the system image, if any.
fn image_bytes() -> &'static [u8] {
    let start = &raw const __system_image_start as usize;
    let limit = &raw const __system_image_limit as usize;
    // SAFETY: the linker script reserves `start..limit` for the system image
    // and nothing of the kernel lives there; the region is identity mapped
    // normal memory and never written while the kernel runs.
    unsafe { core::slice::from_raw_parts(start as *const u8, limit - start) }
}

/// Core 0: validates and loads the system image, and fixes the epoch.
// The error carries its text inline (the kernel has no heap to box it in);
// it is returned once, at boot.
#[allow(clippy::result_large_err)]
pub fn load() -> Result<&'static Module, LoadError> {
    let bytes = image_bytes();
    if bytes.get(..8) != Some(&bulkhead_image::MAGIC[..]) {
        return Err(LoadError::NoImage);
    }
    let image = SystemImage::parse_with_crc(bytes, arch::bulk::crc32).map_err(LoadError::Image)?;
    let module_rec = image.module();
    if module_rec.core_count as usize > CORES {
        return Err(rejected(format_args!(
            "module.core_count: {} cores, but the board has {CORES}",
            module_rec.core_count
        )));
    }
    let partition_total = image.partitions().len();
    if partition_total > MAX_PARTITIONS {
        return Err(rejected(format_args!(
            "partition table: {partition_total} partitions, the kernel supports {MAX_PARTITIONS}"
        )));
    }
    if image.threads().len() > MAX_THREADS {
        return Err(rejected(format_args!(
            "thread table: {} threads, the kernel supports {MAX_THREADS}",
            image.threads().len()
        )));
    }
    if image.schedules().len() > MAX_SCHEDULES {
        return Err(rejected(format_args!(
            "schedule table: {} schedules, the kernel supports {MAX_SCHEDULES}",
            image.schedules().len()
        )));
    }

    let kernel = (&raw const __kernel_start as u64)..(&raw const __kernel_end as u64);
    let image_range = (bytes.as_ptr() as u64)..(bytes.as_ptr() as u64 + image.bytes().len() as u64);
    // Where partition or region memory may lie: RAM above the first page
    // (the spin table), below 2 GiB, clear of the kernel and the image.
    let misplaced = |phys: core::ops::Range<u64>| {
        let overlaps = |r: &core::ops::Range<u64>| phys.start < r.end && r.start < phys.end;
        let outside_ram = phys.start < 0x1000 || phys.end > (memory::RAM_BASE + memory::RAM_SIZE) as u64;
        (outside_ram || overlaps(&kernel) || overlaps(&image_range)).then(|| Misplaced {
            phys: phys.clone(),
            outside_ram,
            kernel: kernel.clone(),
            image: image_range.clone(),
        })
    };
    // And what the board has and the firmware left free: the device
    // tree's RAM less its reserved ranges, or the fallback map (dtb.rs).
    let board = &crate::dtb::get().memory;
    for r in image.regions() {
        if let Some(why) = misplaced(r.phys_base..r.phys_end()) {
            return Err(rejected(format_args!("memory region {}: {why}", r.name)));
        }
        if let Err(why) = board.check(r.phys_base, r.phys_end()) {
            return Err(rejected(format_args!("memory region {}: {why}", r.name)));
        }
    }
    let mut partitions = [None; MAX_PARTITIONS];
    let mut threads = [None; MAX_THREADS];
    let mut thread_count = 0;
    for p in image.partitions() {
        if let Some(why) = misplaced(p.phys_base..p.phys_end()) {
            return Err(partition_error(p.name, format_args!("{why}")));
        }
        if let Err(why) = board.check(p.phys_base, p.phys_end()) {
            return Err(partition_error(p.name, format_args!("{why}")));
        }
        // Where each segment, stack and guard page lies, and the rights
        // of each (docs/DESIGN.md#traps): refused here if the stacks are
        // not whole pages, do not fit above the image with their guard
        // pages, the heap does not fit between them, or a page would be
        // writable and executable unasked.
        let map = MemoryMap::of(&image, p.id).expect("partition ids are dense");
        map.validate().map_err(|e| partition_error(p.name, format_args!("{e}")))?;
        let heap = map.heap().map_or((0, 0), |h| (p.ipa_base + h.start, h.end - h.start));
        let first_thread = thread_count;
        for (t, stack) in map.stacks() {
            threads[thread_count] = Some(ThreadInfo {
                name: t.name,
                partition: p.id as usize,
                index: thread_count - first_thread,
                stack_top: p.ipa_base + stack.end,
                vttbr: 0, // below, once the stage-2 table is built
            });
            thread_count += 1;
        }
        let stage2_error = |e: arch::stage2::Stage2Error| partition_error(p.name, format_args!("stage-2 map: {e}"));
        let mut stage2 = Stage2::new().map_err(stage2_error)?;
        for run in map.runs() {
            if let Some(access) = run.access {
                let rights = Rights { read: access.read(), write: access.write(), execute: access.execute() };
                stage2
                    .map(p.ipa_base + run.start, p.phys_base + run.start, run.end - run.start, rights)
                    .map_err(stage2_error)?;
            }
        }
        // The shared memory regions it maps: at their IPA, read-only or
        // read/write, never executable (the parser has checked that each
        // is clear of the partition's memory and of the others).
        let mut regions = [MappedRegion::NONE; MAX_MEMORY_REGIONS];
        let mut region_count = 0;
        for (r, access) in map.regions() {
            let Some(slot) = regions.get_mut(region_count) else {
                return Err(partition_error(
                    p.name,
                    format_args!(
                        "maps {} memory regions, the kernel supports {MAX_MEMORY_REGIONS}",
                        map.regions().count()
                    ),
                ));
            };
            let rights = Rights { read: true, write: access.writable(), execute: false };
            stage2.map(r.ipa_base, r.phys_base, r.size, rights).map_err(stage2_error)?;
            *slot = MappedRegion {
                index: r.index,
                ipa_base: r.ipa_base,
                phys_base: r.phys_base,
                size: r.size,
                writable: access.writable(),
            };
            region_count += 1;
        }
        // The devices the description assigns it: the board's word first
        // (the image parser checked the rest), then mapped at their
        // physical address, device memory, never executable.
        for d in image.devices_of(p.id) {
            check_device(&d).map_err(|what| partition_error(p.name, format_args!("device {}: {what}", d.name)))?;
            for r in d.mmio() {
                stage2.map_device(r.base, r.base, r.size).map_err(stage2_error)?;
            }
        }
        // Its GIC CPU interface: the GIC's virtual one, where GICv2 code
        // for the board looks for the CPU interface (interrupts.rs).
        stage2.map_device(bulkhead_abi::GICC_IPA, GICV_BASE as u64, bulkhead_abi::GICC_SIZE).map_err(stage2_error)?;
        let holes = runs_without(&map, bulkhead_image::Access::read);
        let read_only = runs_without(&map, bulkhead_image::Access::write);
        let vmid = u8::try_from(p.id + 1).expect("at most 16 partitions");
        let vttbr = stage2.vttbr(vmid);
        for t in threads[first_thread..thread_count].iter_mut().flatten() {
            t.vttbr = vttbr;
        }
        partitions[p.id as usize] = Some(PartitionInfo {
            name: p.name,
            system: p.system,
            initialization: p.initialization,
            phys_base: p.phys_base,
            memory_size: p.memory_size,
            ipa_base: p.ipa_base,
            entry: p.entry_ipa,
            heap,
            first_thread,
            thread_count: thread_count - first_thread,
            holes,
            read_only,
            regions,
            region_count,
        });
    }

    // The scheduling plan, in static storage it can borrow from.
    let specs = THREAD_SPECS.call_once(|| {
        let unused = ThreadSpec {
            partition: PartitionId(0),
            affinity: CoreSet::from_bits(0),
            priority: 0,
            period: None,
            time_capacity: None,
        };
        let mut specs = [unused; MAX_THREADS];
        for t in image.threads() {
            // The image's per-thread `period_ns` and `deadline_ns` (0: none)
            // are the ARINC 653 period and time capacity.
            specs[t.index as usize] = ThreadSpec {
                partition: PartitionId(t.partition as u8),
                affinity: CoreSet::from_bits(t.affinity as u8),
                priority: t.priority.min(255) as u8,
                period: t.period_ns.map(Nanos),
                time_capacity: t.deadline_ns.map(Nanos),
            };
        }
        specs
    });
    if let Some(t) = image.threads().find(|t| t.priority > 255) {
        return Err(rejected(format_args!("thread {}: priority {} is above 255", t.name, t.priority)));
    }
    let windows = WINDOWS.call_once(|| {
        let mut all = [[Window { owner: None, duration: Nanos(0) }; MAX_WINDOWS]; MAX_SCHEDULES];
        for s in image.schedules() {
            for (slot, w) in all[s.index as usize].iter_mut().zip(s.windows()) {
                *slot = Window { owner: w.owner.map(|o| PartitionId(o as u8)), duration: Nanos(w.duration_ns) };
            }
        }
        all
    });
    if let Some(s) = image.schedules().find(|s| s.window_count() > MAX_WINDOWS) {
        return Err(rejected(format_args!(
            "schedule {}: {} windows, the kernel supports {MAX_WINDOWS}",
            s.name,
            s.window_count()
        )));
    }
    let schedules = SCHEDULES.call_once(|| {
        let empty: &'static [Window] = &[];
        let mut all = [Schedule { major_frame: Nanos(1), windows: empty }; MAX_SCHEDULES];
        for s in image.schedules() {
            all[s.index as usize] = Schedule {
                major_frame: Nanos(s.major_frame_ns),
                windows: &windows[s.index as usize][..s.window_count()],
            };
        }
        all
    });
    let plan =
        ModulePlan::new(module_rec.core_count as u8, &specs[..thread_count], &schedules[..image.schedules().len()])
            .map_err(LoadError::Plan)?;

    // The device interrupts: each routed to its receiving thread's core,
    // masked until that thread takes it in its partition's window.
    let mut slots = interrupts::Slots::default();
    for d in image.devices() {
        let p = partitions[d.partition as usize].as_ref().expect("the parser checked the owner");
        let tid = p.first_thread + d.thread as usize;
        let core = plan.thread_core(ThreadId(tid as u16)).map_or(0, |c| usize::from(c.0));
        for intid in d.interrupts() {
            gic::claim_spi(intid, core).map_err(|e| partition_error(p.name, format_args!("device {}: {e}", d.name)))?;
            let slot = interrupts::Slot {
                intid,
                tid,
                partition: d.partition as usize,
                device: d.index,
                drop: d.outside_window == bulkhead_image::OutsideWindow::Drop,
            };
            slots.add(slot, core).map_err(|interrupts::TooManyInterrupts| {
                rejected(format_args!(
                    "device interrupts: more than {} in the module, the kernel supports {}",
                    interrupts::MAX_SLOTS,
                    interrupts::MAX_SLOTS
                ))
            })?;
        }
    }
    interrupts::set_slots(slots);

    // Load every partition's memory now that everything is known good.
    let module = MODULE.call_once(|| Module {
        image,
        name: module_rec.name,
        partitions,
        partition_count: partition_total,
        threads,
        thread_count,
        core_count: module_rec.core_count as usize,
        freq: timer::frequency(),
    });
    // Each partition's console ring, from the description's
    // `console_buffer` (the host tool checks the sizes and their sum).
    let mut sizes = [0usize; MAX_PARTITIONS];
    for (size, p) in sizes.iter_mut().zip(module.image.partitions()) {
        *size = p.console_buffer as usize;
    }
    crate::console::set_baud(module_rec.console_baud);
    crate::console::attach_partitions(
        &sizes[..module.partition_count],
        crate::console::Names { partition: partition_name, thread: thread_name },
    )
    .map_err(|total| {
        rejected(format_args!(
            "partition console buffers: {total} bytes in all, the kernel has {} for them",
            crate::console::PARTITION_POOL
        ))
    })?;
    ports::attach(&module.image).map_err(|e| rejected(format_args!("{e}")))?;
    for (id, runtime) in PARTITIONS.iter().enumerate().take(module.partition_count) {
        load_partition_memory(module, id);
        reset_threads(module, id);
        runtime.mode.store(start_mode(module, id, false), Ordering::Release);
    }
    // Shared memory regions start zeroed, once: a partition restart
    // reloads the partition's own memory only, and leaves every region and
    // its mapping as they are (docs/DESIGN.md#memory-regions).
    for r in module.image.regions() {
        zero_region(r.phys_base, r.size);
    }

    // Every core starts at the same epoch, a little in the future so the
    // others are waiting for it when it comes.
    let epoch = Epoch::new(Ticks(timer::now().0 + module.freq.hz() / 100));
    let (initial, _) = module.image.initial_schedule();
    let timeline =
        ModuleTimeline::new(&plan, module.freq, ScheduleId(initial as u8), epoch).map_err(LoadError::Plan)?;
    for (core, slot) in CORE_SCHED.iter().enumerate().take(module_rec.core_count as usize) {
        start_scheduler(slot, module, &plan, &timeline, CoreId(core as u8))?;
    }
    *TIMELINE.lock() = Some(timeline);
    *PLAN.lock() = Some(plan);
    EPOCH.store(epoch.start().0, Ordering::Release);
    // From now on EL2 touches only the kernel and the partitions' memory
    // and regions: the rest of RAM leaves its map.
    // The blocks to keep as a bitmap, one bit per 2 MiB block of RAM, set
    // from the few ranges once: asking every range for each of the 1,024
    // blocks cost ~200,000 instructions at boot. A block is kept if it
    // meets one of the ranges (all non-empty, inside RAM: checked above).
    const BLOCK: u64 = 2 << 20;
    let mut wanted = [0u64; (memory::RAM_SIZE as u64 / BLOCK).div_ceil(64) as usize];
    let mut want = |r: core::ops::Range<u64>| {
        for b in r.start / BLOCK..r.end.div_ceil(BLOCK) {
            if let Some(word) = wanted.get_mut((b / 64) as usize) {
                *word |= 1 << (b % 64);
            }
        }
    };
    want(kernel.clone());
    for p in module.partitions.iter().flatten() {
        want(p.phys_base..p.phys_base + p.memory_size);
        for r in p.regions() {
            want(r.phys_base..r.phys_base + r.size);
        }
    }
    let keep = |at: usize| {
        let b = at as u64 / BLOCK;
        wanted.get((b / 64) as usize).is_some_and(|word| word >> (b % 64) & 1 != 0)
    };
    // SAFETY: core 0, once, after every core enabled its MMU (they wait
    // for the module); every block `keep` refuses holds nothing anyone
    // reads: no kernel section, no partition memory, no region.
    let (kept, out) = unsafe { arch::mmu::unmap_unused_ram(keep) };
    EL2_RAM_BLOCKS.store((kept as u64) << 32 | out as u64, Ordering::Relaxed);
    Ok(module)
}

/// One core's scheduler into its slot, its threads dormant where their
/// partition initialises itself.
// Never inlined: each scheduler is ~19 KB, built here and copied several
// times on its way into its slot; inlined into `load` (as the release
// profile's LTO would), those copies would stay in load's frame for the
// whole load instead of coming and going with this call (with opt-level
// "z" they took core 0's boot stack, linker/kernel.ld, past its guard).
#[inline(never)]
#[allow(clippy::result_large_err)]
fn start_scheduler(
    slot: &arch::OnceMutex<CoreScheduler>,
    module: &Module,
    plan: &ModulePlan<'static>,
    timeline: &ModuleTimeline,
    core: CoreId,
) -> Result<(), LoadError> {
    let mut sched = CoreScheduler::new(plan, timeline, core).map_err(LoadError::Sched)?;
    // A partition that initialises itself runs its first thread only;
    // the others are dormant until it starts them.
    for t in plan.threads_on(core).iter() {
        let thread = module.thread(usize::from(t.0));
        if thread.index != 0 && module.partition(thread.partition).initialization {
            sched.stop(t).map_err(LoadError::Sched)?;
        }
    }
    slot.set(sched);
    Ok(())
}

/// What only the board knows of a device in the image: it is one of the
/// board's (`bulkhead_board_rpi4::devices`), every range lies in one of its
/// pages and every interrupt is its own; and the traced kernel keeps the
/// mini UART, its trace port.
// The refusal's text is inline (no heap), returned once, at boot.
#[allow(clippy::result_large_err)]
fn check_device(d: &bulkhead_image::Device<'_>) -> Result<(), Line> {
    let Some(board) = devices::by_name(d.name) else {
        return Err(line(format_args!("not a device of this board (it has {})", DeviceNames)));
    };
    if let Some(r) = d.mmio().find(|r| !board.mmio.iter().any(|b| b.contains(r.base, r.size))) {
        return Err(line(format_args!("MMIO {:#x}+{:#x} is not one of the device's ranges", r.base, r.size)));
    }
    if let Some(intid) = d.interrupts().find(|i| !board.interrupts.contains(i)) {
        return Err(line(format_args!("INTID {intid} is not one of the device's interrupts {:?}", board.interrupts)));
    }
    let port = bulkhead_board_rpi4::trace_port::MINI_UART_PAGE;
    if trace::enabled() && d.mmio().any(|r| r.base <= port && port < r.base + r.size) {
        return Err(line(format_args!(
            "the traced kernel sends its switch trace on the mini UART; run this module on the product kernel"
        )));
    }
    Ok(())
}

/// The board's device names, for a refusal.
struct DeviceNames;

impl fmt::Display for DeviceNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in devices::DEVICES.iter().enumerate() {
            write!(f, "{}{}", if i > 0 { ", " } else { "" }, d.name)?;
        }
        Ok(())
    }
}

/// RAM blocks the EL2 map kept and took out after the load, for the report.
static EL2_RAM_BLOCKS: AtomicU64 = AtomicU64::new(0);

/// The runs of `map` without the `right`, as offsets, if at most
/// [`HOLES`] (else `None`: the map is walked for each buffer instead).
fn runs_without(
    map: &MemoryMap<'_>,
    right: fn(bulkhead_image::Access) -> bool,
) -> Option<([(u64, u64); HOLES], usize)> {
    let mut runs = [(0, 0); HOLES];
    let mut n = 0;
    for run in map.runs().filter(|r| !r.access.is_some_and(right)) {
        *runs.get_mut(n)? = (run.start, run.end);
        n += 1;
    }
    Some((runs, n))
}

/// Copies a partition's segments into its memory and zeroes the rest.
pub fn load_partition_memory(module: &Module, id: usize) {
    load_partition_slice(module, id, 0, module.partition(id).memory_size as usize);
    arch::invalidate_icache_all();
}

/// Loads bytes `offset..offset + len` of partition `id`'s memory as
/// [`load_partition_memory`] loads all of it: zero, then the image's
/// segment bytes that fall there, everything cleaned to the point of
/// unification. The caller invalidates the instruction caches once the
/// whole memory is loaded ([`arch::invalidate_icache_all`]). A restart
/// calls it a bounded slice at a time (`health::restart_slice`).
pub fn load_partition_slice(module: &Module, id: usize, offset: usize, len: usize) {
    let p = module.partition(id);
    let record = module.image.partition(id as u32).expect("partition ids are dense");
    let end = (offset + len).min(p.memory_size as usize);
    if offset >= end {
        return;
    }
    // SAFETY: `phys_base..phys_base + memory_size` was checked at boot to be
    // RAM outside the kernel and the system image, identity mapped, and it
    // belongs to this partition alone; no thread of it runs while it is
    // (re)loaded (boot, or a restart once every core has left it), and only
    // one core loads a partition at a time (`health::restart_slice`).
    let memory = unsafe { core::slice::from_raw_parts_mut((p.phys_base as usize + offset) as *mut u8, end - offset) };
    // Zeroed and cleaned in one pass (DC ZVA and DC CVAU per line), then
    // the segment bytes copied over the zeroes and their lines cleaned
    // again: the same memory, cleaned after its last store, as zeroing,
    // copying and cleaning it all in three passes, in ~110,000 fewer
    // instructions for 2 MiB.
    arch::bulk::zero_and_clean_to_pou(memory);
    for seg in record.segments() {
        let (seg_start, seg_end) = (seg.load_offset as usize, seg.load_offset as usize + seg.data.len());
        let (from, to) = (seg_start.max(offset), seg_end.min(end));
        if from < to {
            let piece = &mut memory[from - offset..to - offset];
            piece.copy_from_slice(&seg.data[from - seg_start..to - seg_start]);
            arch::clean_dcache_to_pou(piece.as_ptr() as usize, piece.len());
        }
    }
}

/// Zeroes a shared memory region's physical memory, at load.
fn zero_region(phys_base: u64, size: u64) {
    // SAFETY: `phys_base..phys_base + size` was checked at load to be RAM
    // outside the kernel and the system image, and (by the image parser)
    // clear of every partition's memory and every other region; it is
    // identity mapped at EL2, and no partition runs yet.
    let memory = unsafe { core::slice::from_raw_parts_mut(phys_base as usize as *mut u8, size as usize) };
    arch::bulk::zero(memory);
}

/// The mode a partition starts in: COLD_START (WARM_START after a warm
/// restart) if it initialises itself, else NORMAL.
pub fn start_mode(module: &Module, id: usize, warm: bool) -> u8 {
    match (module.partition(id).initialization, warm) {
        (false, _) => MODE_NORMAL,
        (true, false) => MODE_COLD_START,
        (true, true) => MODE_WARM_START,
    }
}

/// Puts every thread of a partition in its start state.
pub fn reset_threads(module: &Module, id: usize) {
    let p = module.partition(id);
    for (t, context) in CONTEXTS.iter().enumerate().skip(p.first_thread).take(p.thread_count) {
        context.lock().reset(module, module.thread(t));
    }
    // Its threads wait on no channel any more, and nothing is pending.
    ports::forget(p.first_thread..p.first_thread + p.thread_count);
    process::forget(p.first_thread..p.first_thread + p.thread_count);
    words::forget(p.first_thread..p.first_thread + p.thread_count);
    process::forget_error_handler(id);
    interrupts::forget(module, id);
    PARTITIONS[id].pending_start.store(0, Ordering::Release);
}

/// The core each thread is placed on now (a snapshot under the global
/// lock, so callers can then take per-core locks in the lock order, docs/DESIGN.md#lock-order).
pub fn thread_cores() -> [usize; MAX_THREADS] {
    let mut cores = [0; MAX_THREADS];
    if let Some(plan) = PLAN.lock().as_ref() {
        for (t, core) in cores.iter_mut().enumerate() {
            *core = plan.thread_core(ThreadId(t as u16)).map_or(0, |c| usize::from(c.0));
        }
    }
    cores
}

/// Prints the loaded module: partitions, memory, threads and cores.
pub fn report(module: &Module) {
    let placement = thread_cores();
    println!(
        "module {}: {} partitions, {} threads, {} stage-2 tables",
        module.name,
        module.partition_count,
        module.thread_count,
        arch::stage2::tables_used()
    );
    for id in 0..module.partition_count {
        let p = module.partition(id);
        println!(
            "  partition {id} {}{}: {} KiB at {:#x} (IPA {:#x}), VMID {}",
            p.name,
            if p.system { " (system)" } else { "" },
            p.memory_size / 1024,
            p.phys_base,
            p.ipa_base,
            id + 1
        );
        for (t, core) in placement.iter().enumerate().skip(p.first_thread).take(p.thread_count) {
            println!("    thread {} on core {core}", module.thread(t).name);
        }
        if p.heap.1 > 0 {
            println!("    heap: {} KiB at IPA {:#x}", p.heap.1 / 1024, p.heap.0);
        }
        for d in module.image.devices_of(id as u32) {
            let mmio = d.mmio().next().map_or((0, 0), |r| (r.base, r.size));
            println!(
                "    device {}: {:#x}+{} KiB{}, interrupts to thread {}, outside its windows: {}",
                d.name,
                mmio.0,
                mmio.1 / 1024,
                if d.mmio().count() > 1 { " (and more)" } else { "" },
                module.thread(p.first_thread + d.thread as usize).name,
                d.outside_window.as_str()
            );
            for (slot, core) in interrupts::all().filter(|(s, _)| s.device == d.index) {
                println!("      INTID {} routed to core {core}", slot.intid);
            }
        }
        for r in p.regions() {
            println!(
                "    memory region {}: {} KiB at {:#x} (IPA {:#x}), {}",
                module.image.region(r.index).map_or("?", |r| r.name),
                r.size / 1024,
                r.phys_base,
                r.ipa_base,
                if r.writable { "read/write" } else { "read-only" }
            );
        }
    }
    let blocks = EL2_RAM_BLOCKS.load(Ordering::Relaxed);
    println!(
        "EL2 map: {} of {} RAM blocks (2 MiB) kept, the kernel's and the partitions' (memory, regions); the rest unmapped",
        blocks >> 32,
        (blocks >> 32) + (blocks & 0xffff_ffff)
    );
}

/// The kernel's `main` on every core: core 0 loads the module and reports
/// it, every core then runs the partition loop. With a `trace` sender
/// (`Some(&trace::TRACE_PORT)`), every scheduling decision is recorded and
/// sent (see `trace.rs`).
pub fn kernel_main(core: usize, trace: Option<&'static trace::Sender>) -> ! {
    // From here on the kernel takes no interrupt in its own code: the loop
    // dispatches pending interrupts itself. An interrupt taken between the
    // loop's last look at NEED_RESCHED and its WFI would otherwise consume
    // the wake-up (and disarm the timer), and the core would sleep forever.
    arch::disable_irqs();
    let loaded = if core == 0 {
        run::install_handlers();
        if let Some(sender) = trace {
            trace::enable(sender);
        }
        let result = load();
        match &result {
            Ok(m) => {
                stats::note_loaded();
                report(m);
                trace::begin(EPOCH.load(Ordering::Acquire), m.image.initial_schedule().0);
            }
            Err(e) => {
                println!("{e}");
                println!("no partition started");
            }
        }
        publish(result.is_ok());
        result.is_ok()
    } else {
        wait_for_module()
    };
    if loaded {
        run::run_core(core)
    }
    loop {
        crate::console::sleep();
        crate::irq::dispatch();
    }
}

/// Core 0 calls this after [`load`]: publishes the outcome to the others.
pub fn publish(ok: bool) {
    READY.store(if ok { READY_OK } else { READY_FAILED }, Ordering::Release);
    arch::send_event();
}

/// Cores 1-3: wait for core 0's [`publish`]; `true` if the module loaded.
pub fn wait_for_module() -> bool {
    loop {
        match READY.load(Ordering::Acquire) {
            READY_OK => return true,
            READY_FAILED => return false,
            _ => arch::wait_for_event(),
        }
    }
}

fn partition_name(id: usize) -> &'static str {
    MODULE.get().map_or("?", |m| m.partition(id).name)
}

fn thread_name(tid: usize) -> &'static str {
    MODULE.get().filter(|m| tid < m.thread_count).map_or("?", |m| m.thread(tid).name)
}
