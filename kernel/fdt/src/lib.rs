//! The board's memory map from the firmware's flattened device tree (FDT),
//! as pure code: `#![no_std]`, no heap, no `unsafe`, every malformed input a
//! value ([`FdtError`]), host-tested and fuzzed with `cargo test`.
//!
//! Where it sits: the kernel (`kernel/src/dtb.rs`) hands this crate the
//! bytes at the address the firmware left in x0 at entry, before any
//! partition is loaded; [`BoardMemory`] is what it keeps of them: the RAM
//! ranges of `/memory` and the ranges the firmware reserved (the header's
//! memory reservation block and the `reg` of each `/reserved-memory`
//! child). The kernel then refuses a system image whose partitions or
//! shared regions fall outside that RAM or inside a reserved range
//! ([`BoardMemory::check`], docs/DESIGN.md#boot).
//!
//! It follows the Devicetree Specification v0.4, chapter 5 (the flattened
//! format: header, memory reservation block, structure block of
//! `FDT_BEGIN_NODE` / `FDT_PROP` / `FDT_END_NODE` tokens, strings block)
//! and 3.4 / 3.5 (`/memory`, `/reserved-memory`). It reads only what the
//! memory map needs and is strict about what it reads: a blob it cannot
//! read whole is refused, and the kernel then uses its documented
//! fallback map, never half a tree.
//!
//! Why not a crate: `fdt` 0.1.5 and its fork `flat_device_tree` are
//! MPL-2.0 (this workspace is MIT OR Apache-2.0) and `fdt`'s `memory()`
//! panics on a tree without a memory node; `fdt-rs` 0.4 builds its tree
//! handle in an `unsafe fn`. The few hundred lines here need no `unsafe`
//! and return every error.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod memory;
#[cfg(feature = "alloc")]
pub mod writer;

pub use memory::{BoardMemory, Conflict, MAX_RAM, MAX_RESERVED, NAME_MAX, Name, Source, Span};

use core::fmt;

/// `magic` of the header, big-endian at offset 0.
pub const MAGIC: u32 = 0xd00d_feed;
/// Bytes of the header (version 17).
pub const HEADER_LEN: usize = 40;
/// The largest blob accepted. A Pi 4's firmware tree is about 55 KiB and
/// QEMU adds a little room to the one it is given; anything near this is
/// not a device tree this kernel should trust.
pub const MAX_TOTAL_SIZE: usize = 1 << 20;
/// Deepest node nesting followed.
pub const MAX_DEPTH: usize = 32;

const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;

/// Why a blob is not a device tree this crate can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdtError {
    /// Fewer bytes than the header, or than its `totalsize`.
    Truncated { needed: usize, have: usize },
    /// No `0xd00dfeed` at offset 0.
    BadMagic(u32),
    /// `totalsize` smaller than the header or above [`MAX_TOTAL_SIZE`].
    TotalSize(u32),
    /// Not a version-17 compatible blob.
    Version { version: u32, last_compatible: u32 },
    /// A block (`structure`, `strings`, `memory reservation`) outside
    /// `totalsize` or misaligned.
    Block { block: &'static str, offset: u32, size: u32 },
    /// The memory reservation block has no terminating (0, 0) entry.
    ReservationsUnterminated,
    /// An unknown token in the structure block, at this offset in it.
    Token { offset: usize, token: u32 },
    /// The structure block ends inside a token, a name or a value, or
    /// without `FDT_END`.
    StructureTruncated { offset: usize },
    /// A property's name offset is outside the strings block, or the name
    /// is not terminated there.
    PropertyName { offset: usize, nameoff: u32 },
    /// Nodes not properly nested: an `FDT_END_NODE` without its node,
    /// `FDT_END` inside a node, a second root, properties outside any
    /// node, or more than [`MAX_DEPTH`] levels.
    Nesting { offset: usize },
    /// `#address-cells` or `#size-cells` this reader cannot use (it takes 1
    /// or 2, and 0 address cells or 0 size cells for memory never).
    Cells { node: &'static str, property: &'static str, value: u32 },
    /// A `reg` whose length is not a whole number of (address, size) pairs.
    RegLength { node: Name, len: usize, pair: usize },
    /// More ranges of a kind than the map holds.
    TooMany { what: &'static str, max: usize },
    /// No RAM at all: no `/memory` node with a non-empty `reg`.
    NoMemory,
}

impl fmt::Display for FdtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FdtError::Truncated { needed, have } => write!(f, "{have} bytes, the header asks for {needed}"),
            FdtError::BadMagic(m) => write!(f, "magic {m:#010x}, not {MAGIC:#010x}"),
            FdtError::TotalSize(t) => {
                write!(f, "totalsize {t} bytes, outside {HEADER_LEN}..={MAX_TOTAL_SIZE}")
            }
            FdtError::Version { version, last_compatible } => {
                write!(f, "version {version} (last compatible {last_compatible}); this reader takes version 17 blobs")
            }
            FdtError::Block { block, offset, size } => {
                write!(f, "{block} block at offset {offset:#x} ({size} bytes) is misaligned or outside the blob")
            }
            FdtError::ReservationsUnterminated => {
                f.write_str("memory reservation block has no terminating (0, 0) entry")
            }
            FdtError::Token { offset, token } => {
                write!(f, "unknown token {token:#x} at structure offset {offset:#x}")
            }
            FdtError::StructureTruncated { offset } => {
                write!(f, "structure block ends inside a token at offset {offset:#x}, or without FDT_END")
            }
            FdtError::PropertyName { offset, nameoff } => {
                write!(f, "property at structure offset {offset:#x} has name offset {nameoff:#x} outside the strings")
            }
            FdtError::Nesting { offset } => write!(f, "nodes badly nested at structure offset {offset:#x}"),
            FdtError::Cells { node, property, value } => write!(f, "{node} {property} = {value}: takes 1 or 2"),
            FdtError::RegLength { node, len, pair } => {
                write!(f, "{node}: reg of {len} bytes is not a whole number of {pair}-byte (address, size) pairs")
            }
            FdtError::TooMany { what, max } => write!(f, "more than {max} {what} ranges"),
            FdtError::NoMemory => f.write_str("no /memory node with RAM in its reg"),
        }
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(be32(bytes, at)?) << 32 | u64::from(be32(bytes, at + 4)?))
}

/// The blob's `totalsize` from its first 8 bytes, checked: the magic and a
/// size in `HEADER_LEN..=MAX_TOTAL_SIZE`. The kernel reads this much
/// before it looks at the rest.
pub fn total_size(header: &[u8]) -> Result<usize, FdtError> {
    let magic = be32(header, 0).ok_or(FdtError::Truncated { needed: 8, have: header.len() })?;
    if magic != MAGIC {
        return Err(FdtError::BadMagic(magic));
    }
    let total = be32(header, 4).ok_or(FdtError::Truncated { needed: 8, have: header.len() })?;
    if (total as usize) < HEADER_LEN || total as usize > MAX_TOTAL_SIZE {
        return Err(FdtError::TotalSize(total));
    }
    Ok(total as usize)
}

/// A validated blob: header checked, blocks inside it.
#[derive(Clone, Copy, Debug)]
pub struct Fdt<'a> {
    blob: &'a [u8],
    structure: &'a [u8],
    strings: &'a [u8],
    reservations: usize,
}

/// One token of the structure block (NOPs skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A node begins; its name (unit address included, empty for the root).
    Begin(&'a [u8]),
    /// The innermost open node ends.
    End,
    /// A property of the innermost open node.
    Prop { name: &'a [u8], value: &'a [u8] },
}

impl<'a> Fdt<'a> {
    /// Checks the header: magic, `totalsize` within `bytes` and
    /// [`MAX_TOTAL_SIZE`], version 17, and every block inside the blob and
    /// aligned. Bytes after `totalsize` are ignored.
    pub fn new(bytes: &'a [u8]) -> Result<Self, FdtError> {
        if bytes.len() < HEADER_LEN {
            return Err(FdtError::Truncated { needed: HEADER_LEN, have: bytes.len() });
        }
        let total = total_size(bytes)?;
        if total > bytes.len() {
            return Err(FdtError::Truncated { needed: total, have: bytes.len() });
        }
        let blob = &bytes[..total];
        let word = |at| be32(blob, at).unwrap_or(0);
        let (version, last_compatible) = (word(20), word(24));
        if version < 17 || last_compatible > 17 {
            return Err(FdtError::Version { version, last_compatible });
        }
        let block = |block: &'static str, offset: u32, size: u32, align: u32| {
            let end = u64::from(offset) + u64::from(size);
            if (offset as usize) < HEADER_LEN || end > total as u64 || !offset.is_multiple_of(align) {
                Err(FdtError::Block { block, offset, size })
            } else {
                Ok(&blob[offset as usize..end as usize])
            }
        };
        let structure = block("structure", word(8), word(36), 4)?;
        let strings = block("strings", word(12), word(32), 1)?;
        let reservations = word(16);
        block("memory reservation", reservations, 0, 8)?;
        Ok(Fdt { blob, structure, strings, reservations: reservations as usize })
    }

    /// The blob's bytes (`totalsize` of them).
    pub fn bytes(&self) -> &'a [u8] {
        self.blob
    }

    /// The memory reservation block's entries, (address, size), up to the
    /// terminating (0, 0); an error if the blob ends first.
    pub fn reservations(&self) -> impl Iterator<Item = Result<(u64, u64), FdtError>> + 'a {
        let blob = self.blob;
        let mut at = Some(self.reservations);
        core::iter::from_fn(move || {
            let here = at?;
            match (be64(blob, here), be64(blob, here + 8)) {
                (Some(0), Some(0)) => {
                    at = None;
                    None
                }
                (Some(address), Some(size)) => {
                    at = Some(here + 16);
                    Some(Ok((address, size)))
                }
                _ => {
                    at = None;
                    Some(Err(FdtError::ReservationsUnterminated))
                }
            }
        })
    }

    /// The structure block's tokens in order, NOPs skipped, ending at
    /// `FDT_END`; an error ends the walk.
    pub fn tokens(&self) -> Tokens<'a> {
        Tokens { structure: self.structure, strings: self.strings, at: 0, done: false }
    }
}

/// Iterator over a structure block ([`Fdt::tokens`]).
pub struct Tokens<'a> {
    structure: &'a [u8],
    strings: &'a [u8],
    at: usize,
    done: bool,
}

impl<'a> Tokens<'a> {
    /// Offset of the next token in the structure block.
    pub fn offset(&self) -> usize {
        self.at
    }

    fn step(&mut self) -> Result<Option<Token<'a>>, FdtError> {
        let s = self.structure;
        loop {
            let offset = self.at;
            let token = be32(s, offset).ok_or(FdtError::StructureTruncated { offset })?;
            match token {
                FDT_BEGIN_NODE => {
                    let start = offset + 4;
                    let rest = s.get(start..).ok_or(FdtError::StructureTruncated { offset })?;
                    let len = rest.iter().position(|&b| b == 0).ok_or(FdtError::StructureTruncated { offset })?;
                    self.at = (start + len + 1).next_multiple_of(4);
                    return Ok(Some(Token::Begin(&rest[..len])));
                }
                FDT_END_NODE => {
                    self.at = offset + 4;
                    return Ok(Some(Token::End));
                }
                FDT_PROP => {
                    let (len, nameoff) = match (be32(s, offset + 4), be32(s, offset + 8)) {
                        (Some(l), Some(n)) => (l as usize, n),
                        _ => return Err(FdtError::StructureTruncated { offset }),
                    };
                    let start = offset + 12;
                    let value = start
                        .checked_add(len)
                        .and_then(|end| s.get(start..end))
                        .ok_or(FdtError::StructureTruncated { offset })?;
                    let name = self
                        .strings
                        .get(nameoff as usize..)
                        .and_then(|rest| rest.iter().position(|&b| b == 0).map(|n| &rest[..n]))
                        .ok_or(FdtError::PropertyName { offset, nameoff })?;
                    self.at = (start + len).next_multiple_of(4);
                    return Ok(Some(Token::Prop { name, value }));
                }
                FDT_NOP => self.at = offset + 4,
                FDT_END => return Ok(None),
                token => return Err(FdtError::Token { offset, token }),
            }
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Result<Token<'a>, FdtError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let step = self.step();
        if !matches!(step, Ok(Some(_))) {
            self.done = true;
        }
        step.transpose()
    }
}
