//! # offboard-testkit
//!
//! One helper, [`spawn_app`], starts offboard the way it runs in production — the real
//! `handler` executable behind a Functions host (here the local stand-in) — on a backend of
//! the test's choice, and returns a [`TestApp`] with typed request helpers. Every test gets
//! its own data (its own embedded database, or its own Azurite and Cosmos server on free
//! ports), so tests run in parallel without seeing each other.

mod app;
mod credential;
mod signing;
mod stack;

pub use app::{Answer, Backend, TestApp, offboard_executable, spawn_app, spawn_app_with};
pub use credential::SimCredential;
pub use signing::Secrets;
pub use stack::Stack;
pub use standin_tenant::SimConfig;
