//! The team inbox services on both databases: the list (tabs, window colours, unread
//! counts, previews, search, paging), assignment by hand and automatically with its
//! notifications, notes, resolve/reopen, mark unread, take over, and canned responses.

use backend::clock::now_ms;
use backend::inbox::{self, ListQuery};
use backend::notifications;
use backend::testing::{customer_writes, databases, seed_member, seed_number, seed_org_with};
use domain::inbox::{Tab, WindowColour};
use domain::{ConversationId, ErrorCode, Role};

const PNID: &str = "100000000000001";

fn query(tab: Tab) -> ListQuery {
    ListQuery { tab, search: None, cursor: None, limit: 50, only: None }
}

async fn conversation_of(db: &backend::Db, phone: &str) -> ConversationId {
    use sqlx::Row;
    let r = sqlx::query("SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.phone = $1")
        .bind(format!("+{phone}"))
        .fetch_one(db.pool())
        .await
        .unwrap();
    ConversationId::from_string(r.get::<String, _>("id"))
}

async fn actor_of(db: &backend::Db, user: &backend::auth::User, org: &domain::OrgId) -> backend::auth::Actor {
    backend::auth::actor_for(db, &user.id, org).await.unwrap()
}

#[tokio::test]
async fn the_list_shows_window_colours_unread_counts_and_previews_newest_first_with_paging() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let now = now_ms();
        // Written 30 min, 21 h and 23.5 h ago: 23.5, 3 and 0.5 hours of window left.
        customer_writes(&t.db, PNID, "5511900000001", now - 30 * 60_000).await;
        customer_writes(&t.db, PNID, "5511900000002", now - 21 * 3_600_000).await;
        customer_writes(&t.db, PNID, "5511900000003", now - 47 * 1_800_000).await;
        customer_writes(&t.db, PNID, "5511900000001", now - 20 * 60_000).await;
        let page = inbox::list(&t.db, &a.actor, &query(Tab::All), now).await.unwrap();
        let rows: Vec<(&str, WindowColour, i64)> = page.items.iter().map(|i| (i.phone.as_deref().unwrap(), i.window, i.unread_count)).collect();
        assert_eq!(
            rows,
            vec![("+5511900000001", WindowColour::Green, 2), ("+5511900000002", WindowColour::Yellow, 1), ("+5511900000003", WindowColour::Red, 1)],
            "{}",
            t.label
        );
        assert_eq!((page.items[0].preview.as_str(), page.items[0].display_name.as_str()), ("hello", "Customer"));
        // Two per page: the cursor leads to the third, then nothing more.
        let first = inbox::list(&t.db, &a.actor, &ListQuery { limit: 2, ..query(Tab::All) }, now).await.unwrap();
        assert_eq!(first.items.len(), 2);
        let second = inbox::list(&t.db, &a.actor, &ListQuery { limit: 2, cursor: first.next_cursor.clone(), ..query(Tab::All) }, now).await.unwrap();
        assert_eq!(second.items.iter().map(|i| i.phone.clone().unwrap()).collect::<Vec<_>>(), vec!["+5511900000003"], "{}", t.label);
        assert_eq!(second.next_cursor, None);
        // Search by phone digits and by message text; wildcards are literal.
        let by_phone = inbox::list(&t.db, &a.actor, &ListQuery { search: Some("900000002".into()), ..query(Tab::All) }, now).await.unwrap();
        assert_eq!(by_phone.items.len(), 1, "{}", t.label);
        let by_text = inbox::list(&t.db, &a.actor, &ListQuery { search: Some("HELLO".into()), ..query(Tab::All) }, now).await.unwrap();
        assert_eq!(by_text.items.len(), 3, "case-insensitive text search ({})", t.label);
        let wildcard = inbox::list(&t.db, &a.actor, &ListQuery { search: Some("%".into()), ..query(Tab::All) }, now).await.unwrap();
        assert!(wildcard.items.is_empty(), "{}", t.label);
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        assert!(inbox::list(&t.db, &b.actor, &query(Tab::All), now).await.unwrap().items.is_empty(), "another org sees nothing ({})", t.label);
    }
}

#[tokio::test]
async fn assigning_moves_a_chat_to_the_assignees_mine_tab_writes_a_line_and_notifies_them() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let bea = seed_member(&t.db, &a.org, "bea@a.test", Role::Agent).await;
        let viewer = seed_member(&t.db, &a.org, "viewer@a.test", Role::Viewer).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let now = now_ms();
        customer_writes(&t.db, PNID, "5511900000001", now - 1000).await;
        let c = conversation_of(&t.db, "5511900000001").await;
        let bea_actor = actor_of(&t.db, &bea, &a.org).await;
        assert_eq!(inbox::list(&t.db, &bea_actor, &query(Tab::Unassigned), now).await.unwrap().items.len(), 1);

        assert_eq!(inbox::assign(&t.db, &a.actor, std::slice::from_ref(&c), Some(&bea.id), now).await.unwrap(), 1);
        let mine = inbox::list(&t.db, &bea_actor, &query(Tab::Mine), now).await.unwrap();
        assert_eq!(mine.items.len(), 1, "{}", t.label);
        assert_eq!(mine.items[0].assignee_name.as_deref(), Some("bea"));
        assert!(inbox::list(&t.db, &bea_actor, &query(Tab::Unassigned), now).await.unwrap().items.is_empty());
        let notes = notifications::list_for(&t.db, &bea_actor, 10).await.unwrap();
        assert_eq!(notes[0].kind, "assigned", "{}", t.label);
        assert_eq!(notes[0].link.as_deref(), Some(format!("/inbox/{}", c.as_str()).as_str()));
        assert_eq!(notifications::unread_count(&t.db, &bea_actor).await.unwrap(), 2, "assigned + the earlier new-chat notice ({})", t.label);
        notifications::mark_read(&t.db, &bea_actor, None).await.unwrap();
        assert_eq!(notifications::unread_count(&t.db, &bea_actor).await.unwrap(), 0);
        let lines = backend::conversations::messages(&t.db, &a.actor, &c, 10).await.unwrap();
        assert!(lines.iter().any(|m| m.direction == "system" && m.text.as_deref().unwrap_or_default().starts_with("Assigned to")), "{}", t.label);
        assert_eq!(inbox::assign(&t.db, &a.actor, std::slice::from_ref(&c), Some(&bea.id), now).await.unwrap(), 0, "the same assignee again changes nothing");

        let viewer_actor = actor_of(&t.db, &viewer, &a.org).await;
        assert_eq!(inbox::assign(&t.db, &viewer_actor, std::slice::from_ref(&c), None, now).await.unwrap_err().code(), ErrorCode::Forbidden, "{}", t.label);
        assert_eq!(
            inbox::assign(&t.db, &a.actor, std::slice::from_ref(&c), Some(&viewer.id), now).await.unwrap_err().code(),
            ErrorCode::Validation,
            "viewers get no chats"
        );
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        assert_eq!(inbox::assign(&t.db, &b.actor, std::slice::from_ref(&c), None, now).await.unwrap_err().code(), ErrorCode::NotFound, "{}", t.label);
        assert_eq!(
            inbox::assign(&t.db, &a.actor, std::slice::from_ref(&c), Some(&b.user.id), now).await.unwrap_err().code(),
            ErrorCode::Validation,
            "not a member of A"
        );
    }
}

#[tokio::test]
async fn new_chats_go_round_robin_or_to_the_least_busy_online_agent_and_otherwise_everyone_hears() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let ana = seed_member(&t.db, &a.org, "ana@a.test", Role::Agent).await;
        let ben = seed_member(&t.db, &a.org, "ben@a.test", Role::Agent).await;
        let number = seed_number(&t.db, &a.actor, PNID).await;
        let now = now_ms();
        // Nobody online and auto-assignment off: unassigned, and the agents are told.
        customer_writes(&t.db, PNID, "5511900000001", now - 1000).await;
        let unassigned = inbox::list(&t.db, &a.actor, &query(Tab::Unassigned), now).await.unwrap();
        assert_eq!(unassigned.items.len(), 1, "{}", t.label);
        assert_eq!(notifications::list_for(&t.db, &actor_of(&t.db, &ana, &a.org).await, 5).await.unwrap()[0].kind, "new_unassigned");

        inbox::set_auto_assign(&t.db, &a.actor, &number.id, "round_robin").await.unwrap();
        assert_eq!(backend::whatsapp::numbers::get(&t.db, &a.actor, &number.id).await.unwrap().auto_assign, "round_robin", "{}", t.label);
        let ana_actor = actor_of(&t.db, &ana, &a.org).await;
        assert_eq!(inbox::set_auto_assign(&t.db, &ana_actor, &number.id, "off").await.unwrap_err().code(), ErrorCode::Forbidden, "admins only");
        inbox::touch_presence(&t.db, &a.org, &ana.id, now).await.unwrap();
        inbox::touch_presence(&t.db, &a.org, &ben.id, now).await.unwrap();
        let mut assignees = Vec::new();
        for i in 2..6 {
            let phone = format!("55119000000{i:02}");
            customer_writes(&t.db, PNID, &phone, now - 1000).await;
            let c = conversation_of(&t.db, &phone).await;
            let item = inbox::list(&t.db, &a.actor, &query(Tab::All), now).await.unwrap().items.into_iter().find(|i| i.conversation_id == c.as_str()).unwrap();
            assignees.push(item.assignee_id.unwrap());
        }
        let (x, y) = (assignees[0].clone(), assignees[1].clone());
        assert_ne!(x, y, "{}", t.label);
        assert_eq!(assignees, vec![x.clone(), y.clone(), x, y], "turns alternate ({})", t.label);

        // Least busy: give Ana three more, then the next chat goes to Ben.
        inbox::set_auto_assign(&t.db, &a.actor, &number.id, "least_busy").await.unwrap();
        let ana_chats: Vec<ConversationId> = inbox::list(&t.db, &a.actor, &query(Tab::All), now)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|i| ConversationId::from_string(i.conversation_id))
            .collect();
        inbox::assign(&t.db, &a.actor, &ana_chats, Some(&ana.id), now).await.unwrap();
        inbox::assign(&t.db, &a.actor, &ana_chats[..1], Some(&ben.id), now).await.unwrap();
        customer_writes(&t.db, PNID, "5511900000099", now - 1000).await;
        let c = conversation_of(&t.db, "5511900000099").await;
        let item = inbox::list(&t.db, &a.actor, &query(Tab::All), now).await.unwrap().items.into_iter().find(|i| i.conversation_id == c.as_str()).unwrap();
        assert_eq!(item.assignee_id.as_deref(), Some(ben.id.as_str()), "{}", t.label);
        assert_eq!(notifications::list_for(&t.db, &actor_of(&t.db, &ben, &a.org).await, 1).await.unwrap()[0].kind, "assigned");

        // Offline agents get nothing automatically.
        inbox::touch_presence(&t.db, &a.org, &ana.id, now - 10 * 60_000).await.unwrap();
        inbox::touch_presence(&t.db, &a.org, &ben.id, now - 10 * 60_000).await.unwrap();
        customer_writes(&t.db, PNID, "5511900000098", now - 1000).await;
        let c = conversation_of(&t.db, "5511900000098").await;
        let item = inbox::list(&t.db, &a.actor, &query(Tab::Unassigned), now).await.unwrap().items.into_iter().find(|i| i.conversation_id == c.as_str());
        assert!(item.is_some(), "{}", t.label);
        assert_eq!(inbox::set_auto_assign(&t.db, &a.actor, &number.id, "random").await.unwrap_err().code(), ErrorCode::Validation);
    }
}

#[tokio::test]
async fn notes_resolve_reopen_mark_unread_and_take_over_leave_their_lines() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, PNID).await;
        let now = now_ms();
        customer_writes(&t.db, PNID, "5511900000001", now - 1000).await;
        let c = conversation_of(&t.db, "5511900000001").await;
        inbox::add_note(&t.db, &a.actor, &c, "VIP — offer 10 %", now).await.unwrap();
        assert_eq!(inbox::add_note(&t.db, &a.actor, &c, "  ", now).await.unwrap_err().code(), ErrorCode::Validation);
        inbox::set_resolved(&t.db, &a.actor, &c, true, now).await.unwrap();
        assert_eq!(inbox::list(&t.db, &a.actor, &query(Tab::Resolved), now).await.unwrap().items.len(), 1, "{}", t.label);
        assert!(inbox::list(&t.db, &a.actor, &query(Tab::All), now).await.unwrap().items.is_empty());
        inbox::set_resolved(&t.db, &a.actor, &c, false, now).await.unwrap();
        let inbound = backend::conversations::messages(&t.db, &a.actor, &c, 10).await.unwrap().into_iter().find(|m| m.direction == "inbound").unwrap();
        backend::whatsapp::outbound::mark_read(&t.db, &a.actor, &inbound.id, now).await.unwrap();
        assert_eq!(inbox::list(&t.db, &a.actor, &query(Tab::All), now).await.unwrap().items[0].unread_count, 0, "read ({})", t.label);
        inbox::mark_unread(&t.db, &a.actor, &c, now).await.unwrap();
        let item = inbox::list(&t.db, &a.actor, &query(Tab::All), now).await.unwrap().items.remove(0);
        assert!(item.unread_count >= 1, "{}", t.label);
        inbox::set_handler(&t.db, &a.actor, &c, "ai", now).await.unwrap();
        inbox::set_handler(&t.db, &a.actor, &c, "human", now).await.unwrap();
        let lines: Vec<(String, String)> = backend::conversations::messages(&t.db, &a.actor, &c, 20)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.direction != "inbound")
            .map(|m| (m.direction, m.text.unwrap_or_default()))
            .collect();
        let texts: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            vec!["VIP — offer 10 %", "Resolved by admin", "Reopened by admin", "admin returned the chat to the bot", "admin took over from the bot"],
            "{}",
            t.label
        );
        assert_eq!(lines[0].0, "note");
    }
}

#[tokio::test]
async fn canned_responses_have_unique_shortcuts_and_fill_in_names() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let agent = seed_member(&t.db, &a.org, "agent@a.test", Role::Agent).await;
        let saved = inbox::canned_save(&t.db, &a.actor, None, "Greeting", "/Hello", "Hi {contact_name}, {agent_name} here.").await.unwrap();
        assert_eq!(saved.shortcut, "hello");
        assert_eq!(inbox::canned_save(&t.db, &a.actor, None, "Again", "hello", "x").await.unwrap_err().code(), ErrorCode::Conflict, "{}", t.label);
        inbox::canned_save(&t.db, &a.actor, Some(&saved.id), "Greeting", "hi", "Hi {contact_name}!").await.unwrap();
        let agent_actor = actor_of(&t.db, &agent, &a.org).await;
        let list = inbox::canned_list(&t.db, &agent_actor).await.unwrap();
        assert_eq!(list.iter().map(|c| c.shortcut.as_str()).collect::<Vec<_>>(), vec!["hi"]);
        assert_eq!(inbox::canned_save(&t.db, &agent_actor, None, "Mine", "mine", "x").await.unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(inbox::fill_canned("Hi {contact_name}, {agent_name} here.", "Ana", "Bea"), "Hi Ana, Bea here.");
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        assert_eq!(inbox::canned_delete(&t.db, &b.actor, &saved.id).await.unwrap_err().code(), ErrorCode::NotFound, "{}", t.label);
        inbox::canned_delete(&t.db, &a.actor, &saved.id).await.unwrap();
        assert!(inbox::canned_list(&t.db, &a.actor).await.unwrap().is_empty());
    }
}
