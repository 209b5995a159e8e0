//! The report as JSON, CSV (UTF-8 with BOM, comma or semicolon) and a self-contained
//! HTML page in Turkish with inline SVG charts, printable on A4.
//!
//! ```
//! use muhtar_core::report::{render, Cube, Quarter, QuarterlyReport};
//! let org = muhtar_core::testkit::fixtures::organisation("demo");
//! let q: Quarter = "2025Q1".parse().unwrap();
//! let r = QuarterlyReport::build(&Cube::default(), &org, q, None, q.end());
//! assert!(render::json(&r).contains("\"format\": \"muhtar-quarterly-report/1\""));
//! let csv = render::csv(&r, render::CsvOptions { separator: render::Separator::Semicolon });
//! assert!(csv.starts_with('\u{feff}'));
//! assert!(render::html(&r).contains("<svg"));
//! ```

use std::fmt::Write as _;

use super::{Counts, QuarterlyReport, Row, SignedReport, SnapshotCheck};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// JSON with the stable field names.
    Json,
    /// CSV for spreadsheets.
    Csv,
    /// A self-contained HTML page.
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            _ => Err(format!(
                "unknown report format {s:?}: expected json, csv or html"
            )),
        }
    }
}

/// The CSV field separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Separator {
    /// `,` with `.` as the decimal point.
    #[default]
    Comma,
    /// `;` with `,` as the decimal point: what a spreadsheet in Turkish locale expects.
    Semicolon,
}

/// CSV options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsvOptions {
    /// Field separator (and with it the decimal mark).
    pub separator: Separator,
}

/// The report as pretty-printed JSON.
pub fn json(r: &QuarterlyReport) -> String {
    serde_json::to_string_pretty(r).expect("a report always serialises")
}

/// A signed report (sign-off data and the frozen report) as pretty-printed JSON.
pub fn signed_json(s: &SignedReport) -> String {
    serde_json::to_string_pretty(s).expect("a report always serialises")
}

/// The report in `format` (`csv` options apply to CSV only).
pub fn render(r: &QuarterlyReport, format: Format, csv: CsvOptions) -> String {
    match format {
        Format::Json => json(r),
        Format::Csv => csv_inner(r, csv, None),
        Format::Html => html(r),
    }
}

/// A signed report in `format`: JSON includes the sign-off data; CSV and HTML show it.
pub fn render_signed(s: &SignedReport, format: Format, csv: CsvOptions) -> String {
    match format {
        Format::Json => signed_json(s),
        Format::Csv => csv_inner(&s.report, csv, Some((s, None))),
        Format::Html => html_inner(&s.report, Some((s, None))),
    }
}

/// A signed quarter's report as `muhtar report --quarter` gives it: the frozen report
/// with its sign-off and `check`, how today's data compares with it. JSON is the
/// report's own JSON (the fields of [`json`]) with a `signed` object
/// ([`SignedReport::signature_json`], and `needs_correction`/`corrections` when there
/// are correction marks); CSV and HTML show the sign-off, the comparison
/// ([`SnapshotCheck::note`]) and the marks as [`render_signed_marked`] does.
pub fn render_signed_checked(
    s: &SignedReport,
    check: &SnapshotCheck,
    format: Format,
    csv: CsvOptions,
    corrections: &[crate::store::ReportCorrection],
) -> String {
    match format {
        Format::Json => {
            let mut v = serde_json::to_value(&s.report).unwrap_or_default();
            let mut signed = s.signature_json(Some(check));
            if let (Some(o), false) = (signed.as_object_mut(), corrections.is_empty()) {
                o.insert("needs_correction".into(), true.into());
                o.insert(
                    "corrections".into(),
                    serde_json::to_value(corrections).unwrap_or_default(),
                );
            }
            if let Some(o) = v.as_object_mut() {
                o.insert("signed".into(), signed);
            }
            serde_json::to_string_pretty(&v).expect("a report always serialises")
        }
        Format::Csv => with_marks(
            csv_inner(&s.report, csv, Some((s, Some(check)))),
            format,
            corrections,
        ),
        Format::Html => with_marks(
            html_inner(&s.report, Some((s, Some(check)))),
            format,
            corrections,
        ),
    }
}

/// [`render_signed`] with the report's correction marks
/// ([`crate::store::ReportCorrection`]): JSON gains `needs_correction` and `corrections`;
/// HTML a notice under the title naming each late request and its reason; CSV a
/// `# düzeltme gerekli` comment line first. With no marks, exactly [`render_signed`].
pub fn render_signed_marked(
    s: &SignedReport,
    format: Format,
    csv: CsvOptions,
    corrections: &[crate::store::ReportCorrection],
) -> String {
    with_marks(render_signed(s, format, csv), format, corrections)
}

/// `out`, a signed report in `format`, with the correction marks of
/// [`render_signed_marked`].
fn with_marks(
    out: String,
    format: Format,
    corrections: &[crate::store::ReportCorrection],
) -> String {
    if corrections.is_empty() {
        return out;
    }
    match format {
        Format::Json => {
            let mut v: serde_json::Value =
                serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("needs_correction".into(), true.into());
                o.insert(
                    "corrections".into(),
                    serde_json::to_value(corrections).unwrap_or_default(),
                );
            }
            serde_json::to_string_pretty(&v).unwrap_or(out)
        }
        Format::Csv => format!(
            "# düzeltme gerekli: imzadan sonra bu döneme {} talep girildi\n{out}",
            corrections.len()
        ),
        Format::Html => {
            let mut note = String::from(
                "<div class=\"draft\"><strong>DÜZELTME GEREKLİ</strong>: bu rapor imzalandıktan \
                 sonra alınma anı bu döneme düşen talepler girildi; düzeltme sürümü imzalanmalı.<ul>",
            );
            for c in corrections {
                let _ = write!(
                    note,
                    "<li>{} – {} ({}, {})</li>",
                    esc(&c.tracking.to_string()),
                    esc(&c.reason),
                    esc(&c.by),
                    crate::calendar::to_istanbul(c.at).format("%d.%m.%Y %H:%M")
                );
            }
            note.push_str("</ul></div>");
            match out.find("</h1>") {
                Some(i) => format!("{}{note}{}", &out[..i + 5], &out[i + 5..]),
                None => out,
            }
        }
    }
}

impl Format {
    /// The media type of the output.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

impl std::str::FromStr for Separator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "," | "comma" => Ok(Separator::Comma),
            ";" | "semicolon" => Ok(Separator::Semicolon),
            _ => Err(format!(
                "unknown CSV separator {s:?}: expected comma or semicolon"
            )),
        }
    }
}

/// The section of the municipal council's count in CSV and HTML.
pub const MUNICIPAL_COUNCIL_SECTION: &str = "Belediye meclisi";

/// The section of the documents' figures in CSV and HTML.
pub const DOCUMENTS_SECTION: &str = "Resmî evrak";

const COLUMNS: [(&str, &str); 17] = [
    ("received", "Alınan"),
    ("positive", "Olumlu"),
    ("negative", "Olumsuz"),
    ("open_at_end", "Dönem sonu açık"),
    ("answered_on_time", "Süresinde cevaplanan"),
    ("answered_late", "Gecikmeli cevaplanan"),
    ("overdue_at_end", "Açık ve süresi geçmiş"),
    ("carried_over", "Önceki dönemden devreden"),
    ("answered_with_days", "İş günü hesaplanan cevap"),
    ("median_working_days", "Ortanca cevap süresi (iş günü)"),
    ("mean_working_days", "Ortalama cevap süresi (iş günü)"),
    ("on_time_percent", "Süresinde cevap oranı (%)"),
    (
        "answered_with_calendar_days",
        "Takvim günü hesaplanan cevap",
    ),
    ("median_calendar_days", "Ortanca cevap süresi (takvim günü)"),
    ("mean_calendar_days", "Ortalama cevap süresi (takvim günü)"),
    (
        "first_response_on_time",
        "Süresinde ilk cevap (ara cevap dahil)",
    ),
    ("first_response_late", "Gecikmeli ilk cevap"),
];

/// The report's totals as (stable field name, Turkish label, value), in the CSV's
/// column order.
pub(super) fn total_figures(c: &Counts) -> Vec<(&'static str, &'static str, Option<f64>)> {
    COLUMNS
        .iter()
        .zip(values(c))
        .map(|((field, label), v)| (*field, *label, v))
        .collect()
}

fn values(c: &Counts) -> [Option<f64>; 17] {
    let cal = c.calendar_days.as_ref();
    let fr = c.first_response.as_ref();
    let n = |v: u64| Some(v as f64);
    [
        n(c.received),
        n(c.positive),
        n(c.negative),
        n(c.open_at_end),
        n(c.answered_on_time),
        n(c.answered_late),
        n(c.overdue_at_end),
        n(c.carried_over),
        n(c.answered_with_days),
        c.median_working_days,
        c.mean_working_days,
        c.on_time_percent(),
        cal.map(|x| x.answered_with_calendar_days as f64),
        cal.and_then(|x| x.median_calendar_days),
        cal.and_then(|x| x.mean_calendar_days),
        fr.map(|x| x.first_response_on_time as f64),
        fr.map(|x| x.first_response_late as f64),
    ]
}

/// The report as CSV: UTF-8 with a byte-order mark (so spreadsheets read the Turkish
/// letters), CRLF line ends, one row per total and breakdown row with a column per
/// count and one per reason code (`Gerekçe: <text>`), Turkish headers; then, if counted,
/// a `Resmî evrak` row per document figure (its count in the first figure's column). Text cells are
/// quoted and defused ([`csv_text`]); numbers are not quoted.
pub fn csv(r: &QuarterlyReport, o: CsvOptions) -> String {
    csv_inner(r, o, None)
}

/// A signed report's sign-off and, for a signed quarter's report, how today's data
/// compares with it.
type Signature<'a> = Option<(&'a SignedReport, Option<&'a SnapshotCheck>)>;

fn csv_inner(r: &QuarterlyReport, o: CsvOptions, signed: Signature<'_>) -> String {
    let (sep, dec) = match o.separator {
        Separator::Comma => (',', '.'),
        Separator::Semicolon => (';', ','),
    };
    let mut out = String::from('\u{feff}');
    // Cells arrive written: text through `csv_text`, numbers as they are.
    let mut line = |cells: Vec<String>| {
        out.push_str(&cells.join(&sep.to_string()));
        out.push_str("\r\n");
    };
    let text = |cells: Vec<String>| cells.iter().map(|c| csv_text(c)).collect::<Vec<_>>();
    line(text(vec![
        "Rapor".into(),
        format!("{} {}", r.tenant_name, r.label()),
    ]));
    line(text(vec![
        "Kapsam".into(),
        r.scope
            .unit_name
            .clone()
            .unwrap_or_else(|| "Kurumun tamamı".into()),
    ]));
    if r.quarter.is_none() {
        line(text(vec!["Onay".into(), NOT_SIGNABLE.into()]));
    }
    if let Some((s, check)) = signed {
        line(text(vec![
            "Onay".into(),
            format!(
                "{} sürüm {} {} sha256:{}",
                s.signed_by,
                s.version,
                crate::calendar::to_istanbul(s.signed_at).to_rfc3339(),
                s.content_hash
            ),
        ]));
        if let Some(c) = check {
            line(text(vec!["Güncel veriler".into(), c.note()]));
        }
    }
    let reasons: Vec<(String, String)> = r
        .totals
        .not_fulfilled
        .iter()
        .map(|x| (x.code.clone(), x.text.clone()))
        .collect();
    let mut header = vec!["Bölüm".to_owned(), "Kod".into(), "Ad".into()];
    header.extend(COLUMNS.iter().map(|(_, h)| (*h).to_owned()));
    header.extend(reasons.iter().map(|(_, t)| format!("Gerekçe: {t}")));
    line(text(header));
    let num = |v: Option<f64>| match v {
        None => String::new(),
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x}").replace('.', &dec.to_string()),
    };
    let row = |section: &str, key: &str, name: &str, c: &Counts| {
        let mut cells = text(vec![section.to_owned(), key.to_owned(), name.to_owned()]);
        cells.extend(values(c).into_iter().map(num));
        cells.extend(reasons.iter().map(|(code, _)| {
            c.not_fulfilled
                .iter()
                .find(|x| &x.code == code)
                .map(|x| x.count)
                .unwrap_or(0)
                .to_string()
        }));
        cells
    };
    line(row("Toplam", "", &r.tenant_name, &r.totals));
    for (_, title, rows) in r.breakdowns() {
        for x in rows {
            line(row(title, &x.key, &x.name, &x.counts));
        }
    }
    // The documents are not broken down: a row each after the breakdowns, the count in
    // the first figure's column.
    if let Some(d) = &r.documents {
        for (field, label, n) in d.figures() {
            let mut cells = text(vec![DOCUMENTS_SECTION.into(), field.into(), label.into()]);
            cells.push(n.to_string());
            line(cells);
        }
    }
    if let Some(n) = r.municipal_council {
        let mut cells = text(vec![
            MUNICIPAL_COUNCIL_SECTION.into(),
            "municipal_council".into(),
            super::MUNICIPAL_COUNCIL_LABEL.into(),
        ]);
        cells.push(n.to_string());
        line(cells);
    }
    out
}

/// A text cell for CSV, safe with either separator (OWASP CSV injection guidance):
/// every text cell is quoted with its quotes doubled, so neither `,` nor `;` inside it
/// splits it for a reader that uses the file's separator; a cell starting with `=`, `+`,
/// `-`, `@`, tab or CR gets a leading `'` (a spreadsheet shows it as text).
///
/// A spreadsheet that assumes the *other* separator (`;` in a Turkish locale reading a
/// comma file) starts a new cell after each `,` or `;` inside the text. So a `,` or `;`
/// followed by a formula character, by a quote (which would open a quoted cell running
/// past the line's end) or by the cell's end gets a `'` after it, and line breaks
/// inside a cell become spaces: read either way, each row is one line and no cell
/// starts a formula. Numbers are written unquoted, never through this.
pub fn csv_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    out.push('"');
    let mut after_separator = false;
    for (i, c) in s.chars().enumerate() {
        let starts = if i == 0 {
            FORMULA_START.contains(&c)
        } else {
            after_separator && (FORMULA_START.contains(&c) || c == '"')
        };
        if starts {
            out.push('\'');
        }
        after_separator = matches!(c, ',' | ';');
        match c {
            '"' => out.push_str("\"\""),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    if after_separator {
        out.push('\'');
    }
    out.push('"');
    out
}

/// What starts a formula in a spreadsheet cell.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Escapes text for HTML element content and attribute values (also used by the
/// notification templates).
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

use html_escape as esc;

/// A number in Turkish style: `12.345`, `2,5`.
fn tr_num(v: f64) -> String {
    let neg = v < 0.0;
    let v = v.abs();
    let int = v.trunc() as u64;
    let frac = ((v - v.trunc()) * 100.0).round() as u64;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let mut s = if neg { format!("-{grouped}") } else { grouped };
    if frac > 0 {
        let f = format!("{frac:02}");
        let _ = write!(s, ",{}", f.trim_end_matches('0'));
    }
    s
}

fn cell(v: Option<f64>) -> String {
    v.map(tr_num).unwrap_or_else(|| "–".into())
}

/// A horizontal bar chart as inline SVG.
fn bar_chart(title: &str, items: &[(String, f64, String)], max: f64) -> String {
    let row_h = 18.0;
    let label_w = 230.0;
    let bar_w = 360.0;
    let width = label_w + bar_w + 80.0;
    let height = 26.0 + row_h * items.len().max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<figure><figcaption>{}</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}" viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px">"#,
        esc(title),
        esc(title)
    );
    if items.is_empty() {
        let _ = write!(
            s,
            r##"<text x="4" y="20" font-size="12" fill="#555">Veri yok</text>"##
        );
    }
    for (i, (label, v, vlabel)) in items.iter().enumerate() {
        let y = 8.0 + row_h * i as f64;
        let w = if max > 0.0 { bar_w * v / max } else { 0.0 };
        let short: String = if label.chars().count() > 36 {
            label.chars().take(35).collect::<String>() + "…"
        } else {
            label.clone()
        };
        let _ = write!(
            s,
            r##"<text x="{x}" y="{ty}" font-size="11" text-anchor="end">{l}</text><rect x="{bx}" y="{y}" width="{w:.1}" height="{h}" fill="#2f6f9f"/><text x="{vx:.1}" y="{ty}" font-size="11">{vl}</text>"##,
            x = label_w - 6.0,
            ty = y + 12.0,
            l = esc(&short),
            bx = label_w,
            h = row_h - 4.0,
            vx = label_w + w + 4.0,
            vl = esc(vlabel),
        );
    }
    s.push_str("</svg></figure>");
    s
}

const STYLE: &str = r#"
@page { size: A4; margin: 14mm; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10pt; color: #111; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 15pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; page-break-inside: auto; }
tr { page-break-inside: avoid; } thead { display: table-header-group; }
th, td { border: 1px solid #bbb; padding: 2pt 4pt; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; } th { background: #eef2f5; font-weight: 600; }
.meta td { border: none; text-align: left; padding: 1pt 6pt 1pt 0; }
.draft { color: #a00; font-weight: 700; } .sig { margin-top: 18pt; } figure { margin: 6pt 0; page-break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 2pt; } dt { font-weight: 600; } dd { margin: 0 0 4pt 12pt; }
.small { font-size: 8pt; color: #444; word-break: break-all; }
table.bd { table-layout: fixed; font-size: 7.5pt; } table.bd th { font-size: 7pt; }
table.bd td { overflow-wrap: anywhere; } table.bd td, table.bd th { padding: 1pt 2pt; } table.bd td:last-child { text-align: left; font-size: 7pt; }
"#;

/// What a report of a period that is not a quarter says where a quarter's shows its
/// sign-off status.
pub const NOT_SIGNABLE: &str = "İmzalanamaz: yalnızca çeyrek raporları onaylanır";

/// The report as one self-contained HTML page in Turkish: tables, inline SVG charts
/// (top categories, requests per neighbourhood, on-time rate per unit), the definitions
/// and a signature block; no scripts, fonts or images from outside; A4 print styles.
pub fn html(r: &QuarterlyReport) -> String {
    html_inner(r, None)
}

fn html_inner(r: &QuarterlyReport, signed: Signature<'_>) -> String {
    let mut h = String::new();
    let title = format!("{} – {} Muhtar Talepleri Raporu", r.tenant_name, r.label());
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="tr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title><style>{STYLE}</style></head><body>"#,
        esc(&title)
    );
    let _ = write!(h, "<h1>{}</h1>", esc(&title));
    let (first, last) = r.days();
    let official = r
        .responsible_official
        .as_ref()
        .map(|o| format!("{} ({})", o.name, o.title.display_name()))
        .unwrap_or_else(|| "Belirtilmemiş".into());
    let _ = write!(
        h,
        "<table class=\"meta\"><tr><td>Dayanak</td><td>İçişleri Bakanlığı Genelgesi 2015/8, madde 7{}</td></tr>\
         <tr><td>Dönem</td><td>{} ({} – {})</td></tr><tr><td>Kapsam</td><td>{}</td></tr>\
         <tr><td>Sorumlu yetkili</td><td>{}</td></tr><tr><td>Oluşturulma</td><td>{}</td></tr><tr><td>Durum</td><td>{}</td></tr></table>",
        if r.quarter.is_some() {
            ""
        } else {
            " (dönem istatistiği, aynı tanımlarla)"
        },
        r.label(),
        first.format("%d.%m.%Y"),
        last.format("%d.%m.%Y"),
        esc(&r
            .scope
            .unit_name
            .clone()
            .map(|n| format!("{n} ve bağlı birimler"))
            .unwrap_or_else(|| "Kurumun tamamı".into())),
        esc(&official),
        crate::calendar::to_istanbul(r.generated_at).format("%d.%m.%Y %H:%M"),
        match signed {
            Some((s, check)) => format!(
                "Onaylandı (imzalı): sürüm {}{}, {} (İstanbul), {}{}",
                s.version,
                if s.supersedes.is_some() { " (düzeltme)" } else { "" },
                crate::request::sheet::local_time(s.signed_at),
                esc(&s.signed_by),
                check
                    .map(|c| format!(
                        "<br><span class=\"{}\">{}</span>",
                        if c.unchanged { "small" } else { "draft" },
                        esc(&c.note())
                    ))
                    .unwrap_or_default()
            ),
            None if r.quarter.is_none() => esc(NOT_SIGNABLE),
            None => "<span class=\"draft\">TASLAK – onaylanmamış</span>".into(),
        }
    );

    h.push_str("<h2>Özet</h2><table><thead><tr><th>Gösterge</th><th>Sayı</th></tr></thead><tbody>");
    for ((_, label), v) in COLUMNS.iter().zip(values(&r.totals)) {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(label), cell(v));
    }
    h.push_str("</tbody></table>");
    if let Some(d) = &r.documents {
        let _ = write!(
            h,
            "<h2>{DOCUMENTS_SECTION}</h2><table><thead><tr><th>Gösterge</th><th>Sayı</th></tr></thead><tbody>"
        );
        for (_, label, n) in d.figures() {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(label),
                tr_num(n as f64)
            );
        }
        h.push_str("</tbody></table>");
    }
    if let Some(n) = r.municipal_council {
        let _ = write!(
            h,
            "<h2>{MUNICIPAL_COUNCIL_SECTION}</h2><table><thead><tr><th>Gösterge</th><th>Sayı</th></tr></thead><tbody><tr><td>{}</td><td>{}</td></tr></tbody></table>",
            esc(super::MUNICIPAL_COUNCIL_LABEL),
            tr_num(n as f64)
        );
    }

    h.push_str("<h2>Yerine getirilemeyen talepler ve gerekçeleri</h2>");
    if r.totals.not_fulfilled.is_empty() {
        h.push_str("<p>Bu dönemde olumsuz sonuçlanan talep yoktur.</p>");
    } else {
        h.push_str(
            "<table><thead><tr><th>Gerekçe</th><th>Kod</th><th>Sayı</th></tr></thead><tbody>",
        );
        for x in &r.totals.not_fulfilled {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&x.text),
                esc(&x.code),
                tr_num(x.count as f64)
            );
        }
        h.push_str("</tbody></table>");
    }

    h.push_str("<h2>Grafikler</h2>");
    let received = |rows: &[Row]| -> (Vec<(String, f64, String)>, f64) {
        let bars: Vec<(String, f64, String)> = rows
            .iter()
            .map(|x| {
                let n = x.counts.received as f64;
                (x.name.clone(), n, tr_num(n))
            })
            .collect();
        let max = bars.iter().map(|x| x.1).fold(0.0, f64::max);
        (bars, max)
    };
    let (top, max) = received(&r.top_categories);
    h.push_str(&bar_chart("En çok talep alan 10 kategori", &top, max));
    let (hoods, max) = received(&r.by_muhtarlik);
    h.push_str(&bar_chart("Mahalle / köy başına talep", &hoods, max));
    let rates: Vec<(String, f64, String)> = r
        .by_unit
        .iter()
        .filter_map(|x| {
            x.counts.on_time_percent().map(|p| {
                (
                    x.name.clone(),
                    p,
                    format!(
                        "%{} ({}/{})",
                        tr_num(p),
                        x.counts.answered_on_time,
                        x.counts.answered_on_time + x.counts.answered_late
                    ),
                )
            })
        })
        .collect();
    h.push_str(&bar_chart(
        "Birim başına süresinde cevap oranı",
        &rates,
        100.0,
    ));

    for (_, title, rows) in r.breakdowns() {
        let _ = write!(h, "<h2>{}</h2>", esc(title));
        breakdown_table(&mut h, rows);
    }

    h.push_str("<h2>Tanımlar</h2><dl>");
    for d in &r.definitions {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(&d.field), esc(&d.text));
    }
    h.push_str("</dl>");

    h.push_str("<div class=\"sig\"><h2>Onay</h2>");
    match signed {
        Some((s, _)) => {
            let _ = write!(
                h,
                "<p>Bu rapor {} tarihinde {} tarafından onaylanmıştır (sürüm {}).</p><p>Not: {}</p><p class=\"small\">İçerik özeti (SHA-256): {}{}</p>",
                crate::calendar::to_istanbul(s.signed_at).format("%d.%m.%Y %H:%M"),
                esc(&s.official.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| s.signed_by.clone())),
                s.version,
                esc(&s.note),
                esc(&s.content_hash),
                s.supersedes
                    .map(|p| format!("<br>Düzelttiği rapor: {p}"))
                    .unwrap_or_default()
            );
        }
        None if r.quarter.is_none() => {
            let _ = write!(h, "<p>{}.</p>", esc(NOT_SIGNABLE));
        }
        None => {
            let _ = write!(
                h,
                "<p>Sorumlu yetkili: {}</p><p>İmza: ______________________ &nbsp; Tarih: ____/____/________</p>",
                esc(&official)
            );
        }
    }
    h.push_str("</div></body></html>\n");
    h
}

fn breakdown_table(h: &mut String, rows: &[Row]) {
    h.push_str("<table class=\"bd\"><colgroup><col style=\"width:18%\">");
    for _ in 0..11 {
        h.push_str("<col style=\"width:6%\">");
    }
    h.push_str("<col style=\"width:16%\"></colgroup><thead><tr><th>Ad</th>");
    for label in [
        "Alınan",
        "Olumlu",
        "Olumsuz",
        "Açık",
        "Süre&shy;sinde",
        "Gecik&shy;meli",
        "Süresi geçmiş açık",
        "Devre&shy;den",
        "Ortanca iş günü",
        "Ortanca takvim günü",
        "İlk cevap süresinde / gecikmeli",
    ] {
        let _ = write!(h, "<th>{label}</th>");
    }
    h.push_str("<th>Gerekçeler</th></tr></thead><tbody>");
    for x in rows {
        let _ = write!(h, "<tr><td>{}</td>", esc(&x.name));
        for v in values(&x.counts).into_iter().take(8) {
            let _ = write!(h, "<td>{}</td>", cell(v));
        }
        let reasons: Vec<String> = x
            .counts
            .not_fulfilled
            .iter()
            .map(|r| format!("{}: {}", r.text, r.count))
            .collect();
        let first = x
            .counts
            .first_response
            .as_ref()
            .map(|f| {
                format!(
                    "{} / {}",
                    tr_num(f.first_response_on_time as f64),
                    tr_num(f.first_response_late as f64)
                )
            })
            .unwrap_or_else(|| "–".into());
        let _ = write!(
            h,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            cell(x.counts.median_working_days),
            cell(
                x.counts
                    .calendar_days
                    .as_ref()
                    .and_then(|c| c.median_calendar_days)
            ),
            first,
            esc(&reasons.join("; "))
        );
    }
    h.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkish_numbers() {
        assert_eq!(tr_num(0.0), "0");
        assert_eq!(tr_num(12345.0), "12.345");
        assert_eq!(tr_num(1234567.5), "1.234.567,5");
        assert_eq!(tr_num(2.25), "2,25");
        assert_eq!(tr_num(999.0), "999");
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_text("a;b"), "\"a;b\"");
        assert_eq!(csv_text("Kuzguncuk;=cmd"), "\"Kuzguncuk;'=cmd\"");
        assert_eq!(csv_text("a,\"@x"), "\"a,'\"\"@x\"");
        assert_eq!(csv_text("a\"=x"), "\"a\"\"=x\"");
        assert_eq!(csv_text("a;"), "\"a;'\"");
        assert_eq!(csv_text("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_text("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(csv_text("-5"), "\"'-5\"");
        assert_eq!(csv_text(""), "\"\"");
    }

    #[test]
    fn html_escapes() {
        assert_eq!(
            esc("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
