//! The timestamp formats certwatch writes.

use time::OffsetDateTime;
use time::macros::format_description;

/// RFC 3339 in UTC with milliseconds, as ASFF's examples write it: `2026-11-29T12:00:00.000Z`.
pub fn rfc3339_millis(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// RFC 3339 in UTC to the second: `2026-11-29T12:00:00Z`.
pub fn rfc3339_seconds(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// For people: `2026-12-10 12:00 UTC`.
pub fn human(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
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
