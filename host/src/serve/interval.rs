//! `--scan-every`'s durations: whole numbers with a unit, `6h`, `30m`, `10s`, `1d`, or
//! several together, `1h30m`.

use std::time::Duration;

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntervalError {
    /// Nothing given.
    #[error("no duration given (write it as 6h, 30m or 10s)")]
    Empty,
    /// A number without a unit, a unit without a number, or a unit certwatch does not know.
    #[error(
        "{0:?} is not a duration: write whole numbers with a unit, s, m, h or d (6h, 1h30m, 10s)"
    )]
    Malformed(String),
    /// Zero: a scan without pause.
    #[error("the interval must be longer than zero")]
    Zero,
    /// More seconds than a duration holds.
    #[error("{0:?} is too long")]
    TooLong(String),
}

/// `text` as a duration.
pub fn parse(text: &str) -> Result<Duration, IntervalError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(IntervalError::Empty);
    }
    let malformed = || IntervalError::Malformed(text.to_owned());
    let mut seconds: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(malformed());
        }
        let (number, after) = rest.split_at(digits);
        let unit_length = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_length);
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            _ => return Err(malformed()),
        };
        let part = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(scale))
            .ok_or_else(|| IntervalError::TooLong(text.to_owned()))?;
        seconds = seconds
            .checked_add(part)
            .ok_or_else(|| IntervalError::TooLong(text.to_owned()))?;
        rest = next;
    }
    match seconds {
        0 => Err(IntervalError::Zero),
        s => Ok(Duration::from_secs(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_their_sums() {
        assert_eq!(parse("6h"), Ok(Duration::from_secs(6 * 3_600)));
        assert_eq!(parse("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse(" 1h30m "), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse("1m1s"), Ok(Duration::from_secs(61)));
    }

    #[test]
    fn what_is_not_a_duration_is_refused_with_the_reason() {
        assert_eq!(parse(""), Err(IntervalError::Empty));
        assert_eq!(parse("0s"), Err(IntervalError::Zero));
        for bad in [
            "6",
            "h",
            "6x",
            "6 h",
            "-6h",
            "1.5h",
            "6hh",
            "six hours",
            "6H",
        ] {
            assert_eq!(
                parse(bad),
                Err(IntervalError::Malformed(bad.into())),
                "{bad}"
            );
        }
        assert!(matches!(
            parse("99999999999999999999s"),
            Err(IntervalError::TooLong(_))
        ));
        assert!(matches!(
            parse("18446744073709551615d"),
            Err(IntervalError::TooLong(_))
        ));
        assert!(
            parse("6x")
                .unwrap_err()
                .to_string()
                .contains("s, m, h or d")
        );
    }
}
