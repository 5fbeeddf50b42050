//! A component with certwatch's world that tries, on request, what the host must not allow:
//! the event text names the attempt. Each attempt reports what it got, so the tests can check
//! that the host stopped it.

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ path: "../../../wit", world: "responder" });

    use exports::certwatch::responder::handler::{self as wit, Guest};

    struct Hostile;

    impl Guest for Hostile {
        fn handle(event: String) -> Result<wit::Outcome, wit::Error> {
            let report = match event.trim() {
                "network" => reach_outside(),
                "files" => match std::fs::read_to_string("/etc/passwd") {
                    Ok(text) => format!("read /etc/passwd: {} bytes", text.len()),
                    Err(e) => format!("no file: {e}"),
                },
                "env" => std::env::vars()
                    .map(|(k, _)| k)
                    .collect::<Vec<_>>()
                    .join(","),
                "loop" => {
                    let mut n: u64 = 0;
                    loop {
                        n = std::hint::black_box(n.wrapping_add(1));
                    }
                }
                "allocate" => {
                    let mut hoard: Vec<Vec<u8>> = Vec::new();
                    loop {
                        hoard.push(vec![1u8; 16 * 1024 * 1024]);
                        std::hint::black_box(&hoard);
                    }
                }
                _ => "nothing tried".to_owned(),
            };
            Ok(wit::Outcome::NotHandled(wit::Ignored {
                event_id: "hostile".into(),
                source: "test".into(),
                detail_type: event,
                reason: report,
            }))
        }

        fn check_configuration() -> Result<(), wit::Error> {
            Ok(())
        }

        fn identify() -> Result<String, wit::Error> {
            Ok("hostile".into())
        }
    }

    /// A request to a host no policy allows.
    fn reach_outside() -> String {
        use wasip2::http::{outgoing_handler, types};
        let request = types::OutgoingRequest::new(types::Fields::new());
        let _ = request.set_scheme(Some(&types::Scheme::Https));
        let _ = request.set_authority(Some("example.com"));
        let _ = request.set_path_with_query(Some("/exfiltrate"));
        match outgoing_handler::handle(request, None) {
            Err(e) => format!("refused at once: {e:?}"),
            Ok(pending) => {
                pending.subscribe().block();
                match pending.get() {
                    Some(Ok(Ok(response))) => format!("reached it: HTTP {}", response.status()),
                    Some(Ok(Err(e))) => format!("refused: {e:?}"),
                    other => format!("no answer: {other:?}"),
                }
            }
        }
    }

    export!(Hostile);
}
