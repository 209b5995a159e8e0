//! From a council's decision to a request (issue 24, "From decision to request"): an
//! adopted result the muhtar sends to a public body becomes a request of the muhtarlık
//! (channel `mahalle-meclisi`), with the decision attached as a generated PDF
//! ([`decision_document`]). The link vote → request ([`DecisionLink`]) is written in the
//! request's own commit, at most once per vote (the store's unique key).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Decision, Tally, Vote, VoteId};
use crate::ids::{MuhtarlikCode, RequestId, TenantId};
use crate::request::{Attachment, InputError, RequestKind};
use crate::tracking::TrackingNumber;

/// The kinds a decision may be sent as: a request (Talep) or a proposal (Öneri).
pub const DECISION_KINDS: [RequestKind; 2] = [RequestKind::Request, RequestKind::Suggestion];

/// What the muhtar chooses when sending a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DecisionSpec {
    /// The category (a code of the organisation).
    pub category: String,
    /// `request` (Talep, the default) or `suggestion` (Öneri).
    #[serde(default = "default_kind")]
    pub kind: RequestKind,
    /// The subject; default: the vote's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The description; default: the vote's title and result in Turkish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// For the municipal council's agenda (belediye meclisi gündemi).
    #[serde(default)]
    pub municipal_council: bool,
}

fn default_kind() -> RequestKind {
    RequestKind::Request
}

impl DecisionSpec {
    /// A request of `category` with the defaults.
    pub fn new(category: impl Into<String>) -> Self {
        DecisionSpec {
            category: category.into(),
            kind: default_kind(),
            subject: None,
            description: None,
            municipal_council: false,
        }
    }

    /// Sent as `kind` (checked by [`Self::check_kind`]).
    pub fn kind(mut self, kind: RequestKind) -> Self {
        self.kind = kind;
        self
    }

    /// With this subject.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// With this description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Marked for the municipal council's agenda.
    pub fn municipal_council(mut self, yes: bool) -> Self {
        self.municipal_council = yes;
        self
    }

    /// The kind is one of [`DECISION_KINDS`], else an error listing them.
    pub fn check_kind(&self) -> Result<(), InputError> {
        if DECISION_KINDS.contains(&self.kind) {
            Ok(())
        } else {
            Err(InputError::unknown(
                "kind",
                self.kind.as_str(),
                DECISION_KINDS.iter().map(|k| k.as_str()),
            ))
        }
    }
}

/// A vote whose decision was sent: the request it became. Written with the request's
/// first commit ([`crate::store::Commit::decision`]); one per vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecisionLink {
    /// Tenant.
    pub tenant: TenantId,
    /// The vote.
    pub vote: VoteId,
    /// The council's muhtarlık.
    pub muhtarlik: MuhtarlikCode,
    /// The request.
    pub request: RequestId,
    /// Its tracking number.
    pub tracking: TrackingNumber,
    /// When it was sent (the decision document's date).
    pub sent_at: DateTime<Utc>,
    /// The SHA-256 of the attached decision document.
    pub document_sha256: String,
}

impl DecisionLink {
    /// A link (stores build it from their columns).
    pub fn new(
        tenant: TenantId,
        vote: VoteId,
        muhtarlik: MuhtarlikCode,
        request: RequestId,
        tracking: TrackingNumber,
        sent_at: DateTime<Utc>,
        document_sha256: String,
    ) -> Self {
        DecisionLink {
            tenant,
            vote,
            muhtarlik,
            request,
            tracking,
            sent_at,
            document_sha256,
        }
    }
}

/// The decision document: a one-page PDF and its attachment record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionDocument {
    /// The PDF.
    pub bytes: Vec<u8>,
    /// Media type `application/pdf`, size, SHA-256, file name `meclis-karari-<vote>.pdf`.
    pub attachment: Attachment,
}

/// The index of the adopted option, if the result adopted one.
pub fn adopted(t: &Tally) -> Option<usize> {
    match t.decision {
        Decision::Adopted { option } => Some(usize::from(option)),
        _ => None,
    }
}

/// The request's default description: the agenda item and the result in Turkish.
pub fn default_description(vote: &Vote, t: &Tally, council: &str) -> String {
    format!(
        "{council} mahalle meclisinin kararı.\nGündem maddesi: {}\n{}\nKatılım: {} / {} üye \
         (%{}). Karar özeti (SHA-256): {}",
        vote.title,
        t.describe(),
        t.cast,
        t.eligible,
        t.turnout_percent(),
        t.hash
    )
}

/// The lines of the decision document (Turkish, Istanbul times).
pub fn document_lines(vote: &Vote, t: &Tally, council: &str, at: DateTime<Utc>) -> Vec<String> {
    let mut l = vec![
        format!("{council} Mahalle Meclisi Kararı"),
        String::new(),
        format!("Gündem maddesi: {}", vote.title),
        format!("Oylama no: {}", vote.id),
        format!(
            "Oylama: {} - {} (İstanbul saati){}",
            crate::calendar::local_time(vote.opens_at),
            crate::calendar::local_time(vote.closes_at),
            if vote.secret { ", gizli oy" } else { "" }
        ),
        String::new(),
        "Seçenekler ve oylar:".into(),
    ];
    for (name, n) in t.options.iter().zip(&t.counts) {
        l.push(format!("    {name}: {n}"));
    }
    l.push(String::new());
    l.push(format!(
        "Katılım: {} / {} üye (%{})",
        t.cast,
        t.eligible,
        t.turnout_percent()
    ));
    l.push(format!(
        "Karar yeter sayısı (%{}): {}",
        t.quorum_percent,
        if t.quorum_met {
            "sağlandı"
        } else {
            "sağlanamadı"
        }
    ));
    l.push(format!("Çoğunluk kuralı: {}", t.majority.display_name()));
    l.push(format!("Sonuç: {}", t.describe()));
    l.push(String::new());
    l.push("Sonuç özeti (SHA-256, oy pusulaları üzerinden):".into());
    l.push(format!("    {}", t.hash));
    l.push(format!(
        "Gönderim tarihi: {} (İstanbul saati)",
        crate::calendar::local_time(at)
    ));
    l
}

/// The decision document of a closed vote with result `t`, sent at `at`, for the council
/// of `council` (the muhtarlık's name): the same inputs give the same bytes.
pub fn decision_document(
    vote: &Vote,
    t: &Tally,
    council: &str,
    at: DateTime<Utc>,
) -> DecisionDocument {
    let bytes = pdf(&document_lines(vote, t, council, at));
    let attachment = Attachment {
        media_type: "application/pdf".into(),
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        file_name: Some(format!("meclis-karari-{}.pdf", vote.id)),
    };
    DecisionDocument { bytes, attachment }
}

/// A character in the PDF's font encoding (WinAnsi, with the Turkish letters it lacks
/// in the slots 128–133 by `/Differences`); others become `?`.
fn pdf_byte(c: char) -> u8 {
    match c {
        'Ğ' => 128,
        'ğ' => 129,
        'İ' => 130,
        'ı' => 131,
        'Ş' => 132,
        'ş' => 133,
        c if (' '..='~').contains(&c) => c as u8,
        c if ('\u{A0}'..='\u{FF}').contains(&c) => c as u32 as u8,
        _ => b'?',
    }
}

/// Lines wrapped at `width` characters (at spaces where there are any), each keeping
/// the line's indentation (continuations four spaces more).
fn wrap(line: &str, width: usize) -> Vec<String> {
    let rest = line.trim_start_matches(' ');
    let indent = line.len() - rest.len();
    let mut out = Vec::new();
    let mut cur = " ".repeat(indent);
    let mut empty = true;
    for word in rest.split(' ') {
        let n = cur.chars().count();
        if !empty && n + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut cur));
            cur = " ".repeat(indent + 4);
        } else if !empty {
            cur.push(' ');
        }
        let mut w = word;
        while cur.chars().count() + w.chars().count() > width && !w.is_empty() {
            let room = width.saturating_sub(cur.chars().count()).max(1);
            let cut = w.char_indices().nth(room).map_or(w.len(), |(i, _)| i);
            cur.push_str(&w[..cut]);
            out.push(std::mem::replace(&mut cur, " ".repeat(indent + 4)));
            w = &w[cut..];
        }
        cur.push_str(w);
        empty = false;
    }
    out.push(cur);
    out
}

/// A one-page A4 PDF of `lines` (Helvetica 10 pt; the first line bold, 14 pt).
fn pdf(lines: &[String]) -> Vec<u8> {
    let mut content = Vec::new();
    content.extend_from_slice(b"BT\n/F2 14 Tf\n56 780 Td\n16 TL\n");
    for (i, line) in lines.iter().enumerate() {
        if i == 1 {
            content.extend_from_slice(b"/F1 10 Tf\n14 TL\n");
        }
        for part in wrap(line, 90) {
            content.push(b'(');
            for c in part.chars() {
                let b = pdf_byte(c);
                if matches!(b, b'(' | b')' | b'\\') {
                    content.push(b'\\');
                }
                content.push(b);
            }
            content.extend_from_slice(b") Tj T*\n");
        }
    }
    content.extend_from_slice(b"ET\n");
    let encoding = b"<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences \
        [128 /Gbreve /gbreve /Idotaccent /dotlessi /Scedilla /scedilla] >>"
        .to_vec();
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(&content);
    stream.extend_from_slice(b"\nendstream");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << \
          /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding 7 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding 7 0 R >>".to_vec(),
        stream,
        encoding,
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
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
    fn turkish_letters_are_in_the_font_encoding() {
        let b: Vec<u8> = "Ğğİış Şç(".chars().map(pdf_byte).collect();
        assert_eq!(b, vec![128, 129, 130, 131, 133, b' ', 132, 0xE7, b'(']);
        assert_eq!(pdf_byte('€'), b'?');
    }

    #[test]
    fn long_lines_wrap_and_the_pdf_has_a_cross_reference_table() {
        let long = "kelime ".repeat(40);
        let parts = wrap(long.trim(), 90);
        assert!(parts.len() > 2 && parts.iter().all(|p| p.chars().count() <= 90));
        assert_eq!(wrap("    Kabul: 2", 90), vec!["    Kabul: 2"]);
        let hash = wrap(&format!("  {}", "x".repeat(100)), 90);
        assert_eq!(hash.len(), 2);
        assert_eq!(hash.concat().matches('x').count(), 100);
        let p = pdf(&["Başlık".into(), long, "a(b)c\\".into()]);
        assert!(p.starts_with(b"%PDF-1.4"));
        assert!(p.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&p);
        // Every object's offset in the table points at "N 0 obj".
        let table = text.split("xref\n").nth(1).unwrap();
        for (i, line) in table.lines().skip(2).take(7).enumerate() {
            let at: usize = line[..10].parse().unwrap();
            assert!(p[at..].starts_with(format!("{} 0 obj", i + 1).as_bytes()));
        }
        assert!(text.contains("(a\\(b\\)c\\\\) Tj"));
    }

    #[test]
    fn only_requests_and_suggestions_may_carry_a_decision() {
        assert!(DecisionSpec::new("yol").check_kind().is_ok());
        let s = DecisionSpec::new("yol").kind(RequestKind::Complaint);
        let e = s.check_kind().unwrap_err();
        assert!(e.to_string().contains("suggestion"), "{e}");
    }
}
