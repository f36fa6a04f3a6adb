//! Unexpected exceptions at EL2: the register dump, then every core halts.
//!
//! ESR_EL2 decoding follows Arm ARM DDI 0487 D24.2.42 (exception classes).
use crate::arch::{
    self, mmu,
    vectors::{FatalFrame, VECTOR_NAMES},
};
use crate::{console, ipi};
use core::fmt::Write;

/// Name of an ESR_ELx exception class.
pub fn exception_class_name(ec: u64) -> &'static str {
    match ec {
        0x00 => "Unknown reason",
        0x01 => "Trapped WFI/WFE",
        0x07 => "Access to SIMD/FP trapped",
        0x0e => "Illegal execution state",
        0x11 | 0x15 => "SVC",
        0x12 | 0x16 => "HVC",
        0x13 | 0x17 => "SMC",
        0x18 => "Trapped MSR/MRS/system instruction",
        0x20 => "Instruction Abort from a lower EL",
        0x21 => "Instruction Abort taken without a change in EL",
        0x22 => "PC alignment fault",
        0x24 => "Data Abort from a lower EL",
        0x25 => "Data Abort taken without a change in EL",
        0x26 => "SP alignment fault",
        0x2f => "SError",
        0x30 | 0x31 => "Breakpoint",
        0x32 | 0x33 => "Software step",
        0x34 | 0x35 => "Watchpoint",
        0x3c => "BRK instruction",
        _ => "Reserved or unhandled class",
    }
}

/// Called by the fatal stubs in vectors.rs on this core's fatal stack.
#[unsafe(no_mangle)]
extern "C" fn fatal_exception(frame: &FatalFrame, kind: u64) -> ! {
    let core = arch::core_id();
    let ec = (frame.esr >> 26) & 0x3f;
    let vector = VECTOR_NAMES.get(kind as usize).copied().unwrap_or("?");
    let mut out = console::lock_for_fatal();
    let _ =
        writeln!(out, "*** EL2 exception on core {core}: {} (EC {ec:#04x}), vector {vector}", exception_class_name(ec));
    let _ = writeln!(
        out,
        "    ESR_EL2 {:#018x}  ELR_EL2 {:#018x}  FAR_EL2 {:#018x}  SPSR_EL2 {:#018x}",
        frame.esr, frame.elr, frame.far, frame.spsr
    );
    if matches!(ec, 0x24 | 0x25) && mmu::is_guard_page(frame.far as usize) {
        let _ = writeln!(out, "    FAR is in a stack guard page: kernel stack overflow");
    }
    // A permission fault at EL2 (FSC 0b0011xx): the kernel broke its own
    // W^X map, e.g. a write to its text or a jump into its data.
    if matches!(ec, 0x21 | 0x25) && frame.esr & 0x3c == 0x0c {
        let _ = writeln!(out, "    permission fault: FAR is in {}", mmu::describe(frame.far as usize));
    }
    // A translation fault (FSC 0b0001xx) on RAM the map took out after the
    // load: the kernel touched memory that belongs to no partition.
    if matches!(ec, 0x21 | 0x25) && frame.esr & 0x3c == 0x04 {
        let _ = writeln!(out, "    translation fault: FAR is in {}", mmu::describe(frame.far as usize));
    }
    for row in 0..8 {
        let _ = write!(out, "   ");
        for reg in row * 4..(row * 4 + 4).min(31) {
            let _ = write!(out, " x{reg:<2} {:#018x}", frame.x[reg]);
        }
        let _ = writeln!(out);
    }
    drop(out);
    ipi::halt_all()
}
