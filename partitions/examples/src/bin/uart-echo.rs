//! `uart-echo`: an I/O partition that owns the mini UART (QEMU's
//! `serial1`) through its description's `[[partition.device]]` and echoes
//! every byte it receives, taking the UART's receive interrupt (INTID 125)
//! through the SDK's handler table (`partitions/tests/uart-echo.toml`,
//! `device-intruder.toml`).
//!
//! The handler reads the receive FIFO empty, writing each byte back: the
//! line falls when the FIFO is empty, so its work is the cause's clearing.
//! The thread's virtual timer wakes it every millisecond of its windows,
//! so it notices a new window (GetTime's window end) even when no byte
//! came; at the first wake of a window, if bytes arrived since its last
//! line and either none came since the previous window began (the input
//! paused) or 8 windows have passed, it prints the total and the kernel's
//! counts for the UART's interrupt:
//!
//! ```text
//! uart-echo: echoing the mini UART (INTID 125) on core C (restarts R)
//! uart-echo: N bytes echoed; kernel: delivered D, deferred F, dropped X
//! ```
//!
//! Deferred interrupts are those that came while the partition was out
//! of its window (the kernel masked the line at the distributor) and were
//! delivered at its next window. A line ending in `failed: ...` says a
//! call failed.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

#[path = "../mini_uart.rs"]
mod mini_uart;

use bulkhead_sdk::irq::{self, VIRTUAL_TIMER_INTID, vtimer};
use bulkhead_sdk::{ThreadInfo, my_ids, partition_status, println, time};
use core::sync::atomic::{AtomicU64, Ordering};
use mini_uart::{IER_RX, INTID as MINI_UART, MiniUart};

bulkhead_sdk::partition_main!(main);

// SAFETY: the description assigns this partition the mini UART, and only
// its one receiving thread (the handler, and `main` before it enables the
// interrupt) drives it.
static UART: MiniUart = unsafe { MiniUart::new() };
/// Bytes echoed so far.
static ECHOED: AtomicU64 = AtomicU64::new(0);
/// Wake-ups: interrupts of either kind handled.
static WAKES: AtomicU64 = AtomicU64::new(0);
/// The heartbeat's period, in ticks.
static HEARTBEAT: AtomicU64 = AtomicU64::new(0);

fn on_uart(_intid: u32) {
    while let Some(byte) = UART.try_read() {
        UART.write_byte(byte);
        ECHOED.fetch_add(1, Ordering::Relaxed);
    }
    WAKES.fetch_add(1, Ordering::Relaxed);
}

fn on_heartbeat(_intid: u32) {
    vtimer::arm_after(HEARTBEAT.load(Ordering::Relaxed));
    WAKES.fetch_add(1, Ordering::Relaxed);
}

fn main(_thread: ThreadInfo) {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    let core = my_ids().map_or(u32::MAX, |ids| ids.core);
    println!("uart-echo: echoing the mini UART (INTID {MINI_UART}) on core {core} (restarts {restarts})");
    HEARTBEAT.store(vtimer::ticks_from_ns(1_000_000, vtimer::frequency()), Ordering::Relaxed);
    for (intid, handler) in [(MINI_UART, on_uart as irq::Handler), (VIRTUAL_TIMER_INTID, on_heartbeat)] {
        if let Err(e) = irq::register(intid, handler) {
            println!("uart-echo: register {intid} failed: {e:?}");
            return;
        }
    }
    UART.init(IER_RX);
    irq::cpu_interface_init();
    for intid in [MINI_UART, VIRTUAL_TIMER_INTID] {
        if let Err(e) = irq::enable(intid) {
            println!("uart-echo: InterruptEnable {intid} failed: {e:?}");
            return;
        }
    }
    vtimer::arm_after(HEARTBEAT.load(Ordering::Relaxed));

    let mut window_end = time().map_or(0, |t| t.window_end_ns);
    let (mut seen, mut printed) = (0, 0);
    // Windows begun, the window of the last line, and the count when the
    // current window began.
    let (mut windows, mut printed_at, mut at_window_start) = (0u64, 0u64, 0u64);
    loop {
        irq::mask();
        if WAKES.load(Ordering::Relaxed) == seen {
            irq::wait_for_interrupt();
        }
        irq::unmask();
        seen = WAKES.load(Ordering::Relaxed);
        let Ok(t) = time() else { continue };
        if t.window_end_ns == window_end {
            continue;
        }
        window_end = t.window_end_ns;
        windows += 1;
        let echoed = ECHOED.load(Ordering::Relaxed);
        let quiet = echoed == at_window_start;
        at_window_start = echoed;
        // A line when the input has paused (nothing came since the last
        // window began) or every 8th window while it flows: a line a window
        // would outrun the 115200-baud console.
        if echoed == printed || !(quiet || windows - printed_at >= 8) {
            continue;
        }
        (printed, printed_at) = (echoed, windows);
        match irq::status(MINI_UART) {
            Ok(k) => println!(
                "uart-echo: {echoed} bytes echoed; kernel: delivered {}, deferred {}, dropped {}",
                k.delivered, k.deferred, k.dropped
            ),
            Err(e) => println!("uart-echo: InterruptStatus failed: {e:?}"),
        }
    }
}
