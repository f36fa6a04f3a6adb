//! Where partitions live: the physical RAM the tool hands out on each
//! board model, the address every partition sees its memory at, and the
//! placement itself.
//!
//! The RAM a model has comes from the board crate
//! (`bulkhead_board_rpi4::memory::MODELS`); the tool places partitions and
//! shared regions where it meets the kernel's window, from
//! [`PARTITION_RAM_BASE`] (above the firmware, the kernel and its image
//! gap) to [`KERNEL_RAM_END`] (the RAM the kernel's EL2 map and stage-2
//! checks cover). The kernel checks the same placement again at boot
//! against the memory the firmware's device tree describes
//! (docs/DESIGN.md#boot).

use std::ops::Range;

/// Start of the physical RAM handed to partitions.
pub const PARTITION_RAM_BASE: u64 = 0x2000_0000;
/// End of the RAM the kernel maps and gives to partitions: 2 GiB.
pub const KERNEL_RAM_END: u64 = (bulkhead_board_rpi4::memory::RAM_BASE + bulkhead_board_rpi4::memory::RAM_SIZE) as u64;
/// Alignment of an automatically placed partition: 2 MiB, so stage 2 can
/// map it with level-2 block descriptors (one TLB entry per 2 MiB).
pub const PARTITION_ALIGN: u64 = 2 << 20;
/// Granule of partition memory sizes and pinned bases (stage-2 page size).
pub const PAGE_SIZE: u64 = bulkhead_image::PAGE_SIZE;
/// Intermediate physical address at which every partition sees its memory;
/// partition ELF files are linked for it (the SDK linker script must agree).
pub const PARTITION_IPA_BASE: u64 = 0x4000_0000;

/// Where the tool puts shared memory regions that do not pin an `ipa`:
/// the first at this IPA, the next above it. Every partition's memory lies
/// below it (a partition has at most [`MAX_PARTITION_MEMORY`], seen from
/// [`PARTITION_IPA_BASE`]), so a region placed here is clear of the memory
/// of any partition that maps it, and in the same 1 GiB as that memory
/// (one stage-2 level-2 table serves both).
pub const REGION_IPA_BASE: u64 = 0x6000_0000;
/// The most memory a partition may have: its IPA window below the
/// regions (`check` refuses more).
pub const MAX_PARTITION_MEMORY: u64 = REGION_IPA_BASE - PARTITION_IPA_BASE;
/// End of the IPA space the tool places regions in: the board's
/// peripherals start here, where a partition finds its devices and its GIC
/// CPU interface at their physical addresses. A pinned `ipa` may lie
/// above (check refuses one that meets a device or the GIC CPU interface).
pub const REGION_IPA_END: u64 = bulkhead_board_rpi4::memory::DEVICE_BASE as u64;
/// The IPA space a partition's stage 2 translates: 4 GiB
/// (`kernel/src/arch/stage2.rs`, VTCR_EL2.T0SZ = 32).
pub const IPA_LIMIT: u64 = 1 << 32;

/// The Raspberry Pi 4 system counter frequency (54 MHz crystal). The worst
/// (coarsest) tick of the supported targets: QEMU's raspi4b counter is
/// faster, so a duration that is a whole tick here is one there too.
pub const TICK_HZ: u64 = 54_000_000;
/// Durations under this many nanoseconds are shorter than one tick.
pub const MIN_DURATION_NS: u64 = 1_000_000_000_u64.div_ceil(TICK_HZ);

/// A request for memory: its size and, if pinned, its base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Bytes, a multiple of [`PAGE_SIZE`].
    pub size: u64,
    /// Pinned physical base, if the description sets `base`.
    pub pinned: Option<u64>,
}

/// Where a board with this RAM takes partitions: each of its ranges cut
/// to `PARTITION_RAM_BASE..KERNEL_RAM_END`, the empty ones left out.
pub fn partition_area(ram: &[(u64, u64)]) -> Vec<Range<u64>> {
    ram.iter().map(|&(s, e)| s.max(PARTITION_RAM_BASE)..e.min(KERNEL_RAM_END)).filter(|r| r.start < r.end).collect()
}

/// `region 0x20000000..0x3b400000`, or `regions A..B, C..D`.
pub fn fmt_area(area: &[Range<u64>]) -> String {
    let ranges: Vec<String> = area.iter().map(|r| format!("{:#x}..{:#x}", r.start, r.end)).collect();
    format!("region{} {}", if ranges.len() == 1 { "" } else { "s" }, ranges.join(", "))
}

/// Why a request could not be placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceError {
    /// A pinned range leaves the region.
    OutsideRegion {
        /// Index of the request.
        index: usize,
    },
    /// A pinned range overlaps an earlier pinned range.
    Overlap {
        /// Index of the request.
        index: usize,
        /// Index of the earlier request it overlaps.
        other: usize,
    },
    /// No free gap is large enough.
    NoRoom {
        /// Index of the request.
        index: usize,
        /// Largest free aligned gap left, bytes.
        largest_gap: u64,
    },
}

/// Assign a base to every request inside `area` (ascending ranges):
/// pinned ones where they ask, the rest first-fit in declaration order at
/// [`PARTITION_ALIGN`], so adding a partition at the end never moves the
/// others. A request lies inside one range of the area, never across a
/// hole. Returns every error, one per request that failed (a failed request
/// takes no room).
pub fn place(requests: &[Request], area: &[Range<u64>]) -> (Vec<Option<u64>>, Vec<PlaceError>) {
    let mut bases = vec![None; requests.len()];
    let mut taken: Vec<(u64, u64, usize)> = Vec::new();
    let mut errors = Vec::new();
    for (index, r) in requests.iter().enumerate() {
        let Some(base) = r.pinned else { continue };
        let end = base.checked_add(r.size);
        match end {
            Some(end) if area.iter().any(|a| base >= a.start && end <= a.end) => {
                if let Some(&(_, _, other)) = taken.iter().find(|&&(s, e, _)| base < e && s < end) {
                    errors.push(PlaceError::Overlap { index, other });
                } else {
                    taken.push((base, end, index));
                    bases[index] = Some(base);
                }
            }
            _ => errors.push(PlaceError::OutsideRegion { index }),
        }
    }
    for (index, r) in requests.iter().enumerate() {
        if r.pinned.is_some() {
            continue;
        }
        taken.sort_unstable();
        let mut largest_gap = 0;
        let mut placed = None;
        'ranges: for a in area {
            let mut candidate = a.start;
            let inside = taken.iter().filter(|&&(s, e, _)| s < a.end && a.start < e);
            for &(s, e, _) in inside.chain(std::iter::once(&(a.end, a.end, usize::MAX))) {
                let gap = s.min(a.end).saturating_sub(candidate);
                if gap >= r.size {
                    placed = Some(candidate);
                    break 'ranges;
                }
                largest_gap = largest_gap.max(gap);
                candidate = candidate.max(e.next_multiple_of(PARTITION_ALIGN));
            }
        }
        match placed {
            Some(base) => {
                taken.push((base, base + r.size, index));
                bases[index] = Some(base);
            }
            None => errors.push(PlaceError::NoRoom { index, largest_gap }),
        }
    }
    (bases, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    // One range of the area, not a range of numbers.
    #[allow(clippy::single_range_in_vec_init)]
    const ONE_GIB: &[Range<u64>] = &[0x2000_0000..0x3b40_0000];
    const TWO_GIB: &[Range<u64>] = &[0x2000_0000..0x3b40_0000, 0x4000_0000..0x8000_0000];

    #[test]
    fn one_tick_at_54_mhz_is_19_ns_rounded_up() {
        assert_eq!(MIN_DURATION_NS, 19);
    }

    #[test]
    fn places_in_order_at_2_mib() {
        let r = |size| Request { size, pinned: None };
        let (bases, errors) = place(&[r(4 * MIB), r(MIB), r(8 * MIB)], ONE_GIB);
        assert!(errors.is_empty());
        assert_eq!(bases, vec![Some(0x2000_0000), Some(0x2040_0000), Some(0x2060_0000)]);
    }

    #[test]
    fn avoids_pinned_ranges() {
        let (bases, errors) = place(
            &[Request { size: 4 * MIB, pinned: None }, Request { size: 2 * MIB, pinned: Some(0x2000_0000) }],
            ONE_GIB,
        );
        assert!(errors.is_empty());
        assert_eq!(bases, vec![Some(0x2020_0000), Some(0x2000_0000)]);
    }

    #[test]
    fn reports_overlap_region_and_room() {
        let (_, errors) = place(
            &[
                Request { size: 4 * MIB, pinned: Some(0x2000_0000) },
                Request { size: 4 * MIB, pinned: Some(0x2020_0000) },
                Request { size: 4 * MIB, pinned: Some(0x3B30_0000) },
                Request { size: 600 * MIB, pinned: None },
            ],
            ONE_GIB,
        );
        assert_eq!(
            errors,
            vec![
                PlaceError::Overlap { index: 1, other: 0 },
                PlaceError::OutsideRegion { index: 2 },
                PlaceError::NoRoom { index: 3, largest_gap: 432 * MIB },
            ]
        );
    }

    #[test]
    fn the_models_areas_end_below_the_carve_out_and_the_kernel_window() {
        use bulkhead_board_rpi4::memory::MODELS;
        assert_eq!(partition_area(MODELS[0].ram), ONE_GIB);
        assert_eq!(partition_area(MODELS[1].ram), TWO_GIB);
        assert_eq!(partition_area(MODELS[2].ram), TWO_GIB, "the kernel maps 2 GiB");
        assert_eq!(partition_area(MODELS[3].ram), TWO_GIB);
        assert_eq!(fmt_area(TWO_GIB), "regions 0x20000000..0x3b400000, 0x40000000..0x80000000");
    }

    #[test]
    fn places_across_the_videocore_hole_never_over_it() {
        let r = |size| Request { size, pinned: None };
        let (bases, errors) = place(&[r(400 * MIB), r(100 * MIB), r(30 * MIB)], TWO_GIB);
        assert!(errors.is_empty());
        assert_eq!(bases, vec![Some(0x2000_0000), Some(0x4000_0000), Some(0x3900_0000)]);
        // Pinned across the hole: outside.
        let (_, errors) = place(&[Request { size: 16 * MIB, pinned: Some(0x3B00_0000) }], TWO_GIB);
        assert_eq!(errors, vec![PlaceError::OutsideRegion { index: 0 }]);
        let (_, errors) = place(&[r(1100 * MIB)], TWO_GIB);
        assert_eq!(errors, vec![PlaceError::NoRoom { index: 0, largest_gap: 1024 * MIB }]);
    }
}
