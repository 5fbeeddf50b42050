//! certwatch's integration tests: the real component in the real host.

mod alerts;
mod cache;
mod cli;
mod credentials;
mod deploy;
mod faults;
mod lambda;
mod lifecycle;
mod load;
mod moto;
mod replay;
mod sandbox;
mod scan;
mod secrets;
mod serve;
mod support;
