//! Hypercalls: the raw `HVC #0` and a safe wrapper for every call of
//! `bulkhead-abi`.
//!
//! Calling convention: Arm SMC Calling Convention (DEN 0028) section 2,
//! applied to HVC: function ID in `w0`, arguments in `x1..x6`, status in
//! `x0`, results in `x1..x3`. Bulkhead preserves `x4..x17` (the ABI crate
//! says so), which the raw call relies on. Service names follow ARINC 653
//! Part 1 APEX (GET_PARTITION_STATUS, GET_TIME, PERIODIC_WAIT, TIMED_WAIT,
//! RAISE_APPLICATION_ERROR) where they fit.

use bulkhead_abi::{
    Call, HEALTH_RECORD_SIZE, HealthRecord, MAX_CONSOLE_FRAME, MAX_CONSOLE_WRITE, PartitionMode, Status,
};

/// Issues `HVC #0` with function ID `id` in `w0` and `args` in `x1..x6`;
/// returns `x0..x3` as the kernel left them.
///
/// This is the escape hatch for tests that pass bad arguments on purpose;
/// everything else should use the safe wrappers.
///
/// On a host build there is no hypervisor: it returns
/// `[Status::NotSupported as u64, 0, 0, 0]`.
///
/// # Safety
///
/// The caller answers for what the call does with its arguments: a pointer
/// argument of a call that writes (a port read or status) must
/// point at memory the caller owns and may have overwritten, and a call that
/// stops or restarts the partition (RaiseApplicationError, with a health
/// action that does) never returns, so no destructor after it runs.
#[inline(always)]
pub unsafe fn hvc(id: u32, args: [u64; 6]) -> [u64; 4] {
    // Bare metal only: on an AArch64 *host* (Linux at EL0) HVC is undefined.
    #[cfg(all(target_arch = "aarch64", target_os = "none"))]
    {
        let (r0, r1, r2, r3): (u64, u64, u64, u64);
        // SAFETY: HVC #0 traps to the Bulkhead kernel, which changes no
        // register of ours but x0..x3 (declared as outputs) and touches no
        // memory but what the call's pointer arguments name, which the
        // caller vouches for. It does not use our stack.
        unsafe {
            core::arch::asm!(
                "hvc #0",
                inout("x0") u64::from(id) => r0,
                inout("x1") args[0] => r1,
                inout("x2") args[1] => r2,
                inout("x3") args[2] => r3,
                in("x4") args[3],
                in("x5") args[4],
                in("x6") args[5],
                options(nostack),
            );
        }
        [r0, r1, r2, r3]
    }
    #[cfg(not(all(target_arch = "aarch64", target_os = "none")))]
    {
        let _ = (id, args);
        [Status::NotSupported.raw() as u64, 0, 0, 0]
    }
}

/// `x0` as a status: `Ok(())` for 0, the error otherwise. A value the ABI
/// does not define (a kernel bug) reads as [`Status::NotSupported`].
pub(crate) fn check(x0: u64) -> Result<(), Status> {
    match Status::from_raw(x0 as i64) {
        Some(Status::Success) => Ok(()),
        Some(err) => Err(err),
        None => Err(Status::NotSupported),
    }
}

/// A call with no arguments; `Ok([x1, x2, x3])` on success.
fn call0(call: Call) -> Result<[u64; 3], Status> {
    // SAFETY: `call` takes no arguments (the ones passed are zero), so
    // nothing is read or written through a pointer.
    let [x0, x1, x2, x3] = unsafe { hvc(call.id(), [0; 6]) };
    check(x0).map(|()| [x1, x2, x3])
}

/// The name of a raw status, for messages: `"InvalidAddress"`, or
/// `"unknown"` for a value the ABI does not define.
pub fn status_name(raw: i64) -> &'static str {
    match Status::from_raw(raw) {
        Some(Status::Success) => "Success",
        Some(Status::NotSupported) => "NotSupported",
        Some(Status::InvalidParameter) => "InvalidParameter",
        Some(Status::InvalidAddress) => "InvalidAddress",
        Some(Status::Denied) => "Denied",
        Some(Status::Empty) => "Empty",
        Some(Status::Full) => "Full",
        Some(Status::TimedOut) => "TimedOut",
        Some(Status::InvalidMode) => "InvalidMode",
        Some(Status::NoAction) => "NoAction",
        None => "unknown",
    }
}

/// ABI version the kernel implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiVersion {
    /// Incompatible changes.
    pub major: u16,
    /// Additions.
    pub minor: u16,
}

impl AbiVersion {
    /// The version this SDK was built against (`bulkhead-abi`).
    pub const SDK: AbiVersion =
        AbiVersion { major: bulkhead_abi::ABI_VERSION_MAJOR, minor: bulkhead_abi::ABI_VERSION_MINOR };

    /// Whether a kernel of this version serves an SDK of version `sdk`:
    /// same major, at least the minor.
    pub const fn serves(self, sdk: AbiVersion) -> bool {
        self.major == sdk.major && self.minor >= sdk.minor
    }
}

/// `AbiVersion` (`0xC600_0000`): the kernel's ABI version.
pub fn abi_version() -> Result<AbiVersion, Status> {
    let [v, _, _] = call0(Call::AbiVersion)?;
    Ok(AbiVersion { major: (v >> 16) as u16, minor: v as u16 })
}

/// Who and where the caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    /// The partition's id: its declaration index in the system description.
    pub partition: u32,
    /// The thread's index within its partition (as `ThreadInfo::index`).
    pub thread: u32,
    /// The core the thread runs on now (0..=3).
    pub core: u32,
}

/// `MyIds` (`0xC600_0001`): partition id, thread index and current core.
pub fn my_ids() -> Result<Ids, Status> {
    let [p, t, c] = call0(Call::MyIds)?;
    Ok(Ids { partition: p as u32, thread: t as u32, core: c as u32 })
}

/// A partition's status, after ARINC 653 GET_PARTITION_STATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionStatus {
    /// The operating mode as the kernel reported it (`x1`); see
    /// [`PartitionStatus::mode`].
    pub mode_raw: u64,
    /// How many times the partition has been restarted.
    pub restarts: u64,
    /// Whether it is a system partition (`system = true` in the
    /// description).
    pub system: bool,
}

impl PartitionStatus {
    /// The operating mode, or `None` for a value the ABI does not define.
    pub const fn mode(&self) -> Option<PartitionMode> {
        match self.mode_raw {
            0 => Some(PartitionMode::Idle),
            1 => Some(PartitionMode::ColdStart),
            2 => Some(PartitionMode::WarmStart),
            3 => Some(PartitionMode::Normal),
            _ => None,
        }
    }
}

/// `PartitionStatus` (`0xC600_0002`): operating mode, restarts, system flag
/// (ARINC 653 GET_PARTITION_STATUS).
pub fn partition_status() -> Result<PartitionStatus, Status> {
    let [mode, restarts, system] = call0(Call::PartitionStatus)?;
    Ok(PartitionStatus { mode_raw: mode, restarts, system: system == 1 })
}

/// Module time, in nanoseconds since the module epoch (the start of major
/// frame 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// Now.
    pub now_ns: u64,
    /// The end of the caller's current window: the instant it loses the
    /// module.
    pub window_end_ns: u64,
}

impl Time {
    /// Nanoseconds left in the current window (0 once it is over).
    pub const fn window_remaining_ns(&self) -> u64 {
        self.window_end_ns.saturating_sub(self.now_ns)
    }
}

/// `GetTime` (`0xC600_0003`): now and the end of the current window
/// (ARINC 653 GET_TIME).
pub fn time() -> Result<Time, Status> {
    let [now_ns, window_end_ns, _] = call0(Call::GetTime)?;
    Ok(Time { now_ns, window_end_ns })
}

/// `ConsoleWrite` (`0xC600_0004`): write `bytes` to the module console.
/// The kernel queues whole lines, prefixed `[partition:thread@core]`, in
/// the partition's console buffer (never waiting for the UART).
///
/// Slices longer than [`MAX_CONSOLE_WRITE`] are written in several calls
/// (the kernel would refuse them whole). Returns the number of bytes the
/// kernel reports taken (all of them; a call the kernel cut at the end of
/// the window is continued by the kernel itself), or the error of the
/// first call that failed (the chunks before it are written).
pub fn console_write(bytes: &[u8]) -> Result<usize, Status> {
    let mut taken = 0;
    for chunk in bytes.chunks(MAX_CONSOLE_WRITE) {
        // SAFETY: ConsoleWrite only reads `[ptr, ptr + len)`, which is
        // `chunk`, a live borrowed slice of our own memory.
        let [x0, x1, ..] =
            unsafe { hvc(Call::ConsoleWrite.id(), [chunk.as_ptr() as u64, chunk.len() as u64, 0, 0, 0, 0]) };
        check(x0)?;
        taken += x1 as usize;
    }
    Ok(taken)
}

/// `PeriodicWait` (`0xC600_0005`): sleep until the caller's next release
/// point (ARINC 653 PERIODIC_WAIT): for a thread with a `period`, its first
/// release plus the next whole number of periods (at once if past); for
/// one without, the start of the partition's next window.
pub fn periodic_wait() -> Result<(), Status> {
    call0(Call::PeriodicWait).map(|_| ())
}

/// `TimedWait` (`0xC600_0006`): sleep at least `delay_ns` (ARINC 653
/// TIMED_WAIT); 0 is a yield.
pub fn timed_wait(delay_ns: u64) -> Result<(), Status> {
    // SAFETY: TimedWait takes a number, no pointer.
    let [x0, ..] = unsafe { hvc(Call::TimedWait.id(), [delay_ns, 0, 0, 0, 0, 0]) };
    check(x0)
}

/// `Yield` (`0xC600_0007`): give the core to another ready thread of the
/// partition, or idle it until the next event.
pub fn yield_now() -> Result<(), Status> {
    call0(Call::Yield).map(|_| ())
}

/// `RaiseApplicationError` (`0xC600_0008`): report error `code` with
/// `message` to the health monitor (ARINC 653 RAISE_APPLICATION_ERROR).
///
/// The configured `application_error` action follows: with `log` the call
/// returns `Ok(())`; with `restart_partition`, `stop_partition` or
/// `halt_module` it does not return. A message longer than
/// [`MAX_ERROR_MESSAGE`](bulkhead_abi::MAX_ERROR_MESSAGE) is refused
/// (`InvalidParameter`), not truncated: use [`MessageBuf`](crate::MessageBuf)
/// to build one that fits.
pub fn raise_application_error(code: u64, message: &[u8]) -> Result<(), Status> {
    // SAFETY: RaiseApplicationError only reads `message`, a live borrowed
    // slice. If the health action stops or restarts the partition the call
    // never returns, which safe code may always expect of any call.
    let [x0, ..] = unsafe {
        hvc(Call::RaiseApplicationError.id(), [code, message.as_ptr() as u64, message.len() as u64, 0, 0, 0])
    };
    check(x0)
}

/// `ConsoleFrame` (`0xC600_0009`): print one binary log frame (1 to
/// [`MAX_CONSOLE_FRAME`] bytes) as one console line
/// `@<partition>.<thread>.<core> <base64>`, stamped with the kernel's time
/// (`bulkhead_abi::frame_line`). The SDK's `defmt` feature sends every
/// defmt frame through it; `bulkhead log` decodes the lines on the host.
/// Returns the length; an empty or longer frame is refused
/// (`InvalidParameter`), never cut.
pub fn console_frame(frame: &[u8]) -> Result<usize, Status> {
    if frame.is_empty() || frame.len() > MAX_CONSOLE_FRAME {
        return Err(Status::InvalidParameter);
    }
    // SAFETY: ConsoleFrame only reads `[ptr, ptr + len)`, which is `frame`,
    // a live borrowed slice of our own memory.
    let [x0, x1, ..] = unsafe { hvc(Call::ConsoleFrame.id(), [frame.as_ptr() as u64, frame.len() as u64, 0, 0, 0, 0]) };
    check(x0).map(|()| x1 as usize)
}

// System-partition services (ARINC 653 Part 1 module schedules and
// partition control; Part 2 for SET_MODULE_SCHEDULE and its status). A
// partition not marked `system = true` in the description gets `Denied`
// from every one of them.

/// `SetSchedule` (`0xC600_0010`, system partitions only): switch the module
/// to schedule `schedule` (its index in the description, declaration
/// order) at the next major-frame boundary, on every core at once (ARINC
/// 653 SET_MODULE_SCHEDULE). A second request before then replaces the
/// first. Returns when the switch takes effect, in ns since the epoch.
pub fn set_schedule(schedule: u32) -> Result<u64, Status> {
    // SAFETY: SetSchedule takes a number, no pointer.
    let [x0, x1, ..] = unsafe { hvc(Call::SetSchedule.id(), [u64::from(schedule), 0, 0, 0, 0, 0]) };
    check(x0).map(|()| x1)
}

/// The module schedule and any switch asked for (ARINC 653
/// GET_MODULE_SCHEDULE_STATUS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleStatus {
    /// The schedule in force (index in the description).
    pub current: u32,
    /// The schedule a pending switch installs and when, in ns since the
    /// epoch; `None` if no switch is pending.
    pub pending: Option<(u32, u64)>,
}

/// `ScheduleStatus` (`0xC600_0011`, system partitions only): the current
/// schedule and the pending switch, if any.
pub fn schedule_status() -> Result<ScheduleStatus, Status> {
    let [current, next, at_ns] = call0(Call::ScheduleStatus)?;
    let pending = if next == u64::MAX { None } else { Some((next as u32, at_ns)) };
    Ok(ScheduleStatus { current: current as u32, pending })
}

/// `SetThreadAffinity` (`0xC600_0012`, system partitions only): let thread
/// `thread` of partition `partition` run on the cores of `cores` (bit n =
/// core n); the kernel places it on one of them, from its partition's next
/// window. Returns the core it now runs on.
pub fn set_thread_affinity(partition: u32, thread: u32, cores: u64) -> Result<u32, Status> {
    // SAFETY: SetThreadAffinity takes numbers, no pointer.
    let [x0, x1, ..] =
        unsafe { hvc(Call::SetThreadAffinity.id(), [u64::from(partition), u64::from(thread), cores, 0, 0, 0]) };
    check(x0).map(|()| x1 as u32)
}

/// A call whose one argument is a partition id and that has no result.
fn partition_call(call: Call, partition: u32) -> Result<(), Status> {
    // SAFETY: the partition-control calls take a number, no pointer. One
    // that names the caller may stop or restart it, so the call need not
    // return, which safe code may always expect.
    let [x0, ..] = unsafe { hvc(call.id(), [u64::from(partition), 0, 0, 0, 0, 0]) };
    check(x0)
}

/// `StopPartition` (`0xC600_0013`, system partitions only): stop partition
/// `partition`, as the `stop_partition` health action does; its windows
/// become idle time.
pub fn stop_partition(partition: u32) -> Result<(), Status> {
    partition_call(Call::StopPartition, partition)
}

/// `StartPartition` (`0xC600_0014`, system partitions only): cold-start a
/// stopped partition, its memory reloaded from the system image.
/// `InvalidParameter` if it is running.
pub fn start_partition(partition: u32) -> Result<(), Status> {
    partition_call(Call::StartPartition, partition)
}

/// `RestartPartition` (`0xC600_0015`, system partitions only): cold-restart
/// partition `partition`, running or not.
pub fn restart_partition(partition: u32) -> Result<(), Status> {
    partition_call(Call::RestartPartition, partition)
}

// Health monitor (0x50..): system partitions only.

/// One record of the module's health log, with what [`read_health_log`]
/// said of the log around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthLogEntry {
    /// The event: kind, partition, thread, core, action taken, time, detail.
    pub record: HealthRecord,
    /// Records still unread after this one.
    pub unread: u64,
    /// Records lost just before this one: overwritten unread (the log
    /// keeps the last [`HEALTH_LOG_ENTRIES`](bulkhead_abi::HEALTH_LOG_ENTRIES))
    /// since the previous read.
    pub dropped: u64,
}

/// `HealthLog` (`0xC600_0050`, system partitions only): take the oldest
/// unread record of the module's health log (one read cursor for the
/// module). `Err(Status::Empty)` if every record has been read.
pub fn read_health_log() -> Result<HealthLogEntry, Status> {
    let mut bytes = [0u8; HEALTH_RECORD_SIZE];
    // SAFETY: HealthLog writes exactly `HEALTH_RECORD_SIZE` bytes at `ptr`,
    // our own live, exclusively borrowed array.
    let [x0, x1, x2, _] =
        unsafe { hvc(Call::HealthLog.id(), [bytes.as_mut_ptr() as u64, HEALTH_RECORD_SIZE as u64, 0, 0, 0, 0]) };
    check(x0)?;
    Ok(HealthLogEntry { record: HealthRecord::from_bytes(&bytes), unread: x1, dropped: x2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_name() {
        assert_eq!(status_name(0), "Success");
        assert_eq!(status_name(-1), "NotSupported");
        assert_eq!(status_name(-2), "InvalidParameter");
        assert_eq!(status_name(-3), "InvalidAddress");
        assert_eq!(status_name(-4), "Denied");
        assert_eq!(status_name(-5), "Empty");
        assert_eq!(status_name(-8), "InvalidMode");
        assert_eq!(status_name(-9), "NoAction");
        assert_eq!(status_name(-10), "unknown");
        assert_eq!(status_name(7), "unknown");
    }

    #[test]
    fn undefined_status_values_are_errors() {
        assert_eq!(check(0), Ok(()));
        assert_eq!(check((-3i64) as u64), Err(Status::InvalidAddress));
        assert_eq!(check(1), Err(Status::NotSupported));
    }

    #[test]
    fn host_build_has_no_hypervisor() {
        assert_eq!(abi_version(), Err(Status::NotSupported));
        assert_eq!(console_write(b"x"), Err(Status::NotSupported));
        // An empty write makes no call at all.
        assert_eq!(console_write(b""), Ok(0));
        assert_eq!(console_frame(b"\x01"), Err(Status::NotSupported));
        // Refused before any call, as the kernel would.
        assert_eq!(console_frame(b""), Err(Status::InvalidParameter));
        assert_eq!(console_frame(&[0; MAX_CONSOLE_FRAME + 1]), Err(Status::InvalidParameter));
    }

    #[test]
    fn version_compatibility() {
        let k = AbiVersion { major: 1, minor: 2 };
        assert!(k.serves(AbiVersion { major: 1, minor: 0 }));
        assert!(!k.serves(AbiVersion { major: 1, minor: 3 }));
        assert!(!k.serves(AbiVersion { major: 2, minor: 0 }));
    }

    #[test]
    fn every_call_has_a_wrapper() {
        // A new call in bulkhead-abi makes this fail until the SDK wraps it
        // (and the README documents it).
        let wrapped = [
            Call::AbiVersion,
            Call::MyIds,
            Call::PartitionStatus,
            Call::GetTime,
            Call::ConsoleWrite,
            Call::PeriodicWait,
            Call::TimedWait,
            Call::Yield,
            Call::RaiseApplicationError,
            Call::ConsoleFrame,
            Call::SetPartitionMode,
            Call::GetPartitionStatus,
            Call::ProcessIdByName,
            Call::ProcessStatus,
            Call::StartProcess,
            Call::DelayedStartProcess,
            Call::StopProcess,
            Call::SuspendProcess,
            Call::SuspendSelf,
            Call::ResumeProcess,
            Call::SetProcessPriority,
            Call::LockPreemption,
            Call::UnlockPreemption,
            Call::Replenish,
            Call::CreateErrorHandler,
            Call::GetErrorStatus,
            Call::StartProcessAt,
            Call::PortByName,
            Call::WriteSamplingMessage,
            Call::ReadSamplingMessage,
            Call::SendQueuingMessage,
            Call::ReceiveQueuingMessage,
            Call::PortStatus,
            Call::SetSchedule,
            Call::ScheduleStatus,
            Call::SetThreadAffinity,
            Call::StopPartition,
            Call::StartPartition,
            Call::RestartPartition,
            Call::MemoryRegion,
            Call::WaitWord,
            Call::WakeWord,
            Call::InterruptEnable,
            Call::InterruptDisable,
            Call::InterruptStatus,
            Call::HealthLog,
        ];
        assert_eq!(Call::ALL, &wrapped[..]);
        let readme = include_str!("../README.md");
        for call in Call::ALL {
            let id = call.id();
            let heading = std::format!("### {} — `0x{:04X}_{:04X}`", call.name(), id >> 16, id & 0xffff);
            assert!(readme.contains(&heading), "README.md has no section \"{heading}\"");
        }
    }

    #[test]
    fn system_services_on_the_host() {
        assert_eq!(set_schedule(1), Err(Status::NotSupported));
        assert_eq!(schedule_status(), Err(Status::NotSupported));
        assert_eq!(set_thread_affinity(0, 0, 0b10), Err(Status::NotSupported));
        assert_eq!(stop_partition(1), Err(Status::NotSupported));
        assert_eq!(start_partition(1), Err(Status::NotSupported));
        assert_eq!(restart_partition(1), Err(Status::NotSupported));
        assert_eq!(read_health_log(), Err(Status::NotSupported));
    }

    #[test]
    fn partition_modes() {
        let s = PartitionStatus { mode_raw: 3, restarts: 0, system: false };
        assert_eq!(s.mode(), Some(PartitionMode::Normal));
        assert_eq!(PartitionStatus { mode_raw: 9, ..s }.mode(), None);
    }
}
