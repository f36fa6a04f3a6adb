//! Where partitions live: the physical RAM region the tool hands out, the
//! address every partition sees its memory at, and the placement itself.
//!
//! These constants are the tool's only physical addresses. They belong with
//! the board (`board/rpi4`, which will hold the Pi 4 memory map); until that
//! crate exports them, this module is the one place to change. The region
//! sits in the first GiB of the module's RAM (every Pi 4 has at least 1 GiB,
//! the firmware and kernel live below 0x2000_0000) and under the 2 GiB the
//! module's stage-2 tables are built for.

/// Start of the physical RAM handed to partitions.
pub const PARTITION_RAM_BASE: u64 = 0x2000_0000;
/// End (exclusive) of the physical RAM handed to partitions.
pub const PARTITION_RAM_END: u64 = 0x4000_0000;
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
/// below it (a partition is at most the whole partition RAM region, seen
/// from [`PARTITION_IPA_BASE`]), so a region placed here is clear of the
/// memory of any partition that maps it, and in the same 1 GiB as that
/// memory (one stage-2 level-2 table serves both).
pub const REGION_IPA_BASE: u64 = 0x6000_0000;
const _: () = assert!(PARTITION_IPA_BASE + (PARTITION_RAM_END - PARTITION_RAM_BASE) <= REGION_IPA_BASE);
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

/// Assign a base to every request: pinned ones where they ask, the rest
/// first-fit in declaration order at [`PARTITION_ALIGN`], so adding a
/// partition at the end never moves the others. Returns every error, one per
/// request that failed (a failed request takes no room).
pub fn place(requests: &[Request]) -> (Vec<Option<u64>>, Vec<PlaceError>) {
    let mut bases = vec![None; requests.len()];
    let mut taken: Vec<(u64, u64, usize)> = Vec::new();
    let mut errors = Vec::new();
    for (index, r) in requests.iter().enumerate() {
        let Some(base) = r.pinned else { continue };
        let end = base.checked_add(r.size);
        match end {
            Some(end) if base >= PARTITION_RAM_BASE && end <= PARTITION_RAM_END => {
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
        let mut candidate = PARTITION_RAM_BASE;
        let mut largest_gap = 0;
        let mut placed = None;
        for &(s, e, _) in taken.iter().chain(std::iter::once(&(PARTITION_RAM_END, PARTITION_RAM_END, usize::MAX))) {
            let gap = s.saturating_sub(candidate);
            if gap >= r.size {
                placed = Some(candidate);
                break;
            }
            largest_gap = largest_gap.max(gap);
            candidate = candidate.max(e.next_multiple_of(PARTITION_ALIGN));
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

    #[test]
    fn one_tick_at_54_mhz_is_19_ns_rounded_up() {
        assert_eq!(MIN_DURATION_NS, 19);
    }

    #[test]
    fn places_in_order_at_2_mib() {
        let r = |size| Request { size, pinned: None };
        let (bases, errors) = place(&[r(4 * MIB), r(MIB), r(8 * MIB)]);
        assert!(errors.is_empty());
        assert_eq!(bases, vec![Some(0x2000_0000), Some(0x2040_0000), Some(0x2060_0000)]);
    }

    #[test]
    fn avoids_pinned_ranges() {
        let (bases, errors) =
            place(&[Request { size: 4 * MIB, pinned: None }, Request { size: 2 * MIB, pinned: Some(0x2000_0000) }]);
        assert!(errors.is_empty());
        assert_eq!(bases, vec![Some(0x2020_0000), Some(0x2000_0000)]);
    }

    #[test]
    fn reports_overlap_region_and_room() {
        let (_, errors) = place(&[
            Request { size: 4 * MIB, pinned: Some(0x2000_0000) },
            Request { size: 4 * MIB, pinned: Some(0x2020_0000) },
            Request { size: 4 * MIB, pinned: Some(0x3FF0_0000) },
            Request { size: 600 * MIB, pinned: None },
        ]);
        assert_eq!(
            errors,
            vec![
                PlaceError::Overlap { index: 1, other: 0 },
                PlaceError::OutsideRegion { index: 2 },
                PlaceError::NoRoom { index: 3, largest_gap: 508 * MIB },
            ]
        );
    }
}
