//! End-to-end tests: real signed requests through the local Functions host into the real
//! `handler` executable, on each backend.

mod chaos;
mod compliance;
mod helpers;
mod host_boundary;
mod hybrid;
mod intake;
mod kill_switch;
mod logs;
mod oneperson;
mod pipeline;
mod queues;
mod refusals;
mod scim;
mod signin;
mod tamper;
mod worm;
