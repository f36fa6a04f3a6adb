//! The device tree reader against blobs built here: one assembled by hand
//! byte by byte (so the reader is not only checked against this crate's own
//! writer), a Pi 4 firmware-like tree, QEMU's rewritten memory nodes, and
//! every refusal; then random corruption of a good blob, which must give a
//! value, never a panic.
use bulkhead_fdt::writer::Writer;
use bulkhead_fdt::{BoardMemory, Conflict, Fdt, FdtError, MAX_RESERVED, Name, Source, Span, Token, total_size};
use proptest::prelude::*;

fn name(s: &str) -> Name {
    Name::new(s.as_bytes())
}

fn map(blob: &[u8]) -> Result<BoardMemory, FdtError> {
    BoardMemory::from_device_tree(&Fdt::new(blob)?)
}

/// `/ { #address-cells = <1>; #size-cells = <1>; memory@0 { device_type =
/// "memory"; reg = <0 0x3b400000>; }; };` with `/memreserve/ 0 0x1000;`,
/// as `dtc` lays it out, written out by hand.
fn hand_assembled() -> Vec<u8> {
    let mut structure: Vec<u8> = Vec::new();
    let w = |v: &mut Vec<u8>, words: &[u32]| words.iter().for_each(|x| v.extend_from_slice(&x.to_be_bytes()));
    w(&mut structure, &[1, 0]); // FDT_BEGIN_NODE "" (padded)
    w(&mut structure, &[3, 4, 0, 1]); // #address-cells = <1> (name at 0)
    w(&mut structure, &[3, 4, 15, 1]); // #size-cells = <1> (name at 15)
    w(&mut structure, &[1]); // FDT_BEGIN_NODE "memory@0"
    structure.extend_from_slice(b"memory@0\0\0\0\0");
    w(&mut structure, &[3, 7, 27]); // device_type = "memory" (name at 27)
    structure.extend_from_slice(b"memory\0\0");
    w(&mut structure, &[3, 8, 39, 0, 0x3b40_0000]); // reg (name at 39)
    w(&mut structure, &[2, 2, 9]); // end memory@0, end root, FDT_END
    let strings = b"#address-cells\0#size-cells\0device_type\0reg\0";
    let reservations = 40;
    let structure_at = reservations + 32;
    let strings_at = structure_at + structure.len();
    let total = strings_at + strings.len();
    let mut blob = Vec::new();
    let header =
        [0xd00d_feed, total, structure_at, strings_at, reservations, 17, 16, 0, strings.len(), structure.len()];
    w(&mut blob, &header.map(|x| x as u32));
    w(&mut blob, &[0, 0, 0, 0x1000, 0, 0, 0, 0]); // /memreserve/ 0 0x1000; terminator
    blob.extend_from_slice(&structure);
    blob.extend_from_slice(strings);
    assert_eq!(blob.len(), total);
    blob
}

#[test]
fn reads_a_hand_assembled_blob() {
    let blob = hand_assembled();
    assert_eq!(total_size(&blob), Ok(blob.len()));
    let fdt = Fdt::new(&blob).unwrap();
    let tokens: Vec<Token> = fdt.tokens().map(Result::unwrap).collect();
    assert_eq!(tokens.len(), 8);
    assert_eq!(tokens[3], Token::Begin(b"memory@0"));
    assert_eq!(tokens[4], Token::Prop { name: b"device_type", value: b"memory\0" });
    let m = BoardMemory::from_device_tree(&fdt).unwrap();
    assert_eq!(m.ram(), &[Span { start: 0, end: 0x3b40_0000, source: Source::Memory(name("memory@0")) }]);
    assert_eq!(m.reserved(), &[Span { start: 0, end: 0x1000, source: Source::ReservationBlock(0) }]);
}

#[test]
fn the_writer_writes_what_was_assembled_by_hand() {
    let mut w = Writer::new();
    w.reserve(0, 0x1000).begin_node("").cells("#address-cells", &[1]).cells("#size-cells", &[1]);
    w.begin_node("memory@0").string_property("device_type", "memory").reg(1, 1, &[(0, 0x3b40_0000)]);
    w.end_node().end_node();
    assert_eq!(w.finish(), hand_assembled());
}

/// A tree shaped like the Pi 4 firmware's for a 4 GiB board (root cells
/// 2 and 1; `/reserved-memory` with a CMA pool given by size only, a
/// disabled `nvram`, and a reserved `reg`; the spin-table page reserved).
fn rpi4_4g_like() -> Vec<u8> {
    let mut w = Writer::new();
    w.reserve(0, 0x1000);
    w.begin_node("").cells("#address-cells", &[2]).cells("#size-cells", &[1]);
    w.string_property("compatible", "raspberrypi,4-model-b");
    w.begin_node("chosen").string_property("bootargs", "console=serial0").end_node();
    w.begin_node("reserved-memory").cells("#address-cells", &[2]).cells("#size-cells", &[1]).property("ranges", &[]);
    w.begin_node("linux,cma").string_property("compatible", "shared-dma-pool").cells("size", &[0x400_0000]).end_node();
    w.begin_node("nvram@0").reg(2, 1, &[(0, 0)]).string_property("status", "disabled").end_node();
    w.begin_node("blconfig@3b3f0000").reg(2, 1, &[(0x3b3f_0000, 0x1000)]).string_property("status", "okay");
    w.end_node();
    w.begin_node("disabled@30000000").reg(2, 1, &[(0x3000_0000, 0x1000)]).string_property("status", "disabled");
    w.end_node();
    w.end_node();
    w.begin_node("soc").cells("#address-cells", &[1]).begin_node("deeper").begin_node("deepest");
    w.reg(1, 1, &[(0xfe00_0000, 0x100)]).end_node().end_node().end_node();
    w.begin_node("memory@0").string_property("device_type", "memory");
    w.reg(2, 1, &[(0, 0x3b40_0000), (0x4000_0000, 0xbc00_0000)]).end_node();
    w.end_node();
    w.finish()
}

#[test]
fn reads_a_pi4_firmware_like_tree() {
    let m = map(&rpi4_4g_like()).unwrap();
    let mem = Source::Memory(name("memory@0"));
    assert_eq!(
        m.ram(),
        &[Span { start: 0, end: 0x3b40_0000, source: mem }, Span { start: 0x4000_0000, end: 0xfc00_0000, source: mem }]
    );
    assert_eq!(
        m.reserved(),
        &[
            Span { start: 0x3b3f_0000, end: 0x3b3f_1000, source: Source::ReservedMemory(name("blconfig@3b3f0000")) },
            Span { start: 0, end: 0x1000, source: Source::ReservationBlock(0) },
        ]
    );
}

#[test]
fn names_both_ranges_of_a_conflict() {
    let m = map(&rpi4_4g_like()).unwrap();
    assert_eq!(m.check(0x2000_0000, 0x2040_0000), Ok(()));
    // Across the VideoCore hole: RAM ends at 0x3b400000.
    let e = m.check(0x3b00_0000, 0x3c00_0000).unwrap_err();
    assert_eq!(
        e.to_string(),
        "memory 0x3b000000..0x3c000000 runs past the end of RAM 0x0..0x3b400000 (device tree /memory@0)"
    );
    let e = m.check(0x3c00_0000, 0x3c20_0000).unwrap_err();
    assert_eq!(
        e.to_string(),
        "memory 0x3c000000..0x3c200000 is not in the board's RAM; the nearest RAM is 0x0..0x3b400000 (device tree /memory@0)"
    );
    let e = m.check(0x3b3e_0000, 0x3b40_0000).unwrap_err();
    assert_eq!(
        e.to_string(),
        "memory 0x3b3e0000..0x3b400000 overlaps reserved memory 0x3b3f0000..0x3b3f1000 (device tree /reserved-memory/blconfig@3b3f0000)"
    );
    assert!(matches!(m.check(0x800, 0x2000), Err(Conflict::Reserved { reserved: Span { start: 0, .. }, .. })));
    assert_eq!(
        m.check(0x800, 0x2000).unwrap_err().to_string(),
        "memory 0x800..0x2000 overlaps reserved memory 0x0..0x1000 (device tree memory reservation block, entry 0)"
    );
    // A disabled reserved node reserves nothing.
    assert_eq!(m.check(0x3000_0000, 0x3000_1000), Ok(()));
}

/// QEMU raspi4b replaces the memory nodes with its own, which may touch
/// or overlap: a range covered by their union is RAM.
#[test]
fn ram_is_the_union_of_the_memory_nodes() {
    let mut w = Writer::new();
    w.begin_node("").cells("#address-cells", &[1]).cells("#size-cells", &[1]);
    w.begin_node("memory@0").string_property("device_type", "memory").reg(1, 1, &[(0, 0x4000_0000)]).end_node();
    w.begin_node("memory@40000000").string_property("device_type", "memory");
    w.reg(1, 1, &[(0x3c00_0000, 0x4400_0000)]).end_node().end_node();
    let m = map(&w.finish()).unwrap();
    assert_eq!(m.check(0x3f00_0000, 0x4100_0000), Ok(()));
    assert_eq!(m.check(0x7f00_0000, 0x8000_0000), Ok(()));
    assert!(matches!(m.check(0x7f00_0000, 0x8000_1000), Err(Conflict::OutsideRam { runs_past: true, .. })));
}

#[test]
fn root_cells_default_to_two_and_one() {
    let mut w = Writer::new();
    w.begin_node("").begin_node("memory").string_property("device_type", "memory");
    w.reg(2, 1, &[(0x1_0000_0000, 0x1000)]).end_node().end_node();
    let m = map(&w.finish()).unwrap();
    assert_eq!(m.ram()[0].start, 0x1_0000_0000);
    assert_eq!(m.ram()[0].end, 0x1_0000_1000);
}

#[test]
fn a_node_without_device_type_memory_is_not_ram() {
    let mut w = Writer::new();
    w.begin_node("").cells("#address-cells", &[1]).cells("#size-cells", &[1]);
    w.begin_node("memory@0").reg(1, 1, &[(0, 0x1000_0000)]).end_node();
    w.begin_node("sram@0").string_property("device_type", "memory").reg(1, 1, &[(0, 0x1000)]);
    w.string_property("status", "disabled").end_node().end_node();
    assert_eq!(map(&w.finish()).unwrap_err(), FdtError::NoMemory);
}

#[test]
fn the_fallback_map_is_one_range() {
    let m = BoardMemory::fallback(0, 0x3b40_0000);
    assert_eq!(m.ram(), &[Span { start: 0, end: 0x3b40_0000, source: Source::Fallback }]);
    assert!(m.reserved().is_empty());
    assert_eq!(
        m.check(0x3a00_0000, 0x3c00_0000).unwrap_err().to_string(),
        "memory 0x3a000000..0x3c000000 runs past the end of RAM 0x0..0x3b400000 (fallback map)"
    );
}

#[test]
fn long_and_odd_names_print_safely() {
    let n = Name::new(b"a-very-long-node-name-that-goes-on-and-on@12345678");
    assert_eq!(n.to_string(), "a-very-long-node-name-that-goes-on-and-o...");
    assert_eq!(Name::new(b"bad\x1b[2Jname").to_string(), "bad?[2Jname");
}

fn set_word(blob: &mut [u8], at: usize, value: u32) {
    blob[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

#[test]
fn refuses_bad_headers() {
    let good = hand_assembled();
    assert_eq!(Fdt::new(&good[..39]).unwrap_err(), FdtError::Truncated { needed: 40, have: 39 });
    assert_eq!(
        Fdt::new(&good[..good.len() - 1]).unwrap_err(),
        FdtError::Truncated { needed: good.len(), have: good.len() - 1 }
    );
    let mut bad = good.clone();
    set_word(&mut bad, 0, 0x1234_5678);
    assert_eq!(Fdt::new(&bad).unwrap_err(), FdtError::BadMagic(0x1234_5678));
    assert_eq!(total_size(&bad).unwrap_err(), FdtError::BadMagic(0x1234_5678));
    let mut bad = good.clone();
    set_word(&mut bad, 4, 2 << 20);
    assert_eq!(total_size(&bad).unwrap_err(), FdtError::TotalSize(2 << 20));
    set_word(&mut bad, 4, 39);
    assert_eq!(Fdt::new(&bad).unwrap_err(), FdtError::TotalSize(39));
    let mut bad = good.clone();
    set_word(&mut bad, 20, 16);
    assert_eq!(Fdt::new(&bad).unwrap_err(), FdtError::Version { version: 16, last_compatible: 16 });
    let mut bad = good.clone();
    set_word(&mut bad, 16, 44); // reservations misaligned
    assert!(matches!(Fdt::new(&bad).unwrap_err(), FdtError::Block { block: "memory reservation", .. }));
    let mut bad = good.clone();
    set_word(&mut bad, 36, 0x1000); // structure past the end
    assert!(matches!(Fdt::new(&bad).unwrap_err(), FdtError::Block { block: "structure", .. }));
    let mut bad = good.clone();
    set_word(&mut bad, 12, 8); // strings inside the header
    assert!(matches!(Fdt::new(&bad).unwrap_err(), FdtError::Block { block: "strings", .. }));
}

#[test]
fn refuses_bad_structure() {
    let good = hand_assembled();
    let structure = 72;
    let mut bad = good.clone();
    set_word(&mut bad, structure + 8, 7); // the first property's token
    assert_eq!(map(&bad).unwrap_err(), FdtError::Token { offset: 8, token: 7 });
    let mut bad = good.clone();
    set_word(&mut bad, structure + 16, 0x1000); // its name offset
    assert_eq!(map(&bad).unwrap_err(), FdtError::PropertyName { offset: 8, nameoff: 0x1000 });
    let mut bad = good.clone();
    set_word(&mut bad, structure + 12, 0xffff_fff0); // its length
    assert_eq!(map(&bad).unwrap_err(), FdtError::StructureTruncated { offset: 8 });
    let mut bad = good.clone();
    set_word(&mut bad, structure + 20, 3); // #address-cells = <3>
    assert_eq!(map(&bad).unwrap_err(), FdtError::Cells { node: "/", property: "#address-cells", value: 3 });
    // An END_NODE too many, and FDT_END inside the root.
    let mut w = Writer::new();
    w.begin_node("").end_node().end_node();
    assert!(matches!(map(&w.finish()).unwrap_err(), FdtError::Nesting { .. }));
    let mut w = Writer::new();
    w.begin_node("").begin_node("memory");
    assert!(matches!(map(&w.finish()).unwrap_err(), FdtError::Nesting { .. }));
    let mut w = Writer::new();
    w.begin_node("").end_node().begin_node("").end_node();
    assert!(matches!(map(&w.finish()).unwrap_err(), FdtError::Nesting { .. }));
    let mut w = Writer::new();
    w.cells("#address-cells", &[1]).begin_node("").end_node();
    assert!(matches!(map(&w.finish()).unwrap_err(), FdtError::Nesting { .. }));
    // A reg that is not whole pairs.
    let mut w = Writer::new();
    w.begin_node("").begin_node("memory@0").string_property("device_type", "memory").cells("reg", &[0, 0]);
    w.end_node().end_node();
    assert_eq!(map(&w.finish()).unwrap_err(), FdtError::RegLength { node: name("memory@0"), len: 8, pair: 12 });
    // The reservation block without its terminator.
    let mut bad = good.clone();
    set_word(&mut bad, 16, ((good.len() - 8) / 8 * 8) as u32);
    assert_eq!(map(&bad).unwrap_err(), FdtError::ReservationsUnterminated);
}

#[test]
fn refuses_more_ranges_than_it_holds() {
    let mut w = Writer::new();
    for i in 0..=MAX_RESERVED as u64 {
        w.reserve(i << 12, 0x1000);
    }
    w.begin_node("").begin_node("memory").string_property("device_type", "memory").reg(2, 1, &[(0, 1 << 30)]);
    w.end_node().end_node();
    assert_eq!(map(&w.finish()).unwrap_err(), FdtError::TooMany { what: "reserved", max: MAX_RESERVED });
}

proptest! {
    /// Any corruption of a good tree gives a map or an error, never a
    /// panic; a map's ranges are never empty.
    #[test]
    fn corrupted_blobs_never_panic(flips in prop::collection::vec((0usize..4096, any::<u8>()), 1..8), cut in 0usize..4096) {
        let mut blob = rpi4_4g_like();
        for (at, value) in flips {
            let n = blob.len();
            blob[at % n] = value;
        }
        let n = blob.len();
        let blob = &blob[..n - cut % n];
        if let Ok(m) = map(blob) {
            prop_assert!(m.ram().iter().chain(m.reserved()).all(|s| s.start < s.end));
            let _ = m.check(0x2000_0000, 0x2100_0000).map_err(|e| e.to_string());
        }
    }
}
