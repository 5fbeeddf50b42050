//! certwatch's component: reacts to EventBridge "ACM Certificate Approaching Expiration"
//! events by describing the certificate, deciding whether it is inside the expiry window, and
//! if so importing a Security Hub finding and publishing an SNS notification.
//!
//! Everything but `component` (the WASI shell, built for wasm32 only) is plain Rust without
//! I/O, tested natively; `tests/replay.rs` replays every fixture through it.

// No `unsafe` of the component's own: the generated bindings in `component::bindings` are
// the one exception (an allowed deny, since `forbid` cannot be lifted for generated code).
#![deny(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod account;
pub mod account_scan_event;
pub mod alert_event;
pub mod arn;
pub(crate) mod asff;
pub mod aws;
pub mod certificate;
pub mod chat;
pub mod chat_alert;
pub mod config;
pub mod decision;
pub mod event;
pub mod filter;
pub mod finding;
pub mod notification;
pub mod organization;
pub mod outcome;
pub mod partition;
pub mod renewal_action;
pub mod responder;
pub mod scan;
pub mod timestamp;

#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;
