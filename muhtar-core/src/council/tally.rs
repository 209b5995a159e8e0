//! Counting a vote (pure): what closing freezes and a recount reproduces.

use super::{BallotRecord, Majority, Vote, VoteId};
use serde::{Deserialize, Serialize};

/// What the ballots decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// Too few members took part: nothing is decided.
    NoQuorum,
    /// No option met the majority rule (a tie, or too few votes for it).
    NotDecided,
    /// This option won by the majority rule.
    Adopted {
        /// Its index.
        option: u8,
    },
}

/// A vote's result: counts per option, turnout, quorum verdict, the decision and the hash
/// over the ballots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The options' names.
    pub options: Vec<String>,
    /// Ballots per option, in the options' order.
    pub counts: Vec<u64>,
    /// Ballots cast (abstentions included).
    pub cast: u64,
    /// Members eligible.
    pub eligible: u64,
    /// The quorum in percent of the eligible.
    pub quorum_percent: u8,
    /// Whether enough members took part.
    pub quorum_met: bool,
    /// The rule applied.
    pub majority: Majority,
    /// The decision.
    #[serde(flatten)]
    pub decision: Decision,
    /// [`result_hash`] over the ballots counted.
    pub hash: String,
}

impl Tally {
    /// Turnout in percent of the eligible, to one decimal (0 with none eligible).
    pub fn turnout_percent(&self) -> f64 {
        if self.eligible == 0 {
            return 0.0;
        }
        (self.cast as f64 * 1000.0 / self.eligible as f64).round() / 10.0
    }

    /// The decision in Turkish.
    pub fn describe(&self) -> String {
        match self.decision {
            Decision::NoQuorum => format!(
                "Karar yeter sayısı sağlanamadı: {} üyeden {} üye oy kullandı (gereken %{}).",
                self.eligible, self.cast, self.quorum_percent
            ),
            Decision::NotDecided => format!(
                "Karar çıkmadı: hiçbir seçenek {} kuralını sağlamadı.",
                self.majority.display_name()
            ),
            Decision::Adopted { option } => format!(
                "Karar: {} ({} oy, {}).",
                self.options
                    .get(usize::from(option))
                    .map_or("?", String::as_str),
                self.counts.get(usize::from(option)).copied().unwrap_or(0),
                self.majority.display_name()
            ),
        }
    }
}

/// The SHA-256 over a vote's ballots: a version line and the vote's id, then one line
/// `<receipt hash> <choice>` per ballot in sorted order, so the order ballots were cast
/// in does not change it and any added, lost or changed ballot does.
pub fn result_hash(vote: VoteId, ballots: &[BallotRecord]) -> String {
    let mut lines: Vec<String> = ballots
        .iter()
        .map(|b| format!("{} {}\n", b.receipt_hash, b.choice))
        .collect();
    lines.sort_unstable();
    let mut text = format!("muhtar-oylama/1\n{vote}\n");
    for l in lines {
        text.push_str(&l);
    }
    crate::document::sha256_hex(text.as_bytes())
}

/// Counts a vote's ballots under its rules. Ballots whose choice is not an option are not
/// counted (a store never holds one).
pub fn tally(vote: &Vote, ballots: &[BallotRecord]) -> Tally {
    let options = vote.options.names();
    let mut counts = vec![0u64; options.len()];
    let mut counted = Vec::with_capacity(ballots.len());
    for b in ballots {
        if let Some(c) = counts.get_mut(usize::from(b.choice)) {
            *c += 1;
            counted.push(b.clone());
        }
    }
    let cast = counts.iter().sum::<u64>();
    let eligible = vote.eligible.len() as u64;
    let quorum_met = eligible > 0 && cast * 100 >= u64::from(vote.quorum_percent) * eligible;
    let abstain = vote.options.abstain();
    let decisive: Vec<(usize, u64)> = counts
        .iter()
        .copied()
        .enumerate()
        .filter(|(i, _)| Some(*i) != abstain)
        .collect();
    let valid: u64 = decisive.iter().map(|(_, n)| n).sum();
    let top = decisive.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let leaders: Vec<usize> = decisive
        .iter()
        .filter(|(_, n)| *n == top)
        .map(|(i, _)| *i)
        .collect();
    let decision = if !quorum_met {
        Decision::NoQuorum
    } else if top == 0 || leaders.len() != 1 {
        Decision::NotDecided
    } else {
        let ok = match vote.majority {
            Majority::Simple => true,
            Majority::Absolute => top * 2 > eligible,
            Majority::TwoThirds => top * 3 >= valid * 2,
        };
        if ok {
            Decision::Adopted {
                option: leaders[0] as u8,
            }
        } else {
            Decision::NotDecided
        }
    };
    Tally {
        options,
        counts,
        cast,
        eligible,
        quorum_percent: vote.quorum_percent,
        quorum_met,
        majority: vote.majority,
        decision,
        hash: result_hash(vote.id, &counted),
    }
}

/// Counts the stored ballots again and says whether that reproduces the frozen result:
/// `Ok(tally)` when it does (or the vote is open), `Err(recounted)` when it does not.
pub fn recount(vote: &Vote, ballots: &[BallotRecord]) -> Result<Tally, Box<Tally>> {
    let t = tally(vote, ballots);
    match &vote.result {
        Some(frozen) if *frozen != t => Err(Box::new(t)),
        _ => Ok(t),
    }
}
