//! `auto-reply`: people who write to the leaver learn that they have left, and whom to contact.
//!
//! **When it applies.** Planned when the leaver has a mailbox, after `convert-mailbox`, unless
//! the policy for the termination kind leaves it out (`offboard_core::plan::build`).
//!
//! **Act.** The text is the policy's `auto_reply` (with `auto_reply_manager` when there is a
//! manager), the same inside and outside the organisation. Read the mailbox settings
//! (`GET /users/{id}/mailboxSettings`). Automatic replies already on, for everyone, with this
//! text: nothing to write, so a replay changes nothing. Otherwise
//! `PATCH /users/{id}/mailboxSettings` with `automaticRepliesSetting`
//! (`status=alwaysEnabled`, `externalAudience=all`; `MailboxSettings.ReadWrite`). No mailbox:
//! not applicable.
//!
//! **Verify.** Read the settings again; expected on, for everyone, with the text. Exchange
//! stores the messages as HTML, so they are compared as text with the markup removed.
//!
//! **Evidence.** One action: the PATCH (or the read, when already set) with status and Graph's
//! request id, and the read-back.

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{
    AutoReplyStatus, AutomaticReplies, ExternalAudience, GraphError, MailboxSettings,
    NotApplicableReason,
};

use super::common::{Attempt, EXCHANGE, read_back, read_until, user_id};
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Sets the automatic reply.
#[derive(Debug, Clone)]
pub struct AutoReply {
    tenant: Arc<Tenant>,
}

impl AutoReply {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

/// The text of an HTML or plain message: tags removed, common entities decoded, whitespace
/// collapsed.
pub(crate) fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_set(s: &MailboxSettings, text: &str) -> bool {
    s.automatic_replies_setting.as_ref().is_some_and(|a| {
        a.status == AutoReplyStatus::AlwaysEnabled
            && a.external_audience == ExternalAudience::All
            && plain(&a.internal_reply_message) == plain(text)
            && plain(&a.external_reply_message) == plain(text)
    })
}

fn observed(s: &MailboxSettings) -> serde_json::Value {
    match &s.automatic_replies_setting {
        Some(a) => json!({
            "status": a.status,
            "externalAudience": a.external_audience,
            "internalReplyMessage": plain(&a.internal_reply_message),
            "externalReplyMessage": plain(&a.external_reply_message),
        }),
        None => json!(null),
    }
}

#[async_trait]
impl StepAction for AutoReply {
    fn kind(&self) -> StepKind {
        StepKind::AutoReply
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let u = &ctx.facts.user;
        let leaver = u
            .display_name
            .as_deref()
            .or(u.user_principal_name.as_deref())
            .unwrap_or(id);
        let manager = ctx.facts.manager.as_ref().map(|m| {
            let mail = m
                .mail
                .as_deref()
                .or(m.user_principal_name.as_deref())
                .unwrap_or(&m.id);
            (m.display_name.as_deref().unwrap_or(mail), mail)
        });
        let text = ctx.policy.auto_reply_text(leaver, manager);
        let expected = json!({
            "status": AutoReplyStatus::AlwaysEnabled,
            "externalAudience": ExternalAudience::All,
            "internalReplyMessage": plain(&text),
            "externalReplyMessage": plain(&text),
        });

        // Act: read first.
        let read = Attempt::new(EXCHANGE, "automatic reply already set", vec![id.to_owned()])
            .request("GET", format!("/users/{id}/mailboxSettings"));
        let before = match graph.mailbox_settings(id).await {
            Ok(r) => r,
            Err(
                e @ GraphError::NotApplicable {
                    reason: NotApplicableReason::NoMailbox,
                    ..
                },
            ) => {
                return Ok(StepReport::from_actions(vec![read.not_applicable(
                    "the leaver has no Exchange Online mailbox",
                    e.status(),
                    e.request_id().map(str::to_owned),
                    None,
                )]));
            }
            Err(e) => return Err(read.fail(&e)),
        };
        if is_set(&before.value, &text) {
            return Ok(StepReport::from_actions(vec![read.checked(
                before.status,
                before.request_id,
                read_back(expected, observed(&before.value)),
                Some(json!({ "changed": false })),
            )]));
        }

        let act = Attempt::new(
            EXCHANGE,
            "turn on the automatic reply for everyone",
            vec![id.to_owned()],
        )
        .request("PATCH", format!("/users/{id}/mailboxSettings"));
        let replies = AutomaticReplies {
            status: AutoReplyStatus::AlwaysEnabled,
            external_audience: ExternalAudience::All,
            internal_reply_message: text.clone(),
            external_reply_message: text.clone(),
            scheduled_start_date_time: None,
            scheduled_end_date_time: None,
        };
        let done = graph
            .set_automatic_replies(id, &replies)
            .await
            .map_err(|e| act.clone().fail(&e))?;

        // Verify.
        let after = read_until(|| graph.mailbox_settings(id), |s| is_set(s, &text))
            .await
            .map_err(|e| act.clone().fail(&e))?;
        Ok(StepReport::from_actions(vec![act.checked(
            done.status,
            done.request_id,
            read_back(expected, observed(&after.value)),
            Some(json!({
                "changed": true,
                "previous": observed(&before.value),
                "readBackRequestId": after.request_id,
            })),
        )]))
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn html_and_plain_messages_compare_as_text() {
        assert_eq!(
            plain(
                "<html>\n<body>\n<div>Ada has left &amp; Grace\n helps.</div>\n</body>\n</html>\n"
            ),
            "Ada has left & Grace helps."
        );
        assert_eq!(
            plain("Ada has left & Grace helps."),
            "Ada has left & Grace helps."
        );
    }
}
