//! The Bulkhead partition ABI: the one source of hypercall function IDs,
//! status codes and limits, shared by the kernel (`kernel/`) and the
//! partition SDK (`partitions/sdk`). IDs are never reused: a call that is
//! withdrawn keeps its number, retired.
//!
//! # Calling convention (Arm SMC Calling Convention, DEN 0028, as for HVC)
//!
//! `HVC #0` from EL1 with the function ID in `w0`, arguments in `x1..x6`.
//! On return `x0` holds the status (0 success, negative error: [`Status`])
//! and `x1..x3` the results; `x4..x17` are preserved (SMCCC v1.1 and later
//! let a callee clobber them; Bulkhead does not). Every function ID is a
//! fast call in the SMC64 vendor-specific hypervisor range
//! (`0xC600_0000 | n`, OEN 6). An unknown ID returns
//! [`Status::NotSupported`] (-1), as the SMCCC requires.
//!
//! A pointer argument is an address in the caller's own address space
//! (its IPA). The kernel checks `[ptr, ptr + len)` against the caller's
//! memory map before it reads one byte; a range outside it, one that
//! touches a stack guard page or a page the caller cannot read, or one
//! that wraps, returns [`Status::InvalidAddress`]. Lengths are bounded by the
//! limits below; a longer one returns [`Status::InvalidParameter`], nothing
//! is truncated.
//!
//! # Thread entry state
//!
//! Every thread of a partition starts at the partition image's ELF entry
//! point, at EL1h with interrupts masked (DAIF), stage-1 translation off
//! (SCTLR_EL1 holds only its RES1 bits; the kernel sets HCR_EL2.DC, so
//! memory is normal write-back cacheable), FP/SIMD enabled (CPACR_EL1.FPEN
//! = 0b11), every other EL1 system register zero (TPIDR_EL1, VBAR_EL1, ...),
//! and:
//!
//! | register | value |
//! |---|---|
//! | `x0` | the thread's index within its partition (0, 1, ...: declaration order in the system description) |
//! | `x1` | the number of threads of the partition |
//! | `x2` | the partition's memory base (IPA) |
//! | `x3` | the partition's memory size in bytes |
//! | `x4`, `x5` | 0, or for a process started with [`Call::StartProcessAt`] the entry function it was given and its argument (the SDK's start-up code calls that function instead of the partition's main) |
//! | `x6` | the partition's heap base (IPA, page aligned), or 0 if the system description gives it no `heap` |
//! | `x7` | the partition's heap size in bytes (whole pages), or 0 for none |
//! | `sp` (SP_EL1) | the top of the thread's stack: stacks are carved from the top of partition memory downwards, thread 0 first, each of the size the description gives (`stack`, whole pages, default [`DEFAULT_STACK_SIZE`]) and each above an unmapped guard page of [`STACK_GUARD_SIZE`] bytes |
//!
//! Partition memory not filled by the image's file bytes is zero at every
//! start and cold restart, so `.bss` needs no clearing; a warm restart
//! keeps it as it was.
//!
//! The heap is the `heap` bytes of partition memory just below the lowest
//! stack's guard page (a write off its top faults there), read/write and
//! never executable like the rest; the kernel only says where it is. The
//! SDK's allocator (`bulkhead-sdk`, feature `alloc`) manages it; a
//! partition that does not use the SDK's may use the range as it likes.
//!
//! # Memory rights (W^X)
//!
//! Stage 2 maps each segment of the partition's image with its ELF flags
//! (text read and execute, rodata read, data and `.bss` read and write),
//! the stacks and the rest of the memory read and write, never executable,
//! and leaves each stack's guard page unmapped. A write to the text, a
//! jump into data or a stack, and a push past the bottom of a stack are
//! stage-2 faults: the health monitor's `stage2_abort`. No page is both
//! writable and executable unless the system description allows it for
//! the partition (`allow_write_execute`), and then only the image's
//! segments that ask for it. A pointer argument must lie in memory the
//! partition may read: its own, or a shared memory region it maps.
//!
//! # Shared memory regions
//!
//! A partition may map shared memory regions (`[[memory_region]]` in the
//! system description) outside its own memory, each at an IPA the system
//! description fixes, read-only or read/write, never executable. It asks
//! for a region's IPA, size and access by name with
//! [`Call::MemoryRegion`]. A store to a read-only region is a stage-2
//! permission fault (`stage2_abort`). Regions are zeroed once, at module
//! start, not at a partition's restart.
#![no_std]
#![forbid(unsafe_code)]

pub mod frame_line;

/// ABI version: major (incompatible changes) and minor (additions).
pub const ABI_VERSION_MAJOR: u16 = 1;
pub const ABI_VERSION_MINOR: u16 = 5;

/// Largest `len` accepted by [`Call::ConsoleWrite`].
pub const MAX_CONSOLE_WRITE: usize = 1024;
/// Largest frame accepted by [`Call::ConsoleFrame`]: a defmt frame of a
/// log call with a handful of arguments is a few dozen bytes.
pub const MAX_CONSOLE_FRAME: usize = 192;
/// Largest message accepted by [`Call::RaiseApplicationError`].
pub const MAX_ERROR_MESSAGE: usize = 128;
/// Console line length: the kernel prints a partition's line when it sees
/// `\n` or when this many bytes are buffered.
pub const CONSOLE_LINE: usize = 120;
/// Stack size of a thread whose description gives none.
pub const DEFAULT_STACK_SIZE: u64 = 16 * 1024;
/// Bytes of the unmapped guard page below every thread stack.
pub const STACK_GUARD_SIZE: u64 = 4096;
/// Shared memory regions one partition may map (`[[partition.memory_region]]`):
/// the kernel keeps each partition's list inline, and `bulkhead check`
/// refuses more.
pub const MAX_MEMORY_REGIONS: usize = 8;
/// Longest region name [`Call::MemoryRegion`] takes, in bytes (the system
/// image's name fields hold 31).
pub const MAX_REGION_NAME: usize = 31;

/// The INTID of a thread's virtual timer (CNTV, PPI 27).
pub const VIRTUAL_TIMER_INTID: u32 = 27;
/// Where a partition finds its GIC CPU interface: its virtual CPU interface
/// (GICV), mapped in stage 2 at the physical GICC address, so GICv2 code
/// written for the board runs unchanged. 8 KiB, device memory.
pub const GICC_IPA: u64 = 0xFF84_2000;
/// Size of the [`GICC_IPA`] mapping.
pub const GICC_SIZE: u64 = 0x2000;

/// Base of the vendor-specific hypervisor service range, SMC64 fast calls.
pub const FUNCTION_BASE: u32 = 0xC600_0000;

macro_rules! calls {
    ($( $(#[$doc:meta])* $name:ident = $n:expr, )*) => {
        /// Every hypercall. See each variant for arguments and results.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u32)]
        pub enum Call {
            $( $(#[$doc])* $name = FUNCTION_BASE | $n, )*
        }

        impl Call {
            /// All calls, in ID order.
            pub const ALL: &'static [Call] = &[$(Call::$name,)*];

            /// The call with this function ID (`w0`), if any.
            pub const fn from_id(id: u32) -> Option<Call> {
                match id {
                    $( x if x == FUNCTION_BASE | $n => Some(Call::$name), )*
                    _ => None,
                }
            }

            /// The function ID to put in `w0`.
            pub const fn id(self) -> u32 {
                self as u32
            }

            /// The call's name, as in the documentation.
            pub const fn name(self) -> &'static str {
                match self { $( Call::$name => stringify!($name), )* }
            }
        }
    };
}

calls! {
    /// `() -> x1 = major << 16 | minor`.
    AbiVersion = 0x00,
    /// `() -> x1 = partition id, x2 = thread index in the partition, x3 = core`.
    MyIds = 0x01,
    /// `() -> x1 = operating mode (`PartitionMode`), x2 = restarts so far,
    /// x3 = 1 if the partition is a system partition`.
    PartitionStatus = 0x02,
    /// `() -> x1 = ns since the module epoch, x2 = end of the current
    /// window in ns since the epoch (the instant the caller loses the
    /// module)`.
    GetTime = 0x03,
    /// `(x1 = ptr, x2 = len) -> x1 = bytes taken (always len; 0 is fine)`. The kernel
    /// prints each line as one console line `[partition:thread@core] text`;
    /// another partition's output never breaks into it. A call still
    /// copying when an interrupt comes for its core (its window's end) is
    /// continued: the kernel leaves with x1/x2 advanced past the bytes
    /// taken and the PC back on the HVC, so the thread re-issues it for the
    /// rest when it next runs; the final x1 counts the whole call.
    ConsoleWrite = 0x04,
    /// `()`: wait for the caller's next release point: the start of its
    /// partition's next window (ARINC 653 PERIODIC_WAIT).
    PeriodicWait = 0x05,
    /// `(x1 = delay in ns)`: wait at least that long (ARINC 653 TIMED_WAIT);
    /// 0 is a yield.
    TimedWait = 0x06,
    /// `()`: give the core to another ready thread of the partition, or
    /// idle it until the next event.
    Yield = 0x07,
    /// `(x1 = error code, x2 = ptr, x3 = len)`: report an application error
    /// with a message to the health monitor (ARINC 653
    /// RAISE_APPLICATION_ERROR); the configured action follows. If the
    /// action lets the partition go on, the call returns 0.
    RaiseApplicationError = 0x08,
    /// `(x1 = ptr, x2 = len, 1..=MAX_CONSOLE_FRAME) -> x1 = len`: print one
    /// binary log frame (a defmt frame) as one console line
    /// `@<partition id>.<thread>.<core> <base64>`, the base64 (standard
    /// alphabet, no padding) of the kernel time in ns since the epoch as an
    /// unsigned LEB128 varint followed by the frame's bytes ([`frame_line`]).
    /// `<thread>` is the module-wide thread index (declaration order over
    /// all partitions), as in the kernel's trace records.
    ConsoleFrame = 0x09,

    // Partition and process management (ARINC 653 Part 1), open to every
    // partition, acting on the caller's own partition only. A process is
    // named by its index in the partition (declaration order: `x0` at
    // its entry). An index of no thread of the caller is
    // `InvalidParameter`; an operation the target's state does not allow
    // (starting a running process, resuming one not suspended) is
    // `InvalidMode`.

    /// `(x1 = mode, PartitionMode)`: ARINC 653 SET_PARTITION_MODE for the
    /// caller's partition. `Normal` from ColdStart or WarmStart ends the
    /// initialisation: the processes started meanwhile become ready
    /// (delayed ones count their delay from now), and the caller goes on
    /// as a process at its priority. `Normal` again is `NoAction`.
    /// `ColdStart` restarts the partition with its memory reloaded from
    /// the image, `WarmStart` with its memory kept (not from ColdStart:
    /// `InvalidMode`); `Idle` stops it until a system partition starts it.
    /// After a restart or Idle the call does not return.
    SetPartitionMode = 0x0A,
    /// `(x1 = ptr, x2 = len = PARTITION_STATUS_SIZE)`: write the caller's
    /// [`PartitionStatusRecord`] at `ptr` (ARINC 653 GET_PARTITION_STATUS,
    /// every field; [`Call::PartitionStatus`] gives three of them in
    /// registers).
    GetPartitionStatus = 0x0B,

    /// `(x1 = name ptr, x2 = name len) -> x1 = process index`: the
    /// caller's thread of this name (`[[partition.thread]]` name; ARINC
    /// 653 GET_PROCESS_ID). An unknown name is `InvalidParameter`.
    ProcessIdByName = 0x40,
    /// `(x1 = process, x2 = ptr, x3 = len = PROCESS_STATUS_SIZE)`: write the
    /// process's [`ProcessStatusRecord`] at `ptr` (ARINC 653
    /// GET_PROCESS_STATUS).
    ProcessStatus = 0x41,
    /// `(x1 = process)`: start a dormant process from its entry (ARINC 653
    /// START): a fresh context, its base priority, its first release
    /// point. During initialisation it becomes ready when the partition
    /// enters Normal.
    StartProcess = 0x42,
    /// `(x1 = process, x2 = delay in ns)`: as StartProcess, ready `delay`
    /// after the call (after Normal, during initialisation) (ARINC 653
    /// DELAYED_START).
    DelayedStartProcess = 0x43,
    /// `(x1 = process)`: make a process dormant (ARINC 653 STOP; the
    /// caller's own index is STOP_SELF, which does not return).
    StopProcess = 0x44,
    /// `(x1 = process)`: suspend another process of the partition (ARINC
    /// 653 SUSPEND) until resumed; a wait it was in is dropped, except a
    /// port call's, which is taken up again when it is resumed (the same
    /// call, to the same deadline; it counts in [`PortStatus::waiting`]
    /// meanwhile). The caller's own index is `InvalidParameter` (use
    /// SuspendSelf).
    SuspendProcess = 0x45,
    /// `(x1 = timeout in ns, INFINITE for none)`: suspend the caller (ARINC
    /// 653 SUSPEND_SELF) until another process resumes it (returns 0) or
    /// the timeout expires (`TimedOut`). 0 returns at once.
    SuspendSelf = 0x46,
    /// `(x1 = process)`: resume a process suspended by SuspendProcess or
    /// SuspendSelf (ARINC 653 RESUME).
    ResumeProcess = 0x47,
    /// `(x1 = process, x2 = priority 0..=255)`: set its current priority
    /// (ARINC 653 SET_PRIORITY); a ready process goes behind the ready
    /// processes of its new priority.
    SetProcessPriority = 0x48,
    /// `() -> x1 = lock level`: hold off preemption on the caller's core by
    /// the partition's other processes there (ARINC 653 LOCK_PREEMPTION;
    /// the level counts nested locks, at most 16). While the level is
    /// above 0 the caller may not wait or yield (`InvalidMode` from
    /// PeriodicWait, TimedWait, Yield, a port call that would wait,
    /// SuspendSelf and WaitWord). Window boundaries still preempt it.
    LockPreemption = 0x49,
    /// `() -> x1 = lock level`: undo one LockPreemption (ARINC 653
    /// UNLOCK_PREEMPTION); at 0, a higher-priority ready process runs.
    /// `NoAction` if the caller holds no lock.
    UnlockPreemption = 0x4A,
    /// `(x1 = budget in ns) -> x1 = the new deadline, ns since the epoch`:
    /// move the caller's deadline to now + budget (ARINC 653 REPLENISH).
    /// A periodic process's deadline may not pass its next release point
    /// (`InvalidMode`).
    Replenish = 0x4B,
    /// `(x1 = process)`: make a dormant process of the caller's partition
    /// its error handler (ARINC 653 CREATE_ERROR_HANDLER, with the process
    /// declared in the description instead of created with an entry
    /// point). Only during initialisation (`InvalidMode` in Normal, or for
    /// a process that is not dormant); `NoAction` if the partition has one.
    /// From then on every error of another of its processes goes to the
    /// handler instead of the health table's action: the error is queued,
    /// a faulting process (not an overrun deadline or an application
    /// error) is suspended, and the handler is started (from its entry, at
    /// priority 255) if dormant. The handler reads the errors with
    /// GetErrorStatus, acts (stop, start, resume, restart the partition),
    /// and stops itself when there are none: it is started again by the
    /// next. An error of the handler itself, or one that finds the queue
    /// full, follows the table.
    CreateErrorHandler = 0x4C,
    /// `(x1 = ptr, x2 = len = ERROR_STATUS_SIZE) -> x1 = errors still
    /// queued after this one`: the oldest error queued for the caller, which
    /// must be its partition's error handler (else `InvalidMode`), as an
    /// [`ErrorStatusRecord`] at `ptr` (ARINC 653 GET_ERROR_STATUS);
    /// `NoAction` if none is queued.
    GetErrorStatus = 0x4D,
    /// `(x1 = process, x2 = entry, x3 = argument)`: as StartProcess, with an
    /// entry point the partition gives (ARINC 653 processes created with
    /// an entry address): the thread starts at the image's entry as always,
    /// with `x4` = `entry` and `x5` = `argument`, and the SDK's start-up
    /// code calls `entry` (a `fn(ThreadInfo, u64) -> !`) with the argument
    /// instead of the partition's main. `entry` must be an instruction of
    /// the caller's executable memory (4-byte aligned): else
    /// `InvalidAddress`.
    StartProcessAt = 0x4E,

    // Interpartition communication (ARINC 653 Part 1 ports). A port is
    // named `port` below: its handle from `PortByName`, an index into
    // the module's port table. A handle of a port the caller does not own
    // is `InvalidParameter`; a call of the wrong kind or direction for the
    // port (`WriteSamplingMessage` on a destination, `SendQueuingMessage`
    // on a sampling port, ...) is `InvalidMode`. A message longer than the
    // port's `message_size` is `InvalidParameter`, never truncated; a
    // receive buffer must hold the port's `message_size`. A timeout is in
    // ns: 0 polls, [`INFINITE`] waits for ever; a wait ends early only by
    // its event, and a waiter whose window ends keeps waiting into its
    // partition's next window. A call copies at most one message
    // ([`MAX_MESSAGE_SIZE`] bytes) with interrupts masked.

    /// `(x1 = name ptr, x2 = name len) -> x1 = port, x2 = kind (0 sampling,
    /// 1 queuing) | direction << 8 (0 source, 1 destination), x3 =
    /// message size`: the caller's port of this name (the
    /// `[[partition.port]]` name in the system description;
    /// ARINC 653 GET_*_PORT_ID). A name the caller has no port of is
    /// `InvalidParameter`.
    PortByName = 0x20,
    /// `(x1 = port, x2 = ptr, x3 = len)`: replace the message of a
    /// sampling source port (ARINC 653 WRITE_SAMPLING_MESSAGE). Every
    /// destination reads it from now on.
    WriteSamplingMessage = 0x21,
    /// `(x1 = port, x2 = ptr, x3 = buffer len) -> x1 = message len, x2 =
    /// its age in ns, x3 = 1 if valid (age within the channel's refresh
    /// period) else 0`: copy the latest message of a sampling destination
    /// port (ARINC 653 READ_SAMPLING_MESSAGE). Never blocks; `Empty` if
    /// no message was ever written.
    ReadSamplingMessage = 0x22,
    /// `(x1 = port, x2 = ptr, x3 = len, x4 = timeout)`: append a message
    /// to a queuing source port (ARINC 653 SEND_QUEUING_MESSAGE). A full
    /// queue: `Full` at once with timeout 0 (counted as an overflow), else
    /// the caller waits for room, `TimedOut` if none comes in time.
    SendQueuingMessage = 0x23,
    /// `(x1 = port, x2 = ptr, x3 = buffer len, x4 = timeout) -> x1 = message
    /// len`: take the oldest message of a queuing destination port (ARINC
    /// 653 RECEIVE_QUEUING_MESSAGE). An empty queue: `Empty` at once with
    /// timeout 0, else the caller waits for a message, `TimedOut` if none
    /// comes in time. A waiting receiver is made ready when the message is
    /// sent and runs in its partition's next window (the sender's time is
    /// never the receiver's).
    ReceiveQueuingMessage = 0x24,
    /// `(x1 = port, x2 = ptr, x3 = len = PORT_STATUS_SIZE)`: write the
    /// port's [`PortStatus`] record at `ptr` (ARINC 653
    /// GET_SAMPLING_PORT_STATUS / GET_QUEUING_PORT_STATUS).
    PortStatus = 0x25,

    // System-partition services: a partition not marked `system` gets
    // `Denied` from every call below.

    /// `(x1 = schedule index) -> x1 = ns since the epoch at which it takes
    /// effect`: switch the module schedule at the next major-frame boundary,
    /// on every core at the same instant (ARINC 653 SET_MODULE_SCHEDULE).
    /// A second request before then replaces the first.
    SetSchedule = 0x10,
    /// `() -> x1 = current schedule, x2 = next schedule (or u64::MAX if no
    /// switch is pending), x3 = ns since the epoch of the pending switch (0
    /// if none)` (ARINC 653 GET_MODULE_SCHEDULE_STATUS).
    ScheduleStatus = 0x11,
    /// `(x1 = partition id, x2 = thread index in that partition, x3 = core
    /// set, bit n = core n) -> x1 = the core the thread now runs on`: move a
    /// thread to the core of the set with the fewest threads of its
    /// partition (its current core, then the lowest, among equals: several
    /// threads of a partition may share a core); it runs on its new core
    /// from its partition's next window.
    SetThreadAffinity = 0x12,
    /// `(x1 = partition id)`: stop another partition (its windows become
    /// idle time).
    StopPartition = 0x13,
    /// `(x1 = partition id)`: start a stopped partition (cold start:
    /// memory reloaded from the system image). Not the caller's own
    /// partition, nor one that is running: `InvalidParameter`.
    StartPartition = 0x14,
    /// `(x1 = partition id)`: restart another partition (cold start). Not
    /// the caller's own (`InvalidParameter`): a partition restarts itself by
    /// raising an application error whose health action is a restart.
    RestartPartition = 0x15,

    // Shared memory (0x30..): open to every partition.

    /// `(x1 = name ptr, x2 = name len, 1..=MAX_REGION_NAME) -> x1 = IPA,
    /// x2 = size in bytes, x3 = access (`RegionAccess`: 0 read-only, 1
    /// read/write)`: where the shared memory region of that name lies in the
    /// caller's address space, if the caller maps it
    /// (`[[partition.memory_region]]` in the system description). A name
    /// the caller does not map, or one of no region, is
    /// `InvalidParameter`; a length outside 1..=[`MAX_REGION_NAME`] is
    /// `InvalidParameter`, a name pointer the caller cannot read
    /// `InvalidAddress`. The region is mapped for the partition's whole
    /// life, never executable, at the same IPA in every partition that maps
    /// it; it is zero at module start and keeps its contents across a
    /// partition restart. The kernel guarantees the mapping only: what is
    /// in the region, and who writes it when, is the partitions' business.
    MemoryRegion = 0x30,

    // Waiting on a word of partition memory (0x60..): the one kernel
    // wait/wake primitive (futex-like) the SDK's intra-partition objects
    // (blackboards, buffers, semaphores, events, mutexes) are built on.
    // Open to every partition, acting on its own threads only: a word is
    // named by its address in the caller's own memory (not a shared
    // region), 4-byte aligned; waiters of one partition never see another
    // partition's wakes. A waiter on another core is made ready by a wake
    // and runs in its partition's windows only.

    /// `(x1 = address, x2 = expected value (low 32 bits), x3 = timeout in
    /// ns, 0 polls, INFINITE for none)`: wait while the 32-bit word at
    /// `address` holds `expected`. The kernel compares the word with the
    /// caller's waiter queue locked, so a WakeWord that follows a change
    /// of the word is never missed. Returns 0 when woken by WakeWord,
    /// `NoAction` at once if the word does not hold `expected`,
    /// `TimedOut` when the timeout expires first (at once for 0). A waiter
    /// stopped, suspended or restarted leaves the queue. An address
    /// outside the caller's own memory is `InvalidAddress`, an unaligned
    /// one `InvalidParameter`; waiting with preemption locked is
    /// `InvalidMode`.
    WaitWord = 0x60,
    /// `(x1 = address, x2 = count, 1.. (u64::MAX: every waiter), x3 =
    /// order, WakeOrder) -> x1 = waiters woken`: make ready up to `count`
    /// threads of the caller's partition waiting on the word at `address`,
    /// chosen by `order`: `Priority` takes the highest current priority
    /// first, FIFO among equals; `Fifo` the longest waiting first. 0
    /// waiters woken is a success. A count of 0 or an unknown order is
    /// `InvalidParameter`; the address is checked as WaitWord's.
    WakeWord = 0x61,

    // Interrupts (0x70..): what a thread receives through its virtual GIC
    // CPU interface (GICV, mapped at the GICC address [`GICC_IPA`]). A
    // thread acknowledges and ends its interrupts there, with ordinary
    // GICv2 CPU-interface code; the distributor is the kernel's, so a
    // thread says which interrupts it takes with these calls instead of
    // GICD writes. INTIDs are the board's: [`VIRTUAL_TIMER_INTID`] (27) for
    // the thread's own virtual timer, or an SPI of a device the system
    // description assigns to the caller's partition, delivered to the
    // thread it names there.

    /// `(x1 = intid)`: the calling thread takes interrupt `intid` from now
    /// on: its virtual timer (27), or an interrupt of a device assigned to
    /// its partition (the description's receiving thread only). One that
    /// was pending while disabled is delivered now. Any other INTID, or a
    /// device interrupt from another thread than its receiver, is
    /// `InvalidParameter`; enabling one already enabled is `NoAction`.
    InterruptEnable = 0x70,
    /// `(x1 = intid)`: the calling thread stops taking `intid`; one already
    /// signalled to it stays in its CPU interface until it ends it. The
    /// INTID is checked as InterruptEnable's; `NoAction` if not enabled.
    InterruptDisable = 0x71,
    /// `(x1 = intid) -> x1 = delivered, x2 = deferred, x3 = dropped`: the
    /// counts for `intid` since the partition started: interrupts signalled
    /// to the receiving thread, those of them that came due while it was
    /// not running (outside its partition's windows, or while the thread
    /// was off its core) and were delivered when it next ran, and those
    /// the device's `outside_window = "drop"` policy discarded. The INTID
    /// is checked as InterruptEnable's.
    InterruptStatus = 0x72,

    // Health monitor (0x50..): system partitions only, `Denied` to any
    // other.

    /// `(x1 = ptr, x2 = len = HEALTH_RECORD_SIZE) -> x1 = entries still
    /// unread after this one, x2 = entries lost just before this one`:
    /// write the oldest unread record of the module's health log, a
    /// [`HealthRecord`], at `ptr` (ARINC 653 Part 1's error log, read by
    /// the system partition that watches health). The kernel keeps the
    /// last [`HEALTH_LOG_ENTRIES`] health events of every partition; one
    /// that comes when that many are unread overwrites the oldest unread,
    /// and the loss is counted in the next read's x2 (the events
    /// overwritten since the previous read, all older than the record
    /// returned). One read cursor for the module. `Empty` if nothing is
    /// unread; a length other than [`HEALTH_RECORD_SIZE`] is
    /// `InvalidParameter`; a buffer the caller cannot write (its text, its
    /// read-only data, a region it maps read-only) `InvalidAddress`. The
    /// kernel copies one record, with interrupts masked.
    HealthLog = 0x50,
}

/// Which waiters [`Call::WakeWord`] wakes first (its `x3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum WakeOrder {
    /// The highest current priority first, the longest waiting among equals
    /// (ARINC 653 PRIORITY queuing discipline).
    Priority = 0,
    /// The longest waiting first (ARINC 653 FIFO queuing discipline).
    Fifo = 1,
}

impl WakeOrder {
    /// The order of a raw `x3`, if the ABI defines it.
    pub const fn from_raw(raw: u64) -> Option<WakeOrder> {
        match raw {
            0 => Some(WakeOrder::Priority),
            1 => Some(WakeOrder::Fifo),
            _ => None,
        }
    }
}

/// How a partition maps a shared memory region ([`Call::MemoryRegion`]'s
/// `x3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum RegionAccess {
    /// Loads only; a store is a stage-2 fault, handled by the health monitor.
    ReadOnly = 0,
    /// Loads and stores.
    ReadWrite = 1,
}

impl RegionAccess {
    /// The access for a raw `x3`, if it is one.
    pub const fn from_raw(raw: u64) -> Option<RegionAccess> {
        match raw {
            0 => Some(RegionAccess::ReadOnly),
            1 => Some(RegionAccess::ReadWrite),
            _ => None,
        }
    }
}

/// Status codes returned in `x0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum Status {
    Success = 0,
    /// Unknown function ID (SMCCC NOT_SUPPORTED).
    NotSupported = -1,
    /// An argument is out of range: a length over its limit, a delay that
    /// overflows the counter, an id of no partition, thread or schedule.
    InvalidParameter = -2,
    /// A pointer range lies outside the caller's memory, touches a stack
    /// guard page or a page the caller cannot read, or wraps.
    InvalidAddress = -3,
    /// The caller may not do this (a system-partition service from a
    /// normal partition).
    Denied = -4,
    /// Nothing to read: a sampling port never written, an empty queue
    /// polled, a health log read to the end (ARINC 653 NO_ACTION /
    /// NOT_AVAILABLE).
    Empty = -5,
    /// A queue is full and the sender did not wait (ARINC 653
    /// NOT_AVAILABLE); counted in the port's overflows.
    Full = -6,
    /// A wait ended at its timeout: a port call, SuspendSelf, WaitWord
    /// (ARINC 653 TIMED_OUT).
    TimedOut = -7,
    /// The call does not fit the state it finds (ARINC 653 INVALID_MODE):
    /// a port of the wrong direction or kind, a process whose state does
    /// not allow the operation, a wait (or Yield) with preemption locked,
    /// CreateErrorHandler in Normal, GetErrorStatus from a process that is
    /// not the error handler.
    InvalidMode = -8,
    /// The request changes nothing: the partition is already in the
    /// requested mode, the process already dormant, no preemption lock to
    /// undo, an interrupt already enabled (or not enabled), a word that
    /// does not hold the expected value, no error queued (ARINC 653
    /// NO_ACTION).
    NoAction = -9,
}

impl Status {
    /// The status for a raw `x0`, if it is one.
    pub const fn from_raw(raw: i64) -> Option<Status> {
        match raw {
            0 => Some(Status::Success),
            -1 => Some(Status::NotSupported),
            -2 => Some(Status::InvalidParameter),
            -3 => Some(Status::InvalidAddress),
            -4 => Some(Status::Denied),
            -5 => Some(Status::Empty),
            -6 => Some(Status::Full),
            -7 => Some(Status::TimedOut),
            -8 => Some(Status::InvalidMode),
            -9 => Some(Status::NoAction),
            _ => None,
        }
    }

    /// The raw `x0` value.
    pub const fn raw(self) -> i64 {
        self as i64
    }
}

/// A port timeout that never expires.
pub const INFINITE: u64 = u64::MAX;
/// Largest message of any channel, bytes (the host tool refuses larger).
pub const MAX_MESSAGE_SIZE: usize = 8192;
/// Bytes of the [`PortStatus`] record.
pub const PORT_STATUS_SIZE: usize = 48;

/// A port's status, as [`Call::PortStatus`] writes it: little-endian, at
/// the offsets of this `repr(C)` layout ([`PORT_STATUS_SIZE`] bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct PortStatus {
    /// The channel's message size, bytes (ARINC MAX_MESSAGE_SIZE).
    pub max_message_size: u32,
    /// 0 sampling, 1 queuing.
    pub kind: u8,
    /// 0 source, 1 destination (ARINC PORT_DIRECTION).
    pub direction: u8,
    /// Sampling: 1 if the latest message is within the refresh period
    /// (ARINC LAST_MSG_VALIDITY); queuing: 0.
    pub validity: u8,
    pub reserved: u8,
    /// Queuing: the queue's depth (ARINC MAX_NB_MESSAGE); sampling: 0.
    pub depth: u32,
    /// Messages held: a queue's count (ARINC NB_MESSAGE); sampling: 1 once
    /// written, else 0.
    pub messages: u32,
    /// Sampling: the refresh period in ns (ARINC REFRESH_PERIOD); queuing: 0.
    pub refresh_period_ns: u64,
    /// Sampling: age of the latest message in ns, [`INFINITE`] if none.
    pub last_message_age_ns: u64,
    /// Queuing: sends refused because the queue was full, since boot.
    pub overflows: u64,
    /// Threads of the module waiting on the channel, a suspended waiter
    /// included (ARINC WAITING_PROCESSES).
    pub waiting: u32,
    pub reserved2: u32,
}

impl PortStatus {
    /// The record from its bytes, as the kernel writes them.
    pub fn from_bytes(b: &[u8; PORT_STATUS_SIZE]) -> PortStatus {
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at = |o: usize| u64::from(u32_at(o)) | (u64::from(u32_at(o + 4)) << 32);
        PortStatus {
            max_message_size: u32_at(0),
            kind: b[4],
            direction: b[5],
            validity: b[6],
            reserved: b[7],
            depth: u32_at(8),
            messages: u32_at(12),
            refresh_period_ns: u64_at(16),
            last_message_age_ns: u64_at(24),
            overflows: u64_at(32),
            waiting: u32_at(40),
            reserved2: u32_at(44),
        }
    }

    /// Its bytes.
    pub fn to_bytes(&self) -> [u8; PORT_STATUS_SIZE] {
        let mut b = [0u8; PORT_STATUS_SIZE];
        b[0..4].copy_from_slice(&self.max_message_size.to_le_bytes());
        b[4] = self.kind;
        b[5] = self.direction;
        b[6] = self.validity;
        b[7] = self.reserved;
        b[8..12].copy_from_slice(&self.depth.to_le_bytes());
        b[12..16].copy_from_slice(&self.messages.to_le_bytes());
        b[16..24].copy_from_slice(&self.refresh_period_ns.to_le_bytes());
        b[24..32].copy_from_slice(&self.last_message_age_ns.to_le_bytes());
        b[32..40].copy_from_slice(&self.overflows.to_le_bytes());
        b[40..44].copy_from_slice(&self.waiting.to_le_bytes());
        b[44..48].copy_from_slice(&self.reserved2.to_le_bytes());
        b
    }
}

/// Health events the kernel keeps for [`Call::HealthLog`].
pub const HEALTH_LOG_ENTRIES: usize = 64;
/// Bytes of a [`HealthRecord`].
pub const HEALTH_RECORD_SIZE: usize = 128;
/// Bytes of a [`HealthRecord`]'s `detail` field.
pub const HEALTH_DETAIL_SIZE: usize = 96;
/// A [`HealthRecord`]'s `partition` and `thread` for an event of the
/// module, not of a partition (a core's missed window boundaries).
pub const HEALTH_NO_PARTITION: u32 = u32::MAX;

/// One health event, as [`Call::HealthLog`] writes it: little-endian, at
/// the offsets of this `repr(C)` layout ([`HEALTH_RECORD_SIZE`] bytes).
///
/// | offset | field |
/// | --- | --- |
/// | 0 | `time_ns` u64 |
/// | 8 | `kind` u32 |
/// | 12 | `action` u32 |
/// | 16 | `partition` u32 |
/// | 20 | `thread` u32 |
/// | 24 | `core` u32 |
/// | 28 | `detail_len` u32 |
/// | 32 | `detail` [u8; 96] |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct HealthRecord {
    /// When the kernel handled it, ns since the module epoch.
    pub time_ns: u64,
    /// The error kind, as the system image codes it: 1 `stage2_abort`,
    /// 2 `undefined_instruction`, 3 `trapped_operation`, 4
    /// `deadline_miss`, 5 `application_error`, 6 `stack_overflow`, 7
    /// `window_overrun`, 8 `missed_boundary` ([`HealthRecord::kind_name`]).
    pub kind: u32,
    /// The action the health monitor took: 1 `log`, 2
    /// `restart_partition`, 3 `stop_partition`, 4 `halt_module`, 5
    /// `warm_restart_partition`, 6 `stop_process`, 7 `restart_process`, 8
    /// `switch_schedule`, 9 `reset_module` (a record of it is lost with the
    /// reset) ([`HealthRecord::action_name`]). A module-wide
    /// `halt_module` or `switch_schedule` taken for a normal partition
    /// reads 3, as it was carried out.
    pub action: u32,
    /// The partition id; [`HEALTH_NO_PARTITION`] for an event of the
    /// module (`missed_boundary`).
    pub partition: u32,
    /// The thread's index in its partition; [`HEALTH_NO_PARTITION`] for
    /// an event of the module.
    pub thread: u32,
    /// The core it ran on.
    pub core: u32,
    /// Bytes of the whole detail text, as the console's `health:` line
    /// has it (the sanitised message of an application error, the fault's
    /// description): more than [`HEALTH_DETAIL_SIZE`] means `detail` holds
    /// only its first bytes.
    pub detail_len: u32,
    /// The detail text's first `min(detail_len, 96)` bytes (printable
    /// ASCII), zero after them.
    pub detail: [u8; HEALTH_DETAIL_SIZE],
}

impl Default for HealthRecord {
    fn default() -> Self {
        HealthRecord::EMPTY
    }
}

impl HealthRecord {
    /// All zero.
    pub const EMPTY: HealthRecord = HealthRecord {
        time_ns: 0,
        kind: 0,
        action: 0,
        partition: 0,
        thread: 0,
        core: 0,
        detail_len: 0,
        detail: [0; HEALTH_DETAIL_SIZE],
    };

    /// The error kind's name in the system description (and the console's
    /// `health:` lines), `"?"` for a code of none.
    pub const fn kind_name(&self) -> &'static str {
        error_kind_name(self.kind)
    }

    /// The action's name in the system description, `"?"` for a code of
    /// none.
    pub const fn action_name(&self) -> &'static str {
        match self.action {
            1 => "log",
            2 => "restart_partition",
            3 => "stop_partition",
            4 => "halt_module",
            5 => "warm_restart_partition",
            6 => "stop_process",
            7 => "restart_process",
            8 => "switch_schedule",
            9 => "reset_module",
            _ => "?",
        }
    }

    /// The detail bytes held: the first `min(detail_len, 96)`.
    pub fn detail(&self) -> &[u8] {
        &self.detail[..(self.detail_len as usize).min(HEALTH_DETAIL_SIZE)]
    }

    /// Whether `detail` holds only the start of the text.
    pub const fn detail_cut(&self) -> bool {
        self.detail_len as usize > HEALTH_DETAIL_SIZE
    }

    /// The record from its bytes, as the kernel writes them.
    pub fn from_bytes(b: &[u8; HEALTH_RECORD_SIZE]) -> HealthRecord {
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let mut detail = [0; HEALTH_DETAIL_SIZE];
        detail.copy_from_slice(&b[32..]);
        HealthRecord {
            time_ns: u64::from(u32_at(0)) | (u64::from(u32_at(4)) << 32),
            kind: u32_at(8),
            action: u32_at(12),
            partition: u32_at(16),
            thread: u32_at(20),
            core: u32_at(24),
            detail_len: u32_at(28),
            detail,
        }
    }

    /// Its bytes.
    pub fn to_bytes(&self) -> [u8; HEALTH_RECORD_SIZE] {
        let mut b = [0u8; HEALTH_RECORD_SIZE];
        b[0..8].copy_from_slice(&self.time_ns.to_le_bytes());
        b[8..12].copy_from_slice(&self.kind.to_le_bytes());
        b[12..16].copy_from_slice(&self.action.to_le_bytes());
        b[16..20].copy_from_slice(&self.partition.to_le_bytes());
        b[20..24].copy_from_slice(&self.thread.to_le_bytes());
        b[24..28].copy_from_slice(&self.core.to_le_bytes());
        b[28..32].copy_from_slice(&self.detail_len.to_le_bytes());
        b[32..].copy_from_slice(&self.detail);
        b
    }
}

/// ARINC 653 operating mode of a partition, as [`Call::PartitionStatus`]
/// reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum PartitionMode {
    Idle = 0,
    ColdStart = 1,
    WarmStart = 2,
    Normal = 3,
}

/// Why a partition last (re)started, as [`PartitionStatusRecord`] reports
/// it (ARINC 653 START_CONDITION_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum StartCondition {
    /// Started with the module, or started again by a system partition's
    /// StartPartition after it was stopped: a cold start from its image,
    /// as at power-up (its `restarts` count still goes up).
    NormalStart = 0,
    /// Restarted by itself (SetPartitionMode) or by a system partition's
    /// RestartPartition.
    PartitionRestart = 1,
    /// The module was restarted by the health monitor.
    HmModuleRestart = 2,
    /// Restarted by the health monitor (a `restart_partition` action).
    HmPartitionRestart = 3,
}

/// Bytes of the [`PartitionStatusRecord`].
pub const PARTITION_STATUS_SIZE: usize = 48;

/// The caller's partition, as [`Call::GetPartitionStatus`] writes it:
/// little-endian, at the offsets of this `repr(C)` layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct PartitionStatusRecord {
    /// ARINC PERIOD: the major frame of the schedule in force, ns.
    pub period_ns: u64,
    /// ARINC DURATION: the partition's window time per major frame, ns.
    pub duration_ns: u64,
    /// ARINC IDENTIFIER: the partition id.
    pub id: u32,
    /// ARINC OPERATING_MODE ([`PartitionMode`]).
    pub mode: u32,
    /// ARINC START_CONDITION ([`StartCondition`]).
    pub start_condition: u32,
    /// ARINC LOCK_LEVEL: the preemption lock level on the caller's core.
    pub lock_level: u32,
    /// ARINC ASSIGNED_CORES: bit n set if a thread of the partition is
    /// placed on core n.
    pub cores: u32,
    /// Restarts since the module started.
    pub restarts: u32,
    /// Threads (processes) of the partition.
    pub threads: u32,
    /// Bit 0: a system partition.
    pub flags: u32,
}

/// Bytes of the [`ProcessStatusRecord`].
pub const PROCESS_STATUS_SIZE: usize = 64;

/// ARINC 653 process state, as [`ProcessStatusRecord`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum ProcessState {
    Dormant = 0,
    Ready = 1,
    Running = 2,
    Waiting = 3,
    Suspended = 4,
}

/// A process, as [`Call::ProcessStatus`] writes it: little-endian, at the
/// offsets of this `repr(C)` layout. Times are ns since the module epoch,
/// [`INFINITE`] for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct ProcessStatusRecord {
    /// ARINC DEADLINE_TIME.
    pub deadline_ns: u64,
    /// Its current release point: a periodic process's current period's;
    /// an aperiodic one's latest release (its start, or the window start
    /// its last PeriodicWait returned at); [`INFINITE`] for a dormant one.
    pub release_ns: u64,
    /// ARINC PERIOD ([`INFINITE`]: aperiodic).
    pub period_ns: u64,
    /// ARINC TIME_CAPACITY ([`INFINITE`]: none).
    pub time_capacity_ns: u64,
    /// ARINC BASE_PRIORITY.
    pub base_priority: u32,
    /// ARINC CURRENT_PRIORITY.
    pub current_priority: u32,
    /// ARINC PROCESS_STATE ([`ProcessState`]).
    pub state: u32,
    /// The core it is placed on.
    pub core: u32,
    /// Its index in the partition.
    pub index: u32,
    pub reserved: u32,
    pub reserved2: u64,
}

/// Errors queued for a partition's error handler at most; one more follows
/// the health table instead.
pub const ERROR_QUEUE_DEPTH: usize = 8;
/// Bytes of an [`ErrorStatusRecord`]'s message.
pub const ERROR_MESSAGE_SIZE: usize = 128;
/// Bytes of the [`ErrorStatusRecord`].
pub const ERROR_STATUS_SIZE: usize = 32 + ERROR_MESSAGE_SIZE;

/// An error queued for a partition's error handler, as
/// [`Call::GetErrorStatus`] writes it: little-endian, at the offsets of this
/// `repr(C)` layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct ErrorStatusRecord {
    /// When the kernel handled it, ns since the module epoch.
    pub time_ns: u64,
    /// ARINC FAILED_ADDRESS: the failed process's PC when the kernel
    /// handled the error (past a skipped access or instruction); 0 if the
    /// kernel could not read it without waiting.
    pub address: u64,
    /// ARINC ERROR_CODE: the health monitor's error kind code (as
    /// [`HealthRecord::kind`]).
    pub kind: u32,
    /// ARINC FAILED_PROCESS_ID: the process's index in the partition.
    pub process: u32,
    /// The whole message's length; the first [`ERROR_MESSAGE_SIZE`] bytes
    /// are in `message` (a longer one is cut, and this says so).
    pub message_len: u32,
    pub reserved: u32,
    /// ARINC MESSAGE: the health event's detail text.
    pub message: [u8; ERROR_MESSAGE_SIZE],
}

/// An error kind's name in the system description (and the console's
/// `health:` lines), by its code ([`HealthRecord::kind`],
/// [`ErrorStatusRecord::kind`]); `"?"` for a code of none.
pub const fn error_kind_name(code: u32) -> &'static str {
    match code {
        1 => "stage2_abort",
        2 => "undefined_instruction",
        3 => "trapped_operation",
        4 => "deadline_miss",
        5 => "application_error",
        6 => "stack_overflow",
        7 => "window_overrun",
        8 => "missed_boundary",
        _ => "?",
    }
}

impl ErrorStatusRecord {
    /// The error kind's name (`"?"` for a code of none).
    pub const fn kind_name(&self) -> &'static str {
        error_kind_name(self.kind)
    }

    /// The message as stored (at most [`ERROR_MESSAGE_SIZE`] bytes).
    pub fn message(&self) -> &[u8] {
        &self.message[..(self.message_len as usize).min(ERROR_MESSAGE_SIZE)]
    }

    /// Its bytes.
    pub fn to_bytes(&self) -> [u8; ERROR_STATUS_SIZE] {
        let mut b = [0u8; ERROR_STATUS_SIZE];
        b[0..8].copy_from_slice(&self.time_ns.to_le_bytes());
        b[8..16].copy_from_slice(&self.address.to_le_bytes());
        b[16..20].copy_from_slice(&self.kind.to_le_bytes());
        b[20..24].copy_from_slice(&self.process.to_le_bytes());
        b[24..28].copy_from_slice(&self.message_len.to_le_bytes());
        b[28..32].copy_from_slice(&self.reserved.to_le_bytes());
        b[32..].copy_from_slice(&self.message);
        b
    }

    /// The record from its bytes, as the kernel writes them.
    pub fn from_bytes(b: &[u8; ERROR_STATUS_SIZE]) -> ErrorStatusRecord {
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at = |o: usize| u64::from(u32_at(o)) | (u64::from(u32_at(o + 4)) << 32);
        let mut message = [0u8; ERROR_MESSAGE_SIZE];
        message.copy_from_slice(&b[32..]);
        ErrorStatusRecord {
            time_ns: u64_at(0),
            address: u64_at(8),
            kind: u32_at(16),
            process: u32_at(20),
            message_len: u32_at(24),
            reserved: u32_at(28),
            message,
        }
    }
}

/// Little-endian bytes of a record made only of `u32` and `u64` fields,
/// in declaration order with no padding (the records above).
macro_rules! record_bytes {
    ($ty:ty, $size:expr, $($field:ident: $t:ty),*) => {
        impl $ty {
            /// The record from its bytes, as the kernel writes them.
            pub fn from_bytes(b: &[u8; $size]) -> $ty {
                let mut at = 0usize;
                $(
                    let n = core::mem::size_of::<$t>();
                    let mut raw = [0u8; 8];
                    raw[..n].copy_from_slice(&b[at..at + n]);
                    let $field = u64::from_le_bytes(raw) as $t;
                    at += n;
                )*
                let _ = at;
                <$ty>::new_from_fields($($field),*)
            }

            /// Its bytes.
            pub fn to_bytes(&self) -> [u8; $size] {
                let mut b = [0u8; $size];
                let mut at = 0usize;
                $(
                    let v = self.$field.to_le_bytes();
                    b[at..at + v.len()].copy_from_slice(&v);
                    at += v.len();
                )*
                let _ = at;
                b
            }

            #[allow(clippy::too_many_arguments)]
            const fn new_from_fields($($field: $t),*) -> $ty {
                Self { $($field),* }
            }
        }
    };
}

record_bytes!(PartitionStatusRecord, PARTITION_STATUS_SIZE,
    period_ns: u64, duration_ns: u64, id: u32, mode: u32, start_condition: u32, lock_level: u32,
    cores: u32, restarts: u32, threads: u32, flags: u32);
record_bytes!(ProcessStatusRecord, PROCESS_STATUS_SIZE,
    deadline_ns: u64, release_ns: u64, period_ns: u64, time_capacity_ns: u64, base_priority: u32,
    current_priority: u32, state: u32, core: u32, index: u32, reserved: u32, reserved2: u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_in_the_vendor_hypervisor_range() {
        for (i, a) in Call::ALL.iter().enumerate() {
            assert_eq!(a.id() & 0xFF00_0000, 0xC600_0000, "{} is not a fast SMC64 vendor-hypervisor call", a.name());
            assert_eq!(Call::from_id(a.id()), Some(*a));
            for b in &Call::ALL[i + 1..] {
                assert_ne!(a.id(), b.id(), "{} and {} share an ID", a.name(), b.name());
            }
        }
    }

    #[test]
    fn unknown_ids_are_not_calls() {
        assert_eq!(Call::from_id(0), None);
        assert_eq!(Call::from_id(FUNCTION_BASE | 0xffff), None);
        // An SMC32 encoding of a valid number is a different function ID.
        assert_eq!(Call::from_id(0x8600_0000), None);
    }

    #[test]
    fn status_round_trips() {
        for s in [
            Status::Success,
            Status::NotSupported,
            Status::InvalidParameter,
            Status::InvalidAddress,
            Status::Denied,
            Status::Empty,
            Status::Full,
            Status::TimedOut,
            Status::InvalidMode,
            Status::NoAction,
        ] {
            assert_eq!(Status::from_raw(s.raw()), Some(s));
        }
        assert_eq!(Status::from_raw(-99), None);
        assert_eq!(Status::NotSupported.raw(), -1, "SMCCC fixes NOT_SUPPORTED at -1");
    }

    #[test]
    fn port_status_bytes_follow_its_repr_c_layout() {
        assert_eq!(core::mem::size_of::<PortStatus>(), PORT_STATUS_SIZE);
        let s = PortStatus {
            max_message_size: 0x0102_0304,
            kind: 1,
            direction: 1,
            validity: 0,
            reserved: 0,
            depth: 16,
            messages: 3,
            refresh_period_ns: 7,
            last_message_age_ns: u64::MAX - 1,
            overflows: 0x1_0000_0002,
            waiting: 2,
            reserved2: 0,
        };
        let b = s.to_bytes();
        assert_eq!(&b[0..4], &[4, 3, 2, 1]);
        assert_eq!(b[36], 1, "the overflow count's high word");
        assert_eq!(PortStatus::from_bytes(&b), s);
    }

    #[test]
    fn status_records_bytes_follow_their_repr_c_layout() {
        assert_eq!(core::mem::size_of::<PartitionStatusRecord>(), PARTITION_STATUS_SIZE);
        assert_eq!(core::mem::size_of::<ProcessStatusRecord>(), PROCESS_STATUS_SIZE);
        let p = PartitionStatusRecord {
            period_ns: 0x0102_0304_0506_0708,
            duration_ns: 2,
            id: 3,
            mode: 4,
            start_condition: 5,
            lock_level: 6,
            cores: 7,
            restarts: 8,
            threads: 9,
            flags: 10,
        };
        let b = p.to_bytes();
        assert_eq!(&b[0..8], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!((b[16], b[20], b[24], b[28], b[32], b[36], b[40], b[44]), (3, 4, 5, 6, 7, 8, 9, 10));
        assert_eq!(PartitionStatusRecord::from_bytes(&b), p);
        let s = ProcessStatusRecord {
            deadline_ns: u64::MAX - 1,
            release_ns: 1,
            period_ns: 2,
            time_capacity_ns: 3,
            base_priority: 4,
            current_priority: 5,
            state: 6,
            core: 7,
            index: 8,
            reserved: 0,
            reserved2: 9,
        };
        let b = s.to_bytes();
        assert_eq!((b[0], b[7], b[8], b[32], b[36], b[40], b[44], b[48], b[56]), (0xfe, 0xff, 1, 4, 5, 6, 7, 8, 9));
        assert_eq!(ProcessStatusRecord::from_bytes(&b), s);
    }

    #[test]
    fn health_record_bytes_follow_its_repr_c_layout() {
        assert_eq!(core::mem::size_of::<HealthRecord>(), HEALTH_RECORD_SIZE);
        let mut detail = [0; HEALTH_DETAIL_SIZE];
        detail[..5].copy_from_slice(b"hello");
        let r = HealthRecord {
            time_ns: 0x1_0000_0002,
            kind: 5,
            action: 2,
            partition: 3,
            thread: 1,
            core: 2,
            detail_len: 200,
            detail,
        };
        let b = r.to_bytes();
        assert_eq!(&b[0..8], &[2, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!((b[8], b[12], b[16], b[20], b[24], b[28]), (5, 2, 3, 1, 2, 200));
        assert_eq!(&b[32..37], b"hello");
        assert_eq!(HealthRecord::from_bytes(&b), r);
        assert_eq!((r.kind_name(), r.action_name()), ("application_error", "restart_partition"));
        assert!(r.detail_cut());
        assert_eq!(r.detail().len(), HEALTH_DETAIL_SIZE);
        let short = HealthRecord { detail_len: 5, ..r };
        assert_eq!((short.detail(), short.detail_cut()), (&b"hello"[..], false));
    }

    #[test]
    fn error_status_bytes_follow_its_repr_c_layout() {
        assert_eq!(core::mem::size_of::<ErrorStatusRecord>(), ERROR_STATUS_SIZE);
        let mut message = [0; ERROR_MESSAGE_SIZE];
        message[..3].copy_from_slice(b"abc");
        let r = ErrorStatusRecord {
            time_ns: 1,
            address: 0x4000_1234,
            kind: 5,
            process: 2,
            message_len: 300,
            reserved: 0,
            message,
        };
        let b = r.to_bytes();
        assert_eq!((b[0], b[8], b[9], b[16], b[20], b[24], b[25], b[32]), (1, 0x34, 0x12, 5, 2, 44, 1, b'a'));
        assert_eq!(ErrorStatusRecord::from_bytes(&b), r);
        assert_eq!(r.message().len(), ERROR_MESSAGE_SIZE, "a cut message is as long as the field");
        assert_eq!(ErrorStatusRecord { message_len: 3, ..r }.message(), b"abc");
    }

    #[test]
    fn a_thread_without_a_stack_size_gets_16_kib() {
        // Partitions built against this ABI size their memory for it: a
        // different default would overflow or waste their stacks silently.
        assert_eq!(DEFAULT_STACK_SIZE, 16_384);
    }
}
