//! The report's charts, drawn by plotters as SVG with the kiosk's own Noto Sans (its metrics
//! lay the labels out, so the layout does not depend on the fonts of the machine), and
//! rasterized to PNG by resvg with the same font. Bars are drawn one by one in order (not
//! through plotters' `Histogram`, which groups them in a hash map and so writes them in a
//! different order each run). Same tables, same bytes.

use super::tables::Tables;
use anyhow::{anyhow, Context, Result};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The font every label is set in (registered with plotters and resvg under this name).
const FONT: &str = "Noto Sans";
/// Noto Sans Regular (OFL, assets/fonts/OFL.txt).
static FONT_BYTES: &[u8] = include_bytes!("../../../../assets/fonts/NotoSans-Regular.ttf");
/// A chart's size in px.
const SIZE: (u32, u32) = (960, 440);
/// The bars: the kiosk's accent blue.
const BAR: RGBColor = RGBColor(0x1f, 0x5f, 0x99);
/// Bars in a chart by time, at most, that get a label each; more are labelled in steps.
const LABELS: usize = 16;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing a chart failed: {e}")
}

fn register_font() -> Result<()> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    ok.then_some(())
        .ok_or_else(|| anyhow!("the chart font (Noto Sans) does not load"))
}

/// The y axis's top: a little room over the tallest bar.
fn top(bars: &[(String, u64)]) -> u64 {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0);
    max + max / 8 + 1
}

/// The far edge of bar `i` of `n` on a segmented axis (the last one's is the axis end).
fn right_edge(i: usize, n: usize) -> SegmentValue<usize> {
    if i + 1 < n {
        SegmentValue::Exact(i + 1)
    } else {
        SegmentValue::Last
    }
}

/// The bars largest first (then by name): statements, pages, kiosks.
fn largest_first(bars: &[(String, u64)]) -> Vec<(String, u64)> {
    let mut v = bars.to_vec();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Bars standing on a category axis (time, buckets), labelled by `label`, every
/// `LABELS`-th or so when there are many.
fn columns(
    title: &str,
    y_desc: &str,
    bars: &[(String, u64)],
    label: &dyn Fn(&str) -> String,
) -> Result<String> {
    register_font()?;
    let n = bars.len().max(1);
    let every = n.div_ceil(LABELS).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(72)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0u64..top(bars))
            .map_err(err)?;
        let fmt = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) if i % every == 0 => {
                bars.get(*i).map(|b| label(&b.0)).unwrap_or_default()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&fmt)
            .y_desc(y_desc)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(err)?;
        let margin = if n > 40 { 1 } else { 6 };
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let mut r = Rectangle::new(
                    [(SegmentValue::Exact(i), 0), (right_edge(i, n), b.1)],
                    BAR.filled(),
                );
                r.set_margin(0, 0, margin, margin);
                r
            }))
            .map_err(err)?;
        if n <= 24 {
            // The count over each bar.
            chart
                .draw_series(bars.iter().enumerate().map(|(i, b)| {
                    Text::new(
                        b.1.to_string(),
                        (SegmentValue::CenterOf(i), b.1),
                        (FONT, 13)
                            .into_font()
                            .color(&BLACK)
                            .pos(Pos::new(HPos::Center, VPos::Bottom)),
                    )
                }))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Bars lying along a value axis, one per named thing (statements, pages, kiosks).
fn rows(title: &str, x_desc: &str, bars: &[(String, u64)]) -> Result<String> {
    register_font()?;
    let n = bars.len().max(1);
    let mut svg = String::new();
    {
        let height = SIZE.1.max(80 + 26 * n as u32);
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let longest = bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(4);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size((longest as u32 * 8 + 16).clamp(60, 360))
            .build_cartesian_2d(0u64..top(bars), (0..n - 1).into_segmented())
            .map_err(err)?;
        // The first bar at the top.
        let at = |i: usize| n - 1 - i;
        let fmt = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => bars.get(at(*i)).map(|b| b.0.clone()).unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&fmt)
            .x_desc(x_desc)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let mut r = Rectangle::new(
                    [(0, SegmentValue::Exact(at(i))), (b.1, right_edge(at(i), n))],
                    BAR.filled(),
                );
                r.set_margin(4, 4, 0, 0);
                r
            }))
            .map_err(err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                Text::new(
                    format!(" {}", b.1),
                    (b.1, SegmentValue::CenterOf(at(i))),
                    (FONT, 13)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                )
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Each bar's share of the whole, in its label: `kk (41%)`.
fn with_shares(bars: &[(String, u64)]) -> Vec<(String, u64)> {
    let all: u64 = bars.iter().map(|b| b.1).sum();
    bars.iter()
        .map(|(k, n)| {
            let pct = (*n as f64 * 100.0 / all.max(1) as f64).round();
            (format!("{k} ({pct}%)"), *n)
        })
        .collect()
}

/// Every chart: (file stem, title, SVG).
pub fn all(t: &Tables) -> Result<Vec<(&'static str, String, String)>> {
    let hour = |h: &str| h.get(5..).unwrap_or(h).replace('T', " ") + "h";
    let day = |d: &str| d.get(5..).unwrap_or(d).to_string();
    let same = |s: &str| s.to_string();
    let mut out = Vec::new();
    let mut put = |stem: &'static str, title: &str, svg: Result<String>| -> Result<()> {
        out.push((stem, title.to_string(), svg?));
        Ok(())
    };
    let title = "Visitors per hour (UTC)";
    put(
        "visitors-per-hour",
        title,
        columns(title, "sessions", &t.per_hour, &hour),
    )?;
    let title = "Visitors per day";
    put(
        "visitors-per-day",
        title,
        columns(title, "sessions", &t.per_day, &day),
    )?;
    let title = "Visitors per kiosk";
    put(
        "visitors-per-kiosk",
        title,
        rows(title, "sessions", &largest_first(&t.per_kiosk)),
    )?;
    let title = "Language chosen";
    put(
        "language",
        title,
        rows(title, "sessions", &with_shares(&t.language)),
    )?;
    let title = "Statements opened";
    put(
        "statements-opened",
        title,
        rows(title, "times opened", &largest_first(&t.opened)),
    )?;
    let title = "Pages read, by statement and edition";
    put(
        "pages-read",
        title,
        rows(title, "pages shown", &largest_first(&t.pages)),
    )?;
    let title = "Session length";
    put(
        "session-length",
        title,
        columns(title, "sessions", &t.session_length, &same),
    )?;
    let title = "Contents list and page jumps";
    put("jumps", title, rows(title, "jumps", &t.jumps))?;
    Ok(out)
}

/// SVG to PNG with resvg, the text in the same Noto Sans.
pub struct Rasterizer {
    options: resvg::usvg::Options<'static>,
}

impl Rasterizer {
    pub fn new() -> Rasterizer {
        let mut options = resvg::usvg::Options {
            font_family: FONT.to_string(),
            ..Default::default()
        };
        options.fontdb_mut().load_font_data(FONT_BYTES.to_vec());
        Rasterizer { options }
    }

    /// The chart as an RGB PNG on white.
    pub fn png(&self, svg: &str) -> Result<Vec<u8>> {
        let tree = resvg::usvg::Tree::from_str(svg, &self.options)
            .map_err(|e| anyhow!("a chart's SVG does not parse: {e}"))?;
        let size = tree.size().to_int_size();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
            .context("a chart has no size")?;
        pixmap.fill(resvg::tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            resvg::tiny_skia::Transform::default(),
            &mut pixmap.as_mut(),
        );
        // Opaque on white: premultiplied RGBA is plain RGBA; the alpha is dropped.
        let rgb: Vec<u8> = pixmap
            .data()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        Ok(bitig_io::png::encode(
            size.width(),
            size.height(),
            bitig_io::png::Color::Rgb,
            &rgb,
        )?)
    }
}
