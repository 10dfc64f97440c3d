//! Where a hybrid connection lives and the URLs of its two sides.

use url::Url;

use crate::sas::sas_encode;

/// A hybrid connection: the Relay namespace host (`contoso.servicebus.windows.net`) and the
/// hybrid connection's path (`offboard-agent`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayEndpoint {
    namespace: String,
    path: String,
    secure: bool,
}

/// A namespace or path the endpoint cannot be built from.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    /// Namespace empty or not a host name.
    #[error("relay namespace {0:?} is not a host name like contoso.servicebus.windows.net")]
    Namespace(String),
    /// Path empty or with characters outside `A-Z a-z 0-9 - . _ /`.
    #[error(
        "hybrid connection path {0:?} must be non-empty and use only A-Z, a-z, 0-9, '-', '.', '_' and '/'"
    )]
    Path(String),
}

impl RelayEndpoint {
    /// The production endpoint: `https://` for senders and `wss://` for listeners.
    pub fn new(
        namespace: impl Into<String>,
        path: impl Into<String>,
    ) -> Result<Self, EndpointError> {
        Self::build(namespace.into(), path.into(), true)
    }

    /// An endpoint reached over plain `http://` and `ws://`: only for a local stand-in in tests.
    pub fn plain_for_local_tests(
        namespace: impl Into<String>,
        path: impl Into<String>,
    ) -> Result<Self, EndpointError> {
        Self::build(namespace.into(), path.into(), false)
    }

    fn build(namespace: String, path: String, secure: bool) -> Result<Self, EndpointError> {
        let namespace = namespace
            .trim()
            .trim_start_matches("sb://")
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_ascii_lowercase();
        let host_ok = !namespace.is_empty()
            && namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']'));
        if !host_ok {
            return Err(EndpointError::Namespace(namespace));
        }
        let path = path.trim().trim_matches('/').to_string();
        let path_ok = !path.is_empty()
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'));
        if !path_ok {
            return Err(EndpointError::Path(path));
        }
        Ok(Self {
            namespace,
            path,
            secure,
        })
    }

    /// The namespace host (lower case).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The hybrid connection path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether TLS is used (false only for local tests).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The sender URL for `suffix` under the hybrid connection: `https://{ns}/{path}/{suffix}`.
    pub fn http_url(&self, suffix: &str) -> Result<Url, url::ParseError> {
        let scheme = if self.secure { "https" } else { "http" };
        let suffix = suffix.trim_start_matches('/');
        Url::parse(&format!(
            "{scheme}://{}/{}/{suffix}",
            self.namespace, self.path
        ))
    }

    /// The token audience SDKs use for this hybrid connection: `http://{ns}/{path}/`.
    pub fn token_audience(&self) -> String {
        format!("http://{}/{}/", self.namespace, self.path)
    }

    /// The listener's control-channel URL:
    /// `wss://{ns}/$hc/{path}?sb-hc-action=listen&sb-hc-id={id}&sb-hc-token={token}`.
    /// Contains the token: never log it.
    pub fn listen_url(&self, tracking_id: &str, token: &str) -> String {
        let scheme = if self.secure { "wss" } else { "ws" };
        format!(
            "{scheme}://{}/$hc/{}?sb-hc-action=listen&sb-hc-id={}&sb-hc-token={}",
            self.namespace,
            self.path,
            sas_encode(tracking_id),
            sas_encode(token)
        )
    }

    /// The control-channel URL without the token, for logs.
    pub fn listen_url_for_logs(&self) -> String {
        let scheme = if self.secure { "wss" } else { "ws" };
        format!(
            "{scheme}://{}/$hc/{}?sb-hc-action=listen",
            self.namespace, self.path
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_protocol_guide() {
        let e =
            RelayEndpoint::new("sb://Contoso.servicebus.windows.net/", "offboard-agent").unwrap();
        assert_eq!(
            e.http_url("commands").unwrap().as_str(),
            "https://contoso.servicebus.windows.net/offboard-agent/commands"
        );
        assert_eq!(
            e.token_audience(),
            "http://contoso.servicebus.windows.net/offboard-agent/"
        );
        assert_eq!(
            e.listen_url("id-1", "SharedAccessSignature sr=a&sig=b"),
            "wss://contoso.servicebus.windows.net/$hc/offboard-agent?sb-hc-action=listen&sb-hc-id=id-1&sb-hc-token=SharedAccessSignature%20sr%3Da%26sig%3Db"
        );
        let local = RelayEndpoint::plain_for_local_tests("127.0.0.1:5000", "hc").unwrap();
        assert_eq!(
            local.http_url("/commands").unwrap().as_str(),
            "http://127.0.0.1:5000/hc/commands"
        );
        assert!(RelayEndpoint::new("", "x").is_err());
        assert!(RelayEndpoint::new("ns", "a b").is_err());
    }
}
