//! The webhook writer's group commit on both databases: a bad body does not sink its
//! batch, nothing of a failed commit is answered as applied, order rules hold inside a
//! batch, a full queue refuses at once, and (SQLite) readers go on beside an open write.

use backend::testing::{count_rows, databases, message_status, seed_number, seed_org_with, seed_outbound_message, TestDb};
use backend::whatsapp::ingest::WINDOW_MS;
use backend::whatsapp::webhook_writer::{IngestError, WebhookWriter, WriterSettings};
use backend::DbKind;
use domain::whatsapp::webhook::WebhookPayload;
use domain::Role;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

const PNID: &str = "100000000000001";

fn inbound(wamid: &str, from: &str, ts: i64) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": from}],
        "messages": [{"from": from, "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": {"body": "hi"}}]}}]}]})
    .to_string()
}

fn status(wamid: &str, status: &str) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PNID},
        "statuses": [{"id": wamid, "status": status, "timestamp": "1760000000", "recipient_id": "5511999990000"}]}}]}]})
    .to_string()
}

fn all_chats() -> backend::inbox::ListQuery {
    backend::inbox::ListQuery { tab: domain::inbox::Tab::All, search: None, cursor: None, limit: 20, only: None }
}

fn parse(body: &str) -> WebhookPayload {
    serde_json::from_str(body).expect("test payload parses")
}

/// A writer that waits long enough to put everything submitted together in one batch.
fn patient_writer(t: &TestDb) -> WebhookWriter {
    WebhookWriter::spawn(t.db.clone(), WriterSettings { max_batch: 64, linger: Duration::from_millis(300), queue: 64, writers: 1 })
}

/// Submits every body at once and collects the answers in order.
async fn submit_together(w: &WebhookWriter, bodies: &[String]) -> Vec<Result<usize, IngestError>> {
    let tasks: Vec<_> = bodies
        .iter()
        .map(|b| {
            let (w, b) = (w.clone(), b.clone());
            tokio::spawn(async move { w.apply(b.clone(), parse(&b)).await.map(|r| r.messages_stored + r.statuses_applied) })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Makes inserting the inbound message `wamid.POISON` fail, as a broken row would.
async fn poison_one_message(t: &TestDb) {
    match t.db.kind() {
        DbKind::Sqlite => {
            sqlx::query("CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.wa_message_id = 'wamid.POISON' BEGIN SELECT RAISE(ABORT, 'poisoned'); END")
                .execute(t.db.pool())
                .await
                .unwrap();
        }
        DbKind::Postgres => {
            sqlx::query("CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.wa_message_id = 'wamid.POISON' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
                .execute(t.db.pool())
                .await
                .unwrap();
            sqlx::query("CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION poison()").execute(t.db.pool()).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_batch_with_one_bad_body_stores_the_rest_and_keeps_the_bad_one_raw() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        poison_one_message(&t).await;
        let bodies: Vec<String> = vec![
            inbound("wamid.G1", "5511999990001", 1760000001),
            inbound("wamid.G2", "5511999990002", 1760000002),
            inbound("wamid.POISON", "5511999990003", 1760000003),
            inbound("wamid.G3", "5511999990004", 1760000004),
        ];
        let answers = submit_together(&patient_writer(&t), &bodies).await;
        assert_eq!(answers, vec![Ok(1), Ok(1), Err(IngestError::Failed), Ok(1)], "{}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 3, "the good bodies are stored ({})", t.label);
        let kept: Vec<(String, String)> = sqlx::query_as("SELECT outcome, body FROM webhook_events ORDER BY outcome").fetch_all(t.db.pool()).await.unwrap();
        assert_eq!(kept.iter().filter(|(o, _)| o == "applied").count(), 3, "{}", t.label);
        let failed: Vec<&String> = kept.iter().filter(|(o, _)| o == "failed").map(|(_, b)| b).collect();
        assert_eq!(failed.len(), 1, "{}", t.label);
        assert!(failed[0].contains("wamid.POISON"), "the bad body is kept raw ({})", t.label);
    }
}

#[tokio::test]
async fn nothing_of_a_failed_commit_is_answered_as_applied_and_a_committed_batch_answers_everyone() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let writer = patient_writer(&t);
        let bodies: Vec<String> = (0..5).map(|i| inbound(&format!("wamid.C{i}"), &format!("551199999000{i}"), 1760000000 + i)).collect();
        // Every commit fails: the batch's and each body's alone.
        writer.faults().failing_commits.store(1000, Ordering::Relaxed);
        let answers = submit_together(&writer, &bodies).await;
        assert!(answers.iter().all(|a| *a == Err(IngestError::Failed)), "{}: {answers:?}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 0, "nothing was committed ({})", t.label);

        // Commits work again: Meta's retry of the same bodies is applied, every one answered.
        writer.faults().failing_commits.store(0, Ordering::Relaxed);
        let answers = submit_together(&writer, &bodies).await;
        assert_eq!(answers, vec![Ok(1); 5], "{}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 5, "{}", t.label);
    }
}

#[tokio::test]
async fn a_batch_that_fails_to_commit_once_is_applied_body_by_body() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let writer = patient_writer(&t);
        writer.faults().failing_commits.store(1, Ordering::Relaxed);
        let bodies: Vec<String> = (0..3).map(|i| inbound(&format!("wamid.R{i}"), &format!("551199999100{i}"), 1760000000 + i)).collect();
        assert_eq!(submit_together(&writer, &bodies).await, vec![Ok(1); 3], "{}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 3, "{}", t.label);
    }
}

#[tokio::test]
async fn statuses_and_inbound_messages_interleaved_in_one_batch_keep_their_order_rules() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let sent = seed_outbound_message(&t.db, &a.org, &number.id, "+5511999990000", Some("wamid.OUT")).await;
        // Read arrives before delivered and sent; the newer inbound message before the older.
        let bodies = vec![
            status("wamid.OUT", "read"),
            inbound("wamid.NEW", "5511999990000", 1760000500),
            status("wamid.OUT", "delivered"),
            inbound("wamid.OLD", "5511999990000", 1760000100),
            status("wamid.OUT", "sent"),
        ];
        let answers = submit_together(&patient_writer(&t), &bodies).await;
        assert!(answers.iter().all(|a| a.is_ok()), "{}: {answers:?}", t.label);
        assert_eq!(message_status(&t.db, &sent).await.0, "read", "statuses never move back ({})", t.label);
        let (last_inbound, window): (i64, i64) = sqlx::query_as("SELECT last_inbound_at, window_expires_at FROM conversations WHERE number_id = $1")
            .bind(number.id.as_str())
            .fetch_one(t.db.pool())
            .await
            .unwrap();
        assert_eq!((last_inbound, window), (1_760_000_500_000, 1_760_000_500_000 + WINDOW_MS), "the window follows the newest message ({})", t.label);
    }
}

#[tokio::test]
async fn a_full_queue_refuses_at_once_and_the_queued_bodies_are_applied_when_the_writer_catches_up() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let writer = WebhookWriter::spawn(t.db.clone(), WriterSettings { max_batch: 1, linger: Duration::ZERO, queue: 2, writers: 1 });
        // Hold the writer up: on SQLite the one write connection is taken, on PostgreSQL
        // the raw-body table is locked.
        let mut blocker = t.db.pool().begin().await.unwrap();
        if t.db.kind() == DbKind::Postgres {
            sqlx::query("LOCK TABLE webhook_events IN ACCESS EXCLUSIVE MODE").execute(&mut *blocker).await.unwrap();
        }
        let submit = |i: i64| {
            let (w, b) = (writer.clone(), inbound(&format!("wamid.Q{i}"), &format!("551199999200{i}"), 1760000000 + i));
            tokio::spawn(async move { w.apply(b.clone(), parse(&b)).await.map(|r| r.messages_stored) })
        };
        let first = submit(0);
        backend::testing::eventually(Duration::from_secs(10), || std::future::ready(writer.backlog() == 1 && writer.capacity() == 2)).await;
        let queued = [submit(1), submit(2)];
        backend::testing::eventually(Duration::from_secs(10), || std::future::ready(writer.backlog() == 3)).await;
        let refused = writer.apply(inbound("wamid.Q9", "5511999992009", 1760000009), parse(&inbound("wamid.Q9", "5511999992009", 1760000009))).await;
        assert_eq!(refused.map(|r| r.messages_stored), Err(IngestError::Busy), "{}", t.label);

        blocker.rollback().await.unwrap();
        assert_eq!(first.await.unwrap(), Ok(1), "{}", t.label);
        for q in queued {
            assert_eq!(q.await.unwrap(), Ok(1), "{}", t.label);
        }
        assert_eq!(count_rows(&t.db, "messages").await, 3, "{}", t.label);
        assert_eq!(writer.backlog(), 0);
    }
}

#[tokio::test]
async fn sqlite_readers_go_on_while_a_long_write_transaction_is_open_and_cannot_write() {
    let t = backend::testing::sqlite().await;
    let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
    let mut long_write = t.db.pool().begin().await.unwrap();
    sqlx::query("INSERT INTO webhook_events (id, received_at, outcome, body) VALUES ('w1', 1, 'applied', '{}')").execute(&mut *long_write).await.unwrap();
    // With one connection for everything this read would wait for the write to end.
    let read =
        tokio::time::timeout(Duration::from_secs(10), sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM webhook_events").fetch_one(t.db.reader())).await;
    assert_eq!(read.expect("the read did not wait for the writer").unwrap(), 0, "a reader sees the last commit, not the open write");
    let page = tokio::time::timeout(Duration::from_secs(10), backend::inbox::list(&t.db, &a.actor, &all_chats(), backend::clock::now_ms())).await;
    assert!(page.expect("the inbox list did not wait for the writer").is_ok());
    let write = sqlx::query("DELETE FROM webhook_events").execute(t.db.reader()).await;
    assert!(write.is_err(), "a reader refuses to write");
    long_write.commit().await.unwrap();
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM webhook_events").fetch_one(t.db.reader()).await.unwrap(), 1, "and sees the commit after it");
}

fn status_with(wamid: &str, status: &str, extra: serde_json::Value) -> String {
    let mut s = json!({"id": wamid, "status": status, "timestamp": "1760000000", "recipient_id": "5511999990000"});
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PNID}, "statuses": [s]}}]}]})
    .to_string()
}

#[tokio::test]
async fn a_batch_of_statuses_merges_in_arrival_order_and_publishes_every_transition_in_order() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let one = seed_outbound_message(&t.db, &a.org, &number.id, "+5511999990001", Some("wamid.ONE")).await;
        let two = seed_outbound_message(&t.db, &a.org, &number.id, "+5511999990002", Some("wamid.TWO")).await;
        let lost = seed_outbound_message(&t.db, &a.org, &number.id, "+5511999990003", None).await;
        let bad = seed_outbound_message(&t.db, &a.org, &number.id, "+5511999990004", Some("wamid.BAD")).await;
        let bodies = vec![
            status("wamid.ONE", "delivered"),
            status("wamid.TWO", "sent"),
            status("wamid.ONE", "sent"),
            status("wamid.TWO", "delivered"),
            status("wamid.NOBODY", "read"),
            // A send whose answer was lost: found by our id, and its wamid recorded.
            status_with("wamid.LOST", "sent", json!({"biz_opaque_callback_data": lost})),
            status_with("wamid.BAD", "failed", json!({"errors": [{"code": 131026, "title": "Message undeliverable"}]})),
            status("wamid.TWO", "read"),
        ];
        let answers = submit_together(&patient_writer(&t), &bodies).await;
        assert_eq!(answers, vec![Ok(1), Ok(1), Ok(0), Ok(1), Ok(0), Ok(1), Ok(1), Ok(1)], "{}", t.label);
        assert_eq!(message_status(&t.db, &one).await.0, "delivered", "a late sent does not move it back ({})", t.label);
        assert_eq!(message_status(&t.db, &two).await.0, "read", "{}", t.label);
        assert_eq!(message_status(&t.db, &bad).await, ("failed".into(), Some(131026), Some("Message undeliverable".into())), "{}", t.label);
        let (lost_status, lost_wamid): (String, Option<String>) =
            sqlx::query_as("SELECT status, wa_message_id FROM messages WHERE id = $1").bind(&lost).fetch_one(t.db.pool()).await.unwrap();
        assert_eq!((lost_status.as_str(), lost_wamid.as_deref()), ("sent", Some("wamid.LOST")), "{}", t.label);
        let published: Vec<String> =
            sqlx::query_scalar("SELECT payload FROM org_events WHERE kind = 'status' ORDER BY id").fetch_all(t.db.pool()).await.unwrap();
        let moves: Vec<(String, String)> = published
            .iter()
            .map(|p| serde_json::from_str::<serde_json::Value>(p).unwrap())
            .map(|p| (p["message_id"].as_str().unwrap().to_owned(), p["status"].as_str().unwrap().to_owned()))
            .collect();
        let expected: Vec<(String, String)> = [(&one, "delivered"), (&two, "sent"), (&two, "delivered"), (&lost, "sent"), (&bad, "failed"), (&two, "read")]
            .iter()
            .map(|(id, s)| (id.to_string(), s.to_string()))
            .collect();
        assert_eq!(moves, expected, "one event per transition, in arrival order ({})", t.label);
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE outcome = 'applied'").fetch_one(t.db.pool()).await.unwrap();
        assert_eq!(kept, bodies.len() as i64, "every raw body is kept ({})", t.label);
    }
}

#[tokio::test]
async fn several_writers_share_the_load_and_each_senders_conversation_stays_whole() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let sent: Vec<String> = seed_five_sent(&t, &a.org, &number.id).await;
        // Four writers on PostgreSQL (SQLite keeps its one): ten senders, four messages
        // each in scrambled time order, and every sent message's statuses.
        let writer = WebhookWriter::spawn(t.db.clone(), WriterSettings { max_batch: 8, linger: Duration::from_millis(5), queue: 256, writers: 4 });
        assert_eq!(writer.writers(), if t.db.kind() == DbKind::Postgres { 4 } else { 1 }, "{}", t.label);
        let mut bodies = Vec::new();
        for round in [2, 0, 3, 1] {
            for s in 0..10 {
                bodies.push(inbound(&format!("wamid.S{s}R{round}"), &format!("55119999930{s:02}"), 1760000000 + round));
            }
        }
        for st in ["read", "sent", "delivered"] {
            for (i, _) in sent.iter().enumerate() {
                bodies.push(status(&format!("wamid.P{i}"), st));
            }
        }
        let answers = submit_together(&writer, &bodies).await;
        assert!(answers.iter().all(|a| a.is_ok()), "{}: {answers:?}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 40 + sent.len() as i64, "{}", t.label);
        let chats: Vec<(i64, i64)> =
            sqlx::query_as("SELECT unread_count, last_inbound_at FROM conversations WHERE last_inbound_at IS NOT NULL").fetch_all(t.db.pool()).await.unwrap();
        assert_eq!(chats.len(), 10, "one conversation per sender ({})", t.label);
        assert!(chats.iter().all(|c| *c == (4, 1_760_000_003_000)), "every message counted, the newest wins ({}): {chats:?}", t.label);
        for id in &sent {
            assert_eq!(message_status(&t.db, id).await.0, "read", "{}", t.label);
        }
        assert_eq!(writer.backlog(), 0, "{}", t.label);
    }
}

/// Five sent messages `wamid.P0` … `wamid.P4`.
async fn seed_five_sent(t: &TestDb, org: &domain::OrgId, number: &domain::NumberId) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..5 {
        out.push(seed_outbound_message(&t.db, org, number, &format!("+55119999940{i:02}"), Some(&format!("wamid.P{i}"))).await);
    }
    out
}
