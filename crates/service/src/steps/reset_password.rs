//! `reset-password`: no password the leaver (or anyone they told) knows still works.
//!
//! **When it applies.** Planned for cloud-only accounts after `block-sign-in`
//! (`offboard_core::plan::build`). A synced account's password is mastered in AD
//! (`ad-reset-password`); run on one anyway, this step records Graph's refusal as an
//! exception.
//!
//! **Act.** Read `lastPasswordChangeDateTime`. At or after the moment this step was first
//! started means an earlier attempt of this step already reset it: nothing to write.
//! Otherwise generate a random password (32 characters from the operating system-seeded
//! CSPRNG, every character class) and send it once:
//! `PATCH /users/{id}` `{"passwordProfile":{"password":…,"forceChangePasswordNextSignIn":true}}`
//! (`User-PasswordProfile.ReadWrite.All` and the User Administrator role; a leaver holding a
//! privileged role needs a stronger role offboard does not hold, and fails for a human). The
//! password lives only in a zeroised secret for the duration of the call: it is never stored,
//! logged, or recorded, and nobody ever learns it.
//!
//! **Verify.** Read `lastPasswordChangeDateTime` back; expected at or after the step's start.
//!
//! **Evidence.** One action: the PATCH with status and Graph's request id (the body in outline,
//! with the password described, not shown), and the read-back.

use async_trait::async_trait;
use rand::Rng as _;
use rand::seq::SliceRandom as _;
use secrecy::SecretString;
use secrecy::zeroize::Zeroize as _;
use serde_json::json;
use std::sync::Arc;

use offboard_core::plan::StepKind;
use offboard_graph::{GraphError, NotApplicableReason};

use super::common::{Attempt, ENTRA, instant, user_id};
use super::stamped::Stamped;
use crate::attempt::{StepAction, StepContext, StepFailure, StepReport};
use crate::m365::Tenant;

/// Length of the generated password.
pub const PASSWORD_LENGTH: usize = 32;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!@#$%^&*-_=+?.:";

/// A random password that meets Entra ID's complexity rules (all four character classes),
/// drawn from the thread-local CSPRNG (ChaCha12, seeded from the operating system).
pub fn random_password() -> SecretString {
    let mut rng = rand::rng();
    let all: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOLS].concat();
    let mut bytes: Vec<u8> = Vec::with_capacity(PASSWORD_LENGTH);
    for class in [LOWER, UPPER, DIGITS, SYMBOLS] {
        bytes.push(class[rng.random_range(0..class.len())]);
    }
    while bytes.len() < PASSWORD_LENGTH {
        bytes.push(all[rng.random_range(0..all.len())]);
    }
    bytes.shuffle(&mut rng);
    // ASCII: one byte per character, so the string never reallocates (no stray copy), and the
    // working buffer is wiped before it is freed.
    let mut text = String::with_capacity(PASSWORD_LENGTH);
    for b in &bytes {
        text.push(char::from(*b));
    }
    bytes.zeroize();
    SecretString::from(text)
}

/// Resets the cloud password to a random value.
#[derive(Debug, Clone)]
pub struct ResetPassword {
    tenant: Arc<Tenant>,
}

impl ResetPassword {
    /// The step on `tenant`.
    pub fn new(tenant: Arc<Tenant>) -> Self {
        Self { tenant }
    }
}

#[async_trait]
impl StepAction for ResetPassword {
    fn kind(&self) -> StepKind {
        StepKind::ResetPassword
    }

    async fn run(&self, ctx: &StepContext<'_>) -> Result<StepReport, StepFailure> {
        let graph = &self.tenant.graph;
        let id = user_id(ctx);
        let run = Stamped::new(ctx, "lastPasswordChangeDateTime", |u| {
            u.last_password_change_date_time
        });

        // Act: read first.
        let read = Attempt::new(
            ENTRA,
            "password already reset by this step",
            vec![id.to_owned()],
        )
        .request("GET", format!("/users/{id}"));
        let changed_at = match run.read_first(graph, id, read).await? {
            Ok(changed_at) => changed_at,
            Err(done) => return Ok(done),
        };

        let act = Attempt::new(
            ENTRA,
            "set a random password (never stored or logged)",
            vec![id.to_owned()],
        )
        .request("PATCH", format!("/users/{id}"));
        let body = json!({
            "passwordProfile": {
                "password": format!("(random, {PASSWORD_LENGTH} characters, not recorded)"),
                "forceChangePasswordNextSignIn": true,
            }
        });
        let result = {
            let password = random_password();
            graph.reset_password(id, &password, true).await
            // `password` is zeroised here.
        };
        let done = match result {
            Ok(r) => r,
            Err(GraphError::NotApplicable {
                reason: NotApplicableReason::SyncedFromOnPremises,
                info,
            }) => {
                return Ok(StepReport::from_actions(vec![act.exception(
                    "the password of an account synced from on-premises AD is mastered there: reset it in AD (ad-reset-password)",
                    info.status,
                    info.request_id,
                    None,
                    Some(json!({ "errorCode": info.code, "body": body })),
                )]));
            }
            Err(e) => return Err(act.fail(&e)),
        };

        // Verify.
        let details = json!({
            "changed": true,
            "body": body,
            "previousChange": instant(changed_at),
        });
        run.read_back(graph, id, act, (done.status, done.request_id), details)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    #[test]
    fn passwords_are_long_complex_and_different() {
        let a = random_password();
        let b = random_password();
        let (a, b) = (a.expose_secret(), b.expose_secret());
        assert_eq!(a.len(), PASSWORD_LENGTH);
        assert_ne!(a, b);
        for class in [LOWER, UPPER, DIGITS, SYMBOLS] {
            assert!(a.bytes().any(|c| class.contains(&c)), "{class:?}");
        }
    }
}
