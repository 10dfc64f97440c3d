//! # offboard-testkit
//!
//! One helper, [`spawn_app`], starts offboard the way it runs in production — the real
//! `handler` executable behind a Functions host (here the local stand-in) — on a backend of
//! the test's choice, and returns a [`TestApp`] with typed request helpers. Every test gets
//! its own data (its own embedded database, or its own Azurite and Cosmos server on free
//! ports), so tests run in parallel without seeing each other.
//!
//! Hybrid tests add the on-premises half: [`Hybrid`] (the local relay, the handler's signing
//! key, and the real agent started from a TOML file) acting on the local Samba AD DC
//! ([`Samba`]), and [`AdSync`], a directory-sync stand-in that carries the AD account's
//! enabled state to the tenant simulator.

mod adsync;
mod app;
mod browser;
pub mod chaos;
pub mod cost;
mod credential;
mod hybrid;
pub mod leavers;
pub mod runbook;
pub mod samba;
mod signing;
mod stack;
pub mod writes;

pub use adsync::{AdSync, SyncLink, SyncedChange};
pub use browser::{BrowserSession, browser};
pub use hybrid::{Hybrid, RunningAgent};
pub use samba::Samba;

pub use app::{
    AUDITOR_UPN, Answer, Backend, OPERATOR_UPN, SIGNIN_APP_ID, TestApp, handler_executable,
    offboard_executable, spawn_app, spawn_app_with, spawn_app_without_brake,
};
pub use credential::SimCredential;
pub use signing::Secrets;
pub use stack::Stack;
pub use standin_tenant::SimConfig;
