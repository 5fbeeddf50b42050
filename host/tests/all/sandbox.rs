//! What the component is allowed to reach.

use crate::support::runtime;

#[test]
fn the_component_imports_only_what_it_needs() {
    let imports = runtime().component_imports();
    let interface = |name: &str| name.split('@').next().unwrap_or(name).to_owned();
    let allowed = |name: &str| {
        let interface = interface(name);
        matches!(
            interface.as_str(),
            "wasi:http/types"
                | "wasi:http/outgoing-handler"
                | "wasi:io/error"
                | "wasi:io/poll"
                | "wasi:io/streams"
                | "wasi:clocks/wall-clock"
                | "wasi:clocks/monotonic-clock"
                | "wasi:random/random"
                | "wasi:random/insecure-seed"
                | "wasi:cli/environment"
                | "wasi:cli/exit"
                | "wasi:cli/stderr"
        ) ||
            // Linked by the runtime libraries (std's and wstd's stdio), never called by
            // certwatch; the host connects stdin to nothing and keeps stdout in memory.
            matches!(interface.as_str(), "wasi:cli/stdin" | "wasi:cli/stdout")
            || interface.starts_with("wasi:cli/terminal-")
    };
    let extra: Vec<_> = imports.iter().filter(|name| !allowed(name)).collect();
    assert!(
        extra.is_empty(),
        "the component imports more than it needs: {extra:?}"
    );
    assert!(
        !imports
            .iter()
            .any(|name| name.starts_with("wasi:filesystem") || name.starts_with("wasi:sockets")),
        "the component must reach no files and no sockets: {imports:?}"
    );
    for needed in [
        "wasi:http/outgoing-handler",
        "wasi:clocks/wall-clock",
        "wasi:cli/environment",
    ] {
        assert!(
            imports.iter().any(|name| name.starts_with(needed)),
            "{needed} missing from {imports:?}"
        );
    }
}
