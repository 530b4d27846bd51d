//! Sending at the rate Meta allows: each number's adaptive rate controller in this
//! process ([`SendState`]), what happened to one WhatsApp job ([`Outcome`], the send,
//! read-receipt and download jobs' report), and the org's local day (for daily caps).

use domain::whatsapp::rate::AdaptiveRate;
use domain::NumberId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Mutex;

/// What happened to one WhatsApp job.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Meta accepted the message (its wamid is recorded), or the job did its work.
    Accepted,
    /// Failed with this Meta code (or none); will retry at the instant given.
    Retrying { code: Option<i64>, at: i64 },
    /// Failed for good with this Meta code (or none).
    Failed { code: Option<i64> },
    /// The number's rate allows no send yet; retried at the instant given.
    Paced { at: i64 },
    /// Sent before a crash with no answer: waiting for a status webhook until `at`.
    AwaitingReconciliation { at: i64 },
    /// Nothing to do: already sent, reconciled or deleted.
    Skipped,
}

/// The local date at `now_ms` in an IANA zone (UTC when the zone is unknown).
pub fn local_day(now_ms: i64, zone: &str) -> String {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default().with_timezone(&tz).format("%Y-%m-%d").to_string()
}

/// Each number's rate controller in this process, and whether pacing is on.
pub struct SendState {
    pub(crate) rates: Mutex<HashMap<String, AdaptiveRate>>,
    /// Benchmarks measure raw throughput with pacing off; production never turns it off.
    pub(crate) pacing: AtomicBool,
}

impl Default for SendState {
    fn default() -> Self {
        Self { rates: Mutex::new(HashMap::new()), pacing: AtomicBool::new(true) }
    }
}

impl SendState {
    /// Turns the per-number rate limit off (benchmarks of the pipeline's own capacity).
    pub fn set_pacing(&self, on: bool) {
        self.pacing.store(on, Ordering::Relaxed);
    }

    /// The current rate of a number in this process (messages per second).
    pub async fn rate_of(&self, number: &NumberId) -> Option<f64> {
        self.rates.lock().await.get(number.as_str()).map(AdaptiveRate::rate)
    }
}

#[cfg(test)]
mod tests {
    use super::local_day;

    #[test]
    fn the_local_day_follows_the_org_time_zone() {
        // 2026-11-21 20:00 UTC is already the 22nd in Kolkata (+05:30).
        let t = 1_795_291_200_000;
        assert_eq!(local_day(t, "UTC"), "2026-11-21");
        assert_eq!(local_day(t, "Asia/Kolkata"), "2026-11-22");
        assert_eq!(local_day(t, "Not/AZone"), "2026-11-21");
    }
}
