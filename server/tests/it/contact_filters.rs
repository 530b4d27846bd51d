//! One parser for the contact list's filters: the list page's server function, the REST
//! list and the export of the current view read the same filters the same way — the
//! export no longer ignores the last-message dates.

use crate::common::*;
use axum::http::StatusCode;

const PASSWORD: &str = "password-for-tests";
/// 2026-11-15 12:00 UTC.
const MID_NOVEMBER: i64 = 1_794_744_000_000;

#[tokio::test]
async fn the_list_the_api_and_the_export_filter_by_the_last_message_alike() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        backend::testing::seed_number(&app.db, &orgs.a.actor, "100000000000001").await;
        // One contact wrote in mid-November, one in mid-October; one never wrote.
        backend::testing::customer_writes(&app.db, "100000000000001", "5511900000001", MID_NOVEMBER).await;
        backend::testing::customer_writes(&app.db, "100000000000001", "5511900000002", MID_NOVEMBER - 31 * 86_400_000).await;
        let key = backend::api_keys::create(&app.db, &orgs.a.org, "crm").await.unwrap().secret;
        let mut c = Client::new(&app);
        c.api_post("/api/v1/contacts", Some(&key), &serde_json::json!({"phone": "+5511900000003"})).await;

        let api = c.api_get("/api/v1/contacts?last_message_from=2026-11-01&last_message_to=2026-11-30", Some(&key)).await;
        assert_eq!(api.status, StatusCode::OK, "{}: {}", app.label, api.body);
        let api = api.json();
        assert_eq!((api["total"].as_i64(), api["data"][0]["phone"].as_str()), (Some(1), Some("+5511900000001")), "{}", app.label);

        c.login("admin@a.test", PASSWORD).await;
        let listed = c
            .call(
                "/api/contacts/list",
                &[("filters[last_message_from]", "2026-11-01"), ("filters[last_message_to]", "2026-11-30"), ("page", "1"), ("per_page", "25")],
            )
            .await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        assert_eq!(listed.json()["total"].as_i64(), Some(1), "{}", app.label);

        let export = c.get("/contacts/export.csv?last_message_from=2026-11-01&last_message_to=2026-11-30").await;
        assert_eq!(export.status, StatusCode::OK, "{}", app.label);
        assert!(export.body.contains("+5511900000001"), "{}", export.body);
        assert!(!export.body.contains("+5511900000002") && !export.body.contains("+5511900000003"), "the export is the view: {}", export.body);

        let everything = c.get("/contacts/export.csv").await;
        assert!(["+5511900000001", "+5511900000002", "+5511900000003"].iter().all(|p| everything.body.contains(p)), "{}", app.label);

        let bad = c.get("/contacts/export.csv?created_from=yesterday").await;
        assert_eq!((bad.status, bad.error_code().as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("VALIDATION_001")), "{}: {}", app.label, bad.body);
    }
}
