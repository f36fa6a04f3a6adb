//! `hostile-vgic`: a partition that abuses its interrupts and its GIC
//! virtual CPU interface (`partitions/tests/hostile-vgic.toml`).
//!
//! Thread `storm` (core 0) arms its virtual timer in the past and never
//! re-arms it: the timer's line stays asserted, so every end of interrupt
//! is followed by the same interrupt again, for the whole of its windows.
//! Its handler also ends INTIDs it was never given and writes the
//! deactivate register. Thread `poker` (core 1) writes junk to every
//! register of its virtual CPU interface (control, priority mask, binary
//! point, end of interrupt, active priorities, deactivate), reads the
//! acknowledge register, and asks for interrupts that are not its own
//! (each must be InvalidParameter). None of it may reach the bystander
//! beside it on core 0: its virtual interface is its own (saved and
//! restored with each thread), and its timer's interrupt is masked
//! outside its windows. The poker prints, every tenth window:
//!
//! ```text
//! hostile-vgic: storm on core C, virtual timer armed in the past (restarts R)
//! hostile-vgic: window N: H timer interrupts handled; P pokes; E InterruptEnable refused of F tried
//! ```
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_sdk::irq::{self, vtimer};
use bulkhead_sdk::{Status, ThreadInfo, my_ids, partition_status, periodic_wait, println};
use core::sync::atomic::{AtomicU64, Ordering};

bulkhead_sdk::partition_main!(main);

static HANDLED: AtomicU64 = AtomicU64::new(0);
static POKES: AtomicU64 = AtomicU64::new(0);
static REFUSED: AtomicU64 = AtomicU64::new(0);
static TRIED: AtomicU64 = AtomicU64::new(0);

/// Writes a register of the thread's virtual CPU interface.
fn write(offset: u64, value: u32) {
    // SAFETY: GICC_IPA..+GICC_SIZE is this thread's own virtual CPU
    // interface, which the kernel maps in every partition (ABI 1.5);
    // `offset` is one of its registers.
    unsafe { ((irq::GICC_IPA + offset) as *mut u32).write_volatile(value) }
}

fn read(offset: u64) -> u32 {
    // SAFETY: as for `write`.
    unsafe { ((irq::GICC_IPA + offset) as *const u32).read_volatile() }
}

/// Leaves the timer as it is (due forever) and ends things it was never
/// given.
fn on_timer(_intid: u32) {
    HANDLED.fetch_add(1, Ordering::Relaxed);
    write(irq::gicc::EOIR, 1023);
    write(irq::gicc::EOIR, 153);
    write(0x1000, 26); // GICV_DIR
}

fn main(thread: ThreadInfo) {
    if thread.index == 0 {
        storm();
    } else {
        poke();
    }
}

fn storm() {
    let restarts = partition_status().map_or(0, |s| s.restarts);
    let core = my_ids().map_or(u32::MAX, |ids| ids.core);
    println!("hostile-vgic: storm on core {core}, virtual timer armed in the past (restarts {restarts})");
    if let Err(e) = irq::register(irq::VIRTUAL_TIMER_INTID, on_timer) {
        println!("hostile-vgic: register failed: {e:?}");
        return;
    }
    irq::cpu_interface_init();
    if let Err(e) = irq::enable(irq::VIRTUAL_TIMER_INTID) {
        println!("hostile-vgic: InterruptEnable failed: {e:?}");
        return;
    }
    vtimer::arm_at(1);
    irq::unmask();
    loop {
        irq::wait_for_interrupt();
    }
}

fn poke() {
    let mut x: u32 = 0x1234_5678;
    let mut window = 0u64;
    loop {
        // A window's worth of junk, then wait for the next.
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let _ = read(irq::gicc::IAR);
            for offset in [irq::gicc::CTLR, irq::gicc::PMR, irq::gicc::BPR, irq::gicc::EOIR, 0xd0, 0x1000] {
                write(offset, x);
            }
            POKES.fetch_add(1, Ordering::Relaxed);
            // An interrupt that is not its own: the board's console, the
            // kernel's timer and IPI, a device no one was given, the EL1
            // physical timer, anything (but its own virtual timer, 27).
            let any = match x % 2048 {
                27 => 28,
                n => n,
            };
            let intid = [153, 26, 0, 125, 30, any][(x % 6) as usize];
            TRIED.fetch_add(1, Ordering::Relaxed);
            if irq::enable(intid) == Err(Status::InvalidParameter) {
                REFUSED.fetch_add(1, Ordering::Relaxed);
            }
        }
        let _ = periodic_wait();
        window += 1;
        if window.is_multiple_of(10) {
            println!(
                "hostile-vgic: window {window}: {} timer interrupts handled; {} pokes; {} InterruptEnable refused of {} tried",
                HANDLED.load(Ordering::Relaxed),
                POKES.load(Ordering::Relaxed),
                REFUSED.load(Ordering::Relaxed),
                TRIED.load(Ordering::Relaxed)
            );
        }
    }
}
