//! One AWS call from start to end: signed ([`super::sign`]), sent through the [`Platform`],
//! retried as the [`RetryPolicy`] allows, its reply parsed, and any error blanked of the
//! credentials before anyone sees it. In a dry run a write is noted instead of sent, and
//! answered as AWS would answer it.

use super::retry::RetryPolicy;
use super::sign::Signer;
use super::{AwsRequest, AwsResponse, CallError, SendFailure};
use crate::config::Credentials;
use crate::outcome::PlannedRequest;
use std::cell::RefCell;
use std::time::Duration;
use time::OffsetDateTime;

/// What the responder needs from where it runs.
pub trait Platform {
    /// The wall clock, read afresh whenever it is needed.
    fn now(&self) -> OffsetDateTime;
    /// Sends a signed request; `Err` says why no reply came.
    fn send(&self, request: &AwsRequest) -> impl Future<Output = Result<AwsResponse, SendFailure>>;
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;
    /// Uniform in `[0, 1)`, for retry jitter.
    fn jitter(&self) -> f64;
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
