//! Settings → System: the org's background jobs (queued, running, dead per kind) and the
//! retry of a dead one. Admins only (checked in `backend::jobs::admin`).

use super::client::CsrfClient;
use domain::dto::SystemView;
use domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::*;

/// The org's jobs per kind and page `page` (from 0) of its dead jobs.
#[server(prefix = "/api", endpoint = "system/jobs", client = CsrfClient)]
pub async fn system_jobs(page: i64) -> Result<SystemView, AppError> {
    let (state, actor) = actor().await?;
    backend::jobs::admin::overview(&state.db, &actor, page).await.map_err(fail)
}

/// Queues a dead job again, due now.
#[server(prefix = "/api", endpoint = "system/retry_job", client = CsrfClient)]
pub async fn retry_job(job_id: String) -> Result<(), AppError> {
    let (state, actor) = actor().await?;
    let kind = backend::jobs::admin::retry(&state.db, &actor, &job_id, backend::clock::now_ms()).await.map_err(fail)?;
    state.wakeups.wake_kind(&kind);
    Ok(())
}
