//! [`BoardMemory`]: the RAM and the reserved ranges a device tree
//! describes, kept in fixed arrays with the name of the node (or block
//! entry) each came from, so the kernel can still name them after the
//! blob's memory has been given to a partition.
//!
//! Rules (Devicetree Specification v0.4, 3.4 and 3.5; the same choices as
//! Linux's early FDT scan):
//! - RAM: every child of the root whose `device_type` is `"memory"` and
//!   whose `status` is absent, `"okay"` or `"ok"`; its `reg` read with the
//!   root's `#address-cells` and `#size-cells` (2 and 1 when absent).
//! - Reserved: every entry of the header's memory reservation block, and
//!   every child of `/reserved-memory` that is available (same `status`
//!   rule) and has a `reg`, read with `/reserved-memory`'s own cells (the
//!   root's when absent). Children with only a `size` (dynamic pools such
//!   as Linux's CMA) reserve nothing until an OS allocates them: this
//!   kernel allocates none, so they are ignored. `ranges` is taken as the
//!   identity (the specification requires it to be empty).
//! - Ranges of size 0 are ignored.
use crate::{Fdt, FdtError, MAX_DEPTH, Token};
use core::fmt;

/// RAM ranges a map holds.
pub const MAX_RAM: usize = 8;
/// Reserved ranges a map holds.
pub const MAX_RESERVED: usize = 32;
/// Bytes of a node name kept (longer ones are cut and marked).
pub const NAME_MAX: usize = 40;

/// A node's name as the map keeps it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    bytes: [u8; NAME_MAX],
    len: u8,
    cut: bool,
}

impl Name {
    pub const EMPTY: Name = Name { bytes: [0; NAME_MAX], len: 0, cut: false };

    pub fn new(name: &[u8]) -> Self {
        let mut n = Name::EMPTY;
        let len = name.len().min(NAME_MAX);
        n.bytes[..len].copy_from_slice(&name[..len]);
        n.len = len as u8;
        n.cut = name.len() > NAME_MAX;
        n
    }

    /// The kept bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl fmt::Display for Name {
    /// Printable ASCII as is, anything else as `?` (a name is firmware
    /// input, printed on the console).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.as_bytes() {
            let c = if (0x20..0x7f).contains(&b) { b as char } else { '?' };
            fmt::Write::write_char(f, c)?;
        }
        if self.cut { f.write_str("...") } else { Ok(()) }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Where a range of the map came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A child of the root (`/memory@0`).
    Memory(Name),
    /// A child of `/reserved-memory`.
    ReservedMemory(Name),
    /// Entry `n` of the header's memory reservation block.
    ReservationBlock(u16),
    /// Not from a device tree: the kernel's fallback map.
    Fallback,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Memory(name) => write!(f, "device tree /{name}"),
            Source::ReservedMemory(name) => write!(f, "device tree /reserved-memory/{name}"),
            Source::ReservationBlock(n) => write!(f, "device tree memory reservation block, entry {n}"),
            Source::Fallback => f.write_str("fallback map"),
        }
    }
}

/// A physical range `[start, end)` and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub end: u64,
    pub source: Source,
}

impl Span {
    const NONE: Span = Span { start: 0, end: 0, source: Source::Fallback };

    fn overlaps(&self, start: u64, end: u64) -> bool {
        start < self.end && self.start < end
    }
}

/// The board's memory: its RAM and what the firmware reserved in it.
#[derive(Clone, Copy, Debug)]
pub struct BoardMemory {
    ram: [Span; MAX_RAM],
    ram_len: usize,
    reserved: [Span; MAX_RESERVED],
    reserved_len: usize,
}

/// Why a range cannot be given to a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// Part of it is not RAM. `near` is the RAM range it runs past the end
    /// of (`runs_past`), or else the nearest one.
    OutsideRam { start: u64, end: u64, near: Option<Span>, runs_past: bool },
    /// It overlaps a reserved range.
    Reserved { start: u64, end: u64, reserved: Span },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Conflict::OutsideRam { start, end, near: Some(r), runs_past: true } => write!(
                f,
                "memory {start:#x}..{end:#x} runs past the end of RAM {:#x}..{:#x} ({})",
                r.start, r.end, r.source
            ),
            Conflict::OutsideRam { start, end, near: Some(r), runs_past: false } => write!(
                f,
                "memory {start:#x}..{end:#x} is not in the board's RAM; the nearest RAM is {:#x}..{:#x} ({})",
                r.start, r.end, r.source
            ),
            Conflict::OutsideRam { start, end, near: None, .. } => {
                write!(f, "memory {start:#x}..{end:#x} is not in the board's RAM: the map has none")
            }
            Conflict::Reserved { start, end, reserved: r } => write!(
                f,
                "memory {start:#x}..{end:#x} overlaps reserved memory {:#x}..{:#x} ({})",
                r.start, r.end, r.source
            ),
        }
    }
}

/// A node being read, at depth 1 (a child of the root) or 2 (a child of
/// `/reserved-memory`).
#[derive(Clone, Copy)]
struct Open<'a> {
    name: &'a [u8],
    memory: bool,
    available: bool,
    reg: Option<&'a [u8]>,
}

impl Open<'_> {
    const fn new(name: &[u8]) -> Open<'_> {
        Open { name, memory: false, available: true, reg: None }
    }
}

fn cells(value: &[u8], node: &'static str, property: &'static str, zero_ok: bool) -> Result<u32, FdtError> {
    let v = match value {
        [a, b, c, d] => u32::from_be_bytes([*a, *b, *c, *d]),
        _ => u32::MAX,
    };
    if v > 2 || (v == 0 && !zero_ok) {
        return Err(FdtError::Cells { node, property, value: v });
    }
    Ok(v)
}

fn string_is(value: &[u8], s: &[u8]) -> bool {
    value.strip_suffix(&[0]).unwrap_or(value) == s
}

fn available(status: &[u8]) -> bool {
    string_is(status, b"okay") || string_is(status, b"ok")
}

/// The (address, size) pairs of a `reg` with these cell counts.
fn reg_pairs(
    reg: &[u8],
    (address_cells, size_cells): (u32, u32),
    node: &[u8],
) -> Result<impl Iterator<Item = (u64, u64)>, FdtError> {
    let (a, s) = (address_cells as usize * 4, size_cells as usize * 4);
    let pair = a + s;
    if pair == 0 || !reg.len().is_multiple_of(pair) {
        return Err(FdtError::RegLength { node: Name::new(node), len: reg.len(), pair });
    }
    let number = |bytes: &[u8]| bytes.iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
    Ok(reg.chunks_exact(pair).map(move |c| (number(&c[..a]), number(&c[a..]))))
}

impl BoardMemory {
    /// A map of one RAM range and nothing reserved: the kernel's fallback
    /// when there is no device tree.
    pub const fn fallback(start: u64, end: u64) -> Self {
        let mut ram = [Span::NONE; MAX_RAM];
        ram[0] = Span { start, end, source: Source::Fallback };
        BoardMemory { ram, ram_len: 1, reserved: [Span::NONE; MAX_RESERVED], reserved_len: 0 }
    }

    /// RAM ranges, in the tree's order.
    pub fn ram(&self) -> &[Span] {
        &self.ram[..self.ram_len]
    }

    /// Reserved ranges: `/reserved-memory` children in the tree's order,
    /// then the memory reservation block.
    pub fn reserved(&self) -> &[Span] {
        &self.reserved[..self.reserved_len]
    }

    fn push_ram(&mut self, start: u64, size: u64, source: Source) -> Result<(), FdtError> {
        if size == 0 {
            return Ok(());
        }
        let slot = self.ram.get_mut(self.ram_len).ok_or(FdtError::TooMany { what: "RAM", max: MAX_RAM })?;
        *slot = Span { start, end: start.saturating_add(size), source };
        self.ram_len += 1;
        Ok(())
    }

    fn push_reserved(&mut self, start: u64, size: u64, source: Source) -> Result<(), FdtError> {
        if size == 0 {
            return Ok(());
        }
        let slot = self
            .reserved
            .get_mut(self.reserved_len)
            .ok_or(FdtError::TooMany { what: "reserved", max: MAX_RESERVED })?;
        *slot = Span { start, end: start.saturating_add(size), source };
        self.reserved_len += 1;
        Ok(())
    }

    /// Reads the memory map of a validated blob (rules in the module
    /// doc). The whole structure block is walked and checked, not only the
    /// nodes read: a tree that is malformed anywhere is refused.
    pub fn from_device_tree(fdt: &Fdt<'_>) -> Result<Self, FdtError> {
        let mut map = BoardMemory {
            ram: [Span::NONE; MAX_RAM],
            ram_len: 0,
            reserved: [Span::NONE; MAX_RESERVED],
            reserved_len: 0,
        };
        // Depth 0: outside the root; 1: in the root; 2: in a child of the
        // root; 3: in a child of /reserved-memory (when the depth-2 node is
        // /reserved-memory); deeper nodes are walked, not read.
        let mut depth = 0usize;
        let mut root_done = false;
        let mut root_cells = (2, 1);
        let mut reserved_cells = root_cells;
        let mut in_reserved = false;
        let mut child: Option<Open<'_>> = None;
        let mut grandchild: Option<Open<'_>> = None;
        let mut tokens = fdt.tokens();
        loop {
            let offset = tokens.offset();
            let Some(token) = tokens.next() else { break };
            match token? {
                Token::Begin(name) => {
                    if root_done || (depth == 0 && !name.is_empty()) || depth >= MAX_DEPTH {
                        return Err(FdtError::Nesting { offset });
                    }
                    depth += 1;
                    match depth {
                        2 => {
                            in_reserved = name == b"reserved-memory";
                            reserved_cells = root_cells;
                            child = Some(Open::new(name));
                        }
                        3 if in_reserved => grandchild = Some(Open::new(name)),
                        _ => {}
                    }
                }
                Token::Prop { name, value } => {
                    match depth {
                        0 => return Err(FdtError::Nesting { offset }),
                        1 if name == b"#address-cells" => {
                            root_cells.0 = cells(value, "/", "#address-cells", false)?;
                        }
                        1 if name == b"#size-cells" => root_cells.1 = cells(value, "/", "#size-cells", true)?,
                        2 if in_reserved && name == b"#address-cells" => {
                            reserved_cells.0 = cells(value, "/reserved-memory", "#address-cells", false)?;
                        }
                        2 if in_reserved && name == b"#size-cells" => {
                            reserved_cells.1 = cells(value, "/reserved-memory", "#size-cells", false)?;
                        }
                        _ => {}
                    }
                    let open = match depth {
                        2 => child.as_mut(),
                        3 if in_reserved => grandchild.as_mut(),
                        _ => None,
                    };
                    if let Some(open) = open {
                        match name {
                            b"device_type" => open.memory = string_is(value, b"memory"),
                            b"status" => open.available = available(value),
                            b"reg" => open.reg = Some(value),
                            _ => {}
                        }
                    }
                }
                Token::End => {
                    match depth {
                        0 => return Err(FdtError::Nesting { offset }),
                        1 => root_done = true,
                        2 => {
                            if let Some(Open { name, memory: true, available: true, reg: Some(reg) }) = child.take() {
                                for (start, size) in reg_pairs(reg, root_cells, name)? {
                                    map.push_ram(start, size, Source::Memory(Name::new(name)))?;
                                }
                            }
                            in_reserved = false;
                        }
                        3 if in_reserved => {
                            if let Some(Open { name, available: true, reg: Some(reg), .. }) = grandchild.take() {
                                for (start, size) in reg_pairs(reg, reserved_cells, name)? {
                                    map.push_reserved(start, size, Source::ReservedMemory(Name::new(name)))?;
                                }
                            }
                        }
                        _ => {}
                    }
                    depth -= 1;
                }
            }
        }
        if depth != 0 || !root_done {
            return Err(FdtError::Nesting { offset: tokens.offset() });
        }
        for (n, entry) in fdt.reservations().enumerate() {
            let (start, size) = entry?;
            map.push_reserved(start, size, Source::ReservationBlock(n.min(usize::from(u16::MAX)) as u16))?;
        }
        if map.ram_len == 0 {
            return Err(FdtError::NoMemory);
        }
        Ok(map)
    }

    /// Whether `[start, end)` is RAM of the board (covered by the union of
    /// its RAM ranges) and clear of every reserved range; the first
    /// conflict otherwise, naming the range it clashes with.
    pub fn check(&self, start: u64, end: u64) -> Result<(), Conflict> {
        let ram = self.ram();
        let mut at = start;
        while at < end {
            match ram.iter().filter(|r| r.start <= at && at < r.end).max_by_key(|r| r.end) {
                Some(r) => at = r.end,
                None => {
                    let runs_past = at > start;
                    let near = if runs_past {
                        ram.iter().find(|r| r.end == at).copied()
                    } else {
                        let below = ram.iter().filter(|r| r.end <= start).max_by_key(|r| r.end);
                        below.or_else(|| ram.iter().filter(|r| r.start > start).min_by_key(|r| r.start)).copied()
                    };
                    return Err(Conflict::OutsideRam { start, end, near, runs_past });
                }
            }
        }
        match self.reserved().iter().find(|r| r.overlaps(start, end)) {
            Some(&reserved) => Err(Conflict::Reserved { start, end, reserved }),
            None => Ok(()),
        }
    }
}
