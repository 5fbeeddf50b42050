//! certwatch's integration tests: the real component in the real host.

mod cli;
mod replay;
mod support;
