//! Property-based fuzzing of the parser, bounded to a few seconds so it runs
//! in plain `cargo test`: arbitrary bytes, arbitrary bytes behind a valid
//! header, and valid images with bytes flipped (with the CRC fixed up, so the
//! mutation reaches the table and record checks instead of stopping at the
//! checksum). The property: `parse` returns, `Ok` or `Err`, and never panics;
//! an accepted image can be walked in full and re-serialised identically.

#[path = "common/sample.rs"]
mod sample;

use bulkhead_image::*;
use proptest::prelude::*;

fn fix_crc(bytes: &mut [u8]) {
    if bytes.len() >= HEADER_SIZE {
        let total = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let end = total.clamp(20, bytes.len());
        let crc = crc32(&bytes[20..end]);
        bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    }
}

/// Walk every record of an accepted image, as the kernel would.
fn walk(image: &SystemImage<'_>) -> usize {
    let mut n = image.module().name.len();
    for s in image.schedules() {
        n += s.windows().count();
    }
    for p in image.partitions() {
        n += p.segments().map(|s| s.data.len()).sum::<usize>();
    }
    n += image.threads().count();
    for c in image.channels() {
        n += c.ports().count();
    }
    n + image.configured_health_actions().count()
}

fn check(bytes: &[u8]) {
    if let Ok(image) = SystemImage::parse(bytes) {
        walk(&image);
        let spec = ImageSpec::from_image(&image);
        let again = spec.to_bytes().expect("a parsed image re-serialises");
        let reparsed = SystemImage::parse(&again).expect("re-serialised image parses");
        assert_eq!(ImageSpec::from_image(&reparsed), spec);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_header_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..1024),
    ) {
        let mut bytes = Vec::from(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&((HEADER_SIZE + body.len()) as u32).to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&(TABLE_COUNT as u32).to_le_bytes());
        bytes.extend_from_slice(&body);
        fix_crc(&mut bytes);
        check(&bytes);
    }

    #[test]
    fn mutated_valid_images_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        truncate in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = sample::sample().to_bytes().unwrap();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Some(t) = truncate {
            let len = t.index(bytes.len());
            bytes.truncate(len);
        }
        fix_crc(&mut bytes);
        check(&bytes);
    }

    #[test]
    fn generated_images_round_trip(
        cores in 1u32..=8,
        windows in proptest::collection::vec((proptest::option::of(0u32..3), 19u64..5_000_000), 1..8),
        mem_pages in proptest::collection::vec(1u64..64, 1..4),
        extra_ns in 0u64..1_000_000,
    ) {
        let mut spec = sample::sample();
        spec.module.core_count = cores;
        let partitions = mem_pages.len() as u32;
        let mut base = 0x2000_0000;
        spec.partitions = mem_pages
            .iter()
            .enumerate()
            .map(|(i, pages)| {
                let p = PartitionSpec {
                    name: format!("p{i}"),
                    system: i == 0,
                    phys_base: base,
                    memory_size: pages * PAGE_SIZE,
                    ipa_base: 0,
                    entry_ipa: 0,
                    segments: vec![SegmentSpec { load_offset: 0, mem_size: PAGE_SIZE, flags: 5, data: vec![i as u8; i] }],
                };
                base += pages * PAGE_SIZE;
                p
            })
            .collect();
        spec.threads = (0..partitions).map(|p| sample::thread("t", p, 1)).collect();
        spec.channels.clear();
        let windows: Vec<WindowSpec> = windows
            .into_iter()
            .map(|(owner, duration_ns)| WindowSpec { owner: owner.filter(|&o| o < partitions), duration_ns })
            .collect();
        let sum: u64 = windows.iter().map(|w| w.duration_ns).sum();
        spec.schedules = vec![ScheduleSpec { name: "s".into(), major_frame_ns: sum + extra_ns, initial: true, windows }];
        let bytes = spec.to_bytes().unwrap();
        let image = SystemImage::parse(&bytes).unwrap();
        prop_assert_eq!(ImageSpec::from_image(&image), spec);
    }
}
