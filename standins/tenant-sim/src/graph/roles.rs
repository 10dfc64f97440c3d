//! Directory roles: role assignments, reading and removing them.

use super::*;

pub(super) fn directory_role_object(d: &RoleDefinition) -> Map<String, Value> {
    let v = json!({
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": format!("role-{}", d.id),
        "deletedDateTime": null,
        "description": format!("Members of this role are {}s.", d.display_name),
        "displayName": d.display_name,
        "roleTemplateId": d.id,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

// `resourceScope` and `isPrivileged` are beta-only; v1.0 answers without them.
pub(super) fn role_assignment_json(t: &Tenant, a: &RoleAssignment, q: &Query) -> Value {
    let mut v = json!({
        "id": a.id,
        "principalId": a.principal_id,
        "directoryScopeId": a.directory_scope_id,
        "roleDefinitionId": a.role_definition_id,
    });
    if let Some(o) = v.as_object_mut() {
        if q.expand.iter().any(|e| e == "roleDefinition") {
            let d = t
                .role_definitions
                .iter()
                .find(|d| d.id == a.role_definition_id);
            o.insert(
                "roleDefinition".to_owned(),
                json!({
                    "id": a.role_definition_id,
                    "displayName": d.map(|d| d.display_name.clone()),
                    "templateId": a.role_definition_id,
                    "isBuiltIn": true,
                    "isEnabled": true,
                }),
            );
        }
        if q.expand.iter().any(|e| e == "principal") {
            let p = t.user(&a.principal_id).map(|u| {
                json!({"@odata.type": "#microsoft.graph.user", "id": u.id, "accountEnabled": u.account_enabled,
                       "displayName": u.display_name, "imAddresses": u.mail.iter().collect::<Vec<_>>(),
                       "mail": u.mail, "mailNickname": u.mail_nickname, "userType": u.user_type})
            });
            o.insert(
                "principal".to_owned(),
                p.unwrap_or_else(|| json!({"@odata.type": "#microsoft.graph.servicePrincipal", "id": a.principal_id})),
            );
        }
    }
    v
}

pub(super) fn role_assignments(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ROLE_READ)?;
    if let Some(f) = &q.filter {
        for p in f.properties() {
            if !["principalId", "roleDefinitionId", "directoryScopeId", "id"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&p))
            {
                return Err(ApiError::new(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported Query.",
                ));
            }
        }
    }
    let items: Vec<Value> = t
        .role_assignments
        .iter()
        .map(|a| role_assignment_json(t, a, q))
        .filter(|v| {
            q.filter
                .as_ref()
                .is_none_or(|f| v.as_object().is_some_and(|o| f.matches(o)))
        })
        .collect();
    let context = if q.expand.is_empty() {
        "roleManagement/directory/roleAssignments".to_owned()
    } else {
        format!(
            "roleManagement/directory/roleAssignments({})",
            q.expand
                .iter()
                .map(|e| format!("{e}()"))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    Ok(SimResponse::ok(page(ctx, req, q, context, items)))
}

pub(super) fn get_role_assignment(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    q: &Query,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ROLE_READ)?;
    let a = t
        .role_assignments
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::not_found(id))?;
    let mut v = role_assignment_json(t, a, q);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "@odata.context".to_owned(),
            json!(ctx.context("roleManagement/directory/roleAssignments/$entity")),
        );
    }
    Ok(SimResponse::ok(v))
}

pub(super) fn delete_role_assignment(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ROLE_WRITE)?;
    let pos = t
        .role_assignments
        .iter()
        .position(|a| a.id == id)
        .ok_or_else(|| ApiError::not_found(id))?;
    t.role_assignments.remove(pos);
    Ok(SimResponse::empty(204))
}

/// `POST /roleManagement/directory/roleAssignments`: assigns a role (Graph v1.0 "Create
/// unifiedRoleAssignment"; `RoleManagement.ReadWrite.Directory`) → 201 with the assignment.
pub(super) fn create_role_assignment(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require(perms::ROLE_WRITE)?;
    let body = body_obj(req)?;
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ApiError::bad_request(format!("{k} is required.")))
    };
    let (principal, role, scope) = (
        field("principalId")?,
        field("roleDefinitionId")?,
        field("directoryScopeId")?,
    );
    let principal = find_user(t, &principal)?.id.clone();
    if !t
        .role_definitions
        .iter()
        .any(|d| d.id.eq_ignore_ascii_case(&role))
    {
        return Err(ApiError::not_found(&role));
    }
    if t.role_assignments.iter().any(|a| {
        a.principal_id.eq_ignore_ascii_case(&principal)
            && a.role_definition_id.eq_ignore_ascii_case(&role)
            && a.directory_scope_id == scope
    }) {
        return Err(ApiError::new(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "A conflicting object with one or more of the specified property values is present in the directory.",
        ));
    }
    let a = RoleAssignment {
        id: uuid::Uuid::new_v4().simple().to_string(),
        principal_id: principal,
        role_definition_id: role,
        directory_scope_id: scope,
    };
    let mut out = role_assignment_json(t, &a, &Query::default());
    if let Some(o) = out.as_object_mut() {
        o.insert(
            "@odata.context".to_owned(),
            json!(ctx.context("roleManagement/directory/roleAssignments/$entity")),
        );
    }
    t.role_assignments.push(a);
    Ok(SimResponse {
        status: 201,
        ..SimResponse::ok(out)
    })
}
