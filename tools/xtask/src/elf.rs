//! What the build needs from an ELF file, without llvm-tools: the raw
//! memory image (what `llvm-objcopy -O binary` writes, the form the Pi
//! firmware and QEMU's raw-image loader take) and section sizes (what
//! `llvm-size -A` prints). Doing both here keeps a fresh machine's build
//! from depending on a rustup component a mirror may not serve.
use object::elf::PT_LOAD;
use object::read::elf::{ElfFile64, ProgramHeader};
use object::{Endianness, Object, ObjectSection};

/// The flat image of an ELF file: the bytes of every loadable segment at
/// its physical address, from the lowest one; gaps between segments are
/// zero-filled, and a segment's zero-initialised tail (`.bss`) is left out
/// as it is in `objcopy -O binary` output.
pub fn raw_image(elf: &[u8]) -> Result<Vec<u8>, String> {
    let file = ElfFile64::<Endianness>::parse(elf).map_err(|e| format!("not a 64-bit ELF file: {e}"))?;
    let endian = file.endian();
    let mut segments = Vec::new();
    for ph in file.elf_program_headers() {
        if ph.p_type(endian) != PT_LOAD || ph.p_filesz(endian) == 0 {
            continue;
        }
        let data = ph.data(endian, elf).map_err(|()| "a loadable segment lies outside the file".to_string())?;
        segments.push((ph.p_paddr(endian), data));
    }
    let base = segments.iter().map(|(a, _)| *a).min().ok_or("the ELF file has no loadable bytes")?;
    let end = segments.iter().map(|(a, d)| a + d.len() as u64).max().unwrap_or(base);
    let len = usize::try_from(end - base).map_err(|_| "segments span more than the address space")?;
    if len > 512 << 20 {
        return Err(format!("loadable segments span {len} bytes from {base:#x}: not a kernel image"));
    }
    let mut out = vec![0u8; len];
    for (addr, data) in segments {
        let at = (addr - base) as usize;
        out[at..at + data.len()].copy_from_slice(data);
    }
    Ok(out)
}

/// Total size of the sections named `name` (`.text`, `.bss`, ...).
pub fn section_size(elf: &[u8], name: &str) -> Result<u64, String> {
    let file = object::File::parse(elf).map_err(|e| format!("not an ELF file: {e}"))?;
    Ok(file.sections().filter(|s| s.name() == Ok(name)).map(|s| s.size()).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::write::elf::{FileHeader, ProgramHeader as WriteProgramHeader, Writer};

    /// A minimal ELF with the given (physical address, file bytes, memory
    /// size) segments.
    fn elf_with(segments: &[(u64, &[u8], u64)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = Writer::new(Endianness::Little, true, &mut out);
        w.reserve_file_header();
        w.reserve_program_headers(segments.len() as u32);
        let offsets: Vec<usize> = segments.iter().map(|(_, d, _)| w.reserve(d.len(), 16)).collect();
        w.write_file_header(&FileHeader {
            os_abi: 0,
            abi_version: 0,
            e_type: object::elf::ET_EXEC,
            e_machine: object::elf::EM_AARCH64,
            e_entry: segments[0].0,
            e_flags: 0,
        })
        .unwrap();
        w.write_align_program_headers();
        for ((addr, data, memsz), off) in segments.iter().zip(&offsets) {
            w.write_program_header(&WriteProgramHeader {
                p_type: PT_LOAD,
                p_flags: object::elf::PF_R,
                p_offset: *off as u64,
                p_vaddr: *addr,
                p_paddr: *addr,
                p_filesz: data.len() as u64,
                p_memsz: *memsz,
                p_align: 16,
            });
        }
        for ((_, data, _), off) in segments.iter().zip(&offsets) {
            w.pad_until(*off);
            w.write(data);
        }
        out
    }

    #[test]
    fn segments_land_at_their_addresses_with_zero_gaps_and_no_bss() {
        let elf = elf_with(&[(0x80000, b"abcd", 4), (0x80010, b"xy", 0x1000)]);
        let raw = raw_image(&elf).unwrap();
        let mut expected = b"abcd".to_vec();
        expected.resize(0x10, 0);
        expected.extend_from_slice(b"xy");
        assert_eq!(raw, expected);
    }

    #[test]
    fn the_lowest_segment_is_the_start_whatever_the_order() {
        let elf = elf_with(&[(0x1008, b"late", 4), (0x1000, b"early", 5)]);
        assert_eq!(raw_image(&elf).unwrap(), b"early\0\0\0late");
    }

    #[test]
    fn bad_input_is_named() {
        assert!(raw_image(b"not an elf").unwrap_err().contains("not a 64-bit ELF"));
        let far = elf_with(&[(0, b"a", 1), (1 << 40, b"b", 1)]);
        assert!(raw_image(&far).unwrap_err().contains("not a kernel image"));
    }
}
