//! Test image: every core arms 1,000 successive EL2-timer deadlines, each
//! computed from the core's epoch (`epoch + n * period`), and checks in the
//! handler that it did not fire early and that deadlines arrive in order,
//! none skipped. Core 0 collects the results and ends QEMU through
//! semihosting with status 0 only if every core passed.
#![no_std]
#![no_main]

use bulkhead_board_rpi4::CORES;
use bulkhead_kernel::time::{Epoch, Nanos, Ticks};
use bulkhead_kernel::{arch, kernel_main, println, semihosting_exit, timer};
use core::sync::atomic::{AtomicU8, AtomicU64, Ordering};

kernel_main!(main);

const DEADLINES: u64 = 1000;
/// 250 us: an awkward 15,625 ticks at 62.5 MHz and 13,500 at 54 MHz.
const PERIOD: Nanos = Nanos(250_000);

static EPOCH: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
/// The deadline index each core waits for next (1-based).
static NEXT: [AtomicU64; CORES] = [const { AtomicU64::new(1) }; CORES];
static EARLY: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
static OUT_OF_ORDER: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
static MAX_LATE: [AtomicU64; CORES] = [const { AtomicU64::new(0) }; CORES];
static DONE: AtomicU8 = AtomicU8::new(0);

fn deadline(core: usize, n: u64) -> Ticks {
    Epoch::new(Ticks(EPOCH[core].load(Ordering::Relaxed)))
        .boundary(timer::frequency(), PERIOD, n, Nanos(0))
        .expect("deadline fits")
}

fn on_deadline(core: usize, now: Ticks) {
    let n = NEXT[core].load(Ordering::Relaxed);
    let due = deadline(core, n);
    // The compare value still armed must be the one this delivery is for.
    if timer::armed_deadline() != due {
        OUT_OF_ORDER[core].fetch_add(1, Ordering::Relaxed);
    }
    if now < due {
        EARLY[core].fetch_add(1, Ordering::Relaxed);
    } else {
        MAX_LATE[core].fetch_max(now.0 - due.0, Ordering::Relaxed);
    }
    if n == DEADLINES {
        NEXT[core].store(n + 1, Ordering::Relaxed);
        DONE.fetch_or(1 << core, Ordering::Release);
        arch::send_event();
        return;
    }
    NEXT[core].store(n + 1, Ordering::Relaxed);
    timer::arm_at(deadline(core, n + 1));
}

fn main(core: usize) -> ! {
    timer::set_handler(on_deadline);
    EPOCH[core].store(timer::now().0, Ordering::Relaxed);
    timer::arm_at(deadline(core, 1));
    if core != 0 {
        loop {
            arch::wait_for_interrupt();
        }
    }
    // Core 0: wait for everyone, at most 20 s of counter time.
    let limit = timer::frequency().hz() * 20;
    let start = arch::counter();
    while DONE.load(Ordering::Acquire) != (1 << CORES) - 1 && arch::counter() - start < limit {
        arch::wait_for_event();
    }
    // A short grace period: a deadline delivered twice would show up now.
    bulkhead_kernel::selftest::sleep_ms(5);
    let mut failed = false;
    for c in 0..CORES {
        let delivered = NEXT[c].load(Ordering::Acquire) - 1;
        let early = EARLY[c].load(Ordering::Relaxed);
        let disorder = OUT_OF_ORDER[c].load(Ordering::Relaxed);
        let late = MAX_LATE[c].load(Ordering::Relaxed);
        let lost = DEADLINES.saturating_sub(delivered);
        println!(
            "core {c}: {delivered}/{DEADLINES} deadlines, {early} early, {lost} lost, {disorder} out of order, max lateness {late} ticks"
        );
        failed |= delivered != DEADLINES || early != 0 || disorder != 0;
    }
    println!("timer test: {}", if failed { "FAILED" } else { "passed" });
    semihosting_exit(u32::from(failed))
}
