//! A partition's memory as stage 2 maps it: what lies at each offset of its
//! memory (a segment of its image, a thread's stack, a stack's guard page,
//! its heap, free memory) and what the partition may do there.
//!
//! Where it sits: `kernel/image`, pure, shared by the kernel and the tool.
//! The kernel builds each partition's stage-2 table from [`MemoryMap::runs`],
//! gives each thread the stack top [`MemoryMap::stacks`] says, checks
//! hypercall pointers with [`MemoryMap::readable`] and names the place of a
//! stage-2 fault with [`MemoryMap::area_at`]; `bulkhead pack` refuses the
//! images whose map [`MemoryMap::validate`] refuses, with the same words the
//! kernel would print, and writes the map into its report
//! (docs/DESIGN.md#traps).
//!
//! Offsets from the start of the partition's memory (its IPA base):
//!
//! ```text
//! 0                              the segments, at their load offsets, with their ELF rights
//!                                (linker/partition.ld starts text, rodata and data on a page each)
//! ...                            free memory: read/write, never executable
//! g - h .. g                     the heap (h bytes, whole pages; none if 0): read/write, never executable
//! g = t1 - s1 - 4 KiB            (g: the bottom of the lowest guard page)
//! t1 - s1 - 4 KiB .. t1 - s1     thread 1's guard page: unmapped
//! t1 - s1 .. t1                  thread 1's stack, t1 = t0 - s0 - 4 KiB: read/write, never executable
//! t0 - s0 - 4 KiB .. t0 - s0     thread 0's guard page: unmapped
//! t0 - s0 .. t0                  thread 0's stack (s0 bytes), t0 = memory_size
//! ```
//!
//! Rights are decided a 4 KiB page at a time (stage 2's finest granule). A
//! page of a segment gets the segment's ELF flags; a page two segments
//! share gets the union of theirs, so a page holding both the end of the
//! text and the start of the data would be writable and executable. No
//! page may be both unless the partition allows it ([`Partition::write_execute`],
//! the description's `allow_write_execute`): [`MemoryMap::validate`]
//! refuses the image otherwise, naming the segments. Stacks and free memory
//! are read/write and never executable, whatever the partition allows; a
//! push past the bottom of a stack lands in its unmapped guard page and
//! faults, and so does a pop past the top of thread 0's (the end of the
//! partition's memory).
//!
//! The heap (format version 5, the description's `heap`) hangs just below
//! the stacks, so its place follows from the description alone (the tool
//! reports it without reading the image), a write running off its top
//! lands in the last thread's guard page and faults, and whatever grows
//! above the image (the image's own `.bss`) meets free memory first. The
//! kernel tells every thread where it is (`x6`, `x7`, bulkhead-abi "Thread
//! entry state"); the SDK's allocator (`bulkhead-sdk`, feature `alloc`)
//! manages it. To stage 2 it is memory like the free memory around it.
//!
//! Shared memory regions lie outside that memory, each at its own IPA
//! ([`MemoryMap::regions`]): read-only or read/write as the partition's
//! mapping says, never executable, backed by the region's own physical
//! memory. The parser has checked that none overlaps the partition's
//! memory or another region the partition maps.
//!
//! Nothing here needs an allocator: every question walks the partition's
//! segments and threads (a handful each), and a walk over the whole memory
//! moves from one boundary to the next, never a page at a time.

use core::fmt;
use core::ops::Range;

use crate::layout::PAGE_SIZE;
use crate::parse::SystemImage;
use crate::records::{MemoryRegion, Partition, RegionAccess, SegmentFlags, Thread};

/// Bytes of the unmapped guard page below every thread stack.
pub const STACK_GUARD_SIZE: u64 = PAGE_SIZE;

/// What a partition may do with a page of its memory: the stage-2 rights,
/// in [`SegmentFlags`] bits (R 1, W 2, X 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access(pub u32);

impl Access {
    /// Read/write, never executable: stacks and free memory.
    pub const READ_WRITE: Access = Access(SegmentFlags::READ | SegmentFlags::WRITE);
    /// Read-only, never executable.
    pub const READ_ONLY: Access = Access(SegmentFlags::READ);

    /// The stage-2 rights of a region mapped with `access`: never executable.
    pub const fn of_region(access: RegionAccess) -> Access {
        match access {
            RegionAccess::ReadOnly => Access::READ_ONLY,
            RegionAccess::ReadWrite => Access::READ_WRITE,
        }
    }

    /// The partition may load from it.
    pub const fn read(self) -> bool {
        self.0 & SegmentFlags::READ != 0
    }
    /// The partition may store to it.
    pub const fn write(self) -> bool {
        self.0 & SegmentFlags::WRITE != 0
    }
    /// The partition may fetch instructions from it.
    pub const fn execute(self) -> bool {
        self.0 & SegmentFlags::EXECUTE != 0
    }
}

/// `rwx`, with `-` for a right not given, as `ls` and `readelf` write them.
impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bit = |on: bool, c: char| if on { c } else { '-' };
        write!(f, "{}{}{}", bit(self.read(), 'r'), bit(self.write(), 'w'), bit(self.execute(), 'x'))
    }
}

/// What lies at an offset of a partition's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Segment `n` of the partition's image (its index among the
    /// partition's segments), or a page it shares with one.
    Segment(u32),
    /// The stack of the partition's thread `n` (its index within the
    /// partition, as the thread sees it in `x0`).
    Stack(u32),
    /// The guard page below the stack of the partition's thread `n`.
    Guard(u32),
    /// The partition's heap ([`MemoryMap::heap`]).
    Heap,
    /// Memory no segment, stack or heap uses.
    Free,
    /// Past the end of the partition's memory.
    Outside,
}

/// A stretch of memory with one [`Access`]: `None` is unmapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// First byte, an offset from the partition's memory base; page aligned.
    pub start: u64,
    /// One past the last byte; page aligned.
    pub end: u64,
    /// What the partition may do there; `None`: unmapped (a guard page).
    pub access: Option<Access>,
}

/// Why a partition's memory cannot be mapped as its image asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError<'a> {
    /// A stack that is not whole pages: its guard page would not be a page.
    StackNotWholePages {
        /// The thread.
        thread: &'a str,
        /// Its stack size, bytes.
        stack_size: u64,
    },
    /// The stacks and their guard pages do not fit above the image.
    StacksDoNotFit {
        /// End of the image's last segment, rounded up to a page.
        image_end: u64,
        /// Bytes of all stacks and their guard pages.
        stacks: u64,
        /// Bytes of the partition's memory.
        memory_size: u64,
    },
    /// The image and the stacks fit, but not with the heap as well.
    HeapDoesNotFit {
        /// End of the image's last segment, rounded up to a page.
        image_end: u64,
        /// Bytes of the heap.
        heap_size: u64,
        /// Bytes of all stacks and their guard pages.
        stacks: u64,
        /// Bytes of the partition's memory.
        memory_size: u64,
    },
    /// A page would be writable and executable, and the partition does not
    /// allow it.
    WriteExecute {
        /// The page, as an IPA.
        page_ipa: u64,
        /// A segment that makes it writable (index within the partition).
        writable: u32,
        /// A segment that makes it executable (the same one if it is both).
        executable: u32,
    },
}

impl fmt::Display for MapError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MapError::StackNotWholePages { thread, stack_size } => write!(
                f,
                "thread {thread}: stack size {stack_size:#x} is not a multiple of 4 KiB (every stack is whole pages above an unmapped guard page)"
            ),
            MapError::StacksDoNotFit { image_end, stacks, memory_size } => write!(
                f,
                "image ({image_end:#x} bytes) and thread stacks with their guard pages ({stacks:#x} bytes) need more than its {memory_size:#x} bytes of memory"
            ),
            MapError::HeapDoesNotFit { image_end, heap_size, stacks, memory_size } => write!(
                f,
                "image ({image_end:#x} bytes), heap ({heap_size:#x} bytes) and thread stacks with their guard pages ({stacks:#x} bytes) need more than its {memory_size:#x} bytes of memory"
            ),
            MapError::WriteExecute { page_ipa, writable, executable } if writable == executable => write!(
                f,
                "segment {writable} is writable and executable, and the partition does not allow write_execute (page at IPA {page_ipa:#x})"
            ),
            MapError::WriteExecute { page_ipa, writable, executable } => write!(
                f,
                "segments {executable} (executable) and {writable} (writable) share the page at IPA {page_ipa:#x}, which would be writable and executable; link with page-aligned segments (linker/partition.ld)"
            ),
        }
    }
}

/// Where a partition's heap lies, as offsets in its memory: the
/// `heap_size` bytes just below the lowest stack's guard page, the stacks
/// (`stack_sizes`, in thread order) being carved from the top of
/// `memory_size` as [`MemoryMap::stacks`] carves them. `None` for no heap
/// (size 0) or one that does not fit below the stacks. The tool calls it
/// with the description's sizes; [`MemoryMap::heap`] with the image's.
pub fn heap_range(memory_size: u64, stack_sizes: impl IntoIterator<Item = u64>, heap_size: u64) -> Option<Range<u64>> {
    if heap_size == 0 {
        return None;
    }
    let mut bottom = memory_size;
    for stack in stack_sizes {
        bottom = bottom.checked_sub(stack)?.checked_sub(STACK_GUARD_SIZE)?;
    }
    Some(bottom.checked_sub(heap_size)?..bottom)
}

/// One partition's memory map, read from a parsed image. Building one does
/// no work and checks nothing: call [`MemoryMap::validate`] once (the
/// kernel at boot, the tool before it writes an image); the other methods
/// answer for a valid map and give some answer, never a panic, for any.
#[derive(Clone, Copy, Debug)]
pub struct MemoryMap<'a> {
    image: SystemImage<'a>,
    partition: Partition<'a>,
}

const fn page_down(offset: u64) -> u64 {
    offset / PAGE_SIZE * PAGE_SIZE
}

fn page_up(offset: u64) -> u64 {
    offset.div_ceil(PAGE_SIZE).saturating_mul(PAGE_SIZE)
}

impl<'a> MemoryMap<'a> {
    /// The map of `partition`, or `None` if the image has no such partition.
    pub fn of(image: &SystemImage<'a>, partition: u32) -> Option<MemoryMap<'a>> {
        Some(MemoryMap { image: *image, partition: image.partition(partition)? })
    }

    /// The partition.
    pub fn partition(&self) -> &Partition<'a> {
        &self.partition
    }

    /// Bytes of the partition's memory.
    pub fn size(&self) -> u64 {
        self.partition.memory_size
    }

    /// Each thread of the partition, in declaration order, with its stack
    /// (offsets; its guard page is the page below). Sizes that wrap give
    /// empty stacks at 0 (a map that [`MemoryMap::validate`] refuses).
    pub fn stacks(&self) -> impl Iterator<Item = (Thread<'a>, Range<u64>)> + use<'a> {
        let mut top = Some(self.partition.memory_size);
        self.image.threads_of(self.partition.id).map(move |t| {
            let bottom = top.and_then(|top| top.checked_sub(t.stack_size));
            let stack = match (top, bottom) {
                (Some(top), Some(bottom)) => bottom..top,
                _ => 0..0,
            };
            top = bottom.and_then(|b| b.checked_sub(STACK_GUARD_SIZE));
            (t, stack)
        })
    }

    /// The partition's heap, as offsets ([`heap_range`]); `None` if it has
    /// none, or (in a map [`MemoryMap::validate`] refuses) it does not fit.
    pub fn heap(&self) -> Option<Range<u64>> {
        let stacks = self.image.threads_of(self.partition.id).map(|t| t.stack_size);
        heap_range(self.partition.memory_size, stacks, self.partition.heap_size)
    }

    /// End of the image's last segment, rounded up to a page (0 without
    /// segments).
    pub fn image_end(&self) -> u64 {
        self.partition.segments().map(|s| page_up(s.load_offset.saturating_add(s.mem_size))).max().unwrap_or(0)
    }

    /// Checks what the kernel needs before it maps the partition: stacks in
    /// whole pages, stacks and guard pages above the image and inside the
    /// memory, the heap between them, and no page writable and executable unless the partition
    /// allows it. The image must have passed [`SystemImage::parse`].
    pub fn validate(&self) -> Result<(), MapError<'a>> {
        let mut stacks = 0u64;
        for t in self.image.threads_of(self.partition.id) {
            if !t.stack_size.is_multiple_of(PAGE_SIZE) {
                return Err(MapError::StackNotWholePages { thread: t.name, stack_size: t.stack_size });
            }
            stacks = stacks.saturating_add(t.stack_size).saturating_add(STACK_GUARD_SIZE);
        }
        let image_end = self.image_end();
        let memory_size = self.partition.memory_size;
        if image_end.saturating_add(stacks) > memory_size {
            return Err(MapError::StacksDoNotFit { image_end, stacks, memory_size });
        }
        // The parser has checked that the heap is whole pages.
        let heap_size = self.partition.heap_size;
        if image_end.saturating_add(heap_size).saturating_add(stacks) > memory_size {
            return Err(MapError::HeapDoesNotFit { image_end, heap_size, stacks, memory_size });
        }
        if !self.partition.write_execute {
            for run in self.runs() {
                if run.access.is_some_and(|a| a.write() && a.execute()) {
                    let on_page = |bit: u32| {
                        self.segments_on(run.start).find(|(_, flags)| flags & bit != 0).map_or(0, |(i, _)| i)
                    };
                    let writable = on_page(SegmentFlags::WRITE);
                    let executable = self
                        .segments_on(run.start)
                        .find(|&(i, flags)| i == writable && flags & SegmentFlags::EXECUTE != 0)
                        .map_or_else(|| on_page(SegmentFlags::EXECUTE), |(i, _)| i);
                    return Err(MapError::WriteExecute {
                        page_ipa: self.partition.ipa_base.saturating_add(run.start),
                        writable,
                        executable,
                    });
                }
            }
        }
        Ok(())
    }

    /// The segments (index within the partition, flags) that have a byte
    /// on the page holding `offset`.
    fn segments_on(&self, offset: u64) -> impl Iterator<Item = (u32, u32)> + use<'a> {
        let page = page_down(offset);
        self.partition.segments().enumerate().filter_map(move |(i, s)| {
            let covers = page_down(s.load_offset) <= page && page < page_up(s.load_offset.saturating_add(s.mem_size));
            covers.then_some((i as u32, s.flags.0))
        })
    }

    /// What lies at `offset`. A stack or guard page wins over the heap, and
    /// the heap over a segment (a valid map has none of them on the same
    /// page); a page a segment shares
    /// names the segment that holds `offset`, else the first one on it.
    pub fn area_at(&self, offset: u64) -> Area {
        if offset >= self.partition.memory_size {
            return Area::Outside;
        }
        for (i, (_, stack)) in self.stacks().enumerate() {
            if stack.contains(&offset) {
                return Area::Stack(i as u32);
            }
            if stack.start >= STACK_GUARD_SIZE && (stack.start - STACK_GUARD_SIZE..stack.start).contains(&offset) {
                return Area::Guard(i as u32);
            }
        }
        if self.heap().is_some_and(|heap| heap.contains(&offset)) {
            return Area::Heap;
        }
        let holding = self
            .partition
            .segments()
            .position(|s| s.load_offset <= offset && offset - s.load_offset < s.mem_size)
            .map(|i| i as u32);
        match holding.or_else(|| self.segments_on(offset).next().map(|(i, _)| i)) {
            Some(i) => Area::Segment(i),
            None => Area::Free,
        }
    }

    /// What the partition may do at `offset`; `None` where nothing is
    /// mapped (a guard page, past the end).
    pub fn access_at(&self, offset: u64) -> Option<Access> {
        match self.area_at(offset) {
            Area::Outside | Area::Guard(_) => None,
            Area::Stack(_) | Area::Heap | Area::Free => Some(Access::READ_WRITE),
            Area::Segment(_) => Some(Access(self.segments_on(offset).fold(0, |all, (_, flags)| all | flags))),
        }
    }

    /// The first place after `offset` where the map may change: a page
    /// boundary of a segment, or the edge of a stack, guard page or the
    /// heap; the memory's end if none.
    fn next_boundary(&self, offset: u64) -> u64 {
        let size = self.partition.memory_size;
        let segment_edges = self.partition.segments().flat_map(|s| {
            let end = s.load_offset.saturating_add(s.mem_size);
            [page_down(s.load_offset), page_up(end)]
        });
        let stack_edges =
            self.stacks().flat_map(|(_, stack)| [stack.start.saturating_sub(STACK_GUARD_SIZE), stack.start, stack.end]);
        let heap_edges = self.heap().into_iter().flat_map(|heap| [heap.start, heap.end]);
        segment_edges
            .chain(stack_edges)
            .chain(heap_edges)
            .filter(|&edge| edge > offset && edge < size)
            .min()
            .unwrap_or(size)
    }

    /// The whole memory as maximal runs of one access, in address order:
    /// what stage 2 maps (`access: None`: left unmapped).
    pub fn runs(&self) -> Runs<'a> {
        Runs { map: *self, at: 0 }
    }

    /// The memory cut at every place the map may change, in address
    /// order, each piece with what lies at its start and its access: finer
    /// than [`MemoryMap::runs`], for a report that names what is where
    /// (consecutive pieces of the same area and access are joined).
    pub fn areas(&self) -> impl Iterator<Item = (Range<u64>, Area, Option<Access>)> + use<'a> {
        let map = *self;
        let mut at = 0;
        core::iter::from_fn(move || {
            let size = map.partition.memory_size;
            if at >= size {
                return None;
            }
            let start = at;
            let (area, access) = (map.area_at(start), map.access_at(start));
            let mut end = map.next_boundary(start);
            while end < size && map.area_at(end) == area && map.access_at(end) == access {
                end = map.next_boundary(end);
            }
            at = end;
            Some((start..end, area, access))
        })
    }

    /// The shared memory regions the partition maps, each with its access
    /// there, in region table order.
    pub fn regions(&self) -> impl Iterator<Item = (MemoryRegion<'a>, RegionAccess)> + use<'a> {
        self.image.regions_of(self.partition.id)
    }

    /// The region the partition maps at `ipa`, if any, with its access.
    pub fn region_at(&self, ipa: u64) -> Option<(MemoryRegion<'a>, RegionAccess)> {
        self.regions().find(|(r, _)| r.ipa_base <= ipa && ipa < r.ipa_end())
    }

    /// Whether the partition may read every byte of `[offset, offset + len)`
    /// (a hypercall's buffer): all inside its memory, none in a guard page
    /// or a page without read access. An empty range is readable if its
    /// start lies inside the memory or at its end.
    pub fn readable(&self, offset: u64, len: u64) -> bool {
        self.allows(offset, len, Access::read)
    }

    /// Whether the partition may write every byte of `[offset, offset +
    /// len)` (a buffer the kernel fills for it): as [`MemoryMap::readable`],
    /// with write access instead of read.
    pub fn writable(&self, offset: u64, len: u64) -> bool {
        self.allows(offset, len, Access::write)
    }

    /// Whether the partition may execute the instruction at `offset` (an
    /// entry point it gives the kernel): inside its memory, in a page with
    /// execute access.
    pub fn executable(&self, offset: u64) -> bool {
        offset.is_multiple_of(4) && self.allows(offset, 4, Access::execute)
    }

    fn allows(&self, offset: u64, len: u64, right: fn(Access) -> bool) -> bool {
        let Some(end) = offset.checked_add(len) else { return false };
        if end > self.partition.memory_size {
            return false;
        }
        let mut at = offset;
        while at < end {
            if !self.access_at(at).is_some_and(right) {
                return false;
            }
            at = self.next_boundary(at);
        }
        true
    }
}

/// The runs of a [`MemoryMap`] ([`MemoryMap::runs`]).
#[derive(Clone, Debug)]
pub struct Runs<'a> {
    map: MemoryMap<'a>,
    at: u64,
}

impl Iterator for Runs<'_> {
    type Item = Run;
    fn next(&mut self) -> Option<Run> {
        let size = self.map.partition.memory_size;
        if self.at >= size {
            return None;
        }
        let start = self.at;
        let access = self.map.access_at(start);
        let mut end = self.map.next_boundary(start);
        while end < size && self.map.access_at(end) == access {
            end = self.map.next_boundary(end);
        }
        self.at = end;
        Some(Run { start, end, access })
    }
}
