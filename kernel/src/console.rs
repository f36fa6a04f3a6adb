//! The kernel console: the PL011 behind one lock, so a line printed by one
//! core is never broken by another core's output.
//!
//! `println!` formats straight into the UART while the lock is held; a
//! multi-line report (`with_console`) holds it for all its lines. The lock
//! records its owner core: a core that faults or panics while printing takes
//! it over instead of deadlocking against itself, and the fatal path steals
//! it after a bounded wait, because a report that never prints is worse than
//! one that interleaves with a dying core.
use crate::arch;
use bulkhead_board_rpi4::uart::{self, Pl011};
use core::cell::UnsafeCell;
use core::fmt;
use core::sync::atomic::{AtomicUsize, Ordering};

const FREE: usize = usize::MAX;

struct Console {
    owner: AtomicUsize,
    uart: UnsafeCell<Option<Pl011<'static>>>,
}

// SAFETY: `uart` is only reached through `ConsoleGuard`, which exists only
// while `owner` names the calling core.
unsafe impl Sync for Console {}

static CONSOLE: Console = Console { owner: AtomicUsize::new(FREE), uart: UnsafeCell::new(None) };

/// Exclusive access to the console for the life of the guard.
pub struct ConsoleGuard {
    previous_owner: usize,
    irqs_were_enabled: bool,
}

impl ConsoleGuard {
    fn uart(&mut self) -> Option<&mut Pl011<'static>> {
        // SAFETY: the guard exists only while this core owns the lock.
        unsafe { (*CONSOLE.uart.get()).as_mut() }
    }
}

impl fmt::Write for ConsoleGuard {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(uart) = self.uart() {
            for b in s.bytes() {
                if b == b'\n' {
                    embedded_io::Write::write_all(uart, b"\r").map_err(|_| fmt::Error)?;
                }
                embedded_io::Write::write_all(uart, &[b]).map_err(|_| fmt::Error)?;
            }
        }
        Ok(())
    }
}

impl Drop for ConsoleGuard {
    fn drop(&mut self) {
        CONSOLE.owner.store(self.previous_owner, Ordering::Release);
        arch::restore_irqs(self.irqs_were_enabled);
    }
}

/// Takes the console lock. Interrupts stay masked while it is held, so an
/// interrupt handler on this core that prints cannot deadlock against the
/// code it interrupted.
pub fn lock() -> ConsoleGuard {
    let irqs_were_enabled = arch::disable_irqs();
    let me = arch::core_id();
    loop {
        match CONSOLE.owner.compare_exchange_weak(FREE, me, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => return ConsoleGuard { previous_owner: FREE, irqs_were_enabled },
            Err(owner) if owner == me => {
                // Re-entered from a fault or panic raised while printing.
                return ConsoleGuard { previous_owner: me, irqs_were_enabled };
            }
            Err(_) => arch::spin_hint(),
        }
    }
}

/// Takes the console for a fatal report: waits a bounded time for the
/// owner, then takes it regardless.
pub fn lock_for_fatal() -> ConsoleGuard {
    let irqs_were_enabled = arch::disable_irqs();
    let me = arch::core_id();
    for _ in 0..10_000_000 {
        match CONSOLE.owner.compare_exchange_weak(FREE, me, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => return ConsoleGuard { previous_owner: FREE, irqs_were_enabled },
            Err(owner) if owner == me => break,
            Err(_) => arch::spin_hint(),
        }
    }
    CONSOLE.owner.store(me, Ordering::Release);
    ConsoleGuard { previous_owner: FREE, irqs_were_enabled }
}

/// Runs `f` with the console held, for reports of several lines.
pub fn with_console<R>(f: impl FnOnce(&mut ConsoleGuard) -> R) -> R {
    let mut guard = lock();
    f(&mut guard)
}

/// Brings up the PL011. Core 0, once, with the MMU on, before any print.
pub fn init() {
    let guard = lock();
    // SAFETY: the device window is mapped by the EL2 stage-1 map; we hold the
    // console lock, so this is the only code touching the UART and GPIO, and
    // the handle is stored in the lock-protected cell.
    unsafe {
        uart::route_pins();
        *CONSOLE.uart.get() = Some(uart::console());
    }
    drop(guard);
}

#[doc(hidden)]
pub fn _print_line(args: fmt::Arguments) {
    let mut guard = lock();
    let _ = fmt::Write::write_fmt(&mut guard, args);
    let _ = fmt::Write::write_str(&mut guard, "\n");
}

/// Prints one whole line on the kernel console.
#[macro_export]
macro_rules! println {
    () => { $crate::console::_print_line(format_args!("")) };
    ($($arg:tt)*) => { $crate::console::_print_line(format_args!($($arg)*)) };
}

/// Brings up the PL011 with the MMU off (the wrong-EL report only). The
/// console lock's atomics are not used: one core, nothing to race with.
pub fn init_without_mmu() {
    // SAFETY: with the MMU off every access is device-nGnRnE, so the UART and
    // GPIO registers are reachable; only core 0 runs this, before anything
    // else uses the console.
    unsafe {
        uart::route_pins();
        *CONSOLE.uart.get() = Some(uart::console());
    }
}
