//! The drawing both timelines share: `bulkhead show --svg` (the planned
//! schedule) and `bulkhead trace --svg` (the recorded run) use the same page
//! layout, partition colours, window band, lanes, time axis and legend, so
//! the plan and the run can be laid side by side. What differs (what goes in
//! the lanes, the boundary lines) stays with each drawing.

use std::fmt::Write as _;

use crate::units::fmt_ns_short;
use bulkhead_image::PartitionSpec;

/// Stable colours: partition `id` gets `PALETTE[id % len]` (Tableau 10),
/// chosen for contrast with white labels and with each other.
const PALETTE: &[&str] =
    &["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/// Colour of partition `id`.
pub fn partition_colour(id: usize) -> &'static str {
    PALETTE[id % PALETTE.len()]
}

/// Colour of the `rank`-th of a partition's threads that share a core
/// (`bulkhead trace --svg`): rank 0 is the partition's own colour, the
/// others alternate darker and lighter shades of it, further off with each
/// pair, so siblings on one lane stay apart and still read as one
/// partition.
pub fn thread_colour(partition: usize, rank: usize) -> String {
    let base = partition_colour(partition);
    if rank == 0 {
        return base.to_string();
    }
    let step = rank.div_ceil(2).min(3) as f64 * 0.22;
    let towards = if rank % 2 == 1 { 0.0 } else { 255.0 };
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&base[i..i + 2], 16).unwrap_or(0));
        (c + (towards - c) * step).round() as u8
    };
    format!("#{:02x}{:02x}{:02x}", channel(1), channel(3), channel(5))
}

/// The hatching that marks spare time (`url(#spare)`).
pub const SPARE_PATTERN: &str = r##"<pattern id="spare" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c8c8c8" stroke-width="3"/></pattern>"##;

/// Escape text for XML content and attribute values.
pub fn esc(s: &str) -> String {
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

/// The page: a title, the window band, one lane per core, the time axis and
/// the legend, top to bottom, in pixels.
pub struct Layout {
    pub left: f64,
    pub width: f64,
    pub height: f64,
    pub plot_w: f64,
    pub title_h: f64,
    pub lane_h: f64,
    pub lane_gap: f64,
    pub windows_h: f64,
    /// Top of the first lane.
    pub top: f64,
    /// Bottom of the last lane.
    pub plot_bottom: f64,
}

impl Layout {
    /// The layout for `lanes` lanes and a legend of `legend_items` entries
    /// (four to a row).
    pub fn new(lanes: usize, legend_items: usize) -> Layout {
        let left = 96.0;
        let right = 24.0;
        let width = 1100.0;
        let plot_w: f64 = width - left - right;
        let title_h = 56.0;
        let lane_h = 46.0;
        let lane_gap = 8.0;
        let windows_h = 28.0;
        let lanes = lanes as f64;
        let top = title_h + windows_h + 14.0;
        let plot_bottom = top + lanes * (lane_h + lane_gap) - lane_gap;
        let axis_h = 40.0;
        let legend_rows = legend_items.div_ceil(4) as f64;
        let height = plot_bottom + axis_h + 20.0 + legend_rows * 24.0 + 16.0;
        Layout { left, width, height, plot_w, title_h, lane_h, lane_gap, windows_h, top, plot_bottom }
    }

    /// Top of the window band.
    pub fn band_y(&self) -> f64 {
        self.title_h
    }

    /// Top of lane `lane`.
    pub fn lane_y(&self, lane: usize) -> f64 {
        self.top + lane as f64 * (self.lane_h + self.lane_gap)
    }

    /// The time axis line.
    fn axis_y(&self) -> f64 {
        self.plot_bottom + 8.0
    }

    /// Open the document: the `<svg>` element, the spare hatching and any
    /// `extra_defs`, a white background, the title and the subtitle (both
    /// already escaped).
    pub fn begin(&self, o: &mut String, extra_defs: &str, title: &str, subtitle: &str) {
        let (width, height, left) = (self.width, self.height, self.left);
        let _ = writeln!(
            o,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#
        );
        let _ = writeln!(o, "<defs>{SPARE_PATTERN}{extra_defs}</defs>");
        let _ = writeln!(o, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
        let _ =
            writeln!(o, r##"<text x="{left}" y="26" font-size="18" font-weight="bold" fill="#222">{title}</text>"##);
        let _ = writeln!(o, r##"<text x="{left}" y="46" font-size="12" fill="#555">{subtitle}</text>"##);
    }

    /// The window band's name, left of it.
    pub fn band_name(&self, o: &mut String, name: &str) {
        let _ = writeln!(
            o,
            r##"<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#333">{name}</text>"##,
            self.left - 10.0,
            self.band_y() + 18.0
        );
    }

    /// One window in the band, from `x0` to `x1`: its owner's colour (or
    /// hatched if spare), the tooltip `tip` (already escaped) and the owner's
    /// `name` if it fits.
    pub fn band_window(&self, o: &mut String, x0: f64, x1: f64, owner: Option<usize>, tip: &str, name: &str) {
        let (band_y, windows_h) = (self.band_y(), self.windows_h);
        let fill = owner.map_or("url(#spare)".to_string(), |p| partition_colour(p).to_string());
        let _ = writeln!(
            o,
            r##"<rect x="{x0:.2}" y="{band_y}" width="{:.2}" height="{windows_h}" fill="{fill}" fill-opacity="{}" stroke="#ffffff" stroke-width="1"><title>{tip}</title></rect>"##,
            (x1 - x0).max(0.5),
            if owner.is_some() { "0.55" } else { "1" },
        );
        label(o, x0, x1, band_y + windows_h / 2.0 + 4.0, name, "#222", 12.0);
    }

    /// The name of the lane whose top is `y`, left of it.
    pub fn lane_name(&self, o: &mut String, y: f64, core: impl std::fmt::Display) {
        let _ = writeln!(
            o,
            r##"<text x="{}" y="{:.1}" font-size="14" font-weight="bold" text-anchor="end" fill="#333">core {core}</text>"##,
            self.left - 10.0,
            y + self.lane_h / 2.0 + 5.0
        );
    }

    /// The empty lane whose top is `y`, with an optional tooltip (already
    /// escaped).
    pub fn lane_frame(&self, o: &mut String, y: f64, tip: Option<&str>) {
        let (left, plot_w, lane_h) = (self.left, self.plot_w, self.lane_h);
        let open =
            format!(r##"<rect x="{left}" y="{y}" width="{plot_w}" height="{lane_h}" fill="#fafafa" stroke="#dddddd""##);
        let _ = match tip {
            None => writeln!(o, "{open}/>"),
            Some(tip) => writeln!(o, "{open}><title>{tip}</title></rect>"),
        };
    }

    /// A thread's run in the lane whose top is `y`: `w` wide from `x0`, in
    /// `colour`, with the tooltip `tip` (already escaped).
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        o: &mut String,
        x0: f64,
        w: f64,
        y: f64,
        rx: u32,
        colour: &str,
        stroke: &str,
        stroke_w: f64,
        tip: &str,
    ) {
        let _ = writeln!(
            o,
            r##"<rect x="{x0:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" rx="{rx}" fill="{colour}" stroke="{stroke}" stroke-width="{stroke_w}"><title>{tip}</title></rect>"##,
            y + 1.0,
            self.lane_h - 2.0,
        );
    }

    /// The time axis under the lanes: `from_ns` to `to_ns` across the plot,
    /// ticks at round multiples, `caption` under its right end; `close` adds
    /// a tick at `to_ns` when it is not a round one.
    pub fn time_axis(&self, o: &mut String, from_ns: u64, to_ns: u64, caption: &str, close: bool) {
        let (left, plot_w, axis_y) = (self.left, self.plot_w, self.axis_y());
        let span_ns = to_ns - from_ns;
        let _ =
            writeln!(o, r##"<line x1="{left}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="#333"/>"##, left + plot_w);
        let step = axis_step(span_ns, 10);
        let x = |ns: u64| left + plot_w * ((ns - from_ns) as f64 / span_ns as f64);
        let tick = |o: &mut String, tx: f64| {
            let _ =
                writeln!(o, r##"<line x1="{tx:.2}" y1="{axis_y}" x2="{tx:.2}" y2="{}" stroke="#333"/>"##, axis_y + 5.0);
        };
        let mut t = from_ns.div_ceil(step) * step;
        while t <= to_ns {
            let tx = x(t);
            tick(o, tx);
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
        if close && !span_ns.is_multiple_of(step) {
            tick(o, x(to_ns));
        }
        let _ = writeln!(
            o,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#555">{caption}</text>"##,
            left + plot_w,
            axis_y + 34.0
        );
    }

    /// The legend under the axis, four entries to a row; then close the
    /// document.
    pub fn legend_and_end(&self, o: &mut String, items: &[LegendItem]) {
        let legend_y = self.axis_y() + 48.0;
        for (i, item) in items.iter().enumerate() {
            let col = (i % 4) as f64;
            let row = (i / 4) as f64;
            let lx = self.left + col * (self.plot_w / 4.0);
            let ly = legend_y + row * 24.0;
            match &item.swatch {
                Swatch::Fill(fill, opacity) => {
                    let _ = writeln!(
                        o,
                        r##"<rect x="{lx}" y="{ly}" width="16" height="16" rx="3" fill="{fill}" fill-opacity="{opacity}" stroke="#999999" stroke-width="0.5"/>"##
                    );
                }
                Swatch::Marker(colour) => {
                    let _ = writeln!(o, r##"<path d="M{},{} l-6,-10 h12 z" fill="{colour}"/>"##, lx + 8.0, ly + 13.0);
                }
                Swatch::Diamond(colour) => {
                    let _ = writeln!(o, r##"<path d="{}" fill="{colour}"/>"##, diamond(lx + 8.0, ly + 8.0));
                }
            }
            let _ = writeln!(
                o,
                r##"<text x="{}" y="{}" font-size="12" fill="#222">{}</text>"##,
                lx + 22.0,
                ly + 12.5,
                esc(&item.name)
            );
        }
        let _ = writeln!(o, "</svg>");
    }
}

/// How a legend entry is drawn.
pub enum Swatch {
    /// A square of this fill and fill opacity.
    Fill(String, &'static str),
    /// A downward triangle of this colour.
    Marker(&'static str),
    /// A diamond of this colour.
    Diamond(&'static str),
}

/// The path of a small diamond centred on (`x`, `y`).
pub fn diamond(x: f64, y: f64) -> String {
    format!("M{x:.2},{:.1} l6,7 l-6,7 l-6,-7 z", y - 7.0)
}

/// One legend entry.
pub struct LegendItem {
    pub name: String,
    pub swatch: Swatch,
}

impl LegendItem {
    pub fn new(name: impl Into<String>, swatch: Swatch) -> LegendItem {
        LegendItem { name: name.into(), swatch }
    }
}

/// A legend entry per partition, in its colour (system ones marked).
pub fn partition_legend(partitions: &[PartitionSpec]) -> Vec<LegendItem> {
    partitions
        .iter()
        .enumerate()
        .map(|(id, p)| {
            let tag = if p.system { format!("{} (system)", p.name) } else { p.name.clone() };
            LegendItem::new(tag, Swatch::Fill(partition_colour(id).to_string(), "1"))
        })
        .collect()
}

/// A centred label, dropped if it would not fit between `x0` and `x1`.
pub fn label(o: &mut String, x0: f64, x1: f64, y: f64, text: &str, colour: &str, size: f64) {
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
