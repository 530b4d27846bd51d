//! Applying webhook payloads on both databases: every inbound type stored once, batches,
//! duplicates, statuses in every order, username-only senders, unknown numbers, the
//! 24-hour window and account events.

use backend::conversations;
use backend::testing::{count_rows, databases, message_status, seed_number, seed_org_with, seed_outbound_message};
use backend::whatsapp::ingest::{self, WINDOW_MS};
use domain::whatsapp::webhook::WebhookPayload;
use domain::{PhoneE164, Role};
use serde_json::{json, Value};

const PNID: &str = "100000000000001";

fn envelope(changes: Vec<Value>) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900000000000001", "changes": changes}]}).to_string()
}

fn messages_change(pnid: &str, contacts: Value, messages: Value) -> Value {
    json!({"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": pnid}, "contacts": contacts, "messages": messages}})
}

fn status_change(pnid: &str, statuses: Value) -> Value {
    json!({"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": pnid}, "statuses": statuses}})
}

/// One inbound message of every type Meta's messages webhook reference lists.
fn every_type(from: &str) -> Value {
    let m = |id: &str, ts: i64, kind: &str, obj: Value| {
        let mut v = json!({"from": from, "id": id, "timestamp": ts.to_string(), "type": kind});
        v[kind] = obj;
        v
    };
    Value::Array(vec![
        m("wamid.T", 1760000000, "text", json!({"body": "Hello there"})),
        m("wamid.I", 1760000001, "image", json!({"id": "111", "mime_type": "image/jpeg", "sha256": "x", "caption": "receipt"})),
        m("wamid.V", 1760000002, "video", json!({"id": "112", "mime_type": "video/mp4", "sha256": "x"})),
        m("wamid.A", 1760000003, "audio", json!({"id": "113", "mime_type": "audio/ogg; codecs=opus", "sha256": "x", "voice": true})),
        m("wamid.D", 1760000004, "document", json!({"id": "114", "mime_type": "application/pdf", "sha256": "x", "filename": "quote.pdf"})),
        m("wamid.S", 1760000005, "sticker", json!({"id": "115", "mime_type": "image/webp", "sha256": "x", "animated": false})),
        m("wamid.L", 1760000006, "location", json!({"latitude": 12.97, "longitude": 77.59, "name": "Office", "address": "MG Road"})),
        m("wamid.C", 1760000007, "contacts", json!([{"name": {"formatted_name": "Bo Li"}, "phones": [{"phone": "+1 555 0100", "type": "CELL"}]}])),
        {
            let mut v = m("wamid.BR", 1760000008, "interactive", json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes please"}}));
            v["context"] = json!({"from": "15550001111", "id": "wamid.OUT1"});
            v
        },
        m("wamid.LR", 1760000009, "interactive", json!({"type": "list_reply", "list_reply": {"id": "opt2", "title": "Express", "description": "1-2 days"}})),
        m("wamid.NF", 1760000010, "interactive", json!({"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"a\":1}"}})),
        m("wamid.B", 1760000011, "button", json!({"payload": "CONFIRM_42", "text": "Confirm"})),
        m("wamid.R", 1760000012, "reaction", json!({"message_id": "wamid.OUT1", "emoji": "👍"})),
        m(
            "wamid.O",
            1760000013,
            "order",
            json!({"catalog_id": "c1", "text": "my order", "product_items": [{"product_retailer_id": "sku1", "quantity": 2, "item_price": 9.5, "currency": "USD"}]}),
        ),
        m("wamid.SY", 1760000014, "system", json!({"body": "User changed number", "wa_id": "5511999990001", "type": "user_changed_number"})),
        {
            let mut v = m("wamid.U", 1760000015, "unsupported", json!({"type": "poll_creation"}));
            v["errors"] = json!([{"code": 131051, "title": "Message type unknown", "error_data": {"details": "Message type is not currently supported"}}]);
            v
        },
    ])
}

fn parse(body: &str) -> WebhookPayload {
    serde_json::from_str(body).expect("test payload parses")
}

#[tokio::test]
async fn every_inbound_type_is_stored_once_even_when_delivered_twice() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let body = envelope(vec![messages_change(PNID, json!([{"profile": {"name": "Ana"}, "wa_id": "5511999990000"}]), every_type("5511999990000"))]);
        let first = ingest::apply(&t.db, &body, &parse(&body)).await.unwrap();
        assert_eq!(first.messages_stored, 16, "{}", t.label);
        let again = ingest::apply(&t.db, &body, &parse(&body)).await.unwrap();
        assert_eq!((again.messages_stored, again.duplicate_messages), (0, 16), "{}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, 16);
        assert_eq!(count_rows(&t.db, "contacts").await, 1);
        assert_eq!(count_rows(&t.db, "webhook_events").await, 2, "every raw body is kept");

        let contact = conversations::contact_by_phone(&t.db, &a.actor, &PhoneE164::parse("+5511999990000").unwrap()).await.unwrap().unwrap();
        assert_eq!(contact.profile_name.as_deref(), Some("Ana"));
        assert_eq!(contact.wa_id.as_deref(), Some("5511999990000"));
        let convs = conversations::for_contact(&t.db, &a.actor, &contact.id).await.unwrap();
        assert_eq!(convs.len(), 1);
        assert_eq!(convs[0].unread_count, 16, "{}", t.label);
        let msgs = conversations::messages(&t.db, &a.actor, &convs[0].id, 100).await.unwrap();
        let kinds: Vec<&str> = msgs.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec![
                "text",
                "image",
                "video",
                "audio",
                "document",
                "sticker",
                "location",
                "contacts",
                "interactive",
                "interactive",
                "interactive",
                "button",
                "reaction",
                "order",
                "system",
                "unsupported"
            ]
        );
        assert_eq!(msgs[0].text.as_deref(), Some("Hello there"));
        assert_eq!(msgs[1].text.as_deref(), Some("receipt"));
        assert_eq!(msgs[1].content["image"]["id"], "111");
        assert_eq!(msgs[6].content["location"]["latitude"], 12.97);
        assert_eq!(msgs[8].content["context"]["id"], "wamid.OUT1", "reply context is kept");
        assert_eq!(msgs[9].text.as_deref(), Some("Express"));
        assert_eq!(msgs[15].error_code, Some(131051));
        assert!(msgs.iter().all(|m| m.direction == "inbound" && m.status == "received"));
    }
}

#[tokio::test]
async fn a_batch_routes_each_change_to_its_number_and_org() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, "111").await;
        seed_number(&t.db, &b.actor, "222").await;
        let msg = |id: &str| json!([{"from": "4915100000000", "id": id, "timestamp": "1760000000", "type": "text", "text": {"body": id}}]);
        let contacts = json!([{"profile": {"name": "Max"}, "wa_id": "4915100000000"}]);
        let body = envelope(vec![
            messages_change("111", contacts.clone(), msg("wamid.toA")),
            messages_change("222", contacts, msg("wamid.toB")),
            messages_change("999", json!([]), msg("wamid.nobody")),
        ]);
        let r = ingest::apply(&t.db, &body, &parse(&body)).await.unwrap();
        assert_eq!((r.messages_stored, r.unknown_numbers), (2, 1), "{}", t.label);
        let phone = PhoneE164::parse("+4915100000000").unwrap();
        for (org, expected) in [(&a.actor, "wamid.toA"), (&b.actor, "wamid.toB")] {
            let c = conversations::contact_by_phone(&t.db, org, &phone).await.unwrap().expect("each org has its own contact");
            let conv = &conversations::for_contact(&t.db, org, &c.id).await.unwrap()[0];
            let msgs = conversations::messages(&t.db, org, &conv.id, 10).await.unwrap();
            assert_eq!(msgs.len(), 1, "{}", t.label);
            assert_eq!(msgs[0].text.as_deref(), Some(expected));
        }
    }
}

#[tokio::test]
async fn a_username_only_sender_is_kept_and_later_gains_a_phone() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let hidden = envelope(vec![messages_change(
            PNID,
            json!([{"profile": {"name": "Quiet", "username": "@quiet"}, "user_id": "US.13491208655302741918"}]),
            json!([{"from_user_id": "US.13491208655302741918", "id": "wamid.H1", "timestamp": "1760000000", "type": "text", "text": {"body": "hi"}}]),
        )]);
        assert_eq!(ingest::apply(&t.db, &hidden, &parse(&hidden)).await.unwrap().messages_stored, 1, "{}", t.label);
        assert_eq!(count_rows(&t.db, "contacts").await, 1);
        let revealed = envelope(vec![messages_change(
            PNID,
            json!([{"profile": {"name": "Quiet"}, "wa_id": "447700900000", "user_id": "US.13491208655302741918"}]),
            json!([{"from": "447700900000", "from_user_id": "US.13491208655302741918", "id": "wamid.H2", "timestamp": "1760000100", "type": "text", "text": {"body": "me again"}}]),
        )]);
        ingest::apply(&t.db, &revealed, &parse(&revealed)).await.unwrap();
        assert_eq!(count_rows(&t.db, "contacts").await, 1, "the same person stays one contact ({})", t.label);
        let c = conversations::contact_by_phone(&t.db, &a.actor, &PhoneE164::parse("+447700900000").unwrap()).await.unwrap().unwrap();
        assert_eq!(c.username.as_deref(), Some("@quiet"));
        assert_eq!(count_rows(&t.db, "messages").await, 2);
    }
}

#[tokio::test]
async fn the_window_follows_the_latest_inbound_message_whatever_the_order() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let contacts = json!([{"profile": {"name": "Ana"}, "wa_id": "5511999990000"}]);
        let one = |id: &str, ts: i64| {
            envelope(vec![messages_change(
                PNID,
                contacts.clone(),
                json!([{"from": "5511999990000", "id": id, "timestamp": ts.to_string(), "type": "text", "text": {"body": "x"}}]),
            )])
        };
        let newer = one("wamid.N", 1_760_000_500);
        let older = one("wamid.O", 1_760_000_000);
        ingest::apply(&t.db, &newer, &parse(&newer)).await.unwrap();
        ingest::apply(&t.db, &older, &parse(&older)).await.unwrap();
        let c = conversations::contact_by_phone(&t.db, &a.actor, &PhoneE164::parse("+5511999990000").unwrap()).await.unwrap().unwrap();
        let conv = &conversations::for_contact(&t.db, &a.actor, &c.id).await.unwrap()[0];
        assert_eq!(conv.last_inbound_at, Some(1_760_000_500_000), "{}", t.label);
        assert_eq!(conv.window_expires_at, Some(1_760_000_500_000 + WINDOW_MS));
        let msgs = conversations::messages(&t.db, &a.actor, &conv.id, 10).await.unwrap();
        assert_eq!(msgs.iter().map(|m| m.wa_message_id.clone().unwrap()).collect::<Vec<_>>(), vec!["wamid.O", "wamid.N"], "ordered by WhatsApp time");
    }
}

fn permutations(v: &[&'static str]) -> Vec<Vec<&'static str>> {
    if v.len() <= 1 {
        return vec![v.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..v.len() {
        let mut rest = v.to_vec();
        let x = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, x);
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn statuses_never_go_backwards_in_any_arrival_order_with_duplicates() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        for (i, order) in permutations(&["sent", "delivered", "read"]).into_iter().enumerate() {
            let wamid = format!("wamid.OUT{i}");
            let id = seed_outbound_message(&t.db, &a.org, &number.id, &format!("+55119999900{i:02}"), Some(&wamid)).await;
            // Each status twice, the second copy of the whole sequence as one batch.
            for status in &order {
                let body = envelope(vec![status_change(PNID, json!([{"id": wamid, "status": status, "timestamp": "1760000100", "recipient_id": "5511"}]))]);
                ingest::apply(&t.db, &body, &parse(&body)).await.unwrap();
            }
            let batch: Vec<Value> = order.iter().map(|s| json!({"id": wamid, "status": s, "timestamp": "1760000100"})).collect();
            let body = envelope(vec![status_change(PNID, Value::Array(batch))]);
            ingest::apply(&t.db, &body, &parse(&body)).await.unwrap();
            assert_eq!(message_status(&t.db, &id).await.0, "read", "{} {order:?}", t.label);
        }
    }
}

#[tokio::test]
async fn failed_keeps_its_code_and_title_and_is_final() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        for order in permutations(&["sent", "failed"]) {
            let wamid = format!("wamid.F{}", order.join(""));
            let id = seed_outbound_message(&t.db, &a.org, &number.id, "+5511999990000", Some(&wamid)).await;
            for status in order.iter().chain(["delivered"].iter()) {
                let mut s = json!({"id": wamid, "status": status, "timestamp": "1760000200", "recipient_id": "5511999990000"});
                if *status == "failed" {
                    s["errors"] = json!([{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message", "error_data": {"details": "More than 24 hours have passed."}}]);
                }
                let body = envelope(vec![status_change(PNID, json!([s]))]);
                ingest::apply(&t.db, &body, &parse(&body)).await.unwrap();
            }
            let (status, code, title) = message_status(&t.db, &id).await;
            assert_eq!((status.as_str(), code), ("failed", Some(131047)), "{} {order:?}", t.label);
            assert_eq!(title.as_deref(), Some("More than 24 hours have passed."));
        }
    }
}

#[tokio::test]
async fn a_status_finds_its_message_by_our_callback_data_when_the_wamid_was_never_recorded() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let id = seed_outbound_message(&t.db, &a.org, &number.id, "+5511999990000", None).await;
        let body = envelope(vec![status_change(
            PNID,
            json!([{"id": "wamid.LOST", "status": "delivered", "timestamp": "1760000300", "biz_opaque_callback_data": id}]),
        )]);
        let r = ingest::apply(&t.db, &body, &parse(&body)).await.unwrap();
        assert_eq!(r.statuses_applied, 1, "{}", t.label);
        assert_eq!(message_status(&t.db, &id).await.0, "delivered");
        let again = envelope(vec![status_change(PNID, json!([{"id": "wamid.LOST", "status": "read", "timestamp": "1760000400"}]))]);
        ingest::apply(&t.db, &again, &parse(&again)).await.unwrap();
        assert_eq!(message_status(&t.db, &id).await.0, "read", "the wamid was recorded ({})", t.label);
    }
}

#[tokio::test]
async fn template_and_quality_events_are_kept_once() {
    for t in databases().await {
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "900000000000001", "time": 1751250234, "changes": [
            {"field": "message_template_status_update", "value": {"event": "APPROVED", "message_template_id": 1689556908129832_u64, "message_template_name": "order_confirmation", "message_template_language": "en_US", "reason": "NONE", "message_template_category": "UTILITY"}},
            {"field": "template_category_update", "value": {"message_template_id": 1689556908129832_u64, "message_template_name": "order_confirmation", "message_template_language": "en_US", "previous_category": "UTILITY", "new_category": "MARKETING"}},
            {"field": "phone_number_quality_update", "value": {"display_phone_number": "15550783881", "event": "THROUGHPUT_UPGRADE", "max_daily_conversations_per_business": "TIER_2K"}}
        ]}]}).to_string();
        let first = ingest::apply(&t.db, &body, &parse(&body)).await.unwrap();
        assert_eq!(first.account_events, 3, "{}", t.label);
        let second = ingest::apply(&t.db, &body, &parse(&body)).await.unwrap();
        assert_eq!(second.account_events, 0, "duplicates are ignored ({})", t.label);
        assert_eq!(count_rows(&t.db, "wa_account_events").await, 3);
    }
}

#[tokio::test]
async fn malformed_bodies_are_kept_for_inspection_and_old_ones_pruned() {
    for t in databases().await {
        ingest::record_malformed(&t.db, "{not json", "expected value").await.unwrap();
        assert_eq!(count_rows(&t.db, "webhook_events").await, 1, "{}", t.label);
        assert_eq!(ingest::prune_raw(&t.db, 90 * 24 * 3600 * 1000).await.unwrap(), 0);
        assert_eq!(ingest::prune_raw(&t.db, -1000).await.unwrap(), 1, "everything older than the cut-off goes");
    }
}
