//! Horizontal bar charts as inline SVG, drawn here rather than by a script so the report shows
//! them without JavaScript and stays byte-for-byte deterministic.

use std::fmt::Write;

use minijinja::HtmlEscape;

/// One bar: what it counts, its value, how the value reads, and a CSS class for its colour.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as printed beside the bar (`12`, `87.5 %`, `n/a`).
    pub shown: String,
    pub class: &'static str,
}

impl Bar {
    pub fn count(label: impl Into<String>, count: usize, class: &'static str) -> Self {
        Bar {
            label: label.into(),
            value: count as f64,
            shown: super::digits(count),
            class,
        }
    }
}

const WIDTH: f64 = 440.0;
const LABEL_WIDTH: f64 = 180.0;
/// Room right of the longest bar for its value.
const VALUE_WIDTH: f64 = 64.0;
const ROW: f64 = 24.0;
const BAR_HEIGHT: f64 = 16.0;
/// Labels longer than this are cut (the full label is the bar's tooltip).
const LABEL_CHARS: usize = 22;

/// A chart of `bars` scaled so that `full` fills the bar area (a score chart passes 100, a
/// count chart its largest count). `title` names the chart for screen readers.
pub(crate) fn bar_chart(title: &str, bars: &[Bar], full: f64) -> String {
    let area = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let rows = bars.len().max(1);
    let height = rows as f64 * ROW + 8.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{title}"><title>{title}</title>"#,
        title = HtmlEscape(title),
    );
    if bars.is_empty() {
        let _ = write!(
            svg,
            r#"<text class="empty" x="{x}" y="{y}" text-anchor="middle">nothing to show</text>"#,
            x = WIDTH / 2.0,
            y = ROW * 0.75,
        );
    }
    for (row, bar) in bars.iter().enumerate() {
        let top = 4.0 + row as f64 * ROW;
        let width = if full > 0.0 {
            (bar.value.max(0.0) / full).min(1.0) * area
        } else {
            0.0
        };
        let label = HtmlEscape(&bar.label);
        let short: String = if bar.label.chars().count() > LABEL_CHARS {
            bar.label
                .chars()
                .take(LABEL_CHARS - 1)
                .chain(['…'])
                .collect()
        } else {
            bar.label.clone()
        };
        let _ = write!(
            svg,
            concat!(
                r#"<g class="bar" data-label="{label}" data-value="{value}"><title>{label}: {shown}</title>"#,
                r#"<text x="{label_x}" y="{text_y:.1}" text-anchor="end">{short}</text>"#,
                r#"<rect class="{class}" x="{LABEL_WIDTH}" y="{top:.1}" width="{width:.1}" height="{BAR_HEIGHT}" rx="2"></rect>"#,
                r#"<text x="{value_x:.1}" y="{text_y:.1}">{shown}</text></g>"#,
            ),
            label = label,
            value = bar.value,
            shown = HtmlEscape(&bar.shown),
            top = top,
            width = width,
            label_x = LABEL_WIDTH - 6.0,
            text_y = top + BAR_HEIGHT - 4.0,
            short = HtmlEscape(&short),
            class = bar.class,
            value_x = LABEL_WIDTH + width + 4.0,
            LABEL_WIDTH = LABEL_WIDTH,
            BAR_HEIGHT = BAR_HEIGHT,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The `data-label`/`data-value` pairs of a chart, as a browser would read them.
    pub(crate) fn bars_of(svg: &str) -> Vec<(String, f64)> {
        svg.split(r#"<g class="bar" data-label=""#)
            .skip(1)
            .map(|rest| {
                let (label, rest) = rest.split_once('"').unwrap();
                let value = rest
                    .strip_prefix(r#" data-value=""#)
                    .and_then(|v| v.split_once('"'))
                    .unwrap()
                    .0;
                (label.to_string(), value.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn bars_are_scaled_to_the_full_value() {
        let svg = bar_chart(
            "t",
            &[Bar::count("a", 10, "x"), Bar::count("b", 5, "y")],
            10.0,
        );
        let area = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
        assert!(svg.contains(&format!(r#"width="{area:.1}""#)), "{svg}");
        assert!(
            svg.contains(&format!(r#"width="{:.1}""#, area / 2.0)),
            "{svg}"
        );
        assert_eq!(
            bars_of(&svg),
            [("a".to_string(), 10.0), ("b".to_string(), 5.0)]
        );
    }

    #[test]
    fn labels_are_escaped_and_long_ones_cut() {
        let hostile = "<script>alert(1)</script>-and-a-very-long-tail";
        let svg = bar_chart("a & b", &[Bar::count(hostile, 1, "x")], 1.0);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;-and"));
        assert!(svg.contains("aria-label=\"a &amp; b\""));
        assert!(svg.contains("…</text>"));
    }

    #[test]
    fn an_empty_chart_says_so_and_a_zero_scale_draws_no_bar() {
        assert!(bar_chart("t", &[], 0.0).contains("nothing to show"));
        let svg = bar_chart("t", &[Bar::count("a", 0, "x")], 0.0);
        assert!(svg.contains(r#"width="0.0""#));
    }
}
