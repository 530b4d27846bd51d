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

#[tokio::test]
async fn each_service_refuses_a_role_below_its_own_and_an_api_key_acts_as_an_admin() {
    for t in databases().await {
        let a = seed_org_with(&t.db, "Org A", "admin@a.test", Role::Admin).await;
        let viewer = member(&t.db, &a.org, "viewer@a.test", Role::Viewer).await;
        let agent = member(&t.db, &a.org, "agent@a.test", Role::Agent).await;
        let manager = member(&t.db, &a.org, "manager@a.test", Role::Manager).await;
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
