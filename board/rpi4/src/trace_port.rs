//! The trace port: the mini UART (BCM2711 AUX, QEMU's `serial1`), written
//! by polling. The traced test kernel sends its switch records here, apart
//! from the console, whose pace is the Pi's PL011: under QEMU the port
//! takes bytes instantly, so tracing adds nothing to the console's line.

/// The AUX page the port's registers lie in: a partition may not own it on
/// the traced kernel.
pub const MINI_UART_PAGE: u64 = 0xFE21_5000;
/// AUX enables (bit 0: mini UART).
const AUX_ENABLES: usize = 0xFE21_5004;
/// Mini UART data register.
const AUX_MU_IO: usize = 0xFE21_5040;
/// Mini UART line status (bit 5: the transmitter can take a byte).
const AUX_MU_LSR: usize = 0xFE21_5054;
const LSR_TX_EMPTY: u32 = 1 << 5;

/// Enables the mini UART.
///
/// # Safety
/// The AUX block must be mapped as device memory at its physical address,
/// and no other code may use the mini UART.
pub unsafe fn init() {
    // SAFETY: the caller guarantees the mapping and exclusive use.
    unsafe {
        let en = AUX_ENABLES as *mut u32;
        en.write_volatile(en.read_volatile() | 1);
    }
}

/// Writes `bytes`, waiting while the transmitter is busy.
///
/// # Safety
/// As [`init`], which must have run; callers serialise their writes.
pub unsafe fn write(bytes: &[u8]) {
    for &b in bytes {
        // SAFETY: the caller guarantees the mapping and exclusive use; both
        // are 32-bit aligned device registers.
        unsafe {
            while (AUX_MU_LSR as *const u32).read_volatile() & LSR_TX_EMPTY == 0 {}
            (AUX_MU_IO as *mut u32).write_volatile(u32::from(b));
        }
    }
}
