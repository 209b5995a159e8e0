//! The notice templates: minijinja templates for every notice's subject, plain text,
//! HTML and SMS text, Turkish and English built in, and a tenant's own from its
//! settings (`[templates]`, `muhtar_core::settings::TemplateSettings`).
//!
//! # How a notice is written
//!
//! 1. `templates/<lang>/common.j2` sets the words every notice shares: `greeting` (by
//!    the recipient, `to`: role, name, muhtarlık or unit, title), `labels` (the facts' and blocks' labels, `İVEDİ`) and `footer`.
//! 2. `templates/<lang>/<kind>.j2` (`other.j2` for a kind without one) sets the
//!    notice's `title`, `lead` sentence and `sms` text.
//! 3. The parts are rendered: `subject.j2`, `text.j2`, `html.html` and `sms.j2`, or the
//!    tenant's `[templates.<kind>]` `subject`, `text`, `html`, `sms`. They see every
//!    value of the notice (`tracking`, `subject`, `unit_name`, `resolution_due`, …, see
//!    `render::Data`), the words of step 1 and 2 (`title`, `lead`, `sms_line`,
//!    `greeting`, `footer`, `labels`), `tag_label` and `tag_value` (`Takip No`,
//!    `7KM-3QX-9PA`), `urgent` and `urgent_word`, `facts` and `blocks` (lists of
//!    `label`/`value` and `label`/`text`), `lang`, and in the HTML part `email_subject`.
//!
//! Undefined variables are errors (strict), a missing value is none and prints as
//! nothing. The HTML part escapes every value (`&`, `<`, `>`, `"`, `'`); the `br` filter
//! escapes and turns line breaks into `<br>`.
//!
//! A tenant's template that does not parse or does not render a sample notice of its
//! kind is refused when the settings are installed ([`check_templates`], the hook
//! `muhtar_core::service::Mbs::check_settings_with` calls) with its notice kind, part
//! and line in the settings document.

use std::collections::HashSet;
use std::sync::OnceLock;

use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};
use muhtar_core::outbox::{Locale, NoticeKind, OutboxMessage};
use muhtar_core::settings::{SettingsError, TemplatePart, TemplateSettings, TenantSettings};

use crate::render::{html_escape, Data, RenderError, RenderedEmail};

/// The built-in templates (name, source).
const BUILTIN: &[(&str, &str)] = &[
    ("subject.j2", include_str!("../templates/subject.j2")),
    ("text.j2", include_str!("../templates/text.j2")),
    ("html.html", include_str!("../templates/html.html")),
    ("sms.j2", include_str!("../templates/sms.j2")),
    ("tr/common.j2", include_str!("../templates/tr/common.j2")),
    ("tr/other.j2", include_str!("../templates/tr/other.j2")),
    (
        "tr/received.j2",
        include_str!("../templates/tr/received.j2"),
    ),
    (
        "tr/transferred.j2",
        include_str!("../templates/tr/transferred.j2"),
    ),
    (
        "tr/interim-reply.j2",
        include_str!("../templates/tr/interim-reply.j2"),
    ),
    ("tr/paused.j2", include_str!("../templates/tr/paused.j2")),
    ("tr/message.j2", include_str!("../templates/tr/message.j2")),
    (
        "tr/answered.j2",
        include_str!("../templates/tr/answered.j2"),
    ),
    ("tr/closed.j2", include_str!("../templates/tr/closed.j2")),
    (
        "tr/reopened.j2",
        include_str!("../templates/tr/reopened.j2"),
    ),
    (
        "tr/new-in-queue.j2",
        include_str!("../templates/tr/new-in-queue.j2"),
    ),
    ("tr/at-risk.j2", include_str!("../templates/tr/at-risk.j2")),
    (
        "tr/breached.j2",
        include_str!("../templates/tr/breached.j2"),
    ),
    (
        "tr/report-ready.j2",
        include_str!("../templates/tr/report-ready.j2"),
    ),
    (
        "tr/extended.j2",
        include_str!("../templates/tr/extended.j2"),
    ),
    (
        "tr/fee-notified.j2",
        include_str!("../templates/tr/fee-notified.j2"),
    ),
    (
        "tr/fee-paid.j2",
        include_str!("../templates/tr/fee-paid.j2"),
    ),
    (
        "tr/deemed-withdrawn.j2",
        include_str!("../templates/tr/deemed-withdrawn.j2"),
    ),
    (
        "tr/urgent-received.j2",
        include_str!("../templates/tr/urgent-received.j2"),
    ),
    (
        "tr/citizen-received.j2",
        include_str!("../templates/tr/citizen-received.j2"),
    ),
    (
        "tr/citizen-answered.j2",
        include_str!("../templates/tr/citizen-answered.j2"),
    ),
    ("en/common.j2", include_str!("../templates/en/common.j2")),
    ("en/other.j2", include_str!("../templates/en/other.j2")),
    (
        "en/received.j2",
        include_str!("../templates/en/received.j2"),
    ),
    (
        "en/transferred.j2",
        include_str!("../templates/en/transferred.j2"),
    ),
    (
        "en/interim-reply.j2",
        include_str!("../templates/en/interim-reply.j2"),
    ),
    ("en/paused.j2", include_str!("../templates/en/paused.j2")),
    ("en/message.j2", include_str!("../templates/en/message.j2")),
    (
        "en/answered.j2",
        include_str!("../templates/en/answered.j2"),
    ),
    ("en/closed.j2", include_str!("../templates/en/closed.j2")),
    (
        "en/reopened.j2",
        include_str!("../templates/en/reopened.j2"),
    ),
    (
        "en/new-in-queue.j2",
        include_str!("../templates/en/new-in-queue.j2"),
    ),
    ("en/at-risk.j2", include_str!("../templates/en/at-risk.j2")),
    (
        "en/breached.j2",
        include_str!("../templates/en/breached.j2"),
    ),
    (
        "en/report-ready.j2",
        include_str!("../templates/en/report-ready.j2"),
    ),
    (
        "en/extended.j2",
        include_str!("../templates/en/extended.j2"),
    ),
    (
        "en/fee-notified.j2",
        include_str!("../templates/en/fee-notified.j2"),
    ),
    (
        "en/fee-paid.j2",
        include_str!("../templates/en/fee-paid.j2"),
    ),
    (
        "en/deemed-withdrawn.j2",
        include_str!("../templates/en/deemed-withdrawn.j2"),
    ),
    (
        "en/urgent-received.j2",
        include_str!("../templates/en/urgent-received.j2"),
    ),
    (
        "en/citizen-received.j2",
        include_str!("../templates/en/citizen-received.j2"),
    ),
    (
        "en/citizen-answered.j2",
        include_str!("../templates/en/citizen-answered.j2"),
    ),
    (
        "tr/work-published.j2",
        include_str!("../templates/tr/work-published.j2"),
    ),
    (
        "tr/work-changed.j2",
        include_str!("../templates/tr/work-changed.j2"),
    ),
    (
        "tr/work-closed.j2",
        include_str!("../templates/tr/work-closed.j2"),
    ),
    (
        "en/work-published.j2",
        include_str!("../templates/en/work-published.j2"),
    ),
    (
        "en/work-changed.j2",
        include_str!("../templates/en/work-changed.j2"),
    ),
    (
        "en/work-closed.j2",
        include_str!("../templates/en/work-closed.j2"),
    ),
];

/// The template a part is rendered with by default.
fn builtin_part(part: TemplatePart) -> &'static str {
    match part {
        TemplatePart::Subject => "subject.j2",
        TemplatePart::Text => "text.j2",
        TemplatePart::Html => "html.html",
        TemplatePart::Sms => "sms.j2",
    }
}

/// The name a tenant's template of `kind` and `part` is stored under (`.html`: escaped).
fn tenant_part(kind: NoticeKind, part: TemplatePart) -> String {
    match part {
        TemplatePart::Html => format!("tenant/{}/html.html", kind.as_str()),
        p => format!("tenant/{}/{}.j2", kind.as_str(), p.as_str()),
    }
}

/// The notice templates a dispatcher renders with: the built-in ones, with a tenant's
/// overrides and language ([`Templates::from_settings`]).
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    language: Option<Locale>,
    overridden: HashSet<(NoticeKind, TemplatePart)>,
}

/// Escapes for HTML with the core's escaping (the same as the report pages): `&`, `<`,
/// `>`, `"`, `'`.
fn br(value: Value) -> Value {
    if value.is_safe() {
        return value;
    }
    let text = if value.is_none() || value.is_undefined() {
        String::new()
    } else {
        value.to_string()
    };
    Value::from_safe_string(html_escape(&text).replace('\n', "<br>\n"))
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.set_debug(false);
    env.set_formatter(|out, state, value| {
        if value.is_none() {
            return Ok(());
        }
        if state.auto_escape() == AutoEscape::Html && !value.is_safe() {
            return out
                .write_str(&html_escape(&value.to_string()))
                .map_err(minijinja::Error::from);
        }
        minijinja::escape_formatter(out, state, value)
    });
    env.add_filter("br", br);
    for (name, source) in BUILTIN {
        // The built-in templates parse (a test renders every one).
        if let Err(e) = env.add_template(name, source) {
            panic!("built-in template {name}: {e}");
        }
    }
    env
}

/// The line in the settings document of line `template_line` of a template starting on
/// `first` (0: unknown, then the template's own line).
fn settings_line(first: usize, template_line: Option<usize>) -> usize {
    match (first, template_line) {
        (0, l) => l.unwrap_or(0),
        (f, Some(l)) if l > 0 => f + l - 1,
        (f, _) => f,
    }
}

/// What minijinja says, without the template's internal name.
fn engine_message(e: &minijinja::Error, source: &str) -> String {
    let mut message = match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    };
    if let Some(at) = e.range().and_then(|r| source.get(r)) {
        message.push_str(&format!(" (at `{at}`)"));
    }
    message
}

impl Templates {
    /// The built-in templates (Turkish and English), each notice in its own language.
    pub fn builtin() -> &'static Templates {
        static BUILTIN_TEMPLATES: OnceLock<Templates> = OnceLock::new();
        BUILTIN_TEMPLATES.get_or_init(|| Templates {
            env: environment(),
            language: None,
            overridden: HashSet::new(),
        })
    }

    /// The built-in templates with a tenant's overrides and language, each override
    /// checked: it parses and renders a sample notice of its kind in both languages.
    /// Refused with [`SettingsError::Template`] (kind, part, settings line).
    pub fn from_settings(settings: &TemplateSettings) -> Result<Templates, SettingsError> {
        let mut env = environment();
        let mut overridden = HashSet::new();
        let mut kinds: Vec<_> = settings.kinds.iter().collect();
        kinds.sort_by_key(|(k, _)| k.as_str());
        for (kind, parts) in &kinds {
            for part in TemplatePart::ALL {
                let Some(source) = parts.part(part) else {
                    continue;
                };
                let refused = |e: minijinja::Error| SettingsError::Template {
                    kind: **kind,
                    part,
                    line: settings_line(parts.line(part), e.line()),
                    message: engine_message(&e, source),
                };
                env.add_template_owned(tenant_part(**kind, part), source.to_owned())
                    .map_err(refused)?;
                overridden.insert((**kind, part));
            }
        }
        let templates = Templates {
            env,
            language: settings.language,
            overridden,
        };
        for (kind, parts) in &kinds {
            for locale in [Locale::Tr, Locale::En] {
                let ctx = templates
                    .context(&Data::sample(**kind, locale))
                    .map_err(|e| SettingsError::Template {
                        kind: **kind,
                        part: TemplatePart::Text,
                        line: 0,
                        message: e.to_string(),
                    })?;
                // The HTML part sees the subject too, as in `render_email`.
                let html_ctx =
                    context! { email_subject => "[Takip No: 7KM-3QX-9PA] …", ..ctx.clone() };
                for part in TemplatePart::ALL {
                    let Some(source) = parts.part(part) else {
                        continue;
                    };
                    let ctx = if part == TemplatePart::Html {
                        &html_ctx
                    } else {
                        &ctx
                    };
                    templates
                        .env
                        .get_template(&tenant_part(**kind, part))
                        .and_then(|t| t.render(ctx))
                        .map_err(|e| SettingsError::Template {
                            kind: **kind,
                            part,
                            line: settings_line(parts.line(part), e.line()),
                            message: engine_message(&e, source),
                        })?;
                }
            }
        }
        Ok(templates)
    }

    /// The language notices are written in: the tenant's, else each message's own.
    pub fn language(&self) -> Option<Locale> {
        self.language
    }

    /// The values and words a notice's parts are rendered with (steps 1 and 2 of the
    /// [module docs](self)).
    fn context(&self, data: &Data) -> Result<Value, RenderError> {
        let failed = |e: minijinja::Error| RenderError::Template(e.to_string());
        let text = |v: Option<Value>| -> String {
            v.filter(|v| !v.is_none() && !v.is_undefined())
                .map(|v| v.to_string().trim().to_owned())
                .unwrap_or_default()
        };
        let common = self
            .env
            .get_template(&format!("{}/common.j2", data.lang))
            .and_then(|t| t.render_captured(data))
            .map_err(failed)?;
        let common = common.state();
        let labels = common.lookup("labels").unwrap_or_default();
        let label = |key: &str| -> String {
            labels
                .get_item(&Value::from(key))
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_none())
                .map(|v| v.to_string())
                .unwrap_or_else(|| key.to_owned())
        };
        let phrases_name = format!("{}/{}.j2", data.lang, data.step);
        let phrases = match self.env.get_template(&phrases_name) {
            Ok(t) => t,
            Err(_) => self
                .env
                .get_template(&format!("{}/other.j2", data.lang))
                .map_err(failed)?,
        };
        let phrases = phrases.render_captured(data).map_err(failed)?;
        let phrases = phrases.state();
        let urgent_word = label("urgent");
        let facts: Vec<Value> = data
            .facts(&urgent_word)
            .into_iter()
            .map(|(k, v)| context! { label => label(k), value => v })
            .collect();
        let blocks: Vec<Value> = data
            .blocks()
            .into_iter()
            .map(|(k, v)| context! { label => label(k), text => v })
            .collect();
        Ok(context! {
            greeting => text(common.lookup("greeting")),
            footer => text(common.lookup("footer")),
            title => text(phrases.lookup("title")),
            lead => text(phrases.lookup("lead")),
            sms_line => text(phrases.lookup("sms")),
            tag_label => label(data.tag.0),
            tag_value => data.tag.1.clone(),
            urgent_word,
            facts,
            blocks,
            labels => labels.clone(),
            ..Value::from_serialize(data)
        })
    }

    fn render_part(
        &self,
        kind: NoticeKind,
        part: TemplatePart,
        ctx: &Value,
    ) -> Result<String, RenderError> {
        let name = if self.overridden.contains(&(kind, part)) {
            tenant_part(kind, part)
        } else {
            builtin_part(part).to_owned()
        };
        self.env
            .get_template(&name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| RenderError::Template(e.to_string()))
    }

    fn data(&self, message: &OutboxMessage) -> Result<Data, RenderError> {
        Data::of(message, self.language.unwrap_or(message.locale))
    }

    /// Renders `message` for e-mail: subject, plain text and HTML.
    pub fn render_email(&self, message: &OutboxMessage) -> Result<RenderedEmail, RenderError> {
        let data = self.data(message)?;
        let ctx = self.context(&data)?;
        let subject = self
            .render_part(message.kind, TemplatePart::Subject, &ctx)?
            .trim()
            .to_owned();
        let text = self.render_part(message.kind, TemplatePart::Text, &ctx)?;
        let ctx = context! { email_subject => subject.clone(), ..ctx };
        let html = self.render_part(message.kind, TemplatePart::Html, &ctx)?;
        Ok(RenderedEmail {
            subject,
            text,
            html,
        })
    }

    /// Renders `message` as one SMS line, before the SMS policy (transliteration,
    /// truncation) is applied.
    pub fn render_sms_text(&self, message: &OutboxMessage) -> Result<String, RenderError> {
        let data = self.data(message)?;
        let ctx = self.context(&data)?;
        Ok(self
            .render_part(message.kind, TemplatePart::Sms, &ctx)?
            .trim()
            .to_owned())
    }
}

/// Checks a settings document's notice templates ([`Templates::from_settings`]): the
/// hook for `muhtar_core::service::Mbs::check_settings_with`.
pub fn check_templates(settings: &TenantSettings) -> Result<(), SettingsError> {
    Templates::from_settings(&settings.templates).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use muhtar_core::outbox::DeliveryChannel;
    use serde_json::json;

    fn msg(kind: NoticeKind, payload: serde_json::Value) -> OutboxMessage {
        OutboxMessage {
            id: uuid::Uuid::nil(),
            tenant: muhtar_core::ids::TenantId::new("t1").unwrap(),
            request: None,
            idempotency_key: "k".into(),
            kind,
            channel: DeliveryChannel::Email,
            recipient: "ali.demir@muhtar.example".into(),
            addressee: None,
            locale: Locale::Tr,
            payload: muhtar_core::outbox::NoticePayload::from_json(kind, payload).unwrap(),
            created_at: chrono::DateTime::<chrono::Utc>::default(),
            not_before: chrono::DateTime::<chrono::Utc>::default(),
        }
    }

    fn payload() -> serde_json::Value {
        json!({
            "tracking": "7KM-3QX-9PA",
            "muhtarlik": "kuzguncuk",
            "status": "routed",
            "received_at": "2025-03-14T09:00:00Z",
            "subject": "Okul önündeki çukur",
            "unit_name": "Fen İşleri Müdürlüğü",
            "resolution_due": "2025-04-02T14:30:00Z",
            "tenant_name": "Örnek İlçe Belediyesi",
        })
    }

    fn templates(toml: &str) -> Result<Templates, SettingsError> {
        let settings = TenantSettings::from_toml_str(toml).unwrap();
        Templates::from_settings(&settings.templates)
    }

    #[test]
    fn a_template_that_does_not_parse_is_refused_with_its_kind_part_and_line() {
        let toml = "[templates]\nlanguage = \"tr\"\n\n[templates.received]\nsubject = \"{{ title }}\"\ntext = \"\"\"\n{{ greeting }}\n\n{% if unit_name %}\n{{ lead }}\n\"\"\"\n";
        let e = templates(toml).unwrap_err();
        match &e {
            SettingsError::Template {
                kind, part, line, ..
            } => {
                assert_eq!((*kind, *part), (NoticeKind::Received, TemplatePart::Text));
                // The unclosed `if` is found at the template's end: line 4 of the
                // template, which starts on line 7 of the settings.
                assert_eq!(*line, 10, "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            e.to_string()
                .starts_with("settings, line 10: the text template of notice `received`"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_variable_is_refused_with_its_line() {
        let toml = "[templates.at-risk]\nsms = \"{{ tracking }}\"\nhtml = \"\"\"\n<p>{{ greeting }}</p>\n<p>{{ takip_no }}</p>\n\"\"\"\n";
        let e = templates(toml).unwrap_err();
        let SettingsError::Template {
            kind,
            part,
            line,
            message,
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(
            (*kind, *part, *line),
            (NoticeKind::AtRisk, TemplatePart::Html, 5),
            "{e}"
        );
        assert!(
            message.contains("undefined") && message.contains("takip_no"),
            "{message}"
        );
        // The same template with a known variable installs.
        let ok = toml.replace("takip_no", "tracking");
        assert!(templates(&ok).is_ok());
    }

    #[test]
    fn a_tenants_template_writes_its_notices_and_the_others_keep_the_built_in_ones() {
        let t = templates(
            "[templates.received]\nsubject = \"{{ tenant_name }}: {{ tag_value }} numaralı talebiniz alındı\"\nsms = \"{{ tag_value }} alındı, son tarih {{ resolution_due }}\"\n",
        )
        .unwrap();
        let r = t
            .render_email(&msg(NoticeKind::Received, payload()))
            .unwrap();
        assert_eq!(
            r.subject,
            "Örnek İlçe Belediyesi: 7KM-3QX-9PA numaralı talebiniz alındı"
        );
        // Parts not given keep the built-in template, in the tenant's subject too.
        assert!(r
            .text
            .starts_with("Sayın Muhtar,\n\nTalebiniz kaydedildi ve Fen İşleri"));
        assert!(r
            .html
            .contains("<title>Örnek İlçe Belediyesi: 7KM-3QX-9PA numaralı"));
        assert_eq!(
            t.render_sms_text(&msg(NoticeKind::Received, payload()))
                .unwrap(),
            "7KM-3QX-9PA alındı, son tarih 02.04.2025 17:30 (TSİ)"
        );
        // Another kind is untouched.
        let r = t.render_email(&msg(NoticeKind::Closed, payload())).unwrap();
        assert_eq!(r.subject, "[Takip No: 7KM-3QX-9PA] Talep kapatıldı");
        assert_eq!(
            r,
            crate::render_email(&msg(NoticeKind::Closed, payload())).unwrap()
        );
    }

    #[test]
    fn the_tenants_language_selects_english() {
        let t = templates("[templates]\nlanguage = \"en\"\n").unwrap();
        let m = msg(NoticeKind::Received, payload());
        let r = t.render_email(&m).unwrap();
        assert_eq!(
            r.subject,
            "[Tracking No: 7KM-3QX-9PA] Your request has been received"
        );
        assert!(r.text.starts_with("Dear Muhtar,"), "{}", r.text);
        assert!(r
            .text
            .contains("Answer due: 2025-04-02 17:30 (Istanbul time)"));
        assert!(r.html.contains("<html lang=\"en\">"));
        assert!(t
            .render_sms_text(&m)
            .unwrap()
            .starts_with("Tracking No: 7KM-3QX-9PA Request received"));
        // Without a language each notice keeps its own (Turkish).
        let r = templates("").unwrap().render_email(&m).unwrap();
        assert_eq!(r.subject, "[Takip No: 7KM-3QX-9PA] Talebiniz alındı");
    }

    #[test]
    fn html_escapes_a_subject_with_a_script_in_built_in_and_tenant_templates() {
        let mut p = payload();
        p["subject"] = json!("<script>alert('x')</script>");
        let m = msg(NoticeKind::Received, p);
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;";
        let r = crate::render_email(&m).unwrap();
        assert!(
            !r.html.contains("<script>") && r.html.contains(escaped),
            "{}",
            r.html
        );
        let t = templates(
            "[templates.received]\nsubject = \"{{ subject }}\"\nhtml = \"<h1>{{ email_subject }}</h1><p>{{ subject }}</p>{{ lead|br }}\"\n",
        )
        .unwrap();
        let r = t.render_email(&m).unwrap();
        // The subject line itself is not HTML: it keeps the text.
        assert_eq!(r.subject, "<script>alert('x')</script>");
        assert_eq!(
            r.html,
            format!("<h1>{escaped}</h1><p>{escaped}</p>Talebiniz kaydedildi ve Fen İşleri Müdürlüğü birimine iletildi. Cevap için son tarih: 02.04.2025 17:30 (TSİ).")
        );
        // The plain text is not escaped.
        assert!(!t.render_email(&m).unwrap().text.contains("&lt;"));
    }

    #[test]
    fn check_templates_is_the_settings_hook() {
        let ok = TenantSettings::from_toml_str("[templates.closed]\nsms = \"{{ sms_line }}\"\n")
            .unwrap();
        assert_eq!(check_templates(&ok), Ok(()));
        let bad =
            TenantSettings::from_toml_str("[templates.closed]\nsms = \"{{ sms_line \"\n").unwrap();
        assert!(matches!(
            check_templates(&bad),
            Err(SettingsError::Template {
                kind: NoticeKind::Closed,
                part: TemplatePart::Sms,
                line: 2,
                ..
            })
        ));
    }
}
