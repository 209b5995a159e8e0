//! The request sheet (`muhtar show`): Turkish labels and display names, Europe/Istanbul
//! local times, the outcome with its reason's name, one history line per event.

use muhtar_core::prelude::*;
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::sheet::{sheet, summary_line, table};
use muhtar_core::request::{Command, Outcome};
use muhtar_core::testkit::block_on;
use muhtar_core::testkit::fixtures;

#[test]
fn given_an_answered_request_the_sheet_reads_in_turkish_with_local_times() {
    block_on(async {
        // Given a request received at 09:00 UTC (12:00 in Istanbul) and answered negatively.
        let (mbs, t) = fixtures::service("sheet", 1).await;
        let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
        let rec = mbs
            .submit(&muhtar, fixtures::new_request("kuzguncuk"))
            .await
            .unwrap();
        let tr = rec.state.tracking;
        let coordinator = Actor::parse(&t, "coordinator").unwrap();
        mbs.execute(
            &coordinator,
            &tr,
            None,
            Command::Answer {
                outcome: Outcome::Negative,
                reason: Some(ReasonCode::new("no-budget")),
                reason_text: None,
                text: "Bütçe yok".into(),
            },
        )
        .await
        .unwrap();
        // When the sheet is made.
        let rec = mbs.get(&coordinator, &tr).await.unwrap();
        let history = mbs.history(&coordinator, &tr).await.unwrap();
        let clocks = mbs.deadline(&coordinator, &tr).await.unwrap();
        let ctx = mbs.context(&t).await.unwrap();
        let text = sheet(&rec.state, &history, &clocks, &ctx.org);
        // Then it names things as people do, in Istanbul time.
        assert!(text.contains(&format!("Takip No     {tr}")), "{text}");
        assert!(text.contains("Alındı       2025-03-14 12:00"), "{text}");
        assert!(text.contains(rec.state.status.display_name()), "{text}");
        assert!(
            text.contains(&format!(
                "Sonuç        {} — gerekçe: {}",
                Outcome::Negative.display_name(),
                ReasonCode::new("no-budget").display_name(&ctx.org)
            )),
            "{text}"
        );
        assert!(text.contains("Kanal: "), "{text}");
        for enum_name in ["Answered", "Negative", "MbsWeb", "no-budget"] {
            assert!(!text.contains(enum_name), "{enum_name} in {text}");
        }
        let lines = text.lines().skip_while(|l| *l != "Geçmiş:").skip(1).count();
        assert_eq!(lines, history.len(), "{text}");
    });
}

#[test]
fn given_requests_the_table_and_summary_show_names_and_istanbul_deadlines() {
    block_on(async {
        let (mbs, t) = fixtures::service("table", 2).await;
        let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
        let urgent = fixtures::request_builder("kuzguncuk")
            .priority(muhtar_core::request::Priority::Urgent)
            .build();
        let rec = mbs.submit(&muhtar, urgent).await.unwrap();
        // When listed and summed up.
        let text = table(std::slice::from_ref(&rec));
        let line = summary_line("submitted", &rec);
        // Then the status reads as people say it, the deadline in Istanbul time, İVEDİ first.
        let due = muhtar_core::request::sheet::local_time(rec.deadlines.resolution_due.unwrap());
        assert!(text.starts_with("TAKİP NO"), "{text}");
        assert!(text.contains(&rec.state.tracking.to_string()), "{text}");
        assert!(text.contains(rec.state.status.display_name()), "{text}");
        assert!(
            text.contains(&format!("İVEDİ · {}", rec.state.content.subject)),
            "{text}"
        );
        assert!(
            text.contains(&due) && line.ends_with(&due),
            "{text}\n{line}"
        );
        assert!(
            line.starts_with(&format!("submitted: {}  İVEDİ", rec.state.tracking)),
            "{line}"
        );
        assert_eq!(table(&[]).lines().nth(1), Some("(none)"));
    });
}
