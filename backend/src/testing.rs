//! Test support: a fresh, migrated database per test on every backend under test.
//!
//! SQLite always runs (a file in a new temporary directory). PostgreSQL runs when
//! `MCE_TEST_POSTGRES_URL` points at a server (the README's test command starts a
//! throwaway cluster and sets it); each call creates a new database there. Set
//! `MCE_REQUIRE_POSTGRES=1` to make a missing PostgreSQL a failure instead of a skip.

use crate::auth::{self, Actor, User};
use crate::{members, orgs, Db};
use domain::{CountryCode, EmailAddress, OrgId, OrgName, Password, PersonName, Role, TimeZoneName};
use sqlx::Executor;
use std::collections::HashMap;

/// A fresh migrated database, with a label (`sqlite` or `postgres`) for assertion messages.
pub struct TestDb {
    pub label: &'static str,
    pub db: Db,
    /// The URL the database was opened with (to start a server on it).
    pub url: String,
}

/// Removes test databases that earlier runs left in the temporary directory (a run of
/// the suite makes hundreds, and CI runs again and again on one machine). Only those
/// older than two hours: no test runs that long, so none is in use.
fn sweep_old_sqlite_dirs() {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
        let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
        for e in entries.flatten() {
            let old = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
            if old && e.file_name().to_string_lossy().starts_with("mce-test-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    });
}

/// A fresh database on each backend under test.
pub async fn databases() -> Vec<TestDb> {
    let mut out = vec![sqlite().await];
    match std::env::var("MCE_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => out.push(postgres(&admin_url).await),
        _ => {
            if std::env::var("MCE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("MCE_REQUIRE_POSTGRES=1 but MCE_TEST_POSTGRES_URL is not set");
            }
            eprintln!("note: MCE_TEST_POSTGRES_URL unset; this test ran on SQLite only");
        }
    }
    out
}

/// A fresh SQLite database in a new temporary directory.
pub async fn sqlite() -> TestDb {
    sweep_old_sqlite_dirs();
    let dir = std::env::temp_dir().join(format!("mce-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/mce.db", dir.display());
    let db = Db::connect(&url).await.expect("sqlite connects");
    db.migrate().await.expect("sqlite migrates");
    TestDb { label: "sqlite", db, url }
}

/// A fresh PostgreSQL database on the server at `admin_url`.
pub async fn postgres(admin_url: &str) -> TestDb {
    let name = format!("mce_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Db::connect(admin_url).await.expect("postgres admin connects");
    admin.pool().execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
    admin.close().await;
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
    let url = format!("{base}/{name}");
    let db = Db::connect(&url).await.expect("postgres connects");
    db.migrate().await.expect("postgres migrates");
    TestDb { label: "postgres", db, url }
}

/// An org with one member of the given role, created through the services.
pub struct Seeded {
    pub org: OrgId,
    pub user: User,
    pub actor: Actor,
    pub password: String,
}

/// Creates an org named `org_name` and a member `email` with `role` (password
/// `password-for-tests`).
pub async fn seed_org_with(db: &Db, org_name: &str, email: &str, role: Role) -> Seeded {
    let org = orgs::create(db, &OrgName::parse(org_name).unwrap(), &TimeZoneName::utc(), CountryCode::parse("US").unwrap()).await.expect("org created");
    let user = seed_member(db, &org, email, role).await;
    let actor = auth::actor_for(db, &user.id, &org).await.expect("actor");
    Seeded { org, user, actor, password: "password-for-tests".into() }
}

/// Adds a new person `email` with `role` to `org`.
pub async fn seed_member(db: &Db, org: &OrgId, email: &str, role: Role) -> User {
    let user = auth::create_user(
        db,
        &EmailAddress::parse(email).unwrap(),
        &PersonName::parse(email.split('@').next().unwrap()).unwrap(),
        &Password::parse_new("password-for-tests").unwrap(),
        false,
    )
    .await
    .expect("user created");
    members::add_unchecked(db, org, &user.id, role).await.expect("membership");
    user
}

/// The cipher tests use (a fixed key).
pub fn test_cipher() -> crate::secrets::Cipher {
    crate::secrets::Cipher::new(&[42u8; 32])
}

/// A Sheets client for a local double: the API at `base`, and published sheets fetched
/// at any address, local ones too (the policy is passed in, not read from the process
/// environment: tests run in parallel).
pub fn local_sheets(base: &str) -> crate::contacts::sheets_api::SheetsClient {
    let published = crate::net::SafeClient::new(crate::net::FetchPolicy::new(true)).expect("an HTTP client");
    crate::contacts::sheets_api::SheetsClient::new(base, published).expect("a Sheets client")
}

/// Connects a WhatsApp number with Graph id `phone_number_id` to the actor's org.
pub async fn seed_number(db: &Db, actor: &Actor, phone_number_id: &str) -> domain::dto::WaNumber {
    let new =
        crate::whatsapp::numbers::NewNumber::parse("Support line", phone_number_id, "900000000000001", "EAAG-test-token", "Be brief.").expect("valid number");
    crate::whatsapp::numbers::create(db, &test_cipher(), actor, &new, &Default::default(), false).await.expect("number created")
}

/// Stores an outbound message directly (until the send pipeline exists in a test's
/// scope): for status-webhook tests. Returns the message id.
pub async fn seed_outbound_message(db: &Db, org: &OrgId, number: &domain::NumberId, contact_phone: &str, wa_message_id: Option<&str>) -> String {
    let now = crate::clock::now_ms();
    let contact_id = crate::clock::new_id();
    sqlx::query("INSERT INTO contacts (id, org_id, phone, wa_id, source, created_at, updated_at) VALUES ($1, $2, $3, $4, 'test', $5, $5) ON CONFLICT (org_id, phone) DO NOTHING")
        .bind(&contact_id)
        .bind(org.as_str())
        .bind(contact_phone)
        .bind(contact_phone.trim_start_matches('+'))
        .bind(now)
        .execute(db.pool())
        .await
        .unwrap();
    let contact: String = sqlx::query_scalar("SELECT id FROM contacts WHERE org_id = $1 AND phone = $2")
        .bind(org.as_str())
        .bind(contact_phone)
        .fetch_one(db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO conversations (id, org_id, number_id, contact_id, status, unread_count, created_at, updated_at) VALUES ($1, $2, $3, $4, 'open', 0, $5, $5) ON CONFLICT (number_id, contact_id) DO NOTHING")
        .bind(crate::clock::new_id())
        .bind(org.as_str())
        .bind(number.as_str())
        .bind(&contact)
        .bind(now)
        .execute(db.pool())
        .await
        .unwrap();
    let conversation: String = sqlx::query_scalar("SELECT id FROM conversations WHERE number_id = $1 AND contact_id = $2")
        .bind(number.as_str())
        .bind(&contact)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let id = crate::clock::new_id();
    sqlx::query("INSERT INTO messages (id, org_id, conversation_id, number_id, direction, type, text, content, wa_message_id, status, created_at) VALUES ($1, $2, $3, $4, 'outbound', 'text', 'hello', '{}', $5, 'pending', $6)")
        .bind(&id)
        .bind(org.as_str())
        .bind(&conversation)
        .bind(number.as_str())
        .bind(wa_message_id)
        .bind(now)
        .execute(db.pool())
        .await
        .unwrap();
    id
}

/// The status, error code and error title of a message.
pub async fn message_status(db: &Db, id: &str) -> (String, Option<i64>, Option<String>) {
    sqlx::query_as("SELECT status, error_code, error_title FROM messages WHERE id = $1").bind(id).fetch_one(db.pool()).await.unwrap()
}

/// Rows in a table (for "stored once" assertions).
pub async fn count_rows(db: &Db, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(db.pool()).await.unwrap()
}

/// An in-process Graph API for tests: answers sends from a script (then accepts), and
/// records every body it was sent.
#[derive(Default)]
pub struct FakeGraph {
    script: std::sync::Mutex<std::collections::VecDeque<Result<String, crate::whatsapp::graph::GraphError>>>,
    calls: std::sync::Mutex<Vec<serde_json::Value>>,
    /// When set, a send blocks until notified (to kill a worker mid-send).
    pub gate: Option<std::sync::Arc<tokio::sync::Notify>>,
    /// "Meta's" media store: id → file.
    media: std::sync::Mutex<HashMap<String, crate::whatsapp::graph::Upload>>,
    /// How many times a number was looked up (connection tests).
    lookups: std::sync::atomic::AtomicUsize,
    /// "Meta's" templates, in creation order (the template calls).
    pub templates: std::sync::Mutex<Vec<serde_json::Value>>,
}

impl FakeGraph {
    /// Answers the next sends with `answers`, in order; later sends are accepted.
    pub fn scripted(answers: Vec<Result<String, crate::whatsapp::graph::GraphError>>) -> Self {
        Self { script: std::sync::Mutex::new(answers.into()), ..Default::default() }
    }
    /// Sends block until `gate` is notified (to kill a worker mid-send).
    pub fn gated(gate: std::sync::Arc<tokio::sync::Notify>) -> Self {
        Self { gate: Some(gate), ..Default::default() }
    }
    /// Puts a file in "Meta's" media store, as if a customer had sent it.
    pub fn hold_media(&self, id: &str, mime_type: &str, bytes: &[u8]) {
        self.media
            .lock()
            .unwrap()
            .insert(id.into(), crate::whatsapp::graph::Upload { mime_type: mime_type.into(), filename: "file".into(), bytes: bytes.to_vec() });
    }
    /// The file "Meta" holds under `id`.
    pub fn held_media(&self, id: &str) -> Option<crate::whatsapp::graph::Upload> {
        self.media.lock().unwrap().get(id).cloned()
    }
    /// How many connection tests asked "Meta" about a number.
    pub fn lookups(&self) -> usize {
        self.lookups.load(std::sync::atomic::Ordering::SeqCst)
    }
    /// The bodies sent so far.
    pub fn calls(&self) -> Vec<serde_json::Value> {
        self.calls.lock().unwrap().clone()
    }
}

/// A Meta error with `code`.
pub fn meta_error(code: i64) -> crate::whatsapp::graph::GraphError {
    crate::whatsapp::graph::GraphError::Api {
        http_status: 400,
        code,
        subcode: None,
        message: format!("(#{code}) test error"),
        details: Some(format!("details of {code}")),
    }
}

#[async_trait::async_trait]
impl crate::whatsapp::graph::WhatsAppApi for FakeGraph {
    async fn phone_number(&self, _token: &str, _pnid: &str) -> Result<crate::whatsapp::graph::PhoneInfo, crate::whatsapp::graph::GraphError> {
        self.lookups.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(crate::whatsapp::graph::PhoneInfo {
            verified_name: Some("Test".into()),
            display_phone_number: Some("15550001111".into()),
            quality_rating: Some("GREEN".into()),
        })
    }

    async fn send_message(&self, _token: &str, _pnid: &str, body: &serde_json::Value) -> Result<String, crate::whatsapp::graph::GraphError> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push(body.clone());
            calls.len()
        };
        if let Some(gate) = &self.gate {
            gate.notified().await;
        }
        self.script.lock().unwrap().pop_front().unwrap_or_else(|| Ok(format!("wamid.FAKE{n}")))
    }

    async fn upload_media(&self, _token: &str, _pnid: &str, file: &crate::whatsapp::graph::Upload) -> Result<String, crate::whatsapp::graph::GraphError> {
        if let Some(answer) = self.script.lock().unwrap().pop_front() {
            answer?;
        }
        let mut media = self.media.lock().unwrap();
        let id = format!("{}", 1_000_000 + media.len());
        media.insert(id.clone(), file.clone());
        Ok(id)
    }

    async fn media_info(&self, _token: &str, _pnid: &str, media_id: &str) -> Result<crate::whatsapp::graph::MediaInfo, crate::whatsapp::graph::GraphError> {
        use base64::Engine;
        use sha2::Digest;
        let media = self.media.lock().unwrap();
        let Some(f) = media.get(media_id) else { return Err(meta_error(100)) };
        Ok(crate::whatsapp::graph::MediaInfo {
            url: format!("fake://media/{media_id}"),
            mime_type: f.mime_type.clone(),
            sha256: Some(base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&f.bytes))),
            file_size: Some(f.bytes.len() as u64),
        })
    }

    async fn download_media(&self, _token: &str, url: &str, max_bytes: u64) -> Result<Vec<u8>, crate::whatsapp::graph::GraphError> {
        let id = url.trim_start_matches("fake://media/");
        let bytes = self.media.lock().unwrap().get(id).map(|f| f.bytes.clone()).ok_or_else(|| meta_error(-404))?;
        if bytes.len() as u64 > max_bytes {
            return Err(crate::whatsapp::graph::too_large(max_bytes));
        }
        Ok(bytes)
    }

    async fn create_template(
        &self,
        _token: &str,
        waba_id: &str,
        body: &serde_json::Value,
    ) -> Result<crate::whatsapp::graph::CreatedTemplate, crate::whatsapp::graph::GraphError> {
        if let Some(answer) = self.script.lock().unwrap().pop_front() {
            answer?;
        }
        let mut held = self.templates.lock().unwrap();
        let same = |t: &serde_json::Value| t["waba"] == waba_id && t["name"] == body["name"] && t["language"] == body["language"];
        if held.iter().any(same) {
            return Err(crate::whatsapp::graph::GraphError::Api {
                http_status: 400,
                code: 100,
                subcode: Some(2388024),
                message: "Content in This Language Already Exists".into(),
                details: None,
            });
        }
        let id = format!("{}", 7_000_000 + held.len());
        let mut t = body.clone();
        t["id"] = id.clone().into();
        t["waba"] = waba_id.into();
        t["status"] = "PENDING".into();
        held.push(t.clone());
        Ok(crate::whatsapp::graph::CreatedTemplate { id, status: "PENDING".into(), category: t["category"].as_str().unwrap_or_default().to_owned() })
    }

    async fn list_templates(
        &self,
        _token: &str,
        waba_id: &str,
        limit: u32,
        after: Option<&str>,
    ) -> Result<crate::whatsapp::graph::TemplatePage, crate::whatsapp::graph::GraphError> {
        let held: Vec<serde_json::Value> = self.templates.lock().unwrap().iter().filter(|t| t["waba"] == waba_id).cloned().collect();
        let start: usize = after.and_then(|a| a.parse().ok()).unwrap_or(0);
        let end = (start + limit as usize).min(held.len());
        let data = held.get(start..end).unwrap_or_default().to_vec();
        Ok(crate::whatsapp::graph::TemplatePage { data, after: (end < held.len()).then(|| end.to_string()) })
    }

    async fn edit_template(&self, _token: &str, template_id: &str, body: &serde_json::Value) -> Result<(), crate::whatsapp::graph::GraphError> {
        let mut held = self.templates.lock().unwrap();
        let t = held.iter_mut().find(|t| t["id"] == template_id).ok_or_else(|| meta_error(100))?;
        for (k, v) in body.as_object().into_iter().flatten() {
            t[k] = v.clone();
        }
        t["status"] = "PENDING".into();
        Ok(())
    }

    async fn delete_template(&self, _token: &str, waba_id: &str, name: &str, hsm_id: Option<&str>) -> Result<(), crate::whatsapp::graph::GraphError> {
        let mut held = self.templates.lock().unwrap();
        let before = held.len();
        held.retain(|t| !(t["waba"] == waba_id && t["name"] == name && hsm_id.is_none_or(|id| t["id"] == id)));
        if held.len() == before {
            return Err(meta_error(100));
        }
        Ok(())
    }
}

/// Opens the 24-hour window of the conversation with `phone` by an inbound message at
/// `at_ms` (through the real webhook ingestion).
pub async fn customer_writes(db: &Db, phone_number_id: &str, phone_digits: &str, at_ms: i64) {
    customer_writes_text(db, phone_number_id, phone_digits, at_ms, "hello").await
}

/// [`customer_writes`] with the message's text.
pub async fn customer_writes_text(db: &Db, phone_number_id: &str, phone_digits: &str, at_ms: i64, text: &str) {
    let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": "Customer"}, "wa_id": phone_digits}],
        "messages": [{"from": phone_digits, "id": format!("wamid.in.{at_ms}.{phone_digits}"), "timestamp": (at_ms / 1000).to_string(), "type": "text", "text": {"body": text}}]}}]}]})
    .to_string();
    let payload = serde_json::from_str(&body).unwrap();
    crate::whatsapp::ingest::apply(db, &body, &payload).await.expect("ingest");
    // What follows a message (consent keywords, scoring, assignment) runs as it would
    // in the server, straight after.
    drain_inbound(db).await;
}

/// Sets a number's stored adaptive rate (benchmarks start at the ceiling).
pub async fn set_send_rate(db: &Db, number: &domain::NumberId, rate: f64) {
    sqlx::query("UPDATE wa_numbers SET send_rate_milli = $1 WHERE id = $2")
        .bind((rate * 1000.0) as i64)
        .bind(number.as_str())
        .execute(db.pool())
        .await
        .unwrap();
}

/// Sets the local day a number's stored rate belongs to.
pub async fn set_rate_day(db: &Db, number: &domain::NumberId, day: &str) {
    sqlx::query("UPDATE wa_numbers SET rate_day = $1 WHERE id = $2").bind(day).bind(number.as_str()).execute(db.pool()).await.unwrap();
}

/// Runs every job due now on `db` through the standard registry (sends through a
/// [`FakeGraph`] that accepts everything), until none is due: the tests' way to let the
/// background work happen without sleeping.
pub async fn drain_jobs(db: &Db) -> Vec<crate::jobs::Ran> {
    let ctx = crate::jobs::JobContext::new(db.clone(), std::sync::Arc::new(FakeGraph::default()), test_cipher());
    crate::jobs::Runner::new(ctx, crate::jobs::kinds::standard(1)).drain(&[], crate::clock::now_ms()).await.expect("jobs run")
}

/// Runs the inbound pipeline's jobs that are due (what the server's runner does within
/// milliseconds of a webhook).
pub async fn drain_inbound(db: &Db) -> Vec<crate::jobs::Ran> {
    let ctx = crate::jobs::JobContext::new(db.clone(), std::sync::Arc::new(FakeGraph::default()), test_cipher());
    crate::jobs::Runner::new(ctx, crate::jobs::kinds::standard(1))
        .drain(&[<crate::conversations::inbound::HandleInbound as crate::jobs::Job>::KIND], crate::clock::now_ms())
        .await
        .expect("inbound jobs run")
}

/// How often [`eventually`] looks again.
pub const EVENTUALLY_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// Waits for something another task does: polls `check` every [`EVENTUALLY_POLL`] until
/// it holds or `bound` has passed, and says whether it held. Tests wait on the condition
/// with this instead of sleeping a fixed time, so they are as quick as the machine allows
/// and a slow machine only makes them slower, not red. Keep `bound` generous (seconds):
/// it is only reached when the test fails.
pub async fn eventually<F, Fut>(bound: std::time::Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(EVENTUALLY_POLL).await;
    }
}

/// A message the [`SmtpSink`] received: the envelope and the raw message (headers and
/// MIME body, dot-stuffing undone).
#[derive(Debug, Clone)]
pub struct SunkMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl SunkMail {
    /// The message with quoted-printable soft line breaks and `=XX` escapes undone (good
    /// enough to find links and text in either part).
    pub fn decoded(&self) -> String {
        let joined = self.data.replace("=\r\n", "").replace("=\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit() {
                out.push(u8::from_str_radix(&joined[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The first link in the message whose path starts with `path` (`/reset-password`),
    /// with its query.
    pub fn link(&self, path: &str) -> Option<String> {
        let text = self.decoded();
        let at = text.find(&format!("{path}?"))?;
        let start = text[..at].rfind("http")?;
        let end = text[at..].find(|c: char| !(c.is_ascii_alphanumeric() || "-_.~/?=&%:".contains(c))).map(|e| at + e).unwrap_or(text.len());
        Some(text[start..end].to_owned())
    }
}

/// A tiny SMTP server for tests: it speaks just enough (EHLO/HELO, AUTH PLAIN/LOGIN,
/// MAIL, RCPT, DATA, RSET, NOOP, QUIT) to take messages from `lettre` and keeps them.
#[derive(Clone)]
pub struct SmtpSink {
    pub addr: std::net::SocketAddr,
    mails: std::sync::Arc<std::sync::Mutex<Vec<SunkMail>>>,
}

impl SmtpSink {
    /// Listens on a free local port until the test ends.
    pub async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("sink binds");
        let sink = SmtpSink { addr: listener.local_addr().expect("sink address"), mails: Default::default() };
        let mails = sink.mails.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let mails = mails.clone();
                tokio::spawn(async move {
                    let _ = serve_smtp(socket, mails).await;
                });
            }
        });
        sink
    }

    /// `MCE_SMTP_URL` for this sink (it takes any credentials).
    pub fn url(&self) -> String {
        format!("smtp://sink:sink-password@{}", self.addr)
    }

    /// A mailer sending to this sink.
    pub fn delivery(&self, public_url: &str) -> crate::mail::Delivery {
        crate::mail::Delivery {
            mailer: Some(crate::mail::Mailer::new(&self.url(), "MCE <mce@mce.test>").expect("mailer")),
            ..crate::mail::Delivery::without_mail(public_url)
        }
    }

    /// Every message received so far.
    pub fn mails(&self) -> Vec<SunkMail> {
        self.mails.lock().expect("sink lock").clone()
    }

    /// The last message to `to`, waiting up to 10 s for one to arrive.
    pub async fn last_to(&self, to: &str) -> Option<SunkMail> {
        let find = || self.mails().into_iter().rev().find(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)));
        eventually(std::time::Duration::from_secs(10), || std::future::ready(find().is_some())).await;
        find()
    }
}

async fn serve_smtp(socket: tokio::net::TcpStream, mails: std::sync::Arc<std::sync::Mutex<Vec<SunkMail>>>) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    let mut auth_login_steps = 0;
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if auth_login_steps > 0 {
            auth_login_steps -= 1;
            let reply: &[u8] = if auth_login_steps == 0 { b"235 ok\r\n" } else { b"334 UGFzc3dvcmQ6\r\n" };
            write.write_all(reply).await?;
            continue;
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("RSET") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else if upper.starts_with("AUTH PLAIN") {
            b"235 ok\r\n"
        } else if upper.starts_with("AUTH LOGIN") {
            auth_login_steps = 2;
            b"334 VXNlcm5hbWU6\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = angle(&line);
            to.clear();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(angle(&line));
            b"250 ok\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 go on\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            mails.lock().expect("sink lock").push(SunkMail { from: from.clone(), to: to.clone(), data });
            b"250 queued\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not here\r\n"
        };
        write.write_all(reply).await?;
    }
}

fn angle(line: &str) -> String {
    match (line.find('<'), line.find('>')) {
        (Some(a), Some(b)) if b > a => line[a + 1..b].to_owned(),
        _ => line.split(':').nth(1).unwrap_or("").trim().to_owned(),
    }
}

/// Turns on two-factor sign-in for `user` as of `now_ms` (the code for that instant
/// confirms it); returns the base32 secret and the recovery codes.
pub async fn enrol_totp(db: &Db, cipher: &crate::secrets::Cipher, user: &User, now_ms: i64) -> (String, Vec<String>) {
    let e = crate::two_factor::begin_enrolment(db, cipher, user).await.expect("enrolment starts");
    let code = crate::two_factor::code_at(&e.secret, (now_ms / 1000) as u64).unwrap();
    let codes = crate::two_factor::confirm_enrolment(db, cipher, &user.id, &code, now_ms).await.expect("enrolment confirmed");
    (e.secret, codes)
}

/// Every table of the schema with its row count, sorted by name (to show that a request
/// wrote nothing).
pub async fn table_row_counts(db: &Db) -> Vec<(String, i64)> {
    let sql = match db.kind() {
        crate::DbKind::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        crate::DbKind::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
    };
    let names: Vec<String> = sqlx::query_scalar(sql).fetch_all(db.pool()).await.unwrap();
    let mut out = Vec::new();
    for n in names {
        out.push((n.clone(), count_rows(db, &format!("\"{n}\"")).await));
    }
    out
}
