//! Holds and four-eyes decisions: why a case waits for a person before anything is changed,
//! who decided, when, and why. A leaf of [`super`]: the case, the engine and the API read it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a case was held before planning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// More terminations from its source in the window than the policy's brake allows.
    Brake,
    /// The leaver is protected (a policy-named group, or a privileged directory role).
    Protected,
}

impl HoldReason {
    /// The name used in evidence and notices.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Brake => "brake",
            Self::Protected => "protected",
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the person or system acting was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActorKind {
    /// A person signed in with Entra ID.
    Person,
    /// An application signed in with Entra ID.
    Application,
    /// offboard itself (a held case expiring).
    Offboard,
}

/// Who raised or decided something, as far as offboard can tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// How they were authenticated.
    pub kind: ActorKind,
    /// Entra object id, for a signed-in person or application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// Sign-in name or display name, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Actor {
    /// offboard itself, acting on a rescind `source` sent after the termination took effect.
    pub fn rescind(source: &str) -> Self {
        Self {
            kind: ActorKind::Offboard,
            object_id: None,
            name: Some(format!("offboard (rescind from {source})")),
        }
    }

    /// offboard itself.
    pub fn offboard() -> Self {
        Self {
            kind: ActorKind::Offboard,
            object_id: None,
            name: Some("offboard (hold expired)".into()),
        }
    }

    /// The signed-in person or application offboard checked (the human-facing API's caller).
    pub fn signed_in(who: &crate::actor::HumanActor) -> Self {
        Self {
            kind: match who.kind {
                crate::actor::ActorKind::Person => ActorKind::Person,
                crate::actor::ActorKind::Application => ActorKind::Application,
            },
            object_id: Some(who.object_id.clone()),
            name: who
                .user_principal_name
                .clone()
                .or_else(|| who.app_id.clone()),
        }
    }

    /// Whether `self` and `other` are the same signed-in identity (offboard itself is never
    /// anyone's same identity).
    pub fn is_same_identity(&self, other: &Actor) -> bool {
        matches!(self.kind, ActorKind::Person | ActorKind::Application)
            && self.kind == other.kind
            && self.object_id.is_some()
            && self.object_id == other.object_id
    }

    /// Words for evidence and notices.
    pub fn describe(&self) -> String {
        match (self.kind, &self.name, &self.object_id) {
            (ActorKind::Offboard, Some(n), _) => n.clone(),
            (ActorKind::Offboard, None, _) => "offboard (hold expired)".into(),
            (_, Some(n), Some(id)) => format!("{n} ({id})"),
            (_, None, Some(id)) => id.clone(),
            (_, Some(n), None) => n.clone(),
            (_, None, None) => "an unnamed signed-in caller".into(),
        }
    }
}

/// Why and since when a case waits for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    /// Why.
    pub reason: HoldReason,
    /// In words an operator understands.
    pub detail: String,
    /// When the case was held.
    pub held_at: DateTime<Utc>,
    /// When it turns `rejected` if nobody decides.
    pub expires_at: DateTime<Utc>,
}

/// An operator's decision on a held case (or its expiry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Approved (the case is planned) or rejected (nothing is changed, the case is sealed).
    pub approved: bool,
    /// Who decided.
    pub by: Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, in the decider's words.
    pub reason: String,
}

/// A case's hold and the decision on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// The hold.
    pub hold: Hold,
    /// The decision, once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

/// A restore of an ended case (undoing a mistaken termination): who asked, when and why. The
/// latest one; each is also an evidence record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restore {
    /// Who asked: a signed-in operator, or offboard on a rescind from HR.
    pub by: Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, in the asker's words (or the rescind's note).
    pub reason: String,
    /// How many restores the case has had (a second one changes nothing).
    pub count: u32,
    /// The directory roles this restore holds for a second approval, and the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<RolesApproval>,
}

/// The directory roles a restore holds for a second approval, and the decision on them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolesApproval {
    /// The roles held, by name (or definition id).
    pub roles: Vec<String>,
    /// The decision, once made; `None` while the roles await approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

/// A decision offboard refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// The case is not held.
    #[error("the case is {status}, not awaiting approval")]
    NotHeld {
        /// Its status.
        status: super::status::CaseStatus,
    },
    /// The approver raised the termination themselves (four eyes).
    #[error(
        "{who} raised this termination and cannot also approve it: another operator must decide"
    )]
    SelfApproval {
        /// The person.
        who: String,
    },
    /// A decision needs a reason.
    #[error("a decision needs a reason (\"reason\": \"...\")")]
    NoReason,
}
