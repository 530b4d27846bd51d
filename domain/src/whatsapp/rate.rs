//! Adaptive send rate per business number (CAMP-4): a token bucket shared by everything
//! that sends on the number. Starts at 60 msg/s; +10 % after 5 minutes with under 1 %
//! errors; −20 % after 3 consecutive 130429 (throughput) errors; never below 10 or above
//! 1,000 msg/s. The rate carries through the day; the first send of a new day (in the
//! org's time zone) starts at 90 % of the previous day's final rate.
//!
//! Pure: every method takes the time, so tests drive it without sleeping.

/// Messages per second a new number starts at.
pub const START_RATE: f64 = 60.0;
/// The lowest rate the controller goes down to.
pub const FLOOR: f64 = 10.0;
/// The highest rate (Meta's top throughput tier).
pub const CEILING: f64 = 1000.0;
/// How long a window of good sending must last before the rate grows.
pub const GROWTH_WINDOW_MS: i64 = 5 * 60 * 1000;
/// Consecutive throughput errors that cut the rate.
pub const THROTTLE_STREAK: u32 = 3;

/// The controller's state for one number.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveRate {
    rate: f64,
    tokens: f64,
    last_refill_ms: i64,
    window_start_ms: i64,
    window_sent: u64,
    window_errors: u64,
    throttle_streak: u32,
    /// The local date (`YYYY-MM-DD` in the org's zone) the rate belongs to.
    day: String,
}

impl AdaptiveRate {
    /// A controller at `rate` for `day` (a rate read back from storage, or [`START_RATE`]).
    pub fn new(rate: f64, day: &str, now_ms: i64) -> Self {
        let rate = rate.clamp(FLOOR, CEILING);
        Self { rate, tokens: 1.0, last_refill_ms: now_ms, window_start_ms: now_ms, window_sent: 0, window_errors: 0, throttle_streak: 0, day: day.to_owned() }
    }

    /// The current rate in messages per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The local date the rate belongs to.
    pub fn day(&self) -> &str {
        &self.day
    }

    /// Starts a new local day at 90 % of the previous day's final rate (once per day).
    pub fn roll_day(&mut self, today: &str, now_ms: i64) {
        if today != self.day {
            self.rate = (self.rate * 0.9).clamp(FLOOR, CEILING);
            self.day = today.to_owned();
            self.reset_window(now_ms);
            self.throttle_streak = 0;
        }
    }

    fn reset_window(&mut self, now_ms: i64) {
        self.window_start_ms = now_ms;
        self.window_sent = 0;
        self.window_errors = 0;
    }

    fn refill(&mut self, now_ms: i64) {
        // Concurrent workers may pass slightly older instants: time never runs backwards
        // here, or the same interval would be credited twice.
        if now_ms <= self.last_refill_ms {
            return;
        }
        let elapsed = (now_ms - self.last_refill_ms) as f64 / 1000.0;
        // A burst of at most one second's worth, so a quiet number cannot stampede.
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate.max(1.0));
        self.last_refill_ms = now_ms;
    }

    /// Takes a token to send now, or says how many milliseconds to wait for one.
    pub fn try_acquire(&mut self, now_ms: i64) -> Result<(), i64> {
        self.refill(now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - self.tokens) / self.rate) * 1000.0).ceil().max(1.0) as i64)
        }
    }

    /// Records an accepted send.
    pub fn on_success(&mut self, now_ms: i64) {
        self.throttle_streak = 0;
        self.window_sent += 1;
        self.maybe_grow(now_ms);
    }

    /// Records a failed send that was not a throughput error.
    pub fn on_error(&mut self, now_ms: i64) {
        self.throttle_streak = 0;
        self.window_sent += 1;
        self.window_errors += 1;
        self.maybe_grow(now_ms);
    }

    /// Records a 130429 (throughput exceeded): three in a row cut the rate by 20 %.
    pub fn on_throttled(&mut self, now_ms: i64) {
        self.window_sent += 1;
        self.window_errors += 1;
        self.throttle_streak += 1;
        if self.throttle_streak >= THROTTLE_STREAK {
            self.rate = (self.rate * 0.8).clamp(FLOOR, CEILING);
            self.tokens = 0.0;
            self.throttle_streak = 0;
            self.reset_window(now_ms);
        }
    }

    fn maybe_grow(&mut self, now_ms: i64) {
        if now_ms - self.window_start_ms >= GROWTH_WINDOW_MS {
            let error_ratio = if self.window_sent == 0 { 0.0 } else { self.window_errors as f64 / self.window_sent as f64 };
            if self.window_sent > 0 && error_ratio < 0.01 {
                self.rate = (self.rate * 1.1).clamp(FLOOR, CEILING);
            }
            self.reset_window(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn approx(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn a_number_starts_at_60_and_grows_10_percent_after_five_clean_minutes() {
        let mut r = AdaptiveRate::new(START_RATE, "2026-11-22", 0);
        for i in 0..100 {
            r.on_success(i * 1000);
        }
        assert!(approx(r.rate(), 60.0), "not before five minutes");
        r.on_success(5 * MIN);
        assert!(approx(r.rate(), 66.0), "{}", r.rate());
    }

    #[test]
    fn one_percent_errors_or_more_stop_the_growth() {
        let mut r = AdaptiveRate::new(START_RATE, "d", 0);
        for i in 0..98 {
            r.on_success(i);
        }
        r.on_error(99);
        r.on_success(5 * MIN);
        assert!(approx(r.rate(), 60.0), "1 error in 100 is 1 %, not under it");
    }

    #[test]
    fn three_consecutive_throttles_cut_the_rate_by_a_fifth() {
        let mut r = AdaptiveRate::new(START_RATE, "d", 0);
        r.on_throttled(1);
        r.on_throttled(2);
        r.on_success(3);
        r.on_throttled(4);
        r.on_throttled(5);
        assert!(approx(r.rate(), 60.0), "a success breaks the streak");
        r.on_throttled(6);
        assert!(approx(r.rate(), 48.0), "{}", r.rate());
    }

    #[test]
    fn the_rate_stays_between_floor_and_ceiling() {
        let mut r = AdaptiveRate::new(START_RATE, "d", 0);
        for i in 0..300 {
            r.on_throttled(i);
        }
        assert!(approx(r.rate(), FLOOR));
        let mut up = AdaptiveRate::new(990.0, "d", 0);
        up.on_success(5 * MIN);
        assert!(approx(up.rate(), CEILING));
        assert!(approx(AdaptiveRate::new(5000.0, "d", 0).rate(), CEILING));
    }

    #[test]
    fn a_new_day_starts_at_90_percent_of_yesterdays_final_rate_once() {
        let mut r = AdaptiveRate::new(100.0, "2026-11-21", 0);
        r.roll_day("2026-11-21", 10);
        assert!(approx(r.rate(), 100.0), "the same day carries on");
        r.roll_day("2026-11-22", 20);
        assert!(approx(r.rate(), 90.0));
        r.roll_day("2026-11-22", 30);
        assert!(approx(r.rate(), 90.0), "only the first send of the day");
        assert_eq!(r.day(), "2026-11-22");
    }

    #[test]
    fn the_bucket_paces_sends_at_the_rate() {
        let mut r = AdaptiveRate::new(10.0, "d", 0);
        // One second of tokens at most; then one every 100 ms.
        let mut sent = 0;
        let mut t = 0;
        while t <= 2000 {
            if r.try_acquire(t).is_ok() {
                sent += 1;
            }
            t += 10;
        }
        assert!((20..=31).contains(&sent), "about 10/s over 2 s plus the first burst: {sent}");
        let mut empty = AdaptiveRate::new(10.0, "d", 0);
        while empty.try_acquire(0).is_ok() {}
        let wait = empty.try_acquire(0).unwrap_err();
        assert!((1..=100).contains(&wait), "{wait}");
        assert!(empty.try_acquire(wait).is_ok(), "after waiting, a token is there");
    }

    #[test]
    fn an_older_instant_from_a_concurrent_worker_does_not_credit_the_same_time_twice() {
        let mut r = AdaptiveRate::new(100.0, "2026-11-22", 0);
        while r.try_acquire(0).is_ok() {}
        // 100 ms at 100 msg/s is 10 tokens, however the instants interleave.
        let mut sent = 0;
        for now in [100, 50, 100, 60, 100] {
            while r.try_acquire(now).is_ok() {
                sent += 1;
            }
        }
        assert_eq!(sent, 10);
    }
}
