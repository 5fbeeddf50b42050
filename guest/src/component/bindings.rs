//! The generated WIT bindings and the exports: the canonical ABI's glue, the only `unsafe`
//! code in the component, all of it generated.
#![allow(unsafe_code)]

use super::Component;
use super::incoming::HttpHandler;

wit_bindgen::generate!({
    path: "../wit",
    world: "responder",
});

pub(super) use exports::certwatch::responder::handler as wit;

export!(Component);
wasip2::http::proxy::export!(HttpHandler with_types_in wasip2);
