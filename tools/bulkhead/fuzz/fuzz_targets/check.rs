//! libFuzzer target: any bytes, read as UTF-8, go through what `bulkhead
//! check`, `show` and `pack` do with a description, minus reading the
//! partition ELF files (the only file the checker's callers read besides
//! the description). Bytes that are not UTF-8 stop where `check` would
//! never see them (`main.rs` reads the file with `read_to_string`).
//!
//! Findings: a panic anywhere, and these broken promises about a
//! description `check` accepts (no error):
//! - no `internal:` diagnostic (the checker's own "the image parser would
//!   reject this" net) and every diagnostic's span inside the source;
//! - `show` renders it: the text and every schedule's SVG (they rebuild the
//!   kernel's plan, which `check` already built once);
//! - `pack` without ELF files: each partition given a stand-in image (one
//!   page of read-execute code at the bottom of its memory, entry point
//!   there) serialises, the kernel's parser accepts it, and it parses back
//!   to the same contents. The memory maps of the stand-ins are built and
//!   walked but may be refused (a partition whose stacks fill its memory
//!   has no room for the page: `pack` reports that, as it should).
#![no_main]

use bulkhead::check::{Checked, check};
use bulkhead::show::{memory_map, render_svg, render_text};
use bulkhead_image::{ImageSpec, MemoryMap, PAGE_SIZE, SegmentFlags, SegmentSpec, SystemImage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    let Checked { system, diags } = check(source);
    let _ = diags.render("fuzz.toml", source);
    for d in diags.sorted() {
        assert!(
            d.span.start <= d.span.end && d.span.end <= source.len(),
            "span {:?} outside the {}-byte source: {}",
            d.span,
            source.len(),
            d.message
        );
        for (span, note) in &d.notes {
            assert!(span.start <= span.end && span.end <= source.len(), "note span {span:?}: {note}");
        }
        assert!(!d.message.starts_with("internal:"), "{}", d.message);
    }
    let Some(mut sys) = system else { return };

    render_text(&sys).expect("show renders a checked system");
    for index in 0..sys.spec.schedules.len() {
        render_svg(&sys, index).expect("show --svg draws every schedule of a checked system");
    }

    for p in &mut sys.spec.partitions {
        p.segments = vec![SegmentSpec {
            load_offset: 0,
            mem_size: PAGE_SIZE,
            flags: SegmentFlags::READ | SegmentFlags::EXECUTE,
            data: vec![0x1f, 0x20, 0x03, 0xd5], // nop
        }];
        p.entry_ipa = p.ipa_base;
    }
    let _ = memory_map(&sys);
    let bytes = sys.spec.to_bytes().expect("a checked system with stand-in images serialises");
    let image = SystemImage::parse(&bytes).expect("the kernel's parser accepts a checked system");
    assert_eq!(ImageSpec::from_image(&image), sys.spec, "the image parses back to what was written");
    for p in image.partitions() {
        let map = MemoryMap::of(&image, p.id).expect("partition ids are dense");
        let _ = map.validate();
        let _ = map.areas().count();
    }
});
