//! certwatch's integration tests: the real component in the real host.

mod alerts;
mod cache;
mod cli;
mod credentials;
mod deploy;
mod fan_out;
mod faults;
mod kubernetes;
mod lambda;
mod lambda_arm64;
mod lambda_own_account;
mod lifecycle;
mod load;
mod moto;
mod organization;
mod prometheus;
mod replay;
mod sandbox;
mod scan;
mod secrets;
mod serve;
mod slow_clients;
mod support;
mod wasmcloud;
