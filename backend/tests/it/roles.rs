//! Services own authorisation: whichever entry point calls them (a server function, a
//! REST route, a job), the contacts and CRM-settings services check the actor's role
//! themselves.

use backend::auth::Actor;
use backend::clock::now_ms;
use backend::contacts::{edit, fields, settings, sources, tags};
use backend::testing::{databases, seed_member, seed_org_with, test_cipher};
use domain::{ErrorCode, Role};
use serde_json::json;

async fn member(db: &backend::Db, org: &domain::OrgId, email: &str, role: Role) -> Actor {
    let user = seed_member(db, org, email, role).await;
    backend::auth::actor_for(db, &user.id, org).await.unwrap()
}

/// An org's admin with a viewer, an agent and a manager beside them.
async fn team(db: &backend::Db) -> (backend::testing::Seeded, Actor, Actor, Actor) {
    let a = seed_org_with(db, "Org A", "admin@a.test", Role::Admin).await;
    let viewer = member(db, &a.org, "viewer@a.test", Role::Viewer).await;
    let agent = member(db, &a.org, "agent@a.test", Role::Agent).await;
    let manager = member(db, &a.org, "manager@a.test", Role::Manager).await;
    (a, viewer, agent, manager)
}

#[tokio::test]
async fn each_service_refuses_a_role_below_its_own_and_an_api_key_acts_as_an_admin() {
    for t in databases().await {
        let (a, viewer, agent, manager) = team(&t.db).await;
        let forbidden = |e: backend::ServiceError| assert_eq!(e.code(), ErrorCode::Forbidden, "{}", t.label);

        forbidden(edit::create(&t.db, &viewer, "app", &json!({"phone": "+5511900000001"}), now_ms()).await.unwrap_err());
        let c = edit::create(&t.db, &agent, "app", &json!({"phone": "+5511900000001"}), now_ms()).await.unwrap();
        forbidden(edit::bulk(&t.db, &agent, std::slice::from_ref(&c.id), &edit::Bulk::Delete, now_ms()).await.unwrap_err());
        assert_eq!(edit::bulk(&t.db, &manager, std::slice::from_ref(&c.id), &edit::Bulk::Delete, now_ms()).await.unwrap(), 1);

        forbidden(tags::save(&t.db, &agent, None, "vip", "#ff0000", now_ms()).await.unwrap_err());
        tags::save(&t.db, &manager, None, "vip", "#ff0000", now_ms()).await.unwrap();
        forbidden(fields::create(&t.db, &agent, "plan", "Plan", "text", &[], now_ms()).await.unwrap_err());
        forbidden(settings::save(&t.db, &manager, &[], &["STOP".into()], &[]).await.unwrap_err());
        let input = sources::SourceInput { kind: "webhook".into(), name: "Form".into(), ..Default::default() };
        forbidden(sources::create(&t.db, &test_cipher(), &manager, &input, now_ms()).await.unwrap_err());

        let key = Actor::api_key(&a.org, "key-1");
        settings::save(&t.db, &key, &[], &["STOP".into(), "PARAR".into()], &[]).await.unwrap();
        assert_eq!(settings::load(&t.db, &a.org).await.unwrap().opt_out_keywords, ["STOP", "PARAR"], "{}", t.label);
        let by_key = edit::create(&t.db, &key, "api", &json!({"phone": "+5511900000002"}), now_ms()).await.unwrap();
        assert_eq!(by_key.source, "api");
    }
}

#[tokio::test]
async fn the_whatsapp_inbox_and_sandbox_services_check_the_role_before_anything_leaves_mce() {
    use backend::inbox::chat;
    use backend::testing::{count_rows, customer_writes, seed_number, FakeGraph};
    use backend::whatsapp::{media, numbers, outbound, sandbox};
    use domain::whatsapp::outbound::OutboundContent;
    const PNID: &str = "100000000000077";
    for t in databases().await {
        let (a, viewer, agent, manager) = team(&t.db).await;
        let forbidden = |e: backend::ServiceError| assert_eq!(e.code(), ErrorCode::Forbidden, "{}", t.label);
        let graph = FakeGraph::default();
        let cipher = test_cipher();
        let number = seed_number(&t.db, &a.actor, PNID).await;
        customer_writes(&t.db, PNID, "5511900000009", now_ms() - 1000).await;
        let chat_id = backend::inbox::list(
            &t.db,
            &viewer,
            &backend::inbox::ListQuery { tab: domain::inbox::Tab::All, search: None, cursor: None, limit: 5, only: None },
            now_ms(),
        )
        .await
        .unwrap()
        .items
        .remove(0)
        .conversation_id;
        let chat_id = domain::ConversationId::from_string(chat_id);
        let text = || OutboundContent::Text { body: "Hi".into(), preview_url: false };

        // Numbers: only admins connect one, and a refused caller never reaches Meta.
        let new = numbers::NewNumber::parse("Sales", "100000000000078", "200", "EAAtoken", "").unwrap();
        forbidden(numbers::connect(&t.db, &cipher, &graph, &manager, &new).await.unwrap_err());
        forbidden(numbers::probe(&graph, &manager, &new).await.unwrap_err());
        forbidden(numbers::rotate_token(&t.db, &cipher, &graph, &manager, &number.id, "EAAnew").await.unwrap_err());
        assert_eq!(graph.lookups(), 0, "nothing was asked of Meta for a refused caller ({})", t.label);
        assert_eq!(numbers::connect(&t.db, &cipher, &graph, &a.actor, &new).await.unwrap().phone_number_id, "100000000000078");
        assert_eq!(graph.lookups(), 1, "an admin's number is tested with Meta first ({})", t.label);

        // Replies, files and read receipts: agents and above.
        let messages_before = count_rows(&t.db, "messages").await;
        forbidden(chat::reply(&t.db, &viewer, &chat_id, text(), now_ms()).await.unwrap_err());
        let file = || chat::FileReply { name: "a.png".into(), mime_type: "image/png".into(), bytes: b"\x89PNG\r\n\x1a\nx".to_vec(), caption: None };
        forbidden(chat::send_file(&t.db, (&graph, &graph), &cipher, &viewer, &chat_id, file(), now_ms()).await.unwrap_err());
        forbidden(media::upload(&t.db, &graph, &graph, &cipher, &viewer, &number.id, "a.png", "image/png", b"x".to_vec()).await.unwrap_err());
        let req = outbound::SendRequest { number_id: number.id.clone(), to: domain::PhoneE164::parse("+5511900000009").unwrap(), content: text() };
        forbidden(outbound::send(&t.db, &viewer, &req, now_ms()).await.unwrap_err());
        assert_eq!(count_rows(&t.db, "messages").await, messages_before, "a refused reply stores nothing ({})", t.label);
        assert!(graph.held_media("1000000").is_none(), "no upload reached Meta ({})", t.label);
        chat::reply(&t.db, &agent, &chat_id, text(), now_ms()).await.unwrap();
        let (queued, stored) = chat::send_file(&t.db, (&graph, &graph), &cipher, &agent, &chat_id, file(), now_ms()).await.unwrap();
        assert_eq!((stored.status.as_str(), stored.wa_media_id.as_deref()), ("stored", Some("1000000")), "{}", t.label);
        assert_eq!(count_rows(&t.db, "messages").await, messages_before + 2, "{}", t.label);
        assert_ne!(queued.message_id.as_str(), "");

        // A viewer opens the chat without marking it read; an agent's opening does.
        let seen = chat::open(&t.db, &viewer, &chat_id, now_ms()).await.unwrap();
        assert!(!seen.can_act && seen.item.unread_count == 1, "{}", t.label);
        let opened = chat::open(&t.db, &agent, &chat_id, now_ms()).await.unwrap();
        assert!(opened.can_act, "{}", t.label);
        assert_eq!(chat::open(&t.db, &agent, &chat_id, now_ms()).await.unwrap().item.unread_count, 0, "{}", t.label);

        // The sandbox simulator and its customer's phone are for managers and up.
        let quiet = sandbox::Behaviour { fail_code: Some(131047), ..Default::default() };
        forbidden(sandbox::configure_simulator(&t.db, &cipher, &agent, &quiet).await.unwrap_err());
        sandbox::configure_simulator(&t.db, &cipher, &manager, &quiet).await.unwrap();
        forbidden(sandbox::simulator(&t.db, &cipher, &viewer).await.unwrap_err());
        assert_eq!(sandbox::simulator(&t.db, &cipher, &manager).await.unwrap().fail_code, Some(131047), "{}", t.label);
    }
}
