//! `bulkhead show`: the schedules as text (windows at absolute offsets) and
//! the per-core frame tables the kernel will follow, and `--svg`: a timeline
//! of one major frame, one lane per core, coloured by partition.
//!
//! The per-core tables come from `bulkhead-sched` (`ModulePlan::
//! core_frame_table`), the kernel's own derivation; this module only prints.

use std::fmt::Write as _;

use bulkhead_sched::{CoreFrameTable, ModulePlan};

use crate::check::System;
use crate::layout;
use crate::plan::{PlanInputs, core_tables, fmt_mask};
use crate::units::{fmt_ns, fmt_ns_short, fmt_size};

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
    let _ = writeln!(out, "module \"{}\": board {}, {} cores", spec.module.name, sys.board, spec.module.core_count);
    let _ = writeln!(out);
    let _ = writeln!(out, "partitions");
    let _ = writeln!(
        out,
        "  {:<3} {:<16} {:>8}  {:<25} {:<6} threads: may use cores -> placed on core",
        "id", "name", "memory", "physical range", "system"
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
            "  {:<3} {:<16} {:>8}  {:<25} {:<6} {}",
            id,
            p.name,
            fmt_size(p.memory_size),
            format!("{:#010x}..{:#010x}", p.phys_base, p.phys_base + p.memory_size),
            if p.system { "yes" } else { "no" },
            threads.join(", ")
        );
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

/// Stable colours: partition `id` gets `PALETTE[id % len]` (Tableau 10),
/// chosen for contrast with white labels and with each other.
const PALETTE: &[&str] =
    &["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/// Colour of partition `id`.
pub fn partition_colour(id: usize) -> &'static str {
    PALETTE[id % PALETTE.len()]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A "nice" axis step (1, 2 or 5 × 10^k ns) giving about `target` ticks.
fn axis_step(span_ns: u64, target: u64) -> u64 {
    let raw = (span_ns / target.max(1)).max(1);
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= raw {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// Draw one major frame of schedule `index` as SVG.
pub fn render_svg(sys: &System, index: usize) -> Result<String, String> {
    let spec = &sys.spec;
    let s = spec.schedules.get(index).ok_or("no such schedule")?;
    let tables = with_plan(sys, |plan| core_tables(plan, index))?.map_err(|e| e.to_string())?;
    let major = s.major_frame_ns.max(1);

    let left = 96.0;
    let right = 24.0;
    let width = 1100.0;
    let plot_w: f64 = width - left - right;
    let title_h = 56.0;
    let lane_h = 46.0;
    let lane_gap = 8.0;
    let windows_h = 28.0;
    let lanes = tables.len() as f64;
    let top = title_h + windows_h + 14.0;
    let plot_bottom = top + lanes * (lane_h + lane_gap) - lane_gap;
    let axis_h = 40.0;
    let legend_rows = (spec.partitions.len() + 2).div_ceil(4) as f64;
    let height = plot_bottom + axis_h + 20.0 + legend_rows * 24.0 + 16.0;
    let x = |ns: u64| left + plot_w * (ns as f64 / major as f64);

    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#
    );
    let _ = writeln!(
        o,
        r##"<defs><pattern id="spare" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c8c8c8" stroke-width="3"/></pattern></defs>"##
    );
    let _ = writeln!(o, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        o,
        r##"<text x="{left}" y="26" font-size="18" font-weight="bold" fill="#222">{} — schedule “{}”{}</text>"##,
        esc(&spec.module.name),
        esc(&s.name),
        if s.initial { " (initial)" } else { "" }
    );
    let _ = writeln!(
        o,
        r##"<text x="{left}" y="46" font-size="12" fill="#555">major frame {} · {} cores · per-core frame tables from bulkhead-sched · one major frame shown</text>"##,
        fmt_ns(s.major_frame_ns),
        tables.len()
    );

    // Window band: who owns the module when.
    let band_y = title_h;
    let _ = writeln!(
        o,
        r##"<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#333">windows</text>"##,
        left - 10.0,
        band_y + 18.0
    );
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
        let (x0, x1) = (x(a), x(b));
        let fill = owner.map_or("url(#spare)".to_string(), |p| partition_colour(p as usize).to_string());
        let _ = writeln!(
            o,
            r##"<rect x="{x0:.2}" y="{band_y}" width="{:.2}" height="{windows_h}" fill="{fill}" fill-opacity="{}" stroke="#ffffff" stroke-width="1"><title>{} {}..{}</title></rect>"##,
            (x1 - x0).max(0.5),
            if owner.is_some() { "0.55" } else { "1" },
            esc(&owner_name(sys, owner)),
            fmt_ns(a),
            fmt_ns(b)
        );
        label(&mut o, x0, x1, band_y + windows_h / 2.0 + 4.0, &owner_name(sys, owner), "#222", 12.0);
    }

    // One lane per core.
    for (lane, t) in tables.iter().enumerate() {
        let y = top + lane as f64 * (lane_h + lane_gap);
        let _ = writeln!(
            o,
            r##"<text x="{}" y="{:.1}" font-size="14" font-weight="bold" text-anchor="end" fill="#333">core {}</text>"##,
            left - 10.0,
            y + lane_h / 2.0 + 5.0,
            t.core().0
        );
        let _ = writeln!(
            o,
            r##"<rect x="{left}" y="{y}" width="{plot_w}" height="{lane_h}" fill="#fafafa" stroke="#dddddd"/>"##
        );
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
                    let _ = writeln!(
                        o,
                        r##"<rect x="{x0:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" rx="3" fill="{colour}" stroke="#ffffff" stroke-width="1.5"><title>{} on core {} ({}..{})</title></rect>"##,
                        y + 1.0,
                        lane_h - 2.0,
                        esc(&names.join(", ")),
                        t.core().0,
                        fmt_ns(e.start.0),
                        fmt_ns(e.end.0)
                    );
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

    // Time axis.
    let axis_y = plot_bottom + 8.0;
    let _ = writeln!(o, r##"<line x1="{left}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="#333"/>"##, left + plot_w);
    let step = axis_step(major, 10);
    let mut t = 0u64;
    while t <= major {
        let tx = x(t);
        let _ = writeln!(o, r##"<line x1="{tx:.2}" y1="{axis_y}" x2="{tx:.2}" y2="{}" stroke="#333"/>"##, axis_y + 5.0);
        let _ = writeln!(
            o,
            r##"<text x="{tx:.2}" y="{}" font-size="11" text-anchor="middle" fill="#333">{}</text>"##,
            axis_y + 18.0,
            fmt_ns_short(t)
        );
        match t.checked_add(step) {
            Some(next) => t = next,
            None => break,
        }
    }
    if major % step != 0 {
        let tx = x(major);
        let _ = writeln!(o, r##"<line x1="{tx:.2}" y1="{axis_y}" x2="{tx:.2}" y2="{}" stroke="#333"/>"##, axis_y + 5.0);
    }
    let _ = writeln!(
        o,
        r##"<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#555">time in major frame</text>"##,
        left + plot_w,
        axis_y + 34.0
    );

    // Legend.
    let mut items: Vec<(String, String, &str)> = spec
        .partitions
        .iter()
        .enumerate()
        .map(|(id, p)| {
            let tag = if p.system { format!("{} (system)", p.name) } else { p.name.clone() };
            (tag, partition_colour(id).to_string(), "1")
        })
        .collect();
    items.push(("spare".into(), "url(#spare)".into(), "1"));
    items.push(("idle (owner has no thread on the core)".into(), "#bbbbbb".into(), "0.25"));
    let legend_y = axis_y + 48.0;
    for (i, (name, fill, opacity)) in items.iter().enumerate() {
        let col = (i % 4) as f64;
        let row = (i / 4) as f64;
        let lx = left + col * (plot_w / 4.0);
        let ly = legend_y + row * 24.0;
        let _ = writeln!(
            o,
            r##"<rect x="{lx}" y="{ly}" width="16" height="16" rx="3" fill="{fill}" fill-opacity="{opacity}" stroke="#999999" stroke-width="0.5"/>"##
        );
        let _ = writeln!(
            o,
            r##"<text x="{}" y="{}" font-size="12" fill="#222">{}</text>"##,
            lx + 22.0,
            ly + 12.5,
            esc(name)
        );
    }
    let _ = writeln!(o, "</svg>");
    Ok(o)
}

/// A centred label, dropped if it would not fit between `x0` and `x1`.
fn label(o: &mut String, x0: f64, x1: f64, y: f64, text: &str, colour: &str, size: f64) {
    // Average glyph advance of a sans-serif face is about 0.6 em.
    let need = text.chars().count() as f64 * size * 0.6 + 6.0;
    if x1 - x0 >= need {
        let _ = writeln!(
            o,
            r#"<text x="{:.2}" y="{y:.1}" font-size="{size}" text-anchor="middle" fill="{colour}">{}</text>"#,
            (x0 + x1) / 2.0,
            esc(text)
        );
    }
}

/// The memory map section of the pack report.
pub fn memory_map(sys: &System) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "partition RAM region {:#010x}..{:#010x} ({}), partitions see their memory at IPA {:#010x}",
        layout::PARTITION_RAM_BASE,
        layout::PARTITION_RAM_END,
        fmt_size(layout::PARTITION_RAM_END - layout::PARTITION_RAM_BASE),
        layout::PARTITION_IPA_BASE
    );
    let mut parts: Vec<_> = sys.spec.partitions.iter().collect();
    parts.sort_by_key(|p| p.phys_base);
    let mut at = layout::PARTITION_RAM_BASE;
    for p in parts {
        if p.phys_base > at {
            let _ = writeln!(out, "  {:#010x}..{:#010x} {:>8}  (free)", at, p.phys_base, fmt_size(p.phys_base - at));
        }
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
        at = p.phys_base + p.memory_size;
    }
    if at < layout::PARTITION_RAM_END {
        let _ = writeln!(
            out,
            "  {:#010x}..{:#010x} {:>8}  (free)",
            at,
            layout::PARTITION_RAM_END,
            fmt_size(layout::PARTITION_RAM_END - at)
        );
    }
    out
}
