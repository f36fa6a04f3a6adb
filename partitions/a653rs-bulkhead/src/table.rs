//! What the backend remembers of the APEX objects a partition created:
//! per thread, the a653rs process made of it (attributes, entry point),
//! and the set of ports created. The kernel knows the threads and ports
//! of the description; which of them the application *created*
//! (CREATE_PROCESS, CREATE_*_PORT) and with which entry point only the
//! partition knows, so it lives here, in partition memory.
//!
//! Written only during initialisation (COLD_START / WARM_START), when the
//! main process runs alone; read by every process afterwards, on any
//! core. Plain atomics, no lock: a process preempted while holding a lock
//! by a higher-priority one of its core spinning for it would never run
//! again. Each slot's fields are stored before its `created` flag
//! (release) and read after it (acquire).
//!
//! A restart forgets every APEX object (ARINC 653 Part 1 section 2.3.1:
//! the partition creates them again in its initialisation). A cold
//! restart reloads this memory; a warm one keeps it, so the table carries
//! the restart count it was filled under and is cleared when that
//! changes ([`begin`]).

use core::sync::atomic::{AtomicI32, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use a653rs::bindings::{ApexName, ApexProcessAttribute, Deadline, SystemAddress};

/// Threads a partition may have: the kernel's per-partition thread masks
/// are 64 bits wide.
pub const MAX_PROCESSES: usize = 64;
/// [`MAX_PROCESSES`] as the largest process id ([`crate::convert::thread_index`]).
pub const MAX_PROCESSES_I64: i64 = MAX_PROCESSES as i64 - 1;
/// Ports of the module (`bulkhead-ports`' `MAX_PORTS`): handles are below.
pub const MAX_PORTS: usize = 128;

const CREATED: u32 = 1 << 0;
/// Created with a period (0 or more): PERIODIC_WAIT is allowed.
const PERIODIC: u32 = 1 << 1;
const HARD_DEADLINE: u32 = 1 << 2;
/// The partition's error handler (CREATE_ERROR_HANDLER).
const ERROR_HANDLER: u32 = 1 << 3;

/// One thread's a653rs process.
struct Slot {
    flags: AtomicU32,
    entry: AtomicUsize,
    period: AtomicI64,
    time_capacity: AtomicI64,
    stack_size: AtomicU32,
    base_priority: AtomicI32,
    name: [AtomicU64; 4],
}

impl Slot {
    const fn empty() -> Slot {
        Slot {
            flags: AtomicU32::new(0),
            entry: AtomicUsize::new(0),
            period: AtomicI64::new(0),
            time_capacity: AtomicI64::new(0),
            stack_size: AtomicU32::new(0),
            base_priority: AtomicI32::new(0),
            name: [const { AtomicU64::new(0) }; 4],
        }
    }
}

static PROCESSES: [Slot; MAX_PROCESSES] = [const { Slot::empty() }; MAX_PROCESSES];
/// Per port handle: 0 if not created, else the port as [`Port::pack`]
/// stores it.
static PORTS: [AtomicU32; MAX_PORTS] = [const { AtomicU32::new(0) }; MAX_PORTS];
/// The partition's restart count when the table was filled, plus one (0:
/// never).
static EPOCH: AtomicU32 = AtomicU32::new(0);

/// Starts a new initialisation if the partition has restarted since the
/// table was filled: forgets every process and port. Called by every
/// create service (they run only during initialisation, main process
/// alone) with the restart count of GET_PARTITION_STATUS.
pub fn begin(restarts: u32) {
    let epoch = restarts.wrapping_add(1);
    if EPOCH.load(Ordering::Acquire) == epoch {
        return;
    }
    for slot in &PROCESSES {
        slot.flags.store(0, Ordering::Release);
        slot.entry.store(0, Ordering::Relaxed);
    }
    for port in &PORTS {
        port.store(0, Ordering::Release);
    }
    EPOCH.store(epoch, Ordering::Release);
}

/// A process as CREATE_PROCESS recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub attributes: ApexProcessAttribute,
    pub periodic: bool,
    pub error_handler: bool,
}

fn slot(index: u32) -> Option<&'static Slot> {
    PROCESSES.get(index as usize)
}

/// Records thread `index` as the process of `attributes`.
pub fn record_process(index: u32, attributes: &ApexProcessAttribute) {
    let Some(s) = slot(index) else { return };
    record_entry(s, attributes.entry_point);
    s.period.store(attributes.period, Ordering::Relaxed);
    s.time_capacity.store(attributes.time_capacity, Ordering::Relaxed);
    s.stack_size.store(attributes.stack_size, Ordering::Relaxed);
    s.base_priority.store(attributes.base_priority, Ordering::Relaxed);
    for (word, bytes) in s.name.iter().zip(attributes.name.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        word.store(u64::from_le_bytes(b), Ordering::Relaxed);
    }
    let mut flags = CREATED;
    if attributes.period >= 0 {
        flags |= PERIODIC;
    }
    if attributes.deadline == Deadline::Hard {
        flags |= HARD_DEADLINE;
    }
    s.flags.store(flags, Ordering::Release);
}

/// Records thread `index` as the error handler, entered at `entry`.
pub fn record_error_handler(index: u32, entry: SystemAddress, stack_size: u32) {
    let Some(s) = slot(index) else { return };
    record_entry(s, entry);
    s.period.store(a653rs::bindings::INFINITE_TIME_VALUE, Ordering::Relaxed);
    s.time_capacity.store(a653rs::bindings::INFINITE_TIME_VALUE, Ordering::Relaxed);
    s.stack_size.store(stack_size, Ordering::Relaxed);
    s.base_priority.store(i32::from(u8::MAX), Ordering::Relaxed);
    for word in &s.name {
        word.store(0, Ordering::Relaxed);
    }
    s.flags.store(CREATED | ERROR_HANDLER, Ordering::Release);
}

fn record_entry(s: &Slot, entry: SystemAddress) {
    s.entry.store(entry as usize, Ordering::Relaxed);
}

/// Thread `index`'s process, if the application created one of it.
pub fn process(index: u32) -> Option<Created> {
    let s = slot(index)?;
    let flags = s.flags.load(Ordering::Acquire);
    if flags & CREATED == 0 {
        return None;
    }
    let entry = entry_of(s)?;
    let mut name: ApexName = [0; 32];
    for (bytes, word) in name.chunks_exact_mut(8).zip(&s.name) {
        bytes.copy_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
    }
    Some(Created {
        attributes: ApexProcessAttribute {
            period: s.period.load(Ordering::Relaxed),
            time_capacity: s.time_capacity.load(Ordering::Relaxed),
            entry_point: entry,
            stack_size: s.stack_size.load(Ordering::Relaxed),
            base_priority: s.base_priority.load(Ordering::Relaxed),
            deadline: if flags & HARD_DEADLINE != 0 { Deadline::Hard } else { Deadline::Soft },
            name,
        },
        periodic: flags & PERIODIC != 0,
        error_handler: flags & ERROR_HANDLER != 0,
    })
}

/// The entry point of thread `index`'s process, if it has one.
pub fn entry(index: u32) -> Option<SystemAddress> {
    let s = slot(index)?;
    if s.flags.load(Ordering::Acquire) & CREATED == 0 {
        return None;
    }
    entry_of(s)
}

fn entry_of(s: &Slot) -> Option<SystemAddress> {
    let raw = s.entry.load(Ordering::Relaxed);
    if raw == 0 {
        return None;
    }
    // SAFETY: `entry` is only ever stored from a `SystemAddress` (an
    // `extern "C" fn()`, never null) by `record_entry`, and read back as
    // one; function pointers and `usize` have the same size on every
    // target this builds for.
    Some(unsafe { core::mem::transmute::<usize, SystemAddress>(raw) })
}

/// The error handler's thread index, if one was created.
pub fn error_handler() -> Option<u32> {
    (0..MAX_PROCESSES as u32).find(|&i| process_flags(i) & (CREATED | ERROR_HANDLER) == CREATED | ERROR_HANDLER)
}

fn process_flags(index: u32) -> u32 {
    slot(index).map_or(0, |s| s.flags.load(Ordering::Acquire))
}

/// A created port, as the backend keeps it for the calls that use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    pub queuing: bool,
    pub destination: bool,
    /// The channel's message size, bytes (1..=8192).
    pub message_size: u32,
}

impl Port {
    /// Never 0: a message size is at least 1.
    const fn pack(self) -> u32 {
        (self.message_size & 0x3fff_ffff) | (self.queuing as u32) << 31 | (self.destination as u32) << 30
    }

    const fn unpack(raw: u32) -> Port {
        Port { queuing: raw & 1 << 31 != 0, destination: raw & 1 << 30 != 0, message_size: raw & 0x3fff_ffff }
    }
}

/// Records port `handle` as created; `false` if it already was in this
/// initialisation (NO_ACTION), or is no handle the kernel gives.
pub fn create_port(handle: u64, port: Port) -> bool {
    let Some(slot) = PORTS.get(handle as usize).filter(|_| handle < MAX_PORTS as u64) else { return false };
    slot.compare_exchange(0, port.pack(), Ordering::AcqRel, Ordering::Acquire).is_ok()
}

/// Port `handle`, if it was created in this initialisation.
pub fn port(handle: u64) -> Option<Port> {
    let raw = PORTS.get(usize::try_from(handle).ok()?)?.load(Ordering::Acquire);
    (raw != 0).then(|| Port::unpack(raw))
}

#[cfg(test)]
mod tests {
    //! One test touches the statics, so that parallel tests cannot see
    //! each other's records.
    use super::*;

    extern "C" fn entry_a() {}

    fn attributes(name: &str, period: i64) -> ApexProcessAttribute {
        ApexProcessAttribute {
            period,
            time_capacity: -1,
            entry_point: entry_a,
            stack_size: 8192,
            base_priority: 5,
            deadline: Deadline::Hard,
            name: crate::convert::apex_name(name),
        }
    }

    #[test]
    fn the_table_records_and_forgets_at_a_restart() {
        begin(0);
        assert_eq!(process(1), None);
        record_process(1, &attributes("ping", 0));
        record_process(2, &attributes("aperiodic", -1));
        let p = process(1).expect("recorded");
        assert_eq!(p.attributes, attributes("ping", 0));
        assert!(p.periodic && !p.error_handler);
        assert!(!process(2).expect("recorded").periodic);
        assert_eq!(entry(1).map(|f| f as usize), Some(entry_a as *const () as usize));
        assert_eq!(entry(3).map(|f| f as usize), None);
        assert_eq!(process(MAX_PROCESSES as u32), None);

        let q = Port { queuing: true, destination: false, message_size: 8192 };
        let s = Port { queuing: false, destination: true, message_size: 1 };
        assert!(create_port(5, q));
        assert!(!create_port(5, s), "a second create is NO_ACTION");
        assert!(create_port(127, s));
        assert!(!create_port(128, s), "no such handle");
        assert_eq!((port(5), port(127), port(6), port(u64::MAX)), (Some(q), Some(s), None, None));

        record_error_handler(3, entry_a, 4096);
        assert_eq!(error_handler(), Some(3));

        // The same initialisation: kept.
        begin(0);
        assert!(process(1).is_some() && port(5).is_some());
        // A restart (warm: memory kept): forgotten.
        begin(1);
        assert_eq!(process(1), None);
        assert_eq!(error_handler(), None);
        assert_eq!((port(5), port(127)), (None, None));
    }
}
