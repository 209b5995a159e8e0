//! `muhtar council proposal add | support | agenda | comment | hide | comments | list`:
//! the council's agenda (issue 24, second part). The muhtar records proposals (theirs,
//! or a member's with `--member`), members' supports and comments; the support that
//! reaches `[council] support_threshold` puts a proposal on the agenda, or the muhtar
//! does (`agenda`). Comments are hidden with a reason, never deleted. Everything is
//! `Mbs`'s (`Mbs::propose` … `Mbs::comments`); this file parses, prints and says the
//! refusals in Turkish.

use clap::Subcommand;
use muhtar_core::access::Actor;
use muhtar_core::calendar::local_time;
use muhtar_core::council::{
    Author, Comment, CommentId, CouncilError, MemberId, NewProposal, Proposal, ProposalId,
};
use muhtar_core::request::Location;
use muhtar_core::service::ServiceError;

use crate::council_cmd::{muhtarlik, print_json, turkish};
use crate::state_cmd::{self, Global};

/// `muhtar council proposal`.
#[derive(Debug, Clone, Subcommand)]
pub enum ProposalCmd {
    /// Record a proposal (the muhtar; with --member, a member's) and print its id.
    Add {
        /// The muhtarlık (code).
        #[arg(long)]
        muhtarlik: String,
        /// Title (one line, at most 200 characters).
        #[arg(long)]
        title: String,
        /// The proposal (at most 5000 characters).
        #[arg(long)]
        text: String,
        /// The member proposing (id; default: the muhtar).
        #[arg(long)]
        member: Option<String>,
        /// Where: latitude,longitude (WGS 84).
        #[arg(long, value_name = "LAT,LON")]
        location: Option<String>,
    },
    /// Record a member's support; the threshold-th support puts it on the agenda.
    Support {
        /// The proposal's id.
        proposal: String,
        /// The member supporting (id).
        #[arg(long)]
        member: String,
    },
    /// Put a proposal on the agenda by the muhtar's decision.
    Agenda {
        /// The proposal's id.
        proposal: String,
    },
    /// Record a comment (the muhtar's; with --member, a member's) and print its id.
    Comment {
        /// The proposal's id.
        proposal: String,
        /// The comment (at most 2000 characters).
        #[arg(long)]
        text: String,
        /// The member commenting (id; default: the muhtar).
        #[arg(long)]
        member: Option<String>,
    },
    /// Hide a comment with a reason (it stays on record).
    Hide {
        /// The proposal's id.
        proposal: String,
        /// The comment's id.
        #[arg(long)]
        comment: String,
        /// Why (shown instead of the comment).
        #[arg(long)]
        reason: String,
    },
    /// A proposal's comments, oldest first (hidden ones by their reason).
    Comments {
        /// The proposal's id.
        proposal: String,
    },
    /// The council's proposals, newest first.
    List {
        /// The muhtarlık (code).
        #[arg(long)]
        muhtarlik: String,
    },
}

fn id<T: std::str::FromStr>(flag: &str, text: &str, what: &str, hint: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag}{text:?} bir {what} numarası değil ({hint})"))
}

fn proposal_id(text: &str) -> Result<ProposalId, String> {
    id("", text, "öneri", "muhtar council proposal list")
}

fn author(member: Option<&str>) -> Result<Author, String> {
    match member {
        None => Ok(Author::Muhtar),
        Some(m) => Ok(Author::Member(id::<MemberId>(
            "--member: ",
            m,
            "üye",
            "muhtar council member list",
        )?)),
    }
}

fn location(text: &str) -> Result<Location, String> {
    let bad = || format!("--location: {text:?} enlem,boylam değil (ör. 41.03,29.03)");
    let (lat, lon) = text.split_once(',').ok_or_else(bad)?;
    Ok(Location {
        lat: lat.trim().parse().map_err(|_| bad())?,
        lon: lon.trim().parse().map_err(|_| bad())?,
    })
}

/// A refusal about the agenda in Turkish; the rest as the council's.
fn refusal(e: ServiceError, actor: &Actor) -> String {
    match e {
        ServiceError::Council(CouncilError::AlreadySupported { member }) => {
            format!("{member} numaralı üye bu öneriyi zaten destekledi; her üye bir kez destekler")
        }
        ServiceError::Council(CouncilError::NotOnRoll { member }) => format!(
            "{member} numaralı kişi bu meclisin üye listesinde değil (muhtar council member list)"
        ),
        ServiceError::Council(CouncilError::OnAgendaAlready) => "öneri zaten gündemde".to_owned(),
        ServiceError::NotFound(what) if what.starts_with("proposal") => {
            format!("böyle bir öneri yok ya da {actor} göremez")
        }
        ServiceError::NotFound(what) if what.starts_with("comment") => {
            "bu öneride böyle bir yorum yok (muhtar council proposal comments)".to_owned()
        }
        ServiceError::Input(i) if i.field() == "text" || i.field() == "reason" => {
            let flag = format!("--{}", i.field());
            let text = i.to_string();
            format!("{flag}{}", text.strip_prefix(i.field()).unwrap_or(&text))
        }
        e => turkish(e, actor),
    }
}

fn author_text(a: &Author) -> String {
    match a {
        Author::Member(m) => format!("üye {m}"),
        _ => "muhtar".to_owned(),
    }
}

/// A proposal as `--json` prints it.
fn proposal_view(p: &Proposal) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "muhtarlik": p.muhtarlik,
        "author": p.author,
        "title": p.title,
        "text": p.text,
        "location": p.location,
        "created_at": p.created_at,
        "supports": p.supports,
        "status": p.status.as_str(),
        "status_name": p.status.display_name(),
        "on_agenda_at": p.on_agenda_at,
        "agenda_reason": p.agenda_reason.map(|r| r.as_str()),
    })
}

/// A comment as `--json` prints it (a hidden one with its text: the muhtar's view).
fn comment_view(c: &Comment) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "proposal": c.proposal,
        "author": c.author,
        "text": c.text,
        "created_at": c.created_at,
        "hidden": c.hidden,
    })
}

/// Runs a `muhtar council proposal` command.
pub async fn run(
    g: &Global,
    mbs: &state_cmd::Service,
    actor: &Actor,
    cmd: &ProposalCmd,
) -> Result<(), String> {
    let t = |e| refusal(e, actor);
    match cmd {
        ProposalCmd::Add {
            muhtarlik: code,
            title,
            text,
            member,
            location: at,
        } => {
            let new = NewProposal {
                author: author(member.as_deref())?,
                title: title.clone(),
                text: text.clone(),
                location: at.as_deref().map(location).transpose()?,
            };
            let p = mbs
                .propose(actor, &muhtarlik(code)?, new)
                .await
                .map_err(t)?;
            match g.json {
                true => print_json(&proposal_view(&p)),
                false => {
                    outln!("{}", p.id);
                    Ok(())
                }
            }
        }
        ProposalCmd::Support { proposal, member } => {
            let m = id("--member: ", member, "üye", "muhtar council member list")?;
            let s = mbs
                .support(actor, proposal_id(proposal)?, m)
                .await
                .map_err(t)?;
            if g.json {
                return print_json(&serde_json::json!({
                    "supports": s.supports,
                    "put_on_agenda": s.put_on_agenda,
                    "proposal": proposal_view(&s.proposal),
                }));
            }
            outln!("destek kaydedildi: {} destek", s.supports);
            if s.put_on_agenda {
                outln!("öneri destek eşiğine ulaştı ve gündeme alındı");
            }
            Ok(())
        }
        ProposalCmd::Agenda { proposal } => {
            let p = mbs
                .put_on_agenda(actor, proposal_id(proposal)?)
                .await
                .map_err(t)?;
            match g.json {
                true => print_json(&proposal_view(&p)),
                false => {
                    outln!("öneri gündeme alındı: {}", p.title);
                    Ok(())
                }
            }
        }
        ProposalCmd::Comment {
            proposal,
            text,
            member,
        } => {
            let c = mbs
                .comment(
                    actor,
                    proposal_id(proposal)?,
                    author(member.as_deref())?,
                    text,
                )
                .await
                .map_err(t)?;
            match g.json {
                true => print_json(&comment_view(&c)),
                false => {
                    outln!("{}", c.id);
                    Ok(())
                }
            }
        }
        ProposalCmd::Hide {
            proposal,
            comment,
            reason,
        } => {
            let cid: CommentId = id(
                "--comment: ",
                comment,
                "yorum",
                "muhtar council proposal comments",
            )?;
            let c = mbs
                .hide_comment(actor, proposal_id(proposal)?, cid, reason)
                .await
                .map_err(t)?;
            match (g.json, &c.hidden) {
                (true, _) => print_json(&comment_view(&c)),
                (false, Some(h)) => {
                    outln!(
                        "yorum gizlendi: {} ({}, {})",
                        h.reason,
                        h.by,
                        local_time(h.at)
                    );
                    Ok(())
                }
                (false, None) => Err("yorum gizlenemedi".to_owned()),
            }
        }
        ProposalCmd::Comments { proposal } => {
            let comments = mbs
                .comments(actor, proposal_id(proposal)?)
                .await
                .map_err(t)?;
            if g.json {
                let views: Vec<_> = comments.iter().map(comment_view).collect();
                return print_json(&serde_json::json!({ "comments": views }));
            }
            for c in &comments {
                let text = match &c.hidden {
                    Some(h) => format!("(gizlendi: {})", h.reason),
                    None => c.text.clone(),
                };
                outln!(
                    "{}  {}  {}: {text}",
                    c.id,
                    local_time(c.created_at),
                    author_text(&c.author)
                );
            }
            if comments.is_empty() {
                outln!("(yorum yok)");
            }
            Ok(())
        }
        ProposalCmd::List { muhtarlik: code } => {
            let list = mbs.proposals(actor, &muhtarlik(code)?).await.map_err(t)?;
            if g.json {
                let views: Vec<_> = list.iter().map(proposal_view).collect();
                return print_json(&serde_json::json!({ "proposals": views }));
            }
            outln!(
                "{:<36}  {:<16}  {:<10}  {:>6}  BAŞLIK",
                "NO",
                "TARİH",
                "DURUM",
                "DESTEK"
            );
            for p in &list {
                outln!(
                    "{:<36}  {:<16}  {:<10}  {:>6}  {}",
                    p.id,
                    local_time(p.created_at),
                    p.status.display_name(),
                    p.supports,
                    p.title
                );
            }
            if list.is_empty() {
                outln!("(öneri yok)");
            }
            Ok(())
        }
    }
}
