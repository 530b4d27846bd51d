//! The contacts CRM on both databases: one contact per phone whichever way it arrives,
//! national numbers read with the org's country, edits and tags on the timeline, search,
//! filters, sorting and paging with totals, bulk actions, the trash, scoring, and that
//! no org sees or changes another's contacts.

use backend::clock::now_ms;
use backend::contacts::edit::{self, Bulk};
use backend::contacts::search::{self, ContactQuery, Sort};
use backend::contacts::store::{apply_one, ContactFields, Lead, OnDuplicate, Outcome, Via, Who};
use backend::contacts::{activity, fields, notes, tags};
use backend::testing::{count_rows, customer_writes, customer_writes_text, databases, seed_number, seed_org_with};
use domain::{ContactId, ErrorCode, PhoneE164, Role};
use serde_json::json;

fn who(s: &backend::testing::Seeded) -> Who {
    Who { org: s.org.clone(), user: Some(s.user.id.clone()), via: Via::App }
}

fn query() -> ContactQuery {
    ContactQuery { page: 1, per_page: 25, ..Default::default() }
}

fn code(e: backend::ServiceError) -> ErrorCode {
    e.into_app_error().code
}

#[tokio::test]
async fn a_contact_is_created_once_per_phone_and_national_numbers_use_the_orgs_country() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let now = now_ms();
        // The org's default country is the US: a national number gets +1.
        let c = edit::create(&t.db, &a.actor, "app", &json!({"phone": "(650) 555-1234", "name": "Ana Lima", "email": "Ana@Example.com", "tags": ["VIP"]}), now)
            .await
            .unwrap();
        assert_eq!(
            (c.phone.as_deref(), c.name.as_deref(), c.email.as_deref(), c.source.as_str()),
            (Some("+16505551234"), Some("Ana Lima"), Some("ana@example.com"), "app"),
            "{}",
            t.label
        );
        assert_eq!(c.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["VIP"]);
        let again = edit::create(&t.db, &a.actor, "api", &json!({"phone": "+1 650 555 1234"}), now).await.unwrap_err();
        assert_eq!(code(again), ErrorCode::ContactDuplicate, "{}", t.label);
        let bad = edit::create(&t.db, &a.actor, "api", &json!({"phone": "555-12"}), now).await.unwrap_err();
        assert_eq!(code(bad), ErrorCode::ContactInvalidPhone, "{}", t.label);
        let bad_email = edit::create(&t.db, &a.actor, "api", &json!({"phone": "+5511999990000", "email": "nope"}), now).await.unwrap_err();
        assert_eq!(code(bad_email), ErrorCode::Validation);
        assert_eq!(count_rows(&t.db, "contacts").await, 1, "nothing half-written ({})", t.label);
        // The timeline says how it came, and a "contact created" event went out.
        let lines = activity::timeline(&t.db, &a.actor, &c.id, 10).await.unwrap();
        assert_eq!(lines.last().map(|l| (l.kind.as_str(), l.detail["source"].as_str())), Some(("created", Some("app"))), "{}", t.label);
        assert_eq!(lines.last().unwrap().detail["tags"], json!(["VIP"]), "the created line lists its tags");
        edit::update(&t.db, &a.actor, &c.id, &json!({"tags": ["VIP", "Hot"]}), now_ms()).await.unwrap();
        let lines = activity::timeline(&t.db, &a.actor, &c.id, 10).await.unwrap();
        assert!(lines.iter().any(|l| l.kind == "tag_added" && l.detail["tag"] == "Hot"), "a tag added later has its own line ({})", t.label);
        assert!(!lines.iter().any(|l| l.kind == "tag_added" && l.detail["tag"] == "VIP"));
        let events = backend::events::since(&t.db, &a.actor, 0, 100).await.unwrap();
        assert!(events.iter().any(|e| e.kind == "contact" && e.payload["contact_id"] == c.id.as_str() && e.payload["source"] == "app"), "{}", t.label);
    }
}

#[tokio::test]
async fn an_org_that_allows_only_some_countries_refuses_other_numbers() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        sqlx::query("UPDATE orgs SET allowed_calling_codes = '[55]'").execute(t.db.pool()).await.unwrap();
        let e = edit::create(&t.db, &a.actor, "app", &json!({"phone": "+447911123456"}), now_ms()).await.unwrap_err();
        assert_eq!(code(e), ErrorCode::ContactInvalidPhone, "{}", t.label);
        assert!(edit::create(&t.db, &a.actor, "app", &json!({"phone": "+5511999990000"}), now_ms()).await.is_ok());
    }
}

#[tokio::test]
async fn edits_change_and_clear_fields_and_every_change_is_on_the_timeline_with_who_made_it() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        fields::create(&t.db, &a.actor, "plan", "Plan", "choice", &["Gold".into(), "Silver".into()], now_ms()).await.unwrap();
        let c = edit::create(&t.db, &a.actor, "app", &json!({"phone": "+5511999990000", "name": "Bea", "company": "Acme"}), now_ms()).await.unwrap();
        let changed = edit::update(&t.db, &a.actor, &c.id, &json!({"name": "Beatriz", "company": null, "lead_status": "Qualified", "custom_fields": {"plan": "gold"}, "opt_in_status": "opted_in", "opt_in_evidence": "said yes on the phone", "tags": ["hot"]}), now_ms()).await.unwrap();
        assert_eq!(
            (changed.name.as_deref(), changed.company.as_deref(), changed.lead_status.as_str(), changed.opt_in_status.as_str()),
            (Some("Beatriz"), None, "qualified", "opted_in"),
            "{}",
            t.label
        );
        assert_eq!(changed.custom_fields.get("plan"), Some(&json!("Gold")));
        let bad = edit::update(&t.db, &a.actor, &c.id, &json!({"custom_fields": {"plan": "Bronze"}}), now_ms()).await.unwrap_err();
        assert_eq!(code(bad), ErrorCode::Validation);
        notes::add(&t.db, &a.actor, &c.id, "Prefers mornings", now_ms()).await.unwrap();

        let lines = activity::timeline(&t.db, &a.actor, &c.id, 20).await.unwrap();
        let update = lines.iter().find(|l| l.kind == "updated").expect("an update line");
        assert_eq!(update.detail["changes"]["name"], json!({"from": "Bea", "to": "Beatriz"}), "{}", t.label);
        assert_eq!(update.detail["changes"]["company"], json!({"from": "Acme", "to": null}));
        assert_eq!(update.actor_name.as_deref(), Some("admin"));
        let consent = lines.iter().find(|l| l.kind == "opt_in").expect("consent is recorded");
        assert_eq!(
            (consent.detail["to"].as_str(), consent.detail["evidence"].as_str(), consent.detail["via"].as_str()),
            (Some("opted_in"), Some("said yes on the phone"), Some("app"))
        );
        assert!(lines.iter().any(|l| l.kind == "note" && l.detail["text"] == "Prefers mornings"));
        assert_eq!(notes::list(&t.db, &a.actor, &c.id).await.unwrap()[0].author_name.as_deref(), Some("admin"));
    }
}

#[tokio::test]
async fn search_filters_sorting_and_paging_return_the_right_contacts_and_totals() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let w = a.actor.clone();
        let now = now_ms();
        for i in 0..30 {
            let body = json!({"phone": format!("+55119000000{i:02}"), "name": format!("Person {i:02}"), "company": if i % 3 == 0 { "Globex" } else { "Initech" }, "email": format!("p{i}@mail.test"),
                              "tags": if i % 2 == 0 { vec!["even"] } else { vec!["odd"] }, "opt_in_status": if i < 5 { "opted_in" } else { "unknown" }});
            edit::create(&t.db, &w, if i < 10 { "facebook" } else { "csv" }, &body, now + i).await.unwrap();
        }
        let page = search::list(&t.db, &a.actor, &query()).await.unwrap();
        assert_eq!((page.total, page.data.len()), (30, 25), "{}", t.label);
        assert_eq!(page.data[0].name.as_deref(), Some("Person 29"), "newest first");
        let second = search::list(&t.db, &a.actor, &ContactQuery { page: 2, ..query() }).await.unwrap();
        assert_eq!(second.data.len(), 5);
        assert_eq!(second.data[4].name.as_deref(), Some("Person 00"), "the newest-first list ends with the oldest ({})", t.label);
        let oldest = search::list(&t.db, &a.actor, &ContactQuery { sort: Sort::Oldest, per_page: 2, ..query() }).await.unwrap();
        assert_eq!(oldest.data.iter().map(|c| c.name.clone().unwrap()).collect::<Vec<_>>(), ["Person 00", "Person 01"], "{}", t.label);
        let oldest_csv = search::list(&t.db, &a.actor, &ContactQuery { sort: Sort::Oldest, source: Some("csv".into()), per_page: 1, ..query() }).await.unwrap();
        assert_eq!(oldest_csv.data[0].name.as_deref(), Some("Person 10"), "a filtered list keeps the order ({})", t.label);

        let count = |q: ContactQuery| {
            let db = t.db.clone();
            let actor = a.actor.clone();
            async move { search::list(&db, &actor, &q).await.unwrap().total }
        };
        assert_eq!(count(ContactQuery { q: Some("globex".into()), ..query() }).await, 10, "company, any case ({})", t.label);
        assert_eq!(count(ContactQuery { q: Some("Person 1".into()), ..query() }).await, 10, "name substring ({})", t.label);
        assert_eq!(count(ContactQuery { q: Some("+55 11 9000 0000 7".into()), ..query() }).await, 1, "phone as typed ({})", t.label);
        assert_eq!(count(ContactQuery { q: Some("p7@mail".into()), ..query() }).await, 1, "email ({})", t.label);
        assert_eq!(count(ContactQuery { q: Some("100%".into()), ..query() }).await, 0, "wildcards are literal ({})", t.label);
        assert_eq!(count(ContactQuery { tags: vec!["EVEN".into()], ..query() }).await, 15);
        assert_eq!(count(ContactQuery { tags: vec!["even".into(), "odd".into()], ..query() }).await, 0, "every tag must match ({})", t.label);
        assert_eq!(count(ContactQuery { tags: vec!["never-used".into()], ..query() }).await, 0, "a tag the org does not have matches nothing ({})", t.label);
        assert_eq!(count(ContactQuery { tags: vec!["even".into()], opt_in_status: Some("opted_in".into()), ..query() }).await, 3);
        assert_eq!(count(ContactQuery { source: Some("facebook".into()), ..query() }).await, 10);
        assert_eq!(count(ContactQuery { created_from: Some(now + 20), ..query() }).await, 10);
        assert_eq!(count(ContactQuery { phone: Some("+5511900000003".into()), ..query() }).await, 1);

        let by_name = search::list(&t.db, &a.actor, &ContactQuery { sort: Sort::NameAsc, per_page: 3, ..query() }).await.unwrap();
        assert_eq!(by_name.data.iter().map(|c| c.name.clone().unwrap()).collect::<Vec<_>>(), ["Person 00", "Person 01", "Person 02"], "{}", t.label);
        let desc = search::list(&t.db, &a.actor, &ContactQuery { sort: Sort::NameDesc, per_page: 1, ..query() }).await.unwrap();
        assert_eq!(desc.data[0].name.as_deref(), Some("Person 29"));
        assert!(by_name.data[0].tags.iter().any(|t| t.name == "even"), "tags come with each contact");
    }
}

#[tokio::test]
async fn bulk_actions_tag_opt_out_and_trash_only_the_orgs_contacts_and_the_trash_restores() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let b = seed_org_with(&t.db, "Org B", "admin@b.test", Role::Admin).await;
        let mut ids: Vec<ContactId> = Vec::new();
        for i in 0..3 {
            ids.push(edit::create(&t.db, &a.actor, "app", &json!({"phone": format!("+551190000010{i}")}), now_ms()).await.unwrap().id);
        }
        let theirs = edit::create(&t.db, &b.actor, "app", &json!({"phone": "+5511900000100", "name": "B's"}), now_ms()).await.unwrap();
        let mut all = ids.clone();
        all.push(theirs.id.clone());
        assert_eq!(edit::bulk(&t.db, &a.actor, &all, &Bulk::AddTag("Promo".into()), now_ms()).await.unwrap(), 3, "{}", t.label);
        assert_eq!(edit::bulk(&t.db, &a.actor, &all, &Bulk::OptIn("opted_out".into()), now_ms()).await.unwrap(), 3);
        assert_eq!(edit::bulk(&t.db, &a.actor, &all[1..], &Bulk::Delete, now_ms()).await.unwrap(), 2);
        let live = search::list(&t.db, &a.actor, &query()).await.unwrap();
        assert_eq!(live.total, 1, "{}", t.label);
        assert_eq!(search::list(&t.db, &a.actor, &ContactQuery { trash: true, ..query() }).await.unwrap().total, 2);
        assert_eq!(edit::bulk(&t.db, &a.actor, &all, &Bulk::Restore, now_ms()).await.unwrap(), 2);
        assert_eq!(search::list(&t.db, &a.actor, &query()).await.unwrap().total, 3);

        let b_now = search::get(&t.db, &b.actor, &theirs.id).await.unwrap();
        assert_eq!((b_now.tags.len(), b_now.opt_in_status.as_str(), b_now.deleted_at), (0, "unknown", None), "B's contact untouched ({})", t.label);
        assert_eq!(code(search::get(&t.db, &a.actor, &theirs.id).await.unwrap_err()), ErrorCode::ContactNotFound, "A cannot read B's contact");
        assert_eq!(code(edit::update(&t.db, &a.actor, &theirs.id, &json!({"name": "x"}), now_ms()).await.unwrap_err()), ErrorCode::ContactNotFound);
        assert_eq!(code(notes::add(&t.db, &a.actor, &theirs.id, "x", now_ms()).await.unwrap_err()), ErrorCode::ContactNotFound);
        assert_eq!(tags::list(&t.db, &b.actor).await.unwrap().len(), 0, "A's tags are A's");
    }
}

#[tokio::test]
async fn a_lead_for_a_trashed_contact_brings_it_back_instead_of_making_a_second_one() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let c = edit::create(&t.db, &a.actor, "app", &json!({"phone": "+5511900000200", "name": "Old"}), now_ms()).await.unwrap();
        edit::delete(&t.db, &a.actor, &c.id, now_ms()).await.unwrap();
        let lead = Lead { phone: PhoneE164::parse("+5511900000200").unwrap(), fields: ContactFields { name: Some("New".into()), ..Default::default() } };
        let out = apply_one(&t.db, &Who { via: Via::Webhook, user: None, ..who(&a) }, "Website form", lead, OnDuplicate::Update, now_ms()).await.unwrap();
        assert_eq!(out, Outcome::Updated(c.id.clone()), "{}", t.label);
        let back = search::get(&t.db, &a.actor, &c.id).await.unwrap();
        assert_eq!((back.deleted_at, back.name.as_deref()), (None, Some("New")));
        assert_eq!(count_rows(&t.db, "contacts").await, 1);
    }
}

#[tokio::test]
async fn twenty_concurrent_leads_with_the_same_phone_make_one_contact() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let mut set = tokio::task::JoinSet::new();
        for i in 0..20 {
            let (db, w) = (t.db.clone(), Who { via: Via::Webhook, user: None, ..who(&a) });
            set.spawn(async move {
                let lead = Lead {
                    phone: PhoneE164::parse("+5511900000300").unwrap(),
                    fields: ContactFields { name: Some(format!("Form {i}")), ..Default::default() },
                };
                apply_one(&db, &w, "Website form", lead, OnDuplicate::Update, now_ms()).await
            });
        }
        let mut created = 0;
        while let Some(r) = set.join_next().await {
            if let Outcome::Created(_) = r.unwrap().expect("every post is stored") {
                created += 1;
            }
        }
        assert_eq!(created, 1, "{}", t.label);
        assert_eq!(count_rows(&t.db, "contacts").await, 1, "{}", t.label);
    }
}

#[tokio::test]
async fn scores_follow_the_orgs_rules_when_sources_tags_and_replies_change() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, "100000000000001").await;
        let rules = json!([{"trigger": "source", "value": "facebook", "points": 10}, {"trigger": "tag_added", "value": "vip", "points": 25}, {"trigger": "replied", "points": 5}]);
        sqlx::query("UPDATE orgs SET score_rules = $1").bind(rules.to_string()).execute(t.db.pool()).await.unwrap();
        let c = edit::create(&t.db, &a.actor, "facebook", &json!({"phone": "+5511900000400"}), now_ms()).await.unwrap();
        assert_eq!(c.score, 10, "{}", t.label);
        let c = edit::update(&t.db, &a.actor, &c.id, &json!({"tags": ["VIP"]}), now_ms()).await.unwrap();
        assert_eq!(c.score, 35, "{}", t.label);
        customer_writes(&t.db, "100000000000001", "5511900000400", now_ms()).await;
        assert_eq!(search::get(&t.db, &a.actor, &c.id).await.unwrap().score, 40, "a reply is scored as it arrives ({})", t.label);
        let c = edit::update(&t.db, &a.actor, &c.id, &json!({"tags": []}), now_ms()).await.unwrap();
        assert_eq!(c.score, 15, "replied counts, the tag no longer does ({})", t.label);
    }
}

#[tokio::test]
async fn a_customer_who_writes_stop_is_opted_out_with_evidence_and_told_so_and_start_undoes_it() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        seed_number(&t.db, &a.actor, "100000000000001").await;
        let now = now_ms();
        customer_writes_text(&t.db, "100000000000001", "5511900000500", now - 3000, "hi").await;
        let phone = PhoneE164::parse("+5511900000500").unwrap();
        let contact = backend::conversations::contact_by_phone(&t.db, &a.actor, &phone).await.unwrap().unwrap();
        let created = activity::timeline(&t.db, &a.actor, &contact.id, 20).await.unwrap();
        assert!(created.iter().any(|l| l.kind == "created" && l.detail["source"] == "whatsapp"), "WhatsApp is a way in too ({})", t.label);
        customer_writes_text(&t.db, "100000000000001", "5511900000500", now - 2000, "please don't stop").await;
        assert_eq!(search::get(&t.db, &a.actor, &contact.id).await.unwrap().opt_in_status, "unknown", "{}", t.label);
        customer_writes_text(&t.db, "100000000000001", "5511900000500", now - 1000, " Stop! ").await;
        assert_eq!(search::get(&t.db, &a.actor, &contact.id).await.unwrap().opt_in_status, "opted_out", "{}", t.label);
        let lines = activity::timeline(&t.db, &a.actor, &contact.id, 20).await.unwrap();
        let consent = lines.iter().find(|l| l.kind == "opt_in").expect("the opt-out is recorded");
        assert_eq!((consent.detail["via"].as_str(), consent.detail["evidence"].as_str()), (Some("whatsapp"), Some("WhatsApp message \u{201c}Stop!\u{201d}")));
        let conversation = backend::conversations::for_contact(&t.db, &a.actor, &contact.id).await.unwrap().remove(0);
        let chat = backend::conversations::messages(&t.db, &a.actor, &conversation.id, 20).await.unwrap();
        assert!(
            chat.iter().any(|m| m.direction == "outbound" && m.text.as_deref() == Some(backend::contacts::consent::OPTED_OUT_REPLY)),
            "the customer is told ({})",
            t.label
        );
        customer_writes_text(&t.db, "100000000000001", "5511900000500", now, "start").await;
        assert_eq!(search::get(&t.db, &a.actor, &contact.id).await.unwrap().opt_in_status, "opted_in", "{}", t.label);
    }
}

#[tokio::test]
async fn the_export_is_utf8_with_a_bom_tags_in_one_cell_and_formulas_neutralised() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        fields::create(&t.db, &a.actor, "plan", "Plan", "text", &[], now_ms()).await.unwrap();
        edit::create(&t.db, &a.actor, "app", &json!({"phone": "+5511900000600", "name": "=HYPERLINK(\"http://evil\")", "company": "São Paulo, Ltda", "tags": ["vip", "feira"], "custom_fields": {"plan": "@gold"}}), now_ms()).await.unwrap();
        edit::create(&t.db, &a.actor, "app", &json!({"phone": "+5511900000601", "name": "Plain"}), now_ms()).await.unwrap();
        let bytes =
            backend::contacts::export::csv(&t.db, &a.actor, &domain::contacts::ContactFilters { tag: "vip".into(), ..Default::default() }).await.unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{}", t.label);
        let text = domain::csv::decode_text(&bytes).into_owned();
        let rows: Vec<Vec<String>> = domain::csv::Reader::new(&text).map(|r| r.unwrap().fields).collect();
        assert_eq!(rows.len(), 2, "the current view only ({})", t.label);
        let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
        assert_eq!(rows[1][col("name")], "'=HYPERLINK(\"http://evil\")");
        assert_eq!(rows[1][col("phone")], "'+5511900000600", "a leading + is neutralised too");
        assert_eq!(rows[1][col("company")], "São Paulo, Ltda");
        assert_eq!(rows[1][col("tags")], "feira, vip");
        assert_eq!(rows[1][col("plan")], "'@gold");
    }
}
