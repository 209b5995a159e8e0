//! How many store queries a page issues (issue 21: "no page issues more than a
//! handful of store queries"): the pages of `web_talepler` over a memory store wrapped in
//! [`Counting`], which counts every call of a store method. A list or the queue: the
//! session and its user (2), the tenant's document versions (the cached context: once
//! by the page, once by `Mbs`), the listing (1). The request page: the session (2),
//! `Mbs::history` (document versions, the request, its events) and the context (1).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use muhtar_core::account::*;
use muhtar_core::ids::*;
use muhtar_core::outbox::*;
use muhtar_core::request::Event;
use muhtar_core::store::*;
use muhtar_core::testkit::MemoryStore;
use muhtar_core::token::*;
use muhtar_core::tracking::TrackingNumber;
use uuid::Uuid;

use crate::web_talepler::App;

/// A store counting the calls of its methods, delegating to a memory store.
#[derive(Default)]
pub(crate) struct Counting {
    inner: MemoryStore,
    calls: std::sync::Mutex<Vec<&'static str>>,
}

impl Counting {
    fn count(&self, method: &'static str) {
        self.calls.lock().unwrap().push(method);
    }

    /// The methods called so far, forgotten.
    fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_queue_and_request_pages_issue_a_handful_of_store_queries() {
    let store = Arc::new(Counting::default());
    let app = App::start_on(store.clone()).await;
    let mut last = None;
    for i in 0..60 {
        last = Some(app.submit(&format!("Çukur {i}"), i % 7 == 0).await);
    }
    let birim = app.log_in("birim").await;
    let ayse = app.log_in("ayse").await;
    let t = last.unwrap();
    for (who, path, most) in [
        (&birim, "/kuyruk".to_owned(), 5),
        (&birim, "/kuyruk?overdue=1".to_owned(), 5),
        (&ayse, "/talepler".to_owned(), 5),
        (&birim, format!("/talepler/{t}"), 6),
    ] {
        // Once to fill the tenant's cached context, then counted.
        let (s, html) = who.get(&path).await;
        assert_eq!(s, 200, "{path}: {html}");
        store.take();
        let (s, _) = who.get(&path).await;
        assert_eq!(s, 200);
        let calls = store.take();
        assert!(
            calls.len() <= most,
            "{path}: {} store queries (at most {most}): {calls:?}",
            calls.len()
        );
    }
}

#[async_trait::async_trait]
impl muhtar_core::store::ConfigStore for Counting {
    async fn put_document(&self, doc: &Document) -> Result<(), StoreError> {
        self.count("put_document");
        self.inner.put_document(doc).await
    }
    async fn document(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<Option<Document>, StoreError> {
        self.count("document");
        self.inner.document(tenant, kind).await
    }
    async fn document_version(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<u32, StoreError> {
        self.count("document_version");
        self.inner.document_version(tenant, kind).await
    }
    async fn document_versions(&self, tenant: &TenantId) -> Result<DocumentVersions, StoreError> {
        self.count("document_versions");
        self.inner.document_versions(tenant).await
    }
    async fn tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        self.count("tenants");
        self.inner.tenants().await
    }
}

#[async_trait::async_trait]
impl muhtar_core::store::RequestStore for Counting {
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
        self.count("commit");
        self.inner.commit(commit).await
    }
    async fn load(&self, tenant: &TenantId, id: RequestId) -> Result<RequestRecord, StoreError> {
        self.count("load");
        self.inner.load(tenant, id).await
    }
    async fn load_by_tracking(
        &self,
        tenant: &TenantId,
        tracking: &TrackingNumber,
    ) -> Result<RequestRecord, StoreError> {
        self.count("load_by_tracking");
        self.inner.load_by_tracking(tenant, tracking).await
    }
    async fn events(&self, tenant: &TenantId, id: RequestId) -> Result<Vec<Event>, StoreError> {
        self.count("events");
        self.inner.events(tenant, id).await
    }
    async fn query(
        &self,
        tenant: &TenantId,
        query: &RequestQuery,
    ) -> Result<Page<RequestRecord>, StoreError> {
        self.count("query");
        self.inner.query(tenant, query).await
    }
    async fn update_deadlines(
        &self,
        tenant: &TenantId,
        id: RequestId,
        version: u32,
        deadlines: &Deadlines,
    ) -> Result<(), StoreError> {
        self.count("update_deadlines");
        self.inner
            .update_deadlines(tenant, id, version, deadlines)
            .await
    }
    async fn map_points(
        &self,
        tenant: &TenantId,
        query: &RequestQuery,
        limit: u32,
    ) -> Result<Vec<muhtar_core::map::MapPoint>, StoreError> {
        self.count("map_points");
        self.inner.map_points(tenant, query, limit).await
    }
}

#[async_trait::async_trait]
impl muhtar_core::store::OutboxStore for Counting {
    async fn enqueue(&self, messages: &[OutboxMessage]) -> Result<usize, StoreError> {
        self.count("enqueue");
        self.inner.enqueue(messages).await
    }
    async fn claim(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.count("claim");
        self.inner.claim(now, limit, lease).await
    }
    async fn claim_tenant(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.count("claim_tenant");
        self.inner.claim_tenant(tenant, now, limit, lease).await
    }
    async fn mark_sent(&self, id: uuid::Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.count("mark_sent");
        self.inner.mark_sent(id, at).await
    }
    async fn mark_retry(
        &self,
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.count("mark_retry");
        self.inner.mark_retry(id, next_attempt_at, error).await
    }
    async fn defer(
        &self,
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        note: &str,
    ) -> Result<(), StoreError> {
        self.count("defer");
        self.inner.defer(id, next_attempt_at, note).await
    }
    async fn mark_failed(
        &self,
        id: uuid::Uuid,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.count("mark_failed");
        self.inner.mark_failed(id, at, error).await
    }
    async fn outbox(
        &self,
        tenant: &TenantId,
        request: Option<RequestId>,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.count("outbox");
        self.inner.outbox(tenant, request).await
    }
}

#[async_trait::async_trait]
impl muhtar_core::store::ReportStore for Counting {
    async fn report_cube(
        &self,
        tenant: &TenantId,
        query: &muhtar_core::report::CubeQuery,
    ) -> Result<muhtar_core::report::Cube, StoreError> {
        self.count("report_cube");
        self.inner.report_cube(tenant, query).await
    }
    async fn put_signed_report(
        &self,
        report: &muhtar_core::report::SignedReport,
    ) -> Result<(), StoreError> {
        self.count("put_signed_report");
        self.inner.put_signed_report(report).await
    }
    async fn signed_reports(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<muhtar_core::report::SignedReport>, StoreError> {
        self.count("signed_reports");
        self.inner.signed_reports(tenant).await
    }
    async fn report_corrections(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ReportCorrection>, StoreError> {
        self.count("report_corrections");
        self.inner.report_corrections(tenant).await
    }
}

#[async_trait::async_trait]
impl muhtar_core::token::TokenStore for Counting {
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        self.count("create_token");
        self.inner.create_token(token).await
    }
    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.count("token_by_hash");
        self.inner.token_by_hash(hash).await
    }
    async fn tokens(&self, tenant: &TenantId) -> Result<Vec<ApiToken>, StoreError> {
        self.count("tokens");
        self.inner.tokens(tenant).await
    }
    async fn revoke_token(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.count("revoke_token");
        self.inner.revoke_token(tenant, id, at).await
    }
}

#[async_trait::async_trait]
impl muhtar_core::account::AccountStore for Counting {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        self.count("create_user");
        self.inner.create_user(user).await
    }
    async fn user_by_name(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<Option<User>, StoreError> {
        self.count("user_by_name");
        self.inner.user_by_name(tenant, name).await
    }
    async fn user_by_id(&self, tenant: &TenantId, id: Uuid) -> Result<Option<User>, StoreError> {
        self.count("user_by_id");
        self.inner.user_by_id(tenant, id).await
    }
    async fn users(&self, tenant: &TenantId) -> Result<Vec<User>, StoreError> {
        self.count("users");
        self.inner.users(tenant).await
    }
    async fn set_password(
        &self,
        tenant: &TenantId,
        id: Uuid,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.count("set_password");
        self.inner.set_password(tenant, id, hash, at).await
    }
    async fn disable_user(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.count("disable_user");
        self.inner.disable_user(tenant, id, at).await
    }
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.count("create_session");
        self.inner.create_session(session).await
    }
    async fn session_by_hash(&self, hash: &str) -> Result<Option<Session>, StoreError> {
        self.count("session_by_hash");
        self.inner.session_by_hash(hash).await
    }
    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.count("touch_session");
        self.inner.touch_session(hash, at).await
    }
    async fn end_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.count("end_session");
        self.inner.end_session(hash, at).await
    }
    async fn end_user_sessions(
        &self,
        tenant: &TenantId,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.count("end_user_sessions");
        self.inner.end_user_sessions(tenant, user, at).await
    }
    async fn record_login_failure(
        &self,
        tenant: &TenantId,
        name: &UserName,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.count("record_login_failure");
        self.inner
            .record_login_failure(tenant, name, at, since)
            .await
    }
    async fn login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.count("login_failures");
        self.inner.login_failures(tenant, name, since).await
    }
    async fn clear_login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<(), StoreError> {
        self.count("clear_login_failures");
        self.inner.clear_login_failures(tenant, name).await
    }
}

#[async_trait::async_trait]
impl WorkStore for Counting {
    async fn put_work(
        &self,
        work: &muhtar_core::map::work::Work,
        expected_version: u32,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        self.count("put_work");
        self.inner.put_work(work, expected_version, outbox).await
    }
    async fn work(
        &self,
        tenant: &TenantId,
        id: muhtar_core::map::work::WorkId,
    ) -> Result<muhtar_core::map::work::Work, StoreError> {
        self.count("work");
        self.inner.work(tenant, id).await
    }
    async fn works(
        &self,
        tenant: &TenantId,
        query: &muhtar_core::map::work::WorkQuery,
        limit: u32,
    ) -> Result<Vec<muhtar_core::map::work::Work>, StoreError> {
        self.count("works");
        self.inner.works(tenant, query, limit).await
    }
}

#[async_trait::async_trait]
impl DocumentStore for Counting {
    async fn last_sequence(
        &self,
        tenant: &TenantId,
        registry: &UnitCode,
        year: i32,
    ) -> Result<u32, StoreError> {
        self.count("last_sequence");
        self.inner.last_sequence(tenant, registry, year).await
    }
    async fn official_document(
        &self,
        tenant: &TenantId,
        id: muhtar_core::document::DocumentId,
    ) -> Result<muhtar_core::document::Document, StoreError> {
        self.count("official_document");
        self.inner.official_document(tenant, id).await
    }
    async fn document_by_code(
        &self,
        code: &muhtar_core::document::VerificationCode,
    ) -> Result<muhtar_core::document::Document, StoreError> {
        self.count("document_by_code");
        self.inner.document_by_code(code).await
    }
    async fn documents_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Vec<muhtar_core::document::Document>, StoreError> {
        self.count("documents_of_request");
        self.inner.documents_of_request(tenant, request).await
    }
    async fn documents_by_number(
        &self,
        tenant: &TenantId,
        number: &muhtar_core::document::RegistryNumber,
    ) -> Result<Vec<muhtar_core::document::Document>, StoreError> {
        self.count("documents_by_number");
        self.inner.documents_by_number(tenant, number).await
    }
    async fn documents_by_external_number(
        &self,
        tenant: &TenantId,
        external: &str,
    ) -> Result<Vec<muhtar_core::document::Document>, StoreError> {
        self.count("documents_by_external_number");
        self.inner
            .documents_by_external_number(tenant, external)
            .await
    }
    async fn document_counts(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        registries: Option<&[UnitCode]>,
    ) -> Result<muhtar_core::document::DocumentCounts, StoreError> {
        self.count("document_counts");
        self.inner
            .document_counts(tenant, from, to, registries)
            .await
    }
}

#[async_trait::async_trait]
impl CouncilStore for Counting {
    async fn put_member(&self, m: &muhtar_core::council::Member) -> Result<(), StoreError> {
        self.count("put_member");
        self.inner.put_member(m).await
    }
    async fn member(
        &self,
        t: &TenantId,
        id: muhtar_core::council::MemberId,
    ) -> Result<muhtar_core::council::Member, StoreError> {
        self.count("member");
        self.inner.member(t, id).await
    }
    async fn members(
        &self,
        t: &TenantId,
        m: &MuhtarlikCode,
    ) -> Result<Vec<muhtar_core::council::Member>, StoreError> {
        self.count("members");
        self.inner.members(t, m).await
    }
    async fn put_vote(&self, v: &muhtar_core::council::Vote) -> Result<(), StoreError> {
        self.count("put_vote");
        self.inner.put_vote(v).await
    }
    async fn vote(
        &self,
        t: &TenantId,
        id: muhtar_core::council::VoteId,
    ) -> Result<muhtar_core::council::Vote, StoreError> {
        self.count("vote");
        self.inner.vote(t, id).await
    }
    async fn votes(
        &self,
        t: &TenantId,
        m: &MuhtarlikCode,
    ) -> Result<Vec<muhtar_core::council::Vote>, StoreError> {
        self.count("votes");
        self.inner.votes(t, m).await
    }
    async fn cast_ballot(
        &self,
        t: &TenantId,
        v: muhtar_core::council::VoteId,
        m: muhtar_core::council::MemberId,
        b: &muhtar_core::council::BallotRecord,
    ) -> Result<(), StoreError> {
        self.count("cast_ballot");
        self.inner.cast_ballot(t, v, m, b).await
    }
    async fn change_ballot(
        &self,
        t: &TenantId,
        v: muhtar_core::council::VoteId,
        k: &BallotKey,
        c: u8,
    ) -> Result<(), StoreError> {
        self.count("change_ballot");
        self.inner.change_ballot(t, v, k, c).await
    }
    async fn ballots(
        &self,
        t: &TenantId,
        v: muhtar_core::council::VoteId,
    ) -> Result<Vec<muhtar_core::council::BallotRecord>, StoreError> {
        self.count("ballots");
        self.inner.ballots(t, v).await
    }
    async fn participants(
        &self,
        t: &TenantId,
        v: muhtar_core::council::VoteId,
    ) -> Result<Vec<muhtar_core::council::MemberId>, StoreError> {
        self.count("participants");
        self.inner.participants(t, v).await
    }
    async fn close_vote(
        &self,
        t: &TenantId,
        v: muhtar_core::council::VoteId,
        r: &muhtar_core::council::Tally,
    ) -> Result<(), StoreError> {
        self.count("close_vote");
        self.inner.close_vote(t, v, r).await
    }
}

#[async_trait::async_trait]
impl ProposalStore for Counting {
    async fn put_proposal(&self, p: &muhtar_core::council::Proposal) -> Result<(), StoreError> {
        self.count("put_proposal");
        self.inner.put_proposal(p).await
    }
    async fn proposal(
        &self,
        t: &TenantId,
        id: muhtar_core::council::ProposalId,
    ) -> Result<muhtar_core::council::Proposal, StoreError> {
        self.count("proposal");
        self.inner.proposal(t, id).await
    }
    async fn proposals(
        &self,
        t: &TenantId,
        m: &MuhtarlikCode,
    ) -> Result<Vec<muhtar_core::council::Proposal>, StoreError> {
        self.count("proposals");
        self.inner.proposals(t, m).await
    }
    async fn support(
        &self,
        t: &TenantId,
        p: muhtar_core::council::ProposalId,
        m: muhtar_core::council::MemberId,
        threshold: u32,
        at: DateTime<Utc>,
    ) -> Result<SupportOutcome, StoreError> {
        self.count("support");
        self.inner.support(t, p, m, threshold, at).await
    }
    async fn supporters(
        &self,
        t: &TenantId,
        p: muhtar_core::council::ProposalId,
    ) -> Result<Vec<muhtar_core::council::MemberId>, StoreError> {
        self.count("supporters");
        self.inner.supporters(t, p).await
    }
    async fn put_on_agenda(
        &self,
        t: &TenantId,
        p: muhtar_core::council::ProposalId,
        r: muhtar_core::council::AgendaReason,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.count("put_on_agenda");
        self.inner.put_on_agenda(t, p, r, at).await
    }
    async fn put_comment(&self, c: &muhtar_core::council::Comment) -> Result<(), StoreError> {
        self.count("put_comment");
        self.inner.put_comment(c).await
    }
    async fn comments(
        &self,
        t: &TenantId,
        p: muhtar_core::council::ProposalId,
    ) -> Result<Vec<muhtar_core::council::Comment>, StoreError> {
        self.count("comments");
        self.inner.comments(t, p).await
    }
    async fn hide_comment(
        &self,
        t: &TenantId,
        c: muhtar_core::council::CommentId,
        h: &muhtar_core::council::Hidden,
    ) -> Result<muhtar_core::council::Comment, StoreError> {
        self.count("hide_comment");
        self.inner.hide_comment(t, c, h).await
    }
}

#[async_trait::async_trait]
impl MeetingStore for Counting {
    async fn put_meeting(&self, m: &muhtar_core::council::Meeting) -> Result<(), StoreError> {
        self.count("put_meeting");
        self.inner.put_meeting(m).await
    }
    async fn meeting(
        &self,
        t: &TenantId,
        id: muhtar_core::council::MeetingId,
    ) -> Result<muhtar_core::council::Meeting, StoreError> {
        self.count("meeting");
        self.inner.meeting(t, id).await
    }
    async fn meetings(
        &self,
        t: &TenantId,
        m: &MuhtarlikCode,
    ) -> Result<Vec<muhtar_core::council::Meeting>, StoreError> {
        self.count("meetings");
        self.inner.meetings(t, m).await
    }
    async fn set_attendance(
        &self,
        t: &TenantId,
        id: muhtar_core::council::MeetingId,
        members: &[muhtar_core::council::MemberId],
    ) -> Result<(), StoreError> {
        self.count("set_attendance");
        self.inner.set_attendance(t, id, members).await
    }
    async fn record_minutes(
        &self,
        t: &TenantId,
        id: muhtar_core::council::MeetingId,
        minutes: &muhtar_core::council::Minutes,
    ) -> Result<(), StoreError> {
        self.count("record_minutes");
        self.inner.record_minutes(t, id, minutes).await
    }
}

#[async_trait::async_trait]
impl DecisionStore for Counting {
    async fn decision_of_vote(
        &self,
        t: &TenantId,
        v: muhtar_core::council::VoteId,
    ) -> Result<Option<muhtar_core::council::DecisionLink>, StoreError> {
        self.count("decision_of_vote");
        self.inner.decision_of_vote(t, v).await
    }
    async fn decision_of_request(
        &self,
        t: &TenantId,
        r: RequestId,
    ) -> Result<Option<muhtar_core::council::DecisionLink>, StoreError> {
        self.count("decision_of_request");
        self.inner.decision_of_request(t, r).await
    }
    async fn municipal_council_count(
        &self,
        t: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        units: Option<&[UnitCode]>,
    ) -> Result<u64, StoreError> {
        self.count("municipal_council_count");
        self.inner.municipal_council_count(t, from, to, units).await
    }
}

#[async_trait::async_trait]
impl MemberLoginStore for Counting {
    async fn put_login_code(
        &self,
        code: &muhtar_core::council::LoginCode,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        self.count("put_login_code");
        self.inner.put_login_code(code, outbox).await
    }
    async fn use_login_code(
        &self,
        t: &TenantId,
        contact: &str,
        code: &str,
        now: DateTime<Utc>,
        max_tries: u32,
    ) -> Result<muhtar_core::council::CodeCheck, StoreError> {
        self.count("use_login_code");
        self.inner
            .use_login_code(t, contact, code, now, max_tries)
            .await
    }
    async fn members_by_contact(
        &self,
        t: &TenantId,
        contact: &muhtar_core::council::Contact,
    ) -> Result<Vec<muhtar_core::council::Member>, StoreError> {
        self.count("members_by_contact");
        self.inner.members_by_contact(t, contact).await
    }
}
