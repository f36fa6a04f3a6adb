//! The PL011 console (PL011 TRM DDI 0183), as an `embedded-io` writer.
//!
//! The register work is the `arm-pl011-uart` crate's; this module only knows
//! where the UART sits on this board and how to route it to the header pins.
use crate::console::{BAUD, GPFSEL1, GPIO_PUP_PDN_CNTRL_REG0, PL011_BASE, PL011_CLOCK_HZ};
use arm_pl011_uart::{DataBits, LineConfig, PL011Registers, Parity, StopBits, Uart, UniqueMmioPointer};
use core::ptr::NonNull;

pub use arm_pl011_uart::Uart as Pl011;

/// Routes GPIO14/15 to the PL011 (ALT0) with pulls off. The Pi 4 firmware
/// gives the PL011 to Bluetooth by default; QEMU ignores these writes.
///
/// # Safety
/// The GPIO block must be mapped as device memory at its physical address and
/// no other code may be reconfiguring GPIO 14/15 at the same time.
pub unsafe fn route_pins() {
    let fsel = GPFSEL1 as *mut u32;
    let pull = GPIO_PUP_PDN_CNTRL_REG0 as *mut u32;
    // SAFETY: the caller guarantees the GPIO registers are mapped and ours;
    // both are 32-bit aligned device registers.
    unsafe {
        // FSEL14 is bits 14:12, FSEL15 bits 17:15; ALT0 = 0b100.
        let v = fsel.read_volatile() & !(0b111_111 << 12);
        fsel.write_volatile(v | (0b100 << 12) | (0b100 << 15));
        // Pins 14 and 15 use bits 29:28 and 31:30; 0 = no pull.
        let v = pull.read_volatile() & !(0b1111 << 28);
        pull.write_volatile(v);
    }
}

/// Creates the console UART and enables it at 115200 8N1.
///
/// # Safety
/// The PL011 must be mapped as device memory at [`PL011_BASE`], and this must
/// be the only live handle to it (the kernel keeps it behind its console lock).
pub unsafe fn console() -> Uart<'static> {
    // SAFETY: the caller guarantees the register block is mapped, valid for
    // the program's life, and not aliased by another handle.
    let regs = unsafe { UniqueMmioPointer::new(NonNull::new_unchecked(PL011_BASE as *mut PL011Registers)) };
    let mut uart = Uart::new(regs);
    let line = LineConfig { data_bits: DataBits::Bits8, parity: Parity::None, stop_bits: StopBits::One };
    // The divisor for 115200 at 48 MHz is well inside the PL011's range; an
    // error here would mean the constants above are wrong.
    uart.enable(line, BAUD, PL011_CLOCK_HZ).expect("PL011 divisor for the board constants");
    uart
}

/// Re-enables the console UART at `baud`, 8N1 (the divisor from
/// [`PL011_CLOCK_HZ`]; `crate::console::pl011_divisor` says beforehand
/// whether the rate can be made). The transmitter must be idle.
pub fn set_baud(uart: &mut Uart<'static>, baud: u32) -> Result<(), arm_pl011_uart::Error> {
    let line = LineConfig { data_bits: DataBits::Bits8, parity: Parity::None, stop_bits: StopBits::One };
    uart.enable(line, baud, PL011_CLOCK_HZ)
}
