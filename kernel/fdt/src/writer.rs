//! A small FDT writer (feature `alloc`): version 17 blobs as `dtc` writes
//! them (header, memory reservation block, structure block, strings
//! block), for this crate's tests and the device trees the QEMU tests boot
//! with (`tools/xtask`). Never used by the kernel.
use alloc::vec::Vec;

/// Builds a blob: nodes and properties in order, then [`Writer::finish`].
#[derive(Default)]
pub struct Writer {
    structure: Vec<u8>,
    strings: Vec<u8>,
    reservations: Vec<(u64, u64)>,
}

impl Writer {
    pub fn new() -> Self {
        Writer::default()
    }

    /// An entry of the memory reservation block (`/memreserve/` in a .dts).
    pub fn reserve(&mut self, address: u64, size: u64) -> &mut Self {
        self.reservations.push((address, size));
        self
    }

    /// Opens a node (the root's name is empty).
    pub fn begin_node(&mut self, name: &str) -> &mut Self {
        self.structure.extend_from_slice(&1u32.to_be_bytes());
        self.structure.extend_from_slice(name.as_bytes());
        self.structure.push(0);
        self.pad();
        self
    }

    /// Closes the innermost open node.
    pub fn end_node(&mut self) -> &mut Self {
        self.structure.extend_from_slice(&2u32.to_be_bytes());
        self
    }

    /// A property with raw bytes.
    pub fn property(&mut self, name: &str, value: &[u8]) -> &mut Self {
        let nameoff = self.string(name);
        self.structure.extend_from_slice(&3u32.to_be_bytes());
        self.structure.extend_from_slice(&(value.len() as u32).to_be_bytes());
        self.structure.extend_from_slice(&nameoff.to_be_bytes());
        self.structure.extend_from_slice(value);
        self.pad();
        self
    }

    /// A property of big-endian 32-bit cells.
    pub fn cells(&mut self, name: &str, cells: &[u32]) -> &mut Self {
        let bytes: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
        self.property(name, &bytes)
    }

    /// A string property (NUL-terminated).
    pub fn string_property(&mut self, name: &str, value: &str) -> &mut Self {
        let mut bytes = Vec::from(value.as_bytes());
        bytes.push(0);
        self.property(name, &bytes)
    }

    /// A `reg` of (address, size) pairs in these cell counts.
    pub fn reg(&mut self, address_cells: u32, size_cells: u32, ranges: &[(u64, u64)]) -> &mut Self {
        let mut cells = Vec::new();
        for &(address, size) in ranges {
            for (value, n) in [(address, address_cells), (size, size_cells)] {
                for i in (0..n).rev() {
                    cells.push((value >> (32 * i)) as u32);
                }
            }
        }
        self.cells("reg", &cells)
    }

    /// The blob: header, reservations (terminated), structure (with
    /// `FDT_END`), strings.
    pub fn finish(&self) -> Vec<u8> {
        let reservations = 40usize;
        let structure = reservations + 16 * (self.reservations.len() + 1);
        let structure_len = self.structure.len() + 4;
        let strings = structure + structure_len;
        let total = strings + self.strings.len();
        let mut out = Vec::with_capacity(total);
        for word in [
            crate::MAGIC,
            total as u32,
            structure as u32,
            strings as u32,
            reservations as u32,
            17, // version
            16, // last compatible version
            0,  // boot CPU
            self.strings.len() as u32,
            structure_len as u32,
        ] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        for &(address, size) in self.reservations.iter().chain(core::iter::once(&(0, 0))) {
            out.extend_from_slice(&address.to_be_bytes());
            out.extend_from_slice(&size.to_be_bytes());
        }
        out.extend_from_slice(&self.structure);
        out.extend_from_slice(&9u32.to_be_bytes());
        out.extend_from_slice(&self.strings);
        out
    }

    fn pad(&mut self) {
        while !self.structure.len().is_multiple_of(4) {
            self.structure.push(0);
        }
    }

    /// Offset of `name` in the strings block, added once.
    fn string(&mut self, name: &str) -> u32 {
        let mut at = 0;
        while at < self.strings.len() {
            let end = at + self.strings[at..].iter().position(|&b| b == 0).unwrap_or(0);
            if &self.strings[at..end] == name.as_bytes() {
                return at as u32;
            }
            at = end + 1;
        }
        let offset = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        offset
    }
}
