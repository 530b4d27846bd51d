//! Which job kinds exist, and how the runner treats each: how many run at once, how many
//! a claim takes, how long a claim is held, and how often a failing job is retried.

use super::job::{Attempt, Done, Job, JobContext, Step};
use super::queue::Claimed;
use crate::error::Result;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

/// How the runner runs one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindConfig {
    /// Loops claiming this kind at once (in this process).
    pub concurrency: usize,
    /// Jobs one claim takes (they run together through [`Job::run_batch`]).
    pub batch: usize,
    /// How long a claimed job is held before another runner may take it over. A run
    /// must finish (or yield with [`Step::Again`]) well within it.
    pub lease_ms: i64,
    /// Failed runs (errors or panics) before the job is dead.
    pub max_attempts: i64,
}

impl Default for KindConfig {
    fn default() -> Self {
        Self { concurrency: 1, batch: 1, lease_ms: 60_000, max_attempts: 8 }
    }
}

/// The delay before retrying a run that failed with an error or a panic: 5 s, 20 s,
/// 80 s, … (×4), at most an hour.
pub fn backoff_ms(attempt: i64) -> i64 {
    let exp = (attempt.max(1) - 1).min(10) as u32;
    (5_000_i64.saturating_mul(4_i64.saturating_pow(exp))).min(3_600_000)
}

/// A kind with its payload type erased, so the runner can hold every kind in one map.
#[async_trait]
pub(crate) trait AnyKind: Send + Sync {
    async fn run_batch(&self, ctx: &JobContext, jobs: Vec<Claimed>, now: i64) -> Vec<(String, Result<Done>)>;
}

struct Kind<J>(PhantomData<fn() -> J>);

#[async_trait]
impl<J: Job> AnyKind for Kind<J> {
    async fn run_batch(&self, ctx: &JobContext, jobs: Vec<Claimed>, now: i64) -> Vec<(String, Result<Done>)> {
        let mut out = Vec::with_capacity(jobs.len());
        let mut parsed = Vec::with_capacity(jobs.len());
        for c in jobs {
            match serde_json::from_str::<J>(&c.payload) {
                Ok(job) => parsed.push((job, Attempt { id: c.id, number: c.attempts, now })),
                // A payload that no longer parses will never run: keep it, dead, to read.
                Err(e) => out.push((c.id, Ok(Done::step(Step::Dead { error: format!("the job's payload cannot be read: {e}") })))),
            }
        }
        let ids: Vec<String> = parsed.iter().map(|(_, a)| a.id.clone()).collect();
        if !parsed.is_empty() {
            out.extend(ids.into_iter().zip(J::run_batch(parsed, ctx).await));
        }
        out
    }
}

/// The registered kinds.
#[derive(Clone, Default)]
pub struct Registry {
    pub(crate) kinds: BTreeMap<&'static str, (KindConfig, Arc<dyn AnyKind>)>,
}

impl Registry {
    /// No kinds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a kind.
    pub fn register<J: Job>(mut self, config: KindConfig) -> Self {
        self.kinds.insert(J::KIND, (config, Arc::new(Kind::<J>(PhantomData))));
        self
    }

    /// The registered kind names.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.keys().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn failed_runs_back_off_four_times_longer_each_time_up_to_an_hour() {
        assert_eq!(backoff_ms(1), 5_000);
        assert_eq!(backoff_ms(2), 20_000);
        assert_eq!(backoff_ms(3), 80_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }
}
