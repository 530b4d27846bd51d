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

/// The wall-clock reading `YYYY-MM-DDTHH:MM` (an `<input type="datetime-local">`'s value)
/// as milliseconds on a clock at UTC+0, if it reads as one.
pub fn wall_of(local: &str) -> Option<i64> {
    let (date, time) = local.trim().split_once('T')?;
    let day = midnight_of(date)?;
    let (h, m) = time.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.get(..2).unwrap_or(m).parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(day + (h * 60 + m) * 60_000)
}

/// `YYYY-MM-DDTHH:MM` of a wall-clock reading (the inverse of [`wall_of`]).
pub fn wall_text(wall: i64) -> String {
    let m = wall.div_euclid(60_000).rem_euclid(1440);
    format!("{}T{:02}:{:02}", utc_date(wall), m / 60, m % 60)
}

/// The instant at which a zone's clocks read `wall`, given the zone's offset from UTC in
/// milliseconds at any instant (`offset_at`, for example from the browser's `Intl`).
/// Around a change of offset the second guess settles it; a reading that does not exist
/// (skipped by a spring-forward) moves on by the gap's length, as calendars do.
pub fn instant_of_wall(wall: i64, offset_at: impl Fn(i64) -> i64) -> i64 {
    let guess = wall - offset_at(wall);
    let settled = wall - offset_at(guess);
    // A reading in a gap never maps back to itself; the later offset is the one after it.
    if settled + offset_at(settled) == wall {
        settled
    } else {
        guess.max(settled)
    }
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

    #[test]
    fn a_wall_clock_reading_in_a_zone_is_one_instant() {
        let wall = wall_of("2026-12-02T09:30").unwrap();
        assert_eq!(wall_text(wall), "2026-12-02T09:30");
        assert_eq!(wall_of("2026-12-02T24:00"), None);
        assert_eq!(wall_of("tomorrow"), None);
        // Asia/Kolkata is UTC+5:30 all year: 09:30 there is 04:00 UTC.
        let ist = |_: i64| 330 * 60_000;
        assert_eq!(iso_time(instant_of_wall(wall, ist)), "2026-12-02T04:00:00Z");
        // A zone that moves from UTC+0 to UTC+1 at 2026-03-29 01:00 UTC (Europe/London).
        let change = wall_of("2026-03-29T01:00").unwrap();
        let london = move |t: i64| if t >= change { 3_600_000 } else { 0 };
        assert_eq!(iso_time(instant_of_wall(wall_of("2026-03-29T00:30").unwrap(), london)), "2026-03-29T00:30:00Z");
        assert_eq!(iso_time(instant_of_wall(wall_of("2026-03-29T03:00").unwrap(), london)), "2026-03-29T02:00:00Z");
        // 01:30 does not exist there that day: it moves on by the hour skipped, to 02:30 local.
        assert_eq!(iso_time(instant_of_wall(wall_of("2026-03-29T01:30").unwrap(), london)), "2026-03-29T01:30:00Z");
    }
}
