//! The BCM2711 mini UART (the AUX block's UART1; QEMU's `serial1`, model
//! `bcm2835_aux`), for the partitions that own it through a
//! `[[partition.device]]` of their description (`uart-echo`, `irq-flood`)
//! and the one that touches it without (`hostile-aux`). Included with
//! `#[path]` by those images, as `fuzz.rs` is.
//!
//! Registers: BCM2835 ARM Peripherals, section 2.2 "Mini UART" (the
//! BCM2711's AUX block is the same at 0xFE21_5000). AUX_MU_IER: bit 0
//! enables the receive interrupt (asserted while the receive FIFO holds a
//! byte), bit 1 the transmit interrupt (asserted while the transmit FIFO
//! is empty: under QEMU, always, since it sends at once). The block's one
//! interrupt is the board's `irq::MINI_UART` (INTID 125).

#![allow(dead_code)]

use bulkhead_board_rpi4::devices::{BoardDevice, by_name};

/// The board's `mini-uart` device, found at compile time.
const DEVICE: &BoardDevice = match by_name("mini-uart") {
    Some(device) => device,
    None => panic!("the board lists no mini-uart"),
};

/// The AUX block: the page the description's `mini-uart` device maps
/// (IPA = PA), from the board's device list.
pub const AUX_BASE: usize = DEVICE.mmio[0].base as usize;
/// Its one interrupt.
pub const INTID: u32 = DEVICE.interrupts[0];
/// AUX_ENABLES: bit 0 enables the mini UART.
pub const AUX_ENABLES: usize = AUX_BASE + 0x04;
/// AUX_MU_IO: a received byte (read), a byte to send (write).
pub const AUX_MU_IO: usize = AUX_BASE + 0x40;
/// AUX_MU_IER: interrupt enables.
pub const AUX_MU_IER: usize = AUX_BASE + 0x44;
/// AUX_MU_IIR: interrupt identification; writing bit 1 clears the receive FIFO.
pub const AUX_MU_IIR: usize = AUX_BASE + 0x48;
/// AUX_MU_LCR: bit 0 set = 8-bit characters (both bits 1:0, errata).
pub const AUX_MU_LCR: usize = AUX_BASE + 0x4C;
/// AUX_MU_LSR: bit 0 data ready, bit 5 transmitter can take a byte.
pub const AUX_MU_LSR: usize = AUX_BASE + 0x54;
/// AUX_MU_CNTL: bit 0 receiver, bit 1 transmitter enabled.
pub const AUX_MU_CNTL: usize = AUX_BASE + 0x60;

pub const IER_RX: u32 = 1 << 0;
pub const IER_TX: u32 = 1 << 1;
pub const LSR_DATA_READY: u32 = 1 << 0;
pub const LSR_TX_EMPTY: u32 = 1 << 5;

/// The mini UART of a partition that owns the AUX block.
pub struct MiniUart(());

impl MiniUart {
    /// # Safety
    ///
    /// The partition's description assigns it the `mini-uart` device (the
    /// AUX page mapped as device memory at its physical address), and no
    /// other code of the partition drives it at the same time.
    pub const unsafe fn new() -> Self {
        MiniUart(())
    }

    fn read(&self, address: usize) -> u32 {
        // SAFETY: `new`'s contract: the AUX page is mapped, device memory;
        // every register is a 32-bit word.
        unsafe { (address as *const u32).read_volatile() }
    }

    fn write(&self, address: usize, value: u32) {
        // SAFETY: as `read`.
        unsafe { (address as *mut u32).write_volatile(value) }
    }

    /// Enables the UART (8 bits, receiver and transmitter) with the
    /// interrupts of `ier` ([`IER_RX`], [`IER_TX`]).
    pub fn init(&self, ier: u32) {
        self.write(AUX_ENABLES, self.read(AUX_ENABLES) | 1);
        self.write(AUX_MU_LCR, 3);
        self.write(AUX_MU_CNTL, 3);
        self.write(AUX_MU_IER, ier);
    }

    /// A received byte, if the receive FIFO holds one.
    pub fn try_read(&self) -> Option<u8> {
        (self.read(AUX_MU_LSR) & LSR_DATA_READY != 0).then(|| self.read(AUX_MU_IO) as u8)
    }

    /// Sends `byte`, waiting while the transmitter is busy.
    pub fn write_byte(&self, byte: u8) {
        while self.read(AUX_MU_LSR) & LSR_TX_EMPTY == 0 {
            core::hint::spin_loop();
        }
        self.write(AUX_MU_IO, u32::from(byte));
    }
}
