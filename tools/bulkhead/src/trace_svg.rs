//! `bulkhead trace --svg`: what really ran, one lane per core, over a span
//! of major frames, drawn like `bulkhead show --svg` (same layout, same
//! partition colours) so the plan and the run can be laid side by side.
//! The planned windows form the band on top; their boundaries are thin
//! lines through every lane, so a late switch shows as colour past a line.
//! A thread is drawn from its admission by the partition gate to its exit
//! from the guest; the rendezvous before it is idle, as it is on the core.
//! Threads of one partition that the plan puts on one core (ARINC 653
//! processes sharing it) get shades of the partition's colour, one each,
//! named in the legend, and their names on their slices where they fit. A
//! red diamond at the foot of a lane marks each deadline miss, where the
//! core's decision found it.

use std::fmt::Write as _;

use crate::svg::{Layout, LegendItem, Swatch, diamond, esc, label, partition_legend, thread_colour};
use crate::trace::{Model, Reason, Span, Stretch};

/// Draw the span as SVG.
pub fn render_trace_svg(m: &Model<'_>, span: Span) -> String {
    let spec = &m.sys.spec;
    let (from, to) = span.ticks(m);
    let to = to.max(from + 1);
    let span_ns = m.ticks_to_ns(i128::from(to - from)).max(1) as u64;
    let from_ns = m.ticks_to_ns(i128::from(from) - i128::from(m.epoch())).max(0) as u64;

    let mut legend = partition_legend(&spec.partitions);
    legend.push(LegendItem::new("spare (plan)", Swatch::Fill("url(#spare)".into(), "1")));
    legend.push(LegendItem::new("idle (core ran nothing)", Swatch::Fill("#fafafa".into(), "1")));
    legend.push(LegendItem::new("records lost", Swatch::Fill("url(#lost)".into(), "1")));
    legend.push(LegendItem::new("missed boundaries (marker)", Swatch::Marker("#d62728")));
    legend.push(LegendItem::new("deadline missed (marker)", Swatch::Diamond("#d62728")));
    // A thread's shade: its rank among its partition's threads on its core.
    let threads = &spec.threads;
    let rank: Vec<usize> = (0..threads.len())
        .map(|t| {
            (0..t)
                .filter(|&u| threads[u].partition == threads[t].partition && m.thread_core[u] == m.thread_core[t])
                .count()
        })
        .collect();
    for (t, thread) in threads.iter().enumerate() {
        let p = thread.partition as usize;
        let shares = (0..threads.len())
            .any(|u| u != t && threads[u].partition == thread.partition && m.thread_core[u] == m.thread_core[t]);
        if shares {
            legend.push(LegendItem::new(
                format!("{} (core {})", m.runs_name(Some((p, t))), m.thread_core[t]),
                Swatch::Fill(thread_colour(p, rank[t]), "1"),
            ));
        }
    }
    let l = Layout::new(m.intervals.len(), legend.len());
    let (lane_h, windows_h, top, plot_bottom) = (l.lane_h, l.windows_h, l.top, l.plot_bottom);
    let x = |t: u64| l.left + l.plot_w * ((t.clamp(from, to) - from) as f64 / (to - from) as f64);

    let mut o = String::new();
    l.begin(
        &mut o,
        r##"<pattern id="lost" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="8" height="8" fill="#fff0f0"/><line x1="0" y1="0" x2="0" y2="8" stroke="#d62728" stroke-width="2"/></pattern>"##,
        &format!(
            "{} — recorded run, frames {}..{}",
            esc(&spec.module.name),
            span.start_frame,
            span.start_frame.saturating_add(span.frames)
        ),
        &format!(
            "{} cores · counter {} Hz · epoch {} ticks · lanes: what each core ran (switch trace) · band: planned windows",
            m.intervals.len(),
            m.freq().hz(),
            m.epoch()
        ),
    );

    // Planned windows band.
    let band_y = l.band_y();
    l.band_name(&mut o, "plan");
    let windows = m.planned_windows(from, to);
    for &(a, b, owner, key) in &windows {
        let name = m.owner_name(owner);
        let tip = format!("{} window {}: [{a}, {b}) ticks", esc(&name), m.fmt_key(key));
        l.band_window(&mut o, x(a), x(b), owner, &tip, &name);
    }

    // Lanes.
    for (core, ivs) in m.intervals.iter().enumerate() {
        let y = l.lane_y(core);
        l.lane_name(&mut o, y, core);
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
                l.left - 10.0,
                y + lane_h / 2.0 + 18.0
            );
        }
        l.lane_frame(&mut o, y, Some(&format!("core {core}: idle where nothing is drawn")));
        for iv in ivs.iter().filter(|iv| iv.end > from && iv.start < to) {
            let (x0, x1) = (x(iv.start), x(iv.end));
            // Real threads often run for microseconds of a millisecond
            // window: keep a sliver visible.
            let w = (x1 - x0).max(if iv.runs.is_some() { 2.0 } else { 0.5 });
            let pr = &m.placed[core][iv.record];
            let window = pr.key.map_or("-/-/-".into(), |k| m.fmt_key(k));
            let what = match iv.stretch {
                Stretch::Decided => m.runs_name(iv.runs),
                Stretch::Rendezvous => {
                    format!("waiting at the rendezvous to run {}", m.runs_name(pr.record.runs))
                }
                Stretch::Exited => format!("in EL2 after {} left the guest", m.runs_name(pr.record.runs)),
            };
            let tip = format!(
                "{what} on core {core}: [{}, {}) ticks, +{} .. +{} us; window {window}, {} (line {})",
                iv.start,
                iv.end,
                m.us_since_epoch(iv.start),
                m.us_since_epoch(iv.end),
                pr.record.reason.as_str(),
                pr.record.line
            );
            if let Some((p, t)) = iv.runs {
                let colour = thread_colour(p, rank[t]);
                // A partition outside its own window (or let in after it
                // ended) is what --check fails on first: outline it in red.
                let outside =
                    pr.key.is_none_or(|k| m.entry(k).owner != Some(p)) || m.admitted_after_window(iv).is_some();
                let (stroke, stroke_w, tip) = if outside {
                    ("#d62728", 2.5, format!("{tip}; OUTSIDE its partition's window"))
                } else if w < 6.0 {
                    // A white edge would hide a sliver's colour.
                    ("none", 0.0, tip)
                } else {
                    ("#ffffff", 1.5, tip)
                };
                l.run(&mut o, x0, w, y, if w < 6.0 { 0 } else { 3 }, &colour, stroke, stroke_w, &esc(&tip));
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
            if pr.record.reason == Reason::Missed && iv.start == pr.record.ticks && iv.start >= from {
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

    // Deadline misses, over the runs: at the decision that found each.
    for d in m.deadlines.iter().filter(|d| d.miss.ticks >= from && d.miss.ticks < to) {
        let window = d.record.and_then(|i| m.placed[d.core][i].key).map_or("-/-/-".into(), |k| m.fmt_key(k));
        let tip = format!(
            "deadline missed: {}, found at {} ticks (+{} us) by core {}'s decision in window {window} (line {})",
            m.runs_name(Some((d.miss.partition, d.miss.thread))),
            d.miss.ticks,
            m.us_since_epoch(d.miss.ticks),
            d.core,
            d.miss.line
        );
        let _ = writeln!(
            o,
            r##"<path d="{}" fill="#d62728" stroke="#ffffff" stroke-width="0.8"><title>{}</title></path>"##,
            diamond(x(d.miss.ticks), l.lane_y(d.core) + lane_h - 9.0),
            esc(&tip)
        );
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
    l.time_axis(&mut o, from_ns, from_ns + span_ns, "time since the epoch", false);
    l.legend_and_end(&mut o, &legend);
    o
}
