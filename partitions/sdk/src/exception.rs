//! Describing an exception taken to EL1: which vector, what ESR_EL1 says.
//! Pure logic for the SDK's vector table (`rt.rs`), tested on the host.
//!
//! Vector order: Arm ARM DDI 0487, D1.10.2 "Exception vectors" (four
//! groups of four: current EL with SP0, current EL with SPx, lower EL
//! AArch64, lower EL AArch32; each sync, IRQ, FIQ, SError). Exception
//! classes: ESR_ELx.EC, D17.2.37.

use core::fmt;

/// The 16 vectors of a vector table, in table order.
pub const VECTOR_NAMES: [&str; 16] = [
    "sync, current EL SP0",
    "IRQ, current EL SP0",
    "FIQ, current EL SP0",
    "SError, current EL SP0",
    "sync, current EL SPx",
    "IRQ, current EL SPx",
    "FIQ, current EL SPx",
    "SError, current EL SPx",
    "sync, lower EL A64",
    "IRQ, lower EL A64",
    "FIQ, lower EL A64",
    "SError, lower EL A64",
    "sync, lower EL A32",
    "IRQ, lower EL A32",
    "FIQ, lower EL A32",
    "SError, lower EL A32",
];

/// The name of the vector at `index` (0..16).
pub fn vector_name(index: u64) -> &'static str {
    VECTOR_NAMES.get(index as usize).copied().unwrap_or("unknown vector")
}

/// ESR_EL1.EC, bits 31:26.
pub const fn exception_class(esr: u64) -> u64 {
    (esr >> 26) & 0x3f
}

/// What an exception class means, for the classes an EL1 thread can meet.
pub fn class_name(ec: u64) -> &'static str {
    match ec {
        0x00 => "unknown reason (undefined instruction)",
        0x01 => "trapped WFI/WFE",
        0x07 => "FP/SIMD access trapped",
        0x0e => "illegal execution state",
        0x15 => "SVC",
        0x16 => "HVC",
        0x17 => "SMC",
        0x18 => "trapped system register access",
        0x20 => "instruction abort from a lower EL",
        0x21 => "instruction abort",
        0x22 => "PC alignment fault",
        0x24 => "data abort from a lower EL",
        0x25 => "data abort",
        0x26 => "SP alignment fault",
        0x2c => "floating-point exception",
        0x2f => "SError",
        0x3c => "BRK",
        _ => "other",
    }
}

/// The registers the vector table reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exception {
    /// Index of the vector taken, 0..16.
    pub vector: u64,
    pub esr: u64,
    pub elr: u64,
    pub far: u64,
    pub spsr: u64,
}

impl Exception {
    /// The short form for the health monitor, within
    /// `MAX_ERROR_MESSAGE` (128) bytes for every register value:
    /// `EL1 exception (sync, current EL SPx): ESR_EL1 0x2000000 ELR_EL1 0x40000104 FAR_EL1 0x0`.
    pub fn short(&self) -> impl fmt::Display + '_ {
        Short(self)
    }

    /// The console report, two lines each within
    /// [`CONSOLE_LINE`](bulkhead_abi::CONSOLE_LINE) bytes (the kernel would
    /// split a longer one): what was taken, then the registers.
    pub fn report(&self) -> (impl fmt::Display + '_, impl fmt::Display + '_) {
        (Headline(self), Registers(self))
    }
}

struct Short<'a>(&'a Exception);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        write!(
            f,
            "EL1 exception ({}): ESR_EL1 {:#x} ELR_EL1 {:#x} FAR_EL1 {:#x}",
            vector_name(e.vector),
            e.esr,
            e.elr,
            e.far
        )
    }
}

struct Headline<'a>(&'a Exception);

impl fmt::Display for Headline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ec = exception_class(self.0.esr);
        write!(f, "unexpected EL1 exception ({}): {} (EC {:#x})", vector_name(self.0.vector), class_name(ec), ec)
    }
}

struct Registers<'a>(&'a Exception);

impl fmt::Display for Registers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        write!(f, "ESR_EL1 {:#x} ELR_EL1 {:#x} FAR_EL1 {:#x} SPSR_EL1 {:#x}", e.esr, e.elr, e.far, e.spsr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MessageBuf;
    use core::fmt::Write;

    #[test]
    fn short_form_always_fits_an_error_message() {
        let worst = Exception { vector: 13, esr: u64::MAX, elr: u64::MAX, far: u64::MAX, spsr: u64::MAX };
        let mut m = MessageBuf::<{ bulkhead_abi::MAX_ERROR_MESSAGE }>::new();
        write!(m, "{}", worst.short()).unwrap();
        assert!(!m.is_truncated(), "{}", m.as_str());
    }

    #[test]
    fn console_report_lines_fit_a_console_line() {
        for vector in 0..16 {
            for esr in [0x20u64 << 26, 0x0e << 26, u64::MAX] {
                let worst = Exception { vector, esr, elr: u64::MAX, far: u64::MAX, spsr: u64::MAX };
                let (headline, registers) = worst.report();
                let mut m = MessageBuf::<{ bulkhead_abi::CONSOLE_LINE }>::new();
                write!(m, "{headline}").unwrap();
                assert!(!m.is_truncated(), "{}", m.as_str());
                let mut m = MessageBuf::<{ bulkhead_abi::CONSOLE_LINE }>::new();
                write!(m, "{registers}").unwrap();
                assert!(!m.is_truncated(), "{}", m.as_str());
            }
        }
    }

    #[test]
    fn undefined_instruction_reads_well() {
        // `udf #0` at EL1: EC 0, IL 1.
        let e = Exception { vector: 4, esr: 0x0200_0000, elr: 0x4000_0104, far: 0, spsr: 0x3c5 };
        let mut m = MessageBuf::<256>::new();
        write!(m, "{}", e.short()).unwrap();
        assert_eq!(
            m.as_str(),
            "EL1 exception (sync, current EL SPx): ESR_EL1 0x2000000 ELR_EL1 0x40000104 FAR_EL1 0x0"
        );
        let (headline, registers) = e.report();
        let mut m = MessageBuf::<256>::new();
        write!(m, "{headline}").unwrap();
        assert_eq!(
            m.as_str(),
            "unexpected EL1 exception (sync, current EL SPx): unknown reason (undefined instruction) (EC 0x0)"
        );
        let mut m = MessageBuf::<256>::new();
        write!(m, "{registers}").unwrap();
        assert_eq!(m.as_str(), "ESR_EL1 0x2000000 ELR_EL1 0x40000104 FAR_EL1 0x0 SPSR_EL1 0x3c5");
    }

    #[test]
    fn out_of_range_vector_is_named() {
        assert_eq!(vector_name(16), "unknown vector");
        assert_eq!(class_name(0x3f), "other");
    }
}
