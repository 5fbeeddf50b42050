//! Host-side bindings for the `responder-host` world in `wit/`: the `responder` world's exports,
//! and the `progress` import this host provides. The portable component (`responder`) exports
//! the same, so these bindings run it too; it just never calls `progress`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "responder-host",
    exports: { default: async },
});

pub use self::certwatch::responder::progress;
pub use self::exports::certwatch::responder::handler as wit;
