//! The partition memory map (`MemoryMap`): the rights stage 2 gives each
//! page, the stacks and their guard pages, and the maps the kernel refuses.

use bulkhead_image::*;

#[path = "common/sample.rs"]
mod common;
use common::{sample, thread};

const KIB: u64 = 1024;
const R: u32 = SegmentFlags::READ;
const W: u32 = SegmentFlags::WRITE;
const X: u32 = SegmentFlags::EXECUTE;
/// Partition 0's IPA base in the sample.
const IPA: u64 = 0x4000_0000;

/// The sample image with partition 0 given `segments`, `memory` bytes,
/// one thread per entry of `stacks` (its stack size), and `write_execute`;
/// no heap.
fn image(segments: Vec<SegmentSpec>, memory: u64, stacks: &[u64], write_execute: bool) -> Vec<u8> {
    image_of(segments, memory, stacks, write_execute, 0)
}

/// As [`image`], W^X on, with a heap of `heap` bytes.
fn with_heap(segments: Vec<SegmentSpec>, memory: u64, stacks: &[u64], heap: u64) -> Vec<u8> {
    image_of(segments, memory, stacks, false, heap)
}

fn image_of(segments: Vec<SegmentSpec>, memory: u64, stacks: &[u64], write_execute: bool, heap: u64) -> Vec<u8> {
    let mut spec = sample();
    let p = &mut spec.partitions[0];
    p.segments = segments;
    p.memory_size = memory;
    p.write_execute = write_execute;
    p.heap_size = heap;
    spec.threads.retain(|t| t.partition != 0);
    for (i, &stack_size) in stacks.iter().enumerate().rev() {
        spec.threads.insert(0, ThreadSpec { stack_size, ..thread(&format!("t{i}"), 0, 1 << i) });
    }
    spec.to_bytes().expect("the writer takes it")
}

fn seg(load_offset: u64, mem_size: u64, flags: u32) -> SegmentSpec {
    SegmentSpec { load_offset, mem_size, flags, data: vec![0xAA; 16] }
}

/// Partition 0's map of `bytes`, and what `validate` says of it.
fn check(bytes: &[u8], f: impl FnOnce(MemoryMap<'_>, Result<(), MapError<'_>>)) {
    let image = SystemImage::parse(bytes).expect("the parser takes it");
    let map = MemoryMap::of(&image, 0).expect("partition 0");
    f(map, map.validate());
}

fn runs(map: &MemoryMap<'_>) -> Vec<(u64, u64, String)> {
    map.runs().map(|r| (r.start, r.end, r.access.map_or_else(|| "unmapped".into(), |a| a.to_string()))).collect()
}

/// As linker/partition.ld lays an image out: text, rodata and data+bss
/// each from a page; two threads with 16 KiB and 8 KiB of stack.
fn laid_out() -> Vec<u8> {
    image(
        vec![seg(0, 0x1234, R | X), seg(0x2000, 0x800, R), seg(0x3000, 0x1100, R | W)],
        64 * KIB,
        &[16 * KIB, 8 * KIB],
        false,
    )
}

#[test]
fn segments_keep_their_rights_and_stacks_sit_above_guard_pages() {
    check(&laid_out(), |map, valid| {
        assert_eq!(valid, Ok(()));
        let want: Vec<(u64, u64, String)> = [
            (0x0000, 0x2000, "r-x"),
            (0x2000, 0x3000, "r--"),
            // data and bss to 0x5000, then free memory: both read/write.
            (0x3000, 0x8000, "rw-"),
            (0x8000, 0x9000, "unmapped"),
            (0x9000, 0xb000, "rw-"),
            (0xb000, 0xc000, "unmapped"),
            (0xc000, 0x10000, "rw-"),
        ]
        .iter()
        .map(|&(a, b, s)| (a, b, s.to_string()))
        .collect();
        assert_eq!(runs(&map), want);
        let stacks: Vec<(String, std::ops::Range<u64>)> = map.stacks().map(|(t, s)| (t.name.to_string(), s)).collect();
        assert_eq!(stacks, vec![("t0".into(), 0xc000..0x10000), ("t1".into(), 0x9000..0xb000)]);
        assert_eq!(map.image_end(), 0x5000);
    });
}

#[test]
fn areas_name_segment_stack_guard_free_and_outside() {
    check(&laid_out(), |map, _| {
        assert_eq!(map.area_at(0), Area::Segment(0));
        // Past the text's last byte, on its last page.
        assert_eq!(map.area_at(0x1800), Area::Segment(0));
        assert_eq!(map.area_at(0x2400), Area::Segment(1));
        assert_eq!(map.area_at(0x40ff), Area::Segment(2));
        assert_eq!(map.area_at(0x6000), Area::Free);
        assert_eq!(map.area_at(0x8ff0), Area::Guard(1));
        assert_eq!(map.area_at(0x9000), Area::Stack(1));
        assert_eq!(map.area_at(0xbff0), Area::Guard(0));
        assert_eq!(map.area_at(0xfff8), Area::Stack(0));
        assert_eq!(map.area_at(0x10000), Area::Outside);
        assert_eq!(map.access_at(0x1000).map(|a| a.to_string()), Some("r-x".into()));
        assert_eq!(map.access_at(0xb000), None);
        assert_eq!(map.access_at(0x10000), None);
    });
}

#[test]
fn readable_ranges_stop_at_guard_pages_and_the_end() {
    check(&laid_out(), |map, _| {
        assert!(map.readable(0, 0x8000), "image and free memory");
        assert!(map.readable(0xc000, 0x4000), "thread 0's whole stack");
        assert!(!map.readable(0x7ff0, 0x20), "into thread 1's guard page");
        assert!(!map.readable(0xbff8, 8), "thread 0's guard page");
        assert!(!map.readable(0xfff0, 0x20), "past the end");
        assert!(!map.readable(u64::MAX - 4, 8), "wraps");
        assert!(map.readable(0x10000, 0), "empty, at the end");
    });
    // A segment without read access (execute-only) is not readable either.
    check(&image(vec![seg(0, 0x1000, X)], 64 * KIB, &[16 * KIB], false), |map, valid| {
        assert_eq!(valid, Ok(()));
        assert!(!map.readable(0x10, 8));
        assert!(map.readable(0x1000, 8));
    });
}

#[test]
fn writable_ranges_stop_at_text_rodata_guard_pages_and_the_end() {
    check(&laid_out(), |map, _| {
        assert!(map.writable(0x3000, 0x5000), "data, bss and free memory");
        assert!(map.writable(0xc000, 0x4000), "thread 0's whole stack");
        assert!(!map.writable(0x1ff0, 0x20), "from the text");
        assert!(!map.writable(0x2ff8, 0x10), "from the rodata");
        assert!(!map.writable(0x7ff0, 0x20), "into thread 1's guard page");
        assert!(!map.writable(0xfff0, 0x20), "past the end");
        assert!(!map.writable(u64::MAX - 4, 8), "wraps");
        assert!(map.readable(0x2000, 0x10) && !map.writable(0x2000, 0x10), "rodata: read, not write");
    });
}

#[test]
fn a_page_shared_by_text_and_data_is_refused_unless_allowed() {
    // Text and data on one page (no page alignment between them).
    let segments = || vec![seg(0, 0x1100, R | X), seg(0x1100, 0x200, R | W)];
    check(&image(segments(), 64 * KIB, &[16 * KIB], false), |_, valid| {
        let err = valid.expect_err("a writable and executable page");
        assert_eq!(err, MapError::WriteExecute { page_ipa: IPA + 0x1000, writable: 1, executable: 0 });
        assert_eq!(
            err.to_string(),
            "segments 0 (executable) and 1 (writable) share the page at IPA 0x40001000, which would be writable and executable; link with page-aligned segments (linker/partition.ld)"
        );
    });
    check(&image(segments(), 64 * KIB, &[16 * KIB], true), |map, valid| {
        assert_eq!(valid, Ok(()));
        let shared: Vec<_> = runs(&map).into_iter().take(2).collect();
        assert_eq!(shared, vec![(0, 0x1000, "r-x".into()), (0x1000, 0x2000, "rwx".into())]);
    });
}

#[test]
fn a_writable_executable_segment_needs_the_partition_to_allow_it() {
    let segments = || vec![seg(0, 0x3000, R | W | X)];
    check(&image(segments(), 64 * KIB, &[16 * KIB], false), |_, valid| {
        let err = valid.expect_err("an rwx segment");
        assert_eq!(err, MapError::WriteExecute { page_ipa: IPA, writable: 0, executable: 0 });
        assert_eq!(
            err.to_string(),
            "segment 0 is writable and executable, and the partition does not allow write_execute (page at IPA 0x40000000)"
        );
    });
    check(&image(segments(), 64 * KIB, &[16 * KIB], true), |map, valid| {
        assert_eq!(valid, Ok(()));
        // Free memory and stacks stay non-executable even so.
        assert_eq!(map.access_at(0x3000).map(|a| a.to_string()), Some("rw-".into()));
        assert_eq!(map.access_at(0xf000).map(|a| a.to_string()), Some("rw-".into()));
    });
}

#[test]
fn stacks_are_whole_pages_and_fit_with_their_guards() {
    check(&image(vec![seg(0, 0x1000, R | X)], 64 * KIB, &[16 * KIB, 0x1100], false), |_, valid| {
        let err = valid.expect_err("a stack of 0x1100 bytes");
        assert_eq!(err, MapError::StackNotWholePages { thread: "t1", stack_size: 0x1100 });
        assert_eq!(
            err.to_string(),
            "thread t1: stack size 0x1100 is not a multiple of 4 KiB (every stack is whole pages above an unmapped guard page)"
        );
    });
    // 4 KiB of image and 56 KiB of stacks fit 64 KiB; with their two guard pages they do not.
    check(&image(vec![seg(0, 0x1000, R | X)], 64 * KIB, &[32 * KIB, 24 * KIB], false), |_, valid| {
        let err = valid.expect_err("no room for the guard pages");
        assert_eq!(err, MapError::StacksDoNotFit { image_end: 0x1000, stacks: 0x10000, memory_size: 0x10000 });
        assert_eq!(
            err.to_string(),
            "image (0x1000 bytes) and thread stacks with their guard pages (0x10000 bytes) need more than its 0x10000 bytes of memory"
        );
    });
    check(&image(vec![seg(0, 0x1000, R | X)], 64 * KIB, &[32 * KIB, 20 * KIB], false), |map, valid| {
        assert_eq!(valid, Ok(()));
        // Exactly full: the lower guard page starts where the image ends.
        assert_eq!(map.area_at(0x1000), Area::Guard(1));
    });
}

/// The heap hangs just below the lowest guard page: the tool's
/// `heap_range` and the map agree, `area_at` names it, stage 2 maps it
/// read/write with the free memory below it, and `areas` tells the two
/// apart.
#[test]
fn the_heap_sits_below_the_lowest_guard_page() {
    // Image to 0x5000; stacks t0 0xc000..0x10000, t1 0x9000..0xb000; guard
    // of t1 0x8000..0x9000; a 12 KiB heap below it.
    let bytes = with_heap(
        vec![seg(0, 0x1234, R | X), seg(0x2000, 0x800, R), seg(0x3000, 0x1100, R | W)],
        64 * KIB,
        &[16 * KIB, 8 * KIB],
        12 * KIB,
    );
    check(&bytes, |map, valid| {
        assert_eq!(valid, Ok(()));
        assert_eq!(map.heap(), Some(0x5000..0x8000));
        assert_eq!(heap_range(64 * KIB, [16 * KIB, 8 * KIB], 12 * KIB), Some(0x5000..0x8000));
        assert_eq!(map.area_at(0x4fff), Area::Segment(2));
        assert_eq!(map.area_at(0x5000), Area::Heap);
        assert_eq!(map.area_at(0x7fff), Area::Heap);
        assert_eq!(map.area_at(0x8000), Area::Guard(1));
        assert!(map.writable(0x5000, 0x3000));
        assert!(!map.writable(0x5000, 0x3001), "the heap's top meets the guard page");
        assert!(!map.executable(0x5000));
        let runs: Vec<(u64, u64, String)> =
            map.runs().map(|r| (r.start, r.end, r.access.map_or("unmapped".into(), |a| a.to_string()))).collect();
        assert_eq!(runs[2], (0x3000, 0x8000, "rw-".to_string()), "data, bss and heap: one read/write run");
        let areas: Vec<(std::ops::Range<u64>, Area)> = map.areas().map(|(r, a, _)| (r, a)).collect();
        assert!(areas.contains(&(0x5000..0x8000, Area::Heap)), "{areas:?}");
    });
    // No heap: none, and the same memory is free.
    check(&with_heap(vec![seg(0, 0x1000, R | X)], 64 * KIB, &[16 * KIB, 8 * KIB], 0), |map, _| {
        assert_eq!(map.heap(), None);
        assert_eq!(map.area_at(0x7000), Area::Free);
    });
}

/// A heap that leaves no room for the image is refused by name, after the
/// stacks' own check; exactly full is fine.
#[test]
fn the_heap_must_fit_between_the_image_and_the_stacks() {
    // 4 KiB image, 16 + 8 KiB stacks and two guard pages: 28 KiB left of 64.
    check(&with_heap(vec![seg(0, 0x1000, R | X)], 64 * KIB, &[16 * KIB, 8 * KIB], 28 * KIB), |map, valid| {
        assert_eq!(valid, Ok(()));
        assert_eq!(map.heap(), Some(0x1000..0x8000));
    });
    check(&with_heap(vec![seg(0, 0x1000, R | X)], 64 * KIB, &[16 * KIB, 8 * KIB], 32 * KIB), |map, valid| {
        let err = valid.expect_err("one page too many");
        assert_eq!(
            err,
            MapError::HeapDoesNotFit { image_end: 0x1000, heap_size: 0x8000, stacks: 0x8000, memory_size: 0x10000 }
        );
        assert_eq!(
            err.to_string(),
            "image (0x1000 bytes), heap (0x8000 bytes) and thread stacks with their guard pages (0x8000 bytes) need more than its 0x10000 bytes of memory"
        );
        // Below the stacks it still has a place; it overlaps the image.
        assert_eq!(map.heap(), Some(0..0x8000));
    });
    // As large as the memory: no place at all, and no panic.
    check(&with_heap(vec![seg(0, 0x1000, R | X)], 64 * KIB, &[16 * KIB], 64 * KIB), |map, valid| {
        assert!(matches!(valid, Err(MapError::HeapDoesNotFit { .. })));
        assert_eq!(map.heap(), None);
        assert_eq!(heap_range(64 * KIB, [16 * KIB], 64 * KIB), None);
    });
}
