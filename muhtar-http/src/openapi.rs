//! The OpenAPI 3 document of the REST API, generated from the handlers' annotations
//! (utoipa) and served at `/api/v1/openapi.json`; its server URL carries the prefix the
//! router is mounted under ([`crate::mount`]).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::error::{ErrorBody, ErrorDetail};
use crate::mount::Mount;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "muhtar — Muhtar Bilgi Sistemi REST API",
        description = "Requests of muhtars, routed, timed and reported (Genelge 2015/8). Every call needs `Authorization: Bearer <token>` (`muhtar token create --as ...`). Errors are `{\"error\": {code, message, field}}`."
    ),
    servers((url = "/api/v1")),
    paths(
        api::submit, api::list, api::get_request, api::history, api::deadline, api::policy,
        api::attachment, api::command, api::queue, api::organisation, api::rules,
        api::report, api::period_report, api::sign_report, api::signed_reports, api::signed_report,
        crate::status::public_status,
        api::map_where,
        api::requests_geojson, api::muhtarliklar_geojson,
        api::create_work, api::list_works, api::get_work, api::change_work, api::close_work,
        api::work_clashes, api::works_geojson,
        api::register_document, api::issue_letter, api::find_documents, api::get_document,
        api::letter_html, api::verify_document, api::verify_copy,
        api::list_members, api::add_member, api::remove_member, api::list_votes, api::open_vote,
        api::get_vote, api::cast_ballot, api::change_ballot, api::close_vote, api::vote_result,
        api::verify_receipt,
        api::list_meetings, api::add_meeting, api::get_meeting, api::set_attendance,
        api::record_minutes,
        api::list_proposals, api::add_proposal, api::get_proposal, api::support_proposal,
        api::put_on_agenda, api::list_comments, api::add_comment, api::hide_comment,
        api::send_decision,
    ),
    components(schemas(
        api::RequestView, api::LocationWarningView, api::RequestPage, api::SubmitBody, api::LocationBody,
        api::AttachmentBody, api::CitizenBody, api::CommandBody, api::RulesView,
        api::SignBody, api::SignedView, crate::status::StatusView,
        api::RequestFeatureCollection, api::MuhtarlikFeatureCollection,
        ErrorBody, ErrorDetail,
        api::WhereView,
        api::WorkView, api::WorkList, api::NewWorkBody, api::WorkChangeBody, api::CloseWorkBody,
        api::ClashView,
        api::DocumentView, api::DocumentList, api::DocumentBody, api::VerificationView, api::CopyMatch,
        api::MemberView, api::MemberContactView, api::MemberList, api::NewMemberBody,
        api::EligibleView, api::VoteView, api::VoteList, api::ResultView, api::NewVoteBody,
        api::BallotBody, api::ChangeBody, api::ReceiptView, api::ChangedView, api::ReceiptCheckView,
        api::MeetingView, api::MinutesView, api::MeetingList, api::NewMeetingBody,
        api::AttendanceBody, api::MinutesBody,
        api::AuthorView, api::ProposalView, api::ProposalList, api::NewProposalBody,
        api::SupportBody, api::SupportedView, api::CommentView, api::CommentList,
        api::NewCommentBody, api::HideBody,
        api::DecisionBody, api::DecisionView,
    )),
    modifiers(&Bearer),
    tags(
        (name = "requests", description = "Submit, read, list and act on requests"),
        (name = "configuration", description = "The tenant's organisation and rules"),
        (name = "reports", description = "The quarterly report of Genelge 2015/8 and its sign-off; the same statistics for any period"),
        (name = "public", description = "No token: a request's public status by tracking number; an official document's verification by its code"),
        (name = "documents", description = "Official documents (resmî evrak): a request registered as an incoming document, its answer issued as a letter, their numbers and verification codes"),
        (name = "councils", description = "Neighbourhood councils (mahalle meclisleri): a muhtarlık's member roll and votes, run by its muhtar, read by the back office; secret ballots name no member"),
        (name = "map", description = "GeoJSON (RFC 7946) for any map client: requests as points, muhtarlıklar with their counts, works; without a token the public view. `where`: the muhtarlık of a point, for the back office"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json` (public), its server under the router's prefix.
pub async fn document(mount: Mount) -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![utoipa::openapi::Server::new(mount.url("/api/v1"))]);
    Json(doc)
}
