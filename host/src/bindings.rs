//! Host-side bindings for the `responder` world in `wit/`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "responder",
    exports: { default: async },
});

pub use exports::certwatch::responder::handler as wit;
