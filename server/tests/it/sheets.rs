//! Google Sheets lead sources on both databases, against a local double of the Sheets API
//! `values` endpoint: each row becomes a lead exactly once — also when rows are inserted
//! above it, when it is edited later, and when two pollers run at once — bad rows and
//! refused keys are shown on the source, and published-CSV sheets work the same way.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use backend::clock::now_ms;
use backend::contacts::search::{self, ContactQuery};
use backend::contacts::sheets;
use backend::contacts::sources::{self, SourceInput};
use backend::testing::{count_rows, databases, local_sheets, seed_org_with, test_cipher};
use domain::Role;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const KEY: &str = "AIza-test-key";

/// The double: the sheet's rows, answered as the Sheets API does (403 for a wrong key).
#[derive(Clone, Default)]
struct Sheet {
    rows: Arc<Mutex<Vec<Vec<String>>>>,
    hits: Arc<Mutex<usize>>,
}

impl Sheet {
    fn set(&self, rows: &[&[&str]]) {
        *self.rows.lock().unwrap() = rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    }
}

async fn values(State(sheet): State<Sheet>, Path((id, range)): Path<(String, String)>, Query(q): Query<HashMap<String, String>>) -> (StatusCode, Json<Value>) {
    *sheet.hits.lock().unwrap() += 1;
    if q.get("key").map(String::as_str) != Some(KEY) {
        return (StatusCode::FORBIDDEN, Json(json!({"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}})));
    }
    assert_eq!((id.as_str(), range.as_str()), ("sheet-1", "Leads!A:D"));
    (StatusCode::OK, Json(json!({"range": "Leads!A1:D9", "majorDimension": "ROWS", "values": *sheet.rows.lock().unwrap()})))
}

async fn published(State(sheet): State<Sheet>) -> String {
    sheet.rows.lock().unwrap().iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\n")
}

async fn double() -> (String, Sheet) {
    let sheet = Sheet::default();
    let app = Router::new().route("/v4/spreadsheets/{id}/values/{range}", get(values)).route("/pub.csv", get(published)).with_state(sheet.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, sheet)
}

fn by_phone(phone: &str) -> ContactQuery {
    ContactQuery { phone: Some(phone.into()), page: 1, per_page: 5, ..Default::default() }
}

#[tokio::test]
async fn each_sheet_row_becomes_a_lead_exactly_once_across_inserted_and_edited_rows() {
    let (base, sheet) = double().await;
    let client = local_sheets(&base);
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let input = SourceInput {
            kind: "sheet".into(),
            name: "Fair sheet".into(),
            spreadsheet_id: Some("sheet-1".into()),
            range: Some("Leads!A:D".into()),
            api_key: Some(KEY.into()),
            poll_minutes: 5,
            ..Default::default()
        };
        let source = sources::create(&t.db, &test_cipher(), &a.actor, &input, now_ms()).await.unwrap();
        assert!(!serde_json::to_string(&source).unwrap().contains(KEY), "the key is never shown");
        sheet.set(&[&["Name", "Phone", "Email"], &["Ana", "+447700900001", "ana@x.test"], &["Bea", "+447700900002", ""]]);

        assert_eq!(sheets::poll_due(&t.db, &test_cipher(), &client, now_ms()).await.unwrap(), 1, "{}", t.label);
        assert_eq!(count_rows(&t.db, "contacts").await, 2, "{}", t.label);
        assert_eq!(sheets::poll_due(&t.db, &test_cipher(), &client, now_ms()).await.unwrap(), 0, "not due again for 5 minutes");

        // A row inserted above, Ana's row edited, and the same sheet read again.
        sheet.set(&[&["Name", "Phone", "Email"], &["Cid", "+447700900003", ""], &["Ana Edited", "+447700900001", "new@x.test"], &["Bea", "+447700900002", ""]]);
        let report = sheets::poll_one(&t.db, &test_cipher(), &client, &source.id, now_ms()).await.unwrap();
        assert_eq!(report.new_leads, 1, "only the new row ({})", t.label);
        assert_eq!(count_rows(&t.db, "contacts").await, 3);
        let ana = search::list(&t.db, &a.actor, &by_phone("+447700900001")).await.unwrap().data.remove(0);
        assert_eq!(
            (ana.name.as_deref(), ana.email.as_deref(), ana.source.as_str()),
            (Some("Ana"), Some("ana@x.test"), "Fair sheet"),
            "an edited row is not a new lead ({})",
            t.label
        );

        // Two pollers at once still make each new row one lead.
        sheet.set(&[&["Name", "Phone", "Email"], &["Dov", "+447700900004", ""], &["Eve", "+447700900005", ""]]);
        let cipher = test_cipher();
        let (x, y) =
            tokio::join!(sheets::poll_one(&t.db, &cipher, &client, &source.id, now_ms()), sheets::poll_one(&t.db, &cipher, &client, &source.id, now_ms()));
        assert_eq!(x.unwrap().new_leads + y.unwrap().new_leads, 2, "{}", t.label);
        assert_eq!(count_rows(&t.db, "contacts").await, 5);
        let listed = sources::get(&t.db, &a.org, &source.id).await.unwrap();
        assert_eq!((listed.leads_count, listed.last_error.as_deref()), (5, None), "{}", t.label);
        let events = backend::events::since(&t.db, &a.actor, 0, 100).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.kind == "contact" && e.payload["via"] == "sheet").count(), 5);
    }
}

#[tokio::test]
async fn bad_rows_and_refused_keys_are_shown_on_the_source_with_the_last_good_poll() {
    let (base, sheet) = double().await;
    let client = local_sheets(&base);
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let input = SourceInput {
            kind: "sheet".into(),
            name: "Sheet".into(),
            spreadsheet_id: Some("sheet-1".into()),
            range: Some("Leads!A:D".into()),
            api_key: Some(KEY.into()),
            poll_minutes: 5,
            ..Default::default()
        };
        let source = sources::create(&t.db, &test_cipher(), &a.actor, &input, now_ms()).await.unwrap();
        sheet.set(&[&["Phone", "Name"], &["+447700900011", "Good"], &["12", "Bad"], &[], &["+447700900012", "Good too"]]);
        let report = sheets::poll_one(&t.db, &test_cipher(), &client, &source.id, now_ms()).await.unwrap();
        assert_eq!((report.new_leads, report.bad_rows), (2, 1), "{}", t.label);
        let s = sources::get(&t.db, &a.org, &source.id).await.unwrap();
        assert!(s.last_error.as_deref().is_some_and(|e| e.starts_with("Row 3:")), "{:?}", s.last_error);
        let good_poll = s.last_success_at.expect("a successful poll is recorded");

        let wrong = SourceInput { api_key: Some("wrong".into()), name: "Wrong key".into(), ..input.clone() };
        let wrong = sources::create(&t.db, &test_cipher(), &a.actor, &wrong, now_ms()).await.unwrap();
        let report = sheets::poll_one(&t.db, &test_cipher(), &client, &wrong.id, now_ms()).await.unwrap();
        assert!(report.error.as_deref().is_some_and(|e| e.contains("403") && e.contains("permission")), "{:?}", report.error);
        let w = sources::get(&t.db, &a.org, &wrong.id).await.unwrap();
        assert_eq!((w.last_success_at, w.leads_count), (None, 0), "{}", t.label);
        assert_eq!(sources::get(&t.db, &a.org, &source.id).await.unwrap().last_success_at, Some(good_poll));
        let missing = sources::create(&t.db, &test_cipher(), &a.actor, &SourceInput { api_key: None, ..input.clone() }, now_ms()).await;
        assert!(missing.is_err(), "a spreadsheet id needs a key");
    }
}

#[tokio::test]
async fn a_sheet_published_as_csv_is_polled_the_same_way() {
    let (base, sheet) = double().await;
    let client = local_sheets(&base);
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let input =
            SourceInput { kind: "sheet".into(), name: "Published".into(), csv_url: Some(format!("{base}/pub.csv")), poll_minutes: 1, ..Default::default() };
        let source = sources::create(&t.db, &test_cipher(), &a.actor, &input, now_ms()).await.unwrap();
        sheet.set(&[&["telefone", "nome"], &["+447700900021", "Gil"]]);
        assert_eq!(sheets::poll_one(&t.db, &test_cipher(), &client, &source.id, now_ms()).await.unwrap().new_leads, 1, "{}", t.label);
        let gil = search::list(&t.db, &a.actor, &by_phone("+447700900021")).await.unwrap().data.remove(0);
        assert_eq!(gil.name.as_deref(), Some("Gil"));
    }
}

/// A published sheet per path: `/slow/{n}.csv` hangs until released (counting how many
/// are being read at once), `/fast.csv` answers at once.
#[derive(Clone, Default)]
struct Gate {
    release: Arc<tokio::sync::Notify>,
    open: Arc<std::sync::atomic::AtomicBool>,
    reading: Arc<std::sync::atomic::AtomicUsize>,
    most_at_once: Arc<std::sync::atomic::AtomicUsize>,
}

async fn slow(State(gate): State<Gate>) -> String {
    use std::sync::atomic::Ordering::SeqCst;
    let now = gate.reading.fetch_add(1, SeqCst) + 1;
    gate.most_at_once.fetch_max(now, SeqCst);
    while !gate.open.load(SeqCst) {
        let _ = tokio::time::timeout(std::time::Duration::from_millis(50), gate.release.notified()).await;
    }
    gate.reading.fetch_sub(1, SeqCst);
    "phone,name\n+447700900031,Slow".into()
}

#[tokio::test]
async fn one_orgs_hanging_sheets_never_hold_back_another_orgs_sheet() {
    use std::sync::atomic::Ordering::SeqCst;
    let gate = Gate::default();
    let app =
        Router::new().route("/slow/{n}", get(slow)).route("/fast.csv", get(|| async { "phone,name\n+447700900032,Fast".to_string() })).with_state(gate.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    for t in databases().await {
        gate.open.store(false, SeqCst);
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let sheet =
            |name: &str, url: String| SourceInput { kind: "sheet".into(), name: name.into(), csv_url: Some(url), poll_minutes: 60, ..Default::default() };
        // Org A has more hanging sheets than the runner has polling loops.
        for n in 0..(backend::jobs::poll_sheet::CONCURRENCY + 2) {
            sources::create(&t.db, &test_cipher(), &a.actor, &sheet(&format!("A {n}"), format!("{base}/slow/{n}.csv")), now_ms()).await.unwrap();
        }
        let b_source = sources::create(&t.db, &test_cipher(), &b.actor, &sheet("B", format!("{base}/fast.csv")), now_ms()).await.unwrap();
        // B's sheet is not due until A's polls hang.
        sqlx::query("UPDATE lead_sources SET next_poll_at = $1 WHERE id = $2")
            .bind(now_ms() + 3_600_000)
            .bind(&b_source.id)
            .execute(t.db.pool())
            .await
            .unwrap();

        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut ctx = backend::jobs::JobContext::new(t.db.clone(), Arc::new(backend::testing::FakeGraph::default()), test_cipher());
        ctx.sheets = local_sheets(&base);
        ctx.stop = stop_rx;
        backend::jobs::kinds::ensure_periodic(&t.db, now_ms()).await.unwrap();
        let runner = Arc::new(backend::jobs::Runner::new(ctx, backend::jobs::kinds::standard(1))).spawn();
        assert!(backend::testing::eventually(std::time::Duration::from_secs(10), || async { gate.reading.load(SeqCst) >= 1 }).await, "{}", t.label);

        sheets::poll_soon(&t.db, &b.actor, &b_source.id).await.unwrap();
        let fast = backend::testing::eventually(std::time::Duration::from_secs(10), || async {
            !search::list(&t.db, &b.actor, &by_phone("+447700900032")).await.unwrap().data.is_empty()
        })
        .await;
        assert!(fast, "B's lead arrives while A's sheets hang ({})", t.label);
        assert_eq!(count_rows(&t.db, "contacts").await, 1, "none of A's yet ({})", t.label);
        assert_eq!(gate.most_at_once.load(SeqCst), 1, "one of an org's sheets is read at a time ({})", t.label);

        gate.open.store(true, SeqCst);
        gate.release.notify_waiters();
        let slow_done = backend::testing::eventually(std::time::Duration::from_secs(20), || async {
            sources::list(&t.db, &a.actor).await.unwrap().iter().all(|s| s.last_success_at.is_some())
        })
        .await;
        assert!(slow_done, "every one of A's sheets is read once released ({})", t.label);
        stop_tx.send(true).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(30), runner).await.expect("the runner stops").unwrap();
        gate.most_at_once.store(0, SeqCst);
    }
}
