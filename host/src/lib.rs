//! certwatch's host: runs the responder component on EventBridge events, live against AWS,
//! recording, or replaying recorded fixtures offline.

pub mod bindings;
pub mod environment;
pub mod fixture;
pub mod lambda;
pub mod metrics;
pub mod outbound;
pub mod outcome;
pub mod policy;
pub mod precompiled;
pub mod record;
pub mod replay;
pub mod runtime;
pub mod sandbox;
pub mod serve;
pub mod setup;
pub mod upstream;
