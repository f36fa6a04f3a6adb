//! What a partition's stage-2 abort was, in words: the health monitor's
//! detail line for the `stage2_abort` error kind, and `stack_overflow` when
//! the fault is in the thread's own stack guard page
//! (docs/DESIGN.md#health-monitor).
//!
//! The fault status code of ESR_EL2 (Arm ARM, ESR_EL2: the ISS of a data or
//! instruction abort: DFSC/IFSC, WnR, S1PTW) says whether stage 2 had no
//! entry (a translation fault: outside the partition's memory, or a stack
//! guard page) or refused the access (a permission fault: a write to a
//! read-only page, a fetch from a non-executable one). The partition's
//! memory map (`bulkhead_image::MemoryMap`) names the place: a segment, a
//! thread's stack, free memory, a guard page, a shared memory region it
//! maps (a write to a read-only one: docs/DESIGN.md#memory-regions).
use super::Module;
use super::text::Line;
use crate::arch::guest::{self, Syndrome};
use bulkhead_image::{Access, Area, ErrorKind};
use core::fmt::Write;

/// Exception class of an instruction abort from a lower EL.
const EC_INSTRUCTION_ABORT: u64 = 0x20;

/// The error kind and detail line of a stage-2 abort by thread `tid` at
/// `pc`: `stack_overflow` for a translation fault in the thread's own
/// stack guard page, `stage2_abort` for every other.
pub fn describe(module: &Module, tid: usize, s: &Syndrome, pc: u64) -> (ErrorKind, Line<160>) {
    let mut line = Line::new();
    let mut kind = ErrorKind::Stage2Abort;
    let _ = write_detail(&mut line, &mut kind, module, tid, s, pc);
    (kind, line)
}

fn write_detail(
    out: &mut Line<160>,
    kind: &mut ErrorKind,
    module: &Module,
    tid: usize,
    s: &Syndrome,
    pc: u64,
) -> core::fmt::Result {
    let ec = (s.esr >> 26) & 0x3f;
    let fsc = s.esr & 0x3f;
    let walk = s.esr & (1 << 7) != 0;
    let fetch = ec == EC_INSTRUCTION_ABORT;
    let write = !fetch && s.esr & (1 << 6) != 0;
    let access = match (walk, fetch, write) {
        (true, _, _) => "page-table walk",
        (_, true, _) => "instruction fetch",
        (_, _, true) => "write",
        _ => "read",
    };
    let partition = module.thread(tid).partition;
    let p = module.partition(partition);
    let map = module.memory_map(partition);
    let Some(ipa) = guest::ipa_of(s) else {
        return write!(
            out,
            "stage-2 permission fault: {access} at VA {:#x} (its IPA unknown: the stage-1 walk failed on a second look), PC {pc:#x}",
            s.far
        );
    };
    let area = ipa.checked_sub(p.ipa_base).map_or(Area::Outside, |offset| map.area_at(offset));
    let thread_name = |i: u32| module.thread(p.first_thread + i as usize).name;
    // A shared memory region it maps: mapped whole, so only a permission
    // fault (a store to a read-only one, a fetch from any) lands here.
    if area == Area::Outside
        && let Some(region) = p.region_at(ipa)
    {
        let name = module.image.region(region.index).map_or("?", |r| r.name);
        let rights = if region.writable { Access::READ_WRITE } else { Access::READ_ONLY };
        let what = match (walk, fetch, write) {
            (true, _, _) => "its page-table walk read",
            (_, true, _) => "instruction fetch from non-executable",
            (_, _, true) if !region.writable => "write to read-only",
            _ => access,
        };
        return write!(
            out,
            "stage-2 permission fault: {what} IPA {ipa:#x} (memory region {name}, {rights}), PC {pc:#x}"
        );
    }
    match fsc & 0x3c {
        // Translation fault: nothing mapped there.
        0x04 => match area {
            // Its own guard page: the thread ran off the bottom of its
            // stack. Another thread's: it ran off the top of its own (the
            // guard page above a stack is the one below the next stack up),
            // or wrote through a wild pointer.
            Area::Guard(t) if p.first_thread + t as usize == tid => {
                *kind = ErrorKind::StackOverflow;
                write!(
                    out,
                    "stage-2 {access} fault at IPA {ipa:#x} (the guard page below thread {}'s stack: a stack overflow), PC {pc:#x}",
                    thread_name(t)
                )
            }
            Area::Guard(t) => write!(
                out,
                "stage-2 {access} fault at IPA {ipa:#x} (the guard page below thread {}'s stack), PC {pc:#x}",
                thread_name(t)
            ),
            Area::Outside => write!(out, "stage-2 {access} fault at IPA {ipa:#x} (outside its memory), PC {pc:#x}"),
            // A valid map leaves nothing else unmapped.
            _ => {
                write!(out, "stage-2 {access} fault at IPA {ipa:#x} (translation fault inside its memory), PC {pc:#x}")
            }
        },
        // Permission fault: mapped, but not for this access.
        0x0c => {
            let rights = map.access_at(ipa - p.ipa_base).unwrap_or(Access(0));
            let what = match (walk, fetch, write) {
                (true, _, _) => "its page-table walk read",
                (_, true, _) => "instruction fetch from non-executable",
                (_, _, true) if rights.read() => "write to read-only",
                (_, _, true) => "write to inaccessible",
                _ => "read from unreadable",
            };
            write!(out, "stage-2 permission fault: {what} IPA {ipa:#x} (")?;
            match area {
                Area::Segment(i) => write!(out, "segment {i}")?,
                Area::Stack(t) => write!(out, "thread {}'s stack", thread_name(t))?,
                Area::Heap => write!(out, "the heap")?,
                Area::Free => write!(out, "free memory")?,
                Area::Guard(_) | Area::Outside => write!(out, "unmapped")?,
            }
            write!(out, ", {rights}), PC {pc:#x}")
        }
        _ => write!(out, "stage-2 {access} fault at IPA {ipa:#x} (fault status {fsc:#04x}), PC {pc:#x}"),
    }
}
