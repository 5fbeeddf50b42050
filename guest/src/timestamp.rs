//! The timestamp formats certwatch writes. Written with `format!`, as aws-sigv4 writes its own:
//! `time`'s format descriptions cost the component about 25 KB of code for three fixed layouts.

use time::{OffsetDateTime, UtcOffset};

/// RFC 3339 in UTC with milliseconds, as ASFF's examples write it: `2026-11-29T12:00:00.000Z`.
pub fn rfc3339_millis(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// RFC 3339 in UTC to the second: `2026-11-29T12:00:00Z`.
pub fn rfc3339_seconds(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// For people: `2026-12-10 12:00 UTC`.
pub fn human(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats() {
        let at = datetime!(2026-12-10 12:00:05.25 +01:00);
        assert_eq!(rfc3339_millis(at), "2026-12-10T11:00:05.250Z");
        assert_eq!(rfc3339_seconds(at), "2026-12-10T11:00:05Z");
        assert_eq!(human(at), "2026-12-10 11:00 UTC");
    }
}
