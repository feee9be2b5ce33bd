//! UTC calendar arithmetic: FunctionGraph's RFC 3339 stamps and its zone-less
//! `YYYY-MM-DDTHH:MM:SS` times, and civil dates to days and back.

use std::time::{SystemTime, UNIX_EPOCH};

/// RFC 3339 in UTC with second precision, the way FunctionGraph stamps its platform lines.
pub(crate) fn rfc3339_seconds(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// ISO 8601 in UTC with milliseconds, the form of the telemetry page's times
/// (`2023-02-01T00:03:50.000Z`).
pub(crate) fn iso8601_millis(at: SystemTime) -> String {
    let millis = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_millis())
        .unwrap_or(0);
    let seconds = rfc3339_seconds(at);
    format!("{}.{millis:03}Z", &seconds[..seconds.len() - 1])
}

/// Seconds since the Unix epoch, whole; 0 for a time before it.
pub(crate) fn epoch_seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC, no zone: the form of ListAsyncInvocations' times
/// (documented as `YYYY-MM-DD'T'HH:mm:ss`, UTC).
pub(crate) fn utc_seconds(at: SystemTime) -> String {
    let stamp = rfc3339_seconds(at);
    stamp[..stamp.len() - 1].to_owned()
}

/// Seconds since the Unix epoch of a `YYYY-MM-DDTHH:MM:SS` UTC time; `None` unless it is exactly
/// that form and a real date and time of day.
pub(crate) fn parse_utc_seconds(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 19
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's `days_from_civil`), the
/// inverse of [`civil_from_days`].
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps_are_rfc3339_seconds_utc() {
        assert_eq!(rfc3339_seconds(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let at = UNIX_EPOCH + Duration::from_millis(1_663_674_237_900);
        assert_eq!(rfc3339_seconds(at), "2022-09-20T11:43:57Z");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_seconds(leap_day), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn zone_less_times_round_trip_and_refuse_anything_else() {
        let at = UNIX_EPOCH + Duration::from_millis(1_663_674_237_900);
        assert_eq!(utc_seconds(at), "2022-09-20T11:43:57");
        assert_eq!(
            parse_utc_seconds("2022-09-20T11:43:57"),
            Some(epoch_seconds(at))
        );
        assert_eq!(epoch_seconds(at), 1_663_674_237);
        assert_eq!(parse_utc_seconds("1970-01-01T00:00:00"), Some(0));
        assert_eq!(parse_utc_seconds("2000-02-29T23:59:59"), Some(951_868_799));
        for bad in [
            "",
            "2022-09-20",
            "2022-09-20T11:43:57Z",
            "2022-09-20T11:43:57.000",
            "2022-09-20 11:43:57",
            "2022-9-20T11:43:57",
            "2022-13-01T00:00:00",
            "2022-00-01T00:00:00",
            "2022-02-29T00:00:00",
            "2022-04-31T00:00:00",
            "2022-09-20T24:00:00",
            "2022-09-20T11:60:00",
            "2022-09-20T11:43:60",
            "+022-09-20T11:43:57",
            "２０22-09-20T11:43:5",
        ] {
            assert_eq!(parse_utc_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_and_dates_round_trip() {
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_778, 2_932_896] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(
                days_from_civil(year, month, day),
                days,
                "{year}-{month}-{day}"
            );
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }
}
