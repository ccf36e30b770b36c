//! Charts as SVG, drawn once on the server and embedded in PDF reports: a bar chart of
//! labelled counts with a light grid, value axis and labels. Labels are escaped as XML text.

/// A bar chart `width`×`height` pixels (points in the PDF).
pub fn bars(points: &[(String, u64)], width: f64, height: f64) -> String {
    let (left, right, top, bottom) = (48.0, 8.0, 10.0, 46.0);
    let plot_w = (width - left - right).max(1.0);
    let plot_h = (height - top - bottom).max(1.0);
    let max = points.iter().map(|p| p.1).max().unwrap_or(0);
    let scale_max = nice_max(max);
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Inter" font-size="9">"##
    );
    // Grid lines and value labels at fifths of the scale.
    for i in 0..=5 {
        let v = scale_max * i / 5;
        let y = top + plot_h - plot_h * (v as f64 / scale_max.max(1) as f64);
        svg.push_str(&format!(
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e3e6ea" stroke-width="0.6"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
            left + plot_w,
            left - 6.0,
            y + 3.0,
            super::count(v)
        ));
    }
    let n = points.len().max(1) as f64;
    let slot = plot_w / n;
    let bar = (slot * 0.7).max(1.0);
    // Label every k-th bar so labels do not overlap.
    let every = ((n * 34.0 / plot_w).ceil() as usize).max(1);
    for (i, (label, value)) in points.iter().enumerate() {
        let h = plot_h * (*value as f64 / scale_max.max(1) as f64);
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let y = top + plot_h - h;
        svg.push_str(&format!(
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="#2f6fb0"/>"##
        ));
        if i % every == 0 {
            let cx = x + bar / 2.0;
            let ly = top + plot_h + 10.0;
            // Few bars have room for level labels; many get slanted ones.
            let (anchor, turn) = if points.len() > 8 {
                (
                    "end",
                    format!(r#" transform="rotate(-35 {cx:.1} {ly:.1})""#),
                )
            } else {
                ("middle", String::new())
            };
            svg.push_str(&format!(
                r##"<text x="{cx:.1}" y="{:.1}" text-anchor="{anchor}" fill="#333"{turn}>{}</text>"##,
                ly + if turn.is_empty() { 3.0 } else { 0.0 },
                escape(label)
            ));
        }
    }
    svg.push_str(&format!(
        r##"<line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#888" stroke-width="0.8"/></svg>"##,
        top + plot_h,
        left + plot_w,
        top + plot_h
    ));
    svg
}

/// The smallest 1, 2 or 5 times a power of ten at or above `max` (at least 5).
fn nice_max(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let v = m * step;
            if v >= max && v >= 5 {
                return v;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// XML text escaping.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_round_numbers() {
        assert_eq!(nice_max(0), 5);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(480), 500);
        assert_eq!(nice_max(501), 1000);
    }

    #[test]
    fn labels_are_text_not_markup() {
        let svg = bars(&[("<script>&".into(), 3)], 300.0, 150.0);
        assert!(svg.contains("&lt;script&gt;&amp;"), "{svg}");
        assert!(!svg.contains("<script>"));
        assert_eq!(svg.matches("<rect").count(), 1);
    }
}
