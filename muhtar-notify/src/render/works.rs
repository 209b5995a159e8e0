//! The notices of a work (`work-published`, `work-changed`, `work-closed`): the work's
//! facts as a muhtar reads them, in Turkish or English, Istanbul times.

use muhtar_core::map::work::{WorkField, WorkKind, WorkStatus};
use muhtar_core::outbox::{Locale, WorkFacts};

use super::{format_instant, Data};

/// A work kind's name in `locale` (Turkish: its display name).
pub(super) fn kind_name(kind: WorkKind, locale: Locale) -> String {
    match locale {
        Locale::Tr => kind.display_name().to_owned(),
        Locale::En => match kind {
            WorkKind::RoadWorks => "Road works",
            WorkKind::Excavation => "Excavation",
            WorkKind::WaterCut => "Water cut",
            WorkKind::PowerCut => "Power cut",
            WorkKind::GasCut => "Gas cut",
            WorkKind::Project => "Project",
            WorkKind::Event => "Event",
            _ => "Other",
        }
        .to_owned(),
    }
}

fn status_name(status: WorkStatus, locale: Locale) -> String {
    match locale {
        Locale::Tr => status.display_name().to_owned(),
        Locale::En => match status {
            WorkStatus::Planned => "Planned",
            WorkStatus::Ongoing => "Ongoing",
            _ => "Closed",
        }
        .to_owned(),
    }
}

fn field_name(field: WorkField, locale: Locale) -> &'static str {
    match locale {
        Locale::Tr => field.display_name(),
        Locale::En => match field {
            WorkField::Title => "title",
            WorkField::Kind => "kind",
            WorkField::Area => "place",
            WorkField::StartsAt => "start",
            WorkField::EndsAt => "end",
            WorkField::Status => "status",
            _ => "contact",
        },
    }
}

/// A text as shown: trimmed, `None` when empty.
fn text(s: &str) -> Option<String> {
    super::shown(s).map(str::to_owned)
}

impl Data {
    /// The values of a work's notice.
    pub(super) fn with_work(mut self, w: &WorkFacts, locale: Locale) -> Data {
        self.subject = text(&w.title);
        self.muhtarlik_name = w.muhtarlik_name.as_deref().and_then(text);
        self.status = Some(status_name(w.work_status, locale));
        self.work_kind = Some(kind_name(w.work_kind, locale));
        self.starts_at = Some(format_instant(w.starts_at, locale));
        self.ends_at = Some(format_instant(w.ends_at, locale));
        self.contact = w.contact.as_deref().and_then(text);
        self.changed = Some(
            w.changed
                .iter()
                .map(|f| field_name(*f, locale))
                .collect::<Vec<_>>()
                .join(", "),
        )
        .filter(|c| !c.is_empty());
        self
    }

    /// The facts a work's notice lists (label key, value), in order.
    pub(super) fn work_facts(&self) -> Vec<(&'static str, String)> {
        [
            ("title", &self.subject),
            ("work_kind", &self.work_kind),
            ("unit", &self.unit_name),
            ("muhtarlik", &self.muhtarlik_name),
            ("starts_at", &self.starts_at),
            ("ends_at", &self.ends_at),
            ("status", &self.status),
            ("contact", &self.contact),
            ("changed", &self.changed),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{render_email, render_sms_text};
    use muhtar_core::outbox::{Locale, NoticeKind, OutboxMessage};

    /// A notice of the fixtures (`muhtar-core/tests/fixtures/notices/`), as first stored.
    fn fixture(kind: &str) -> OutboxMessage {
        let path = format!(
            "{}/../muhtar-core/tests/fixtures/notices/{kind}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_work_notice_greets_the_muhtar_and_lists_the_work_in_istanbul_time() {
        let m = fixture("work-published");
        let r = render_email(&m).unwrap();
        assert_eq!(
            r.subject,
            "[Çalışma: Su kesintisi] Mahallenizde yeni duyuru: Şebeke bakımı nedeniyle su kesintisi"
        );
        assert!(
            r.text
                .starts_with("Sayın Ali Demir (Kuzguncuk Mahallesi Muhtarı),"),
            "{}",
            r.text
        );
        // 09:00 UTC is 12:00 in Istanbul.
        for line in [
            "Fen İşleri Müdürlüğü, Kuzguncuk Mahallesi sınırlarına dokunan bir çalışma duyurdu.",
            "Başlık: Şebeke bakımı nedeniyle su kesintisi",
            "Tür: Su kesintisi",
            "Birim: Fen İşleri Müdürlüğü",
            "Başlangıç: 15.03.2025 12:00 (TSİ)",
            "Bitiş: 15.03.2025 18:00 (TSİ)",
            "Durum: Planlandı",
            "İletişim: Alo 185",
        ] {
            assert!(r.text.contains(line), "{line}\n{}", r.text);
        }
        assert!(!r.text.contains("Değişenler"));
        assert!(r.html.contains("Başlangıç"));
        let sms = render_sms_text(&m).unwrap();
        assert!(
            sms.starts_with(
                "Çalışma: Su kesintisi Şebeke bakımı nedeniyle su kesintisi. 15.03.2025 12:00"
            ),
            "{sms}"
        );
        assert!(!sms.contains('\n'));
    }

    #[test]
    fn a_change_says_what_changed_and_a_closure_that_it_is_over() {
        let r = render_email(&fixture("work-changed")).unwrap();
        assert!(r
            .subject
            .ends_with("Duyuru değişti: Şebeke bakımı nedeniyle su kesintisi"));
        assert!(r.text.contains("Değişenler: bitiş, durum"), "{}", r.text);
        assert!(
            r.text.contains("Bitiş: 15.03.2025 22:00 (TSİ)"),
            "{}",
            r.text
        );
        assert!(r.text.contains("Durum: Devam ediyor"), "{}", r.text);
        let r = render_email(&fixture("work-closed")).unwrap();
        assert!(r.subject.contains("Çalışma kapandı"), "{}", r.subject);
        assert!(r.text.contains("Durum: Kapandı"), "{}", r.text);
    }

    #[test]
    fn every_work_notice_renders_in_english_too() {
        for kind in NoticeKind::WORK {
            let mut m = fixture(kind.as_str());
            m.locale = Locale::En;
            let r = render_email(&m).unwrap();
            assert!(r.subject.starts_with("[Work: Water cut] "), "{}", r.subject);
            assert!(r
                .text
                .starts_with("Dear Ali Demir (Muhtar of Kuzguncuk Mahallesi),"));
            assert!(
                r.text.contains("Starts: 2025-03-15 12:00 (Istanbul time)"),
                "{}",
                r.text
            );
            assert!(!r.text.contains("Başlangıç"));
            let sms = render_sms_text(&m).unwrap();
            assert!(sms.starts_with("Work: Water cut "), "{sms}");
        }
        let mut m = fixture("work-changed");
        m.locale = Locale::En;
        assert!(render_email(&m)
            .unwrap()
            .text
            .contains("Changed: end, status"));
    }

    /// A tenant's own template of a work notice is checked against a sample work
    /// notice when installed, and writes the notice.
    #[test]
    fn a_tenant_may_write_its_own_work_notices() {
        let settings = muhtar_core::settings::TenantSettings::from_toml_str(
            "[templates.work-published]\nsubject = \"{{ muhtarlik_name }}: {{ subject }} ({{ starts_at }})\"\n",
        )
        .unwrap();
        let t = crate::templates::Templates::from_settings(&settings.templates).unwrap();
        let r = t.render_email(&fixture("work-published")).unwrap();
        assert_eq!(
            r.subject,
            "Kuzguncuk Mahallesi: Şebeke bakımı nedeniyle su kesintisi (15.03.2025 12:00 (TSİ))"
        );
        let bad = muhtar_core::settings::TenantSettings::from_toml_str(
            "[templates.work-closed]\nsms = \"{{ takip_no }}\"\n",
        )
        .unwrap();
        assert!(crate::templates::Templates::from_settings(&bad.templates).is_err());
    }

    #[test]
    fn a_work_notice_escapes_its_title_in_html() {
        let mut m = fixture("work-published");
        if let muhtar_core::outbox::NoticePayload::WorkPublished(w) = &mut m.payload {
            w.title = "<script>alert(1)</script>".into();
        }
        let r = render_email(&m).unwrap();
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains("&lt;script&gt;"));
    }
}
