//! From a cube to the report: names, reason texts, averages, breakdown rows.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::{Cube, Dimension, Quarter, ReportPeriod, Tally};
use crate::ids::{TenantId, UnitCode};
use crate::org::{OfficialTitle, Organisation};
use crate::reason::ReasonCode;

/// The format tag of the JSON.
pub const FORMAT: &str = "muhtar-quarterly-report/1";

/// The format tag of the JSON of a period that is not a quarter.
pub const PERIOD_FORMAT: &str = "muhtar-period-report/1";

/// How many categories `top_categories` lists.
pub const TOP_CATEGORIES: usize = 10;

/// The quarterly report (üç aylık rapor) of one tenant, or one unit and those below it;
/// also the report of any [`ReportPeriod`] (then `quarter` is `None`: not signable).
/// Field names are stable: see the [module documentation](super).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarterlyReport {
    /// `muhtar-quarterly-report/1` (`muhtar-period-report/1` for another period).
    pub format: String,
    /// Tenant id.
    pub tenant: TenantId,
    /// Tenant name.
    pub tenant_name: String,
    /// The quarter; `None` for a period that is not a quarter (not signable).
    pub quarter: Option<Quarter>,
    /// Its start and end in Istanbul local time.
    pub period: Period,
    /// What it covers.
    pub scope: Scope,
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// The responsible official who signs it (Genelge 2015/8 item 5), if named.
    pub responsible_official: Option<OfficialRef>,
    /// The counts of the whole scope.
    pub totals: Counts,
    /// Official documents dated in the period (absent in reports signed before they were
    /// counted, and in reports built without them: [`QuarterlyReport::with_documents`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<DocumentFigures>,
    /// Requests for the municipal council's agenda (belediye meclisi gündemi) received in
    /// the period (absent in reports signed before they were counted, and in reports
    /// built without them: [`QuarterlyReport::with_municipal_council`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipal_council: Option<u64>,
    /// Per unit.
    pub by_unit: Vec<Row>,
    /// Per category, most requests first.
    pub by_category: Vec<Row>,
    /// The ten categories with most requests.
    pub top_categories: Vec<Row>,
    /// Per channel.
    pub by_channel: Vec<Row>,
    /// Per neighbourhood (mahalle / köy).
    pub by_muhtarlik: Vec<Row>,
    /// Per request kind.
    pub by_kind: Vec<Row>,
    /// What every count means.
    pub definitions: Vec<Definition>,
}

/// Official documents of the period (issue 23): see the module docs' definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFigures {
    /// Requests registered as incoming documents (gelen evrak), dated in the period.
    pub registered: u64,
    /// Answers issued as official letters (giden evrak), dated in the period.
    pub letters: u64,
}

/// The Turkish label of [`QuarterlyReport::municipal_council`].
pub const MUNICIPAL_COUNCIL_LABEL: &str = "Belediye meclisi gündemi için gelen talepler";

/// The Turkish label of [`DocumentFigures::registered`].
pub const REGISTERED_LABEL: &str = "Gelen evrak olarak kaydedilen talepler";
/// The Turkish label of [`DocumentFigures::letters`].
pub const LETTERS_LABEL: &str = "Resmî yazıyla cevaplanan talepler";

impl DocumentFigures {
    /// The figures as (stable field name, Turkish label, value), in report order.
    pub fn figures(&self) -> [(&'static str, &'static str, u64); 2] {
        [
            ("registered", REGISTERED_LABEL, self.registered),
            ("letters", LETTERS_LABEL, self.letters),
        ]
    }
}

/// A period's bounds in local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// Start, included.
    pub start: DateTime<FixedOffset>,
    /// End, excluded.
    pub end: DateTime<FixedOffset>,
    /// The period as given: `2026`, `2026Q2` or `2026-01-01..2026-06-30` (absent in
    /// reports signed before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// What a report covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The unit it is narrowed to; `None`: the whole tenant.
    pub unit: Option<UnitCode>,
    /// That unit's name.
    pub unit_name: Option<String>,
    /// The units covered (the unit and those below it); empty for the whole tenant.
    pub units: Vec<UnitCode>,
}

/// The official, as printed on the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficialRef {
    /// Title, e.g. `genel-sekreter-yardimcisi`.
    pub title: OfficialTitle,
    /// Name.
    pub name: String,
}

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The code (unit, category, channel, muhtarlık or kind); empty: not routed.
    pub key: String,
    /// Its name in Turkish.
    pub name: String,
    /// Its counts.
    pub counts: Counts,
}

/// The counts of a report or of one breakdown row. See the module docs for definitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Received in the quarter.
    pub received: u64,
    /// Answered positive (olumlu).
    pub positive: u64,
    /// Answered negative (olumsuz).
    pub negative: u64,
    /// The negative ones by reason (gerekçe), most first.
    pub not_fulfilled: Vec<ReasonCount>,
    /// Still open at the quarter's end.
    pub open_at_end: u64,
    /// Answered within the deadline.
    pub answered_on_time: u64,
    /// Answered after the deadline.
    pub answered_late: u64,
    /// Open and overdue at the quarter's end.
    pub overdue_at_end: u64,
    /// Carried over from earlier quarters.
    pub carried_over: u64,
    /// Answers the working-day figures are made of.
    pub answered_with_days: u64,
    /// Median working days to answer.
    pub median_working_days: Option<f64>,
    /// Mean working days to answer.
    pub mean_working_days: Option<f64>,
    /// The calendar-day figures (`None` only in reports signed before they existed).
    #[serde(flatten)]
    pub calendar_days: Option<CalendarDayFigures>,
    /// The first-response counts (`None` only in reports signed before they existed).
    #[serde(flatten)]
    pub first_response: Option<FirstResponseFigures>,
}

/// Law 3071's first-response clock: see the module docs' definitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstResponseFigures {
    /// First response (interim reply or answer) before the end, within its deadline.
    pub first_response_on_time: u64,
    /// First response before the end, after its deadline.
    pub first_response_late: u64,
}

/// The calendar days to answer: see the module docs' definitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarDayFigures {
    /// Answers the calendar-day figures are made of.
    pub answered_with_calendar_days: u64,
    /// Median calendar days to answer.
    pub median_calendar_days: Option<f64>,
    /// Mean calendar days to answer.
    pub mean_calendar_days: Option<f64>,
}

/// A reason and how many negative answers gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    /// Reason code.
    pub code: String,
    /// The reason's text.
    pub text: String,
    /// Count.
    pub count: u64,
}

/// A definition printed with the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    /// The field.
    pub field: String,
    /// What it means, in Turkish.
    pub text: String,
}

impl Counts {
    fn of(t: &Tally, org: &Organisation) -> Counts {
        let mut not_fulfilled: Vec<ReasonCount> = t
            .reasons
            .iter()
            .map(|(code, count)| ReasonCount {
                code: code.clone(),
                text: reason_text(code, org),
                count: *count,
            })
            .collect();
        not_fulfilled.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        Counts {
            received: t.received,
            positive: t.positive,
            negative: t.negative,
            not_fulfilled,
            open_at_end: t.open_at_end,
            answered_on_time: t.answered_on_time,
            answered_late: t.answered_late,
            overdue_at_end: t.overdue_at_end,
            carried_over: t.carried_over,
            answered_with_days: t.answered_with_days(),
            median_working_days: t.median_working_days(),
            mean_working_days: t.mean_working_days(),
            calendar_days: Some(CalendarDayFigures {
                answered_with_calendar_days: t.answered_with_calendar_days(),
                median_calendar_days: t.median_calendar_days(),
                mean_calendar_days: t.mean_calendar_days(),
            }),
            first_response: Some(FirstResponseFigures {
                first_response_on_time: t.first_response_on_time,
                first_response_late: t.first_response_late,
            }),
        }
    }

    /// The share answered on time, in percent, if anything was answered.
    pub fn on_time_percent(&self) -> Option<f64> {
        let done = self.answered_on_time + self.answered_late;
        (done > 0).then(|| (self.answered_on_time as f64 * 1000.0 / done as f64).round() / 10.0)
    }
}

fn reason_text(code: &str, org: &Organisation) -> String {
    if code.is_empty() {
        return "Gerekçe belirtilmemiş".into();
    }
    ReasonCode::new(code)
        .definition(org)
        .map(|d| d.name)
        .unwrap_or_else(|_| code.to_owned())
}

/// The Turkish name of a channel's stable name (`metropolitan-system` too).
pub fn channel_name(key: &str) -> String {
    key.parse::<crate::request::Channel>()
        .map(|c| c.display_name().to_owned())
        .unwrap_or_else(|_| key.to_owned())
}

/// The Turkish name of a request kind's stable name.
pub fn kind_name(key: &str) -> String {
    crate::request::RequestKind::ALL
        .into_iter()
        .find(|k| k.as_str() == key)
        .map(|k| k.display_name().to_owned())
        .unwrap_or_else(|| key.to_owned())
}

fn definitions() -> Vec<Definition> {
    let d = |f: &str, t: &str| Definition {
        field: f.into(),
        text: t.into(),
    };
    vec![
        d("period", "Dönem: çeyrek (2026Q1: 1 Ocak 00:00 – 1 Nisan 00:00), yıl (2026: 1 Ocak 00:00 – 1 Ocak 2027 00:00) ya da iki tarih arası, iki gün de dahil (2026-01-01..2026-06-30: 1 Ocak 00:00 – 1 Temmuz 00:00); Türkiye saatiyle (Europe/Istanbul), başlangıç dahil, bitiş hariç. Yalnızca çeyrek raporları onaylanır."),
        d("received", "Alınma anı dönem içinde olan talepler. Aşağıdaki sayıların tümü (devreden hariç) bu talepler içindir."),
        d("positive", "Dönem bitmeden olumlu sonuçlandırılanlar (yerine getirildi veya programa alındı)."),
        d("negative", "Dönem bitmeden olumsuz sonuçlandırılanlar; muhtarın geri çektiği ve mükerrer olduğu için birleştirilen talepler dahil."),
        d("not_fulfilled", "Olumsuz sonuçlananların gerekçeye göre dağılımı; toplamı olumsuz sayısına eşittir."),
        d("open_at_end", "Dönem sonunda sonuçlanmamış olanlar. Olumlu + olumsuz + açık = alınan."),
        d("answered_on_time", "Cevap süresi (son tarih) içinde sonuçlandırılanlar; son tarihi olmayanlar süresinde sayılır."),
        d("answered_late", "Son tarihten sonra sonuçlandırılanlar. Süresinde + gecikmeli = olumlu + olumsuz."),
        d("first_response_on_time", "İlk cevabı (ara cevap ya da cevap, hangisi önceyse; 3071 sayılı Kanun) dönem bitmeden ve ilk cevap süresi içinde verilenler; ilk cevap süresi olmayanlar süresinde sayılır."),
        d("first_response_late", "İlk cevabı dönem bitmeden ama ilk cevap süresi geçtikten sonra verilenler. Süresinde + gecikmeli ilk cevap = dönem bitmeden ilk cevabı verilen alınan talepler; kalanına henüz ilk cevap verilmemiştir."),
        d("overdue_at_end", "Dönem sonunda açık olup son tarihi dönem bitmeden geçmiş olanlar."),
        d("carried_over", "Dönemden önce alınıp dönemin başında hâlâ sonuçlanmamış talepler."),
        d("median_working_days", "Dönem bitmeden cevaplananlarda alınma gününden sonraki ilk iş gününden cevap gününe kadar geçen iş günü (aynı gün cevap: 0); talebin süre politikasının sayım biçimiyle ve cevap anındaki takvimle. Ortanca ve ortalama iki ondalıkla."),
        d("median_calendar_days", "Aynı cevaplarda alınma gününden sonraki günden cevap gününe kadar geçen takvim günü, Türkiye tarihleriyle; hafta sonu ve tatiller de sayılır (aynı gün cevap: 0, ertesi gün: 1; cuma 16:00'da alınıp pazartesi 09:00'da cevaplanan: 3 takvim günü, 1 iş günü). Ortanca ve ortalama iki ondalıkla."),
        d("by_channel", "Başvuru kanalına göre dağılım: her kanal için aynı sayılar; toplamları genel toplama eşittir."),
        d("scope", "Kapsam: kurumun tamamı ya da bir birim ve altındaki birimler; talep şu an bulunduğu birime sayılır."),
        d("state", "Rapor her talebin güncel durumunu okur: dönem içinde cevaplanıp sonra yeniden açılan talep açık sayılır. İmzalanan rapor dondurulur, sonradan değişmez."),
    ]
}

impl QuarterlyReport {
    /// Builds the report of `quarter` for the tenant of `org`, narrowed to `unit` and
    /// those below it when given, from its cube.
    pub fn build(
        cube: &Cube,
        org: &Organisation,
        quarter: Quarter,
        unit: Option<&UnitCode>,
        generated_at: DateTime<Utc>,
    ) -> QuarterlyReport {
        Self::build_period(cube, org, quarter.into(), unit, generated_at)
    }

    /// Builds the report of any `period` (a quarter's is the quarterly report), as
    /// [`QuarterlyReport::build`].
    pub fn build_period(
        cube: &Cube,
        org: &Organisation,
        period: ReportPeriod,
        unit: Option<&UnitCode>,
        generated_at: DateTime<Utc>,
    ) -> QuarterlyReport {
        let scope_units = unit.map(|u| super::scope_units(org, u)).unwrap_or_default();
        let official = match unit {
            Some(u) => org.official_for(u),
            None => org.reporting_official(),
        };
        let empty = BTreeMap::new();
        let rows = |d: Dimension, all: Vec<(String, String)>| -> Vec<Row> {
            let tallies = cube.by.get(&d).unwrap_or(&empty);
            let mut keys: BTreeMap<String, String> = all.into_iter().collect();
            for k in tallies.keys() {
                keys.entry(k.clone()).or_insert_with(|| k.clone());
            }
            let zero = Tally::default();
            let mut rows: Vec<Row> = keys
                .into_iter()
                .map(|(key, name)| Row {
                    counts: Counts::of(tallies.get(&key).unwrap_or(&zero), org),
                    key,
                    name,
                })
                .collect();
            rows.sort_by(|a, b| {
                (b.counts.received, b.counts.carried_over)
                    .cmp(&(a.counts.received, a.counts.carried_over))
                    .then_with(|| a.key.cmp(&b.key))
            });
            rows
        };
        let unit_rows: Vec<(String, String)> = org
            .units
            .iter()
            .filter(|u| u.active && (unit.is_none() || scope_units.contains(&u.code)))
            .map(|u| (u.code.to_string(), u.name.clone()))
            .collect();
        let mut by_unit = rows(Dimension::Unit, unit_rows);
        for r in &mut by_unit {
            if r.key.is_empty() {
                r.name = "Yönlendirilmemiş".into();
            } else if let Some(u) = UnitCode::new(r.key.clone()).ok().and_then(|c| org.unit(&c)) {
                r.name = u.name.clone();
            }
        }
        let by_category = rows(
            Dimension::Category,
            org.categories
                .iter()
                .map(|c| (c.code.clone(), c.name.clone()))
                .collect(),
        );
        let top_categories = by_category
            .iter()
            .filter(|r| r.counts.received > 0)
            .take(TOP_CATEGORIES)
            .cloned()
            .collect();
        // Every channel has a row, the ones without requests with zeros.
        let channels = crate::request::Channel::ALL
            .iter()
            .map(|c| (super::serde_name(c), String::new()))
            .collect();
        let mut by_channel = rows(Dimension::Channel, channels);
        for r in &mut by_channel {
            r.name = channel_name(&r.key);
        }
        let by_muhtarlik = rows(
            Dimension::Muhtarlik,
            org.muhtarliklar
                .iter()
                .map(|m| (m.code.to_string(), m.name.clone()))
                .collect(),
        );
        let mut by_kind = rows(Dimension::Kind, vec![]);
        for r in &mut by_kind {
            r.name = kind_name(&r.key);
        }
        let quarter = period.quarter();
        QuarterlyReport {
            format: if quarter.is_some() {
                FORMAT
            } else {
                PERIOD_FORMAT
            }
            .into(),
            tenant: org.tenant.id.clone(),
            tenant_name: org.tenant.name.clone(),
            quarter,
            period: Period {
                start: crate::calendar::to_istanbul(period.start()),
                end: crate::calendar::to_istanbul(period.end()),
                label: Some(period.to_string()),
            },
            scope: Scope {
                unit: unit.cloned(),
                unit_name: unit.and_then(|u| org.unit(u)).map(|u| u.name.clone()),
                units: scope_units,
            },
            generated_at,
            responsible_official: official.map(|o| OfficialRef {
                title: o.title,
                name: o.person.name.clone(),
            }),
            totals: Counts::of(&cube.total, org),
            documents: None,
            municipal_council: None,
            by_unit,
            by_category,
            top_categories,
            by_channel,
            by_muhtarlik,
            by_kind,
            definitions: definitions(),
        }
    }

    /// The report with the period's official documents ([`DocumentFigures`], from
    /// [`crate::store::DocumentStore::document_counts`]) and their definition.
    pub fn with_documents(mut self, counts: crate::document::DocumentCounts) -> Self {
        self.documents = Some(DocumentFigures {
            registered: counts.incoming,
            letters: counts.letters,
        });
        self.definitions.push(Definition {
            field: "documents".into(),
            text: "Resmî evrak: dönem içinde gelen evrak olarak kaydedilen talepler (kayıt tarihine göre; alınma anı daha önce olabilir) ve cevabı dönem içinde resmî yazı (giden evrak) olarak düzenlenen talepler. Birim raporunda kapsamdaki birimlerin evrak kayıt birimlerinin (DETSİS numaralı birim; numarası olmayan birim en yakın üst birimin kaydını kullanır) evrakı sayılır.".into(),
        });
        self
    }

    /// The report with the count of requests for the municipal council's agenda received
    /// in the period ([`crate::store::DecisionStore::municipal_council_count`]) and its
    /// definition.
    pub fn with_municipal_council(mut self, n: u64) -> Self {
        self.municipal_council = Some(n);
        self.definitions.push(Definition {
            field: "municipal_council".into(),
            text: format!("{MUNICIPAL_COUNCIL_LABEL}: dönem içinde alınan ve belediye meclisinin gündemi için gönderildiği işaretlenen talepler (mahalle meclisi kararları dahil). Birim raporunda talebin şu an bulunduğu birim kapsamdaysa sayılır."),
        });
        self
    }

    /// The period's name: its label, or the quarter of a report signed before labels.
    pub fn label(&self) -> String {
        match (&self.period.label, self.quarter) {
            (Some(l), _) => l.clone(),
            (None, Some(q)) => q.to_string(),
            (None, None) => format!("{}..{}", self.period.start, self.period.end),
        }
    }

    /// The first and the last day of the period (included), local dates.
    pub fn days(&self) -> (chrono::NaiveDate, chrono::NaiveDate) {
        let last = (self.period.end - chrono::Duration::days(1)).date_naive();
        (
            self.period.start.date_naive(),
            last.max(self.period.start.date_naive()),
        )
    }

    /// Every breakdown with its name, in report order.
    pub fn breakdowns(&self) -> [(&'static str, &'static str, &[Row]); 5] {
        [
            ("by_unit", "Birimlere göre", &self.by_unit),
            ("by_category", "Kategorilere göre", &self.by_category),
            ("by_channel", "Başvuru kanalına göre", &self.by_channel),
            ("by_muhtarlik", "Mahalle / köye göre", &self.by_muhtarlik),
            ("by_kind", "Talep türüne göre", &self.by_kind),
        ]
    }
}
