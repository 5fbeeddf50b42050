//! `GET /metrics`: the exporter's page, answered by the host from what it holds, with no AWS
//! call and without the component.

use crate::prometheus::Exporter;
use crate::prometheus::exposition::{CONTENT_TYPE, Family};
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// The page, with `more` families after the exporter's: counts kept elsewhere in serve join
/// with one line each, e.g. `exposition::counters(connections.counts())`.
pub(super) fn answer(
    exporter: &Exporter,
    more: impl IntoIterator<Item = Family>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(exporter.render(more))));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    response
}
