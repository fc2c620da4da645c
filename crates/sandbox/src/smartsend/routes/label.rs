//! Shipping labels: a small, valid PDF 1.4 written by hand (one A6 page, Helvetica text, a
//! correct cross-reference table), so a label URL downloads something a PDF reader opens.

/// What a label shows.
#[derive(Debug, Clone)]
pub(super) struct Label {
    pub carrier: String,
    pub service: String,
    pub tracking_code: String,
    pub receiver: Vec<String>,
    pub reference: Option<String>,
}

/// `text` as a PDF literal string in WinAnsiEncoding: Latin-1 characters as their byte, others
/// as `?`, with `(`, `)` and `\` escaped.
fn literal(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            c if (c as u32) < 0x20 => out.push(b' '),
            c if (c as u32) <= 0xFF => out.push(c as u32 as u8),
            _ => out.push(b'?'),
        }
    }
    out.push(b')');
    out
}

/// The label as PDF bytes: starts with `%PDF-1.4`, ends with `%%EOF`.
pub(super) fn pdf(label: &Label) -> Vec<u8> {
    // The page's text, top to bottom: (font size, text).
    let mut lines: Vec<(u32, String)> = vec![
        (18, label.carrier.clone()),
        (11, label.service.clone()),
        (14, label.tracking_code.clone()),
        (9, "Receiver:".to_owned()),
    ];
    lines.extend(label.receiver.iter().map(|l| (11, l.clone())));
    if let Some(reference) = &label.reference {
        lines.push((9, format!("Reference: {reference}")));
    }
    lines.push((
        7,
        "Smart Send sandbox label - not valid for shipping".to_owned(),
    ));

    let mut content = Vec::new();
    content.extend_from_slice(b"BT\n");
    let mut y = 390;
    for (size, text) in &lines {
        content.extend_from_slice(format!("/F1 {size} Tf\n1 0 0 1 20 {y} Tm\n").as_bytes());
        content.extend(literal(text));
        content.extend_from_slice(b" Tj\n");
        y -= size + 10;
    }
    content.extend_from_slice(b"ET\n");

    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        // A6 portrait: 105 x 148 mm.
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
        {
            let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            stream.extend_from_slice(&content);
            stream.extend_from_slice(b"endstream");
            stream
        },
    ];

    // The binary comment line marks the file as binary for transfer tools.
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n", objects.len() + 1).as_bytes());
    // Each entry is exactly 20 bytes, the line end included.
    out.extend_from_slice(b"0000000000 65535 f \n");
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_is_a_pdf_with_a_correct_cross_reference_table() {
        let bytes = pdf(&Label {
            carrier: "PostNord".into(),
            service: "MyPack Collect".into(),
            tracking_code: "00370723478512345678".into(),
            receiver: vec!["Mette Hansen (privat)".into(), "København V".into()],
            reference: Some("Order-5521".into()),
        });
        assert!(bytes.starts_with(b"%PDF-1.4"));
        assert!(bytes.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&bytes);
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(bytes[startxref..].starts_with(b"xref\n"));
        // Every in-use entry points at its object's header.
        let table = &text[text.find("xref\n").unwrap()..];
        for (n, line) in table.lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(bytes[offset..].starts_with(format!("{} 0 obj", n + 1).as_bytes()));
        }
        // Latin-1 text is written as single bytes; parentheses are escaped.
        assert!(bytes.windows(11).any(|w| w == b"K\xF8benhavn V"));
        assert!(text.contains("\\(privat\\)"));
    }
}
