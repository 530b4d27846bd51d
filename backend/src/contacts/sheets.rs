//! Google Sheets lead sources (INGEST-3): each sheet source is polled on its schedule,
//! through the Sheets API `values` endpoint (spreadsheet id, range, API key) or the
//! sheet's published-CSV address. The first row names the columns. A row becomes a lead
//! exactly once: its identity is its phone, remembered per source in the same
//! transaction that stores the lead — so rows inserted above, rows edited later and two
//! instances polling at once never make a second lead. Fetch failures and bad rows are
//! shown on the source with the time of the last successful poll.

use super::model::{Via, Who, BATCH};
use super::sheets_api::SheetsClient;
use super::store::{apply_leads, Lead, OnDuplicate};
use crate::error::Result;
use crate::secrets::Cipher;
use crate::Db;
use domain::csv::Record;
use domain::OrgId;
use serde_json::{Map, Value};

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    pub new_leads: usize,
    pub bad_rows: usize,
    pub error: Option<String>,
}

/// A sheet source whose time to be polled has come.
#[derive(sqlx::FromRow)]
struct DueRow {
    id: String,
    poll_minutes: i64,
}

/// Polls one sheet source (the `poll_source` job, queued by [`queue_due`] with the
/// source's org, so the job runner shares its loops fairly between orgs).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PollSource {
    pub source_id: String,
    /// The source's org (at most one of an org's polls runs at a time).
    pub org_id: String,
}

#[derive(sqlx::FromRow)]
struct DueSource {
    id: String,
    org_id: OrgId,
    poll_minutes: i64,
}

/// Queues a `poll_source` job for every sheet source whose time has come (each claimed
/// by moving its next poll time forward first, so one instance queues it). One slow or
/// hanging sheet then holds up only its own job, not every other org's sheets.
/// Returns how many were queued.
pub async fn queue_due(db: &Db, now: i64) -> Result<usize> {
    let due = sqlx::query_as::<_, DueSource>(
        "SELECT id, org_id, poll_minutes FROM lead_sources WHERE kind = 'sheet' AND (next_poll_at IS NULL OR next_poll_at <= $1) ORDER BY next_poll_at LIMIT 200",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut queued = 0;
    for DueSource { id, org_id, poll_minutes } in due {
        let mut tx = db.pool().begin().await?;
        let claimed = sqlx::query("UPDATE lead_sources SET next_poll_at = $1 WHERE id = $2 AND (next_poll_at IS NULL OR next_poll_at <= $3)")
            .bind(now + poll_minutes * 60_000)
            .bind(&id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if claimed == 1 {
            // One queued poll per source: a "Poll now" during a slow poll adds nothing.
            let dedupe = format!("poll_source:{id}");
            crate::jobs::queue::enqueue_in(&mut tx, &PollSource { source_id: id, org_id: org_id.as_str().to_owned() }, Some(&org_id), now, Some(&dedupe), now)
                .await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}

/// Polls every sheet source whose time has come, here and now, one after another (tests
/// and tools; the server queues them with [`queue_due`]). Returns how many were polled.
pub async fn poll_due(db: &Db, cipher: &Cipher, client: &SheetsClient, now: i64) -> Result<usize> {
    let due = sqlx::query_as::<_, DueRow>("SELECT id, poll_minutes, next_poll_at FROM lead_sources WHERE kind = 'sheet' AND (next_poll_at IS NULL OR next_poll_at <= $1) ORDER BY next_poll_at LIMIT 20")
        .bind(now)
        .fetch_all(db.pool())
        .await?;
    let mut polled = 0;
    for DueRow { id, poll_minutes } in due {
        let next = now + poll_minutes * 60_000;
        let claimed = sqlx::query("UPDATE lead_sources SET next_poll_at = $1 WHERE id = $2 AND (next_poll_at IS NULL OR next_poll_at <= $3)")
            .bind(next)
            .bind(&id)
            .bind(now)
            .execute(db.pool())
            .await?
            .rows_affected();
        if claimed == 1 {
            poll_one(db, cipher, client, &id, now).await?;
            polled += 1;
        }
    }
    Ok(polled)
}

/// Asks for a source to be polled at the next round (the "Poll now" button).
pub async fn poll_soon(db: &Db, actor: &crate::auth::Actor, id: &str) -> Result<()> {
    actor.require(domain::Role::Manager)?;
    let org = &actor.org_id;
    let n = sqlx::query("UPDATE lead_sources SET next_poll_at = 0 WHERE id = $1 AND org_id = $2 AND kind = 'sheet'")
        .bind(id)
        .bind(org.as_str())
        .execute(db.pool())
        .await?
        .rows_affected();
    if n == 0 {
        return Err(domain::AppError::not_found("Sheet source").into());
    }
    Ok(())
}

/// What a poll needs of its source. The JSON objects stay text: they are parsed leniently
/// below, as empty when they do not parse.
#[derive(sqlx::FromRow)]
struct SourceRow {
    org_id: OrgId,
    name: String,
    mapping: String,
    config: String,
    secret_ciphertext: Option<String>,
}

/// Polls one sheet source now.
pub async fn poll_one(db: &Db, cipher: &Cipher, client: &SheetsClient, source_id: &str, now: i64) -> Result<PollReport> {
    let SourceRow { org_id: org, name, mapping, config, secret_ciphertext } =
        sqlx::query_as::<_, SourceRow>("SELECT org_id, name, mapping, config, secret_ciphertext FROM lead_sources WHERE id = $1")
            .bind(source_id)
            .fetch_optional(db.pool())
            .await?
            .ok_or_else(|| domain::AppError::not_found("Sheet source"))?;
    let mapping: Map<String, Value> = serde_json::from_str(&mapping).unwrap_or_default();
    let config: Map<String, Value> = serde_json::from_str(&config).unwrap_or_default();
    let fetched = match (config.get("spreadsheet_id").and_then(Value::as_str), config.get("csv_url").and_then(Value::as_str)) {
        (Some(sheet), _) => {
            let key = secret_ciphertext.and_then(|c| cipher.decrypt(&c).ok());
            match key {
                Some(key) => client.values(sheet, config.get("range").and_then(Value::as_str).unwrap_or("A:Z"), &key).await,
                None => Err("The API key cannot be read; enter it again.".to_string()),
            }
        }
        (None, Some(url)) => client.csv(url).await,
        (None, None) => Err("The source has neither a spreadsheet id nor a published CSV address.".to_string()),
    };
    let rows = match fetched {
        Ok(rows) => rows,
        Err(e) => {
            sqlx::query("UPDATE lead_sources SET last_error = $1 WHERE id = $2").bind(&e).bind(source_id).execute(db.pool()).await?;
            return Ok(PollReport { error: Some(e), ..Default::default() });
        }
    };
    let mut report = PollReport::default();
    let mut first_error = None;
    if let Some((header, body)) = rows.split_first() {
        let settings = super::settings::load(db, &org).await?;
        let defs = super::fields::list_for_org(db, &org).await?;
        let custom: Vec<(String, String)> = defs.iter().map(|d| (d.key.clone(), d.label.clone())).collect();
        let targets: Vec<String> = if mapping.is_empty() {
            domain::import::auto_map(header, &custom)
        } else {
            header.iter().map(|h| mapping.get(h.trim()).and_then(Value::as_str).unwrap_or("ignore").to_owned()).collect()
        };
        let who = Who { org: org.clone(), user: None, via: Via::Sheet };
        for (chunk_no, chunk) in body.chunks(BATCH).enumerate() {
            let mut leads: Vec<Lead> = Vec::new();
            for (i, cells) in chunk.iter().enumerate() {
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                // Line numbers as the sheet shows them (the header is row 1).
                let line = chunk_no * BATCH + i + 2;
                match super::import::lead_of(&Record { line, fields: cells.clone() }, &targets, &settings, &defs) {
                    Ok(lead) => leads.push(lead),
                    Err(e) => {
                        report.bad_rows += 1;
                        first_error.get_or_insert(format!("Row {line}: {}", e.message));
                    }
                }
            }
            let mut tx = db.pool().begin().await?;
            // Only rows never seen before go on: the identity row is written in the same
            // transaction as the lead, so a row becomes a lead exactly once.
            let mut fresh = Vec::new();
            for lead in leads {
                let inserted = sqlx::query(
                    "INSERT INTO lead_source_rows (source_id, row_key, created_at) VALUES ($1, $2, $3) ON CONFLICT (source_id, row_key) DO NOTHING",
                )
                .bind(source_id)
                .bind(lead.phone.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 1 {
                    fresh.push(lead);
                }
            }
            let outcomes = apply_leads(&mut tx, &who, &settings, &name, &fresh, OnDuplicate::Update, now).await?;
            for (lead, o) in fresh.iter().zip(&outcomes) {
                sqlx::query("UPDATE lead_source_rows SET contact_id = $1 WHERE source_id = $2 AND row_key = $3")
                    .bind(o.contact_id().as_str())
                    .bind(source_id)
                    .bind(lead.phone.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            report.new_leads += fresh.len();
        }
    }
    let error = first_error.map(|e| if report.bad_rows > 1 { format!("{e} (and {} more rows)", report.bad_rows - 1) } else { e });
    sqlx::query("UPDATE lead_sources SET last_success_at = $1, last_error = $2, leads_count = leads_count + $3 WHERE id = $4")
        .bind(now)
        .bind(error.clone())
        .bind(report.new_leads as i64)
        .bind(source_id)
        .execute(db.pool())
        .await?;
    report.error = error;
    Ok(report)
}

#[cfg(test)]
mod tests {
    /// Serves `body` as a published CSV sheet to every request, on a local port.
    async fn published(body: &'static str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/pub.csv", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!("HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                let _ = sock.write_all(format!("{head}{body}").as_bytes()).await;
            }
        });
        url
    }

    /// The rows a poll reads decode on both databases: a due source is polled once, its
    /// rows become leads under its name, and a second poll finds nothing new.
    #[tokio::test]
    async fn a_due_published_sheet_is_polled_into_leads() {
        let url = published("Name,Phone\nAna,+447700900001\nBea,+447700900002\n").await;
        let (cipher, client) = (crate::testing::test_cipher(), crate::testing::local_sheets("http://127.0.0.1:9"));
        for t in crate::testing::databases().await {
            let s = crate::testing::seed_org_with(&t.db, "Org", "admin@x.test", domain::Role::Admin).await;
            sqlx::query(
                "INSERT INTO lead_sources (id, org_id, kind, name, source_key, mapping, config, poll_minutes, created_at) \
                 VALUES ('s-1', $1, 'sheet', 'Fair sheet', 'k-1', '{}', $2, 5, 0)",
            )
            .bind(s.org.as_str())
            .bind(serde_json::json!({ "csv_url": url }).to_string())
            .execute(t.db.pool())
            .await
            .unwrap();
            assert_eq!(super::poll_due(&t.db, &cipher, &client, 1).await.unwrap(), 1, "{}", t.label);
            assert_eq!(super::poll_due(&t.db, &cipher, &client, 2).await.unwrap(), 0, "not due again for 5 minutes ({})", t.label);
            let again = super::poll_one(&t.db, &cipher, &client, "s-1", 3).await.unwrap();
            assert_eq!(again, super::PollReport::default(), "{}", t.label);
            let sources: Vec<String> =
                sqlx::query_scalar("SELECT source FROM contacts WHERE org_id = $1 ORDER BY phone").bind(s.org.as_str()).fetch_all(t.db.pool()).await.unwrap();
            assert_eq!(sources, ["Fair sheet", "Fair sheet"], "{}", t.label);
        }
    }

    /// A published-CSV address at the cloud's metadata service, or at this host, is
    /// refused before anything is sent: the source shows a generic reason (no address,
    /// no answer) and the local server never sees a connection.
    #[tokio::test]
    async fn a_published_sheet_at_a_private_address_fails_with_a_generic_reason_and_nothing_is_sent() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok(_conn) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let published = crate::net::SafeClient::new(crate::net::FetchPolicy::public_only()).unwrap();
        let client = super::SheetsClient::new("http://127.0.0.1:9", published).unwrap();
        let cipher = crate::testing::test_cipher();
        let cases = [
            (
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                "The published sheet could not be fetched: The address must start with https://.",
            ),
            ("https://169.254.169.254/latest/meta-data/", "The published sheet could not be fetched: The address is not allowed."),
            ("https://[fd00:ec2::254]/latest/meta-data/", "The published sheet could not be fetched: The address is not allowed."),
            (&*format!("https://127.0.0.1:{port}/pub.csv"), "The published sheet could not be fetched: The address is not allowed."),
            (&*format!("https://localhost:{port}/pub.csv"), "The published sheet could not be fetched: The address is not allowed."),
        ];
        for t in crate::testing::databases().await {
            let s = crate::testing::seed_org_with(&t.db, "Org", "admin@x.test", domain::Role::Admin).await;
            for (i, (url, reason)) in cases.iter().enumerate() {
                let id = format!("s-{i}");
                sqlx::query(
                    "INSERT INTO lead_sources (id, org_id, kind, name, source_key, mapping, config, poll_minutes, created_at) \
                     VALUES ($1, $2, 'sheet', 'Sheet', $3, '{}', $4, 5, 0)",
                )
                .bind(&id)
                .bind(s.org.as_str())
                .bind(format!("k-{i}"))
                .bind(serde_json::json!({ "csv_url": url }).to_string())
                .execute(t.db.pool())
                .await
                .unwrap();
                let report = super::poll_one(&t.db, &cipher, &client, &id, 1).await.unwrap();
                assert_eq!(report.error.as_deref(), Some(*reason), "{url} ({})", t.label);
                let source = super::super::sources::get(&t.db, &s.org, &id).await.unwrap();
                assert_eq!((source.last_error.as_deref(), source.last_success_at, source.leads_count), (Some(*reason), None, 0), "{url} ({})", t.label);
            }
            assert_eq!(hits.load(Ordering::SeqCst), 0, "no connection reached the local server ({})", t.label);
        }
    }

    /// A stored value of the wrong type fails the poll with `INTERNAL_001` (it used to
    /// panic in `Row::get`). SQLite only: PostgreSQL's column types refuse such values.
    #[tokio::test]
    async fn a_corrupt_source_row_is_an_internal_error_not_a_panic() {
        let t = crate::testing::sqlite().await;
        let s = crate::testing::seed_org_with(&t.db, "Org", "admin@x.test", domain::Role::Admin).await;
        sqlx::query(
            "INSERT INTO lead_sources (id, org_id, kind, name, source_key, mapping, config, secret_ciphertext, poll_minutes, created_at) \
             VALUES ('s-bad', $1, 'sheet', 'Sheet', 'k-bad', '{}', '{\"spreadsheet_id\": \"sheet-1\"}', X'00', 'often', 0)",
        )
        .bind(s.org.as_str())
        .execute(t.db.pool())
        .await
        .unwrap();
        let (cipher, client) = (crate::testing::test_cipher(), crate::testing::local_sheets("http://127.0.0.1:9"));
        assert_eq!(super::poll_due(&t.db, &cipher, &client, 1).await.unwrap_err().code(), domain::ErrorCode::Internal);
        assert_eq!(super::poll_one(&t.db, &cipher, &client, "s-bad", 1).await.unwrap_err().code(), domain::ErrorCode::Internal);
    }
}
