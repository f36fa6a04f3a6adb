//! Shared memory regions: [`memory_region`] asks the kernel where a region
//! the partition maps lies (`MemoryRegion`, `0xC600_0030`), and [`Region`]
//! reads and writes it with volatile accesses.
//!
//! A region is memory other partitions map too (the system description's
//! `[[memory_region]]`), at the same IPA in each, read-only or read/write,
//! never executable. Only one partition owns the module during a window,
//! but the threads of the owner run in parallel, and between two of its
//! windows another partition may have written the region: so the SDK never
//! hands out a Rust reference into it (whose bytes the compiler may assume
//! do not change), only copies made with volatile loads and stores. How
//! writers and readers agree on what the bytes mean (a sequence number, a
//! checksum) is theirs to settle: the kernel guarantees the mapping only.
//!
//! Addresses are IPAs used as they are: the SDK runs with stage-1
//! translation off (the ABI's thread entry state), so an IPA is the address
//! a load uses.

use bulkhead_abi::{Call, MAX_REGION_NAME, RegionAccess, Status};

use crate::call::{check, hvc};

/// A shared memory region the partition maps, as the kernel reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    base: u64,
    size: u64,
    access: RegionAccess,
}

/// `MemoryRegion` (`0xC600_0030`): the region named `name` (its
/// `[[memory_region]]` name), if this partition maps it. A name of no
/// region, or of one the partition does not list, is `InvalidParameter`,
/// and so is an empty name or one longer than [`MAX_REGION_NAME`] bytes.
pub fn memory_region(name: &str) -> Result<Region, Status> {
    if name.is_empty() || name.len() > MAX_REGION_NAME {
        return Err(Status::InvalidParameter);
    }
    // SAFETY: MemoryRegion only reads `[ptr, ptr + len)`, which is `name`,
    // a live borrowed string of our own memory.
    let [x0, x1, x2, x3] =
        unsafe { hvc(Call::MemoryRegion.id(), [name.as_ptr() as u64, name.len() as u64, 0, 0, 0, 0]) };
    check(x0)?;
    let access = RegionAccess::from_raw(x3).ok_or(Status::NotSupported)?;
    Ok(Region { base: x1, size: x2, access })
}

impl Region {
    /// Its IPA: the address its first byte is at.
    pub const fn base(&self) -> u64 {
        self.base
    }

    /// Its size in bytes (whole 4 KiB pages).
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// Read-only or read/write, for this partition.
    pub const fn access(&self) -> RegionAccess {
        self.access
    }

    /// Whether this partition may store to it.
    pub const fn writable(&self) -> bool {
        matches!(self.access, RegionAccess::ReadWrite)
    }

    /// The address of `len` bytes at `offset`, if they lie inside the region.
    fn at(&self, offset: u64, len: u64) -> Result<u64, Status> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(self.base + offset),
            _ => Err(Status::InvalidParameter),
        }
    }

    /// The 64-bit word at byte `offset` (a multiple of 8), read once.
    /// Outside the region or unaligned: `InvalidParameter`.
    pub fn read_u64(&self, offset: u64) -> Result<u64, Status> {
        if !offset.is_multiple_of(8) {
            return Err(Status::InvalidParameter);
        }
        let addr = self.at(offset, 8)?;
        // SAFETY: the kernel mapped `[base, base + size)` readable for this
        // partition for its whole life; `addr..addr + 8` lies inside it,
        // 8-byte aligned, and a volatile load of memory another partition
        // may write between our windows is sound.
        Ok(unsafe { (addr as *const u64).read_volatile() })
    }

    /// Stores `value` at byte `offset` (a multiple of 8). A read-only
    /// region is `Denied` (the store is not made: it would be a stage-2
    /// fault); outside the region or unaligned, `InvalidParameter`.
    pub fn write_u64(&self, offset: u64, value: u64) -> Result<(), Status> {
        if !self.writable() {
            return Err(Status::Denied);
        }
        if !offset.is_multiple_of(8) {
            return Err(Status::InvalidParameter);
        }
        let addr = self.at(offset, 8)?;
        // SAFETY: the kernel mapped `[base, base + size)` read/write for
        // this partition (checked above); `addr..addr + 8` lies inside it,
        // aligned, and is no Rust object of ours.
        unsafe { (addr as *mut u64).write_volatile(value) };
        Ok(())
    }

    /// Copies `out.len()` bytes from byte `offset` into `out`, each read
    /// once. Outside the region: `InvalidParameter`, nothing read.
    pub fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), Status> {
        let addr = self.at(offset, out.len() as u64)?;
        for (i, byte) in out.iter_mut().enumerate() {
            // SAFETY: as in `read_u64`: inside the readable mapping.
            *byte = unsafe { ((addr + i as u64) as *const u8).read_volatile() };
        }
        Ok(())
    }

    /// Copies `bytes` to byte `offset`. Read-only: `Denied`; outside the
    /// region: `InvalidParameter`; either way nothing is written.
    pub fn write(&self, offset: u64, bytes: &[u8]) -> Result<(), Status> {
        if !self.writable() {
            return Err(Status::Denied);
        }
        let addr = self.at(offset, bytes.len() as u64)?;
        for (i, &byte) in bytes.iter().enumerate() {
            // SAFETY: as in `write_u64`: inside the read/write mapping.
            unsafe { ((addr + i as u64) as *mut u8).write_volatile(byte) };
        }
        Ok(())
    }

    /// The region's first byte as a raw pointer, for code that needs its
    /// own access pattern (or, in a test, a store the kernel must refuse).
    /// Dereferencing it is the caller's to argue: in bounds, volatile, and
    /// a store only if [`Region::writable`] (else a stage-2 fault, which the
    /// health monitor handles).
    pub const fn as_ptr(&self) -> *mut u8 {
        self.base as *mut u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_outside_the_limit_are_refused_before_the_call() {
        assert_eq!(memory_region(""), Err(Status::InvalidParameter));
        assert_eq!(memory_region(&"x".repeat(MAX_REGION_NAME + 1)), Err(Status::InvalidParameter));
        // On the host there is no kernel to ask.
        assert_eq!(memory_region("telemetry"), Err(Status::NotSupported));
    }

    #[test]
    fn accesses_outside_or_unaligned_or_forbidden_are_refused_without_touching_memory() {
        // Base 8 on the host: any access that got through would fault, so
        // only refusals can pass this test.
        let ro = Region { base: 8, size: 4096, access: RegionAccess::ReadOnly };
        let rw = Region { access: RegionAccess::ReadWrite, ..ro };
        assert_eq!(ro.write_u64(0, 1), Err(Status::Denied));
        assert_eq!(ro.write(0, &[1]), Err(Status::Denied));
        assert_eq!(rw.write_u64(4, 1), Err(Status::InvalidParameter));
        assert_eq!(rw.write_u64(4096, 1), Err(Status::InvalidParameter));
        assert_eq!(rw.read_u64(4089), Err(Status::InvalidParameter));
        assert_eq!(rw.read(4000, &mut [0; 97]), Err(Status::InvalidParameter));
        assert_eq!(rw.write(u64::MAX, &[1]), Err(Status::InvalidParameter));
        assert!(rw.writable() && !ro.writable());
        assert_eq!((ro.base(), ro.size(), ro.access()), (8, 4096, RegionAccess::ReadOnly));
    }
}
