//! One AWS call from start to end: signed ([`super::sign`]), sent through the [`Platform`],
//! retried as the [`RetryPolicy`] allows, its reply parsed, and any error blanked of the
//! credentials before anyone sees it. In a dry run a write is noted instead of sent, and
//! answered as AWS would answer it.

use super::retry::RetryPolicy;
use super::sign::Signer;
use super::{AwsRequest, AwsResponse, CallError, SendFailure};
use crate::config::Credentials;
use crate::outcome::PlannedRequest;
use certwatch_contract::ScanProgress;
use std::cell::RefCell;
use std::time::Duration;
use time::OffsetDateTime;

/// What the responder needs from where it runs.
pub trait Platform {
    /// The wall clock, read afresh whenever it is needed.
    fn now(&self) -> OffsetDateTime;
    /// Sends a signed request; `Err` says why no reply came.
    fn send(&self, request: &AwsRequest) -> impl Future<Output = Result<AwsResponse, SendFailure>>;
    /// Waits `duration`: the pause before a failed request is sent again.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;
    /// Uniform in `[0, 1)`, for retry jitter.
    fn jitter(&self) -> f64;
    /// How far a scan has come. Only for showing (the host's progress line): what happens
    /// here changes nothing in the scan. Nothing by default, as on a host without the
    /// component's `progress` import.
    fn progress(&self, _progress: &ScanProgress) {}
}

/// How every call of one event is made.
#[derive(Debug, Clone, Copy)]
pub struct CallOptions<'a> {
    /// Note writes instead of sending them (`DRY_RUN`).
    pub dry_run: bool,
    /// The X-Ray trace header passed on to AWS, unsigned, as the AWS SDKs send it.
    pub trace_id: Option<&'a str>,
    /// How long one attempt waits for its reply.
    pub reply_timeout: Duration,
}

/// Makes calls with one set of credentials: an event's (or, across accounts, one account's).
pub struct Caller<'a, P> {
    platform: &'a P,
    credentials: &'a Credentials,
    signer: Signer,
    retry: RetryPolicy,
    options: CallOptions<'a>,
    /// In a dry run, the writes that were not sent.
    planned: RefCell<Vec<PlannedRequest>>,
}

impl<'a, P: Platform> Caller<'a, P> {
    /// Calls through `platform`, signed with `credentials`, made as `options` say.
    pub fn new(platform: &'a P, credentials: &'a Credentials, options: CallOptions<'a>) -> Self {
        Self {
            platform,
            credentials,
            signer: Signer::new(credentials),
            retry: RetryPolicy::default(),
            options,
            planned: RefCell::default(),
        }
    }

    /// Where the calls go out.
    pub fn platform(&self) -> &'a P {
        self.platform
    }

    /// The writes a dry run noted instead of sending, taken.
    pub fn take_planned(&self) -> Vec<PlannedRequest> {
        self.planned.take()
    }

    /// Signs and sends `request`, retrying what the retry policy allows, and parses the reply.
    pub async fn call<T>(
        &self,
        request: AwsRequest,
        parse: impl Fn(&AwsResponse) -> Result<T, CallError>,
    ) -> Result<T, CallError> {
        let operation = request.operation;
        if self.options.dry_run && operation.writes() {
            self.planned.borrow_mut().push(PlannedRequest {
                operation: operation.name().to_owned(),
                url: request.url.clone(),
                body: String::from_utf8_lossy(&request.body).into_owned(),
            });
            return parse(&super::dry_run_reply(&request));
        }
        let mut request = match self.options.trace_id {
            Some(trace) => request.header("x-amzn-trace-id", trace),
            None => request,
        };
        request.reply_timeout = Some(self.options.reply_timeout);
        let mut attempt = 1;
        loop {
            let now = self.platform.now();
            let signed_headers = self
                .signer
                .signed_headers(&request, now.into())
                .map_err(|e| CallError::Transport {
                    operation,
                    message: e.to_string(),
                })?;
            // Sent with the signature's headers, then back to its own for the next attempt:
            // the body is not copied.
            let unsigned = std::mem::replace(&mut request.headers, signed_headers);
            let sent = self.platform.send(&request).await;
            request.headers = unsigned;
            let error = match sent {
                Ok(response) => match parse(&response) {
                    Ok(value) => return Ok(value),
                    Err(error) => error,
                },
                Err(SendFailure::Failed(message)) => CallError::Transport { operation, message },
                Err(SendFailure::Refused) => CallError::Refused {
                    operation,
                    origin: super::origin(&request.url),
                },
            };
            match self
                .retry
                .delay_after(attempt, &error, self.platform.jitter())
            {
                Some(delay) => self.platform.sleep(delay).await,
                None => return Err(error.redacted(&self.secrets())),
            }
            attempt += 1;
        }
    }

    /// The credentials, which no error may quote.
    fn secrets(&self) -> Vec<&str> {
        let mut secrets = vec![
            self.credentials.access_key_id.as_str(),
            self.credentials.secret_access_key.as_str(),
        ];
        secrets.extend(self.credentials.session_token.as_deref());
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arn::CertificateArn;
    use crate::aws::{Operation, acm};
    use std::cell::Cell;

    /// A host that refuses every request, counting them.
    struct Refusing(Cell<u32>);

    impl Platform for Refusing {
        fn now(&self) -> OffsetDateTime {
            OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000)
        }
        async fn send(&self, _: &AwsRequest) -> Result<AwsResponse, SendFailure> {
            self.0.set(self.0.get() + 1);
            Err(SendFailure::Refused)
        }
        async fn sleep(&self, _: Duration) {}
        fn jitter(&self) -> f64 {
            0.5
        }
    }

    #[test]
    fn a_refused_request_is_sent_once_and_reported_as_refused_naming_the_host() {
        let credentials = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        };
        let platform = Refusing(Cell::new(0));
        let options = CallOptions {
            dry_run: false,
            trace_id: None,
            reply_timeout: Duration::from_secs(1),
        };
        let caller = Caller::new(&platform, &credentials, options);
        let arn = CertificateArn::parse("arn:aws-cn:acm:cn-north-1:123456789012:certificate/abc")
            .unwrap();
        let request = acm::describe_certificate("https://acm.cn-north-1.amazonaws.com.cn", &arn);
        let mut poll = std::pin::pin!(caller.call(request, acm::parse_describe_certificate));
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let std::task::Poll::Ready(result) = poll.as_mut().poll(&mut context) else {
            panic!("the call waited on nothing");
        };
        let error = result.unwrap_err();
        assert_eq!(platform.0.get(), 1, "a refusal is never sent again");
        assert_eq!(
            error,
            CallError::Refused {
                operation: Operation::DescribeCertificate,
                origin: "https://acm.cn-north-1.amazonaws.com.cn".into(),
            }
        );
        assert!(!error.is_retryable());
        let failure = crate::outcome::Failure::from(error);
        assert_eq!(failure.kind, crate::outcome::ErrorKind::Refused);
        assert!(
            failure
                .message
                .contains("refused the request to https://acm.cn-north-1.amazonaws.com.cn"),
            "{}",
            failure.message
        );
    }
}
