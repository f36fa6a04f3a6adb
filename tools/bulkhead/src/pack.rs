//! `bulkhead pack`: load each partition's ELF image, turn its `PT_LOAD`
//! segments into image segments, write the system image (optionally after
//! the kernel, as `kernel8.img`) and a text report beside it.
//!
//! Partition ELF files are linked for [`layout::PARTITION_IPA_BASE`]: every
//! loadable segment must lie in `IPA_BASE..IPA_BASE + memory`, and the tool
//! stores it at that offset in the partition's physical memory. The image is
//! parsed back with the kernel's own parser before it is written, and each
//! partition's memory map checked as the kernel checks it at boot
//! (`bulkhead_image::MemoryMap`: stacks and their guard pages above the
//! image, no page writable and executable unless the description allows
//! it), so a file `pack` produces is one the kernel accepts.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bulkhead_image::{
    Access, Area, ImageSpec, MapError, MemoryMap, SegmentFlags, SegmentSpec, SystemImage, Table, kernel_image_offset,
};
use object::elf::{EM_AARCH64, PF_R, PF_W, PF_X, PT_LOAD};
use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
use object::{Endianness, Object};

use crate::check::System;
use crate::layout;
use crate::show;
use crate::units::fmt_size;

/// A problem that stops `pack`, naming the partition and file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl std::fmt::Display for PackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n    hint: {h}")?;
        }
        Ok(())
    }
}

fn err(message: String, hint: Option<String>) -> PackError {
    PackError { message, hint }
}

/// Where `pack` reads and writes.
#[derive(Clone, Debug)]
pub struct PackOptions {
    /// The description file (image paths are relative to its folder).
    pub description: PathBuf,
    /// The image to write.
    pub out: PathBuf,
    /// Raw kernel binary to put in front (makes `kernel8.img`).
    pub kernel: Option<PathBuf>,
    /// Folder holding built partition crates' ELF files; by default the
    /// workspace's `target/aarch64-unknown-none/release`.
    pub elf_dir: Option<PathBuf>,
}

/// What `pack` wrote.
#[derive(Clone, Debug)]
pub struct Packed {
    /// Bytes of the system image.
    pub image_len: usize,
    /// Offset of the system image in the output (0 without a kernel).
    pub image_offset: usize,
    /// Bytes written.
    pub total_len: usize,
    /// The report's path.
    pub report: PathBuf,
}

fn workspace_root(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .find(|dir| std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]")))
        .map(Path::to_path_buf)
}

/// The ELF file an `image` value names: a path (it has a `/` or ends in
/// `.elf`), relative to the description, or a binary built for
/// `aarch64-unknown-none` in the workspace's target directory
/// (`CARGO_TARGET_DIR` when set, as cargo builds there).
pub fn resolve_image(value: &str, opts: &PackOptions) -> PathBuf {
    let desc_dir = opts.description.parent().unwrap_or(Path::new("."));
    let desc_dir = if desc_dir.as_os_str().is_empty() { Path::new(".") } else { desc_dir };
    if value.contains('/') || value.ends_with(".elf") {
        return desc_dir.join(value);
    }
    let dir = opts.elf_dir.clone().unwrap_or_else(|| {
        let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => workspace_root(desc_dir).unwrap_or_else(|| desc_dir.to_path_buf()).join("target"),
        };
        target.join("aarch64-unknown-none/release")
    });
    dir.join(value)
}

/// Read a partition's ELF file into segments and an entry point.
pub fn load_elf(partition: &str, path: &Path, memory_size: u64) -> Result<(Vec<SegmentSpec>, u64), PackError> {
    let data = std::fs::read(path).map_err(|e| {
        err(
            format!("partition \"{partition}\": image {} is not built ({e})", path.display()),
            Some(format!(
                "build it first (`cargo build --release --target aarch64-unknown-none` in the crate whose binary it is, which writes {}), or set `image` to the path of its ELF file",
                path.display()
            )),
        )
    })?;
    let bad = |what: String| err(format!("partition \"{partition}\": {}: {what}", path.display()), None);
    let elf = ElfFile64::<Endianness>::parse(&*data).map_err(|e| bad(format!("not a 64-bit ELF file ({e})")))?;
    let endian = elf.endian();
    if !elf.is_little_endian() {
        return Err(bad("big-endian ELF; partitions are little-endian AArch64".into()));
    }
    let machine = elf.elf_header().e_machine(endian);
    if machine != EM_AARCH64 {
        return Err(bad(format!("ELF machine {machine}, not AArch64 ({EM_AARCH64})")));
    }
    let base = layout::PARTITION_IPA_BASE;
    let end = base + memory_size;
    let mut segments = Vec::new();
    for ph in elf.elf_program_headers() {
        if ph.p_type(endian) != PT_LOAD || ph.p_memsz(endian) == 0 {
            continue;
        }
        let vaddr = ph.p_vaddr(endian);
        let memsz = ph.p_memsz(endian);
        let seg_end = vaddr.saturating_add(memsz);
        if vaddr < base || seg_end > end {
            return Err(err(
                format!(
                    "partition \"{partition}\": {} has a segment at {vaddr:#x}..{seg_end:#x}, outside its memory {base:#x}..{end:#x} ({})",
                    path.display(),
                    fmt_size(memory_size)
                ),
                Some(format!(
                    "link the partition at {base:#x} (the SDK linker script does) and raise `memory` if the image is larger"
                )),
            ));
        }
        let bytes =
            ph.data(endian, &*data).map_err(|_| bad("segment file bytes run past the end of the file".into()))?;
        let pf = ph.p_flags(endian);
        let mut flags = 0;
        if pf & PF_R != 0 {
            flags |= SegmentFlags::READ;
        }
        if pf & PF_W != 0 {
            flags |= SegmentFlags::WRITE;
        }
        if pf & PF_X != 0 {
            flags |= SegmentFlags::EXECUTE;
        }
        segments.push(SegmentSpec { load_offset: vaddr - base, mem_size: memsz, flags, data: bytes.to_vec() });
    }
    if segments.is_empty() {
        return Err(bad("no loadable (PT_LOAD) segment".into()));
    }
    let entry = elf.entry();
    if entry < base || entry >= end {
        return Err(err(
            format!(
                "partition \"{partition}\": entry point {entry:#x} of {} is outside its memory {base:#x}..{end:#x}",
                path.display()
            ),
            Some(format!("link the partition at {base:#x}")),
        ));
    }
    Ok((segments, entry))
}

/// Build the image bytes for a checked system: load every partition's ELF
/// (reporting every partition that fails), fill segments and entry points,
/// serialise, and validate with the kernel's parser.
pub fn build_image(sys: &mut System, opts: &PackOptions) -> Result<Vec<u8>, Vec<PackError>> {
    let mut errors = Vec::new();
    for (id, p) in sys.spec.partitions.iter_mut().enumerate() {
        let path = resolve_image(&sys.images[id], opts);
        match load_elf(&p.name, &path, p.memory_size) {
            Ok((segments, entry)) => {
                p.segments = segments;
                p.entry_ipa = entry;
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let bytes = sys.spec.to_bytes().map_err(|e| vec![err(format!("cannot write the system image: {e}"), None)])?;
    let image = match SystemImage::parse(&bytes) {
        Ok(image) => image,
        Err(e) => {
            return Err(vec![err(
                format!("the kernel's parser rejects the image: {e}"),
                Some("this is a bug in `bulkhead check`; please report it with the description".into()),
            )]);
        }
    };
    // The memory map the kernel will build for each partition, refused
    // here in the kernel's own terms (bulkhead_image::MemoryMap).
    let errors: Vec<PackError> = image
        .partitions()
        .filter_map(|p| {
            let map = MemoryMap::of(&image, p.id)?;
            let e = map.validate().err()?;
            Some(map_error(sys, p.id as usize, e, opts))
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(bytes)
}

/// `rwx` and the IPA range of segment `index` of partition `id`.
fn segment_text(sys: &System, id: usize, index: u32) -> String {
    let p = &sys.spec.partitions[id];
    p.segments.get(index as usize).map_or_else(String::new, |s| {
        let start = p.ipa_base + s.load_offset;
        format!("{} at IPA {start:#x}..{:#x}", Access(s.flags), start + s.mem_size)
    })
}

/// A partition's memory map the kernel would refuse, as a pack error with
/// the numbers and the fix.
fn map_error(sys: &System, id: usize, e: MapError<'_>, opts: &PackOptions) -> PackError {
    let name = &sys.spec.partitions[id].name;
    let path = resolve_image(&sys.images[id], opts);
    match e {
        MapError::StacksDoNotFit { image_end, stacks, memory_size } => err(
            format!(
                "partition \"{name}\": image ({}, to the end of its last segment's page) and thread stacks with their guard pages ({}) need {}, more than its memory {}",
                fmt_size(image_end),
                fmt_size(stacks),
                fmt_size(image_end + stacks),
                fmt_size(memory_size)
            ),
            Some(format!(
                "raise memory to at least \"{}\"",
                fmt_size((image_end + stacks).next_multiple_of(layout::PAGE_SIZE))
            )),
        ),
        MapError::HeapDoesNotFit { image_end, heap_size, stacks, memory_size } => {
            let needed = image_end + heap_size + stacks;
            err(
                format!(
                    "partition \"{name}\": image ({}, to the end of its last segment's page), heap ({}) and thread stacks with their guard pages ({}) need {}, more than its memory {}",
                    fmt_size(image_end),
                    fmt_size(heap_size),
                    fmt_size(stacks),
                    fmt_size(needed),
                    fmt_size(memory_size)
                ),
                Some(format!(
                    "raise memory to at least \"{}\", or shrink heap to at most \"{}\"",
                    fmt_size(needed),
                    fmt_size(memory_size - image_end - stacks)
                )),
            )
        }
        MapError::WriteExecute { page_ipa, writable, executable } if writable == executable => err(
            format!(
                "partition \"{name}\": {}: segment {writable} ({}) is writable and executable",
                path.display(),
                segment_text(sys, id, writable)
            ),
            Some(format!(
                "link it with linker/partition.ld, which gives text r-x and data rw- segments of their own; or, if it must write its own code, set allow_write_execute = true for partition \"{name}\" (page at IPA {page_ipa:#x})"
            )),
        ),
        MapError::WriteExecute { page_ipa, writable, executable } => err(
            format!(
                "partition \"{name}\": {}: segments {executable} ({}) and {writable} ({}) share the page at IPA {page_ipa:#x}, which would be writable and executable",
                path.display(),
                segment_text(sys, id, executable),
                segment_text(sys, id, writable)
            ),
            Some(format!(
                "start each segment on a page of its own (linker/partition.ld does: `. = ALIGN(4096)` before .rodata and .data); or set allow_write_execute = true for partition \"{name}\""
            )),
        ),
        MapError::StackNotWholePages { .. } => err(format!("partition \"{name}\": {e}"), None),
    }
}

/// `pack`: build, write the image (after the kernel if given) and the report.
pub fn pack(sys: &mut System, opts: &PackOptions) -> Result<Packed, Vec<PackError>> {
    let image = build_image(sys, opts)?;
    let mut out = Vec::new();
    let mut kernel_len = None;
    if let Some(kernel) = &opts.kernel {
        let k = std::fs::read(kernel).map_err(|e| {
            vec![err(
                format!("kernel {}: {e}", kernel.display()),
                Some("build the kernel first (`cargo xtask build`), or leave out --kernel".into()),
            )]
        })?;
        kernel_len = Some(k.len());
        out = k;
        let offset = kernel_image_offset(out.len()).unwrap_or(out.len());
        out.resize(offset, 0);
    }
    let image_offset = out.len();
    out.extend_from_slice(&image);
    std::fs::write(&opts.out, &out)
        .map_err(|e| vec![err(format!("cannot write {}: {e}", opts.out.display()), None)])?;
    let report_path = report_path(&opts.out);
    let report = report(sys, opts, &image, image_offset, kernel_len)
        .map_err(|e| vec![err(format!("cannot build the report: {e}"), None)])?;
    std::fs::write(&report_path, report)
        .map_err(|e| vec![err(format!("cannot write {}: {e}", report_path.display()), None)])?;
    Ok(Packed { image_len: image.len(), image_offset, total_len: out.len(), report: report_path })
}

/// `IMAGE.report.txt` beside `IMAGE`.
pub fn report_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".report.txt");
    out.with_file_name(name)
}

fn report(
    sys: &System,
    opts: &PackOptions,
    image: &[u8],
    image_offset: usize,
    kernel_len: Option<usize>,
) -> Result<String, String> {
    let parsed = SystemImage::parse(image).map_err(|e| e.to_string())?;
    let mut r = String::new();
    let _ = writeln!(r, "Bulkhead system image report");
    let _ = writeln!(r, "description: {}", opts.description.display());
    let _ = writeln!(r, "output:      {}", opts.out.display());
    match kernel_len {
        Some(k) => {
            let _ = writeln!(
                r,
                "layout:      kernel {} bytes at 0, padding to {image_offset:#x}, system image {} bytes at {image_offset:#x}",
                k,
                image.len()
            );
        }
        None => {
            let _ = writeln!(r, "layout:      system image only, {} bytes", image.len());
        }
    }
    let crc = u32::from_le_bytes(image.get(16..20).and_then(|s| s.try_into().ok()).unwrap_or([0; 4]));
    let _ = writeln!(r, "format:      version {}, CRC-32 {crc:#010x}", bulkhead_image::FORMAT_VERSION);
    let _ = writeln!(r);
    let _ = writeln!(r, "== sizes ==");
    let data_len = parsed.count(Table::Data) as usize;
    let _ = writeln!(r, "  header + tables  {:>10} bytes", image.len() - data_len);
    let _ = writeln!(r, "  segment data     {data_len:>10} bytes");
    for table in Table::ALL {
        if table != Table::Data {
            let _ = writeln!(
                r,
                "  {:<16} {:>4} records x {:>2} bytes",
                table.name(),
                parsed.count(table),
                table.record_size()
            );
        }
    }
    let _ = writeln!(r);
    let _ = writeln!(r, "== memory map ==");
    r.push_str(&show::memory_map(sys));
    let _ = writeln!(r);
    let _ = writeln!(r, "== stage-2 maps ==");
    r.push_str(&stage2_maps(&parsed));
    let _ = writeln!(r);
    let _ = writeln!(r, "== partitions and schedules ==");
    r.push_str(&show::render_text(sys)?);
    let _ = writeln!(r);
    let _ = writeln!(r, "== channels ==");
    if sys.spec.channels.is_empty() {
        let _ = writeln!(r, "  (none)");
    }
    for c in parsed.channels() {
        let ends: Vec<String> = c
            .ports()
            .map(|p| format!("{}.{}", parsed.partition(p.partition).map_or("?", |q| q.name), p.name))
            .collect();
        let kind = match c.kind {
            bulkhead_image::ChannelKind::Sampling { refresh_period_ns } => {
                format!("sampling, refresh {}", crate::units::fmt_ns(refresh_period_ns))
            }
            bulkhead_image::ChannelKind::Queuing { depth } => format!("queuing, depth {depth}"),
        };
        let _ = writeln!(
            r,
            "  {}: {kind}, {} messages, {} -> {}",
            c.name,
            fmt_size(u64::from(c.message_size)),
            ends.first().map_or("?", String::as_str),
            ends.get(1..).unwrap_or(&[]).join(", ")
        );
    }
    let _ = writeln!(r);
    let _ = writeln!(r, "== memory regions ==");
    if parsed.regions().len() == 0 {
        let _ = writeln!(r, "  (none)");
    }
    for region in parsed.regions() {
        let users: Vec<String> = region
            .mappings()
            .map(|m| {
                let name = parsed.partition(m.partition).map_or("?", |p| p.name);
                format!("{name} {}", m.access)
            })
            .collect();
        let _ = writeln!(
            r,
            "  {}: {}, physical {:#010x}..{:#010x}, IPA {:#010x}..{:#010x}, zeroed at module start; {}",
            region.name,
            fmt_size(region.size),
            region.phys_base,
            region.phys_end(),
            region.ipa_base,
            region.ipa_end(),
            if users.is_empty() { "mapped by no partition".to_string() } else { users.join(", ") }
        );
    }
    let _ = writeln!(r);
    let _ = writeln!(r, "== health monitor ==");
    // From the image as the kernel will read it, not the description.
    r.push_str(&show::health_text(&ImageSpec::from_image(&parsed)));
    Ok(r)
}

/// Each partition's memory as the kernel maps it in stage 2 (IPA ranges,
/// rights, what lies there): `bulkhead_image::MemoryMap`, the map the
/// kernel builds from the same image.
fn stage2_maps(image: &SystemImage<'_>) -> String {
    let mut out = String::new();
    for p in image.partitions() {
        let Some(map) = MemoryMap::of(image, p.id) else { continue };
        let wx = if p.write_execute { "W^X off (allow_write_execute)" } else { "W^X" };
        let _ = writeln!(
            out,
            "  partition \"{}\": IPA {:#010x}..{:#010x}, {wx}",
            p.name,
            p.ipa_base,
            p.ipa_base + p.memory_size
        );
        let threads: Vec<&str> = image.threads_of(p.id).map(|t| t.name).collect();
        let thread = |i: u32| threads.get(i as usize).copied().unwrap_or("?");
        for (range, area, access) in map.areas() {
            let what = match area {
                Area::Segment(i) => format!("segment {i}"),
                Area::Stack(t) => format!("thread {}'s stack", thread(t)),
                Area::Guard(t) => format!("guard page below thread {}'s stack (unmapped)", thread(t)),
                Area::Heap => "heap (the SDK's allocator: x6, x7 at entry)".to_string(),
                Area::Free => "free memory".to_string(),
                Area::Outside => continue,
            };
            let _ = writeln!(
                out,
                "    {:#010x}..{:#010x} {:>8}  {}  {what}",
                p.ipa_base + range.start,
                p.ipa_base + range.end,
                fmt_size(range.end - range.start),
                access.map_or_else(|| "---".to_string(), |a| a.to_string())
            );
        }
        for (region, access) in map.regions() {
            let _ = writeln!(
                out,
                "    {:#010x}..{:#010x} {:>8}  {}  memory region \"{}\"",
                region.ipa_base,
                region.ipa_end(),
                fmt_size(region.size),
                Access::of_region(access),
                region.name
            );
        }
        for device in image.devices_of(p.id) {
            for range in device.mmio() {
                let _ = writeln!(
                    out,
                    "    {:#010x}..{:#010x} {:>8}  rw-  device \"{}\" (device-nGnRE, at its physical address)",
                    range.base,
                    range.end(),
                    fmt_size(range.size),
                    device.name
                );
            }
        }
    }
    out
}
