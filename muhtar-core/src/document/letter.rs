//! The letter as A4 HTML in the official layout, printable to PDF from a browser.

use super::Letter;
use crate::report::render::html_escape;

/// The letter as a standalone A4 HTML page (inline print styles, no script, nothing
/// fetched): heading, Sayı and date, Konu, addressee, İlgi, text, signatory, Dağıtım and
/// the verification line (`verify_base` before `/dogrula/<code>`, else the path).
pub fn render_letter_html(letter: &Letter, verify_base: Option<&str>) -> String {
    let e = html_escape;
    let mut h = String::with_capacity(4096);
    h.push_str("<!DOCTYPE html>\n<html lang=\"tr\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str(&format!(
        "<title>{} sayılı yazı</title>\n",
        e(&letter.number.to_string())
    ));
    h.push_str(STYLE);
    h.push_str("</head>\n<body>\n<main class=\"yazi\">\n<header class=\"baslik\">\n");
    for line in &letter.heading {
        h.push_str(&format!("<p>{}</p>\n", e(line)));
    }
    h.push_str("</header>\n<div class=\"sayi-tarih\">\n");
    h.push_str(&format!(
        "<p class=\"sayi\"><span>Sayı</span> : {}</p>\n<p class=\"tarih\">{}</p>\n",
        e(&letter.number.to_string()),
        letter.date.format("%d.%m.%Y")
    ));
    h.push_str(&format!(
        "<p class=\"konu\"><span>Konu</span> : {}</p>\n</div>\n",
        e(&letter.subject)
    ));
    h.push_str(&format!(
        "<p class=\"muhatap\">{}</p>\n",
        e(&letter.addressee)
    ));
    if !letter.related.is_empty() {
        h.push_str("<div class=\"ilgi\"><span>İlgi</span> :<ol>\n");
        for r in &letter.related {
            h.push_str(&format!("<li>{}</li>\n", e(r)));
        }
        h.push_str("</ol></div>\n");
    }
    h.push_str("<div class=\"metin\">\n");
    for para in letter.body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        h.push_str(&format!(
            "<p>{}</p>\n",
            e(para.trim()).replace('\n', "<br>")
        ));
    }
    h.push_str("</div>\n<div class=\"imza\">\n");
    h.push_str(&format!(
        "<p class=\"ad\">{}</p>\n<p class=\"unvan\">{}</p>\n</div>\n",
        e(&letter.signatory_name),
        e(&letter.signatory_title)
    ));
    h.push_str("<div class=\"dagitim\"><p><span>Dağıtım</span> :</p>\n");
    h.push_str("<p>Gereği:</p><ul>\n");
    for d in &letter.distribution_action {
        h.push_str(&format!("<li>{}</li>\n", e(d)));
    }
    h.push_str("</ul>\n");
    if !letter.distribution_information.is_empty() {
        h.push_str("<p>Bilgi:</p><ul>\n");
        for d in &letter.distribution_information {
            h.push_str(&format!("<li>{}</li>\n", e(d)));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</div>\n");
    let path = format!("/dogrula/{}", letter.code.as_str());
    let at = match verify_base {
        Some(b) => format!("{}{}", b.trim_end_matches('/'), path),
        None => path,
    };
    h.push_str(&format!(
        "<footer class=\"dogrulama\"><p>Bu belgenin doğruluğunu {} adresinden <strong>{}</strong> doğrulama koduyla kontrol edebilirsiniz.</p></footer>\n",
        e(&at),
        e(&letter.code.to_string())
    ));
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

const STYLE: &str = "<style>\n\
@page { size: A4; margin: 2.5cm 2cm 2cm 2.5cm; }\n\
body { font-family: 'Times New Roman', serif; font-size: 12pt; line-height: 1.35; color: #000; margin: 0; }\n\
.yazi { max-width: 16.5cm; margin: 0 auto; padding: 1cm 0; }\n\
.baslik { text-align: center; font-weight: bold; margin-bottom: 1.2em; }\n\
.baslik p { margin: 0; }\n\
.sayi-tarih { display: grid; grid-template-columns: 1fr auto; }\n\
.sayi-tarih p { margin: 0 0 .2em; }\n\
.konu { grid-column: 1 / span 2; }\n\
.sayi span, .konu span, .ilgi span, .dagitim span { display: inline-block; min-width: 3.5em; font-weight: bold; }\n\
.muhatap { text-align: center; font-weight: bold; margin: 2em 0 1em; }\n\
.ilgi ol { list-style: lower-alpha; margin: 0 0 1em 3.5em; padding: 0; }\n\
.metin p { text-indent: 1.25cm; text-align: justify; margin: 0 0 .6em; }\n\
.imza { margin: 2.5em 0 2em auto; width: 7cm; text-align: center; }\n\
.imza p { margin: 0; }\n\
.dagitim p { margin: .2em 0 0; }\n\
.dagitim ul { list-style: none; margin: 0 0 0 1em; padding: 0; }\n\
.dogrulama { margin-top: 2em; font-size: 9pt; border-top: 1px solid #000; padding-top: .3em; }\n\
@media print { .yazi { padding: 0; } }\n\
</style>\n";
