//! offboard as a SCIM 2.0 service provider at `/api/scim/v2`: the use case behind the HTTP
//! route.
//!
//! The route authenticates the bearer token (`offboard_core::signature::verify_bearer`) and
//! hands the request here as method, path, query and raw body. This module answers it with
//! the SCIM protocol of `offboard_core::scim` over the [`ScimUserStore`], and turns
//! deactivations into termination cases through [`Intake`]:
//!
//! - **Deactivation** — `active` going from true to false by PATCH or PUT, or DELETE of an
//!   active user — opens a case whose event id is `"{scim id}/{n}"` for the user's n-th
//!   deactivation, so a redelivered request maps to the same case. The answer carries
//!   `Offboard-Case-Id` and `Offboard-Case-Status`.
//! - **Reactivation** — `active` back to true — cancels the case of the last deactivation
//!   if it has not taken effect yet. After that the change is still accepted (the identity
//!   provider's record is what it is), the case goes on, and a note on the case records the
//!   late reactivation.
//!
//! The case is opened before the user is stored: if storing then fails, the client's retry
//! finds the user still active, deactivates it again with the same number and lands on the
//! same case. The reverse order could lose the termination.
//!
//! A user that carries nothing offboard can identify the leaver by (no `employeeNumber`, no
//! `userName` of the form name@domain, no primary or work email) is still deactivated in
//! SCIM, but no case can be opened: a warning is logged for the operator.
//!
//! Failures of the store or of intake answer 503 (temporary: retry) or 500, with a SCIM
//! error that says what to do and nothing about internals.

use std::sync::Arc;

use serde_json::{Map, Value};
use uuid::Uuid;

use offboard_core::case::CaseStatus;
use offboard_core::effective::EffectivePolicy;
use offboard_core::event::TerminationEvent;
use offboard_core::ids::CaseId;
use offboard_core::ports::{ScimKey, ScimUserStore, StoreError, Versioned};
use offboard_core::scim::list::{ListQuery, list_response, projection_from_params};
use offboard_core::scim::query::{decode_segment, param, parse_query};
use offboard_core::scim::resource::{self, etag, location, render};
use offboard_core::scim::termination::{self, ActiveChange};
use offboard_core::scim::{MEDIA_TYPE, PatchRequest, Projection, ScimError, ScimUser, discovery};
use offboard_core::signature::Verified;

use crate::intake::{Intake, IntakeError, RescindOutcome};

/// Response header naming the case a deactivation opened (or a reactivation cancelled).
pub const CASE_ID_HEADER: &str = "Offboard-Case-Id";
/// Response header with that case's status (`received`, `scheduled`, `cancelled`, ...).
pub const CASE_STATUS_HEADER: &str = "Offboard-Case-Status";

/// How many times a write is retried when the user changed between read and write.
const MAX_WRITE_ATTEMPTS: usize = 5;

/// Seconds a client is asked to wait before retrying after a 503.
const RETRY_AFTER_SECONDS: &str = "5";

/// A SCIM request, as the HTTP route received it.
#[derive(Debug, Clone)]
pub struct ScimRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// What follows `/api/scim/v2`, e.g. `/Users/2819c223`.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The raw request body.
    pub body: &'a [u8],
    /// The SCIM base URL for `meta.location`, e.g. `https://host/api/scim/v2`.
    pub base_url: &'a str,
    /// Proof the bearer token was checked, with the body's digest and arrival time.
    pub verified: Verified,
    /// The `If-Match` header, if any (RFC 7644 §3.14).
    pub if_match: Option<&'a str>,
    /// The `If-None-Match` header, if any.
    pub if_none_match: Option<&'a str>,
}

/// What to answer: status, JSON body (sent as `application/scim+json`) and headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body, if any.
    pub body: Option<Value>,
    /// Headers to send, `Content-Type` included when there is a body.
    pub headers: Vec<(String, String)>,
}

impl ScimResponse {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            headers: vec![("Content-Type".into(), MEDIA_TYPE.into())],
        }
    }

    fn empty(status: u16) -> Self {
        Self {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    fn error(e: &ScimError) -> Self {
        let r = Self::json(e.status, e.to_json());
        if e.status == 503 {
            r.with_header("Retry-After", RETRY_AFTER_SECONDS)
        } else {
            r
        }
    }

    fn method_not_allowed(allowed: &str) -> Self {
        Self::error(&ScimError::method_not_allowed(format!(
            "this endpoint accepts {allowed} only"
        )))
        .with_header("Allow", allowed)
    }

    fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn with_headers(mut self, headers: Vec<(String, String)>) -> Self {
        self.headers.extend(headers);
        self
    }

    /// The value of the header `name` (any case), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The SCIM use case.
#[derive(Clone)]
pub struct ScimService {
    users: Arc<dyn ScimUserStore>,
    intake: Intake,
    policy: EffectivePolicy,
}

fn store_failure(e: StoreError) -> ScimError {
    match e {
        StoreError::Conflict { .. } => ScimError::uniqueness(
            "this userName is already used by another user; userName must be unique \
             (compared without regard to case)",
        ),
        StoreError::NotFound { .. } => ScimError::not_found("the user does not exist"),
        e if e.is_transient() => {
            tracing::warn!(error = %e, "SCIM user store temporarily unavailable");
            ScimError::unavailable(
                "offboard's user store is temporarily unavailable; retry the request",
            )
        }
        e => {
            tracing::error!(error = %e, "SCIM user store failed");
            ScimError::internal(
                "offboard could not read or store the user; retry later, and tell the offboard \
                 operator if it persists",
            )
        }
    }
}

fn intake_failure(e: IntakeError) -> ScimError {
    if e.is_transient() {
        tracing::warn!(error = %e, "intake temporarily unavailable for a SCIM deactivation");
        ScimError::unavailable(
            "offboard could not record the termination right now and did not change the user; \
             retry the request",
        )
    } else {
        tracing::error!(error = %e, "intake failed for a SCIM deactivation");
        ScimError::internal(
            "offboard could not record the termination and did not change the user; retry \
             later, and tell the offboard operator if it persists",
        )
    }
}

fn user_not_found(id: &str) -> ScimError {
    let mut shown: String = id.chars().take(100).collect();
    if shown.len() < id.len() {
        shown.push('…');
    }
    ScimError::not_found(format!("no user with id {shown}"))
}

fn parse_json(body: &[u8]) -> Result<Value, ScimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax(
            "the request needs a JSON body (application/scim+json)",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
}

/// The opaque part of an entity tag, so that `W/"3"` and `"3"` compare equal: RFC 7644
/// §3.14 uses weak tags in `If-Match`.
fn opaque_tag(tag: &str) -> &str {
    let t = tag.trim();
    t.strip_prefix("W/").unwrap_or(t)
}

fn tag_matches(header: &str, version: u64) -> bool {
    let current = etag(version);
    header.trim() == "*"
        || header
            .split(',')
            .any(|t| opaque_tag(t) == opaque_tag(&current))
}

fn check_if_match(if_match: Option<&str>, version: u64) -> Result<(), ScimError> {
    match if_match {
        Some(h) if !tag_matches(h, version) => Err(ScimError::precondition_failed(
            "the user changed since you read it (If-Match does not match its ETag); read it \
             again and retry",
        )),
        _ => Ok(()),
    }
}

fn as_map(resource: &Value) -> Map<String, Value> {
    match resource {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    }
}

fn case_headers(id: &CaseId, status: CaseStatus) -> Vec<(String, String)> {
    vec![
        (CASE_ID_HEADER.into(), id.to_string()),
        (CASE_STATUS_HEADER.into(), status.to_string()),
    ]
}

impl ScimService {
    /// The service over a user store and intake; `policy` turns a `terminationDateTime`
    /// into the case's effective instant.
    pub fn new(users: Arc<dyn ScimUserStore>, intake: Intake, policy: EffectivePolicy) -> Self {
        Self {
            users,
            intake,
            policy,
        }
    }

    /// Answers one SCIM request. `path` is what follows `/api/scim/v2` (e.g. `/Users/abc`),
    /// `query` the raw query string, `base_url` e.g. `https://host/api/scim/v2` for
    /// `meta.location`, `verified` the proof the bearer token was checked, carrying the
    /// body digest. Conditional headers are not seen here: use [`Self::handle_request`] to
    /// pass `If-Match` / `If-None-Match`.
    pub async fn handle(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        base_url: &str,
        verified: Verified,
    ) -> ScimResponse {
        self.handle_request(ScimRequest {
            method,
            path,
            query,
            body,
            base_url,
            verified,
            if_match: None,
            if_none_match: None,
        })
        .await
    }

    /// Answers one SCIM request, conditional headers included.
    pub async fn handle_request(&self, req: ScimRequest<'_>) -> ScimResponse {
        match self.route(&req).await {
            Ok(r) => r,
            Err(e) => ScimResponse::error(&e),
        }
    }

    async fn route(&self, req: &ScimRequest<'_>) -> Result<ScimResponse, ScimError> {
        let raw_path = req.path.split('?').next().unwrap_or_default();
        let segments = raw_path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode_segment)
            .collect::<Result<Vec<_>, _>>()?;
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let params = parse_query(req.query)?;
        let method = req.method.to_ascii_uppercase();
        let is = |s: &str, name: &str| s.eq_ignore_ascii_case(name);
        let base = req.base_url;

        match segments.as_slice() {
            [s] if is(s, "ServiceProviderConfig") => discovery_get(&method, &params, || {
                Some(discovery::service_provider_config(base))
            }),
            [s] if is(s, "ResourceTypes") => {
                discovery_get(&method, &params, || Some(discovery::resource_types(base)))
            }
            [s, id] if is(s, "ResourceTypes") => {
                discovery_get(&method, &params, || discovery::resource_type(base, id))
            }
            [s] if is(s, "Schemas") => {
                discovery_get(&method, &params, || Some(discovery::schemas(base)))
            }
            [s, id] if is(s, "Schemas") => {
                discovery_get(&method, &params, || discovery::schema(base, id))
            }
            // Root-level search (RFC 7644 §3.4.3): Users are the only resource type, so a
            // search across all types is a search of Users.
            [s] if *s == ".search" => match method.as_str() {
                "POST" => self.search(req).await,
                _ => Ok(ScimResponse::method_not_allowed("POST")),
            },
            [s] if is(s, "Users") => match method.as_str() {
                "GET" => self.list(req, &params).await,
                "POST" => self.create(req, &params).await,
                _ => Ok(ScimResponse::method_not_allowed("GET, POST")),
            },
            [s, search] if is(s, "Users") && *search == ".search" => match method.as_str() {
                "POST" => self.search(req).await,
                _ => Ok(ScimResponse::method_not_allowed("POST")),
            },
            [s, id] if is(s, "Users") => match method.as_str() {
                "GET" => self.get(req, id, &params).await,
                "PUT" => self.replace(req, id, &params).await,
                "PATCH" => self.patch(req, id, &params).await,
                "DELETE" => self.delete(req, id).await,
                _ => Ok(ScimResponse::method_not_allowed("GET, PUT, PATCH, DELETE")),
            },
            [s, ..] if is(s, "Me") => Err(ScimError::not_implemented(
                "offboard does not support /Me: it has no authenticated subject, only a \
                 provisioning client",
            )),
            [s] if is(s, "Bulk") => Err(ScimError::not_implemented(
                "offboard does not support bulk operations (ServiceProviderConfig bulk.supported \
                 is false): send each operation on its own",
            )),
            _ => Err(ScimError::not_found(
                "no such SCIM endpoint: offboard serves /Users, /Users/.search, /.search, \
                 /ServiceProviderConfig, /ResourceTypes and /Schemas",
            )),
        }
    }

    fn user_response(
        &self,
        status: u16,
        user: &ScimUser,
        base_url: &str,
        projection: &Projection,
    ) -> ScimResponse {
        let loc = location(base_url, &user.id);
        ScimResponse::json(status, projection.apply(&render(user, base_url)))
            .with_header("ETag", etag(user.version))
            .with_header("Content-Location", loc)
    }

    async fn ensure_unique(&self, user_name: &str, except: Option<&str>) -> Result<(), ScimError> {
        let taken = self
            .users
            .find(ScimKey::UserName, user_name)
            .await
            .map_err(store_failure)?
            .iter()
            .any(|u| Some(u.id.as_str()) != except);
        if taken {
            Err(store_failure(StoreError::Conflict {
                what: "userName".into(),
            }))
        } else {
            Ok(())
        }
    }

    async fn create(
        &self,
        req: &ScimRequest<'_>,
        params: &[(String, String)],
    ) -> Result<ScimResponse, ScimError> {
        let projection = projection_from_params(params)?;
        let body = parse_json(req.body)?;
        let res = resource::normalize_user(&body)?;
        let user_name = resource::user_name(&res).unwrap_or_default().to_owned();
        self.ensure_unique(&user_name, None).await?;
        let now = self.intake.clock().now();
        let user = ScimUser {
            id: Uuid::new_v4().to_string(),
            user_name,
            external_id: resource::external_id(&res).map(str::to_owned),
            // A user created inactive (a pre-hire, say) was never active: nothing to remove.
            active: resource::explicit_active(&res).unwrap_or(true),
            deactivations: 0,
            resource: Value::Object(res),
            created: now,
            last_modified: now,
            version: 1,
        };
        let stored = self.users.create(&user).await.map_err(store_failure)?;
        tracing::info!(scim_id = %stored.value.id, "SCIM user created");
        let loc = location(req.base_url, &stored.value.id);
        Ok(self
            .user_response(201, &stored.value, req.base_url, &projection)
            .with_header("Location", loc))
    }

    async fn get(
        &self,
        req: &ScimRequest<'_>,
        id: &str,
        params: &[(String, String)],
    ) -> Result<ScimResponse, ScimError> {
        let projection = projection_from_params(params)?;
        let Some(Versioned { value: user, .. }) =
            self.users.get(id).await.map_err(store_failure)?
        else {
            return Err(user_not_found(id));
        };
        if req
            .if_none_match
            .is_some_and(|h| tag_matches(h, user.version))
        {
            return Ok(ScimResponse::empty(304).with_header("ETag", etag(user.version)));
        }
        Ok(self.user_response(200, &user, req.base_url, &projection))
    }

    async fn list(
        &self,
        req: &ScimRequest<'_>,
        params: &[(String, String)],
    ) -> Result<ScimResponse, ScimError> {
        let query = ListQuery::from_params(params)?;
        self.run_list(&query, req.base_url).await
    }

    async fn search(&self, req: &ScimRequest<'_>) -> Result<ScimResponse, ScimError> {
        let query = ListQuery::from_search_request(req.body)?;
        self.run_list(&query, req.base_url).await
    }

    async fn run_list(&self, query: &ListQuery, base_url: &str) -> Result<ScimResponse, ScimError> {
        let (users, total) = match &query.filter {
            Some(filter) => {
                let mut found = self
                    .users
                    .find(filter.key(), filter.value())
                    .await
                    .map_err(store_failure)?;
                found.sort_by(|a, b| a.id.cmp(&b.id));
                let total = u32::try_from(found.len()).unwrap_or(u32::MAX);
                let page: Vec<ScimUser> = found
                    .into_iter()
                    .skip(query.offset() as usize)
                    .take(query.count as usize)
                    .collect();
                (page, total)
            }
            None => self
                .users
                .list(query.offset(), query.count)
                .await
                .map_err(store_failure)?,
        };
        let resources = users
            .iter()
            .map(|u| query.projection.apply(&render(u, base_url)))
            .collect();
        Ok(ScimResponse::json(
            200,
            list_response(resources, total, query.start_index),
        ))
    }

    async fn replace(
        &self,
        req: &ScimRequest<'_>,
        id: &str,
        params: &[(String, String)],
    ) -> Result<ScimResponse, ScimError> {
        let projection = projection_from_params(params)?;
        let body = parse_json(req.body)?;
        let new_resource = resource::normalize_user(&body)?;
        self.write(req, id, &projection, |_| Ok(new_resource.clone()))
            .await
    }

    async fn patch(
        &self,
        req: &ScimRequest<'_>,
        id: &str,
        params: &[(String, String)],
    ) -> Result<ScimResponse, ScimError> {
        let projection = projection_from_params(params)?;
        let patch = PatchRequest::parse(req.body)?;
        self.write(req, id, &projection, |current| patch.apply(current))
            .await
    }

    /// The read-change-write cycle of PUT and PATCH, with the case opened or cancelled
    /// between change and write, and retried when the user changed in between.
    async fn write<F>(
        &self,
        req: &ScimRequest<'_>,
        id: &str,
        projection: &Projection,
        change: F,
    ) -> Result<ScimResponse, ScimError>
    where
        F: Fn(&Map<String, Value>) -> Result<Map<String, Value>, ScimError>,
    {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Some(Versioned {
                value: current,
                etag: store_tag,
            }) = self.users.get(id).await.map_err(store_failure)?
            else {
                return Err(user_not_found(id));
            };
            check_if_match(req.if_match, current.version)?;
            let before = as_map(&current.resource);
            let after = change(&before)?;
            let stated = resource::explicit_active(&after);
            let transition = ActiveChange::between(current.active, stated);
            let mut headers = Vec::new();
            if transition == ActiveChange::None && !current.active && stated == Some(false) {
                // A repeated deactivation (a redelivery): point at the case it opened.
                headers = self.existing_case_headers(&current).await;
            }
            if transition == ActiveChange::None && after == before {
                // Nothing changes: no write, no new version (RFC 7644 §3.5.2.1).
                return Ok(self
                    .user_response(200, &current, req.base_url, projection)
                    .with_headers(headers));
            }
            let user_name = resource::user_name(&after).unwrap_or_default().to_owned();
            if !user_name.eq_ignore_ascii_case(&current.user_name) {
                self.ensure_unique(&user_name, Some(id)).await?;
            }
            let mut next = current.clone();
            next.user_name = user_name;
            next.external_id = resource::external_id(&after).map(str::to_owned);
            next.resource = Value::Object(after);
            next.last_modified = self.intake.clock().now();
            next.version = current.version.saturating_add(1);
            match transition {
                ActiveChange::Deactivated => {
                    next.active = false;
                    next.deactivations = current.deactivations.saturating_add(1);
                    headers = self
                        .open_case(&next, Some(&current.resource), &req.verified)
                        .await?;
                }
                ActiveChange::Reactivated => {
                    next.active = true;
                    headers = self.cancel_case(&current).await?;
                }
                ActiveChange::None => {}
            }
            match self.users.replace(&next, &store_tag).await {
                Ok(stored) => {
                    return Ok(self
                        .user_response(200, &stored.value, req.base_url, projection)
                        .with_headers(headers));
                }
                Err(StoreError::PreconditionFailed { .. }) => continue,
                Err(e) => return Err(store_failure(e)),
            }
        }
        Err(ScimError::unavailable(
            "the user kept changing while offboard was writing it; retry the request",
        ))
    }

    async fn delete(&self, req: &ScimRequest<'_>, id: &str) -> Result<ScimResponse, ScimError> {
        let Some(Versioned { value: current, .. }) =
            self.users.get(id).await.map_err(store_failure)?
        else {
            return Err(user_not_found(id));
        };
        check_if_match(req.if_match, current.version)?;
        let mut headers = Vec::new();
        if current.active {
            // Deleting an active user deprovisions the person just as deactivating does.
            let mut gone = current.clone();
            gone.active = false;
            gone.deactivations = current.deactivations.saturating_add(1);
            if let Err(e) = termination::termination_facts(&gone, None) {
                // RFC 7644 §3.6: a DELETE removes the resource. One offboard cannot tie to an
                // account is deleted without a case, loudly (an error in the logs, for an
                // alert); deactivations by PATCH or PUT, the usual path, are refused instead.
                tracing::error!(
                    scim_id = %id,
                    user_name = %current.user_name,
                    reason = %e,
                    "SCIM user deleted WITHOUT a termination case: offboard cannot identify the leaver; offboard them by hand (POST /api/offboardings)"
                );
            } else {
                headers = self.open_case(&gone, None, &req.verified).await?;
            }
        }
        match self.users.delete(id).await {
            Ok(()) => {
                tracing::info!(scim_id = %id, "SCIM user deleted");
                Ok(ScimResponse::empty(204).with_headers(headers))
            }
            Err(StoreError::NotFound { .. }) => Err(user_not_found(id)),
            Err(e) => Err(store_failure(e)),
        }
    }

    /// Opens the case of `user`'s latest deactivation (already counted in `user`);
    /// `previous` is the resource before the change, whose identifiers stand in if the
    /// change removed them.
    async fn open_case(
        &self,
        user: &ScimUser,
        previous: Option<&Value>,
        verified: &Verified,
    ) -> Result<Vec<(String, String)>, ScimError> {
        let facts = match termination::termination_facts(user, previous) {
            Ok(facts) => facts,
            Err(e) => {
                // Refused, so the deactivation stays pending in the identity provider (which
                // shows the error and retries) instead of vanishing here without a case.
                tracing::warn!(
                    scim_id = %user.id,
                    reason = %e,
                    "SCIM deactivation refused: offboard cannot identify the leaver"
                );
                return Err(ScimError::invalid_value(format!(
                    "offboard cannot identify this leaver ({e}), so the deactivation was not \
                     accepted and nothing changed: map employeeNumber \
                     ({}:employeeNumber), a userName of the form name@domain, or a primary or \
                     work email in the identity provider, then deactivate again",
                    offboard_core::scim::ENTERPRISE_USER_SCHEMA
                )));
            }
        };
        let event = TerminationEvent::new(facts, verified, &self.policy).map_err(|e| {
            ScimError::invalid_value(format!(
                "{}:terminationDateTime: {e}",
                offboard_core::scim::OFFBOARD_USER_SCHEMA
            ))
        })?;
        let receipt = self.intake.open(event).await.map_err(intake_failure)?;
        tracing::info!(
            scim_id = %user.id,
            case_id = %receipt.case_id,
            status = %receipt.status,
            created = receipt.created,
            "SCIM deactivation opened a termination case"
        );
        Ok(case_headers(&receipt.case_id, receipt.status))
    }

    /// Cancels the case of `user`'s last deactivation, if it has not taken effect.
    async fn cancel_case(&self, user: &ScimUser) -> Result<Vec<(String, String)>, ScimError> {
        if user.deactivations == 0 {
            return Ok(Vec::new());
        }
        let case_id = termination::case_id(&user.id, user.deactivations);
        match self
            .intake
            .rescind(
                &case_id,
                "the identity provider reactivated the user over SCIM before the termination \
                 took effect",
            )
            .await
        {
            Ok(RescindOutcome::Cancelled(receipt)) => {
                tracing::info!(scim_id = %user.id, case_id = %case_id, "SCIM reactivation cancelled the case");
                Ok(case_headers(&receipt.case_id, receipt.status))
            }
            Ok(RescindOutcome::NoSuchCase(_)) => Ok(Vec::new()),
            Err(IntakeError::Transition(e)) => {
                tracing::warn!(
                    scim_id = %user.id,
                    case_id = %case_id,
                    reason = %e,
                    "SCIM reactivation after the termination took effect: the case goes on"
                );
                let status = self
                    .note_on_case(
                        &case_id,
                        "the identity provider reactivated the user over SCIM after the \
                         termination took effect; the case goes on — reinstate the person \
                         through onboarding",
                    )
                    .await;
                Ok(status
                    .map(|s| case_headers(&case_id, s))
                    .unwrap_or_default())
            }
            Err(e) => Err(intake_failure(e)),
        }
    }

    /// Adds a note to a case, best effort (the SCIM answer does not depend on it); returns
    /// the case's status.
    async fn note_on_case(&self, id: &CaseId, note: &str) -> Option<CaseStatus> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Versioned {
                value: mut case,
                etag,
            } = match self.intake.cases().get(id).await {
                Ok(Some(v)) => v,
                Ok(None) => return None,
                Err(e) => {
                    tracing::warn!(case_id = %id, error = %e, "could not read the case to add a note");
                    return None;
                }
            };
            case.note(note, self.intake.clock().now());
            match self.intake.cases().replace(&case, &etag).await {
                Ok(stored) => return Some(stored.value.status),
                Err(StoreError::PreconditionFailed { .. }) => continue,
                Err(e) => {
                    tracing::warn!(case_id = %id, error = %e, "could not add a note to the case");
                    return Some(case.status);
                }
            }
        }
        None
    }

    /// For a repeated deactivation: the case the user's last deactivation opened, if any.
    async fn existing_case_headers(&self, user: &ScimUser) -> Vec<(String, String)> {
        if user.deactivations == 0 {
            return Vec::new();
        }
        let id = termination::case_id(&user.id, user.deactivations);
        match self.intake.cases().get(&id).await {
            Ok(Some(v)) => case_headers(&id, v.value.status),
            _ => Vec::new(),
        }
    }
}

/// A discovery endpoint: GET only (405 otherwise), no filter (403, RFC 7644 §4).
fn discovery_get(
    method: &str,
    params: &[(String, String)],
    doc: impl FnOnce() -> Option<Value>,
) -> Result<ScimResponse, ScimError> {
    if method != "GET" {
        return Ok(ScimResponse::method_not_allowed("GET"));
    }
    if param(params, "filter").is_some() {
        return Err(ScimError::forbidden(
            "discovery endpoints do not support filter (RFC 7644 §4): GET them without one",
        ));
    }
    doc().map(|d| ScimResponse::json(200, d)).ok_or_else(|| {
        ScimError::not_found(
            "offboard publishes the resource type User and the schemas listed at /Schemas",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use chrono::{DateTime, Duration, Utc};
    use offboard_core::case::Case;
    use offboard_core::event::{Source, TerminationKind};
    use offboard_core::ports::{
        CaseQuery, CaseStore, Claim, Created, ETag, MessageQueue, Page, QueueError, ReceivedMessage,
    };
    use offboard_core::scim::{ENTERPRISE_USER_SCHEMA, OFFBOARD_USER_SCHEMA, USER_SCHEMA};
    use offboard_core::signature::verify_bearer;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::clock::{Clock, ManualClock};

    const BASE: &str = "https://offboard.example/api/scim/v2";

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An in-memory user store with the port's semantics: case-insensitive unique
    /// userName, ETag-checked replace.
    #[derive(Default)]
    struct MemUsers {
        users: Mutex<HashMap<String, (ScimUser, u64)>>,
        down: AtomicBool,
        conflicts_to_inject: Mutex<u32>,
    }

    impl MemUsers {
        fn check(&self) -> Result<(), StoreError> {
            if self.down.load(Ordering::SeqCst) {
                Err(StoreError::Unavailable {
                    detail: "cosmos: 503 at https://internal.example/secret-account".into(),
                })
            } else {
                Ok(())
            }
        }

        fn taken(map: &HashMap<String, (ScimUser, u64)>, user: &ScimUser) -> bool {
            map.values()
                .any(|(u, _)| u.id != user.id && u.user_name.eq_ignore_ascii_case(&user.user_name))
        }
    }

    #[async_trait]
    impl ScimUserStore for MemUsers {
        async fn create(&self, user: &ScimUser) -> Result<Versioned<ScimUser>, StoreError> {
            self.check()?;
            let mut map = lock(&self.users);
            if Self::taken(&map, user) || map.contains_key(&user.id) {
                return Err(StoreError::Conflict {
                    what: "userName".into(),
                });
            }
            map.insert(user.id.clone(), (user.clone(), 1));
            Ok(Versioned {
                value: user.clone(),
                etag: ETag("1".into()),
            })
        }

        async fn get(&self, id: &str) -> Result<Option<Versioned<ScimUser>>, StoreError> {
            self.check()?;
            Ok(lock(&self.users).get(id).map(|(u, v)| Versioned {
                value: u.clone(),
                etag: ETag(v.to_string()),
            }))
        }

        async fn replace(
            &self,
            user: &ScimUser,
            etag: &ETag,
        ) -> Result<Versioned<ScimUser>, StoreError> {
            self.check()?;
            {
                let mut inject = lock(&self.conflicts_to_inject);
                if *inject > 0 {
                    *inject -= 1;
                    return Err(StoreError::PreconditionFailed {
                        what: "user".into(),
                    });
                }
            }
            let mut map = lock(&self.users);
            let Some((_, v)) = map.get(&user.id) else {
                return Err(StoreError::NotFound {
                    what: "user".into(),
                });
            };
            if v.to_string() != etag.0 {
                return Err(StoreError::PreconditionFailed {
                    what: "user".into(),
                });
            }
            if Self::taken(&map, user) {
                return Err(StoreError::Conflict {
                    what: "userName".into(),
                });
            }
            let next = v + 1;
            map.insert(user.id.clone(), (user.clone(), next));
            Ok(Versioned {
                value: user.clone(),
                etag: ETag(next.to_string()),
            })
        }

        async fn delete(&self, id: &str) -> Result<(), StoreError> {
            self.check()?;
            lock(&self.users)
                .remove(id)
                .map(|_| ())
                .ok_or(StoreError::NotFound {
                    what: "user".into(),
                })
        }

        async fn find(&self, attribute: ScimKey, value: &str) -> Result<Vec<ScimUser>, StoreError> {
            self.check()?;
            Ok(lock(&self.users)
                .values()
                .filter(|(u, _)| match attribute {
                    ScimKey::UserName => u.user_name.eq_ignore_ascii_case(value),
                    ScimKey::ExternalId => u.external_id.as_deref() == Some(value),
                })
                .map(|(u, _)| u.clone())
                .collect())
        }

        async fn list(&self, start: u32, count: u32) -> Result<(Vec<ScimUser>, u32), StoreError> {
            self.check()?;
            let map = lock(&self.users);
            let mut all: Vec<ScimUser> = map.values().map(|(u, _)| u.clone()).collect();
            all.sort_by(|a, b| a.id.cmp(&b.id));
            let total = all.len() as u32;
            Ok((
                all.into_iter()
                    .skip(start as usize)
                    .take(count as usize)
                    .collect(),
                total,
            ))
        }
    }

    #[derive(Default)]
    struct MemCases {
        cases: Mutex<HashMap<CaseId, (Case, u64)>>,
        claims: Mutex<HashMap<String, (Claim, u64)>>,
    }

    #[async_trait]
    impl CaseStore for MemCases {
        async fn create_claim(&self, claim: &Claim) -> Result<Created<Claim>, StoreError> {
            let mut map = lock(&self.claims);
            if let Some((c, v)) = map.get(&claim.key) {
                return Ok(Created::Existing(Versioned {
                    value: c.clone(),
                    etag: ETag(v.to_string()),
                }));
            }
            map.insert(claim.key.clone(), (claim.clone(), 1));
            Ok(Created::New(Versioned {
                value: claim.clone(),
                etag: ETag("1".into()),
            }))
        }

        async fn get_claim(&self, key: &str) -> Result<Option<Versioned<Claim>>, StoreError> {
            Ok(lock(&self.claims).get(key).map(|(c, v)| Versioned {
                value: c.clone(),
                etag: ETag(v.to_string()),
            }))
        }

        async fn replace_claim(
            &self,
            claim: &Claim,
            etag: &ETag,
        ) -> Result<Versioned<Claim>, StoreError> {
            let mut map = lock(&self.claims);
            let next = match map.get(&claim.key) {
                Some((_, v)) if v.to_string() == etag.0 => v + 1,
                _ => {
                    return Err(StoreError::PreconditionFailed {
                        what: "claim".into(),
                    });
                }
            };
            map.insert(claim.key.clone(), (claim.clone(), next));
            Ok(Versioned {
                value: claim.clone(),
                etag: ETag(next.to_string()),
            })
        }

        async fn create(&self, case: &Case) -> Result<Created<Case>, StoreError> {
            let mut map = lock(&self.cases);
            if let Some((c, v)) = map.get(&case.id) {
                return Ok(Created::Existing(Versioned {
                    value: c.clone(),
                    etag: ETag(v.to_string()),
                }));
            }
            map.insert(case.id.clone(), (case.clone(), 1));
            Ok(Created::New(Versioned {
                value: case.clone(),
                etag: ETag("1".into()),
            }))
        }

        async fn get(&self, id: &CaseId) -> Result<Option<Versioned<Case>>, StoreError> {
            Ok(lock(&self.cases).get(id).map(|(c, v)| Versioned {
                value: c.clone(),
                etag: ETag(v.to_string()),
            }))
        }

        async fn replace(&self, case: &Case, etag: &ETag) -> Result<Versioned<Case>, StoreError> {
            let mut map = lock(&self.cases);
            let Some((_, v)) = map.get(&case.id) else {
                return Err(StoreError::NotFound {
                    what: "case".into(),
                });
            };
            if v.to_string() != etag.0 {
                return Err(StoreError::PreconditionFailed {
                    what: "case".into(),
                });
            }
            let next = v + 1;
            map.insert(case.id.clone(), (case.clone(), next));
            Ok(Versioned {
                value: case.clone(),
                etag: ETag(next.to_string()),
            })
        }

        async fn list(&self, _query: &CaseQuery) -> Result<Page<Case>, StoreError> {
            Ok(Page {
                items: lock(&self.cases).values().map(|(c, _)| c.clone()).collect(),
                continuation: None,
            })
        }

        async fn due_scheduled(
            &self,
            now: DateTime<Utc>,
            _limit: u32,
        ) -> Result<Vec<CaseId>, StoreError> {
            Ok(lock(&self.cases)
                .values()
                .filter(|(c, _)| c.is_due(now))
                .map(|(c, _)| c.id.clone())
                .collect())
        }

        async fn open_for_subject(
            &self,
            source: Source,
            subject_id: &str,
        ) -> Result<Vec<CaseId>, StoreError> {
            Ok(lock(&self.cases)
                .values()
                .filter(|(c, _)| {
                    c.event.source == source
                        && c.event.source_subject_id.as_deref() == Some(subject_id)
                        && !c.status.is_final()
                })
                .map(|(c, _)| c.id.clone())
                .collect())
        }
    }

    #[derive(Default)]
    struct MemQueue {
        sent: Mutex<Vec<(String, String)>>,
        down: AtomicBool,
    }

    #[async_trait]
    impl MessageQueue for MemQueue {
        async fn ensure_queue(&self, _queue: &str) -> Result<(), QueueError> {
            Ok(())
        }
        async fn send(
            &self,
            queue: &str,
            text: &str,
            _delay: std::time::Duration,
        ) -> Result<String, QueueError> {
            if self.down.load(Ordering::SeqCst) {
                return Err(QueueError::Unavailable {
                    detail: "queue down".into(),
                });
            }
            let mut sent = lock(&self.sent);
            sent.push((queue.to_owned(), text.to_owned()));
            Ok(sent.len().to_string())
        }
        async fn receive(
            &self,
            _queue: &str,
            _max: u32,
            _visibility: std::time::Duration,
        ) -> Result<Vec<ReceivedMessage>, QueueError> {
            Ok(Vec::new())
        }
        async fn delete(&self, _q: &str, _id: &str, _pop: &str) -> Result<(), QueueError> {
            Ok(())
        }
        async fn release(
            &self,
            _q: &str,
            id: &str,
            _pop: &str,
            _visibility: std::time::Duration,
        ) -> Result<String, QueueError> {
            Ok(id.to_owned())
        }
        async fn approximate_len(&self, _queue: &str) -> Result<u64, QueueError> {
            Ok(lock(&self.sent).len() as u64)
        }
    }

    struct Harness {
        _dir: tempfile::TempDir,
        service: ScimService,
        users: Arc<MemUsers>,
        cases: Arc<MemCases>,
        queue: Arc<MemQueue>,
        clock: Arc<ManualClock>,
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn harness() -> Harness {
        let users = Arc::new(MemUsers::default());
        let cases = Arc::new(MemCases::default());
        let queue = Arc::new(MemQueue::default());
        let clock = Arc::new(ManualClock::new(t("2026-11-26T10:00:00Z")));
        let dir = tempfile::tempdir().unwrap();
        let evidence = crate::evidence::Evidence::new(
            Arc::new(offboard_embedded::FileEvidenceStore::open(dir.path()).unwrap()),
            Arc::new(offboard_embedded::Embedded::in_memory().unwrap()),
            "test",
            clock.clone(),
        );
        let intake = Intake::new(cases.clone(), queue.clone(), evidence, clock.clone());
        Harness {
            _dir: dir,
            service: ScimService::new(users.clone(), intake, EffectivePolicy::default()),
            users,
            cases,
            queue,
            clock,
        }
    }

    impl Harness {
        async fn call(&self, method: &str, path: &str, query: &str, body: Value) -> ScimResponse {
            let bytes = if body.is_null() {
                Vec::new()
            } else {
                serde_json::to_vec(&body).unwrap()
            };
            self.raw(method, path, query, &bytes, None, None).await
        }

        async fn raw(
            &self,
            method: &str,
            path: &str,
            query: &str,
            body: &[u8],
            if_match: Option<&str>,
            if_none_match: Option<&str>,
        ) -> ScimResponse {
            let verified =
                verify_bearer("tok", Some("Bearer tok"), body, self.clock.now()).unwrap();
            self.service
                .handle_request(ScimRequest {
                    method,
                    path,
                    query,
                    body,
                    base_url: BASE,
                    verified,
                    if_match,
                    if_none_match,
                })
                .await
        }

        async fn create(&self, body: Value) -> String {
            let r = self.call("POST", "/Users", "", body).await;
            assert_eq!(r.status, 201, "{:?}", r.body);
            r.body.unwrap()["id"].as_str().unwrap().to_owned()
        }

        async fn patch(&self, id: &str, ops: Value) -> ScimResponse {
            self.call(
                "PATCH",
                &format!("/Users/{id}"),
                "",
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}),
            )
            .await
        }

        fn case(&self, id: &CaseId) -> Option<Case> {
            lock(&self.cases.cases).get(id).map(|(c, _)| c.clone())
        }

        fn case_count(&self) -> usize {
            lock(&self.cases.cases).len()
        }

        fn plan_messages(&self) -> usize {
            lock(&self.queue.sent)
                .iter()
                .filter(|(q, _)| q == "plan")
                .count()
        }
    }

    fn ada() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "userName": "ada@contoso.com",
            "externalId": "e-1042",
            "active": true,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@contoso.com", "type": "work", "primary": true}],
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": "1042"},
        })
    }

    fn case_id_of(r: &ScimResponse) -> CaseId {
        CaseId::parse(r.header(CASE_ID_HEADER).expect("a case id header")).unwrap()
    }

    #[tokio::test]
    async fn creates_reads_and_lists_users() {
        let h = harness();
        let r = h.call("POST", "/Users", "", ada()).await;
        assert_eq!(r.status, 201);
        let body = r.body.clone().unwrap();
        let id = body["id"].as_str().unwrap();
        let loc = format!("{BASE}/Users/{id}");
        assert_eq!(r.header("Location"), Some(loc.as_str()));
        assert_eq!(r.header("Content-Location"), Some(loc.as_str()));
        assert_eq!(r.header("ETag"), Some("W/\"1\""));
        assert_eq!(r.header("content-type"), Some("application/scim+json"));
        assert_eq!(body["meta"]["resourceType"], "User");
        assert_eq!(body["meta"]["version"], "W/\"1\"");
        assert_eq!(body["meta"]["location"], loc);
        assert_eq!(body["meta"]["created"], "2026-11-26T10:00:00.000Z");
        assert_eq!(
            body["schemas"],
            json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA])
        );

        let got = h
            .call("GET", &format!("/Users/{id}"), "", Value::Null)
            .await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body, r.body);

        let found = h
            .call(
                "GET",
                "/Users",
                "filter=userName+eq+%22ADA%40contoso.com%22",
                Value::Null,
            )
            .await;
        assert_eq!(found.status, 200);
        let found = found.body.unwrap();
        assert_eq!(found["totalResults"], 1);
        assert_eq!(found["Resources"][0]["id"], id);
        let by_ext = h
            .call(
                "GET",
                "/Users",
                "filter=externalId%20eq%20%22E-1042%22",
                Value::Null,
            )
            .await
            .body
            .unwrap();
        assert_eq!(by_ext["totalResults"], 0, "externalId is caseExact");
        let none = h
            .call(
                "GET",
                "/Users",
                "filter=userName eq \"nobody@contoso.com\"",
                Value::Null,
            )
            .await
            .body
            .unwrap();
        assert_eq!(none["totalResults"], 0);
        assert_eq!(none["Resources"], json!([]));

        let bad = h
            .call("GET", "/Users", "filter=displayName pr", Value::Null)
            .await;
        assert_eq!(bad.status, 400);
        assert_eq!(bad.body.unwrap()["scimType"], "invalidFilter");
        let missing = h.call("GET", "/Users/nope", "", Value::Null).await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.body.unwrap()["status"], "404");
    }

    #[tokio::test]
    async fn pages_and_projects_lists() {
        let h = harness();
        for i in 0..5 {
            h.create(
                json!({"userName": format!("u{i}@contoso.com"), "displayName": format!("U{i}")}),
            )
            .await;
        }
        let page = h
            .call(
                "GET",
                "/Users",
                "startIndex=2&count=2&attributes=userName",
                Value::Null,
            )
            .await
            .body
            .unwrap();
        assert_eq!(page["totalResults"], 5);
        assert_eq!(page["startIndex"], 2);
        assert_eq!(page["itemsPerPage"], 2);
        let first = &page["Resources"][0];
        assert!(first.get("userName").is_some() && first.get("id").is_some());
        assert!(first.get("displayName").is_none() && first.get("meta").is_none());
        let counted = h
            .call("GET", "/Users", "count=0", Value::Null)
            .await
            .body
            .unwrap();
        assert_eq!(
            (
                counted["totalResults"].clone(),
                counted["itemsPerPage"].clone()
            ),
            (json!(5), json!(0))
        );

        for path in ["/Users/.search", "/.search"] {
            let r = h
                .call(
                    "POST",
                    path,
                    "",
                    json!({
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                        "filter": "userName eq \"u3@contoso.com\"",
                        "excludedAttributes": ["displayName"],
                    }),
                )
                .await;
            assert_eq!(r.status, 200, "{path}");
            let body = r.body.unwrap();
            assert_eq!(body["totalResults"], 1);
            assert!(body["Resources"][0].get("displayName").is_none());
            assert_eq!(body["Resources"][0]["userName"], "u3@contoso.com");
        }
    }

    #[tokio::test]
    async fn refuses_duplicates_and_bad_bodies() {
        let h = harness();
        h.create(ada()).await;
        let dup = h
            .call("POST", "/Users", "", json!({"userName": "ADA@contoso.com"}))
            .await;
        assert_eq!(dup.status, 409);
        assert_eq!(dup.body.unwrap()["scimType"], "uniqueness");
        let other = h.create(json!({"userName": "grace@contoso.com"})).await;
        let rename = h
            .patch(
                &other,
                json!([{"op": "replace", "path": "userName", "value": "Ada@Contoso.com"}]),
            )
            .await;
        assert_eq!(rename.status, 409);
        let no_name = h
            .call("POST", "/Users", "", json!({"displayName": "x"}))
            .await;
        assert_eq!(no_name.status, 400);
        assert_eq!(no_name.body.unwrap()["scimType"], "invalidValue");
        let garbage = h.raw("POST", "/Users", "", b"{not json", None, None).await;
        assert_eq!(garbage.status, 400);
        assert_eq!(garbage.body.unwrap()["scimType"], "invalidSyntax");
        let empty = h
            .raw("PUT", &format!("/Users/{other}"), "", b"", None, None)
            .await;
        assert_eq!(empty.status, 400);
    }

    #[tokio::test]
    async fn each_patch_deactivation_form_opens_one_case() {
        let forms = [
            json!([{"op": "replace", "path": "active", "value": false}]),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            json!([{"op": "replace", "value": {"active": false}}]),
            json!([{"op": "add", "value": {"active": false}}]),
        ];
        for form in forms {
            let h = harness();
            let id = h.create(ada()).await;
            let r = h.patch(&id, form.clone()).await;
            assert_eq!(r.status, 200, "{form}");
            assert_eq!(r.body.as_ref().unwrap()["active"], false);
            let case_id = case_id_of(&r);
            assert_eq!(case_id, termination::case_id(&id, 1));
            assert_eq!(r.header(CASE_STATUS_HEADER), Some("received"));
            let case = h.case(&case_id).expect("the case is stored");
            assert_eq!(case.status, CaseStatus::Received);
            assert_eq!(case.event.source, Source::Scim);
            assert_eq!(case.event.source_event_id, format!("{id}/1"));
            assert_eq!(case.event.source_subject_id.as_deref(), Some(id.as_str()));
            assert_eq!(case.event.employee.employee_id.as_deref(), Some("1042"));
            assert_eq!(
                case.event.employee.user_principal_name.as_deref(),
                Some("ada@contoso.com")
            );
            assert_eq!(case.event.kind, TerminationKind::Unspecified);
            assert_eq!(h.plan_messages(), 1, "a due case goes to planning");

            // The identity provider sends it again: same case, nothing new.
            let again = h.patch(&id, form.clone()).await;
            assert_eq!(again.status, 200);
            assert_eq!(case_id_of(&again), case_id);
            assert_eq!(h.case_count(), 1);
            assert_eq!(h.plan_messages(), 1);
            assert_eq!(
                again.header("ETag"),
                r.header("ETag"),
                "an unchanged resource keeps its version"
            );
        }
    }

    #[tokio::test]
    async fn a_future_termination_is_scheduled_and_cancelled_by_reactivation() {
        let h = harness();
        let mut body = ada();
        body[OFFBOARD_USER_SCHEMA] = json!({"terminationDateTime": "2026-11-30T17:00:00-05:00", "terminationKind": "voluntary"});
        let id = h.create(body).await;
        let r = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert_eq!(r.header(CASE_STATUS_HEADER), Some("scheduled"));
        let first = case_id_of(&r);
        let case = h.case(&first).unwrap();
        assert_eq!(case.event.effective_at, t("2026-11-30T22:00:00Z"));
        assert_eq!(case.event.kind, TerminationKind::Voluntary);
        assert_eq!(h.plan_messages(), 0, "a scheduled case waits");

        let back = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "active", "value": true}]),
            )
            .await;
        assert_eq!(back.status, 200);
        assert_eq!(case_id_of(&back), first);
        assert_eq!(back.header(CASE_STATUS_HEADER), Some("cancelled"));
        assert_eq!(h.case(&first).unwrap().status, CaseStatus::Cancelled);

        // A second deactivation is a new termination.
        let again = h
            .call(
                "PUT",
                &format!("/Users/{id}"),
                "",
                json!({"userName": "ada@contoso.com", "active": false}),
            )
            .await;
        assert_eq!(again.status, 200);
        let second = case_id_of(&again);
        assert_ne!(second, first);
        assert_eq!(second, termination::case_id(&id, 2));
        assert_eq!(again.header(CASE_STATUS_HEADER), Some("received"));
    }

    #[tokio::test]
    async fn a_reactivation_after_the_effective_time_is_accepted_and_noted() {
        let h = harness();
        let id = h.create(ada()).await;
        let r = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        let case_id = case_id_of(&r);
        h.clock.set(t("2026-11-26T11:00:00Z"));
        let back = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "active", "value": true}]),
            )
            .await;
        assert_eq!(back.status, 200);
        assert_eq!(back.body.as_ref().unwrap()["active"], true);
        assert_eq!(back.header(CASE_STATUS_HEADER), Some("received"));
        let case = h.case(&case_id).unwrap();
        assert_eq!(case.status, CaseStatus::Received);
        assert!(
            case.history
                .last()
                .unwrap()
                .note
                .contains("after the termination took effect")
        );
    }

    #[tokio::test]
    async fn put_and_delete_deactivate_too() {
        let h = harness();
        let id = h.create(ada()).await;
        let mut inactive = ada();
        inactive["active"] = json!(false);
        let r = h.call("PUT", &format!("/Users/{id}"), "", inactive).await;
        assert_eq!(r.status, 200);
        assert_eq!(case_id_of(&r), termination::case_id(&id, 1));
        // Deleting the inactive user opens nothing new.
        let del = h
            .call("DELETE", &format!("/Users/{id}"), "", Value::Null)
            .await;
        assert_eq!(del.status, 204);
        assert!(del.header(CASE_ID_HEADER).is_none());
        assert_eq!(h.case_count(), 1);
        let gone = h
            .call("GET", &format!("/Users/{id}"), "", Value::Null)
            .await;
        assert_eq!(gone.status, 404);

        let other = h.create(json!({"userName": "grace@contoso.com"})).await;
        let del = h
            .call("DELETE", &format!("/Users/{other}"), "", Value::Null)
            .await;
        assert_eq!(del.status, 204);
        assert!(del.body.is_none());
        let case = h.case(&case_id_of(&del)).unwrap();
        assert_eq!(case.event.source_event_id, format!("{other}/1"));
        assert_eq!(h.case_count(), 2);
    }

    #[tokio::test]
    async fn a_put_that_drops_the_identifiers_still_names_the_leaver() {
        let h = harness();
        let id = h.create(ada()).await;
        let r = h
            .call(
                "PUT",
                &format!("/Users/{id}"),
                "",
                json!({"userName": "alovelace", "active": false}),
            )
            .await;
        assert_eq!(r.status, 200);
        let case = h.case(&case_id_of(&r)).unwrap();
        assert_eq!(case.event.employee.employee_id.as_deref(), Some("1042"));
    }

    #[tokio::test]
    async fn creating_an_inactive_user_opens_no_case() {
        let h = harness();
        let id = h
            .create(json!({"userName": "prehire@contoso.com", "active": false}))
            .await;
        let r = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert!(r.header(CASE_ID_HEADER).is_none());
        assert_eq!(h.case_count(), 0);
    }

    #[tokio::test]
    async fn a_deactivation_offboard_cannot_identify_is_refused_and_changes_nothing() {
        let h = harness();
        let id = h
            .create(json!({"userName": "0b6f2d6e-8f7a-4c4e-9d55"}))
            .await;
        let r = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert_eq!(r.status, 400);
        let body = r.body.as_ref().unwrap();
        assert_eq!(body["scimType"], "invalidValue");
        assert!(
            body["detail"].as_str().unwrap().contains("employeeNumber"),
            "{body}"
        );
        assert!(r.header(CASE_ID_HEADER).is_none());
        assert_eq!(h.case_count(), 0);
        // The user is still active: the identity provider's deactivation is still pending.
        let got = h
            .call("GET", &format!("/Users/{id}"), "", Value::Null)
            .await;
        assert_eq!(got.status, 200);
        assert_ne!(got.body.as_ref().unwrap()["active"], false);
        // Once the identity provider sends an identifier, the deactivation goes through.
        let r = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "userName", "value": "lee@contoso.com"},
                       {"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(r.header(CASE_ID_HEADER).is_some());
        assert_eq!(h.case_count(), 1);
    }

    #[tokio::test]
    async fn a_failed_enqueue_changes_nothing_and_the_retry_lands_on_the_same_case() {
        let h = harness();
        let id = h.create(ada()).await;
        h.queue.down.store(true, Ordering::SeqCst);
        let r = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert_eq!(r.status, 503);
        assert_eq!(r.header("Retry-After"), Some("5"));
        let body = r.body.unwrap();
        assert_eq!(body["status"], "503");
        assert!(!body["detail"].as_str().unwrap().contains("queue down"));
        let still = h
            .call("GET", &format!("/Users/{id}"), "", Value::Null)
            .await;
        assert_eq!(
            still.body.unwrap()["active"],
            true,
            "the user was not stored inactive"
        );

        h.queue.down.store(false, Ordering::SeqCst);
        let retry = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert_eq!(retry.status, 200);
        assert_eq!(case_id_of(&retry), termination::case_id(&id, 1));
        assert_eq!(h.case_count(), 1);
        assert_eq!(h.plan_messages(), 1);
    }

    #[tokio::test]
    async fn store_failures_answer_503_without_internals() {
        let h = harness();
        let id = h.create(ada()).await;
        h.users.down.store(true, Ordering::SeqCst);
        for (method, path) in [("GET", format!("/Users/{id}")), ("GET", "/Users".into())] {
            let r = h.call(method, &path, "", Value::Null).await;
            assert_eq!(r.status, 503);
            let text = r.body.unwrap().to_string();
            assert!(
                !text.contains("internal.example") && !text.contains("cosmos"),
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn a_concurrent_change_is_retried() {
        let h = harness();
        let id = h.create(ada()).await;
        *lock(&h.users.conflicts_to_inject) = 2;
        let r = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(h.case_count(), 1);
        assert_eq!(r.header("ETag"), Some("W/\"2\""));
        *lock(&h.users.conflicts_to_inject) = 10;
        let r = h
            .patch(
                &id,
                json!([{"op": "replace", "path": "displayName", "value": "A"}]),
            )
            .await;
        assert_eq!(r.status, 503);
    }

    #[tokio::test]
    async fn patch_is_atomic() {
        let h = harness();
        let id = h.create(ada()).await;
        let r = h
            .patch(
                &id,
                json!([
                    {"op": "replace", "path": "active", "value": false},
                    {"op": "replace", "path": "id", "value": "mine"},
                ]),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body.unwrap()["scimType"], "mutability");
        assert_eq!(h.case_count(), 0);
        let got = h
            .call("GET", &format!("/Users/{id}"), "", Value::Null)
            .await;
        assert_eq!(got.header("ETag"), Some("W/\"1\""));
        assert_eq!(got.body.unwrap()["active"], true);
    }

    #[tokio::test]
    async fn entra_style_patch_updates_the_work_email() {
        let h = harness();
        let id = h.create(ada()).await;
        let r = h
            .patch(&id, json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada@fabrikam.com"},
                {"op": "Replace", "path": "name.familyName", "value": "King"},
                {"op": "Add", "path": "title", "value": "Countess"},
            ]))
            .await;
        assert_eq!(r.status, 200);
        let body = r.body.unwrap();
        assert_eq!(body["emails"][0]["value"], "ada@fabrikam.com");
        assert_eq!(body["name"]["familyName"], "King");
        assert!(body.get("title").is_none());
        assert_eq!(body["meta"]["version"], "W/\"2\"");
        assert_eq!(body["meta"]["lastModified"], "2026-11-26T10:00:00.000Z");
    }

    #[tokio::test]
    async fn conditional_requests_follow_etags() {
        let h = harness();
        let id = h.create(ada()).await;
        let path = format!("/Users/{id}");
        let not_modified = h.raw("GET", &path, "", b"", None, Some("W/\"1\"")).await;
        assert_eq!(not_modified.status, 304);
        assert!(not_modified.body.is_none());
        let body = br#"{"Operations":[{"op":"replace","path":"displayName","value":"A"}]}"#;
        let stale = h.raw("PATCH", &path, "", body, Some("W/\"7\""), None).await;
        assert_eq!(stale.status, 412);
        let fresh = h.raw("PATCH", &path, "", body, Some("W/\"1\""), None).await;
        assert_eq!(fresh.status, 200);
        let any = h.raw("DELETE", &path, "", b"", Some("*"), None).await;
        assert_eq!(any.status, 204);
    }

    #[tokio::test]
    async fn discovery_endpoints_answer_get_only() {
        let h = harness();
        for path in [
            "/ServiceProviderConfig",
            "/ResourceTypes",
            "/ResourceTypes/User",
            "/Schemas",
            &format!("/Schemas/{USER_SCHEMA}"),
            "/Schemas/urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Aextension%3Aoffboard%3A2.0%3AUser",
        ] {
            let r = h.call("GET", path, "", Value::Null).await;
            assert_eq!(r.status, 200, "{path}");
            for method in ["POST", "PUT", "PATCH", "DELETE"] {
                let r = h.call(method, path, "", Value::Null).await;
                assert_eq!(r.status, 405, "{method} {path}");
                assert_eq!(r.header("Allow"), Some("GET"));
                assert_eq!(r.body.unwrap()["status"], "405");
            }
        }
        let spc = h
            .call("GET", "/ServiceProviderConfig", "", Value::Null)
            .await
            .body
            .unwrap();
        assert_eq!(spc["patch"]["supported"], true);
        assert_eq!(
            h.call("GET", "/Schemas", "filter=id eq \"x\"", Value::Null)
                .await
                .status,
            403
        );
        for missing in [
            "/ResourceTypes/Group",
            "/Schemas/urn:nope",
            "/Groups",
            "/",
            "/Users/a/b",
        ] {
            let r = h.call("GET", missing, "", Value::Null).await;
            assert_eq!(r.status, 404, "{missing}");
            assert_eq!(
                r.body.unwrap()["schemas"][0],
                offboard_core::scim::ERROR_SCHEMA
            );
        }
        assert_eq!(h.call("GET", "/Me", "", Value::Null).await.status, 501);
        assert_eq!(h.call("POST", "/Bulk", "", json!({})).await.status, 501);
        assert_eq!(h.call("GET", "/.search", "", Value::Null).await.status, 405);
        assert_eq!(h.call("PUT", "/Users", "", Value::Null).await.status, 405);
    }

    #[tokio::test]
    async fn the_handle_shape_answers_like_handle_request() {
        let h = harness();
        let verified = verify_bearer("tok", Some("Bearer tok"), b"", h.clock.now()).unwrap();
        let r = h
            .service
            .handle("GET", "/ResourceTypes/User", "", b"", BASE, verified)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body.unwrap()["endpoint"], "/Users");
    }

    #[tokio::test]
    async fn the_case_records_the_scim_request_digest() {
        let h = harness();
        let id = h.create(ada()).await;
        let body = br#"{"Operations":[{"op":"replace","path":"active","value":false}]}"#;
        let r = h
            .raw("PATCH", &format!("/Users/{id}"), "", body, None, None)
            .await;
        let case = h.case(&case_id_of(&r)).unwrap();
        assert_eq!(
            case.event.body_sha256,
            offboard_core::ids::Sha256Digest::of(body)
        );
        assert_eq!(
            case.event.authenticated_by,
            offboard_core::signature::Scheme::ScimBearer
        );
        assert!(case.event.received_at <= h.clock.now() + Duration::seconds(1));
    }
}
