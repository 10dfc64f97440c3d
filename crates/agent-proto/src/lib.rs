//! Wire types shared by the handler and the on-prem agent: signed commands and their results.
