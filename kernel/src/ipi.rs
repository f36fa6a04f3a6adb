//! Inter-processor interrupts: one SGI per message kind (GICv2 IHI 0048B
//! 3.2, "Software-generated interrupts"), as Linux sends its IPIs.
//!
//! `send(reason, cores)` issues a DSB, then writes GICD_SGIR with the
//! reason's SGI. The GIC keeps one pending bit per (SGI, sending core,
//! target core) and gives the sender with the acknowledge (GICC_IAR bits
//! 12:10), so it is the mailbox: nothing is lost (an SGI sent again while
//! its handler runs is pending again, and taken after), nothing is handled
//! twice, and the target needs no shared word, atomic or lock to learn
//! who sent what. Two sends of one reason from one core before the target
//! takes the first merge into one: every reason is a "look again" request,
//! never a count. What the sender stored before sending is visible to the
//! handler: the DSB completes the stores before the SGIR write, and the
//! target orders its reads after the acknowledge (DMB, as Linux's GICv2
//! driver does after reading IAR).
//!
//! | reason (SGI) | meaning                                                       |
//! |--------------|---------------------------------------------------------------|
//! | `Reschedule` (0) | the target's frame table or a thread on it changed: re-pick |
//! | `Halt` (1)   | stop for good (a kernel panic or fatal exception elsewhere)    |
//! | `Ping` (2)   | liveness probe: the target answers with `Pong`                 |
//! | `Pong` (3)   | answer to `Ping`                                               |
use crate::arch;
use crate::console;
use crate::gic;
use aarch64_cpu::asm::barrier;
use bulkhead_board_rpi4::CORES;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, Ordering};

/// Why a core is interrupted; the value is the reason's SGI (INTID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum IpiReason {
    Reschedule = 0,
    Halt = 1,
    Ping = 2,
    Pong = 3,
}

const REASONS: [IpiReason; 4] = [IpiReason::Reschedule, IpiReason::Halt, IpiReason::Ping, IpiReason::Pong];

/// The kernel's IPI SGIs are 0 to `IPI_SGIS - 1`, one per reason.
pub const IPI_SGIS: u32 = REASONS.len() as u32;

/// A set of cores, bit n = core n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreSet(pub u8);

impl CoreSet {
    pub const fn single(core: usize) -> Self {
        Self(1 << core)
    }
    pub const fn all() -> Self {
        Self((1 << CORES) - 1)
    }
    pub const fn without(self, core: usize) -> Self {
        Self(self.0 & !(1 << core))
    }
    pub const fn with(self, core: usize) -> Self {
        Self(self.0 | (1 << core))
    }
    pub const fn contains(self, core: usize) -> bool {
        self.0 & (1 << core) != 0
    }
    /// The cores of the set, lowest first: one step per member (set bits
    /// only), not one per core of the board.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        // Bits beyond the board's cores are no core (as before: never yielded).
        let mut rest = self.0 & Self::all().0;
        core::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let core = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some(core)
        })
    }
}

/// A handler for one reason: `(this core, sending core)`.
pub type IpiHandler = fn(core: usize, from: usize);

/// Per reason, the installed handler (an `IpiHandler` as a pointer; null
/// for none): read with one load on the receiving path, no lock.
static HANDLERS: [AtomicPtr<()>; 4] = [const { AtomicPtr::new(core::ptr::null_mut()) }; 4];

/// Cores that have finished boot and take interrupts.
pub(crate) static ONLINE: AtomicU8 = AtomicU8::new(0);
static HALTING: AtomicBool = AtomicBool::new(false);
static HALTED: AtomicU8 = AtomicU8::new(0);

/// Installs the handler for `Reschedule`, `Ping` or `Pong` (a `Ping` with no
/// handler is answered with `Pong` by the kernel). `Halt` is the kernel's own.
pub fn set_handler(reason: IpiReason, handler: IpiHandler) {
    assert!(reason != IpiReason::Halt, "the Halt IPI handler is the kernel's own");
    HANDLERS[reason as usize].store(handler as *mut (), Ordering::Release);
}

/// Enables the IPI SGIs on the calling core.
pub fn init_core() {
    for reason in REASONS {
        gic::enable(reason as u32);
    }
}

/// Sends `reason` to every core in `cores`.
pub fn send(reason: IpiReason, cores: CoreSet) {
    // What the caller stored must be visible to the targets before the SGI is.
    barrier::dsb(barrier::ISHST);
    gic::send_sgi(reason as u32, cores.0 & CoreSet::all().0);
}

/// The handler of an acknowledged IPI SGI (below [`IPI_SGIS`]) from core
/// `from`. The SGI is the reason's value: no table maps one to the other.
#[inline(always)]
pub(crate) fn handle_interrupt(core: usize, sgi: u32, from: usize) {
    // The sender's stores (completed by its DSB before the SGI) are read
    // only after the acknowledge.
    barrier::dmb(barrier::ISHLD);
    if sgi == IpiReason::Halt as u32 {
        halted_by(core, from);
    }
    let handler = HANDLERS[sgi as usize].load(Ordering::Acquire);
    if !handler.is_null() {
        // SAFETY: the only non-null values stored are `IpiHandler`s
        // (`set_handler`), and a `fn` pointer round-trips through a data
        // pointer on this target.
        let handler: IpiHandler = unsafe { core::mem::transmute::<*mut (), IpiHandler>(handler) };
        handler(core, from);
    } else if sgi == IpiReason::Ping as u32 {
        send(IpiReason::Pong, CoreSet::single(from));
    }
}

fn halted_by(core: usize, from: usize) -> ! {
    crate::println!("core {core}: halted by core {from}");
    HALTED.fetch_or(1 << core, Ordering::Release);
    arch::send_event();
    arch::park()
}

/// Stops every core: this one last, after the others have acknowledged (or
/// a bounded wait has passed, for a core that has interrupts masked for good).
/// Called by the panic handler and the fatal-exception path.
pub fn halt_all() -> ! {
    let me = arch::core_id();
    arch::disable_irqs();
    if HALTING.swap(true, Ordering::AcqRel) {
        // Another core is already halting the module; it will stop us.
        HALTED.fetch_or(1 << me, Ordering::Release);
        arch::park();
    }
    let others = CoreSet(ONLINE.load(Ordering::Acquire)).without(me);
    send(IpiReason::Halt, others);
    let start = arch::counter();
    let limit = crate::timer::frequency().hz() / 2; // half a second
    while HALTED.load(Ordering::Acquire) & others.0 != others.0 && arch::counter() - start < limit {
        crate::arch::spin_hint();
    }
    let missing = others.0 & !HALTED.load(Ordering::Acquire);
    let mut console = console::lock_for_fatal();
    if missing == 0 {
        let _ = writeln!(console, "core {me}: all cores halted");
    } else {
        let _ = writeln!(console, "core {me}: all cores halted except {missing:#06b} (no answer to Halt)");
    }
    drop(console);
    arch::park()
}
