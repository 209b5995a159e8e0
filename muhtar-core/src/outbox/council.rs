//! The notices of a council's decision sent as a request ([`crate::council::DecisionLink`]):
//! when the request is answered, and when it is closed, the council's active members
//! hear of it, each once per event: by e-mail when their contact is an address, else by
//! SMS. The council is the applicant, so the notices are the applicant's
//! ([`NoticeKind::CitizenAnswered`], and [`NoticeKind::CitizenUpdate`] naming
//! [`NoticeKind::Closed`]) with the member as addressee: the request's public facts,
//! never the muhtar's or a citizen's contact. The idempotency key names the request, the
//! event's version and the member (`council:{request}:{version}:{kind}:{member}`), so
//! planning an event again adds nothing.

use super::*;
use crate::council::Member;

/// The notices of `events` (a request's new events) to the council's `members`: only
/// members active at `now`; only for `answered` and `closed`.
pub fn plan_council(
    org: &Organisation,
    state: &RequestState,
    deadlines: &Deadlines,
    events: &[crate::request::Event],
    members: &[Member],
    ids: &mut IdGenerator,
    now: DateTime<Utc>,
) -> Vec<OutboxMessage> {
    let facts = request_facts(org, state, deadlines);
    let council = org
        .muhtarlik(&state.content.muhtarlik)
        .map(|m| format!("{} Mahalle Meclisi", m.name));
    let mut out = Vec::new();
    for e in events {
        let payload = match &e.kind {
            EventKind::Answered { .. } => NoticePayload::CitizenAnswered(facts.clone()),
            EventKind::Closed => NoticePayload::CitizenUpdate(CitizenUpdateFacts {
                request: facts.clone(),
                update: NoticeKind::Closed,
                note: None,
                fee_amount: None,
            }),
            _ => continue,
        };
        for m in members.iter().filter(|m| m.active_at(now)) {
            let (channel, address) = match (&m.email, &m.phone) {
                (Some(e), _) => (DeliveryChannel::Email, e.clone()),
                (None, Some(p)) => (DeliveryChannel::Sms, p.clone()),
                (None, None) => continue,
            };
            let mut to = Addressee::new(AddresseeRole::Citizen).named(&m.name);
            if let Some(c) = &council {
                to = to.of(c);
            }
            out.push(OutboxMessage {
                id: ids.uuid_v7(now),
                tenant: state.tenant.clone(),
                request: Some(state.id),
                idempotency_key: format!(
                    "council:{}:{}:{}:{}",
                    state.id,
                    e.version,
                    payload.kind().as_str(),
                    m.id
                ),
                kind: payload.kind(),
                channel,
                recipient: address,
                addressee: Some(to),
                locale: Locale::Tr,
                payload: payload.clone(),
                created_at: now,
                not_before: now,
            });
        }
    }
    out
}
