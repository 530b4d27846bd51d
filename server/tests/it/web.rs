//! The server end to end in-process, on SQLite and PostgreSQL: sign-in and sessions,
//! CSRF, roles, tenant isolation across every server function and REST route, the
//! REST API and the probes.

use crate::common::*;
use axum::http::{header, StatusCode};
use backend::testing::seed_member;
use domain::Role;

const PASSWORD: &str = "password-for-tests";

#[tokio::test]
async fn the_server_functions_are_registered() {
    let paths = server_fn_paths();
    for expected in ["/api/auth/login", "/api/auth/logout", "/api/auth/session", "/api/settings/update_org_profile", "/api/settings/invite_member"] {
        assert!(paths.iter().any(|p| p == expected), "{expected} missing from {paths:?}");
    }
}

#[tokio::test]
async fn a_wrong_password_is_auth_001_and_the_right_one_signs_in() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        let wrong = c.login("admin@a.test", "not-the-password").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}: {}", app.label, wrong.body);
        assert_eq!(wrong.error_code().as_deref(), Some("AUTH_001"), "{}", app.label);

        let ok = c.login("admin@a.test", PASSWORD).await;
        assert_eq!(ok.status, StatusCode::OK, "{}: {}", app.label, ok.body);
        let me = c.call("/api/auth/session", &[]).await;
        assert_eq!(me.json()["org"]["id"], orgs.a.org.as_str(), "{}", app.label);
        assert_eq!(me.json()["role"], "admin");
    }
}

#[tokio::test]
async fn too_many_failures_are_auth_004() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        for _ in 0..5 {
            assert_eq!(c.login("admin@a.test", "wrong-password!").await.error_code().as_deref(), Some("AUTH_001"));
        }
        let locked = c.login("admin@a.test", PASSWORD).await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", app.label);
        assert_eq!(locked.error_code().as_deref(), Some("AUTH_004"), "{}", app.label);
    }
}

#[tokio::test]
async fn signing_in_rotates_the_session_id_and_the_old_one_is_worthless() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        c.get("/login").await;
        assert!(!c.cookies.contains_key("mce_session"), "an anonymous visitor has no session ({})", app.label);
        // A session id planted before sign-in (session fixation) is not the one signed in.
        let planted = tower_sessions::session::Id::default().to_string();
        c.cookies.insert("mce_session".into(), planted.clone());
        let csrf_before = c.csrf().unwrap();
        assert_eq!(c.login("admin@a.test", PASSWORD).await.status, StatusCode::OK);
        let after = c.cookies.get("mce_session").cloned().unwrap();
        assert_ne!(planted, after, "the session id changes at sign-in ({})", app.label);
        assert_ne!(c.csrf().unwrap(), csrf_before, "the CSRF token changes at sign-in");

        // Someone holding the planted id gets nothing.
        let mut attacker = c.clone();
        attacker.cookies.insert("mce_session".into(), planted);
        attacker.cookies.insert("mce_csrf".into(), csrf_before.clone());
        let r = attacker.post("/api/auth/session", &[], Some(&csrf_before)).await;
        assert_ne!(r.status, StatusCode::OK, "{}: {}", app.label, r.body);
    }
}

#[tokio::test]
async fn signing_out_destroys_the_session() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        c.login("admin@a.test", PASSWORD).await;
        let stolen = c.clone();
        assert_eq!(c.call("/api/auth/logout", &[]).await.status, StatusCode::OK);
        let mut stolen = stolen;
        let token = stolen.csrf().unwrap();
        let r = stolen.post("/api/auth/session", &[], Some(&token)).await;
        assert_ne!(r.status, StatusCode::OK, "a copied cookie is dead after sign-out ({})", app.label);
        let sessions: i64 = {
            use sqlx::Row;
            sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE data LIKE '%user_id%'").fetch_one(app.db.pool()).await.unwrap().get("n")
        };
        assert_eq!(sessions, 0, "no signed-in session row remains ({})", app.label);
    }
}

#[tokio::test]
async fn every_server_function_refuses_a_request_without_the_csrf_token() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        assert_eq!(c.login("admin@a.test", PASSWORD).await.status, StatusCode::OK);
        let paths = server_fn_paths();
        assert!(paths.len() >= 10);
        for path in &paths {
            let missing = c.post(path, &[], None).await;
            assert_eq!(missing.status, StatusCode::FORBIDDEN, "{} {path}: {}", app.label, missing.body);
            assert_eq!(missing.error_code().as_deref(), Some("AUTH_005"), "{path}");
            let forged = c.post(path, &[], Some("forged-token")).await;
            assert_eq!(forged.error_code().as_deref(), Some("AUTH_005"), "{path}");
        }
        // The session is intact: the same call with the token works.
        assert_eq!(c.call("/api/auth/session", &[]).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_the_login_page() {
    for app in apps().await {
        let mut c = Client::new(&app);
        for path in ["/", "/settings/profile", "/settings/members"] {
            let r = c.get(path).await;
            assert!(r.status.is_redirection(), "{} {path}: {}", app.label, r.status);
            assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/login");
        }
        let login = c.get("/login").await;
        assert_eq!(login.status, StatusCode::OK);
        assert!(login.body.contains("Sign in"));
        let r = c.call("/api/settings/members", &[]).await;
        assert_eq!(r.error_code().as_deref(), Some("AUTH_002"), "{}", app.label);
    }
}

#[tokio::test]
async fn the_shell_renders_for_a_signed_in_member_with_the_version() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        c.login("admin@a.test", PASSWORD).await;
        let page = c.get("/settings/profile").await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.label);
        assert!(page.body.contains("Org A"), "{}", app.label);
        assert!(page.body.contains(concat!("v", env!("CARGO_PKG_VERSION"))), "{}", &page.body[page.body.len().saturating_sub(3000)..]);
        let inbox = c.get("/inbox").await;
        assert!(inbox.body.contains("Pick a conversation") && inbox.body.contains("conversation-list"), "the inbox renders on the server ({})", app.label);
        let missing = c.get("/no/such/page").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn an_admin_changes_the_profile_and_it_persists() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        c.login("admin@a.test", PASSWORD).await;
        let r = c.call("/api/settings/update_org_profile", &[("name", "Org A Ltd"), ("time_zone", "Asia/Kolkata"), ("default_country", "in")]).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", app.label, r.body);
        let p = c.call("/api/settings/org_profile", &[]).await.json();
        assert_eq!((p["name"].as_str(), p["time_zone"].as_str(), p["default_country"].as_str()), (Some("Org A Ltd"), Some("Asia/Kolkata"), Some("IN")));
        let bad = c.call("/api/settings/update_org_profile", &[("name", "Org A"), ("time_zone", "Mars/Base"), ("default_country", "IN")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.error_code().as_deref(), Some("VALIDATION_001"));
        assert_eq!(c.call("/api/settings/org_profile", &[]).await.json()["time_zone"], "Asia/Kolkata", "bad input changes nothing");
    }
}

#[tokio::test]
async fn an_agent_cannot_change_members() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let agent = seed_member(&app.db, &orgs.a.org, "agent@a.test", Role::Agent).await;
        let mut c = Client::new(&app);
        c.login("agent@a.test", PASSWORD).await;
        let calls: [(&str, Vec<(&str, &str)>); 6] = [
            ("/api/settings/invite_member", vec![("email", "x@a.test"), ("role", "viewer")]),
            ("/api/settings/invitations", vec![]),
            ("/api/settings/revoke_invitation", vec![("invitation_id", "any")]),
            ("/api/settings/change_member_role", vec![("user_id", orgs.a.user.id.as_str()), ("role", "viewer")]),
            ("/api/settings/remove_member", vec![("user_id", orgs.a.user.id.as_str())]),
            ("/api/settings/update_org_profile", vec![("name", "Mine now"), ("time_zone", "UTC"), ("default_country", "US")]),
        ];
        for (path, fields) in calls.iter() {
            let r = c.call(path, fields).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{} {path}: {}", app.label, r.body);
            assert_eq!(r.error_code().as_deref(), Some("AUTH_003"), "{path}");
        }
        let members = c.call("/api/settings/members", &[]).await.json();
        assert_eq!(members.as_array().unwrap().len(), 2, "agents can read the member list ({})", app.label);
        let _ = agent;
    }
}

#[tokio::test]
async fn an_admin_adds_changes_and_removes_a_member_through_the_app() {
    for app in apps().await {
        two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        c.login("admin@a.test", PASSWORD).await;
        let invited = c.call("/api/settings/invite_member", &[("email", "sarah@a.test"), ("role", "agent")]).await;
        assert_eq!(invited.status, StatusCode::OK, "{}: {}", app.label, invited.body);
        let link = invited.json()["link"].as_str().unwrap().to_owned();
        let mut sarah = Client::new(&app);
        let token = link.split("token=").nth(1).unwrap();
        let joined = sarah.call("/api/accounts/accept_invitation", &[("token", token), ("name", "Sarah"), ("password", "sarahs-first-pass")]).await;
        assert_eq!(joined.status, StatusCode::OK, "{}: {}", app.label, joined.body);
        let id = sarah.call("/api/auth/session", &[]).await.json()["user_id"].as_str().unwrap().to_owned();
        assert_eq!(c.call("/api/settings/change_member_role", &[("user_id", &id), ("role", "manager")]).await.status, StatusCode::OK);
        let list = c.call("/api/settings/members", &[]).await.json();
        assert!(list.as_array().unwrap().iter().any(|m| m["user_id"] == id.as_str() && m["role"] == "manager"));
        assert_eq!(c.call("/api/settings/remove_member", &[("user_id", &id)]).await.status, StatusCode::OK);
        let list = c.call("/api/settings/members", &[]).await.json();
        assert!(list.as_array().unwrap().iter().all(|m| m["user_id"] != id.as_str()), "{}", app.label);
    }
}

/// Walks every registered server function as org A's admin, with every argument any of
/// them takes pointing at org B, and checks that nothing of B leaks or changes.
/// New server functions are walked automatically; give new argument names a value here.
#[tokio::test]
async fn no_server_function_lets_org_a_read_or_change_org_b() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let b_org = orgs.b.org.to_string();
        let b_agent = orgs.b_agent.id.to_string();
        let b_admin = orgs.b.user.id.to_string();
        let b_number = backend::testing::seed_number(&app.db, &orgs.b.actor, "222000").await.id.to_string();
        backend::testing::customer_writes(&app.db, "222000", "4915222222222", backend::clock::now_ms() - 1000).await;
        let b_conversation: String = {
            use sqlx::Row;
            sqlx::query("SELECT id FROM conversations WHERE org_id = $1").bind(b_org.as_str()).fetch_one(app.db.pool()).await.unwrap().get("id")
        };
        let b_canned = backend::inbox::canned_save(&app.db, &orgs.b.actor, None, "B's secret reply", "bsecret", "B only").await.unwrap();
        let b_contact = backend::conversations::contact_by_phone(&app.db, &orgs.b.actor, &domain::PhoneE164::parse("+4915222222222").unwrap())
            .await
            .unwrap()
            .unwrap()
            .id
            .to_string();
        backend::contacts::notes::add(&app.db, &orgs.b.actor, &domain::ContactId::from_string(b_contact.clone()), "B's private note", backend::clock::now_ms())
            .await
            .unwrap();
        let b_source = backend::contacts::sources::create(
            &app.db,
            &backend::testing::test_cipher(),
            &orgs.b.actor,
            &backend::contacts::sources::SourceInput { kind: "webhook".into(), name: "B secret source".into(), ..Default::default() },
            backend::clock::now_ms(),
        )
        .await
        .unwrap();
        let b_tag = backend::contacts::tags::save(&app.db, &orgs.b.actor, None, "bsecrettag", "#123456", backend::clock::now_ms()).await.unwrap();
        let b_field =
            backend::contacts::fields::create(&app.db, &orgs.b.actor, "bsecretfield", "B secret field", "text", &[], backend::clock::now_ms()).await.unwrap();
        let b_import = backend::contacts::import::upload(
            &app.db,
            &orgs.b.actor,
            "bsecret.csv",
            b"phone,name\n+4915444444444,B Import Person\n".to_vec(),
            backend::clock::now_ms(),
        )
        .await
        .unwrap();
        let b_dead_job = {
            let now = backend::clock::now_ms();
            let mut conn = app.db.pool().acquire().await.unwrap();
            backend::jobs::queue::enqueue_raw_in(&mut conn, "mark_read", Some(&orgs.b.org), "[]", now, None, now).await.unwrap();
            drop(conn);
            backend::testing::drain_jobs(&app.db).await[0].id.clone()
        };
        let b_key = backend::api_keys::create(&app.db, &orgs.b.org, "B secret key").await.unwrap();
        let b_key_id = b_key.id.to_string();
        let b_invitation = backend::invitations::create(
            &app.db,
            &backend::mail::Delivery::without_mail("http://127.0.0.1:9"),
            &orgs.b.actor,
            &domain::EmailAddress::parse("pending@b.test").unwrap(),
            Role::Agent,
        )
        .await
        .unwrap();
        let b_invitation_token = b_invitation.link.as_deref().unwrap().split("token=").nth(1).unwrap().to_owned();
        let secrets_of_b = [
            "pending@b.test",
            "B secret key",
            b_key.secret.as_str(),
            &b_key.secret[..12],
            "Org B",
            "4915222222222",
            "B's secret reply",
            "B only",
            b_conversation.as_str(),
            "admin@b.test",
            "agent@b.test",
            "222000",
            b_org.as_str(),
            b_agent.as_str(),
            b_admin.as_str(),
            b_number.as_str(),
            b_contact.as_str(),
            "B's private note",
            "B secret source",
            b_source.source_key.as_str(),
            "bsecrettag",
            "B secret field",
            "bsecret.csv",
            "B Import Person",
        ];
        for path in server_fn_paths() {
            for target_user in [b_agent.as_str(), b_admin.as_str()] {
                let mut c = Client::new(&app);
                let login = tokio::time::timeout(std::time::Duration::from_secs(60), c.login("admin@a.test", PASSWORD))
                    .await
                    .unwrap_or_else(|_| panic!("{} login before {path} hung", app.label));
                assert_eq!(login.status, StatusCode::OK);
                let fields = [
                    ("org_id", b_org.as_str()),
                    ("user_id", target_user),
                    ("name", "Hijacked"),
                    ("org_name", "Hijacked"),
                    ("email", "newcomer@b.test"),
                    ("role", "viewer"),
                    ("password", "intruder-password"),
                    ("time_zone", "Pacific/Fiji"),
                    ("default_country", "FJ"),
                    ("number_id", b_number.as_str()),
                    ("display_name", "Hijacked"),
                    ("phone_number_id", "222000"),
                    ("waba_id", "900"),
                    ("access_token", "EAAG-intruder"),
                    ("system_prompt", ""),
                    ("customer", "+4915111111111"),
                    ("kind", "text"),
                    ("text", "hello"),
                    ("context", ""),
                    ("reply_id", ""),
                    ("fail_code", "190"),
                    ("duplicate_webhooks", "true"),
                    ("reorder_webhooks", "false"),
                    ("drop_delivered", "false"),
                    ("drop_all_statuses", "false"),
                    ("conversation_id", b_conversation.as_str()),
                    ("conversation_ids", b_conversation.as_str()),
                    ("tab", "all"),
                    ("search", ""),
                    ("cursor", ""),
                    ("language", "en"),
                    ("resolved", "true"),
                    ("handled_by", "ai"),
                    ("notification_id", ""),
                    ("canned_id", b_canned.id.as_str()),
                    ("mode", "round_robin"),
                    ("title", "Hijacked"),
                    ("shortcut", "hijacked"),
                    ("content", "Hijacked"),
                    ("variables", "Hijacked"),
                    ("contact_id", b_contact.as_str()),
                    ("contact_ids", b_contact.as_str()),
                    ("changes", r#"{"name": "Hijacked", "tags": ["hijacked"], "opt_in_status": "opted_out"}"#),
                    ("action", "delete"),
                    ("value", "hijacked"),
                    ("phone", "+4915333333333"),
                    ("company", "Hijacked"),
                    ("page", "1"),
                    ("per_page", "25"),
                    ("days", "14"),
                    ("filters[q]", "4915222222222"),
                    ("import_id", b_import.id.as_str()),
                    ("mapping", "phone|name"),
                    ("policy", "update"),
                    ("rules", "[]"),
                    ("keywords", "HIJACK"),
                    ("calling_codes", "49"),
                    ("key", "hijacked"),
                    ("label", "Hijacked"),
                    ("choices", ""),
                    ("field_id", b_field.id.as_str()),
                    ("tag_id", b_tag.id.as_str()),
                    ("colour", "#000000"),
                    ("source_id", b_source.id.as_str()),
                    ("spreadsheet_id", ""),
                    ("range", ""),
                    ("csv_url", ""),
                    ("api_key", ""),
                    ("poll_minutes", "5"),
                    ("require_signature", "false"),
                    ("key_id", b_key_id.as_str()),
                    ("expires_in_days", "0"),
                    ("job_id", b_dead_job.as_str()),
                    ("invitation_id", b_invitation.invitation.id.as_str()),
                    ("token", "not-an-invitation-token"),
                    ("code", "123456"),
                    // Wrong proofs and current passwords count toward org A's admin's sign-in
                    // limit (5): the one right proof keeps the walk below it.
                    ("proof", PASSWORD),
                    ("current_password", "intruder-password"),
                    ("new_password", "intruder-new-password"),
                    // "true" would hold org A's (unenrolled) admin back for the rest of the walk.
                    ("on", "false"),
                ];
                // A call that never answers names itself instead of hanging the suite.
                let r = tokio::time::timeout(std::time::Duration::from_secs(60), c.call(&path, &fields))
                    .await
                    .unwrap_or_else(|_| panic!("{} {path} did not answer within 60 s", app.label));
                assert!(!r.body.contains("The request was not understood"), "{path} needs an argument this test does not send: {}", r.body);
                for s in secrets_of_b {
                    assert!(!r.body.contains(s), "{} {path} revealed {s:?}: {}", app.label, r.body);
                }
                let me = tokio::time::timeout(std::time::Duration::from_secs(60), c.call("/api/auth/session", &[]))
                    .await
                    .unwrap_or_else(|_| panic!("{} session after {path} hung", app.label));
                if me.status == StatusCode::OK {
                    assert_ne!(me.json()["org"]["id"], b_org.as_str(), "{} {path} moved the session into org B", app.label);
                }
            }
        }
        let b_chat =
            backend::inbox::item(&app.db, &orgs.b.actor, &domain::ConversationId::from_string(b_conversation.clone()), backend::clock::now_ms()).await.unwrap();
        assert_eq!(
            (b_chat.status.as_str(), b_chat.assignee_id.as_deref(), b_chat.handled_by.as_str()),
            ("open", None, "human"),
            "B's conversation untouched ({})",
            app.label
        );
        let b_lines = backend::conversations::messages(&app.db, &orgs.b.actor, &domain::ConversationId::from_string(b_conversation.clone()), 50).await.unwrap();
        assert_eq!(b_lines.len(), 1, "nothing was written into B's chat ({})", app.label);
        let b_now = backend::contacts::search::get(&app.db, &orgs.b.actor, &domain::ContactId::from_string(b_contact.clone())).await.unwrap();
        assert_eq!(
            (b_now.name, b_now.tags.len(), b_now.opt_in_status.as_str(), b_now.deleted_at),
            (None, 0, "unknown", None),
            "B's contact untouched ({})",
            app.label
        );
        assert_eq!(
            backend::contacts::notes::list(&app.db, &orgs.b.actor, &domain::ContactId::from_string(b_contact.clone())).await.unwrap().len(),
            1,
            "no note added to B's contact ({})",
            app.label
        );
        assert_eq!(backend::contacts::sources::list(&app.db, &orgs.b.actor).await.unwrap().len(), 1, "B's source kept ({})", app.label);
        assert!(backend::api_keys::authenticate(&app.db, &b_key.secret).await.unwrap().is_some(), "B's API key still works ({})", app.label);
        assert_eq!(
            backend::contacts::tags::list(&app.db, &orgs.b.actor).await.unwrap().iter().map(|t| (t.name.as_str(), t.colour.as_str())).collect::<Vec<_>>(),
            [("bsecrettag", "#123456")],
            "B's tag kept ({})",
            app.label
        );
        assert_eq!(backend::contacts::fields::list(&app.db, &orgs.b.actor).await.unwrap().len(), 1, "B's field kept ({})", app.label);
        assert_eq!(
            backend::contacts::import::get(&app.db, &orgs.b.actor, &b_import.id).await.unwrap().status,
            "uploaded",
            "B's import not started ({})",
            app.label
        );
        assert_eq!(
            backend::contacts::settings::load(&app.db, &orgs.b.org).await.unwrap().opt_out_keywords,
            ["STOP", "UNSUBSCRIBE"],
            "B's settings kept ({})",
            app.label
        );
        assert_eq!(backend::jobs::admin::overview(&app.db, &orgs.b.actor, 0).await.unwrap().dead_total, 1, "B's dead job stays dead ({})", app.label);
        assert_eq!(
            backend::invitations::list_pending(&app.db, &orgs.b.actor).await.unwrap().iter().map(|i| i.email.as_str()).collect::<Vec<_>>(),
            ["pending@b.test"],
            "B's invitation is neither revoked nor accepted ({})",
            app.label
        );
        assert!(backend::invitations::preview(&app.db, &b_invitation_token, None).await.is_ok(), "B's invitation link still works ({})", app.label);
        let b_replies = backend::inbox::canned_list(&app.db, &orgs.b.actor).await.unwrap();
        assert_eq!(b_replies, vec![b_canned.clone()], "B's canned responses untouched ({})", app.label);
        let b_profile = backend::orgs::profile(&app.db, &orgs.b.actor).await.unwrap();
        assert_eq!((b_profile.name.as_str(), b_profile.time_zone.as_str(), b_profile.default_country.as_str()), ("Org B", "UTC", "US"), "{}", app.label);
        let b_members = backend::members::list(&app.db, &orgs.b.actor).await.unwrap();
        let b_numbers = backend::whatsapp::numbers::list(&app.db, &orgs.b.actor).await.unwrap();
        assert_eq!((b_numbers.len(), b_numbers[0].active, b_numbers[0].auto_assign.as_str()), (1, true, "off"), "B's number untouched ({})", app.label);
        let roles: Vec<(String, Role)> = b_members.iter().map(|m| (m.email.clone(), m.role)).collect();
        assert_eq!(roles, vec![("admin@b.test".to_string(), Role::Admin), ("agent@b.test".to_string(), Role::Agent)], "{}", app.label);
    }
}

/// Walks every REST route with org A's keys (admin, agent and viewer), with every path
/// parameter, query parameter and body field pointing at org B's objects.
#[tokio::test]
async fn no_rest_route_lets_org_a_read_or_change_org_b() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let with_role = |role| backend::api_keys::NewKey { name: format!("A's {role:?} key"), role, expires_at: None };
        let mut keys_a = Vec::new();
        for role in [domain::Role::Admin, domain::Role::Agent, domain::Role::Viewer] {
            keys_a.push(backend::api_keys::create_with(&app.db, &orgs.a.org, &with_role(role), None).await.unwrap());
        }
        let b_number = backend::testing::seed_number(&app.db, &orgs.b.actor, "222000").await;
        let b_message = backend::testing::seed_outbound_message(&app.db, &orgs.b.org, &b_number.id, "+4915111111111", Some("wamid.B")).await;
        let b_contact =
            backend::conversations::contact_by_phone(&app.db, &orgs.b.actor, &domain::PhoneE164::parse("+4915111111111").unwrap()).await.unwrap().unwrap();
        let b_conversation = backend::conversations::for_contact(&app.db, &orgs.b.actor, &b_contact.id).await.unwrap().remove(0);
        let b_org = orgs.b.org.to_string();
        let b_number_id = b_number.id.to_string();
        let b_contact_id = b_contact.id.to_string();
        let b_conversation_id = b_conversation.id.to_string();
        backend::testing::customer_writes(&app.db, "222000", "4915222222222", backend::clock::now_ms() - 1000).await;
        let b_conversation: String = {
            use sqlx::Row;
            sqlx::query("SELECT id FROM conversations WHERE org_id = $1").bind(b_org.as_str()).fetch_one(app.db.pool()).await.unwrap().get("id")
        };
        // B data no route may reveal.
        backend::inbox::canned_save(&app.db, &orgs.b.actor, None, "B's secret reply", "bsecret", "B only").await.unwrap();
        // A pending invitation of B's, whose address no route may show.
        backend::invitations::create(
            &app.db,
            &backend::mail::Delivery::without_mail("http://127.0.0.1:9"),
            &orgs.b.actor,
            &domain::EmailAddress::parse("pending@b.test").unwrap(),
            Role::Agent,
        )
        .await
        .unwrap();
        let secrets_of_b = [
            "pending@b.test",
            "Org B",
            "4915222222222",
            "B's secret reply",
            "B only",
            b_conversation.as_str(),
            "admin@b.test",
            "agent@b.test",
            "4915111111111",
            "wamid.B",
            "222000",
            b_org.as_str(),
            b_number_id.as_str(),
            b_contact_id.as_str(),
            b_conversation_id.as_str(),
            b_message.as_str(),
        ];
        let mut c = Client::new(&app);
        for (key_a, route) in keys_a.iter().flat_map(|k| server::rest::ROUTES.iter().map(move |r| (k, r))) {
            let mut prev = "";
            let path: Vec<String> = route
                .path
                .split('/')
                .map(|seg| {
                    let out = if seg.starts_with('{') {
                        match prev {
                            "numbers" => b_number_id.clone(),
                            "conversations" => b_conversation_id.clone(),
                            "contacts" => b_contact_id.clone(),
                            _ => b_org.clone(),
                        }
                    } else {
                        seg.to_owned()
                    };
                    prev = seg;
                    out
                })
                .collect();
            let path = format!("{}?phone=%2B4915111111111&contact_id={b_contact_id}&number_id={b_number_id}", path.join("/"));
            let r = match route.method {
                "get" => c.api_get(&path, Some(&key_a.secret)).await,
                "post" => {
                    let body = serde_json::json!({
                        "number_id": b_number_id, "conversation_id": b_conversation_id, "contact_id": b_contact_id,
                        "to": "+4915111111111", "text": "hi", "display_name": "Mine", "phone_number_id": "222000",
                        "waba_id": "900", "access_token": "EAAG-x", "system_prompt": ""
                    });
                    c.api_post(&path, Some(&key_a.secret), &body).await
                }
                "patch" => {
                    c.api_send(
                        axum::http::Method::PATCH,
                        &path,
                        Some(&key_a.secret),
                        Some(&serde_json::json!({"name": "Hijacked", "tags": ["hijacked"], "opt_in_status": "opted_out"})),
                    )
                    .await
                }
                "delete" => c.api_send(axum::http::Method::DELETE, &path, Some(&key_a.secret), None).await,
                other => panic!("extend this walk for {other} {}", route.path),
            };
            for s in secrets_of_b {
                assert!(!r.body.contains(s), "{} {} {path} revealed {s:?}: {}", app.label, route.method, r.body);
            }
            if route.path.contains('{') {
                // Another org's object is not found, whatever the key's role (a lower role
                // may be refused first: either way nothing of B's is touched).
                assert!(
                    r.status == StatusCode::NOT_FOUND || (r.status == StatusCode::FORBIDDEN && key_a.name != "A's Admin key"),
                    "{} {} {path}: {} {}",
                    app.label,
                    key_a.name,
                    r.status,
                    r.body
                );
            }
            if route.authenticated {
                let anon = match route.method {
                    "post" => c.api_post(&path, None, &serde_json::json!({})).await,
                    "patch" => c.api_send(axum::http::Method::PATCH, &path, None, Some(&serde_json::json!({}))).await,
                    "delete" => c.api_send(axum::http::Method::DELETE, &path, None, None).await,
                    _ => c.api_get(&path, None).await,
                };
                assert_eq!(anon.status, StatusCode::UNAUTHORIZED, "{path} needs a key");
            }
        }
        let me = c.api_get("/api/v1/me", Some(&keys_a[0].secret)).await.json();
        assert_eq!(me["id"], orgs.a.org.as_str(), "{}", app.label);
        assert_eq!(backend::whatsapp::numbers::list(&app.db, &orgs.b.actor).await.unwrap().len(), 1, "B's numbers unchanged ({})", app.label);
        let b_now = backend::contacts::search::get(&app.db, &orgs.b.actor, &b_contact.id).await.unwrap();
        assert_eq!(
            (b_now.name, b_now.tags.len(), b_now.opt_in_status.as_str(), b_now.deleted_at),
            (None, 0, "unknown", None),
            "B's contact unchanged ({})",
            app.label
        );
    }
}

#[tokio::test]
async fn api_me_returns_the_keys_org_and_refuses_bad_keys() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let created = server::cli::api_key_create(&app.db, orgs.b.org.as_str(), "CRM sync", "admin", None).await.unwrap();
        let mut c = Client::new(&app);
        let me = c.api_get("/api/v1/me", Some(&created.secret)).await;
        assert_eq!(me.status, StatusCode::OK, "{}", app.label);
        let body = me.json();
        assert_eq!(body["id"], orgs.b.org.as_str());
        assert_eq!(body["name"], "Org B");
        assert_eq!(body["api_key"]["name"], "CRM sync");
        for bad in [None, Some("mce_not-a-key"), Some("garbage")] {
            let r = c.api_get("/api/v1/me", bad).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            assert_eq!(r.error_code().as_deref(), Some("AUTH_002"));
            assert_eq!(r.headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
        }
        let unknown = c.api_get("/api/v1/nothing-here", Some(&created.secret)).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = apps().await.remove(0);
    let mut c = Client::new(&app);
    let doc = c.api_get("/api/v1/openapi.json", None).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for route in server::rest::ROUTES {
        assert!(doc["paths"][route.path][route.method].is_object(), "{} {} missing", route.method, route.path);
    }
    let distinct: std::collections::HashSet<&str> = server::rest::ROUTES.iter().map(|r| r.path).collect();
    assert_eq!(doc["paths"].as_object().unwrap().len(), distinct.len(), "no undocumented extras");
}

#[tokio::test]
async fn the_probes_answer() {
    for app in apps().await {
        let mut c = Client::new(&app);
        assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
        let ready = c.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK, "{}", app.label);
        assert_eq!((ready.json()["status"].as_str(), ready.json()["webhook_backlog"].as_u64()), (Some("ready"), Some(0)), "{}", app.label);
        app.db.close().await;
        assert_eq!(c.get("/readyz").await.status, StatusCode::SERVICE_UNAVAILABLE, "{}", app.label);
    }
}

#[tokio::test]
async fn sign_up_creates_an_org_unless_switched_off() {
    for app in apps().await {
        let mut c = Client::new(&app);
        let fields = [("org_name", "Fresh Co"), ("name", "Fay"), ("email", "fay@fresh.test"), ("password", "fays-long-password")];
        let r = c.call("/api/auth/signup", &fields).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", app.label, r.body);
        let me = c.call("/api/auth/session", &[]).await.json();
        assert_eq!(me["org"]["name"], "Fresh Co");
        assert_eq!(me["role"], "owner");
    }
    for app in apps_with(&[("MCE_SIGNUP_ENABLED", "false")]).await {
        let mut c = Client::new(&app);
        let r = c.call("/api/auth/signup", &[("org_name", "X"), ("name", "X"), ("email", "x@x.test"), ("password", "long-enough-pass")]).await;
        assert_eq!(r.error_code().as_deref(), Some("AUTH_003"), "{}", app.label);
        assert!(backend::auth::find_user_by_email(&app.db, &domain::EmailAddress::parse("x@x.test").unwrap()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn members_of_two_orgs_switch_between_them() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        backend::members::add_unchecked(&app.db, &orgs.b.org, &orgs.a.user.id, Role::Viewer).await.unwrap();
        let outsider = backend::testing::seed_org_with(&app.db, "Org C", "admin@c.test", Role::Admin).await;
        let mut c = Client::new(&app);
        c.login("admin@a.test", PASSWORD).await;
        assert_eq!(c.call("/api/auth/session", &[]).await.json()["orgs"].as_array().unwrap().len(), 2);
        assert_eq!(c.call("/api/auth/switch_org", &[("org_id", orgs.b.org.as_str())]).await.status, StatusCode::OK);
        let me = c.call("/api/auth/session", &[]).await.json();
        assert_eq!((me["org"]["id"].as_str(), me["role"].as_str()), (Some(orgs.b.org.as_str()), Some("viewer")), "{}", app.label);
        let refused = c.call("/api/auth/switch_org", &[("org_id", outsider.org.as_str())]).await;
        assert_eq!(refused.error_code().as_deref(), Some("AUTH_003"));
    }
}

#[tokio::test]
async fn admin_create_makes_the_org_once_and_api_key_create_works() {
    for app in apps().await {
        let first = server::cli::admin_create(&app.db, "boss@new.test", "boss-password-1", "New Org", None, false).await.unwrap();
        assert!(first.org_created && first.user_created);
        let second = server::cli::admin_create(&app.db, "second@new.test", "second-password", "New Org", Some("Second"), false).await.unwrap();
        assert_eq!(second.org_id, first.org_id, "the org is found by name ({})", app.label);
        assert!(!second.org_created);
        let actor = backend::auth::actor_for(&app.db, &first.user_id, &first.org_id).await.unwrap();
        let members = backend::members::list(&app.db, &actor).await.unwrap();
        let roles: Vec<(&str, Role)> = members.iter().map(|m| (m.email.as_str(), m.role)).collect();
        assert!(roles.contains(&("boss@new.test", Role::Owner)) && roles.contains(&("second@new.test", Role::Admin)), "{roles:?}");
        assert!(server::cli::admin_create(&app.db, "bad", "boss-password-1", "New Org", None, false).await.is_err());
        assert!(server::cli::admin_create(&app.db, "x@new.test", "short", "New Org", None, false).await.is_err());
        assert!(server::cli::api_key_create(&app.db, "no-such-org", "k", "admin", None).await.is_err());
    }
}

#[tokio::test]
async fn a_viewer_key_reads_through_the_api_but_every_change_is_refused() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let new = backend::api_keys::NewKey { name: "BI".into(), role: domain::Role::Viewer, expires_at: None };
        let key = backend::api_keys::create_with(&app.db, &orgs.a.org, &new, None).await.unwrap().secret;
        let mine = backend::contacts::edit::create(&app.db, &orgs.a.actor, "app", &serde_json::json!({"phone": "+5511900000999"}), backend::clock::now_ms())
            .await
            .unwrap()
            .id
            .to_string();
        let number = backend::whatsapp::sandbox::ensure_number(&app.db, &backend::testing::test_cipher(), &orgs.a.actor).await.unwrap().id.to_string();
        let mut c = Client::new(&app);
        assert_eq!(c.api_get("/api/v1/contacts", Some(&key)).await.status, StatusCode::OK, "{}", app.label);
        assert_eq!(c.api_get("/api/v1/me", Some(&key)).await.json()["api_key"]["role"], "viewer");
        // (The upload route reads its multipart body before the service refuses a viewer;
        // `backend/tests/it/roles.rs` covers that refusal.)
        for route in server::rest::ROUTES.iter().filter(|r| r.method != "get" && r.authenticated && r.path != "/api/v1/media") {
            let path = route.path.replace("{id}", &mine);
            let body = serde_json::json!({"phone": "+5511900000123", "to": "+5511900000123", "text": "hi", "display_name": "Mine", "number_id": number,
                "phone_number_id": "1", "waba_id": "1", "access_token": "EAAG-x", "system_prompt": "", "name": "x"});
            let r = match route.method {
                "post" => c.api_post(&path, Some(&key), &body).await,
                "patch" => c.api_send(axum::http::Method::PATCH, &path, Some(&key), Some(&body)).await,
                _ => c.api_send(axum::http::Method::DELETE, &path, Some(&key), None).await,
            };
            assert_eq!(
                (r.status, r.error_code().as_deref()),
                (StatusCode::FORBIDDEN, Some("AUTH_003")),
                "{} {} {}: {}",
                app.label,
                route.method,
                route.path,
                r.body
            );
        }
        assert_eq!(backend::testing::count_rows(&app.db, "contacts").await, 1, "nothing created ({})", app.label);
        let still = backend::contacts::search::get(&app.db, &orgs.a.actor, &domain::ContactId::from_string(mine.clone())).await.unwrap();
        assert!(still.deleted_at.is_none() && still.name.is_none(), "nothing changed ({})", app.label);
    }
}
