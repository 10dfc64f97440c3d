//! Inbox rules (`messageRules`) and the organisation's verified domains: what
//! `stop-forwarding` reads to find rules that send the leaver's mail elsewhere, and to tell
//! an address inside the organisation from one outside it.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::{Call, GraphClient, Reply};
use crate::error::GraphError;
use crate::users::user_path;

/// An address in a rule action (`recipient` → `emailAddress`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RuleRecipient {
    /// The address.
    pub email_address: RuleAddress,
}

/// `emailAddress` of a recipient.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RuleAddress {
    /// Display name.
    pub name: Option<String>,
    /// SMTP address.
    pub address: Option<String>,
}

/// The actions of a rule that send mail on (`messageRuleActions`); the others are kept as
/// they came, for the evidence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageRuleActions {
    /// Forward to these recipients.
    pub forward_to: Vec<RuleRecipient>,
    /// Redirect to these recipients.
    pub redirect_to: Vec<RuleRecipient>,
    /// Forward as an attachment to these recipients.
    pub forward_as_attachment_to: Vec<RuleRecipient>,
    /// Every other action, as Graph sent it.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl MessageRuleActions {
    /// Every address the rule sends mail on to, with the action: `(forwardTo|redirectTo|
    /// forwardAsAttachmentTo, address)`.
    pub fn targets(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (kind, list) in [
            ("forwardTo", &self.forward_to),
            ("redirectTo", &self.redirect_to),
            ("forwardAsAttachmentTo", &self.forward_as_attachment_to),
        ] {
            for r in list {
                if let Some(a) = &r.email_address.address {
                    out.push((kind, a.clone()));
                }
            }
        }
        out
    }
}

/// An inbox rule (`messageRule`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageRule {
    /// Rule id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Order among the rules.
    pub sequence: Option<i64>,
    /// Whether the rule applies to incoming mail.
    pub is_enabled: bool,
    /// Whether Exchange found the rule in error.
    pub has_error: Option<bool>,
    /// Read-only rules cannot be changed through the API.
    pub is_read_only: Option<bool>,
    /// The conditions, as Graph sent them (for the evidence).
    pub conditions: Option<Value>,
    /// The exceptions, as Graph sent them.
    pub exceptions: Option<Value>,
    /// The actions.
    pub actions: MessageRuleActions,
}

impl MessageRule {
    /// Whether an enabled rule sends mail on (forward, redirect or forward as attachment).
    pub fn forwards(&self) -> bool {
        self.is_enabled && !self.actions.targets().is_empty()
    }
}

/// A verified domain of the organisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VerifiedDomain {
    /// The domain name.
    pub name: String,
}

impl GraphClient {
    /// `GET /users/{id}/mailFolders/inbox/messageRules` (`MailboxSettings.Read`); no
    /// mailbox gives [`GraphError::NotApplicable`] (`NoMailbox`).
    pub async fn inbox_rules(&self, user: &str) -> Result<Reply<Vec<MessageRule>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/mailFolders/inbox/messageRules", user_path(user)),
            "listMessageRules",
        );
        self.list(call).await
    }

    /// `PATCH /users/{id}/mailFolders/inbox/messageRules/{ruleId}` with `isEnabled=false`
    /// (`MailboxSettings.ReadWrite`); Graph answers the updated rule.
    pub async fn disable_inbox_rule(
        &self,
        user: &str,
        rule: &str,
    ) -> Result<Reply<MessageRule>, GraphError> {
        let call = Call::new(
            Method::PATCH,
            format!(
                "{}/mailFolders/inbox/messageRules/{}",
                user_path(user),
                crate::client::seg(rule)
            ),
            "updateMessageRule",
        )
        .json(json!({ "isEnabled": false }));
        self.execute_json(&call).await
    }

    /// The organisation's verified domains: `GET /organization?$select=verifiedDomains`
    /// (`Organization.Read.All`). An address in none of them is outside the organisation.
    pub async fn verified_domains(&self) -> Result<Reply<Vec<VerifiedDomain>>, GraphError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Org {
            #[serde(default)]
            verified_domains: Vec<VerifiedDomain>,
        }
        let call = Call::new(Method::GET, "/organization".to_owned(), "getOrganization")
            .query("$select", "verifiedDomains");
        let r: Reply<Vec<Org>> = self.list(call).await?;
        Ok(r.map(|orgs| orgs.into_iter().flat_map(|o| o.verified_domains).collect()))
    }
}
