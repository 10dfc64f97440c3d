//! End-to-end tests: real signed requests through the local Functions host into the real
//! `handler` executable, on each backend.

mod activity;
mod browser;
mod chaos;
mod compliance;
mod connectors;
mod dashboard;
mod delete_account;
mod doors;
mod guardrails;
mod helpers;
mod host_boundary;
mod hybrid;
mod intake;
mod kill_switch;
mod logs;
mod mailbox_doors;
mod oneperson;
mod pim_owners;
mod pipeline;
mod queues;
mod reconcile;
mod refusals;
mod restore;
mod roles;
mod scim;
mod sharing;
mod signin;
mod tamper;
mod verifier;
mod worm;
