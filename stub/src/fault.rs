//! The faults the stub injects: scripted ("the first two DescribeCertificate calls are
//! throttled") or at random ("5 % of all requests fail somehow"), and how each is written.

use crate::operation::Operation;
use std::str::FromStr;
use std::time::Duration;

/// One way a reply can go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The service's throttling error, as its protocol writes it (429 for Security Hub).
    Throttle,
    /// An error status with the protocol's error body (500 InternalFailure, 503 unavailable).
    Status(u16),
    /// The normal reply, after this long.
    Slow(Duration),
    /// The connection is closed without a reply.
    Reset,
    /// The normal reply, cut off half way.
    Truncated,
    /// A success status with a body that is not the protocol's syntax.
    Malformed,
    /// A success status with an HTML page, as a proxy might send.
    WrongContentType,
    /// A success status with no body at all.
    Empty,
    /// An error that quotes the request's signature and session token back, as some AWS
    /// errors quote the request: what certwatch must never pass on.
    Echo,
}

impl Fault {
    /// The faults random injection picks from: each ends quickly, so a load run stays fast.
    pub const RANDOM: [Fault; 8] = [
        Fault::Throttle,
        Fault::Status(500),
        Fault::Status(503),
        Fault::Reset,
        Fault::Truncated,
        Fault::Malformed,
        Fault::WrongContentType,
        Fault::Empty,
    ];
}

/// A fault name the stub does not know.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "unknown fault {0:?}: use throttle, a status such as 500, slow:<ms>, reset, truncated, malformed, html, empty or echo"
)]
pub struct UnknownFault(String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fault = match text {
            "throttle" => Fault::Throttle,
            "reset" => Fault::Reset,
            "truncated" => Fault::Truncated,
            "malformed" => Fault::Malformed,
            "html" => Fault::WrongContentType,
            "empty" => Fault::Empty,
            "echo" => Fault::Echo,
            _ => {
                if let Some(ms) = text.strip_prefix("slow:") {
                    let ms = ms.parse().map_err(|_| UnknownFault(text.to_owned()))?;
                    Fault::Slow(Duration::from_millis(ms))
                } else {
                    match text.parse::<u16>() {
                        Ok(status @ 400..=599) => Fault::Status(status),
                        _ => return Err(UnknownFault(text.to_owned())),
                    }
                }
            }
        };
        Ok(fault)
    }
}

/// A scripted fault: the next `times` calls of `operation` (every operation when `None`) get
/// `fault`, then they are answered normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// The operation whose calls get the fault; every operation's when `None`.
    pub operation: Option<Operation>,
    /// What they get.
    pub fault: Fault,
    /// How many calls are left to get it.
    pub times: u32,
}

/// Why a fault rule's text does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadRule {
    /// Not `<operation or *>=<fault>[*<times>]`.
    #[error("a fault rule reads <operation or *>=<fault>[*<times>], not {0:?}")]
    Syntax(String),
    /// An operation the stub does not answer.
    #[error(transparent)]
    Operation(#[from] crate::operation::UnknownOperation),
    /// A fault the stub does not know.
    #[error(transparent)]
    Fault(#[from] UnknownFault),
}

impl FromStr for FaultRule {
    type Err = BadRule;

    /// `DescribeCertificate=throttle*2`, `Publish=503*3`, `*=reset`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (operation, rest) = text
            .split_once('=')
            .ok_or_else(|| BadRule::Syntax(text.to_owned()))?;
        let (fault, times) = match rest.rsplit_once('*') {
            Some((fault, times)) => (
                fault,
                times
                    .parse()
                    .map_err(|_| BadRule::Syntax(text.to_owned()))?,
            ),
            None => (rest, 1),
        };
        let operation = match operation {
            "*" => None,
            name => Some(name.parse()?),
        };
        Ok(FaultRule {
            operation,
            fault: fault.parse()?,
            times,
        })
    }
}

/// Decides, request by request, which fault (if any) to inject.
#[derive(Debug)]
pub struct FaultPlan {
    rules: Vec<FaultRule>,
    random_rate: f64,
    random: fastrand::Rng,
}

impl FaultPlan {
    /// `random_rate` of the requests no rule claims get a fault picked from [`Fault::RANDOM`],
    /// reproducibly for a given `seed`.
    pub fn new(rules: Vec<FaultRule>, random_rate: f64, seed: u64) -> Self {
        Self {
            rules,
            random_rate: random_rate.clamp(0.0, 1.0),
            random: fastrand::Rng::with_seed(seed),
        }
    }

    /// The fault the next `operation` request gets, if any: the first rule's that has calls
    /// left, else perhaps a random one.
    pub fn next(&mut self, operation: Operation) -> Option<Fault> {
        let rule = self
            .rules
            .iter_mut()
            .find(|r| r.times > 0 && r.operation.is_none_or(|o| o == operation));
        if let Some(rule) = rule {
            rule.times -= 1;
            return Some(rule.fault);
        }
        if self.random_rate > 0.0 && self.random.f64() < self.random_rate {
            return Some(Fault::RANDOM[self.random.usize(..Fault::RANDOM.len())]);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rules() {
        assert_eq!(
            "DescribeCertificate=throttle*2".parse(),
            Ok(FaultRule {
                operation: Some(Operation::DescribeCertificate),
                fault: Fault::Throttle,
                times: 2
            })
        );
        assert_eq!(
            "*=slow:1500".parse(),
            Ok(FaultRule {
                operation: None,
                fault: Fault::Slow(Duration::from_millis(1500)),
                times: 1
            })
        );
        assert_eq!(
            "Publish=503*3".parse::<FaultRule>().map(|r| r.fault),
            Ok(Fault::Status(503))
        );
        assert!("Publish=200".parse::<FaultRule>().is_err());
        assert!("Publish".parse::<FaultRule>().is_err());
        assert!("Nope=reset".parse::<FaultRule>().is_err());
    }

    #[test]
    fn rules_apply_their_number_of_times_then_stop() {
        let mut plan = FaultPlan::new(vec!["Publish=reset*2".parse().unwrap()], 0.0, 1);
        assert_eq!(plan.next(Operation::DescribeCertificate), None);
        assert_eq!(plan.next(Operation::Publish), Some(Fault::Reset));
        assert_eq!(plan.next(Operation::Publish), Some(Fault::Reset));
        assert_eq!(plan.next(Operation::Publish), None);
    }

    #[test]
    fn random_faults_come_at_about_their_rate() {
        let mut plan = FaultPlan::new(vec![], 0.1, 7);
        let faults = (0..10_000)
            .filter(|_| plan.next(Operation::Publish).is_some())
            .count();
        assert!((800..1_200).contains(&faults), "{faults}");
    }
}
