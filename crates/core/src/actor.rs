//! The person (or GRC application) behind a human action: who signed in to offboard with Entra
//! ID when they started an offboarding, retried a step or exported a report. A leaf module:
//! the event, the evidence records and the service all name the actor with it.

use serde::{Deserialize, Serialize};

/// Whether the caller was a person or an application with its own identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActorKind {
    /// A person (a browser session or a delegated token).
    Person,
    /// An application (client credentials: a GRC or ITSM tool).
    Application,
}

/// How the caller proved who they are to offboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SignedInWith {
    /// A session cookie offboard signed after checking the person's Entra ID token.
    Session,
    /// An Entra ID access token offboard checked on this request.
    Bearer,
}

/// Who did a human action, as offboard checked it: Entra object id, sign-in name, and the
/// app roles they held. Never holds a token or a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanActor {
    /// Entra object id (`oid`) of the person or of the application's service principal.
    pub object_id: String,
    /// The person's sign-in name (`preferred_username`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// The calling application's client id, for applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Person or application.
    pub kind: ActorKind,
    /// Session or bearer token.
    pub signed_in_with: SignedInWith,
    /// offboard's app roles the caller held (`Offboard.Auditor`, `Offboard.Operator`).
    pub roles: Vec<String>,
}

impl HumanActor {
    /// How the actor is named in an evidence record's `actor` field and in logs: the UPN (or
    /// the application's client id) with the object id.
    pub fn describe(&self) -> String {
        match (self.kind, &self.user_principal_name, &self.app_id) {
            (ActorKind::Person, Some(upn), _) => format!("{upn} ({})", self.object_id),
            (ActorKind::Application, _, Some(app)) => {
                format!("application {app} ({})", self.object_id)
            }
            _ => self.object_id.clone(),
        }
    }
}

/// Who did an activity: a signed-in person or application, or a holder of a function key
/// (which names no one; the record says so).
#[derive(Debug, Clone, Copy)]
pub enum ActivityBy<'a> {
    /// Signed in with Entra ID (a session or a bearer token).
    SignedIn(&'a HumanActor),
    /// A function key: a shared secret, so the record can only say that one was used.
    FunctionKey,
}

impl ActivityBy<'_> {
    /// How the record's `actor` names them.
    pub fn describe(&self) -> String {
        match self {
            Self::SignedIn(a) => a.describe(),
            Self::FunctionKey => "a function key holder (a function key names no one)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_is_named_by_upn_and_object_id_and_an_application_by_its_client_id() {
        let person = HumanActor {
            object_id: "11111111-0000-0000-0000-000000000001".into(),
            user_principal_name: Some("otto@contoso.example".into()),
            app_id: None,
            kind: ActorKind::Person,
            signed_in_with: SignedInWith::Session,
            roles: vec!["Offboard.Operator".into()],
        };
        assert_eq!(
            person.describe(),
            "otto@contoso.example (11111111-0000-0000-0000-000000000001)"
        );
        let app = HumanActor {
            kind: ActorKind::Application,
            user_principal_name: None,
            app_id: Some("grc".into()),
            ..person
        };
        assert_eq!(
            app.describe(),
            "application grc (11111111-0000-0000-0000-000000000001)"
        );
        let json = serde_json::to_value(&app).unwrap_or_default();
        assert_eq!(json["signedInWith"], "session");
        assert_eq!(json["kind"], "application");
    }
}
