//! certwatch's component: reacts to EventBridge "ACM Certificate Approaching Expiration"
//! events by describing the certificate, deciding whether it is inside the expiry window, and
//! if so importing a Security Hub finding and publishing an SNS notification.
//!
//! Everything but [`component`] is plain Rust without I/O, tested natively.

pub mod allocator;
pub mod arn;
pub mod asff;
pub mod aws;
pub mod config;
pub mod event;
pub mod expiry;
pub mod filter;
pub mod finding;
pub mod notification;
pub mod outcome;
pub mod partition;
pub mod renewal_action;
pub mod responder;
pub mod scan;
pub mod timestamp;

/// One event per instance, and thousands of small blocks in each: see [`allocator`].
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: allocator::SizeClasses = allocator::SizeClasses::new();

#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;
