//! `wasi:http/incoming-handler`: the same responder for WASI HTTP platforms (`wasmtime serve`,
//! jco, ...). `POST` an EventBridge event, get its outcome as JSON: 200 handled (or not for
//! certwatch), 400 a bad event, 5xx a failure, so the sender retries.

use super::outgoing::read_all;
use crate::event::MAX_EVENT_BYTES;
use crate::outcome::{ErrorKind, Outcome};
use certwatch_contract::http_status;
use wasip2::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wstd::io::AsyncOutputStream;

/// The component's `wasi:http/incoming-handler` export.
pub(super) struct HttpHandler;

impl wasip2::exports::wasi::http::incoming_handler::Guest for HttpHandler {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let (status, body) = wstd::runtime::block_on(answer(request));
        wstd::runtime::block_on(respond(response_out, status, body));
    }
}

async fn answer(request: IncomingRequest) -> (u16, String) {
    if !matches!(request.method(), Method::Post) {
        let refusal =
            Outcome::failure(ErrorKind::Input, "POST an EventBridge event as JSON", false);
        return (405, json(&refusal));
    }
    let event = match read_event(&request).await {
        Ok(event) => event,
        Err((status, message)) => {
            // Too large for an event, or not one at all.
            let kind = match status {
                413 => ErrorKind::Input,
                _ => ErrorKind::MalformedEvent,
            };
            return (status, json(&Outcome::failure(kind, message, false)));
        }
    };
    let outcome = super::handle_event_async(&event).await;
    (http_status(&outcome), json(&outcome))
}

/// The outcome as `certwatch run` prints it.
fn json(outcome: &Outcome) -> String {
    // The outcome's types serialise without fail: their maps' keys are strings.
    serde_json::to_string_pretty(outcome).unwrap_or_default()
}

/// The request body, as text, within EventBridge's size limit.
async fn read_event(request: &IncomingRequest) -> Result<String, (u16, String)> {
    let body = request
        .consume()
        .map_err(|()| (400, "the request has no body".to_string()))?;
    let stream = body
        .stream()
        .map_err(|()| (400, "the request body cannot be read".to_string()))?;
    let bytes = read_all(stream, MAX_EVENT_BYTES)
        .await
        .map_err(|e| (413, format!("the event body is {e}")))?;
    String::from_utf8(bytes).map_err(|_| (400, "the event is not UTF-8 text".to_string()))
}

async fn respond(response_out: ResponseOutparam, status: u16, body: String) {
    let headers = Fields::from_list(&[("content-type".to_string(), b"application/json".to_vec())]);
    let Ok(headers) = headers else { return };
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(status);
    let Ok(outgoing) = response.body() else {
        return;
    };
    ResponseOutparam::set(response_out, Ok(response));
    if let Ok(stream) = outgoing.write() {
        let stream = AsyncOutputStream::new(stream);
        let _ = stream.write_all(body.as_bytes()).await;
        let _ = stream.flush().await;
    }
    let _ = OutgoingBody::finish(outgoing, None);
}
