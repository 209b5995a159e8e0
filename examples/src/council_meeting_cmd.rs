//! `muhtar council meeting add | attendance | minutes | list | show`: the council's
//! meetings (issue 24's second part). Everything is `Mbs`'s (`muhtar_core::council::
//! Meeting`, `Mbs::add_meeting` … `record_minutes`); this file parses the arguments,
//! prints meetings and says the refusals in Turkish. Recording the minutes marks the
//! meeting held: its minutes and attendance never change afterwards.

use clap::{Args, Subcommand};
use muhtar_core::access::Actor;
use muhtar_core::calendar::local_time;
use muhtar_core::council::{Meeting, MeetingError, MeetingId, MemberId, NewMeeting};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::service::ServiceError;

use crate::council_cmd::print_json;
use crate::state_cmd::{self, Global};

/// `muhtar council meeting`.
#[derive(Debug, Clone, Subcommand)]
pub enum MeetingCmd {
    /// Schedule a meeting (the muhtar) and print its id.
    Add(MeetingAddArgs),
    /// Record who attended (replacing an earlier list), until the minutes are recorded.
    Attendance {
        /// The meeting's id.
        meeting: String,
        /// The members who attended (ids, comma-separated; empty: nobody).
        #[arg(long, value_name = "ID,ID")]
        members: String,
    },
    /// Record the minutes (once the meeting's time has come): the meeting is held, and
    /// its minutes and attendance no longer change.
    Minutes(MinutesArgs),
    /// The council's meetings, the latest first.
    List {
        /// The muhtarlık (code).
        #[arg(long)]
        muhtarlik: String,
    },
    /// A meeting: its agenda, attendance and minutes.
    Show {
        /// The meeting's id.
        meeting: String,
    },
}

/// `muhtar council meeting add`.
#[derive(Debug, Clone, Args)]
pub struct MeetingAddArgs {
    /// The muhtarlık (code).
    #[arg(long)]
    pub muhtarlik: String,
    /// When: YYYY-MM-DD HH:MM (Istanbul time) or RFC 3339.
    #[arg(long, value_name = "AT")]
    pub at: String,
    /// Where (one line, at most 200 characters).
    #[arg(long)]
    pub place: String,
    /// An agenda item (one line, at most 300 characters); repeat for each, 1 to 30.
    #[arg(long = "agenda", value_name = "ITEM")]
    pub agenda: Vec<String>,
    /// A proposal on the council's agenda to discuss (its id); repeat for each. Each
    /// becomes an item `Öneri: <title>` ahead of the `--agenda` items.
    #[arg(long = "proposal", value_name = "ID")]
    pub proposals: Vec<String>,
}

/// `muhtar council meeting minutes`.
#[derive(Debug, Clone, Args)]
pub struct MinutesArgs {
    /// The meeting's id.
    pub meeting: String,
    /// A file with the minutes (UTF-8 text).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "text",
        required_unless_present = "text"
    )]
    pub file: Option<std::path::PathBuf>,
    /// The minutes as text.
    #[arg(long)]
    pub text: Option<String>,
}

/// Runs a `muhtar council meeting` command.
pub async fn run(
    g: &Global,
    mbs: &state_cmd::Service,
    actor: &Actor,
    cmd: &MeetingCmd,
) -> Result<(), String> {
    let t = |e| turkish(e, actor);
    let meeting = match cmd {
        MeetingCmd::Add(a) => {
            let m =
                MuhtarlikCode::new(a.muhtarlik.trim()).map_err(|e| format!("--muhtarlik: {e}"))?;
            let new = NewMeeting {
                at: crate::works_cmd::instant("--at", &a.at, false)?,
                place: a.place.clone(),
                agenda: a.agenda.clone(),
                proposals: a
                    .proposals
                    .iter()
                    .map(|p| {
                        p.parse().map_err(|_| {
                            format!("--proposal: {p:?} bir öneri numarası değil (muhtar council proposal list)")
                        })
                    })
                    .collect::<Result<_, String>>()?,
            };
            let meeting = mbs.add_meeting(actor, &m, new).await.map_err(t)?;
            if !g.json {
                outln!("{}", meeting.id);
                return Ok(());
            }
            meeting
        }
        MeetingCmd::Attendance { meeting, members } => {
            let ids = members
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(|m| {
                    m.parse::<MemberId>().map_err(|_| {
                        format!(
                            "--members: {m:?} bir üye numarası değil (muhtar council member list)"
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let meeting = mbs
                .set_attendance(actor, meeting_id(meeting)?, &ids)
                .await
                .map_err(t)?;
            if !g.json {
                outln!("katılım kaydedildi: {} üye", meeting.attendance.len());
                return Ok(());
            }
            meeting
        }
        MeetingCmd::Minutes(a) => {
            let text = match (&a.file, &a.text) {
                (Some(f), _) => std::fs::read_to_string(f)
                    .map_err(|e| format!("--file {}: okunamadı: {e}", f.display()))?,
                (None, Some(t)) => t.clone(),
                (None, None) => return Err("--file ya da --text gerekli".into()),
            };
            let meeting = mbs
                .record_minutes(actor, meeting_id(&a.meeting)?, &text)
                .await
                .map_err(t)?;
            if !g.json {
                let sha = meeting.minutes.as_ref().map(|m| m.sha256.as_str());
                outln!(
                    "tutanak kaydedildi; toplantı yapıldı olarak kapandı (SHA-256 {})",
                    sha.unwrap_or_default()
                );
                return Ok(());
            }
            meeting
        }
        MeetingCmd::List { muhtarlik } => {
            let m =
                MuhtarlikCode::new(muhtarlik.trim()).map_err(|e| format!("--muhtarlik: {e}"))?;
            let meetings = mbs.meetings(actor, &m).await.map_err(t)?;
            if g.json {
                let views: Vec<_> = meetings.iter().map(view).collect();
                return print_json(&serde_json::json!({ "meetings": views }));
            }
            outln!(
                "{:<36}  {:<16}  {:<10}  {:<7}  YER",
                "NO",
                "ZAMAN",
                "DURUM",
                "KATILIM"
            );
            for m in &meetings {
                outln!(
                    "{:<36}  {:<16}  {:<10}  {:<7}  {}",
                    m.id,
                    local_time(m.at),
                    status(m),
                    m.attendance.len(),
                    m.place
                );
            }
            if meetings.is_empty() {
                outln!("(toplantı yok)");
            }
            return Ok(());
        }
        MeetingCmd::Show { meeting } => {
            let m = mbs.meeting(actor, meeting_id(meeting)?).await.map_err(t)?;
            if !g.json {
                show(mbs, actor, &m).await;
                return Ok(());
            }
            m
        }
    };
    print_json(&view(&meeting))
}

fn status(m: &Meeting) -> &'static str {
    if m.held {
        "yapıldı"
    } else {
        "planlandı"
    }
}

/// A meeting in Turkish: attendees named from the roll when the actor may read it.
async fn show(mbs: &state_cmd::Service, actor: &Actor, m: &Meeting) {
    outln!("Toplantı     {}", m.id);
    outln!("Zaman        {} (İstanbul saati)", local_time(m.at));
    outln!("Yer          {}", m.place);
    outln!("Durum        {}", status(m));
    outln!("Gündem");
    for (i, a) in m.agenda.iter().enumerate() {
        outln!("  {}. {a}", i + 1);
    }
    let roll = mbs.members(actor, &m.muhtarlik).await.unwrap_or_default();
    outln!("Katılanlar   {}", m.attendance.len());
    for id in &m.attendance {
        let name = roll.iter().find(|r| r.id == *id).map(|r| r.name.as_str());
        outln!("  {id}  {}", name.unwrap_or(""));
    }
    match &m.minutes {
        None => outln!("Tutanak      (henüz kaydedilmedi)"),
        Some(x) => {
            outln!(
                "Tutanak      {} tarihinde kaydedildi, SHA-256 {}",
                local_time(x.recorded_at),
                x.sha256
            );
            outln!("{}", x.text);
        }
    }
}

/// A meeting as `--json` prints it.
fn view(m: &Meeting) -> serde_json::Value {
    serde_json::json!({
        "id": m.id,
        "muhtarlik": m.muhtarlik,
        "at": m.at,
        "at_local": local_time(m.at),
        "place": m.place,
        "agenda": m.agenda,
        "attendance": m.attendance,
        "held": m.held,
        "minutes": m.minutes.as_ref().map(|x| serde_json::json!({
            "text": x.text,
            "recorded_at": x.recorded_at,
            "sha256": x.sha256,
        })),
        "created_at": m.created_at,
    })
}

fn meeting_id(text: &str) -> Result<MeetingId, String> {
    text.parse()
        .map_err(|_| format!("{text:?} bir toplantı numarası değil (muhtar council meeting list)"))
}

/// A meeting command's refusal in Turkish; other refusals as the council's.
fn turkish(e: ServiceError, actor: &Actor) -> String {
    match e {
        ServiceError::Meeting(m) => match m {
            MeetingError::Held { .. } => {
                "toplantının tutanağı kaydedildi: tutanak ve katılım artık değiştirilemez"
                    .to_owned()
            }
            MeetingError::NotYet { at } => format!(
                "toplantı {at} (İstanbul saati) yapılacak: tutanak o saatten sonra kaydedilir"
            ),
            MeetingError::NotOnRoll { member } => format!(
                "--members: {member} numaralı üye toplantı saatinde bu meclisin üye listesinde \
                 değildi"
            ),
            m => m.to_string(),
        },
        ServiceError::Input(i)
            if ["place", "agenda", "proposals", "minutes"].contains(&i.field()) =>
        {
            let flag = match i.field() {
                "place" => "--place",
                "agenda" => "--agenda",
                "proposals" => "--proposal",
                _ => "tutanak (--file/--text)",
            };
            let text = i.to_string();
            format!("{flag}{}", text.strip_prefix(i.field()).unwrap_or(&text))
        }
        ServiceError::NotFound(what) if what.starts_with("meeting") => {
            format!("böyle bir toplantı yok ya da {actor} göremez")
        }
        e => crate::council_cmd::turkish(e, actor),
    }
}
