//! What can go wrong talking to AD, and the LDAP result codes the agent interprets.

use ldap3::LdapError;
use offboard_agent_proto::Outcome;

/// LDAP result codes the agent interprets.
pub mod rc {
    /// noSuchAttribute: removing a value that is not there.
    pub const NO_SUCH_ATTRIBUTE: u32 = 16;
    /// attributeOrValueExists: adding a value (or a single-valued attribute) that is there.
    pub const VALUE_EXISTS: u32 = 20;
    /// constraintViolation (e.g. password policy).
    pub const CONSTRAINT_VIOLATION: u32 = 19;
    /// noSuchObject.
    pub const NO_SUCH_OBJECT: u32 = 32;
    /// invalidCredentials (bind refused, or a disabled account's bind: data 533).
    pub const INVALID_CREDENTIALS: u32 = 49;
    /// insufficientAccessRights.
    pub const INSUFFICIENT_ACCESS: u32 = 50;
    /// busy.
    pub const BUSY: u32 = 51;
    /// unavailable.
    pub const UNAVAILABLE: u32 = 52;
    /// unwillingToPerform (AD's answer to removing a member that is not there).
    pub const UNWILLING: u32 = 53;
    /// entryAlreadyExists (name collision on move).
    pub const ALREADY_EXISTS: u32 = 68;
    /// timeLimitExceeded.
    pub const TIME_LIMIT: u32 = 3;
    /// adminLimitExceeded.
    pub const ADMIN_LIMIT: u32 = 11;
}

/// What went wrong talking to AD, classified for the result.
#[derive(Debug, thiserror::Error)]
pub enum AdError {
    /// The DC could not be reached or the connection broke: retry later.
    #[error(
        "cannot reach the domain controller at {url}: {detail}; the work will be retried — check that the DC is up and reachable from the agent"
    )]
    Unreachable {
        /// The configured URL.
        url: String,
        /// Cause.
        detail: String,
    },
    /// TLS could not be established with certificate verification.
    #[error(
        "TLS with the domain controller failed: {detail}; check ldap.ca_file (the CA that issued the DC's certificate) and that the URL's host name is in the certificate"
    )]
    Tls {
        /// Cause.
        detail: String,
    },
    /// The service account's bind was refused.
    #[error(
        "the domain controller refused the service account's bind (rc {rc}: {text}); check ldap.bind_dn and the bind password, and that the account is enabled"
    )]
    BindRefused {
        /// Result code.
        rc: u32,
        /// Server text.
        text: String,
    },
    /// An LDAP operation failed with a result code.
    #[error("{operation} failed with LDAP rc {rc} ({text})")]
    Operation {
        /// What the agent tried.
        operation: String,
        /// Result code.
        rc: u32,
        /// Server diagnostic text.
        text: String,
    },
    /// More than one account matched the locator.
    #[error("{count} accounts match {locator}; the locator must identify exactly one")]
    Ambiguous {
        /// How many matched.
        count: usize,
        /// The locator.
        locator: String,
    },
    /// An entry lacked something every AD user has.
    #[error("unexpected directory data: {0}")]
    Data(String),
}

impl AdError {
    pub(super) fn from_ldap(url: &str, operation: &str, e: LdapError) -> Self {
        match e {
            LdapError::LdapResult { result } => Self::Operation {
                operation: operation.to_string(),
                rc: result.rc,
                text: result.text,
            },
            LdapError::Rustls { source } => Self::Tls {
                detail: source.to_string(),
            },
            LdapError::DNSName { source } => Self::Tls {
                detail: source.to_string(),
            },
            LdapError::Io { source } => {
                // rustls reports certificate problems through io::Error(InvalidData) during the handshake.
                let is_tls = source
                    .get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
                if is_tls {
                    Self::Tls {
                        detail: source.to_string(),
                    }
                } else {
                    Self::Unreachable {
                        url: url.to_string(),
                        detail: source.to_string(),
                    }
                }
            }
            other => Self::Unreachable {
                url: url.to_string(),
                detail: other.to_string(),
            },
        }
    }

    /// The LDAP result code, when the failure was one.
    pub fn rc(&self) -> Option<u32> {
        match self {
            Self::Operation { rc, .. } | Self::BindRefused { rc, .. } => Some(*rc),
            _ => None,
        }
    }

    /// Whether retrying later may succeed without a change in AD or the config.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Operation { rc, .. } => matches!(
                *rc,
                rc::BUSY | rc::UNAVAILABLE | rc::TIME_LIMIT | rc::ADMIN_LIMIT
            ),
            _ => false,
        }
    }

    /// The action outcome this error means, with advice for the known permission cases.
    pub fn to_outcome(&self) -> Outcome {
        if self.is_transient() {
            return Outcome::TransientError {
                message: self.to_string(),
            };
        }
        let message = match self.rc() {
            Some(rc::INSUFFICIENT_ACCESS) => format!(
                "{self}; the service account lacks a delegated right — see the agent README's delegation table"
            ),
            _ => self.to_string(),
        };
        Outcome::PermanentError { message }
    }
}
