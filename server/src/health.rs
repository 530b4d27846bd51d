//! Liveness and readiness probes.

use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// `/healthz`: the process is up and serving.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `/readyz`: `{"status", "database", "webhook_backlog", "webhook_queue_capacity"}`. 200
/// while the database answers and the webhook writer's queue has room; 503 otherwise, so
/// a load balancer routes elsewhere until this instance has caught up.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db.ping().await;
    let (backlog, capacity) = (state.ingest.backlog(), state.ingest.capacity());
    let status = if !database {
        "database unreachable"
    } else if backlog >= capacity {
        "webhook writer behind"
    } else {
        "ready"
    };
    let code = if status == "ready" { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(json!({"status": status, "database": database, "webhook_backlog": backlog, "webhook_queue_capacity": capacity})))
}
