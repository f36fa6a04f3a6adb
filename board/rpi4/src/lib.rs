//! Raspberry Pi 4 (BCM2711) and QEMU `-M raspi4b`: the board as data.
//!
//! Sits at `board/rpi4` in the layout; the kernel and the tools read every
//! physical address, interrupt number and clock of the board from here and
//! nowhere else (STYLE.md habit 3). The facts are those of
//! `shared/reference/platform-facts.md`, checked on QEMU 10.0 raspi4b, and of
//! the BCM2711 ARM Peripherals manual (low-peripheral mode).
//!
//! Besides constants it holds the two drivers the boot path needs before
//! anything else: the PL011 console (through the `arm-pl011-uart` crate) and
//! an `embedded-hal` delay on the generic timer. The PL011 divisor
//! arithmetic (`console::pl011_divisor`) is pure and host-tested; the host
//! tool checks a description's `console_baud` with it.
//!
//! `devices` lists what a partition may own (MMIO pages and interrupts),
//! for the tool's checks and the kernel's at load.
#![no_std]

pub mod delay;
pub mod devices;
mod divisor;
pub mod trace_port;
pub mod uart;

/// Physical memory map (BCM2711 low-peripheral mode, identical under QEMU).
pub mod memory {
    /// Where the firmware (and QEMU) load and enter a raw `kernel8.img`.
    pub const KERNEL_LOAD: usize = 0x8_0000;
    /// The RAM the kernel's EL2 map covers, from address 0: the 2 GiB QEMU
    /// raspi4b has (it refuses any other `-m`). What of it the board really
    /// has, and what the firmware reserved, the kernel reads from the
    /// device tree (or takes [`FALLBACK_RAM`]) and checks every partition
    /// against (`kernel/src/dtb.rs`).
    pub const RAM_BASE: usize = 0;
    pub const RAM_SIZE: usize = 2 << 30;
    /// End of the ARM's memory in the first GiB on every Pi 4 with the
    /// firmware's default GPU split (`gpu_mem` 76 MiB): the VideoCore's
    /// carve-out takes 0x3B40_0000..0x4000_0000 (1024 - 76 = 948 MiB). The
    /// firmware writes the same end into the device tree's `/memory`.
    pub const FIRST_GIB_ARM_END: u64 = 0x3B40_0000;
    /// Start of the RAM above the first GiB (2, 4 and 8 GiB models).
    pub const UPPER_RAM_BASE: u64 = 0x4000_0000;
    /// End of the RAM in the low 4 GiB (4 and 8 GiB models): the
    /// peripherals start here in low-peripheral mode, hiding the DRAM
    /// behind them.
    pub const LOW_RAM_END: u64 = 0xFC00_0000;
    /// RAM above 4 GiB (8 GiB model).
    pub const HIGH_RAM_BASE: u64 = 0x1_0000_0000;
    /// The map the kernel uses when the firmware passed no device tree (or
    /// one it cannot read): the ARM memory of the smallest Pi 4, 1 GiB on
    /// the default GPU split, which every model has. docs/DESIGN.md#boot.
    pub const FALLBACK_RAM: (u64, u64) = (0, FIRST_GIB_ARM_END);

    /// A Pi 4 model's ARM memory on the default GPU split, as the firmware
    /// describes it in `/memory` (BCM2711 ARM Peripherals 1.2, address map;
    /// the firmware's `memory@0` reg on each model).
    #[derive(Clone, Copy, Debug)]
    pub struct Model {
        /// The name a system description gives it (`board = "rpi4-4g"`).
        pub name: &'static str,
        pub ram_gib: u32,
        /// `[start, end)` ranges, ascending.
        pub ram: &'static [(u64, u64)],
    }

    /// Every Pi 4 model, smallest first.
    pub const MODELS: [Model; 4] = [
        Model { name: "rpi4-1g", ram_gib: 1, ram: &[(0, FIRST_GIB_ARM_END)] },
        Model { name: "rpi4-2g", ram_gib: 2, ram: &[(0, FIRST_GIB_ARM_END), (UPPER_RAM_BASE, 0x8000_0000)] },
        Model { name: "rpi4-4g", ram_gib: 4, ram: &[(0, FIRST_GIB_ARM_END), (UPPER_RAM_BASE, LOW_RAM_END)] },
        Model {
            name: "rpi4-8g",
            ram_gib: 8,
            ram: &[(0, FIRST_GIB_ARM_END), (UPPER_RAM_BASE, LOW_RAM_END), (HIGH_RAM_BASE, 0x2_0000_0000)],
        },
    ];
    // The fallback is the smallest model's memory, which every model has.
    const _: () = assert!(MODELS[0].ram.len() == 1 && MODELS[0].ram[0].1 == FALLBACK_RAM.1);
    /// The main peripherals window (0xFC00_0000..0xFF80_0000) and the
    /// ARM-local block (GIC, local timers) above it, up to 4 GiB.
    pub const DEVICE_BASE: usize = 0xFC00_0000;
    pub const DEVICE_END: usize = 0x1_0000_0000;
    /// Spin table the firmware's armstub (and QEMU's boot stub) watch: core n
    /// polls the 64-bit word at `SPIN_TABLE[n]` and jumps to it when non-zero.
    /// Core 0's slot is never used by Bulkhead (core 0 is the boot core).
    pub const SPIN_TABLE: [usize; 4] = [0xd8, 0xe0, 0xe8, 0xf0];
}

/// The power-management block's watchdog (BCM2835 ARM Peripherals, "PM";
/// the same in BCM2711 and QEMU's `bcm2835_powermgt`): a write of
/// `PASSWORD | FULL_RESET` to RSTC, after a short WDOG count, resets the
/// whole SoC, and the firmware (or QEMU) boots `kernel8.img` again.
pub mod power {
    pub const PM_BASE: usize = 0xFE10_0000;
    pub const RSTC: usize = 0x1c;
    pub const WDOG: usize = 0x24;
    pub const PASSWORD: u32 = 0x5a00_0000;
    pub const RSTC_FULL_RESET: u32 = 0x20;
    /// Watchdog ticks (about 16 µs each) before the reset.
    pub const WDOG_TICKS: u32 = 10;

    /// Resets the SoC through the watchdog; does not return.
    ///
    /// # Safety
    ///
    /// `PM_BASE` must be mapped as device memory; everything the caller
    /// has not written out (console, caches of data it cares for) is lost.
    pub unsafe fn reset() -> ! {
        let wdog = (PM_BASE + WDOG) as *mut u32;
        let rstc = (PM_BASE + RSTC) as *mut u32;
        // SAFETY: the caller vouches that the PM block is mapped; these are
        // its documented watchdog and reset-control registers.
        unsafe {
            wdog.write_volatile(PASSWORD | WDOG_TICKS);
            let keep = rstc.read_volatile() & !0x30;
            rstc.write_volatile(PASSWORD | keep | RSTC_FULL_RESET);
        }
        loop {
            core::hint::spin_loop();
        }
    }
}

/// GIC-400 register blocks (GIC-400 TRM r0p1, table 3-1; ARM-local block).
pub mod gic {
    pub const GICD_BASE: usize = 0xFF84_1000;
    pub const GICC_BASE: usize = 0xFF84_2000;
    /// Hypervisor control interface of the calling core.
    pub const GICH_BASE: usize = 0xFF84_4000;
    pub const GICV_BASE: usize = 0xFF84_6000;
}

/// Interrupt numbers (INTIDs) as the GIC-400 sees them.
pub mod irq {
    /// GIC virtual-interface maintenance interrupt (PPI).
    pub const GIC_MAINTENANCE: u32 = 25;
    /// EL2 physical timer, CNTHP: the kernel's own scheduling timer (PPI).
    pub const HYP_TIMER: u32 = 26;
    /// EL1 virtual timer, CNTV: owned by the running partition (PPI).
    pub const VIRT_TIMER: u32 = 27;
    /// Secure physical timer (PPI), unused.
    pub const SECURE_PHYS_TIMER: u32 = 29;
    /// EL1 physical timer, CNTP: denied to partitions (PPI).
    pub const PHYS_TIMER: u32 = 30;
    /// PMU overflow (PPI).
    pub const PMU: u32 = 23;
    /// PL011 UART0 (SPI 121).
    pub const PL011: u32 = 153;
    /// Mini UART (SPI 93).
    pub const MINI_UART: u32 = 125;
}

/// The PL011 console.
pub mod console {
    pub use crate::divisor::{Divisor, DivisorError, MAX_ERROR_PERMILLE, pl011_divisor};

    /// PL011 UART0; QEMU's `serial0`.
    pub const PL011_BASE: usize = 0xFE20_1000;
    /// UART reference clock; the firmware sets it from `init_uart_clock`
    /// in config.txt, which must say 48000000.
    pub const PL011_CLOCK_HZ: u32 = 48_000_000;
    /// Console speed when the system description sets no `console_baud`.
    pub const BAUD: u32 = 115_200;
    /// GPIO function select for pins 10-19 (GPIO14/15 carry TXD0/RXD0 in ALT0).
    pub const GPFSEL1: usize = 0xFE20_0004;
    /// BCM2711 pull-up/down control for GPIO0-15 (2 bits per pin).
    pub const GPIO_PUP_PDN_CNTRL_REG0: usize = 0xFE20_00E4;
}

/// Cores of the module: four Cortex-A72, MPIDR Aff0 = 0..3.
pub const CORES: usize = 4;
