//! One command, from request body to response: verify the signature and validity window, refuse
//! replays, execute (one command at a time), answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use offboard_agent_proto::{
    AgentIdentity, AgentResponse, CommandId, CommandRejection, CommandVerifier, RejectedCommand,
    SignedCommand,
};

use crate::executor::Executor;

/// Command ids seen while still valid. A second delivery of the same id is refused.
#[derive(Debug, Default)]
pub struct ReplayGuard {
    seen: Mutex<HashMap<CommandId, DateTime<Utc>>>,
}

impl ReplayGuard {
    /// Records `id` (remembered until `forget_after`); false when it was already recorded.
    pub fn first_sighting(
        &self,
        id: CommandId,
        forget_after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|_, until| *until > now);
        if seen.contains_key(&id) {
            return false;
        }
        seen.insert(id, forget_after);
        true
    }
}

/// An HTTP-ish answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    /// 200 executed, 403 rejected, 400 unreadable.
    pub status: u16,
    /// The serialized [`AgentResponse`].
    pub body: Vec<u8>,
}

/// Verifies and executes commands.
pub struct CommandService {
    verifier: CommandVerifier,
    replay: ReplayGuard,
    executor: Arc<Executor>,
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl CommandService {
    /// A service verifying with `verifier` and executing with `executor`.
    pub fn new(verifier: CommandVerifier, executor: Arc<Executor>) -> Self {
        Self {
            verifier,
            replay: ReplayGuard::default(),
            executor,
            one_at_a_time: tokio::sync::Mutex::new(()),
        }
    }

    fn identity(&self) -> AgentIdentity {
        self.executor.agent().clone()
    }

    fn rejected(&self, command_id: Option<CommandId>, rejection: CommandRejection) -> Answer {
        tracing::warn!(command_id = ?command_id, %rejection, "command rejected");
        let response = AgentResponse::Rejected(RejectedCommand {
            command_id,
            rejection,
            agent: self.identity(),
            at: Utc::now(),
        });
        Answer {
            status: 403,
            body: serde_json::to_vec(&response).unwrap_or_default(),
        }
    }

    /// Handles one request body.
    pub async fn handle(&self, body: &[u8]) -> Answer {
        let signed: SignedCommand = match serde_json::from_slice(body) {
            Ok(s) => s,
            Err(e) => {
                let mut answer = self.rejected(
                    None,
                    CommandRejection::Malformed {
                        detail: format!("request body is not a signed command: {e}"),
                    },
                );
                answer.status = 400;
                return answer;
            }
        };
        let now = Utc::now();
        let command = match self.verifier.verify(&signed, now) {
            Ok(c) => c,
            Err(rejection) => return self.rejected(signed.claimed_id(), rejection),
        };
        let forget_after = command.expires_at + self.verifier.policy().clock_skew;
        if !self.replay.first_sighting(command.id, forget_after, now) {
            return self.rejected(
                Some(command.id),
                CommandRejection::Replayed {
                    command_id: command.id,
                },
            );
        }
        let _turn = self.one_at_a_time.lock().await;
        let result = self.executor.execute(&command).await;
        let response = AgentResponse::Executed(Box::new(result));
        match serde_json::to_vec(&response) {
            Ok(body) => Answer { status: 200, body },
            Err(e) => Answer {
                status: 500,
                body: format!("{{\"error\":\"cannot encode the result: {e}\"}}").into_bytes(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_id_is_accepted_once_while_valid() {
        let guard = ReplayGuard::default();
        let id = CommandId::new_random();
        let now = Utc::now();
        let until = now + chrono::Duration::minutes(5);
        assert!(guard.first_sighting(id, until, now));
        assert!(!guard.first_sighting(id, until, now + chrono::Duration::minutes(1)));
        // Forgotten once expired (the verifier refuses it as expired by then anyway).
        assert!(guard.first_sighting(id, until, now + chrono::Duration::minutes(6)));
    }
}
