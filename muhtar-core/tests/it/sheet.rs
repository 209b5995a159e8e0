//! The request sheet (`muhtar show`): Turkish labels and display names, Europe/Istanbul
//! local times, the outcome with its reason's name, one history line per event.

use muhtar_core::prelude::*;
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::sheet::{local_time, sheet, summary_line, table};
use muhtar_core::request::{Command, Location, Outcome};
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

/// Issue 20: the sheet says what a person needs — the answer's text, the reason's name
/// and its explanation, interim replies and messages with who wrote them (by name and
/// role) in Istanbul time, and why the deadline is what it is (policy, length, days not
/// counted, the pause and the days it added).
#[test]
fn given_replies_messages_a_pause_and_an_answer_the_sheet_shows_them_all() {
    block_on(async {
        // Given a request received Friday 12:00 in Istanbul (09:00 UTC), accepted by the
        // unit, replied to, paused on the muhtar until Tuesday, messaged both ways and
        // answered negatively.
        let (mbs, t) = fixtures::service("sheet-all", 3).await;
        let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
        let rec = mbs
            .submit(&muhtar, fixtures::new_request("kuzguncuk"))
            .await
            .unwrap();
        let tr = rec.state.tracking;
        let unit = rec.state.unit.clone().unwrap();
        let staff = Actor::parse(&t, &format!("unit:{unit}@ayse.k")).unwrap();
        let hours = |h| chrono::Duration::minutes((h * 60.0) as i64);
        let steps = [
            (0.0, &staff, Command::Accept),
            (
                1.0,
                &staff,
                Command::InterimReply {
                    text: "Ekip yola çıktı".into(),
                },
            ),
            (
                1.0,
                &staff,
                Command::Message {
                    text: "Fotoğraf gönderir misiniz?".into(),
                },
            ),
            (
                0.5,
                &staff,
                Command::Pause {
                    reason: muhtar_core::request::PauseReason::Muhtar,
                    note: "Fotoğraf".into(),
                },
            ),
            // Tuesday 10:00.
            (
                91.5,
                &muhtar,
                Command::Message {
                    text: "Fotoğraflar ekte".into(),
                },
            ),
            (
                0.0,
                &staff,
                Command::Resume {
                    note: "Fotoğraflar geldi".into(),
                },
            ),
            (
                1.0,
                &staff,
                Command::Answer {
                    outcome: Outcome::Negative,
                    reason: Some(ReasonCode::new("no-budget")),
                    reason_text: Some("2025 ödeneği tükendi".into()),
                    text: "Bu yıl bütçe yok.\nGelecek yıl programa alınacak.".into(),
                },
            ),
        ];
        for (h, who, cmd) in steps {
            mbs.clock().advance(hours(h));
            mbs.execute(who, &tr, None, cmd)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        // When the sheet is made.
        let rec = mbs.get(&muhtar, &tr).await.unwrap();
        let history = mbs.history(&muhtar, &tr).await.unwrap();
        let clocks = mbs.deadline(&muhtar, &tr).await.unwrap();
        let ctx = mbs.context(&t).await.unwrap();
        let org = &ctx.org;
        let text = sheet(&rec.state, &history, &clocks, org);
        let unit_name = &org.unit(&unit).unwrap().name;
        let muhtarlik = &org.muhtarlik(&rec.state.content.muhtarlik).unwrap().name;
        // Then the answer: outcome, the reason's name and explanation, the text (every line).
        assert!(
            text.contains(&format!(
                "Sonuç        olumsuz — gerekçe: {}\nAçıklama     2025 ödeneği tükendi\n",
                ReasonCode::new("no-budget").display_name(org)
            )),
            "{text}"
        );
        assert!(
            text.contains(
                "Cevap        2025-03-18 11:00\n             Bu yıl bütçe yok.\n             \
                 Gelecek yıl programa alınacak.\n"
            ),
            "{text}"
        );
        // The interim reply and the messages: Istanbul time, the author's name and role.
        let staff_name = format!("{unit_name} (birim personeli) — ayse.k");
        assert!(
            text.contains(&format!(
                "Ara cevaplar:\n  2025-03-14 13:00  {staff_name}:\n      Ekip yola çıktı\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "Mesajlar:\n  2025-03-14 14:00  {staff_name}:\n      Fotoğraf gönderir misiniz?\n  \
                 2025-03-18 10:00  {muhtarlik} (muhtar):\n      Fotoğraflar ekte\n"
            )),
            "{text}"
        );
        // The deadline with its explanation: policy, length and unit, the start, the
        // pause and what it added, the last counted day, the due instant.
        let x = &clocks.resolution.explanation;
        assert!(
            text.contains(&format!(
                "Süre hesabı  politika {}: {} ",
                x.policy, x.length
            )),
            "{text}"
        );
        assert!(
            text.contains("başlangıç 2025-03-14 12:00; o gün sayılmaz"),
            "{text}"
        );
        assert!(
            text.contains(&format!("son sayılan gün {}", x.last_counted_day)),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "bekleme 2025-03-14 14:30 – 2025-03-18 10:00 (muhtar bekleniyor): +{} ",
                x.pauses[0].days_added
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "süre sonu {} (mesai bitimi)",
                local_time(clocks.resolution.due.to_utc())
            )),
            "{text}"
        );
        // The history names who acted as people do, never the actor's code form.
        assert!(
            text.contains(&format!("{muhtarlik} (muhtar)\n")) && text.contains(" sistem\n"),
            "{text}"
        );
        for code_form in [
            "@",
            "unit:",
            "muhtar:",
            "system",
            "UTC",
            "Negative",
            "InProgress",
        ] {
            assert!(!text.contains(code_form), "{code_form} in {text}");
        }
    });
}

#[test]
fn a_location_outside_the_muhtarliks_boundary_is_a_warning_on_the_sheet() {
    block_on(async {
        let org = crate::example_org();
        let t = org.tenant.id.clone();
        let mbs = muhtar_core::service::Mbs::new(
            muhtar_core::testkit::MemoryStore::default(),
            muhtar_core::clock::ManualClock::new(fixtures::t0()),
            muhtar_core::ids::SeededRandom::new(1),
        );
        mbs.install_organisation(&Actor::system(t.clone()), org.clone())
            .await
            .unwrap();
        let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
        let at = |m: &str| {
            let c = org
                .muhtarlik(&MuhtarlikCode::new(m).unwrap())
                .unwrap()
                .centre
                .unwrap();
            fixtures::request_builder("kuzguncuk")
                .category("kar-buz")
                .location(Some(Location {
                    lat: c.lat,
                    lon: c.lon,
                }))
                .build()
        };
        let sheet_of = |rec: muhtar_core::store::RequestRecord| {
            let mbs = &mbs;
            let t = t.clone();
            async move {
                let tr = rec.state.tracking;
                let history = mbs.history(&Actor::system(t.clone()), &tr).await.unwrap();
                let clocks = mbs.deadline(&Actor::system(t.clone()), &tr).await.unwrap();
                let ctx = mbs.context(&t).await.unwrap();
                sheet(&rec.state, &history, &clocks, &ctx.org)
            }
        };
        let outside = mbs.submit(&muhtar, at("beylerbeyi")).await.unwrap();
        let text = sheet_of(outside).await;
        assert!(
            text.contains(
                "             Uyarı: Konum, Kuzguncuk Mahallesi sınırlarının dışında; nokta Beylerbeyi Mahallesi içinde."
            ),
            "{text}"
        );
        let inside = mbs.submit(&muhtar, at("kuzguncuk")).await.unwrap();
        let text = sheet_of(inside).await;
        assert!(text.contains("Konum        41.0369, 29.0306"), "{text}");
        assert!(!text.contains("Uyarı"), "{text}");
    });
}

#[test]
fn given_a_registered_paper_petition_answered_by_letter_the_sheet_lists_its_documents() {
    block_on(async {
        // Given a paper petition with its own number, registered and answered by letter.
        let (mbs, t) = fixtures::service("sheetdoc", 3).await;
        let coordinator = Actor::parse(&t, "coordinator").unwrap();
        let req = fixtures::request_builder("kuzguncuk")
            .registration_number("2025/145".to_owned())
            .build();
        let tr = mbs.submit(&coordinator, req).await.unwrap().state.tracking;
        let incoming = mbs.register_document(&coordinator, &tr).await.unwrap();
        let ctx = mbs.context(&t).await.unwrap();
        let show = || async {
            let rec = mbs.get(&coordinator, &tr).await.unwrap();
            let history = mbs.history(&coordinator, &tr).await.unwrap();
            let clocks = mbs.deadline(&coordinator, &tr).await.unwrap();
            sheet(&rec.state, &history, &clocks, &ctx.org)
        };
        // Registered, not yet answered: the incoming document only.
        let text = show().await;
        assert!(text.contains("Dilekçe no   2025/145"), "{text}");
        assert!(
            text.contains(&format!(
                "Gelen evrak  {} ({})  doğrulama kodu {}",
                incoming.number,
                local_time(incoming.date),
                incoming.code
            )),
            "{text}"
        );
        assert!(!text.contains("Cevap yazısı"), "{text}");
        // When it is answered and the answer issued as a letter.
        mbs.execute(
            &coordinator,
            &tr,
            None,
            Command::Answer {
                outcome: Outcome::Positive,
                reason: None,
                reason_text: None,
                text: "Yol onarıldı".into(),
            },
        )
        .await
        .unwrap();
        let letter = mbs.issue_letter(&coordinator, &tr).await.unwrap();
        // Then the sheet lists both, the letter after the incoming document.
        let text = show().await;
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle} in {text}"))
        };
        assert!(at("Gelen evrak ") < at(&format!("Cevap yazısı {} (", letter.number)));
        assert_ne!(incoming.number, letter.number);
    });
}
