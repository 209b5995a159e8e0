//! `POST /api/v1/requests`: a new request, as JSON or multipart with photos.

use super::*;

/// A new request. As JSON (`application/json`), or as `multipart/form-data` with this
/// JSON in a part named `request` and photos (JPEG, PNG, WebP) or PDFs in parts named
/// `photo`, each at most 10 MiB, type checked by content.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// Muhtarlık code; default: the acting muhtar's.
    #[serde(default)]
    pub muhtarlik: Option<String>,
    /// Category code (see `/organisation`).
    pub category: String,
    /// Subject.
    pub subject: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Channel (see `RequestView.channel`; `metropolitan-system` is read as `beyaz-masa`);
    /// default `mbs-web` for a muhtar, `phone` for back-office entry.
    #[serde(default)]
    pub channel: Option<String>,
    /// Kind: request (default), suggestion, complaint, information-request.
    #[serde(default)]
    pub kind: Option<String>,
    /// Priority: normal or urgent.
    #[serde(default)]
    pub priority: Option<String>,
    /// The date the letter asks the answer by (günlü yazı): a date (`2026-12-15`, the end
    /// of office hours) or an RFC 3339 instant. It is the resolution deadline unless the
    /// policy's is earlier.
    #[serde(default)]
    pub reply_by: Option<String>,
    /// Location.
    #[serde(default)]
    pub location: Option<LocationBody>,
    /// Address text.
    #[serde(default)]
    pub address: Option<String>,
    /// The files of this request's multipart body are attached automatically; a hash
    /// listed here must be one of them (an attachment belongs to the submission that
    /// uploaded it).
    #[serde(default)]
    pub attachments: Vec<AttachmentBody>,
    /// The category's extra fields.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// A link to a photo held elsewhere.
    #[serde(default)]
    pub media_url: Option<String>,
    /// The citizen behind the request.
    #[serde(default)]
    pub citizen: Option<CitizenBody>,
    /// Official registration (evrak) number of a paper document.
    #[serde(default)]
    pub registration_number: Option<String>,
    /// When it reached the body: back-office staff only (coordinator, unit staff), at
    /// most the tenant's window back (default 30 days), never in the future; default now.
    #[serde(
        default,
        deserialize_with = "muhtar_core::request::deserialize_received_at"
    )]
    pub received_at: Option<DateTime<Utc>>,
    /// The coordinator's reason for a `received_at` inside a quarter whose report is
    /// signed; the signed report is then marked as needing a correction.
    #[serde(default)]
    pub force_reason: Option<String>,
    /// For the municipal council's agenda (belediye meclisi gündemi): flagged in the
    /// unit's queue and counted in the report. Default false.
    #[serde(default)]
    pub municipal_council: bool,
}

impl SubmitBody {
    /// The core request, for `actor`: what it leaves out comes from the actor's role
    /// ([`Actor::submission_defaults`]).
    pub fn into_new(self, actor: &Actor) -> ApiResult<NewRequest> {
        let defaults = actor.submission_defaults();
        let muhtarlik = self
            .muhtarlik
            .map(|m| {
                MuhtarlikCode::new(m.clone())
                    .map_err(|e| ApiError::invalid("muhtarlik", format!("{m:?}: {e}")))
            })
            .transpose()?;
        let muhtarlik = defaults
            .muhtarlik(muhtarlik)
            .map_err(|e| ApiError::invalid("muhtarlik", e.to_string()))?;
        let channel = defaults.channel(
            self.channel
                .as_deref()
                .map(|c| {
                    c.parse::<Channel>()
                        .map_err(|e| ApiError::invalid("channel", e.to_string()))
                })
                .transpose()?,
        );
        Ok(
            NewRequest::builder(muhtarlik, channel, self.category, self.subject)
                .kind(match &self.kind {
                    Some(k) => named("kind", k)?,
                    None => muhtar_core::request::RequestKind::Request,
                })
                .description(self.description)
                .priority(
                    self.priority
                        .as_deref()
                        .map(|p| named("priority", p))
                        .transpose()?,
                )
                .location(self.location.map(|l| muhtar_core::request::Location {
                    lat: l.lat,
                    lon: l.lon,
                }))
                .address(self.address)
                .attachments(self.attachments.into_iter().map(|a| Attachment {
                    media_type: a.media_type,
                    size: a.size,
                    sha256: a.sha256,
                    file_name: a.file_name,
                }))
                .citizen(self.citizen.map(|c| muhtar_core::request::CitizenContact {
                    name: c.name,
                    phone: c.phone,
                    email: c.email,
                }))
                .registration_number(self.registration_number)
                .received_at(self.received_at)
                .attributes(self.attributes)
                .media_url(self.media_url)
                .reply_by(
                    self.reply_by
                        .as_deref()
                        .map(str::parse::<muhtar_core::request::ReplyBy>)
                        .transpose()
                        .map_err(|e| ApiError::invalid("reply_by", e.to_string()))?,
                )
                .municipal_council(self.municipal_council)
                .build(),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Uploads: see [`crate::uploads`].

pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!("the body is larger than {MAX_UPLOAD_BODY} bytes"))
    } else {
        ApiError::malformed(format!("multipart body: {}", e.body_text()))
    }
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Submit a request (JSON, or multipart with photos).
#[utoipa::path(post, path = "/requests", tag = "requests",
    request_body(content((SubmitBody = "application/json"), (SubmitBody = "multipart/form-data"))),
    responses(
        (status = 201, description = "Submitted: validated, routed, deadlines set", body = RequestView,
            headers(("Location" = String, description = "The request's URL (`GET` it), under the prefix the API is mounted at"))),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The actor may not submit for this muhtarlık", body = ErrorBody),
        (status = 413, description = "Body or file too large", body = ErrorBody),
        (status = 415, description = "File type not accepted", body = ErrorBody),
        (status = 507, description = "No disk space left for uploads", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in `field`)", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn submit(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    req: Request,
) -> ApiResult<Response> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut files: Vec<uploads::Received> = Vec::new();
    let body: SubmitBody = if is_multipart {
        let mut mp = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::malformed(e.body_text()))?;
        let mut body: Option<SubmitBody> = None;
        while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
            match field.name() {
                Some("request") => {
                    let bytes = field.bytes().await.map_err(multipart_error)?;
                    body = Some(from_json(&bytes)?);
                }
                Some("photo") | Some("file") => {
                    if files.len() >= MAX_ATTACHMENTS {
                        return Err(ApiError::invalid(
                            "photo",
                            format!("at most {MAX_ATTACHMENTS} files"),
                        ));
                    }
                    files.push(
                        uploads::receive(s.uploads.as_ref(), &mut field, multipart_error).await?,
                    );
                }
                other => {
                    return Err(ApiError::invalid(
                        other.unwrap_or(""),
                        "unknown part: expected `request` and `photo`",
                    ))
                }
            }
        }
        body.ok_or_else(|| ApiError::invalid("request", "the `request` part is missing"))?
    } else {
        JsonBody::<SubmitBody>::from_request(req, &()).await?.0
    };
    let rec = submit_received::<ApiError>(&s, &actor, body, files).await?;
    let location = mount.url(&format!("/api/v1/requests/{}", rec.state.tracking));
    let ctx = s.mbs.context(&actor.tenant).await?;
    Ok(created(location, RequestView::of(&rec, &ctx.org)))
}

/// Submits `body` as `actor` with the files received with it (checked and spooled by
/// [`uploads::receive`]): the files become the request's attachments (a hash the body
/// lists must be one of them, [`uploads::bind`]), are stored, and the request is
/// submitted through `Mbs` ([`Mbs::submit`](muhtar_core::service::Mbs::submit), or
/// `submit_forced` with the body's `force_reason`) while the files' locks are held
/// ([`uploads::commit_with`]): a failed submission leaves no file it stored. Shared by
/// `POST /api/v1/requests` and the new request page (`/talep/yeni`), which keeps core's
/// own error (`E`) to say it in Turkish at the field.
pub(crate) async fn submit_received<E>(
    s: &AppState,
    actor: &Actor,
    mut body: SubmitBody,
    files: Vec<uploads::Received>,
) -> Result<RequestRecord, E>
where
    E: From<ApiError> + From<ServiceError> + From<uploads::UploadError>,
{
    // An attachment belongs to the submission that uploaded it: a hash listed in the
    // JSON must be one of this body's files.
    let listed: Vec<String> = body.attachments.iter().map(|a| a.sha256.clone()).collect();
    let attachments = uploads::bind(&listed, &files)?;
    let force = body.force_reason.take();
    let mut new = body.into_new(actor)?;
    new.attachments = attachments;
    uploads::commit_with(s.uploads.as_ref(), files, async {
        Ok(match force {
            Some(reason) => s.mbs.submit_forced(actor, new, &reason).await?,
            None => s.mbs.submit(actor, new).await?,
        })
    })
    .await
}

/// 201 with a `Location` header and the body.
pub(crate) fn created(location: String, body: impl Serialize) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}
