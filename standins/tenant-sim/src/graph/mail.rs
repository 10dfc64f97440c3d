//! Outlook: mailbox settings (automatic replies) and `sendMail`.

use super::*;

pub(super) fn outlook_denied() -> ApiError {
    ApiError::new(
        403,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    )
}

pub(super) fn no_mailbox() -> ApiError {
    ApiError::new(
        404,
        "MailboxNotEnabledForRESTAPI",
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    )
}

pub(super) fn graph_dt(t: &Option<DateTime<Utc>>) -> Value {
    match t {
        // Graph writes seven fractional digits (100 ns ticks).
        Some(t) => json!({
            "dateTime": format!("{}.{:07}", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100),
            "timeZone": "UTC",
        }),
        None => json!({"dateTime": "0001-01-01T00:00:00.0000000", "timeZone": "UTC"}),
    }
}

pub(super) fn auto_reply_json(a: &AutoReply) -> Value {
    json!({
        "status": a.status,
        "externalAudience": a.external_audience,
        "scheduledStartDateTime": graph_dt(&a.scheduled_start_date_time),
        "scheduledEndDateTime": graph_dt(&a.scheduled_end_date_time),
        "internalReplyMessage": a.internal_reply_message,
        "externalReplyMessage": a.external_reply_message,
    })
}

pub(super) fn mailbox_settings_json(m: &Mailbox) -> Map<String, Value> {
    let v = json!({
        "archiveFolder": "AAMkAGI2TGuLAAA=",
        "timeZone": m.time_zone,
        "automaticRepliesSetting": auto_reply_json(&m.auto_reply),
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "userPurpose": match m.recipient_type_details.as_str() {
            "SharedMailbox" => "shared",
            "RoomMailbox" => "room",
            "EquipmentMailbox" => "equipment",
            _ => "user",
        },
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": m.time_zone},
        },
    });
    match v {
        Value::Object(o) => o,
        _ => Map::new(),
    }
}

pub(super) fn get_mailbox_settings(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::MAILBOX_SETTINGS_READ, outlook_denied)?;
    let u = find_user(t, id)?;
    let m = t.mailbox(&u.id).ok_or_else(no_mailbox)?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&format!("users('{}')/mailboxSettings", u.id))),
    );
    out.extend(mailbox_settings_json(m));
    Ok(SimResponse::ok(Value::Object(out)))
}

pub(super) fn camel_enum(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(super) fn parse_graph_dt(v: &Value, field: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(dt) = v.get("dateTime").and_then(Value::as_str) else {
        return Ok(None);
    };
    let tz = v.get("timeZone").and_then(Value::as_str).unwrap_or("UTC");
    if !tz.eq_ignore_ascii_case("UTC") {
        return Err(ApiError::new(
            400,
            "InvalidTimeZone",
            format!("The simulator accepts only UTC in {field}."),
        ));
    }
    let naive = chrono::NaiveDateTime::parse_from_str(
        dt.trim_end_matches('Z'),
        "%Y-%m-%dT%H:%M:%S%.f",
    )
    .map_err(|_| {
        ApiError::new(
            400,
            "RequestBodyRead",
            format!("Cannot convert the literal '{dt}' to the expected type 'Edm.DateTimeOffset'."),
        )
    })?;
    Ok(Some(naive.and_utc()))
}

pub(super) fn patch_mailbox_settings(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::MAILBOX_SETTINGS_WRITE, outlook_denied)?;
    let body = body_obj(req)?.clone();
    let uid = find_user(t, id)?.id.clone();
    let m = t.mailbox(&uid).ok_or_else(no_mailbox)?;
    let mut updated = m.clone();
    let mut changed: Vec<&str> = Vec::new();
    for (k, v) in body.iter().filter(|(k, _)| !k.starts_with('@')) {
        match k.as_str() {
            "automaticRepliesSetting" => {
                changed.push("automaticRepliesSetting");
                let a = &mut updated.auto_reply;
                if let Some(s) = v.get("status").and_then(Value::as_str) {
                    let s = camel_enum(s);
                    if !["disabled", "alwaysEnabled", "scheduled"].contains(&s.as_str()) {
                        return Err(ApiError::new(
                            400,
                            "InvalidArguments",
                            format!("Requested value '{s}' was not found."),
                        ));
                    }
                    a.status = s;
                }
                if let Some(s) = v.get("externalAudience").and_then(Value::as_str) {
                    let s = camel_enum(s);
                    if !["none", "contactsOnly", "all"].contains(&s.as_str()) {
                        return Err(ApiError::new(
                            400,
                            "InvalidArguments",
                            format!("Requested value '{s}' was not found."),
                        ));
                    }
                    a.external_audience = s;
                }
                if let Some(s) = v.get("internalReplyMessage").and_then(Value::as_str) {
                    a.internal_reply_message = s.to_owned();
                }
                if let Some(s) = v.get("externalReplyMessage").and_then(Value::as_str) {
                    a.external_reply_message = s.to_owned();
                }
                if let Some(s) = v.get("scheduledStartDateTime") {
                    a.scheduled_start_date_time = parse_graph_dt(s, "scheduledStartDateTime")?;
                }
                if let Some(s) = v.get("scheduledEndDateTime") {
                    a.scheduled_end_date_time = parse_graph_dt(s, "scheduledEndDateTime")?;
                }
                if a.status == "scheduled"
                    && let (Some(s), Some(e)) =
                        (a.scheduled_start_date_time, a.scheduled_end_date_time)
                    && e <= s
                {
                    return Err(ApiError::new(
                        400,
                        "ErrorInvalidTimeSettings",
                        "Start Time should occur before End Time.",
                    ));
                }
            }
            "timeZone" => {
                changed.push("timeZone");
                updated.time_zone = v.as_str().unwrap_or("UTC").to_owned();
            }
            "language"
            | "dateFormat"
            | "timeFormat"
            | "workingHours"
            | "delegateMeetingMessageDeliveryOptions" => {}
            other => {
                return Err(ApiError::new(
                    400,
                    "RequestBodyRead",
                    format!(
                        "The property '{other}' does not exist on type 'microsoft.graph.mailboxSettings'."
                    ),
                ));
            }
        }
    }
    if let Some(m) = t.mailbox_mut(&uid) {
        *m = updated.clone();
    }
    let full = mailbox_settings_json(&updated);
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(ctx.context(&format!("users('{uid}')/mailboxSettings"))),
    );
    for k in changed {
        if let Some(v) = full.get(k) {
            out.insert(k.to_owned(), v.clone());
        }
    }
    Ok(SimResponse::ok(Value::Object(out)))
}

pub(super) fn send_mail(
    t: &mut Tenant,
    ctx: &Ctx<'_>,
    id: &str,
    req: &SimRequest,
) -> Result<SimResponse, ApiError> {
    ctx.require_with(perms::MAIL_SEND, outlook_denied)?;
    let body = body_obj(req)?.clone();
    let u = find_user(t, id)?.clone();
    t.mailbox(&u.id).ok_or_else(no_mailbox)?;
    let msg = body.get("message").ok_or_else(|| {
        ApiError::new(
            400,
            "ErrorInvalidParameter",
            "The value of the parameter 'Message' is empty.",
        )
    })?;
    let to: Vec<String> = msg
        .get("toRecipients")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|x| x.pointer("/emailAddress/address").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if to.is_empty() || to.iter().any(|a| !a.contains('@')) {
        return Err(ApiError::new(
            400,
            "ErrorInvalidRecipients",
            "At least one recipient is not valid., Recipient is not resolved. All recipients must be resolved before a message can be submitted.",
        ));
    }
    t.sent_mail.push(SentMail {
        from: u.mail.clone().unwrap_or(u.user_principal_name.clone()),
        to,
        subject: msg
            .get("subject")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        body: msg
            .pointer("/body/content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        sent_date_time: ctx.now,
    });
    Ok(SimResponse::empty(202))
}
