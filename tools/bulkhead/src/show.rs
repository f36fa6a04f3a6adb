//! `bulkhead show`: the schedules as text (windows at absolute offsets) and
//! the per-core frame tables the kernel will follow, and `--svg`: a timeline
//! of one major frame, one lane per core, coloured by partition.
//!
//! The per-core tables come from `bulkhead-sched` (`ModulePlan::
//! core_frame_table`), the kernel's own derivation; this module only prints.

use std::fmt::Write as _;

use bulkhead_image::{ErrorKind, HealthAction, HealthSource, ImageSpec, SPARE};
use bulkhead_sched::{CoreFrameTable, ModulePlan};

use crate::check::System;
use crate::layout;
use crate::plan::{PlanInputs, core_tables, fmt_mask};
use crate::svg::{Layout, LegendItem, Swatch, esc, label, partition_colour, partition_legend};
use crate::units::{fmt_ns, fmt_size};

/// Names of the threads in a frame-table entry, `partition.thread`.
fn entry_threads(sys: &System, threads: bulkhead_sched::ThreadSet) -> Vec<String> {
    threads
        .iter()
        .filter_map(|t| {
            let th = sys.spec.threads.get(usize::from(t.0))?;
            let p = sys.spec.partitions.get(th.partition as usize)?;
            Some(format!("{}.{}", p.name, th.name))
        })
        .collect()
}

/// An offset: `0` at the frame start, else the exact duration.
fn fmt_offset(ns: u64) -> String {
    if ns == 0 { "0".into() } else { fmt_ns(ns) }
}

fn owner_name(sys: &System, owner: Option<u32>) -> String {
    owner.and_then(|o| sys.spec.partitions.get(o as usize)).map_or("spare".to_string(), |p| p.name.clone())
}

/// The health monitor's actions: the module's for each error kind (its
/// `[health]`, the entry of the kind it falls back to, or the kind's
/// default), then, partition by partition, every kind whose action for
/// that partition differs from the module's (its own `[partition.health]`,
/// or a module-wide `halt_module` or `switch_schedule` that stops a normal
/// partition instead). The same decision as the kernel's
/// (`bulkhead_image::decide_health`). `switch_schedule` names its schedule.
pub fn health_text(spec: &ImageSpec) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "health monitor: the module's actions (a partition's own [health] overrides them)");
    let action_text = |action: HealthAction, schedule: u32| match action {
        HealthAction::SwitchSchedule => {
            format!("switch_schedule to \"{}\"", spec.schedules.get(schedule as usize).map_or("?", |s| s.name.as_str()))
        }
        other => other.to_string(),
    };
    let module_decision = |kind: ErrorKind| spec.health_decision(SPARE, kind);
    for &kind in ErrorKind::ALL {
        let d = module_decision(kind);
        let own = spec.health.iter().any(|e| e.partition.is_none() && e.kind == kind);
        let note = match (d.source, own, kind.falls_back_to()) {
            (HealthSource::Default, ..) => " (default)".to_string(),
            (_, false, Some(other)) => format!(" (as {other})"),
            _ => String::new(),
        };
        let module_only = if kind.module_event() { " (an event of the module)" } else { "" };
        let _ = writeln!(out, "  {:<22} {}{note}{module_only}", kind.as_str(), action_text(d.action, d.schedule));
    }
    for (id, p) in spec.partitions.iter().enumerate() {
        for &kind in ErrorKind::ALL.iter().filter(|k| !k.module_event()) {
            let decision = spec.health_decision(id as u32, kind);
            let module = module_decision(kind);
            if (decision.action, decision.schedule) == (module.action, module.schedule) {
                continue;
            }
            let why = match (decision.source, decision.refused) {
                (_, Some(refused)) => format!(" ({refused} is for system partitions)"),
                (HealthSource::Partition, _) => " (its own [health])".to_string(),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  partition {}: {:<22} {}{why}",
                p.name,
                kind.as_str(),
                action_text(decision.action, decision.schedule)
            );
        }
    }
    out
}

/// Build the kernel's plan and run `f` with it.
fn with_plan<T>(sys: &System, f: impl FnOnce(&ModulePlan<'_>) -> T) -> Result<T, String> {
    let inputs = PlanInputs::new(&sys.spec)?;
    let schedules = inputs.schedules();
    let plan = inputs.plan(&schedules).map_err(|e| e.to_string())?;
    Ok(f(&plan))
}

/// The text `show` prints (and the pack report includes).
pub fn render_text(sys: &System) -> Result<String, String> {
    let spec = &sys.spec;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "module \"{}\": board {}, {} cores, console {} baud",
        spec.module.name, sys.board, spec.module.core_count, spec.module.console_baud
    );
    if let Some(board) = crate::check::board(&sys.board) {
        let ram: Vec<String> = board.ram.iter().map(|&(s, e)| format!("{s:#x}..{e:#x}")).collect();
        let _ = writeln!(out, "memory: {}: RAM {} (default GPU split)", board.about, ram.join(", "));
        let _ = writeln!(
            out,
            "  partitions and shared regions go in its partition RAM {} (below the kernel's {} map)",
            layout::fmt_area(&layout::partition_area(board.ram)),
            fmt_size(layout::KERNEL_RAM_END)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "partitions");
    let _ = writeln!(
        out,
        "  {:<3} {:<16} {:>8}  {:<25} {:<6} {:>7}  threads: may use cores -> placed on core",
        "id", "name", "memory", "physical range", "system", "console"
    );
    // Where the kernel's placement puts each thread (bulkhead-sched).
    let placed: Vec<Option<u8>> = with_plan(sys, |plan| {
        (0..spec.threads.len())
            .map(|t| plan.thread_core(bulkhead_sched::ThreadId(t as u16)).ok().map(|c| c.0))
            .collect()
    })?;
    for (id, p) in spec.partitions.iter().enumerate() {
        let threads: Vec<String> = spec
            .threads
            .iter()
            .enumerate()
            .filter(|(_, t)| t.partition as usize == id)
            .map(|(i, t)| {
                let core = placed.get(i).copied().flatten().map_or("?".into(), |c| c.to_string());
                format!("{} {} -> {core}", t.name, fmt_mask(t.affinity))
            })
            .collect();
        let _ = writeln!(
            out,
            "  {:<3} {:<16} {:>8}  {:<25} {:<6} {:>7}  {}",
            id,
            p.name,
            fmt_size(p.memory_size),
            format!("{:#010x}..{:#010x}", p.phys_base, p.phys_base + p.memory_size),
            if p.system { "yes" } else { "no" },
            fmt_size(u64::from(p.console_buffer)),
            threads.join(", ")
        );
    }
    // Heaps: carved from the partition's memory just below its stacks;
    // the kernel passes the place to every thread (x6, x7).
    let _ = writeln!(out);
    let _ = writeln!(out, "heaps (for the SDK's allocator, feature \"alloc\"; x6, x7 at thread entry)");
    for (id, p) in spec.partitions.iter().enumerate() {
        let place = match crate::heap::heap_of(spec, id) {
            Some(heap) => format!(
                "{} at IPA {:#010x}..{:#010x}",
                fmt_size(heap.end - heap.start),
                p.ipa_base + heap.start,
                p.ipa_base + heap.end
            ),
            None => "none".to_string(),
        };
        let _ = writeln!(out, "  {:<16} {place}", p.name);
    }
    // Devices: mapped at their physical address (IPA = PA), their
    // interrupts delivered to one thread of the owner.
    let _ = writeln!(out);
    let _ = writeln!(out, "devices (mapped at their physical address, device-nGnRE, execute-never)");
    if spec.devices.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for d in &spec.devices {
        let owner = spec.partitions.get(d.partition as usize).map_or("?", |p| p.name.as_str());
        let thread = spec.threads.iter().filter(|t| t.partition == d.partition).nth(d.thread as usize);
        let ranges: Vec<String> =
            d.mmio.iter().map(|r| format!("{:#010x}..{:#010x}", r.base, r.base + r.size)).collect();
        let irqs: Vec<String> = d.interrupts.iter().map(u32::to_string).collect();
        let interrupts = if irqs.is_empty() {
            "no interrupts".to_string()
        } else {
            format!(
                "interrupts {} to thread {}, outside its windows: {}",
                irqs.join(", "),
                thread.map_or("?", |t| t.name.as_str()),
                d.outside_window
            )
        };
        let mmio = if ranges.is_empty() { "no mmio".to_string() } else { format!("mmio {}", ranges.join(", ")) };
        let _ = writeln!(out, "  {:<12} partition {owner}: {mmio}; {interrupts}", d.name);
    }
    // ARINC 653 processes: how each partition starts, then each core's
    // processes as the kernel places them, most urgent first (the order
    // the scheduler serves them in within their partition's windows).
    let _ = writeln!(out);
    let _ = writeln!(out, "processes");
    for (id, p) in spec.partitions.iter().enumerate() {
        let start = if p.initialization {
            "starts in COLD_START, main thread only, until it sets NORMAL"
        } else {
            "starts in NORMAL, every thread running"
        };
        let _ = writeln!(out, "  {:<16} {start}", spec.partitions[id].name);
    }
    for core in 0..spec.module.core_count as u8 {
        let mut here: Vec<(usize, &bulkhead_image::ThreadSpec)> =
            spec.threads.iter().enumerate().filter(|(i, _)| placed.get(*i).copied().flatten() == Some(core)).collect();
        here.sort_by_key(|(i, t)| (t.partition, core::cmp::Reverse(t.priority), *i));
        let _ = writeln!(out, "  core {core}:");
        if here.is_empty() {
            let _ = writeln!(out, "    (none)");
        }
        for (_, t) in here {
            let name = format!("{}.{}", spec.partitions[t.partition as usize].name, t.name);
            let period = t.period_ns.map_or("aperiodic".to_string(), |n| format!("period {}", fmt_ns(n)));
            let deadline = t.deadline_ns.map_or("no deadline".to_string(), |n| format!("deadline {}", fmt_ns(n)));
            let _ = writeln!(out, "    {name:<32} priority {:>3}  {period}, {deadline}", t.priority);
        }
    }
    with_plan(sys, |plan| {
        for (si, s) in spec.schedules.iter().enumerate() {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "schedule \"{}\"{}: major frame {}",
                s.name,
                if s.initial { " (initial)" } else { "" },
                fmt_ns(s.major_frame_ns)
            );
            let _ = writeln!(out, "  {:<6} {:>10} {:>10} {:>10}  owner", "window", "offset", "end", "duration");
            let mut at = 0u64;
            for (wi, w) in s.windows.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "  {:<6} {:>10} {:>10} {:>10}  {}",
                    wi + 1,
                    fmt_offset(at),
                    fmt_ns(at + w.duration_ns),
                    fmt_ns(w.duration_ns),
                    owner_name(sys, w.owner)
                );
                at += w.duration_ns;
            }
            if at < s.major_frame_ns {
                let _ = writeln!(
                    out,
                    "  {:<6} {:>10} {:>10} {:>10}  spare (end of frame)",
                    "-",
                    fmt_offset(at),
                    fmt_ns(s.major_frame_ns),
                    fmt_ns(s.major_frame_ns - at)
                );
            }
            let _ = writeln!(out, "  core frame tables:");
            match core_tables(plan, si) {
                Ok(tables) => {
                    for t in &tables {
                        write_core_table(&mut out, sys, t);
                    }
                }
                Err(e) => {
                    let _ = writeln!(out, "    (scheduler refused: {e})");
                }
            }
        }
    })?;
    Ok(out)
}

fn write_core_table(out: &mut String, sys: &System, table: &CoreFrameTable) {
    let _ = writeln!(out, "    core {}:", table.core().0);
    for e in table.entries() {
        let span = format!("{}..{}", fmt_offset(e.start.0), fmt_ns(e.end.0));
        let what = match e.window_owner {
            None => "idle (spare)".to_string(),
            Some(p) => {
                let names = entry_threads(sys, e.threads);
                if names.is_empty() {
                    format!("idle ({} has no thread here)", owner_name(sys, Some(u32::from(p.0))))
                } else {
                    names.join(", ")
                }
            }
        };
        let _ = writeln!(out, "      {span:<20} {what}");
    }
}

/// Draw one major frame of schedule `index` as SVG.
pub fn render_svg(sys: &System, index: usize) -> Result<String, String> {
    let spec = &sys.spec;
    let s = spec.schedules.get(index).ok_or("no such schedule")?;
    let tables = with_plan(sys, |plan| core_tables(plan, index))?.map_err(|e| e.to_string())?;
    let major = s.major_frame_ns.max(1);

    let mut legend = partition_legend(&spec.partitions);
    legend.push(LegendItem::new("spare", Swatch::Fill("url(#spare)".into(), "1")));
    legend.push(LegendItem::new("idle (owner has no thread on the core)", Swatch::Fill("#bbbbbb".into(), "0.25")));
    let l = Layout::new(tables.len(), legend.len());
    let (lane_h, plot_bottom) = (l.lane_h, l.plot_bottom);
    let x = |ns: u64| l.left + l.plot_w * (ns as f64 / major as f64);

    let mut o = String::new();
    l.begin(
        &mut o,
        "",
        &format!(
            "{} — schedule “{}”{}",
            esc(&spec.module.name),
            esc(&s.name),
            if s.initial { " (initial)" } else { "" }
        ),
        &format!(
            "major frame {} · {} cores · per-core frame tables from bulkhead-sched · one major frame shown",
            fmt_ns(s.major_frame_ns),
            tables.len()
        ),
    );

    // Window band: who owns the module when.
    let band_y = l.band_y();
    l.band_name(&mut o, "windows");
    let mut at = 0u64;
    let mut boundaries = vec![0u64];
    let mut spans: Vec<(u64, u64, Option<u32>)> = Vec::new();
    for w in &s.windows {
        spans.push((at, at + w.duration_ns, w.owner));
        at += w.duration_ns;
        boundaries.push(at);
    }
    if at < major {
        spans.push((at, major, None));
        boundaries.push(major);
    }
    for &(a, b, owner) in &spans {
        let name = owner_name(sys, owner);
        let tip = format!("{} {}..{}", esc(&name), fmt_ns(a), fmt_ns(b));
        l.band_window(&mut o, x(a), x(b), owner.map(|p| p as usize), &tip, &name);
    }

    // One lane per core.
    for (lane, t) in tables.iter().enumerate() {
        let y = l.lane_y(lane);
        l.lane_name(&mut o, y, t.core().0);
        l.lane_frame(&mut o, y, None);
        for e in t.entries() {
            let (x0, x1) = (x(e.start.0), x(e.end.0));
            let w = (x1 - x0).max(0.5);
            let names = entry_threads(sys, e.threads);
            match e.window_owner {
                None => {
                    let _ = writeln!(
                        o,
                        r##"<rect x="{x0:.2}" y="{y}" width="{w:.2}" height="{lane_h}" fill="url(#spare)"><title>spare {}..{}</title></rect>"##,
                        fmt_ns(e.start.0),
                        fmt_ns(e.end.0)
                    );
                }
                Some(p) if names.is_empty() => {
                    let colour = partition_colour(usize::from(p.0));
                    let _ = writeln!(
                        o,
                        r##"<rect x="{x0:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" fill="{colour}" fill-opacity="0.12" stroke="{colour}" stroke-opacity="0.5" stroke-dasharray="4 3"><title>idle: {} has no thread on core {} ({}..{})</title></rect>"##,
                        y + 1.0,
                        lane_h - 2.0,
                        esc(&owner_name(sys, Some(u32::from(p.0)))),
                        t.core().0,
                        fmt_ns(e.start.0),
                        fmt_ns(e.end.0)
                    );
                    label(&mut o, x0, x1, y + lane_h / 2.0 + 4.0, "idle", "#888", 11.0);
                }
                Some(p) => {
                    let colour = partition_colour(usize::from(p.0));
                    let tip = format!(
                        "{} on core {} ({}..{})",
                        esc(&names.join(", ")),
                        t.core().0,
                        fmt_ns(e.start.0),
                        fmt_ns(e.end.0)
                    );
                    l.run(&mut o, x0, w, y, 3, colour, "#ffffff", 1.5, &tip);
                    // Thread name (without the partition prefix, which the
                    // colour and the window band already say).
                    let short: Vec<&str> =
                        names.iter().map(|n| n.split_once('.').map_or(n.as_str(), |(_, t)| t)).collect();
                    label(&mut o, x0, x1, y + lane_h / 2.0 + 5.0, &short.join(", "), "#ffffff", 13.0);
                }
            }
        }
    }

    // Window boundaries across all lanes.
    for &b in &boundaries {
        let bx = x(b);
        let _ = writeln!(
            o,
            r##"<line x1="{bx:.2}" y1="{band_y}" x2="{bx:.2}" y2="{plot_bottom}" stroke="#333333" stroke-opacity="0.35" stroke-dasharray="2 3"/>"##
        );
    }

    l.time_axis(&mut o, 0, major, "time in major frame", true);
    l.legend_and_end(&mut o, &legend);
    Ok(o)
}

/// The memory map section of the pack report.
pub fn memory_map(sys: &System) -> String {
    let mut out = String::new();
    let ram = crate::check::board(&sys.board).map_or(crate::check::BOARDS[0].ram, |b| b.ram);
    let area = layout::partition_area(ram);
    let ranges: Vec<String> =
        area.iter().map(|r| format!("{:#010x}..{:#010x} ({})", r.start, r.end, fmt_size(r.end - r.start))).collect();
    let _ = writeln!(
        out,
        "partition RAM of board {}: {}, partitions see their memory at IPA {:#010x}",
        sys.board,
        ranges.join(", "),
        layout::PARTITION_IPA_BASE
    );
    // Partitions and shared memory regions, in address order.
    enum Piece<'s> {
        Partition(&'s bulkhead_image::PartitionSpec),
        Region(&'s bulkhead_image::RegionSpec),
    }
    let mut pieces: Vec<(u64, u64, Piece<'_>)> = sys
        .spec
        .partitions
        .iter()
        .map(|p| (p.phys_base, p.memory_size, Piece::Partition(p)))
        .chain(sys.spec.regions.iter().map(|r| (r.phys_base, r.size, Piece::Region(r))))
        .collect();
    pieces.sort_by_key(|&(base, _, _)| base);
    // Free gaps are shown inside the area's ranges only (not over the
    // VideoCore's hole between them).
    let free = |out: &mut String, from: u64, to: u64| {
        for r in &area {
            let (s, e) = (from.max(r.start), to.min(r.end));
            if s < e {
                let _ = writeln!(out, "  {:#010x}..{:#010x} {:>8}  (free)", s, e, fmt_size(e - s));
            }
        }
    };
    let mut at = layout::PARTITION_RAM_BASE;
    for (base, size, piece) in pieces {
        if base > at {
            free(&mut out, at, base);
        }
        let p = match piece {
            Piece::Partition(p) => p,
            Piece::Region(r) => {
                let _ = writeln!(
                    out,
                    "  {:#010x}..{:#010x} {:>8}  memory region \"{}\", IPA {:#x}",
                    base,
                    base + size,
                    fmt_size(size),
                    r.name,
                    r.ipa_base
                );
                at = base + size;
                continue;
            }
        };
        let _ = writeln!(
            out,
            "  {:#010x}..{:#010x} {:>8}  partition \"{}\"",
            p.phys_base,
            p.phys_base + p.memory_size,
            fmt_size(p.memory_size),
            p.name
        );
        for seg in &p.segments {
            let flags = format!(
                "{}{}{}",
                if seg.flags & 1 != 0 { 'r' } else { '-' },
                if seg.flags & 2 != 0 { 'w' } else { '-' },
                if seg.flags & 4 != 0 { 'x' } else { '-' }
            );
            let _ = writeln!(
                out,
                "    {:#010x}..{:#010x} {flags}  segment: {} file bytes, {} in memory, IPA {:#x}",
                p.phys_base + seg.load_offset,
                p.phys_base + seg.load_offset + seg.mem_size,
                seg.data.len(),
                seg.mem_size,
                p.ipa_base + seg.load_offset
            );
        }
        let id = sys.spec.partitions.iter().position(|q| std::ptr::eq(q, p));
        if let Some(heap) = id.and_then(|id| crate::heap::heap_of(&sys.spec, id)) {
            let _ = writeln!(
                out,
                "    {:#010x}..{:#010x} rw-  heap: {}, IPA {:#x}",
                p.phys_base + heap.start,
                p.phys_base + heap.end,
                fmt_size(heap.end - heap.start),
                p.ipa_base + heap.start
            );
        }
        at = p.phys_base + p.memory_size;
    }
    free(&mut out, at, layout::KERNEL_RAM_END);
    out
}
