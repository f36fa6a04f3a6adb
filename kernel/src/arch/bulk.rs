//! Passes over large stretches of memory that boot and a partition restart
//! make: zeroing partition memory, cleaning it to the point of
//! unification, copying (the kernel's `memcpy`), and the CRC-32 of the
//! system image.
//!
//! `kernel/src/arch` is the one door to the CPU (STYLE.md habit 2). The
//! kernel is built without FP/SIMD and for strict alignment, so the
//! generic `memset`, `memcpy` and the table-driven CRC of `bulkhead-image`
//! move 8 bytes, or 1, per two or three instructions; at boot that was most of the 4.4 million
//! instructions to the first partition instruction (the bench figure
//! `boot.first_partition_instruction`). These use what the Cortex-A72 has
//! for it:
//!
//! - `DC ZVA` (Arm ARM DDI 0487 C6.2, "DC ZVA"; D7.5.11): one instruction
//!   zeroes a block of `4 << DCZID_EL0.BS` bytes (64 on the A72). It needs
//!   normal memory (device memory faults), so only with the EL2 MMU on,
//!   and `DCZID_EL0.DZP` clear (at EL2 nothing traps it).
//! - `DC CVAU` eight lines per loop turn instead of one.
//! - `memcpy` of 64 bytes a loop turn with `LDP`/`STP`, unaligned where
//!   the source and destination are (below), instead of the generic one.
//! - `CRC32X` (FEAT_CRC32, `ID_AA64ISAR0_EL1.CRC32`; C6.2 "CRC32X"): the
//!   CRC-32 of IEEE 802.3 (polynomial 0x04C11DB7, reflected, as zlib), the
//!   one the image header carries, 8 bytes per instruction.
//!
//! Each falls back to the plain code when the CPU or the moment does not
//! allow the fast one, and computes the same result either way.
use bulkhead_board_rpi4::memory::{RAM_BASE, RAM_SIZE};
use core::arch::{asm, global_asm};

/// The data cache line the maintenance loops step by (Cortex-A72: 64 bytes,
/// CTR_EL0.DminLine = 4).
const LINE: usize = 64;

/// The size of the block `DC ZVA` zeroes, if it may be used now: the EL2
/// MMU is on (the memory is then normal, not device) and DCZID_EL0.DZP is
/// clear.
fn zva_block() -> Option<usize> {
    let (dczid, sctlr): (u64, u64);
    // SAFETY: two register reads with no side effect.
    unsafe {
        asm!(
            "mrs {d}, dczid_el0",
            "mrs {s}, sctlr_el2",
            d = out(reg) dczid,
            s = out(reg) sctlr,
            options(nomem, nostack, preserves_flags)
        )
    };
    let prohibited = dczid & (1 << 4) != 0;
    let mmu_on = sctlr & 1 != 0;
    (mmu_on && !prohibited).then(|| 4 << (dczid & 0xf))
}

/// Whether `[start, end)` lies in RAM: normal memory in the EL2 map, where
/// `DC ZVA` may be used.
fn in_ram(start: usize, end: usize) -> bool {
    (RAM_BASE..=RAM_BASE + RAM_SIZE).contains(&start) && end <= RAM_BASE + RAM_SIZE
}

/// Zeroes `memory`, as `memory.fill(0)` would: with `DC ZVA` over the whole
/// blocks inside it when [`zva_block`] allows and `memory` lies in RAM
/// (normal memory in the EL2 map), plain stores for the rest.
pub fn zero(memory: &mut [u8]) {
    let start = memory.as_ptr() as usize;
    let end = start + memory.len();
    let Some(block) = zva_block().filter(|_| in_ram(start, end)) else {
        memory.fill(0);
        return;
    };
    let first = start.next_multiple_of(block).min(end);
    let last = (end & !(block - 1)).max(first);
    memory[..first - start].fill(0);
    memory[last - start..].fill(0);
    // Eight blocks a turn, then one at a time: two instructions a block
    // (`DC ZVA` takes no offset, so each needs its own address).
    let eight = 8 * block;
    let unrolled_end = first + (last - first) / eight * eight;
    // SAFETY: every block zeroed lies in `first..last`, inside `memory`,
    // which this function borrows mutably: zeroing it is what `fill(0)`
    // does. The memory is normal (RAM with the MMU on), so DC ZVA does not
    // fault; `block` is the size DCZID_EL0 gives and `first` is aligned to it.
    unsafe {
        asm!(
            "b 2f",
            "1:",
            "dc zva, {p}", "add {p}, {p}, {b}",
            "dc zva, {p}", "add {p}, {p}, {b}",
            "dc zva, {p}", "add {p}, {p}, {b}",
            "dc zva, {p}", "add {p}, {p}, {b}",
            "dc zva, {p}", "add {p}, {p}, {b}",
            "dc zva, {p}", "add {p}, {p}, {b}",
            "dc zva, {p}", "add {p}, {p}, {b}",
            "dc zva, {p}", "add {p}, {p}, {b}",
            "2:",
            "cmp {p}, {u}",
            "b.lo 1b",
            "b 4f",
            "3:",
            "dc zva, {p}", "add {p}, {p}, {b}",
            "4:",
            "cmp {p}, {l}",
            "b.lo 3b",
            p = inout(reg) first => _,
            b = in(reg) block,
            u = in(reg) unrolled_end,
            l = in(reg) last,
            options(nostack)
        )
    };
}

/// Zeroes `memory` and writes its data-cache lines back to the point of
/// unification, as [`zero`] then [`clean_to_pou`] would, in one pass where
/// the `DC ZVA` block is a cache line (the Cortex-A72's 64 bytes): each
/// line is zeroed and cleaned in the same loop turn, three instructions
/// a line instead of four in two passes.
pub fn zero_and_clean_to_pou(memory: &mut [u8]) {
    let start = memory.as_ptr() as usize;
    let end = start + memory.len();
    if !in_ram(start, end) || zva_block() != Some(LINE) {
        zero(memory);
        clean_to_pou(start, end - start);
        return;
    }
    let first = start.next_multiple_of(LINE).min(end);
    let last = (end & !(LINE - 1)).max(first);
    memory[..first - start].fill(0);
    memory[last - start..].fill(0);
    let eight = 8 * LINE;
    let unrolled_end = first + (last - first) / eight * eight;
    // SAFETY: as in `zero`: every line zeroed lies in `first..last`, inside
    // `memory`, borrowed mutably; normal memory (RAM, MMU on), a DC ZVA
    // block of one line, `first` aligned to it. DC CVAU only writes back.
    unsafe {
        asm!(
            "b 2f",
            "1:",
            "dc zva, {p}", "dc cvau, {p}", "add {p}, {p}, #64",
            "dc zva, {p}", "dc cvau, {p}", "add {p}, {p}, #64",
            "dc zva, {p}", "dc cvau, {p}", "add {p}, {p}, #64",
            "dc zva, {p}", "dc cvau, {p}", "add {p}, {p}, #64",
            "dc zva, {p}", "dc cvau, {p}", "add {p}, {p}, #64",
            "dc zva, {p}", "dc cvau, {p}", "add {p}, {p}, #64",
            "dc zva, {p}", "dc cvau, {p}", "add {p}, {p}, #64",
            "dc zva, {p}", "dc cvau, {p}", "add {p}, {p}, #64",
            "2:",
            "cmp {p}, {u}",
            "b.lo 1b",
            "b 4f",
            "3:",
            "dc zva, {p}", "dc cvau, {p}", "add {p}, {p}, #64",
            "4:",
            "cmp {p}, {l}",
            "b.lo 3b",
            p = inout(reg) first => _,
            u = in(reg) unrolled_end,
            l = in(reg) last,
            options(nostack)
        )
    };
    // The partial lines at either end (plain stores above), and the DSB
    // that waits for every clean.
    if first > start {
        clean_to_pou(start, first - start);
    }
    clean_to_pou(last, end - last);
}

/// Writes back the data-cache lines covering `[addr, addr + len)` to the
/// point of unification (`DC CVAU`, eight lines a loop turn) and waits for
/// it (`DSB ISH`). See [`super::clean_dcache_to_pou`].
pub fn clean_to_pou(addr: usize, len: usize) {
    let first = addr & !(LINE - 1);
    let end = addr + len;
    let eight = 8 * LINE;
    let unrolled_end = first + (end.saturating_sub(first)) / eight * eight;
    // SAFETY: DC CVAU writes back cache lines and changes no memory
    // contents; the lines are those of the range the caller names.
    unsafe {
        asm!(
            "b 2f",
            "1:",
            "dc cvau, {p}", "add {p}, {p}, #64",
            "dc cvau, {p}", "add {p}, {p}, #64",
            "dc cvau, {p}", "add {p}, {p}, #64",
            "dc cvau, {p}", "add {p}, {p}, #64",
            "dc cvau, {p}", "add {p}, {p}, #64",
            "dc cvau, {p}", "add {p}, {p}, #64",
            "dc cvau, {p}", "add {p}, {p}, #64",
            "dc cvau, {p}", "add {p}, {p}, #64",
            "2:",
            "cmp {p}, {u}",
            "b.lo 1b",
            "b 4f",
            "3:",
            "dc cvau, {p}", "add {p}, {p}, #64",
            "4:",
            "cmp {p}, {e}",
            "b.lo 3b",
            "dsb ish",
            p = inout(reg) first => _,
            u = in(reg) unrolled_end,
            e = in(reg) end,
            options(nostack)
        )
    };
}

/// Whether this CPU has the CRC32 instructions (ID_AA64ISAR0_EL1.CRC32,
/// bits 19:16; the Cortex-A72 has them).
fn has_crc32() -> bool {
    let isar0: u64;
    // SAFETY: a register read with no side effect.
    unsafe { asm!("mrs {0}, id_aa64isar0_el1", out(reg) isar0, options(nomem, nostack, preserves_flags)) };
    (isar0 >> 16) & 0xf != 0
}

/// The CRC-32 of `bytes`, the same function as [`bulkhead_image::crc32`]
/// (initial value and final XOR `0xFFFF_FFFF`), with the CPU's CRC32
/// instructions where it has them: what the kernel gives
/// `SystemImage::parse_with_crc`.
pub fn crc32(bytes: &[u8]) -> u32 {
    if !has_crc32() {
        return bulkhead_image::crc32(bytes);
    }
    let step_byte = |crc: u32, b: u8| -> u32 {
        let out: u32;
        // SAFETY: a register-only instruction (FEAT_CRC32, checked above).
        unsafe {
            asm!(
                ".arch_extension crc",
                "crc32b {o:w}, {c:w}, {b:w}",
                o = lateout(reg) out,
                c = in(reg) crc,
                b = in(reg) u32::from(b),
                options(pure, nomem, nostack, preserves_flags)
            )
        };
        out
    };
    // Bytes up to an 8-byte boundary, whole 32-byte chunks, the rest.
    let head = bytes.as_ptr().align_offset(8).min(bytes.len());
    let (head_bytes, rest) = bytes.split_at(head);
    let body = rest.len() / 32 * 32;
    let (body_bytes, tail_bytes) = rest.split_at(body);
    let mut crc = head_bytes.iter().fold(0xFFFF_FFFFu32, |c, &b| step_byte(c, b));
    if !body_bytes.is_empty() {
        // SAFETY: reads `body_bytes` only (8-byte aligned, a multiple of 32
        // bytes long, borrowed for the call); FEAT_CRC32 is checked above.
        unsafe {
            asm!(
                ".arch_extension crc",
                "1:",
                "ldp {a}, {b}, [{p}], #16",
                "ldp {c}, {d}, [{p}], #16",
                "crc32x {crc:w}, {crc:w}, {a}",
                "crc32x {crc:w}, {crc:w}, {b}",
                "crc32x {crc:w}, {crc:w}, {c}",
                "crc32x {crc:w}, {crc:w}, {d}",
                "cmp {p}, {end}",
                "b.lo 1b",
                crc = inout(reg) crc,
                p = inout(reg) body_bytes.as_ptr() => _,
                end = in(reg) body_bytes.as_ptr_range().end,
                a = out(reg) _,
                b = out(reg) _,
                c = out(reg) _,
                d = out(reg) _,
                options(readonly, nostack)
            )
        };
    }
    !tail_bytes.iter().fold(crc, |c, &b| step_byte(c, b))
}

// The kernel's `memcpy`, in place of the generic one of `compiler_builtins`
// (whose symbols are weak so that a platform can do this). The kernel is
// built for strict alignment, so the generic one copies data whose source
// and destination differ in alignment a byte or a shifted word at a time:
// a partition's segment bytes (anywhere in the image) and values the
// compiler moves through an odd temporary (the 24 KB `CoreScheduler` into
// its `OnceMutex` at 1 mod 8) cost ~300,000 instructions of the boot.
//
// With the EL2 MMU on and alignment checking off (SCTLR_EL2.M set, A
// clear) every memory the kernel copies is normal memory, where unaligned
// LDR/STR/LDP/STP are allowed (Arm ARM B2.5.2): 64 bytes a loop turn, then
// 8, then single bytes. Before the MMU is on (memory is device memory,
// unaligned accesses fault) it copies a byte at a time. Same contract as
// C's memcpy: `n` bytes, no overlap, returns `dest`; only x0-x11 (caller
// saved) are written.
global_asm!(
    r#"
.section .text.memcpy, "ax"
.global memcpy
.type memcpy, %function
memcpy:
    mov     x3, x0
    mrs     x4, sctlr_el2
    and     x4, x4, #3
    cmp     x4, #1
    b.ne    3f
    subs    x2, x2, #64
    b.lo    2f
1:  ldp     x4, x5, [x1]
    ldp     x6, x7, [x1, #16]
    ldp     x8, x9, [x1, #32]
    ldp     x10, x11, [x1, #48]
    add     x1, x1, #64
    stp     x4, x5, [x3]
    stp     x6, x7, [x3, #16]
    stp     x8, x9, [x3, #32]
    stp     x10, x11, [x3, #48]
    add     x3, x3, #64
    subs    x2, x2, #64
    b.hs    1b
2:  adds    x2, x2, #56                 // bytes left - 8 (with a carry iff 8 or more are left)
    b.lo    4f
5:  ldr     x4, [x1], #8
    str     x4, [x3], #8
    subs    x2, x2, #8
    b.hs    5b
4:  add     x2, x2, #8                  // 0..7 bytes left
3:  cbz     x2, 9f
6:  ldrb    w4, [x1], #1
    strb    w4, [x3], #1
    subs    x2, x2, #1
    b.ne    6b
9:  ret
.size memcpy, . - memcpy
"#
);
