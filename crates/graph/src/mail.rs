//! Mailbox settings (automatic replies) and notifications by mail.

use reqwest::Method;
use serde_json::json;

use crate::client::{Call, GraphClient, Reply};
use crate::error::GraphError;
use crate::model::{AutomaticReplies, MailMessage, MailboxSettings};
use crate::users::user_path;

impl GraphClient {
    /// `GET /users/{id}/mailboxSettings`; no mailbox gives [`GraphError::NotApplicable`]
    /// (`NoMailbox`).
    pub async fn mailbox_settings(&self, user: &str) -> Result<Reply<MailboxSettings>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/mailboxSettings", user_path(user)),
            "getMailboxSettings",
        );
        self.execute_json(&call).await
    }

    /// Sets automatic replies: `PATCH /users/{id}/mailboxSettings` → 200 with the new setting.
    pub async fn set_automatic_replies(
        &self,
        user: &str,
        replies: &AutomaticReplies,
    ) -> Result<Reply<AutomaticReplies>, GraphError> {
        let call = Call::new(
            Method::PATCH,
            format!("{}/mailboxSettings", user_path(user)),
            "setAutomaticReplies",
        )
        .json(json!({ "automaticRepliesSetting": replies }));
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct B {
            automatic_replies_setting: AutomaticReplies,
        }
        Ok(self
            .execute_json::<B>(&call)
            .await?
            .map(|b| b.automatic_replies_setting))
    }

    /// Sends a plain-text message from `from_user`'s mailbox: `POST /users/{id}/sendMail` → 202.
    /// Not repeated after an ambiguous failure (it could send twice).
    pub async fn send_mail(
        &self,
        from_user: &str,
        message: &MailMessage,
    ) -> Result<Reply<()>, GraphError> {
        let to: Vec<_> = message
            .to
            .iter()
            .map(|a| json!({ "emailAddress": { "address": a } }))
            .collect();
        let call = Call::new(
            Method::POST,
            format!("{}/sendMail", user_path(from_user)),
            "sendMail",
        )
        .json(json!({
            "message": {
                "subject": message.subject,
                "body": { "contentType": "Text", "content": message.body },
                "toRecipients": to,
            },
            "saveToSentItems": false,
        }));
        self.execute_empty(&call).await
    }
}
