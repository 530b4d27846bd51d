//! Time as the services store it: UTC epoch milliseconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A fresh random id (UUID v7: time-ordered, so inserts stay local in indexes).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
