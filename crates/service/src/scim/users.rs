//! The SCIM protocol over the user store: create, read, list and search, PUT and PATCH
//! through one read-change-write cycle (with the case opened or cancelled between change
//! and write), and DELETE.

use serde_json::{Map, Value};
use uuid::Uuid;

use offboard_core::ports::{ScimKey, StoreError, Versioned};
use offboard_core::scim::list::{ListQuery, list_response, projection_from_params};
use offboard_core::scim::resource::{self, etag, location, render};
use offboard_core::scim::termination::{self, ActiveChange};
use offboard_core::scim::{PatchRequest, Projection, ScimError, ScimUser};

use super::{
    MAX_WRITE_ATTEMPTS, ScimRequest, ScimResponse, ScimService, as_map, check_if_match, parse_json,
    store_failure, tag_matches, user_not_found,
};

impl ScimService {
    pub(super) fn user_response(
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

    pub(super) async fn ensure_unique(
        &self,
        user_name: &str,
        except: Option<&str>,
    ) -> Result<(), ScimError> {
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

    pub(super) async fn create(
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

    pub(super) async fn get(
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

    pub(super) async fn list(
        &self,
        req: &ScimRequest<'_>,
        params: &[(String, String)],
    ) -> Result<ScimResponse, ScimError> {
        let query = ListQuery::from_params(params)?;
        self.run_list(&query, req.base_url).await
    }

    pub(super) async fn search(&self, req: &ScimRequest<'_>) -> Result<ScimResponse, ScimError> {
        let query = ListQuery::from_search_request(req.body)?;
        self.run_list(&query, req.base_url).await
    }

    pub(super) async fn run_list(
        &self,
        query: &ListQuery,
        base_url: &str,
    ) -> Result<ScimResponse, ScimError> {
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

    pub(super) async fn replace(
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

    pub(super) async fn patch(
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
    pub(super) async fn write<F>(
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

    pub(super) async fn delete(
        &self,
        req: &ScimRequest<'_>,
        id: &str,
    ) -> Result<ScimResponse, ScimError> {
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
}
