//! Inter-processor interrupts: typed messages on one SGI (GICv2 IHI 0048B
//! 3.2, "Software-generated interrupts"), after Bao's IPI design.
//!
//! `send(reason, cores)` first posts `(reason, sender)` in each target's
//! pending word ([`bulkhead_protocol::Mailbox`]: a bit, set with release
//! ordering), then (after a DSB) writes GICD_SGIR. The target's handler,
//! after acknowledging the SGI, takes its word (swap to zero, acquire), so
//! whatever the sender stored before sending is visible to the handler of
//! that reason. Several messages may arrive on one SGI; none is lost and
//! none is handled twice: the protocol is pure code in `kernel/protocol`,
//! model-checked with loom over every interleaving of the cores.
//!
//! | reason       | meaning                                                       |
//! |--------------|---------------------------------------------------------------|
//! | `Reschedule` | the target's frame table or a thread on it changed: re-pick    |
//! | `Halt`       | stop for good (a kernel panic or fatal exception elsewhere)    |
//! | `Ping`       | liveness probe: the target answers with `Pong`                 |
//! | `Pong`       | answer to `Ping`                                               |
use crate::arch;
use crate::arch::RwLock;
use crate::console;
use crate::gic;
use aarch64_cpu::asm::barrier;
use bulkhead_board_rpi4::CORES;
use bulkhead_protocol::Mailbox;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// The SGI that carries every kernel IPI.
pub const IPI_SGI: u32 = 0;

/// Why a core is interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum IpiReason {
    Reschedule = 0,
    Halt = 1,
    Ping = 2,
    Pong = 3,
}

const REASONS: [IpiReason; 4] = [IpiReason::Reschedule, IpiReason::Halt, IpiReason::Ping, IpiReason::Pong];

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

static MAILBOX: Mailbox<CORES> = Mailbox::new();
static HANDLERS: RwLock<[Option<IpiHandler>; 4]> = RwLock::new([None; 4]);

/// Cores that have finished boot and take interrupts.
pub(crate) static ONLINE: AtomicU8 = AtomicU8::new(0);
static HALTING: AtomicBool = AtomicBool::new(false);
static HALTED: AtomicU8 = AtomicU8::new(0);

/// Installs the handler for `Reschedule`, `Ping` or `Pong` (a `Ping` with no
/// handler is answered with `Pong` by the kernel). `Halt` is the kernel's own.
pub fn set_handler(reason: IpiReason, handler: IpiHandler) {
    assert!(reason != IpiReason::Halt, "the Halt IPI handler is the kernel's own");
    HANDLERS.write()[reason as usize] = Some(handler);
}

/// Enables the IPI SGI on the calling core.
pub fn init_core() {
    gic::enable(IPI_SGI);
}

/// Sends `reason` to every core in `cores`.
pub fn send(reason: IpiReason, cores: CoreSet) {
    let me = arch::core_id();
    for core in cores.iter() {
        MAILBOX.post(core, reason as usize, me);
    }
    // The pending words must be visible to the targets before the SGI is.
    barrier::dsb(barrier::ISHST);
    gic::send_sgi(IPI_SGI, cores.0);
}

/// SGI handler (the SGI already acknowledged): runs every message pending
/// for this core.
pub(crate) fn handle_interrupt(core: usize) {
    for (reason, from) in Mailbox::<CORES>::messages(MAILBOX.take(core)) {
        let Some(&reason) = REASONS.get(reason) else { continue };
        match reason {
            IpiReason::Halt => halted_by(core, from),
            _ => {
                let handler = HANDLERS.read()[reason as usize];
                match (handler, reason) {
                    (Some(handler), _) => handler(core, from),
                    (None, IpiReason::Ping) => send(IpiReason::Pong, CoreSet::single(from)),
                    (None, _) => {}
                }
            }
        }
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
