//! Bulkhead: an ARINC 653 separation kernel at EL2 for the Raspberry Pi 4.
//!
//! This crate is the EL2 kernel: thin glue between the hardware (under
//! `arch`, the one door to the CPU, plus the GIC, timer and console drivers)
//! and the pure, host-tested crates that decide things (`bulkhead-time`,
//! later the scheduler and the system-image parser). Each binary under
//! `src/bin` (and `src/main.rs`, the product) supplies the per-core `main`
//! that runs after the common boot sequence of [`kernel_entry`]:
//!
//! 1. core 0: EL2 stage-1 map, MMU and caches on (before the first lock or
//!    atomic: exclusives need cacheable memory on a real Pi 4), console, GIC
//!    distributor; cores 1-3: MMU on with core 0's tables;
//! 2. every core: GIC CPU interface, IPI and timer interrupts, one boot line;
//! 3. core 0 releases cores 1-3 through the spin table; all meet at a
//!    barrier; core 0 reads the firmware's memory map (the device tree x0
//!    pointed at, or the fallback: `dtb.rs`) and prints the banner; all
//!    meet again and enter `main`.
//!
//! Principles, after Hubris: simple and clear over fast and clever; every
//! `unsafe` argued on the spot; a failure names what failed and stops the
//! module rather than run on in an unknown state.
#![no_std]

pub mod arch;
pub mod console;
pub mod dtb;
pub mod fault;
pub mod gic;
pub mod ipi;
pub mod irq;
pub mod module;
pub mod panic;
pub mod selftest;
pub mod smp;
pub mod timer;

use bulkhead_board_rpi4::{CORES, memory};
use core::sync::atomic::Ordering;

pub use bulkhead_time as time;

/// Defines the per-core `main` of a kernel binary: `kernel_main!(my_main)`
/// with `fn my_main(core: usize) -> !`.
#[macro_export]
macro_rules! kernel_main {
    ($main:path) => {
        #[unsafe(no_mangle)]
        extern "Rust" fn __bulkhead_main(core: usize) -> ! {
            let main: fn(usize) -> ! = $main;
            main(core)
        }
    };
}

unsafe extern "Rust" {
    fn __bulkhead_main(core: usize) -> !;
}

static BOOT_BARRIER: smp::CoreBarrier = smp::CoreBarrier::new();

/// Rust entry of every core (from `common_entry` in arch/boot.rs), on its
/// own stack, MMU off, IRQs masked.
#[unsafe(no_mangle)]
extern "C" fn kernel_entry(core: usize) -> ! {
    if core == 0 {
        // SAFETY: core 0, once, MMU off, before any other core is released.
        if let Err(e) = unsafe { arch::mmu::build() } {
            console::print_without_mmu(format_args!(
                "EL2 map: {} blocks of 2 MiB need 4 KiB pages, the kernel has {} level-3 tables for them \
                 (raise L3_TABLES in kernel/src/arch/mmu.rs). Halting.",
                e.mixed, e.tables
            ));
            arch::park()
        }
    }
    // SAFETY: the tables are complete: core 0 built them just above, and the
    // other cores only run after core 0 released them, later still.
    unsafe { arch::mmu::enable() };
    if core == 0 {
        console::init();
        gic::init_distributor();
    }
    // Every core: CNTVOFF_EL2 is per core, and its reset value is unknown
    // (QEMU zeroes it; a Pi's firmware need not, on cores 1-3 too).
    arch::sysreg::zero_cntvoff();
    arch::configure_el2();
    arch::stage2::configure_el2_for_guests();
    gic::init_cpu_interface();
    ipi::init_core();
    timer::init_core();
    module::interrupts::init_core(core);
    ipi::ONLINE.fetch_or(1 << core, Ordering::AcqRel);
    arch::enable_irqs();
    println!("core {core}: MPIDR {:#010x}, EL{}, online", arch::mpidr(), arch::current_el());

    if core == 0 {
        smp::release_secondaries();
        let two_seconds = timer::frequency().hz() * 2;
        if let Err(arrived) = BOOT_BARRIER.wait(CORES, Some(two_seconds)) {
            let online = ipi::ONLINE.load(Ordering::Acquire);
            panic!(
                "only {arrived} of {CORES} cores reached the boot barrier within 2 s (online mask {online:#06b}); \
                 check the firmware's spin table (armstub) and kernel_address=0x80000"
            );
        }
        // The firmware's memory map, before anything is loaded over the
        // device tree; the banner prints it.
        dtb::read();
        banner();
    } else {
        let _ = BOOT_BARRIER.wait(CORES, None);
    }
    let _ = BOOT_BARRIER.wait(CORES, None);
    // SAFETY: every kernel binary defines `__bulkhead_main` through
    // `kernel_main!`, with exactly this signature.
    unsafe { __bulkhead_main(core) }
}

unsafe extern "C" {
    static __kernel_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __kernel_image_end: u8;
    static __system_image_start: u8;
    static __system_image_limit: u8;
    static __bss_start: u8;
    static __bss_end: u8;
    static __stacks_start: u8;
    static __stacks_end: u8;
}

/// Address of a linker symbol.
macro_rules! sym {
    ($s:ident) => {
        // Taking an extern static's address reads nothing: no unsafe needed.
        &raw const $s as usize
    };
}

fn banner() {
    let freq = timer::frequency();
    let tick_ps = 1_000_000_000_000u64 / freq.hz();
    console::with_console(|out| {
        use core::fmt::Write;
        let _ = writeln!(out, "Bulkhead {} separation kernel: EL2, {CORES} cores online", env!("CARGO_PKG_VERSION"));
        let _ = match arch::boot::entry_el() {
            3 => writeln!(out, "entered at EL3 (an ELF under QEMU): every core dropped to EL2"),
            el => writeln!(out, "entered at EL{el}"),
        };
        let _ = writeln!(out, "CNTFRQ {} Hz (tick {}.{:03} ns)", freq.hz(), tick_ps / 1000, tick_ps % 1000);
        let _ = writeln!(out, "{}", gic::report());
        let _ = writeln!(out, "memory map (EL2, SCTLR_EL2.WXN: nothing both writable and executable):");
        let rows: [(&str, usize, usize, &str); 8] = [
            ("kernel text", sym!(__kernel_start), sym!(__text_end), "normal WB, read-only, executable"),
            ("kernel rodata", sym!(__text_end), sym!(__rodata_end), "normal WB, read-only, execute-never"),
            ("kernel data", sym!(__rodata_end), sym!(__kernel_image_end), "normal WB, read/write, execute-never"),
            (
                "system image",
                sym!(__system_image_start),
                sym!(__system_image_limit),
                "normal WB, read-only, execute-never, reserved for the packed image",
            ),
            ("kernel bss", sym!(__bss_start), sym!(__bss_end), "normal WB, read/write, execute-never"),
            (
                "kernel stacks",
                sym!(__stacks_start),
                sym!(__stacks_end),
                "normal WB, read/write, execute-never, 4 KiB guard below each stack",
            ),
            (
                "RAM",
                memory::RAM_BASE,
                memory::RAM_BASE + memory::RAM_SIZE,
                "normal WB, read/write, execute-never outside the kernel's rows above",
            ),
            ("devices", memory::DEVICE_BASE, memory::DEVICE_END, "device-nGnRE, read/write, execute-never"),
        ];
        for (name, start, end, attrs) in rows {
            let _ = writeln!(out, "  {name:<14} {start:#011x}..{end:#011x} {:>8} KiB  {attrs}", (end - start) / 1024);
        }
        let _ = dtb::write_report(out);
    });
}

/// Entered at EL1 (a boot loader that dropped out of EL2): nothing of a
/// separation kernel can work there, so say so on the raw UART and stop.
#[unsafe(no_mangle)]
extern "C" fn wrong_el_entry() -> ! {
    console::print_without_mmu(format_args!(
        "Bulkhead needs EL2 but was entered at EL{}: a separation kernel isolates partitions with \
         stage-2 translation and traps from HCR_EL2, which only EL2 controls. Boot kernel8.img \
         directly from the Raspberry Pi firmware (arm_64bit=1, no armstub that drops to EL1) or \
         give QEMU the raw image. Halting.",
        arch::current_el()
    ));
    arch::park()
}

/// Ends a test or benchmark run under QEMU with `-semihosting`; the exit
/// status of QEMU becomes `code`. Never used by the product kernel: a
/// module runs until power-off.
pub fn semihosting_exit(code: u32) -> ! {
    use qemu_exit::QEMUExit;
    console::drain();
    qemu_exit::AArch64::new().exit(code)
}
