//! `bulkhead check` for devices: each partition's `[[partition.device]]`
//! (a board device by name, the thread its interrupts go to, what becomes
//! of an interrupt outside the partition's windows, and optionally the
//! subset of its MMIO ranges and interrupts taken).
//!
//! The board's list (`bulkhead_board_rpi4::devices`, through
//! [`Board::devices`]) is the only source of devices: a name it lacks, an
//! MMIO range none of the named device's ranges contains, or an interrupt
//! that is not the named device's is refused, saying whose it is if the
//! board knows. A board device goes to one partition, once. Devices are
//! mapped at their physical address (IPA = PA), so a range must also be
//! clear of the partition's memory IPA and of the regions it maps there.
//! The image parser checks the board-independent rules again, and the
//! kernel the board list at load (docs/DESIGN.md, issue 18).

use std::collections::HashMap;
use std::ops::Range;

use bulkhead_board_rpi4::devices::BoardDevice;
use bulkhead_image::{
    DeviceSpec, MAX_DEVICE_INTERRUPTS, MAX_DEVICE_MMIO, MAX_DEVICES, MmioRange, OutsideWindow, RegionSpec,
};

use crate::check::{Board, Checker};
use crate::desc::{DeviceDesc, MmioDesc};
use crate::diag::{closest, error};
use crate::layout::{self, PAGE_SIZE};
use crate::units::fmt_size;

fn fmt_range(base: u64, size: u64) -> String {
    format!("{base:#x}..{:#x}", base.saturating_add(size))
}

/// `mini-uart (0xfe215000..0xfe216000; interrupt 125)`.
fn fmt_device(d: &BoardDevice) -> String {
    let ranges: Vec<String> = d.mmio.iter().map(|r| fmt_range(r.base, r.size)).collect();
    let irqs: Vec<String> = d.interrupts.iter().map(u32::to_string).collect();
    let irq_word = if d.interrupts.len() == 1 { "interrupt" } else { "interrupts" };
    format!("{} ({}; {irq_word} {})", d.name, ranges.join(", "), irqs.join(", "))
}

/// What the board has at `[base, base + size)` that no partition may own,
/// for the message about a range that is no device's.
fn kernels_at(board: &Board, base: u64, size: u64) -> Option<&'static str> {
    use bulkhead_board_rpi4::{console, gic, memory};
    let hits = |start: u64, len: u64| base < start + len && start < base.saturating_add(size);
    if board.ram.iter().any(|&(s, e)| hits(s, e - s)) {
        Some("RAM")
    } else if hits(console::PL011_BASE as u64, PAGE_SIZE) {
        Some("the PL011 UART0, the kernel's console")
    } else if hits(gic::GICD_BASE as u64, 0x7000) {
        Some("the GIC-400, the kernel's interrupt controller")
    } else if hits(memory::DEVICE_BASE as u64, memory::DEVICE_END as u64 - memory::DEVICE_BASE as u64) {
        Some("a peripheral no partition may own")
    } else {
        None
    }
}

impl Checker<'_> {
    /// Checks every partition's devices against the board's list and each
    /// other; returns them resolved if no error was found. `regions` are
    /// the resolved shared regions (`None` if they had errors, reported
    /// already).
    pub(crate) fn devices(&mut self, board: &Board, regions: Option<&[RegionSpec]>) -> Option<Vec<DeviceSpec>> {
        let d = self.desc;
        let errors_before = self.diags.errors();
        let mut owner: HashMap<&str, (usize, Range<usize>)> = HashMap::new();
        let mut devices = Vec::new();
        for (p, partition) in d.partitions.iter().enumerate() {
            let pname = partition.name.as_ref().map_or("?", |n| n.value.as_str());
            for u in &partition.devices {
                let Some(name) = &u.name else { continue };
                let Some(device) = board.devices.iter().find(|b| b.name == name.value) else {
                    let names: Vec<&str> = board.devices.iter().map(|b| b.name).collect();
                    let listed: Vec<String> = board.devices.iter().map(fmt_device).collect();
                    let mean = closest(&name.value, names.iter().copied())
                        .map_or(String::new(), |c| format!("did you mean \"{c}\"? "));
                    self.diags.push(
                        error(
                            name.span.clone(),
                            format!(
                                "partition \"{pname}\" owns device \"{}\", which board {} does not have",
                                name.value, board.name
                            ),
                        )
                        .hint(format!("{mean}a partition may own: {}", listed.join(", "))),
                    );
                    continue;
                };
                if let Some((first, span)) = owner.get(device.name) {
                    let first_name = d.partitions[*first].name.as_ref().map_or("?", |n| n.value.as_str());
                    let whom = if *first == p {
                        format!("twice to partition \"{pname}\"")
                    } else {
                        format!("to partitions \"{first_name}\" and \"{pname}\"")
                    };
                    self.diags.push(
                        error(name.span.clone(), format!("device \"{}\" is assigned {whom}", device.name))
                            .note(span.clone(), format!("first assigned to partition \"{first_name}\" here"))
                            .hint("a device belongs to one partition; share its data through a channel or a memory region"),
                    );
                    continue;
                }
                owner.insert(device.name, (p, name.span.clone()));
                let label = format!("device \"{}\" of partition \"{pname}\"", device.name);
                let thread = self.device_thread(u, p, &label);
                let mmio = self.device_mmio(board, device, u, &label);
                let interrupts = self.device_interrupts(board, device, u, &label);
                if let Some(mmio) = &mmio {
                    self.device_clear_of_memory(mmio, u, p, regions, &label);
                }
                devices.push(DeviceSpec {
                    name: device.name.to_string(),
                    partition: p as u32,
                    thread: thread.unwrap_or(0),
                    outside_window: u.outside_window.as_ref().map_or(OutsideWindow::Deliver, |o| o.value),
                    mmio: mmio.unwrap_or_default(),
                    interrupts: interrupts.unwrap_or_default(),
                });
            }
        }
        if devices.len() > MAX_DEVICES {
            self.diags.push(
                error(
                    0..0,
                    format!("the module assigns {} devices; the kernel takes at most {MAX_DEVICES}", devices.len()),
                )
                .hint("assign fewer devices"),
            );
        }
        (self.diags.errors() == errors_before).then_some(devices)
    }

    /// The index of the thread that receives the device's interrupts:
    /// `thread`'s, or the partition's first.
    fn device_thread(&mut self, u: &DeviceDesc, p: usize, label: &str) -> Option<u32> {
        let Some(thread) = &u.thread else { return Some(0) };
        let threads = &self.desc.partitions[p].threads;
        let names: Vec<&str> = threads.iter().filter_map(|t| t.name.as_ref()).map(|n| n.value.as_str()).collect();
        if let Some(i) = threads.iter().position(|t| t.name.as_ref().is_some_and(|n| n.value == thread.value)) {
            return Some(i as u32);
        }
        let mean =
            closest(&thread.value, names.iter().copied()).map_or(String::new(), |c| format!("did you mean \"{c}\"? "));
        self.diags.push(
            error(
                thread.span.clone(),
                format!("{label} names thread \"{}\", which the partition does not have", thread.value),
            )
            .hint(format!("{mean}its threads: {}; leave `thread` out for its first", names.join(", "))),
        );
        None
    }

    /// The ranges mapped: those listed, each whole pages inside one of the
    /// device's ranges, or all of the device's.
    fn device_mmio(
        &mut self,
        board: &Board,
        device: &BoardDevice,
        u: &DeviceDesc,
        label: &str,
    ) -> Option<Vec<MmioRange>> {
        let own = || device.mmio.iter().map(|r| MmioRange { base: r.base, size: r.size });
        let Some(list) = &u.mmio else { return Some(own().collect()) };
        let own_text: Vec<String> = device
            .mmio
            .iter()
            .map(|r| format!("{{ base = {:#x}, size = \"{}\" }}", r.base, fmt_size(r.size)))
            .collect();
        let own_text = own_text.join(", ");
        if list.value.is_empty() {
            self.diags.push(
                error(list.span.clone(), format!("{label} lists no mmio range"))
                    .hint(format!("leave `mmio` out to map all of the device's ranges: {own_text}")),
            );
            return None;
        }
        if list.value.len() > MAX_DEVICE_MMIO {
            self.diags.push(
                error(
                    list.span.clone(),
                    format!("{label} lists {} mmio ranges; a device has at most {MAX_DEVICE_MMIO}", list.value.len()),
                )
                .hint("merge adjacent ranges"),
            );
            return None;
        }
        let mut ranges: Vec<MmioRange> = Vec::new();
        let mut ok = true;
        for r in &list.value {
            match self.device_range(board, device, r, label, &own_text) {
                Some(range) => {
                    if ranges.iter().any(|o| range.base < o.end() && o.base < range.end()) {
                        ok = false;
                        self.diags.push(
                            error(
                                r.span.clone(),
                                format!(
                                    "{label}: mmio range {} overlaps another of its ranges",
                                    fmt_range(range.base, range.size)
                                ),
                            )
                            .hint("list each page once"),
                        );
                    }
                    ranges.push(range);
                }
                None => ok = false,
            }
        }
        ok.then_some(ranges)
    }

    fn device_range(
        &mut self,
        board: &Board,
        device: &BoardDevice,
        r: &MmioDesc,
        label: &str,
        own_text: &str,
    ) -> Option<MmioRange> {
        let (Some(base), Some(size)) = (&r.base, &r.size) else { return None };
        let fix = format!("device \"{}\" has {own_text}; leave `mmio` out to map all of it", device.name);
        if base.value < 0
            || size.value == 0
            || !(base.value as u64).is_multiple_of(PAGE_SIZE)
            || !size.value.is_multiple_of(PAGE_SIZE)
        {
            self.diags.push(
                error(
                    r.span.clone(),
                    format!(
                        "{label}: mmio range base {:#x}, size {} is not whole 4KiB pages",
                        base.value,
                        fmt_size(size.value)
                    ),
                )
                .hint(format!("stage 2 maps whole pages; {fix}")),
            );
            return None;
        }
        let (start, len) = (base.value as u64, size.value);
        if device.mmio.iter().any(|o| o.contains(start, len)) {
            return Some(MmioRange { base: start, size: len });
        }
        let range = fmt_range(start, len);
        let whose = board.devices.iter().find(|b| b.mmio.iter().any(|o| o.contains(start, len)));
        let touched = board.devices.iter().find(|b| b.mmio.iter().any(|o| o.overlaps(start, len)));
        let message = match (whose, touched) {
            (Some(other), _) => {
                format!("{label}: mmio range {range} is device \"{}\"'s, not \"{}\"'s", other.name, device.name)
            }
            (None, Some(other)) => {
                format!("{label}: mmio range {range} runs past the range of device \"{}\"", other.name)
            }
            (None, None) => match kernels_at(board, start, len) {
                Some(what) => format!("{label}: mmio range {range} is not one of the board's devices: it is {what}"),
                None => format!("{label}: mmio range {range} is not one of the board's devices"),
            },
        };
        let hint = match whose {
            Some(other) => format!("assign \"{}\" with a [[partition.device]] of its own; {fix}", other.name),
            None => fix,
        };
        self.diags.push(error(r.span.clone(), message).hint(hint));
        None
    }

    /// The interrupts taken: those listed, each the device's, or all of
    /// the device's.
    fn device_interrupts(
        &mut self,
        board: &Board,
        device: &BoardDevice,
        u: &DeviceDesc,
        label: &str,
    ) -> Option<Vec<u32>> {
        let Some(list) = &u.interrupts else { return Some(device.interrupts.to_vec()) };
        let own: Vec<String> = device.interrupts.iter().map(u32::to_string).collect();
        let fix = format!(
            "device \"{}\" has interrupts [{}]; leave `interrupts` out to take them all",
            device.name,
            own.join(", ")
        );
        if list.value.len() > MAX_DEVICE_INTERRUPTS {
            self.diags.push(
                error(
                    list.span.clone(),
                    format!(
                        "{label} lists {} interrupts; a device has at most {MAX_DEVICE_INTERRUPTS}",
                        list.value.len()
                    ),
                )
                .hint(fix),
            );
            return None;
        }
        let mut taken: Vec<u32> = Vec::new();
        let mut ok = true;
        for n in &list.value {
            let intid = u32::try_from(n.value).ok();
            let message = match intid {
                Some(i) if device.interrupts.contains(&i) && taken.contains(&i) => {
                    format!("{label} lists interrupt {i} twice")
                }
                Some(i) if device.interrupts.contains(&i) => {
                    taken.push(i);
                    continue;
                }
                Some(i) => match board.devices.iter().find(|b| b.interrupts.contains(&i)) {
                    Some(other) => {
                        format!("{label}: interrupt {i} is device \"{}\"'s, not \"{}\"'s", other.name, device.name)
                    }
                    None => format!("{label}: the board has no interrupt {i} that a partition may own"),
                },
                None => format!("{label}: {} is not an interrupt number", n.value),
            };
            ok = false;
            self.diags.push(error(n.span.clone(), message).hint(fix.clone()));
        }
        ok.then_some(taken)
    }

    /// A device is mapped at its physical address: in its partition, that
    /// must be clear of the partition's memory and of the regions it maps.
    fn device_clear_of_memory(
        &mut self,
        mmio: &[MmioRange],
        u: &DeviceDesc,
        p: usize,
        regions: Option<&[RegionSpec]>,
        label: &str,
    ) {
        let d = self.desc;
        let span = u
            .mmio
            .as_ref()
            .map_or_else(|| u.name.as_ref().map_or(u.span.clone(), |n| n.span.clone()), |m| m.span.clone());
        let hits = |r: &MmioRange, start: u64, size: u64| r.base < start.saturating_add(size) && start < r.end();
        if let Some(memory) = &d.partitions[p].memory {
            let start = layout::PARTITION_IPA_BASE;
            if let Some(r) = mmio.iter().find(|r| hits(r, start, memory.value)) {
                self.diags.push(
                    error(
                        span.clone(),
                        format!(
                            "{label}: mmio range {} overlaps the partition's memory at IPA {}",
                            fmt_range(r.base, r.size),
                            fmt_range(start, memory.value)
                        ),
                    )
                    .hint("devices are mapped at their physical address; shrink the partition's memory"),
                );
            }
        }
        for region in regions.unwrap_or_default() {
            if !region.mappings.iter().any(|m| m.partition as usize == p) {
                continue;
            }
            if let Some(r) = mmio.iter().find(|r| hits(r, region.ipa_base, region.size)) {
                let at = d.regions.iter().find(|x| x.name.as_ref().is_some_and(|n| n.value == region.name));
                let mut diag = error(
                    span.clone(),
                    format!(
                        "{label}: mmio range {} overlaps memory region \"{}\" at IPA {}, which the partition maps",
                        fmt_range(r.base, r.size),
                        region.name,
                        fmt_range(region.ipa_base, region.size)
                    ),
                )
                .hint("devices are mapped at their physical address; move the region's `ipa`, or drop it and let the tool choose one");
                if let Some(ipa) = at.and_then(|x| x.ipa.as_ref()) {
                    diag = diag.note(ipa.span.clone(), format!("memory region \"{}\" pinned here", region.name));
                }
                self.diags.push(diag);
            }
        }
    }
}
