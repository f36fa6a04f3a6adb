//! `bulkhead trace --svg`: what really ran, one lane per core, over a span
//! of major frames, drawn like `bulkhead show --svg` (same layout, same
//! partition colours) so the plan and the run can be laid side by side.
//! The planned windows form the band on top; their boundaries are thin
//! lines through every lane, so a late switch shows as colour past a line.

use std::fmt::Write as _;

use crate::show::partition_colour;
use crate::trace::{Model, Reason, Span};
use crate::units::fmt_ns_short;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A "nice" axis step (1, 2 or 5 × 10^k ns) giving about `target` ticks.
fn axis_step(span_ns: u64, target: u64) -> u64 {
    let raw = (span_ns / target.max(1)).max(1);
    let mut step = 1u64;
    loop {
        for k in [1, 2, 5] {
            if step.saturating_mul(k) >= raw {
                return step.saturating_mul(k);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// A centred label, dropped if it would not fit between `x0` and `x1`.
fn label(o: &mut String, x0: f64, x1: f64, y: f64, text: &str, colour: &str, size: f64) {
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

/// Draw the span as SVG.
pub fn render_trace_svg(m: &Model<'_>, span: Span) -> String {
    let spec = &m.sys.spec;
    let (from, to) = span.ticks(m);
    let to = to.max(from + 1);
    let span_ns = m.ticks_to_ns(i128::from(to - from)).max(1) as u64;
    let from_ns = m.ticks_to_ns(i128::from(from) - i128::from(m.epoch())).max(0) as u64;

    let left = 96.0;
    let right = 24.0;
    let width = 1100.0;
    let plot_w: f64 = width - left - right;
    let title_h = 56.0;
    let lane_h = 46.0;
    let lane_gap = 8.0;
    let windows_h = 28.0;
    let lanes = m.intervals.len() as f64;
    let top = title_h + windows_h + 14.0;
    let plot_bottom = top + lanes * (lane_h + lane_gap) - lane_gap;
    let axis_h = 40.0;
    let legend_items = spec.partitions.len() + 4;
    let legend_rows = legend_items.div_ceil(4) as f64;
    let height = plot_bottom + axis_h + 20.0 + legend_rows * 24.0 + 16.0;
    let x = |t: u64| left + plot_w * ((t.clamp(from, to) - from) as f64 / (to - from) as f64);

    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#
    );
    let _ = writeln!(
        o,
        r##"<defs><pattern id="spare" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c8c8c8" stroke-width="3"/></pattern><pattern id="lost" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="8" height="8" fill="#fff0f0"/><line x1="0" y1="0" x2="0" y2="8" stroke="#d62728" stroke-width="2"/></pattern></defs>"##
    );
    let _ = writeln!(o, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        o,
        r##"<text x="{left}" y="26" font-size="18" font-weight="bold" fill="#222">{} — recorded run, frames {}..{}</text>"##,
        esc(&spec.module.name),
        span.start_frame,
        span.start_frame.saturating_add(span.frames)
    );
    let _ = writeln!(
        o,
        r##"<text x="{left}" y="46" font-size="12" fill="#555">{} cores · counter {} Hz · epoch {} ticks · lanes: what each core ran (switch trace) · band: planned windows</text>"##,
        m.intervals.len(),
        m.freq().hz(),
        m.epoch()
    );

    // Planned windows band.
    let band_y = title_h;
    let _ = writeln!(
        o,
        r##"<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#333">plan</text>"##,
        left - 10.0,
        band_y + 18.0
    );
    let windows = m.planned_windows(from, to);
    for &(a, b, owner, key) in &windows {
        let (x0, x1) = (x(a), x(b));
        let fill = owner.map_or("url(#spare)".to_string(), |p| partition_colour(p).to_string());
        let _ = writeln!(
            o,
            r##"<rect x="{x0:.2}" y="{band_y}" width="{:.2}" height="{windows_h}" fill="{fill}" fill-opacity="{}" stroke="#ffffff" stroke-width="1"><title>{} window {}: [{a}, {b}) ticks</title></rect>"##,
            (x1 - x0).max(0.5),
            if owner.is_some() { "0.55" } else { "1" },
            esc(&m.owner_name(owner)),
            m.fmt_key(key)
        );
        label(&mut o, x0, x1, band_y + windows_h / 2.0 + 4.0, &m.owner_name(owner), "#222", 12.0);
    }

    // Lanes.
    for (core, ivs) in m.intervals.iter().enumerate() {
        let y = top + core as f64 * (lane_h + lane_gap);
        let _ = writeln!(
            o,
            r##"<text x="{}" y="{:.1}" font-size="14" font-weight="bold" text-anchor="end" fill="#333">core {core}</text>"##,
            left - 10.0,
            y + lane_h / 2.0 + 5.0
        );
        // The core's worst boundary switch in the span: too small to see at
        // this scale, so it is written under the lane's name.
        let mut prev_key = None;
        let mut worst: Option<i128> = None;
        for pr in &m.placed[core] {
            if let (Some(k), Some((ps, _))) = (pr.key, pr.planned)
                && prev_key != Some(k)
                && matches!(pr.record.reason, Reason::Boundary | Reason::Resched)
                && ps >= from
                && ps < to
            {
                let late = i128::from(pr.record.ticks) - i128::from(ps);
                worst = Some(worst.map_or(late, |w| w.max(late)));
            }
            if pr.key.is_some() {
                prev_key = pr.key;
            }
        }
        if let Some(w) = worst {
            let _ = writeln!(
                o,
                r##"<text x="{}" y="{:.1}" font-size="10" text-anchor="end" fill="#777">late ≤ {w} t</text>"##,
                left - 10.0,
                y + lane_h / 2.0 + 18.0
            );
        }
        let _ = writeln!(
            o,
            r##"<rect x="{left}" y="{y}" width="{plot_w}" height="{lane_h}" fill="#fafafa" stroke="#dddddd"><title>core {core}: idle where nothing is drawn</title></rect>"##
        );
        for iv in ivs.iter().filter(|iv| iv.end > from && iv.start < to) {
            let (x0, x1) = (x(iv.start), x(iv.end));
            // Real threads often run for microseconds of a millisecond
            // window: keep a sliver visible.
            let w = (x1 - x0).max(if iv.runs.is_some() { 2.0 } else { 0.5 });
            let pr = &m.placed[core][iv.record];
            let window = pr.key.map_or("-/-/-".into(), |k| m.fmt_key(k));
            let tip = format!(
                "{} on core {core}: [{}, {}) ticks, +{} .. +{} us; window {window}, {} (line {})",
                m.runs_name(iv.runs),
                iv.start,
                iv.end,
                m.us_since_epoch(iv.start),
                m.us_since_epoch(iv.end),
                pr.record.reason.as_str(),
                pr.record.line
            );
            if let Some((p, t)) = iv.runs {
                let colour = partition_colour(p);
                // A partition outside its own window is what --check fails
                // on first: outline it in red.
                let outside = pr.key.is_none_or(|k| m.entry(k).owner != Some(p));
                let (stroke, stroke_w, tip) = if outside {
                    ("#d62728", 2.5, format!("{tip}; OUTSIDE its partition's window"))
                } else if w < 6.0 {
                    // A white edge would hide a sliver's colour.
                    ("none", 0.0, tip)
                } else {
                    ("#ffffff", 1.5, tip)
                };
                let _ = writeln!(
                    o,
                    r##"<rect x="{x0:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" rx="{}" fill="{colour}" stroke="{stroke}" stroke-width="{stroke_w}"><title>{}</title></rect>"##,
                    y + 1.0,
                    lane_h - 2.0,
                    if w < 6.0 { 0 } else { 3 },
                    esc(&tip)
                );
                label(&mut o, x0, x1, y + lane_h / 2.0 + 5.0, &spec.threads[t].name, "#ffffff", 13.0);
            } else {
                let _ = writeln!(
                    o,
                    r##"<rect x="{x0:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" fill="#fafafa" fill-opacity="0"><title>{}</title></rect>"##,
                    y + 1.0,
                    lane_h - 2.0,
                    esc(&tip)
                );
            }
            if iv.lost {
                let _ = writeln!(
                    o,
                    r##"<rect x="{x0:.2}" y="{y}" width="{w:.2}" height="{lane_h}" fill="url(#lost)" fill-opacity="0.8"><title>records lost (dropped): what core {core} ran here is unknown</title></rect>"##
                );
            }
            if pr.record.reason == Reason::Missed && iv.start >= from {
                let _ = writeln!(
                    o,
                    r##"<path d="M{x0:.2},{:.1} l-5,-8 h10 z" fill="#d62728"><title>missed boundaries: core {core} resumed in window {window} at {} ticks (line {})</title></path>"##,
                    y + 8.0,
                    iv.start,
                    pr.record.line
                );
            }
        }
    }

    // Planned boundaries: a tick above the lanes and a thin line through them.
    for &(a, _, _, key) in &windows {
        if a < from {
            continue;
        }
        let bx = x(a);
        let frame_start = key.entry == 0;
        let _ = writeln!(
            o,
            r##"<line x1="{bx:.2}" y1="{:.1}" x2="{bx:.2}" y2="{plot_bottom}" stroke="#333333" stroke-opacity="{}" stroke-width="{}"{}/>"##,
            band_y + windows_h,
            if frame_start { "0.6" } else { "0.35" },
            if frame_start { "1.2" } else { "0.8" },
            if frame_start { "" } else { r#" stroke-dasharray="2 3""# }
        );
        let _ = writeln!(
            o,
            r##"<line x1="{bx:.2}" y1="{:.1}" x2="{bx:.2}" y2="{:.1}" stroke="#333333" stroke-width="1.2"/>"##,
            band_y + windows_h,
            top - 2.0
        );
    }
    if let Some(&(_, b, _, _)) = windows.last()
        && b <= to
    {
        let bx = x(b);
        let _ = writeln!(
            o,
            r##"<line x1="{bx:.2}" y1="{:.1}" x2="{bx:.2}" y2="{plot_bottom}" stroke="#333333" stroke-opacity="0.6" stroke-width="1.2"/>"##,
            band_y + windows_h
        );
    }

    // Time axis, since the epoch.
    let axis_y = plot_bottom + 8.0;
    let _ = writeln!(o, r##"<line x1="{left}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="#333"/>"##, left + plot_w);
    let step = axis_step(span_ns, 10);
    let xn = |ns: u64| left + plot_w * ((ns - from_ns) as f64 / span_ns as f64);
    let mut t = from_ns.div_ceil(step) * step;
    while t <= from_ns + span_ns {
        let tx = xn(t);
        let _ = writeln!(o, r##"<line x1="{tx:.2}" y1="{axis_y}" x2="{tx:.2}" y2="{}" stroke="#333"/>"##, axis_y + 5.0);
        let _ = writeln!(
            o,
            r##"<text x="{tx:.2}" y="{}" font-size="11" text-anchor="middle" fill="#333">{}</text>"##,
            axis_y + 18.0,
            fmt_ns_short(t)
        );
        t += step;
    }
    let _ = writeln!(
        o,
        r##"<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#555">time since the epoch</text>"##,
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
    items.push(("spare (plan)".into(), "url(#spare)".into(), "1"));
    items.push(("idle (core ran nothing)".into(), "#fafafa".into(), "1"));
    items.push(("records lost".into(), "url(#lost)".into(), "1"));
    items.push(("missed boundaries (marker)".into(), "missed".into(), "1"));
    let legend_y = axis_y + 48.0;
    for (i, (name, fill, opacity)) in items.iter().enumerate() {
        let col = (i % 4) as f64;
        let row = (i / 4) as f64;
        let lx = left + col * (plot_w / 4.0);
        let ly = legend_y + row * 24.0;
        if fill == "missed" {
            let _ = writeln!(o, r##"<path d="M{},{} l-6,-10 h12 z" fill="#d62728"/>"##, lx + 8.0, ly + 13.0);
        } else {
            let _ = writeln!(
                o,
                r##"<rect x="{lx}" y="{ly}" width="16" height="16" rx="3" fill="{fill}" fill-opacity="{opacity}" stroke="#999999" stroke-width="0.5"/>"##
            );
        }
        let _ = writeln!(
            o,
            r##"<text x="{}" y="{}" font-size="12" fill="#222">{}</text>"##,
            lx + 22.0,
            ly + 12.5,
            esc(name)
        );
    }
    let _ = writeln!(o, "</svg>");
    o
}
