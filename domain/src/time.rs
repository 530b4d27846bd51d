//! Calendar dates of epoch-millisecond instants in UTC, the same on the server and in the
//! browser (no time-zone database needed): for exports, filters and dates rendered before
//! hydration.

/// `(year, month, day)` of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a calendar date (the inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` (UTC) of an instant.
pub fn utc_date(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of an instant.
pub fn iso_time(ms: i64) -> String {
    let rem = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{}T{:02}:{:02}:{:02}Z", utc_date(ms), rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Midnight UTC (epoch ms) of a `YYYY-MM-DD` date, if it reads as one.
pub fn midnight_of(date: &str) -> Option<i64> {
    let parts: Vec<i64> = date.trim().split('-').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [y, m, d] = parts.as_slice() else { return None };
    Some(days_from_civil(*y, *m, *d) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_become_utc_calendar_dates_and_back() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1_709_251_200_000), "2024-03-01");
        assert_eq!(utc_date(1_709_251_199_999), "2024-02-29");
        assert_eq!(iso_time(1_709_251_199_000), "2024-02-29T23:59:59Z");
        assert_eq!(midnight_of("2024-03-01"), Some(1_709_251_200_000));
        assert_eq!(midnight_of("1970-01-01"), Some(0));
        assert_eq!(midnight_of("soon"), None);
        for days in [-1000, 0, 19_000, 30_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
