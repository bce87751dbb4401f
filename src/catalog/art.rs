//! Product artwork drawn by the code itself, so the demo shop needs no downloaded images.
//!
//! An image is named `<kind>-<rrggbb>-<n>.svg`: an item silhouette (`kind`), the category's
//! colour, and one of six compositions (`n`). The same name always gives the same image,
//! so responses can be cached forever.

/// The items we can draw, each as an SVG path in a 200×200 box.
const SHAPES: &[(&str, &str)] = &[
    ("tshirt", "M70 40 L50 48 L28 74 L46 90 L58 80 L58 165 L142 165 L142 80 L154 90 L172 74 L150 48 L130 40 Q100 62 70 40 Z"),
    ("hoodie", "M72 44 Q100 20 128 44 L152 52 L174 112 L154 120 L142 96 L142 166 L58 166 L58 96 L46 120 L26 112 L48 52 Z M84 48 Q100 76 116 48"),
    ("jacket", "M70 38 L100 56 L130 38 L156 50 L170 160 L146 164 L140 100 L140 168 L60 168 L60 100 L54 164 L30 160 L44 50 Z M100 56 L100 168"),
    ("mug", "M52 60 L132 60 L126 160 Q92 170 58 160 Z M132 80 Q166 82 160 112 Q156 134 128 132"),
    ("candle", "M64 80 L136 80 L136 164 Q100 174 64 164 Z M100 44 Q112 60 100 72 Q88 60 100 44 Z M100 72 L100 80"),
    ("blanket", "M36 62 Q100 40 164 62 L164 150 Q100 172 36 150 Z M36 92 Q100 72 164 92 M36 122 Q100 102 164 122"),
    ("backpack", "M62 58 Q100 28 138 58 L144 166 Q100 176 56 166 Z M76 104 L124 104 L124 146 L76 146 Z M82 58 Q100 42 118 58"),
    ("bottle", "M84 30 L116 30 L116 52 Q140 64 138 92 L138 164 Q100 176 62 164 L62 92 Q60 64 84 52 Z"),
    ("tent", "M100 36 L176 160 L24 160 Z M100 36 L100 160 M86 160 L100 110 L114 160"),
    ("hat", "M40 130 Q100 104 160 130 Q160 146 100 146 Q40 146 40 130 Z M64 124 Q66 62 100 60 Q134 62 136 124"),
    ("socks", "M78 32 L112 32 L112 120 L148 138 Q164 150 150 166 L96 166 Q76 162 76 140 Z"),
    ("bag", "M46 76 L154 76 L146 168 L54 168 Z M74 76 Q74 36 100 36 Q126 36 126 76"),
];

/// The SVG for an image file name, or `None` when the name is not one we draw.
pub fn svg(file_name: &str) -> Option<String> {
    let stem = file_name.strip_suffix(".svg")?;
    let mut parts = stem.rsplitn(3, '-');
    let n: u32 = parts.next()?.parse().ok().filter(|n| *n < 6)?;
    let colour = parts.next().filter(|c| {
        c.len() == 6
            && c.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })?;
    let kind = parts.next()?;
    let path = SHAPES.iter().find(|(k, _)| *k == kind)?.1;
    Some(draw(path, colour, n))
}

fn draw(path: &str, colour: &str, n: u32) -> String {
    // Six compositions: background tint, rotation and a scatter of dots.
    let backgrounds = [
        "#f5f5f4", "#fef3c7", "#ecfdf5", "#eff6ff", "#fdf2f8", "#f5f3ff",
    ];
    let background = backgrounds[n as usize % backgrounds.len()];
    let tilt = [-6, 0, 5, -3, 8, 2][n as usize % 6];
    let dots: String = (0..7)
        .map(|i| {
            let x = (37 * (i + 1) + 53 * n) % 200;
            let y = (71 * (i + 2) + 29 * n) % 200;
            let r = 3 + (i + n) % 5;
            format!(r##"<circle cx="{x}" cy="{y}" r="{r}" fill="#{colour}" opacity=".15"/>"##)
        })
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="600" height="600"><rect width="200" height="200" fill="{background}"/>{dots}<ellipse cx="100" cy="172" rx="62" ry="8" fill="#000" opacity=".08"/><g transform="rotate({tilt} 100 100)"><path d="{path}" fill="#{colour}" fill-opacity=".9" stroke="#{colour}" stroke-width="3" stroke-linejoin="round" fill-rule="evenodd"/></g></svg>"##
    )
}

#[cfg(test)]
mod tests {
    use super::svg;

    #[test]
    fn known_names_draw_and_unknown_ones_do_not() {
        let image = svg("hoodie-0f766e-2.svg").expect("drawn");
        assert!(image.starts_with("<svg"));
        assert!(image.contains("#0f766e"));
        assert_eq!(svg("hoodie-0f766e-2.svg"), Some(image));
        for bad in [
            "hoodie-0f766e-6.svg",
            "hoodie-0F766E-1.svg",
            "spaceship-0f766e-1.svg",
            "hoodie-0f766e-1.png",
            "hoodie-<script>-1.svg",
            "../../etc/passwd",
            "",
        ] {
            assert!(svg(bad).is_none(), "{bad:?}");
        }
    }
}
