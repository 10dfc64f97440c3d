//! Authentication methods (MFA): list and delete, each kind at its own endpoint.

use reqwest::Method;

use crate::client::{Call, GraphClient, Reply, seg};
use crate::error::{ErrorInfo, GraphError, NotApplicableReason};
use crate::model::AuthMethod;
use crate::users::user_path;

impl GraphClient {
    /// `GET /users/{id}/authentication/methods` (includes the password method).
    pub async fn authentication_methods(
        &self,
        user: &str,
    ) -> Result<Reply<Vec<AuthMethod>>, GraphError> {
        let call = Call::new(
            Method::GET,
            format!("{}/authentication/methods", user_path(user)),
            "listAuthenticationMethods",
        );
        self.list(call).await
    }

    /// Deletes one method: `DELETE /users/{id}/authentication/{kind}Methods/{methodId}` → 204.
    /// The password method cannot be deleted ([`NotApplicableReason::PasswordMethod`], no call
    /// is made).
    pub async fn delete_authentication_method(
        &self,
        user: &str,
        method: &AuthMethod,
    ) -> Result<Reply<()>, GraphError> {
        let Some(collection) = method.kind.collection() else {
            return Err(GraphError::NotApplicable {
                reason: NotApplicableReason::PasswordMethod,
                info: ErrorInfo {
                    status: None,
                    code: "NotDeletable".to_owned(),
                    message: format!(
                        "authentication method {} ({:?}) has no delete endpoint",
                        method.id, method.kind
                    ),
                    request_id: None,
                    client_request_id: None,
                },
            });
        };
        let call = Call::new(
            Method::DELETE,
            format!(
                "{}/authentication/{collection}/{}",
                user_path(user),
                seg(&method.id)
            ),
            "deleteAuthenticationMethod",
        );
        self.execute_empty(&call).await
    }
}
