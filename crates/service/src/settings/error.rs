//! The one error reading settings has: which setting, and what is wrong with its value.

/// A setting with a value offboard cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {name}: {detail}")]
pub struct SettingsError {
    /// The setting.
    pub name: &'static str,
    /// What is wrong and what to set.
    pub detail: String,
}
