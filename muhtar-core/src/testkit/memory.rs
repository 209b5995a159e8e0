//! The in-memory store: the reference implementation of the storage contract.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ids::{RequestId, TenantId};
use crate::outbox::{OutboxEntry, OutboxMessage, OutboxStatus};
use crate::request::Event;
use crate::store::{
    Commit, ConfigStore, Cursor, Deadlines, Document, DocumentKind, OutboxStore, Page, ReportStore,
    RequestQuery, RequestRecord, RequestStore, StoreError,
};
use crate::tracking::TrackingNumber;

mod accounts;
mod council;
mod decisions;
mod documents;
mod meetings;
mod member_login;
mod proposals;
mod works;

#[derive(Default)]
struct Inner {
    docs: BTreeMap<(TenantId, DocumentKind), Vec<Document>>,
    requests: HashMap<(TenantId, RequestId), (RequestRecord, Vec<Event>)>,
    tracking: HashMap<(TenantId, TrackingNumber), RequestId>,
    outbox: Vec<OutboxEntry>,
    keys: HashSet<String>,
    tokens: Vec<crate::token::ApiToken>,
    reports: Vec<crate::report::SignedReport>,
    corrections: Vec<crate::store::ReportCorrection>,
    accounts: accounts::Accounts,
    works: BTreeMap<(TenantId, crate::map::work::WorkId), crate::map::work::Work>,
    documents: Vec<crate::document::Document>,
    councils: council::Councils,
    proposals: proposals::Proposals,
    meetings: BTreeMap<(TenantId, crate::council::MeetingId), crate::council::Meeting>,
    decisions: BTreeMap<(TenantId, crate::council::VoteId), crate::council::DecisionLink>,
    /// Login codes by (tenant, contact key).
    login_codes: BTreeMap<(TenantId, String), crate::council::LoginCode>,
}

/// Everything in memory behind one mutex: each call is atomic, like a transaction.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// The claim of [`OutboxStore::claim`] and [`OutboxStore::claim_tenant`].
    fn claim_where(
        &self,
        tenant: Option<&TenantId>,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut g = self.lock();
        let mut idx: Vec<usize> = (0..g.outbox.len())
            .filter(|&i| {
                let e = &g.outbox[i];
                e.status == OutboxStatus::Pending
                    && e.next_attempt_at <= now
                    && e.claimed_until.is_none_or(|c| c <= now)
                    && tenant.is_none_or(|t| *t == e.message.tenant)
            })
            .collect();
        idx.sort_by_key(|&i| (g.outbox[i].next_attempt_at, g.outbox[i].message.id));
        idx.truncate(limit as usize);
        let mut out = Vec::with_capacity(idx.len());
        for i in idx {
            let e = &mut g.outbox[i];
            e.claimed_until = Some(now + lease);
            e.attempts += 1;
            out.push(e.clone());
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts a pending message back until `at` with `error`, adding `failed` failures.
    fn put_back(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        error: &str,
        failed: u32,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let e = entry_mut(&mut g, id)?;
        if e.status != OutboxStatus::Pending {
            return Err(StoreError::invalid(format!(
                "message {id} is {}",
                e.status.as_str()
            )));
        }
        e.next_attempt_at = at;
        e.failures = e.failures.saturating_add(failed);
        e.last_error = Some(error.to_owned());
        e.claimed_until = None;
        Ok(())
    }
}

fn not_found(what: &str) -> StoreError {
    StoreError::NotFound {
        what: what.to_owned(),
    }
}

fn new_entry(m: &OutboxMessage) -> OutboxEntry {
    OutboxEntry {
        message: m.clone(),
        status: OutboxStatus::Pending,
        attempts: 0,
        failures: 0,
        last_error: None,
        next_attempt_at: m.not_before,
        claimed_until: None,
        sent_at: None,
    }
}

#[async_trait::async_trait]
impl ConfigStore for MemoryStore {
    async fn put_document(&self, doc: &Document) -> Result<(), StoreError> {
        let mut g = self.lock();
        let versions = g.docs.entry((doc.tenant.clone(), doc.kind)).or_default();
        let current = versions.last().map(|d| d.version).unwrap_or(0);
        if doc.version != current + 1 {
            return Err(StoreError::Conflict {
                expected: doc.version.saturating_sub(1),
                actual: current,
            });
        }
        versions.push(doc.clone());
        Ok(())
    }

    async fn document(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<Option<Document>, StoreError> {
        Ok(self
            .lock()
            .docs
            .get(&(tenant.clone(), kind))
            .and_then(|v| v.last().cloned()))
    }

    async fn document_version(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<u32, StoreError> {
        Ok(self
            .lock()
            .docs
            .get(&(tenant.clone(), kind))
            .and_then(|v| v.last().map(|d| d.version))
            .unwrap_or(0))
    }

    async fn tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        Ok(self
            .lock()
            .docs
            .keys()
            .filter(|(_, k)| *k == DocumentKind::Organisation)
            .map(|(t, _)| t.clone())
            .collect())
    }
}

#[async_trait::async_trait]
impl RequestStore for MemoryStore {
    async fn commit(&self, c: &Commit) -> Result<(), StoreError> {
        let mut g = self.lock();
        let st = &c.record.state;
        let key = (st.tenant.clone(), st.id);
        let actual = g
            .requests
            .get(&key)
            .map(|(r, _)| r.state.version)
            .unwrap_or(0);
        if actual != c.expected_version {
            return Err(StoreError::Conflict {
                expected: c.expected_version,
                actual,
            });
        }
        c.check_shape()?;
        if c.expected_version == 0 {
            if let Some(other) = g.tracking.get(&(st.tenant.clone(), st.tracking)) {
                if *other != st.id {
                    return Err(StoreError::Duplicate {
                        what: format!("tracking number {}", st.tracking),
                    });
                }
            }
        }
        documents::check_commit(&g, c)?;
        decisions::check_commit(&g, c)?;
        // All checks passed: apply everything.
        if c.expected_version == 0 {
            g.tracking.insert((st.tenant.clone(), st.tracking), st.id);
        }
        let entry = g
            .requests
            .entry(key)
            .or_insert_with(|| (c.record.clone(), Vec::new()));
        entry.0 = c.record.clone();
        if c.erases_contact() {
            for e in entry.1.iter_mut() {
                crate::request::redact_contact(&mut e.kind);
            }
        }
        entry.1.extend(c.events.iter().cloned());
        g.documents.extend(c.documents.iter().cloned());
        decisions::apply(&mut g, c);
        for m in &c.outbox {
            if g.keys.insert(m.idempotency_key.clone()) {
                g.outbox.push(new_entry(m));
            }
        }
        let correction = c.report_correction();
        if c.erases_contact() {
            let id = st.id;
            let gone: Vec<String> = g
                .outbox
                .iter()
                .filter(|o| o.message.request == Some(id) && o.message.kind.is_for_citizen())
                .map(|o| o.message.idempotency_key.clone())
                .collect();
            g.outbox
                .retain(|o| !(o.message.request == Some(id) && o.message.kind.is_for_citizen()));
            for k in gone {
                g.keys.remove(&k);
            }
        }
        g.corrections.extend(correction);
        Ok(())
    }

    async fn load(&self, tenant: &TenantId, id: RequestId) -> Result<RequestRecord, StoreError> {
        self.lock()
            .requests
            .get(&(tenant.clone(), id))
            .map(|(r, _)| r.clone())
            .ok_or_else(|| not_found("request"))
    }

    async fn load_by_tracking(
        &self,
        tenant: &TenantId,
        tracking: &TrackingNumber,
    ) -> Result<RequestRecord, StoreError> {
        let g = self.lock();
        let id = g
            .tracking
            .get(&(tenant.clone(), *tracking))
            .ok_or_else(|| not_found("request"))?;
        g.requests
            .get(&(tenant.clone(), *id))
            .map(|(r, _)| r.clone())
            .ok_or_else(|| not_found("request"))
    }

    async fn events(&self, tenant: &TenantId, id: RequestId) -> Result<Vec<Event>, StoreError> {
        self.lock()
            .requests
            .get(&(tenant.clone(), id))
            .map(|(_, e)| e.clone())
            .ok_or_else(|| not_found("request"))
    }

    async fn query(
        &self,
        tenant: &TenantId,
        q: &RequestQuery,
    ) -> Result<Page<RequestRecord>, StoreError> {
        if let Some(c) = &q.after {
            c.decode()?;
        }
        let g = self.lock();
        let mut rows: Vec<&RequestRecord> = Vec::new();
        for ((t, _), (r, _)) in g.requests.iter() {
            if t == tenant && q.matches(r) && q.after_cursor(r)? {
                rows.push(r);
            }
        }
        q.order.sort(&mut rows);
        let n = q.page_size() as usize;
        let next = if rows.len() > n {
            Some(Cursor::after(rows[n - 1], q.order))
        } else {
            None
        };
        Ok(Page {
            items: rows.into_iter().take(n).cloned().collect(),
            next,
        })
    }

    async fn update_deadlines(
        &self,
        tenant: &TenantId,
        id: RequestId,
        version: u32,
        deadlines: &Deadlines,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let (r, _) = g
            .requests
            .get_mut(&(tenant.clone(), id))
            .ok_or_else(|| not_found("request"))?;
        if r.state.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                actual: r.state.version,
            });
        }
        r.deadlines = deadlines.clone();
        Ok(())
    }

    async fn map_points(
        &self,
        tenant: &TenantId,
        q: &RequestQuery,
        limit: u32,
    ) -> Result<Vec<crate::map::MapPoint>, StoreError> {
        let g = self.lock();
        let mine = g
            .requests
            .iter()
            .filter(|((t, _), _)| t == tenant)
            .map(|(_, (r, _))| r);
        Ok(crate::map::MapPoint::reference(mine, q, limit))
    }
}

fn entry_mut(g: &mut Inner, id: Uuid) -> Result<&mut OutboxEntry, StoreError> {
    g.outbox
        .iter_mut()
        .find(|e| e.message.id == id)
        .ok_or_else(|| not_found("outbox message"))
}

#[async_trait::async_trait]
impl OutboxStore for MemoryStore {
    async fn enqueue(&self, messages: &[OutboxMessage]) -> Result<usize, StoreError> {
        let mut g = self.lock();
        let mut n = 0;
        for m in messages {
            if g.keys.insert(m.idempotency_key.clone()) {
                g.outbox.push(new_entry(m));
                n += 1;
            }
        }
        Ok(n)
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.claim_where(None, now, limit, lease)
    }

    async fn claim_tenant(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.claim_where(Some(tenant), now, limit, lease)
    }

    async fn mark_sent(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut g = self.lock();
        let e = entry_mut(&mut g, id)?;
        e.status = OutboxStatus::Sent;
        e.sent_at = Some(at);
        e.claimed_until = None;
        Ok(())
    }

    async fn mark_retry(
        &self,
        id: Uuid,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.put_back(id, next_attempt_at, error, 1)
    }

    async fn defer(
        &self,
        id: Uuid,
        next_attempt_at: DateTime<Utc>,
        note: &str,
    ) -> Result<(), StoreError> {
        self.put_back(id, next_attempt_at, note, 0)
    }

    async fn mark_failed(
        &self,
        id: Uuid,
        _at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let e = entry_mut(&mut g, id)?;
        e.status = OutboxStatus::Failed;
        e.failures = e.failures.saturating_add(1);
        e.last_error = Some(error.to_owned());
        e.claimed_until = None;
        Ok(())
    }

    async fn outbox(
        &self,
        tenant: &TenantId,
        request: Option<RequestId>,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let g = self.lock();
        let mut v: Vec<OutboxEntry> = g
            .outbox
            .iter()
            .filter(|e| {
                &e.message.tenant == tenant && request.is_none_or(|r| e.message.request == Some(r))
            })
            .cloned()
            .collect();
        v.sort_by_key(|e| (e.message.created_at, e.message.id));
        Ok(v)
    }
}

#[async_trait::async_trait]
impl crate::token::TokenStore for MemoryStore {
    async fn create_token(&self, token: &crate::token::ApiToken) -> Result<(), StoreError> {
        let mut g = self.lock();
        if g.tokens
            .iter()
            .any(|t| t.id == token.id || t.hash == token.hash)
        {
            return Err(StoreError::Duplicate {
                what: "token".into(),
            });
        }
        g.tokens.push(token.clone());
        Ok(())
    }

    async fn token_by_hash(
        &self,
        hash: &str,
    ) -> Result<Option<crate::token::ApiToken>, StoreError> {
        Ok(self.lock().tokens.iter().find(|t| t.hash == hash).cloned())
    }

    async fn tokens(&self, tenant: &TenantId) -> Result<Vec<crate::token::ApiToken>, StoreError> {
        let mut v: Vec<_> = self
            .lock()
            .tokens
            .iter()
            .filter(|t| &t.tenant == tenant)
            .cloned()
            .collect();
        v.sort_by_key(|t| (t.created_at, t.id));
        Ok(v)
    }

    async fn revoke_token(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let t = g
            .tokens
            .iter_mut()
            .find(|t| &t.tenant == tenant && t.id == id)
            .ok_or_else(|| not_found("token"))?;
        t.revoked_at.get_or_insert(at);
        Ok(())
    }
}

#[async_trait::async_trait]
impl ReportStore for MemoryStore {
    async fn report_corrections(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<crate::store::ReportCorrection>, StoreError> {
        Ok(self
            .lock()
            .corrections
            .iter()
            .filter(|c| &c.tenant == tenant)
            .cloned()
            .collect())
    }

    async fn report_cube(
        &self,
        tenant: &TenantId,
        query: &crate::report::CubeQuery,
    ) -> Result<crate::report::Cube, StoreError> {
        let g = self.lock();
        let facts: Vec<crate::report::Facts> = g
            .requests
            .iter()
            .filter(|((t, _), _)| t == tenant)
            .map(|(_, (rec, _))| crate::report::Facts::of(rec))
            .collect();
        Ok(crate::report::aggregate(&facts, query))
    }

    async fn put_signed_report(
        &self,
        report: &crate::report::SignedReport,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let latest = g
            .reports
            .iter()
            .filter(|r| {
                r.tenant == report.tenant
                    && r.quarter == report.quarter
                    && r.scope_key() == report.scope_key()
            })
            .map(|r| r.version)
            .max()
            .unwrap_or(0);
        let taken = g.reports.iter().any(|r| {
            r.id == report.id
                || (r.tenant == report.tenant
                    && r.quarter == report.quarter
                    && r.scope_key() == report.scope_key()
                    && r.version == report.version)
        });
        if taken {
            return Err(StoreError::Conflict {
                expected: report.version.saturating_sub(1),
                actual: latest,
            });
        }
        g.reports.push(report.clone());
        Ok(())
    }

    async fn signed_reports(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<crate::report::SignedReport>, StoreError> {
        let mut v: Vec<_> = self
            .lock()
            .reports
            .iter()
            .filter(|r| &r.tenant == tenant)
            .cloned()
            .collect();
        v.sort_by(crate::store::signed_report_order);
        Ok(v)
    }
}
