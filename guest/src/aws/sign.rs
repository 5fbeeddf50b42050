//! SigV4 signing with `aws-sigv4`: the request's headers plus the signature's own.

use super::AwsRequest;
use crate::config::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::SystemTime;

/// Why `aws-sigv4` would not sign a request, e.g. a header value it cannot take.
#[derive(Debug, thiserror::Error)]
#[error("could not sign the {operation} request: {message}")]
pub struct SignError {
    operation: &'static str,
    message: String,
}

/// Signs requests with one set of credentials, made into an `aws-sigv4` identity once rather
/// than for every request.
pub struct Signer {
    identity: Identity,
}

impl Signer {
    /// Signs with `credentials`.
    pub fn new(credentials: &Credentials) -> Self {
        let identity = aws_credential_types::Credentials::new(
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.clone(),
            None,
            "certwatch",
        )
        .into();
        Self { identity }
    }

    /// Every header to send: the request's own, then `x-amz-date`, `x-amz-security-token`
    /// (with temporary credentials) and `authorization`.
    pub fn signed_headers(
        &self,
        request: &AwsRequest,
        time: SystemTime,
    ) -> Result<Vec<(String, String)>, SignError> {
        let fail = |e: &dyn std::fmt::Display| SignError {
            operation: request.operation.name(),
            message: e.to_string(),
        };
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&request.region)
            .name(request.operation.service().endpoint_prefix())
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| fail(&e))?
            .into();
        let signable = SignableRequest::new(
            request.method.as_str(),
            request.url.as_str(),
            request
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(&request.body),
        )
        .map_err(|e| fail(&e))?;
        let (instructions, _signature) =
            sign(signable, &params).map_err(|e| fail(&e))?.into_parts();
        let (added, _query) = instructions.into_parts();
        let mut headers = Vec::with_capacity(request.headers.len() + added.len());
        headers.extend(request.headers.iter().cloned());
        headers.extend(
            added
                .iter()
                .map(|h| (h.name().to_owned(), h.value().to_owned())),
        );
        Ok(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Operation;
    use std::time::{Duration, UNIX_EPOCH};

    fn request() -> AwsRequest {
        AwsRequest::new(
            Operation::DescribeCertificate,
            "us-east-1",
            http::Method::POST,
            "https://acm.us-east-1.amazonaws.com/".into(),
            br#"{"CertificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/abc"}"#.to_vec(),
        )
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "CertificateManager.DescribeCertificate")
    }

    fn signer(token: Option<&str>) -> Signer {
        Signer::new(&Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: token.map(str::to_owned),
        })
    }

    const TIME: Duration = Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z

    #[test]
    fn signs_with_date_and_authorization_headers() {
        let headers = signer(None)
            .signed_headers(&request(), UNIX_EPOCH + TIME)
            .unwrap();
        let names: Vec<_> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "x-amz-target",
                "x-amz-date",
                "authorization"
            ]
        );
        assert_eq!(headers[2].1, "20150830T123600Z");
        let auth = &headers[3].1;
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/acm/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="),
            "{auth}"
        );
    }

    #[test]
    fn signing_is_deterministic_and_covers_the_body() {
        let at = UNIX_EPOCH + TIME;
        let signer = signer(None);
        let a = signer.signed_headers(&request(), at).unwrap();
        assert_eq!(a, signer.signed_headers(&request(), at).unwrap());
        let mut other = request();
        other.body.push(b' ');
        assert_ne!(a, signer.signed_headers(&other, at).unwrap());
    }

    #[test]
    fn temporary_credentials_send_their_token() {
        let headers = signer(Some("TOKEN"))
            .signed_headers(&request(), UNIX_EPOCH + TIME)
            .unwrap();
        assert!(headers.contains(&("x-amz-security-token".into(), "TOKEN".into())));
    }
}
