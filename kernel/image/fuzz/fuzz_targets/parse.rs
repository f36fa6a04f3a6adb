//! libFuzzer target: any bytes into `SystemImage::parse`, twice: as they
//! are, and with the header's checksum (and a `total_len` past the end)
//! made right. libFuzzer cannot forge a CRC-32, so without the second
//! parse nearly every mutation of a seed stops at the checksum and the
//! table, record and cross-record checks behind it go unfuzzed.
//!
//! A refusal is formatted, as the kernel prints it. An accepted image is
//! used as the kernel uses it at boot and after (the initial schedule, the
//! health actions, every partition's memory map built, validated and
//! walked run by run, its buffers' readability asked) and must
//! re-serialise to an image that parses to the same contents. Panics, and
//! these broken promises, are the findings: the runs of a map tile its
//! memory in address order, and a run is readable exactly when its access
//! says so.
#![no_main]

use bulkhead_image::{ErrorKind, ImageSpec, MemoryMap, SystemImage, crc32};
use libfuzzer_sys::fuzz_target;

fn exercise(bytes: &[u8]) {
    let image = match SystemImage::parse(bytes) {
        Ok(image) => image,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = image.initial_schedule();
    for &kind in ErrorKind::ALL {
        for p in 0..=image.partitions().len() as u32 {
            let _ = image.health_action(p, kind).to_string();
            let _ = image.health_decision(p, kind);
        }
    }
    for p in image.partitions() {
        let map = MemoryMap::of(&image, p.id).expect("partition ids are dense");
        if let Err(e) = map.validate() {
            let _ = e.to_string();
        }
        let mut end = 0;
        for run in map.runs() {
            assert_eq!(run.start, end, "partition {}: runs leave a gap or overlap", p.id);
            assert!(run.end > run.start, "partition {}: empty run at {:#x}", p.id, run.start);
            let read = run.access.is_some_and(|a| a.read());
            assert_eq!(map.readable(run.start, run.end - run.start), read, "partition {}: run {run:?}", p.id);
            end = run.end;
        }
        assert_eq!(end, p.memory_size, "partition {}: runs do not reach the end of its memory", p.id);
        let _ = map.areas().count();
    }
    let spec = ImageSpec::from_image(&image);
    let again = spec.to_bytes().expect("a parsed image re-serialises");
    let again = SystemImage::parse(&again).expect("re-serialised image parses");
    assert_eq!(ImageSpec::from_image(&again), spec);
}

fuzz_target!(|data: &[u8]| {
    exercise(data);
    if data.len() >= 20 {
        let mut fixed = data.to_vec();
        let total_len = u32::from_le_bytes([data[12], data[13], data[14], data[15]]) as usize;
        let end = if (20..=data.len()).contains(&total_len) { total_len } else { data.len() };
        fixed[12..16].copy_from_slice(&(end as u32).to_le_bytes());
        let crc = crc32(&fixed[20..end]);
        fixed[16..20].copy_from_slice(&crc.to_le_bytes());
        if fixed != data {
            exercise(&fixed);
        }
    }
});
