//! `irq-flood`: a partition whose device interrupt never stops
//! (`partitions/tests/irq-flood.toml`). It owns the mini UART and enables
//! its transmit interrupt, which the UART asserts while its transmit FIFO
//! is empty (under QEMU: always), and its handler never clears the cause:
//! each end of interrupt finds the line still high, so thread `storm`
//! takes the interrupt again and again for its whole window, and its
//! `main` code never runs again. The kernel must keep that inside the
//! owner's windows: the line is masked at the distributor outside them.
//!
//! Thread `reporter` (another core) prints, every tenth window, what the
//! storm's handler counted and the kernel's counts it last read (the
//! handler asks InterruptStatus every 1,024th interrupt: only the
//! receiving thread may):
//!
//! ```text
//! irq-flood: storm on core C, transmit interrupt enabled (restarts R)
//! irq-flood: window N: H interrupts handled; kernel: delivered D, deferred F, dropped X
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

#[path = "../mini_uart.rs"]
mod mini_uart;

use bulkhead_sdk::irq;
use bulkhead_sdk::{ThreadInfo, my_ids, partition_status, periodic_wait, println};
use core::sync::atomic::{AtomicU64, Ordering};
use mini_uart::{IER_TX, INTID as MINI_UART, MiniUart};

bulkhead_sdk::partition_main!(main);

static HANDLED: AtomicU64 = AtomicU64::new(0);
static DELIVERED: AtomicU64 = AtomicU64::new(0);
static DEFERRED: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Counts, and leaves the cause alone: the transmit FIFO stays empty.
fn on_uart(intid: u32) {
    let n = HANDLED.fetch_add(1, Ordering::Relaxed) + 1;
    if n.is_multiple_of(1024)
        && let Ok(k) = irq::status(intid)
    {
        DELIVERED.store(k.delivered, Ordering::Relaxed);
        DEFERRED.store(k.deferred, Ordering::Relaxed);
        DROPPED.store(k.dropped, Ordering::Relaxed);
    }
}

fn main(thread: ThreadInfo) {
    if thread.index == 0 {
        storm();
    } else {
        report();
    }
}

fn storm() {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    let core = my_ids().map_or(u32::MAX, |ids| ids.core);
    println!("irq-flood: storm on core {core}, transmit interrupt enabled (restarts {restarts})");
    if let Err(e) = irq::register(MINI_UART, on_uart) {
        println!("irq-flood: register failed: {e:?}");
        return;
    }
    // SAFETY: the description assigns this partition the mini UART, and
    // only this thread drives it.
    let uart = unsafe { MiniUart::new() };
    uart.init(IER_TX);
    irq::cpu_interface_init();
    if let Err(e) = irq::enable(MINI_UART) {
        println!("irq-flood: InterruptEnable failed: {e:?}");
        return;
    }
    irq::unmask();
    loop {
        irq::wait_for_interrupt();
    }
}

fn report() {
    let mut window = 0u64;
    loop {
        let _ = periodic_wait();
        window += 1;
        // Every tenth: a line a window would outrun the 115200-baud
        // console beside the bystander's.
        if !window.is_multiple_of(10) {
            continue;
        }
        println!(
            "irq-flood: window {window}: {} interrupts handled; kernel: delivered {}, deferred {}, dropped {}",
            HANDLED.load(Ordering::Relaxed),
            DELIVERED.load(Ordering::Relaxed),
            DEFERRED.load(Ordering::Relaxed),
            DROPPED.load(Ordering::Relaxed)
        );
    }
}
