//! The device trees the QEMU tests boot with (`qemu-system-aarch64 -dtb`),
//! written by `bulkhead-fdt`'s writer into `target/images/`: the same
//! bytes on every run and every machine, no `dtc` needed.
//!
//! They are shaped like the Pi 4 firmware's (root `#address-cells` 2 and
//! `#size-cells` 1, which QEMU requires to add its memory nodes; a
//! `/reserved-memory` with a CMA pool given by size only and a firmware
//! page with a `reg`; the spin-table page in the memory reservation
//! block). QEMU 10's raspi4b loads the tree at 0x800_0000, replaces every
//! `/memory` node with its own `/memory@0` (RAM 0..0x3C00_0000: its first
//! GiB less the VideoCore's 64 MiB), keeps the rest, and passes the tree's
//! address in x0.
use bulkhead_fdt::writer::Writer;
use std::path::{Path, PathBuf};

/// A firmware page the sane tree reserves, far from every partition: the
/// boot report must list it.
pub const FIRMWARE_PAGE: (u64, u64) = (0x3b3f_0000, 0x1000);
/// What the refusal tree reserves: the first 16 MiB of the partition RAM,
/// where the demo's first partition (`hello`) lies.
pub const UNDER_HELLO: (u64, u64) = (0x2000_0000, 0x100_0000);

fn tree(extra_reserved: Option<(&str, (u64, u64))>) -> Vec<u8> {
    let mut w = Writer::new();
    w.reserve(0, 0x1000);
    w.begin_node("").cells("#address-cells", &[2]).cells("#size-cells", &[1]);
    w.string_property("model", "Raspberry Pi 4 Model B (Bulkhead QEMU test tree)");
    w.property("compatible", b"raspberrypi,4-model-b\0brcm,bcm2711\0");
    w.begin_node("chosen").end_node();
    w.begin_node("memory@0").string_property("device_type", "memory").reg(2, 1, &[(0, 0x3b40_0000)]).end_node();
    w.begin_node("reserved-memory").cells("#address-cells", &[2]).cells("#size-cells", &[1]).property("ranges", &[]);
    w.begin_node("linux,cma").string_property("compatible", "shared-dma-pool").cells("size", &[0x400_0000]);
    w.property("reusable", &[]).end_node();
    w.begin_node("blconfig@3b3f0000").reg(2, 1, &[FIRMWARE_PAGE]).property("no-map", &[]).end_node();
    if let Some((name, range)) = extra_reserved {
        w.begin_node(name).reg(2, 1, &[range]).property("no-map", &[]).end_node();
    }
    w.end_node();
    w.end_node();
    w.finish()
}

/// Writes `DIR/rpi4-sane.dtb` and `DIR/rpi4-reserved-hello.dtb`.
pub fn write_test_trees(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, bytes) in
        [("rpi4-sane", tree(None)), ("rpi4-reserved-hello", tree(Some(("firmware@20000000", UNDER_HELLO))))]
    {
        let path = path(dir, name);
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Where [`write_test_trees`] puts the tree `name`.
pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.dtb"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_fdt::{BoardMemory, Fdt, Source};

    #[test]
    fn the_test_trees_read_back() {
        let sane = tree(None);
        let map = BoardMemory::from_device_tree(&Fdt::new(&sane).unwrap()).unwrap();
        assert_eq!(map.ram().len(), 1);
        assert_eq!(map.reserved().len(), 2);
        let refused = tree(Some(("firmware@20000000", UNDER_HELLO)));
        let map = BoardMemory::from_device_tree(&Fdt::new(&refused).unwrap()).unwrap();
        let e = map.check(0x2000_0000, 0x2040_0000).unwrap_err();
        assert_eq!(
            e.to_string(),
            "memory 0x20000000..0x20400000 overlaps reserved memory 0x20000000..0x21000000 \
             (device tree /reserved-memory/firmware@20000000)"
        );
        assert!(matches!(map.reserved()[1].source, Source::ReservedMemory(_)));
        assert_eq!(tree(None), sane, "the same bytes every time");
    }
}
