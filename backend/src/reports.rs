//! Reports (DASH): figures over time for the org's charts. Days are the org's own (its
//! time zone), so "today" ends at the business's midnight, not UTC's.

use crate::auth::Actor;
use crate::error::Result;
use crate::Db;
use chrono::{Duration, NaiveDate, TimeZone};
use domain::dto::DayCount;

/// The widest range a report covers, in days.
pub const MAX_DAYS: u32 = 90;

/// Counts are read in quarter-hour buckets: every zone's offset is a whole number of
/// quarter hours, so each bucket falls on one local day.
const BUCKET_MS: i64 = 15 * 60 * 1000;

/// The instant a local day starts in `tz` (the first instant of it that exists).
fn start_of(tz: chrono_tz::Tz, day: NaiveDate) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists as a time");
    (0..4 * 24)
        .find_map(|q| tz.from_local_datetime(&(midnight + Duration::minutes(15 * q))).earliest())
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| midnight.and_utc().timestamp_millis())
}

/// The local day of each bucket, summed into `days` days from `first`: `(bucket, inbound,
/// count)` rows as the query returns them. Buckets outside the range are ignored.
pub fn by_day(rows: &[(i64, bool, i64)], tz: chrono_tz::Tz, first: NaiveDate, days: u32) -> Vec<DayCount> {
    let mut out: Vec<DayCount> =
        (0..days).map(|i| DayCount { day: (first + Duration::days(i64::from(i))).format("%Y-%m-%d").to_string(), received: 0, sent: 0 }).collect();
    for &(bucket, inbound, count) in rows {
        let Some(at) = chrono::DateTime::from_timestamp_millis(bucket * BUCKET_MS) else { continue };
        let day = at.with_timezone(&tz).date_naive();
        let Ok(i) = usize::try_from((day - first).num_days()) else { continue };
        if let Some(d) = out.get_mut(i) {
            if inbound {
                d.received += count;
            } else {
                d.sent += count;
            }
        }
    }
    out
}

/// Messages received and sent per local day over the last `days` days (today
/// included, at most [`MAX_DAYS`]). Any member may read it; notes are not messages.
pub async fn messages_per_day(db: &Db, actor: &Actor, days: u32, now: i64) -> Result<Vec<DayCount>> {
    let days = days.clamp(1, MAX_DAYS);
    let zone: String = sqlx::query_scalar("SELECT time_zone FROM orgs WHERE id = $1").bind(actor.org_id.as_str()).fetch_one(db.reader()).await?;
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let today = chrono::DateTime::from_timestamp_millis(now).unwrap_or_default().with_timezone(&tz).date_naive();
    let first = today - Duration::days(i64::from(days) - 1);
    let from = start_of(tz, first);
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT created_at / $3 AS bucket, direction, COUNT(*) FROM messages \
         WHERE org_id = $1 AND created_at >= $2 AND direction IN ('inbound', 'outbound') GROUP BY 1, 2",
    )
    .bind(actor.org_id.as_str())
    .bind(from)
    .bind(BUCKET_MS)
    .fetch_all(db.reader())
    .await?;
    let rows: Vec<(i64, bool, i64)> = rows.into_iter().map(|(b, d, n)| (b, d == "inbound", n)).collect();
    Ok(by_day(&rows, tz, first, days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket_of(iso: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(iso).unwrap().timestamp_millis() / BUCKET_MS
    }

    #[test]
    fn messages_count_on_the_orgs_local_day() {
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
        // 19:00 UTC on 1 December is 00:30 on 2 December in Kolkata (UTC+5:30).
        let rows = [(bucket_of("2026-12-01T19:00:00Z"), true, 2), (bucket_of("2026-12-01T10:00:00Z"), false, 3), (bucket_of("2026-11-20T10:00:00Z"), true, 9)];
        let days = by_day(&rows, kolkata, first, 2);
        assert_eq!(days.iter().map(|d| (d.day.as_str(), d.received, d.sent)).collect::<Vec<_>>(), [("2026-12-01", 0, 3), ("2026-12-02", 2, 0)]);
        let utc = by_day(&rows, chrono_tz::UTC, first, 2);
        assert_eq!((utc[0].received, utc[0].sent), (2, 3), "in UTC both fall on 1 December; the old one is out of range");
    }

    #[test]
    fn a_day_starts_at_its_first_local_instant() {
        let sao_paulo: chrono_tz::Tz = "America/Sao_Paulo".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(start_of(sao_paulo, day), chrono::DateTime::parse_from_rfc3339("2026-12-02T03:00:00Z").unwrap().timestamp_millis());
    }
}
