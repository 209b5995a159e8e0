//! `muhtar council member add | list | remove` and `muhtar council vote open | cast |
//! change | close | result | verify | list`: a muhtarlık's neighbourhood council (mahalle
//! meclisi), its member roll and its votes (issue 24's first part). Everything is
//! `Mbs`'s (`muhtar_core::council`, `Mbs::add_member` … `verify_receipt`); this file
//! parses the arguments, prints members, votes and results, and says the refusals in
//! Turkish. The muhtar (`--as muhtar:CODE`) runs the council and records the members'
//! ballots; the coordinator, the responsible official and auditors read it.

use clap::{Args, Subcommand};
use muhtar_core::access::Actor;
use muhtar_core::calendar::local_time;
use muhtar_core::council::{
    CouncilError, Decision, IdentityKey, Majority, Member, MemberId, MemberRole, NewMember,
    NewVote, ReceiptCode, Tally, Vote, VoteId, VoteOptions, VoteStatus,
};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::request::InputError;
use muhtar_core::service::{Cast, ServiceError};

use crate::state_cmd::{self, Global};

/// `muhtar council`.
#[derive(Debug, Clone, Subcommand)]
pub enum CouncilCmd {
    /// The council's member roll: add, list, remove.
    #[command(subcommand)]
    Member(MemberCmd),
    /// The council's votes: open, cast, change, close, result, verify, list.
    #[command(subcommand)]
    Vote(VoteCmd),
    /// The council's agenda: proposals, supports, comments (council_proposal_cmd.rs).
    #[command(subcommand)]
    Proposal(crate::council_proposal_cmd::ProposalCmd),
    /// The council's meetings: add, attendance, minutes, list, show.
    #[command(subcommand)]
    Meeting(crate::council_meeting_cmd::MeetingCmd),
    /// A vote's adopted decision sent as a request: send (council_decision_cmd.rs).
    #[command(subcommand)]
    Decision(crate::council_decision_cmd::DecisionCmd),
    /// The tenant's identity-number key: `new` writes one (needs no database).
    #[command(subcommand, name = "identity-key")]
    IdentityKey(IdentityKeyCmd),
}

/// `muhtar council identity-key`.
#[derive(Debug, Clone, Subcommand)]
pub enum IdentityKeyCmd {
    /// Write a new random identity-number key for a tenant to FILE (mode 0600, never
    /// overwritten); give it with --identity-key FILE (MUHTAR_IDENTITY_KEY). Losing it
    /// means stored identity numbers can no longer be matched.
    New {
        /// The tenant (as in the organisation file).
        #[arg(long = "for-tenant", value_name = "TENANT")]
        for_tenant: String,
        /// The key file to write.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
}

/// The identity keys of `--identity-key FILE` (none without it): what the service hashes
/// members' identity numbers with ([`muhtar_core::service::Mbs::identity_keys`]).
pub fn identity_keys(file: Option<&std::path::Path>) -> Result<Vec<IdentityKey>, String> {
    let Some(path) = file.filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(Vec::new());
    };
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--identity-key: {name} okunamadı: {e}"))?;
    let key =
        IdentityKey::from_file_text(&text).map_err(|e| format!("--identity-key {name}: {e}"))?;
    Ok(vec![key])
}

fn identity_key_new(g: &Global, cmd: &IdentityKeyCmd) -> Result<(), String> {
    let IdentityKeyCmd::New { for_tenant, out } = cmd;
    let tenant = muhtar_core::ids::TenantId::new(for_tenant.clone())
        .map_err(|e| format!("--for-tenant: {e}"))?;
    let mut secret = [0u8; 32];
    getrandom::getrandom(&mut secret)
        .map_err(|e| format!("işletim sisteminden rastgele sayı alınamadı: {e}"))?;
    let key = IdentityKey::from_secret(tenant, secret);
    secret.fill(0);
    crate::document_cmd::write_secret_file(out, &key.to_file_text())?;
    if g.json {
        print_json(&serde_json::json!({ "tenant": for_tenant, "file": out }))
    } else {
        outln!("{}", out.display());
        Ok(())
    }
}

/// `muhtar council member`.
#[derive(Debug, Clone, Subcommand)]
pub enum MemberCmd {
    /// Register a member (the muhtar) and print their id.
    Add(MemberAddArgs),
    /// The council's members, removed ones marked.
    List {
        /// The muhtarlık (code).
        #[arg(long)]
        muhtarlik: String,
    },
    /// Take a member off the roll (kept on record; votes opened later leave them out).
    Remove {
        /// The member's id (from `muhtar council member list`).
        id: String,
    },
}

/// `muhtar council member add`.
#[derive(Debug, Clone, Args)]
pub struct MemberAddArgs {
    /// The muhtarlık (code).
    #[arg(long)]
    pub muhtarlik: String,
    /// Full name.
    #[arg(long)]
    pub name: String,
    /// E-mail address (an e-mail address or a phone is needed).
    #[arg(long)]
    pub email: Option<String>,
    /// Phone (05xx xxx xx xx).
    #[arg(long)]
    pub phone: Option<String>,
    /// Role (default resident).
    #[arg(long, value_parser = crate::named_arg::<MemberRole>(MemberRole::NAMES))]
    pub role: Option<MemberRole>,
    /// Identity number (T.C. kimlik no, 11 digits), kept only as a keyed hash so the roll
    /// refuses the same person twice: needs --identity-key FILE.
    #[arg(long, value_name = "N")]
    pub identity_number: Option<String>,
}

/// `muhtar council vote`.
#[derive(Debug, Clone, Subcommand)]
pub enum VoteCmd {
    /// Open a vote (the muhtar): the eligible members are the roll now. Prints its id.
    Open(OpenArgs),
    /// Record a member's ballot (the muhtar) and print its receipt code, shown once.
    Cast {
        /// The vote's id.
        vote: String,
        /// The member voting (id).
        #[arg(long)]
        member: String,
        /// The option chosen (its name; for/against/abstain also name Kabul/Ret/Çekimser).
        #[arg(long)]
        choice: String,
    },
    /// Change a secret ballot by its receipt (votes opened with --changeable).
    Change {
        /// The vote's id.
        vote: String,
        /// The ballot's receipt code.
        #[arg(long)]
        receipt: String,
        /// The new choice.
        #[arg(long)]
        choice: String,
    },
    /// Close a vote once its time is over: count the ballots and freeze the result.
    Close {
        /// The vote's id.
        vote: String,
    },
    /// A closed vote's result, recounted from the stored ballots.
    Result {
        /// The vote's id.
        vote: String,
    },
    /// What a receipt's ballot chose and whether it is counted (exit status 1 if not).
    Verify {
        /// The vote's id.
        vote: String,
        /// The receipt code.
        #[arg(long)]
        receipt: String,
    },
    /// The council's votes, newest first.
    List {
        /// The muhtarlık (code).
        #[arg(long)]
        muhtarlik: String,
    },
}

/// `muhtar council vote open`.
#[derive(Debug, Clone, Args)]
pub struct OpenArgs {
    /// The muhtarlık (code).
    #[arg(long)]
    pub muhtarlik: String,
    /// The agenda item voted on (one line, at most 300 characters).
    #[arg(long)]
    pub title: String,
    /// Until when: YYYY-MM-DD (the whole day), YYYY-MM-DD HH:MM (Istanbul time) or
    /// RFC 3339.
    #[arg(long, value_name = "AT")]
    pub closes: String,
    /// From when (default: now): YYYY-MM-DD, YYYY-MM-DD HH:MM (Istanbul time) or RFC 3339.
    #[arg(long, value_name = "AT")]
    pub opens: Option<String>,
    /// The options, comma-separated (default: Kabul,Ret,Çekimser, abstentions not
    /// counted for the outcome).
    #[arg(long, value_name = "A,B,C")]
    pub options: Option<String>,
    /// The majority rule.
    #[arg(long, default_value = "simple", value_parser = crate::named_arg::<Majority>(Majority::NAMES))]
    pub majority: Majority,
    /// The quorum: the share of eligible members that must take part, in percent
    /// (default 50).
    #[arg(long, value_name = "PERCENT")]
    pub quorum: Option<u8>,
    /// Secret ballot: who voted and what was chosen are stored apart.
    #[arg(long)]
    pub secret: bool,
    /// Ballots may be changed until the vote closes.
    #[arg(long)]
    pub changeable: bool,
}

/// Runs a `muhtar council` command.
pub async fn run(g: &Global, cmd: &CouncilCmd) -> Result<(), String> {
    if let CouncilCmd::IdentityKey(k) = cmd {
        return identity_key_new(g, k);
    }
    let (mbs, tenant) = state_cmd::service(g).await?;
    let actor = state_cmd::actor(g, &tenant)?;
    let t = |e| turkish(e, &actor);
    match cmd {
        CouncilCmd::Member(MemberCmd::Add(a)) => {
            let m = muhtarlik(&a.muhtarlik)?;
            let new = NewMember {
                name: a.name.clone(),
                role: a.role,
                email: a.email.clone(),
                phone: a.phone.clone(),
                identity_number: a.identity_number.clone(),
            };
            let member = mbs.add_member(&actor, &m, new).await.map_err(t)?;
            match g.json {
                true => print_json(&member_view(&member)),
                false => {
                    outln!("{}", member.id);
                    Ok(())
                }
            }
        }
        CouncilCmd::Member(MemberCmd::List { muhtarlik: code }) => {
            let members = mbs.members(&actor, &muhtarlik(code)?).await.map_err(t)?;
            if g.json {
                let views: Vec<_> = members.iter().map(member_view).collect();
                return print_json(&serde_json::json!({ "members": views }));
            }
            outln!(
                "{:<36}  {:<16}  {:<16}  {:<30}  AD",
                "NO",
                "ROL",
                "EKLENDİ",
                "İLETİŞİM"
            );
            for m in &members {
                let contact = [m.email.as_deref(), m.phone.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                let removed = m
                    .removed_at
                    .map(|r| format!(" (çıkarıldı {})", local_time(r)))
                    .unwrap_or_default();
                outln!(
                    "{:<36}  {:<16}  {:<16}  {:<30}  {}{removed}",
                    m.id,
                    m.role.display_name(),
                    local_time(m.added_at),
                    contact,
                    m.name
                );
            }
            if members.is_empty() {
                outln!("(üye yok)");
            }
            Ok(())
        }
        CouncilCmd::Member(MemberCmd::Remove { id }) => {
            let id: MemberId = id.parse().map_err(|_| {
                format!("ID: {id:?} bir üye numarası değil (muhtar council member list)")
            })?;
            let m = mbs.remove_member(&actor, id).await.map_err(t)?;
            match g.json {
                true => print_json(&member_view(&m)),
                false => {
                    outln!("üye listeden çıkarıldı: {} ({})", m.name, m.id);
                    Ok(())
                }
            }
        }
        CouncilCmd::Vote(v) => vote(g, &mbs, &actor, v).await,
        CouncilCmd::Proposal(p) => crate::council_proposal_cmd::run(g, &mbs, &actor, p).await,
        CouncilCmd::Meeting(m) => crate::council_meeting_cmd::run(g, &mbs, &actor, m).await,
        CouncilCmd::Decision(d) => crate::council_decision_cmd::run(g, &mbs, &actor, d).await,
        CouncilCmd::IdentityKey(k) => identity_key_new(g, k),
    }
}

async fn vote(
    g: &Global,
    mbs: &state_cmd::Service,
    actor: &Actor,
    cmd: &VoteCmd,
) -> Result<(), String> {
    let t = |e| turkish(e, actor);
    match cmd {
        VoteCmd::Open(a) => {
            let m = muhtarlik(&a.muhtarlik)?;
            let closes = crate::works_cmd::instant("--closes", &a.closes, true)?;
            let mut new = NewVote::new(a.title.as_str(), closes);
            new.opens_at = a
                .opens
                .as_deref()
                .map(|o| crate::works_cmd::instant("--opens", o, false))
                .transpose()?;
            if let Some(o) = &a.options {
                new.options = VoteOptions::List(o.split(',').map(str::to_owned).collect());
            }
            new.majority = a.majority;
            new.quorum_percent = a.quorum;
            new.secret = a.secret;
            new.changeable = a.changeable;
            let v = mbs.open_vote(actor, &m, new).await.map_err(t)?;
            match g.json {
                true => print_json(&vote_view(&v)),
                false => {
                    outln!("{}", v.id);
                    Ok(())
                }
            }
        }
        VoteCmd::Cast {
            vote,
            member,
            choice,
        } => {
            let id = vote_id(vote)?;
            let member: MemberId = member.parse().map_err(|_| {
                format!("--member: {member:?} bir üye numarası değil (muhtar council member list)")
            })?;
            let v = mbs.vote(actor, id).await.map_err(t)?;
            let cast = mbs
                .cast_ballot(actor, id, member, choice)
                .await
                .map_err(|e| vote_error(e, &v, actor))?;
            match (cast, g.json) {
                (Cast::New(r), true) => print_json(&serde_json::json!({
                    "receipt": r.to_string(), "changed": false
                })),
                (Cast::Changed, true) => print_json(&serde_json::json!({
                    "receipt": null, "changed": true
                })),
                (Cast::New(r), false) => {
                    outln!("{r}");
                    eprintln!(
                        "oy kaydedildi; makbuz kodu bir kez gösterilir: oy verene verin, oyunun \
                         sayıldığını onunla doğrular (muhtar council vote verify)"
                    );
                    Ok(())
                }
                (Cast::Changed, false) => {
                    outln!("oy değiştirildi; ilk makbuz kodu geçerli");
                    Ok(())
                }
            }
        }
        VoteCmd::Change {
            vote,
            receipt,
            choice,
        } => {
            let id = vote_id(vote)?;
            let receipt = receipt_code(receipt)?;
            let v = mbs.vote(actor, id).await.map_err(t)?;
            if !v.changeable {
                return Err(format!(
                    "bu oylamada oy değiştirilemez (oylama --changeable ile açılmadı): {}",
                    v.title
                ));
            }
            mbs.change_ballot(actor, id, &receipt, choice)
                .await
                .map_err(|e| vote_error(e, &v, actor))?;
            match g.json {
                true => print_json(
                    &serde_json::json!({ "receipt": receipt.to_string(), "changed": true }),
                ),
                false => {
                    outln!("oy değiştirildi; makbuz kodu aynı: {receipt}");
                    Ok(())
                }
            }
        }
        VoteCmd::Close { vote } => {
            let id = vote_id(vote)?;
            let v = mbs.vote(actor, id).await.map_err(t)?;
            let tally = mbs.close_vote(actor, id).await.map_err(|e| match e {
                ServiceError::Council(CouncilError::Closed) => {
                    format!(
                        "oylama zaten kapatıldı: {} (muhtar council vote result {id})",
                        v.title
                    )
                }
                e => vote_error(e, &v, actor),
            })?;
            print_result(g, &v, &tally)
        }
        VoteCmd::Result { vote } => {
            let id = vote_id(vote)?;
            let v = mbs.vote(actor, id).await.map_err(t)?;
            let tally = mbs
                .vote_result(actor, id)
                .await
                .map_err(|e| vote_error(e, &v, actor))?;
            let decision = mbs.decision_status(actor, id).await.map_err(t)?;
            if g.json {
                let mut view = result_view(&v, &tally);
                view["request"] = serde_json::to_value(&decision).map_err(|e| e.to_string())?;
                return print_json(&view);
            }
            print_result(g, &v, &tally)?;
            if let Some(d) = &decision {
                crate::council_decision_cmd::print_status(d);
            }
            Ok(())
        }
        VoteCmd::Verify { vote, receipt } => {
            let id = vote_id(vote)?;
            let receipt = receipt_code(receipt)?;
            let (choice, counted) =
                mbs.verify_receipt(actor, id, &receipt)
                    .await
                    .map_err(|e| match e {
                        ServiceError::Council(CouncilError::UnknownReceipt) => {
                            format!("bu oylamada {receipt} makbuz koduyla bir oy yok")
                        }
                        e => turkish(e, actor),
                    })?;
            let v = mbs.vote(actor, id).await.ok();
            let closed = v.as_ref().is_some_and(|v| v.status == VoteStatus::Closed);
            let verdict = match (counted, closed) {
                (true, true) => "SAYILDI: oy, kapanan oylamanın dondurulan sonucunda sayılı",
                (true, false) => "KAYITLI: oy kayıtlı; oylama kapanınca sayılacak",
                (false, _) => "SAYILMADI: kayıtlı oylar dondurulan sonucun özetiyle uyuşmuyor",
            };
            if g.json {
                print_json(&serde_json::json!({
                    "receipt": receipt.to_string(),
                    "choice": choice,
                    "counted": counted,
                    "closed": closed,
                    "verdict": verdict,
                }))?;
            } else {
                outln!("{verdict}");
                outln!("Seçim        {choice}");
                outln!("Makbuz       {receipt}");
            }
            match counted {
                true => Ok(()),
                false => Err(format!("{receipt}: {verdict}")),
            }
        }
        VoteCmd::List { muhtarlik: code } => {
            let votes = mbs.votes(actor, &muhtarlik(code)?).await.map_err(t)?;
            if g.json {
                let views: Vec<_> = votes.iter().map(vote_view).collect();
                return print_json(&serde_json::json!({ "votes": views }));
            }
            outln!(
                "{:<36}  {:<16}  {:<16}  {:<28}  {:<6}  BAŞLIK",
                "NO",
                "AÇILIŞ",
                "KAPANIŞ",
                "DURUM",
                "GİZLİ"
            );
            let now = state_cmd::now();
            for v in &votes {
                outln!(
                    "{:<36}  {:<16}  {:<16}  {:<28}  {:<6}  {}",
                    v.id,
                    local_time(v.opens_at),
                    local_time(v.closes_at),
                    status_text(v, now),
                    if v.secret { "evet" } else { "hayır" },
                    v.title
                );
            }
            if votes.is_empty() {
                outln!("(oylama yok)");
            }
            Ok(())
        }
    }
}

/// A vote's state as people read it: an open vote past its closing time waits to be
/// closed.
fn status_text(v: &Vote, now: chrono::DateTime<chrono::Utc>) -> &'static str {
    match v.status {
        VoteStatus::Open if now < v.opens_at => "açılacak",
        VoteStatus::Open if now >= v.closes_at => "süresi doldu, kapatılmadı",
        s => s.display_name(),
    }
}

/// A result as people read it, or as JSON.
fn print_result(g: &Global, v: &Vote, t: &Tally) -> Result<(), String> {
    if g.json {
        return print_json(&result_view(v, t));
    }
    outln!("Oylama       {}", v.title);
    let width = t
        .options
        .iter()
        .map(|o| o.chars().count())
        .max()
        .unwrap_or(0);
    for (o, n) in t.options.iter().zip(&t.counts) {
        outln!("  {o:<width$}  {n}");
    }
    outln!(
        "Katılım      {} üyeden {} oy (%{:.1}); karar yeter sayısı %{}: {}",
        t.eligible,
        t.cast,
        t.turnout_percent(),
        t.quorum_percent,
        if t.quorum_met {
            "sağlandı"
        } else {
            "sağlanamadı"
        }
    );
    outln!("Kural        {}", t.majority.display_name());
    outln!("{}", t.describe());
    outln!(
        "Özet         {} (SHA-256, oyların yeniden sayımıyla doğrulandı)",
        t.hash
    );
    Ok(())
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::NoQuorum => "no-quorum",
        Decision::NotDecided => "not-decided",
        Decision::Adopted { .. } => "adopted",
    }
}

/// A result as `--json` prints it.
fn result_view(v: &Vote, t: &Tally) -> serde_json::Value {
    let adopted = match t.decision {
        Decision::Adopted { option } => t.options.get(usize::from(option)).cloned(),
        _ => None,
    };
    serde_json::json!({
        "vote": v.id,
        "title": v.title,
        "options": t.options,
        "counts": t.counts,
        "cast": t.cast,
        "eligible": t.eligible,
        "turnout_percent": t.turnout_percent(),
        "quorum_percent": t.quorum_percent,
        "quorum_met": t.quorum_met,
        "majority": t.majority.as_str(),
        "decision": decision_name(t.decision),
        "adopted": adopted,
        "decision_text": t.describe(),
        "hash": t.hash,
    })
}

/// A member as `--json` prints it.
fn member_view(m: &Member) -> serde_json::Value {
    serde_json::json!({
        "id": m.id,
        "muhtarlik": m.muhtarlik,
        "name": m.name,
        "role": m.role.as_str(),
        "role_name": m.role.display_name(),
        "email": m.email,
        "phone": m.phone,
        "added_at": m.added_at,
        "removed_at": m.removed_at,
    })
}

/// A vote as `--json` prints it (the eligible members counted, not named).
fn vote_view(v: &Vote) -> serde_json::Value {
    serde_json::json!({
        "id": v.id,
        "muhtarlik": v.muhtarlik,
        "title": v.title,
        "options": v.options.names(),
        "opens_at": v.opens_at,
        "closes_at": v.closes_at,
        "opens_at_local": local_time(v.opens_at),
        "closes_at_local": local_time(v.closes_at),
        "majority": v.majority.as_str(),
        "quorum_percent": v.quorum_percent,
        "secret": v.secret,
        "changeable": v.changeable,
        "eligible": v.eligible.len(),
        "status": v.status.as_str(),
    })
}

pub(crate) fn print_json(v: &impl serde::Serialize) -> Result<(), String> {
    outln!("{}", serde_json::to_string(v).map_err(|e| e.to_string())?);
    Ok(())
}

pub(crate) fn muhtarlik(code: &str) -> Result<MuhtarlikCode, String> {
    MuhtarlikCode::new(code.trim()).map_err(|e| format!("--muhtarlik: {e}"))
}

fn vote_id(text: &str) -> Result<VoteId, String> {
    text.parse()
        .map_err(|_| format!("{text:?} bir oylama numarası değil (muhtar council vote list)"))
}

fn receipt_code(text: &str) -> Result<ReceiptCode, String> {
    ReceiptCode::parse(text).map_err(|_| {
        format!("--receipt: {text:?} bir makbuz kodu değil: 12 harf ve rakam, ör. 7KQ2-M9XA-4T0B")
    })
}

/// A refusal about the vote `v` in Turkish: a bad choice lists the vote's options.
fn vote_error(e: ServiceError, v: &Vote, actor: &Actor) -> String {
    match e {
        ServiceError::Input(InputError::Unknown {
            field: "choice",
            value,
            ..
        }) => format!(
            "--choice: {value:?} bu oylamanın seçeneklerinden biri değil; seçenekler: {}",
            v.options.names().join(", ")
        ),
        e => turkish(e, actor),
    }
}

/// The flags core's fields are given with, for errors that name the field.
const FLAGS: [(&str, &str); 9] = [
    ("name", "--name"),
    ("email", "--email"),
    ("phone", "--phone"),
    ("title", "--title"),
    ("options", "--options"),
    ("closes_at", "--closes"),
    ("quorum_percent", "--quorum"),
    ("choice", "--choice"),
    ("receipt", "--receipt"),
];

/// A council command's refusal in Turkish, naming what was refused and what would do.
pub(crate) fn turkish(e: ServiceError, actor: &Actor) -> String {
    match e {
        ServiceError::Council(c) => match c {
            CouncilError::NotOpenYet { opens_at } => {
                format!("oylama henüz açılmadı: {opens_at} (İstanbul saati) açılır")
            }
            CouncilError::Closed => {
                "oylama kapandı: süresi doldu ya da kapatıldı, oy verilemez ve değiştirilemez"
                    .to_owned()
            }
            CouncilError::StillRunning { closes_at } => format!(
                "oylama sürüyor: {closes_at} (İstanbul saati) kapanır; ondan önce kapatılamaz, \
                 sonucu da kapanınca görülür"
            ),
            CouncilError::NotEligible { member } => format!(
                "{member} numaralı üye bu oylamada oy kullanamaz: oylama açıldığında üye \
                 listesinde değildi"
            ),
            CouncilError::AlreadyVoted { member } => format!(
                "{member} numaralı üye bu oylamada zaten oy kullandı; oylama oy değiştirmeye izin \
                 vermiyor"
            ),
            CouncilError::UnknownReceipt => "bu oylamada bu makbuz koduyla bir oy yok".to_owned(),
            CouncilError::NoMembers { muhtarlik } => format!(
                "{muhtarlik} mahalle meclisinin üyesi yok: oylama açmadan önce üye ekleyin \
                 (muhtar council member add)"
            ),
            c => c.to_string(),
        },
        ServiceError::Input(InputError::Unknown {
            field: "muhtarlik",
            value,
            valid,
        }) => format!(
            "--muhtarlik: {value:?} adında bir muhtarlık yok; geçerli olanlar: {}",
            valid.join(", ")
        ),
        // Core's messages lead with the field's name: the flag stands in its place.
        ServiceError::Input(i) => match FLAGS.iter().find(|(f, _)| *f == i.field()) {
            Some((_, flag)) => {
                let text = i.to_string();
                match text.strip_prefix(i.field()) {
                    Some(rest) => format!("{flag}{rest}"),
                    None => format!("{flag}: {text}"),
                }
            }
            None => i.to_string(),
        },
        ServiceError::NotFound(what) if what.starts_with("vote") => {
            format!("böyle bir oylama yok ya da {actor} göremez")
        }
        ServiceError::NotFound(what) if what.starts_with("member") => {
            format!("böyle bir üye yok ya da {actor} göremez")
        }
        ServiceError::NotFound(what) => format!("bulunamadı ({what}) ya da {actor} göremez"),
        ServiceError::Forbidden(a) => a.to_string(),
        e => e.to_string(),
    }
}
