//! Microsoft Graph and Exchange Online admin clients authenticated with managed identity.
