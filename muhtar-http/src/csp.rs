//! Content-Security-Policy of standalone documents that carry their own `<style>`: the
//! printable report (`/rapor/belge`) and the official letter (`/belgeler/{id}/yazi`,
//! `GET /api/v1/documents/{id}/letter.html`). Each style is allowed by its SHA-256, so
//! the policy stays strict: no inline style but these, no script, no framing.

use axum::http::header::{self, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use base64_sha::base64_sha256;

/// A standalone HTML document with the Content-Security-Policy of [`document_csp`].
pub fn document_response(html: String) -> Response {
    let csp = document_csp(&html);
    let mut res = Html(html).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// The policy of a standalone document (a report, a letter): nothing from anywhere (`default-src 'none'`) but the
/// styles the page itself carries, each allowed by its SHA-256: the text of every
/// `<style>` element and the value of every `style` attribute (`'unsafe-hashes'`
/// allows exactly those attribute values, nothing else inline).
pub fn document_csp(html: &str) -> String {
    let mut hashes: Vec<String> = Vec::new();
    let mut add = |text: &str| {
        let h = format!("'sha256-{}'", base64_sha256(text.as_bytes()));
        if !hashes.contains(&h) {
            hashes.push(h);
        }
    };
    let mut rest = html;
    while let Some(i) = rest.find("<style>") {
        let body = &rest[i + "<style>".len()..];
        let Some(end) = body.find("</style>") else {
            break;
        };
        add(&body[..end]);
        rest = &body[end..];
    }
    let mut rest = html;
    while let Some(i) = rest.find(" style=\"") {
        let value = &rest[i + " style=\"".len()..];
        let Some(end) = value.find('"') else { break };
        add(&value[..end]);
        rest = &value[end..];
    }
    format!(
        "default-src 'none'; style-src 'unsafe-hashes' {}; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
        hashes.join(" ")
    )
}

/// SHA-256 in standard base64, as CSP hash sources write it.
pub(crate) mod base64_sha {
    use sha2::{Digest, Sha256};

    pub fn base64_sha256(bytes: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let d = Sha256::digest(bytes);
        let mut out = String::with_capacity(44);
        for c in d.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for k in 0..4 {
                if k <= c.len() {
                    out.push(T[(n >> (18 - 6 * k)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn the_hash_of_the_empty_text_is_the_known_one() {
            assert_eq!(
                super::base64_sha256(b""),
                "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_pages_policy_allows_its_own_styles_by_hash_and_nothing_else() {
        let csp = document_csp(
            "<style>b{}</style><col style=\"width:6%\"><col style=\"width:6%\"><p>x</p>",
        );
        assert!(csp.starts_with("default-src 'none'; style-src 'unsafe-hashes' "));
        assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
        assert!(csp.contains(&base64_sha::base64_sha256(b"b{}")));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("script-src"));
    }
}
