//! The HTTPS client aws-config's providers reach STS, SSO, a container endpoint or instance
//! metadata with, made only when one of them first sends a request.
//!
//! Making the client's connector loads and parses every root certificate on the system
//! (`rustls-native-certs`: a few milliseconds), and aws-config asks for connectors while it
//! sets its providers up, whether or not any will send a request. Most starts take their
//! credentials from the environment and send none, so the connector is made on the first call.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::{Arc, OnceLock};

/// rustls with ring (as the host's own client) and the system's root certificates, made on the
/// first request.
#[derive(Debug, Clone, Default)]
pub(super) struct LazyHttps {
    client: Arc<OnceLock<SharedHttpClient>>,
}

impl LazyHttps {
    fn client(&self) -> &SharedHttpClient {
        self.client.get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build_https()
        })
    }
}

impl HttpClient for LazyHttps {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LazyConnector {
            https: self.clone(),
            settings: settings.clone(),
            components: components.clone(),
            connector: OnceLock::new(),
        })
    }
}

/// A connector with the settings it was asked for, made on its first call.
#[derive(Debug)]
struct LazyConnector {
    https: LazyHttps,
    settings: HttpConnectorSettings,
    components: RuntimeComponents,
    connector: OnceLock<SharedHttpConnector>,
}

impl HttpConnector for LazyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.connector
            .get_or_init(|| {
                self.https
                    .client()
                    .http_connector(&self.settings, &self.components)
            })
            .call(request)
    }
}
