//! The generated WIT bindings and the exports: the canonical ABI's glue, the only `unsafe`
//! code in the component, all of it generated. The world is `responder` (exports only: any
//! WASI HTTP host runs it), or with the `host-progress` feature `responder-host`, which also
//! imports `progress` from certwatch's own host.
#![allow(unsafe_code)]

use super::Component;
use super::incoming::HttpHandler;

#[cfg(not(feature = "host-progress"))]
wit_bindgen::generate!({
    path: "../wit",
    world: "responder",
});

#[cfg(feature = "host-progress")]
wit_bindgen::generate!({
    path: "../wit",
    world: "responder-host",
});

#[cfg(feature = "host-progress")]
pub(super) use certwatch::responder::progress;
pub(super) use exports::certwatch::responder::handler as wit;

export!(Component);
wasip2::http::proxy::export!(HttpHandler with_types_in wasip2);
