//! The devices a partition may own: their MMIO ranges and GIC interrupts.
//!
//! Sits at `board/rpi4/src/devices.rs`; pure data, read by the host tool
//! (`bulkhead check` refuses a `[[partition.device]]` that is not one of
//! these, or a range or interrupt that is not the named device's) and by
//! the kernel at load (it checks the image's device table against the same
//! list). A device is mapped into its partition's stage 2 at its physical
//! address (IPA = PA), device-nGnRE and execute-never, and its interrupts
//! are routed to the cores of the partition's threads (issue 18).
//!
//! Addresses are BCM2711 low-peripheral mode (BCM2711 ARM Peripherals,
//! "Peripheral addresses"; identical under QEMU raspi4b). An INTID is 32 +
//! the GIC SPI number of Linux's `arch/arm/boot/dts/broadcom/bcm2711.dtsi`
//! (GIC-400: SPIs start at INTID 32).
//!
//! What is never here, whatever a description says: the PL011 UART0 page
//! (the kernel's console), the GIC-400 and the ARM-local block (the
//! kernel's interrupt controller and timers), the power-management
//! watchdog, and RAM. The tests below hold the list to that.

/// A physical address range, `[base, base + size)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmioRange {
    /// First byte, page aligned.
    pub base: u64,
    /// Bytes, whole pages.
    pub size: u64,
}

impl MmioRange {
    /// One past the last byte.
    pub const fn end(&self) -> u64 {
        self.base + self.size
    }

    /// Whether all of `[base, base + size)` lies inside this range.
    pub const fn contains(&self, base: u64, size: u64) -> bool {
        match base.checked_add(size) {
            Some(end) => base >= self.base && end <= self.end(),
            None => false,
        }
    }

    /// Whether `[base, base + size)` shares a byte with this range.
    pub const fn overlaps(&self, base: u64, size: u64) -> bool {
        base < self.end() && self.base < base.saturating_add(size)
    }
}

/// A device of the board that a partition may own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardDevice {
    /// The name a system description gives it (`name = "mini-uart"`).
    pub name: &'static str,
    /// What it is, and what comes with it.
    pub description: &'static str,
    /// Its register pages.
    pub mmio: &'static [MmioRange],
    /// Its GIC INTIDs (SPIs).
    pub interrupts: &'static [u32],
}

const PAGE: u64 = 0x1000;

/// Every device a partition may own.
pub const DEVICES: &[BoardDevice] = &[
    BoardDevice {
        name: "mini-uart",
        description: "the AUX block: mini UART (UART1, registers at 0xfe215040; QEMU's serial1) with AUX_IRQ, \
                      AUX_ENABLES and the AUX SPI1/SPI2 masters, which share its page and its interrupt; \
                      the traced kernel's trace port, so a module that assigns it runs on the untraced kernel only",
        mmio: &[MmioRange { base: 0xFE21_5000, size: PAGE }],
        interrupts: &[125], // SPI 93
    },
    BoardDevice {
        name: "gpio",
        description: "the GPIO block: function select, set/clear, levels, events, pulls of GPIO 0-57; \
                      one interrupt per bank 0-3 (the kernel's console pins 14/15 are in bank 0: \
                      the firmware sets them up, a partition that owns the block can change them)",
        mmio: &[MmioRange { base: 0xFE20_0000, size: PAGE }],
        interrupts: &[145, 146, 147, 148], // SPI 113-116
    },
    BoardDevice {
        name: "spi0",
        description: "the SPI0 master",
        mmio: &[MmioRange { base: 0xFE20_4000, size: PAGE }],
        interrupts: &[150], // SPI 118
    },
    BoardDevice {
        name: "i2c1",
        description: "the BSC1 I2C master; its interrupt is shared by every BSC master but BSC2 and BSC7 \
                      (BSC0, 3, 4, 5, 6 raise it too, and no partition can own those)",
        mmio: &[MmioRange { base: 0xFE80_4000, size: PAGE }],
        interrupts: &[149], // SPI 117
    },
];

/// The board device called `name` (a `const fn`: a partition can take a
/// device's address and interrupt from this list at compile time).
pub const fn by_name(name: &str) -> Option<&'static BoardDevice> {
    let mut i = 0;
    while i < DEVICES.len() {
        if same(DEVICES[i].name.as_bytes(), name.as_bytes()) {
            return Some(&DEVICES[i]);
        }
        i += 1;
    }
    None
}

/// `a == b` in a constant.
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The board device one of whose ranges contains all of [base, base+size).
pub fn containing(base: u64, size: u64) -> Option<&'static BoardDevice> {
    DEVICES.iter().find(|d| d.mmio.iter().any(|r| r.contains(base, size)))
}

/// The board device that has interrupt `intid`.
pub fn with_interrupt(intid: u32) -> Option<&'static BoardDevice> {
    DEVICES.iter().find(|d| d.interrupts.contains(&intid))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::{console, gic, memory, power};

    fn all_ranges() -> impl Iterator<Item = (&'static str, MmioRange)> {
        DEVICES.iter().flat_map(|d| d.mmio.iter().map(move |r| (d.name, *r)))
    }

    #[test]
    fn ranges_are_whole_pages_in_the_peripheral_window() {
        for (name, r) in all_ranges() {
            assert!(r.size > 0 && r.base % PAGE == 0 && r.size % PAGE == 0, "{name}: {r:?}");
            assert!(r.base >= memory::DEVICE_BASE as u64 && r.end() <= memory::DEVICE_END as u64, "{name}");
        }
    }

    #[test]
    fn no_two_devices_share_a_byte_or_an_interrupt() {
        for (i, a) in DEVICES.iter().enumerate() {
            for b in &DEVICES[i + 1..] {
                assert_ne!(a.name, b.name);
                for ra in a.mmio {
                    assert!(!b.mmio.iter().any(|rb| rb.overlaps(ra.base, ra.size)), "{} and {}", a.name, b.name);
                }
                assert!(!a.interrupts.iter().any(|i| b.interrupts.contains(i)), "{} and {}", a.name, b.name);
            }
        }
    }

    #[test]
    fn nothing_of_the_kernels_and_no_ram() {
        let kernel_owned = [
            (console::PL011_BASE as u64, PAGE, "PL011"),
            (gic::GICD_BASE as u64, 0x7000, "GIC-400"),
            (power::PM_BASE as u64, PAGE, "PM watchdog"),
            // The ARM-local block (local timers, mailboxes) and the GIC above it.
            (0xFF80_0000, 0x80_0000, "ARM-local"),
        ];
        for (name, r) in all_ranges() {
            for (base, size, what) in kernel_owned {
                assert!(!r.overlaps(base, size), "{name} overlaps the {what}");
            }
            for model in memory::MODELS {
                for &(start, end) in model.ram {
                    assert!(!r.overlaps(start, end - start), "{name} overlaps {}'s RAM", model.name);
                }
            }
        }
        for d in DEVICES {
            for &intid in d.interrupts {
                assert!((32..=1019).contains(&intid), "{}: {intid} is no SPI", d.name);
                assert_ne!(intid, crate::irq::PL011, "{}", d.name);
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(by_name("mini-uart").map(|d| d.interrupts), Some(&[crate::irq::MINI_UART][..]));
        assert!(by_name("uart0").is_none());
        assert_eq!(containing(0xFE21_5000, PAGE).map(|d| d.name), Some("mini-uart"));
        assert_eq!(containing(0xFE21_5040, 8).map(|d| d.name), Some("mini-uart"));
        assert_eq!(containing(0xFE21_5000, 2 * PAGE), None, "runs past the page");
        assert_eq!(containing(console::PL011_BASE as u64, PAGE), None);
        assert_eq!(containing(u64::MAX - 1, 4), None, "wraps");
        assert_eq!(with_interrupt(147).map(|d| d.name), Some("gpio"));
        assert_eq!(with_interrupt(149).map(|d| d.name), Some("i2c1"));
        assert_eq!(with_interrupt(150).map(|d| d.name), Some("spi0"));
        assert_eq!(with_interrupt(crate::irq::PL011), None);
        assert_eq!(with_interrupt(27), None, "the virtual timer is no device's");
    }
}
