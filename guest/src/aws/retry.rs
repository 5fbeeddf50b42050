//! When and how long to wait before sending a failed request again, as the AWS SDKs' standard
//! retry mode does it: at most three attempts, exponential backoff with full jitter.

use super::CallError;
use std::time::Duration;

/// How often a call is tried and how long it waits between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first one included.
    pub max_attempts: u32,
    /// The longest the first wait can be; the ceiling doubles with each try.
    pub base_delay: Duration,
    /// The longest any wait can be.
    pub max_delay: Duration,
    /// The first wait after a finding conflict: Security Hub clears one once it has processed
    /// the import the update met, which takes longer than a throttled request waits.
    pub conflict_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            conflict_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1` after `error` ended attempt `attempt`
    /// (counting from 1), or `None` to give up. `jitter` is uniform in `[0, 1)`.
    pub fn delay_after(&self, attempt: u32, error: &CallError, jitter: f64) -> Option<Duration> {
        if attempt >= self.max_attempts || !error.is_retryable() {
            return None;
        }
        let conflict = error.is_finding_conflict();
        let base = if conflict {
            self.conflict_delay
        } else {
            self.base_delay
        };
        let jitter = jitter.clamp(0.0, 1.0);
        // A conflict waits at least half its ceiling: at once would meet the same import.
        let share = if conflict { 0.5 + jitter / 2.0 } else { jitter };
        Some(self.ceiling(base, attempt).mul_f64(share))
    }

    /// The wait before sending again the part of a batch that was refused for the service's
    /// own fault (SQS's `SenderFault: false`) after attempt `attempt`, or `None` to give up:
    /// the same backoff as a throttled request's.
    pub fn delay_for_refused_part(&self, attempt: u32, jitter: f64) -> Option<Duration> {
        (attempt < self.max_attempts).then(|| {
            self.ceiling(self.base_delay, attempt)
                .mul_f64(jitter.clamp(0.0, 1.0))
        })
    }

    /// `base` doubled for each attempt after the first, at most `max_delay`.
    fn ceiling(&self, base: Duration, attempt: u32) -> Duration {
        base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Operation;

    fn throttled() -> CallError {
        CallError::Service {
            operation: Operation::Publish,
            status: 400,
            code: "Throttling".into(),
            message: String::new(),
        }
    }

    #[test]
    fn retries_throttling_twice_with_growing_ceilings() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay_after(1, &throttled(), 0.999_999),
            Some(Duration::from_nanos(199_999_800))
        );
        assert_eq!(
            policy.delay_after(2, &throttled(), 0.5),
            Some(Duration::from_millis(200))
        );
        assert_eq!(policy.delay_after(3, &throttled(), 0.5), None);
    }

    #[test]
    fn a_finding_conflict_waits_longer_and_never_at_once() {
        let conflict = CallError::Service {
            operation: Operation::BatchUpdateFindings,
            status: 200,
            code: "ConcurrentUpdateError".into(),
            message: String::new(),
        };
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay_after(1, &conflict, 0.0),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            policy.delay_after(2, &conflict, 1.0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.delay_after(3, &conflict, 0.5), None);
    }

    #[test]
    fn never_retries_a_client_error() {
        let denied = CallError::Service {
            operation: Operation::Publish,
            status: 403,
            code: "AuthorizationError".into(),
            message: String::new(),
        };
        assert_eq!(RetryPolicy::default().delay_after(1, &denied, 0.5), None);
    }

    #[test]
    fn a_refused_part_of_a_batch_backs_off_as_throttling_does() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay_for_refused_part(2, 0.5),
            policy.delay_after(2, &throttled(), 0.5)
        );
        assert_eq!(policy.delay_for_refused_part(3, 0.5), None);
    }

    #[test]
    fn full_jitter_can_be_zero_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 30,
            ..RetryPolicy::default()
        };
        assert_eq!(
            policy.delay_after(1, &throttled(), 0.0),
            Some(Duration::ZERO)
        );
        assert_eq!(
            policy.delay_after(29, &throttled(), 1.0),
            Some(Duration::from_secs(5))
        );
    }
}
