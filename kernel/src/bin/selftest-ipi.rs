//! Test image: SGI ping-pong across all 12 ordered core pairs. For each
//! pair (a, b), in turn, core a sends 100 `Ping`s to b, one at a time, and
//! waits for each `Pong`. Every counter is then checked: exactly 100 pings
//! received by b from a and 100 pongs by a from b, nothing anywhere else.
#![no_std]
#![no_main]

use bulkhead_board_rpi4::CORES;
use bulkhead_kernel::ipi::{self, CoreSet, IpiReason};
use bulkhead_kernel::{arch, kernel_main, println, semihosting_exit, timer};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

kernel_main!(main);

const ROUNDS: u32 = 100;

static PINGS: [[AtomicU32; CORES]; CORES] = [const { [const { AtomicU32::new(0) }; CORES] }; CORES];
static PONGS: [[AtomicU32; CORES]; CORES] = [const { [const { AtomicU32::new(0) }; CORES] }; CORES];
/// The pair whose turn it is, as `a * CORES + b + 1`; 0 = none.
static TURN: AtomicUsize = AtomicUsize::new(0);
static TURNS_DONE: AtomicUsize = AtomicUsize::new(0);
static TIMEOUTS: AtomicU32 = AtomicU32::new(0);

fn on_ping(core: usize, from: usize) {
    PINGS[core][from].fetch_add(1, Ordering::Relaxed);
    ipi::send(IpiReason::Pong, CoreSet::single(from));
}

fn on_pong(core: usize, from: usize) {
    PONGS[core][from].fetch_add(1, Ordering::Release);
    arch::send_event();
}

fn play(a: usize, b: usize) {
    let one_second = timer::frequency().hz();
    for _ in 0..ROUNDS {
        let before = PONGS[a][b].load(Ordering::Acquire);
        ipi::send(IpiReason::Ping, CoreSet::single(b));
        let start = arch::counter();
        while PONGS[a][b].load(Ordering::Acquire) == before {
            if arch::counter() - start > one_second {
                println!("core {a}: no Pong from core {b} within 1 s");
                TIMEOUTS.fetch_add(1, Ordering::Relaxed);
                return;
            }
            arch::wait_for_event();
        }
    }
}

fn main(core: usize) -> ! {
    if core == 0 {
        ipi::set_handler(IpiReason::Ping, on_ping);
        ipi::set_handler(IpiReason::Pong, on_pong);
    }
    // The handlers are installed before any core can be pinged: pings only
    // start once core 0 hands out the first turn below.
    let mut served = 0;
    if core == 0 {
        for a in 0..CORES {
            for b in (0..CORES).filter(|&b| b != a) {
                TURN.store(a * CORES + b + 1, Ordering::Release);
                arch::send_event();
                if a == 0 {
                    play(a, b);
                    TURNS_DONE.fetch_add(1, Ordering::Release);
                }
                while TURNS_DONE.load(Ordering::Acquire) < served + 1 {
                    arch::wait_for_event();
                }
                served += 1;
            }
        }
        report()
    }
    loop {
        let turn = TURN.load(Ordering::Acquire);
        if turn > served && (turn - 1) / CORES == core {
            served = turn;
            play(core, (turn - 1) % CORES);
            TURNS_DONE.fetch_add(1, Ordering::Release);
            arch::send_event();
        }
        arch::wait_for_event();
    }
}

fn report() -> ! {
    let mut failed = TIMEOUTS.load(Ordering::Relaxed) != 0;
    for a in 0..CORES {
        for b in 0..CORES {
            let pings = PINGS[b][a].load(Ordering::Relaxed);
            let pongs = PONGS[a][b].load(Ordering::Relaxed);
            let expected = if a == b { 0 } else { ROUNDS };
            if a != b {
                println!("ipi: core {a} -> core {b}: {pings} pings received, {pongs} pongs returned");
            }
            failed |= pings != expected || pongs != expected;
        }
    }
    println!("ipi ping-pong: {}", if failed { "FAILED" } else { "12 ordered pairs passed" });
    semihosting_exit(u32::from(failed))
}
