//! Settings → System: an admin sees the org's background jobs and retries a dead one;
//! other roles may not look.

use crate::common::*;
use axum::http::StatusCode;

const PASSWORD: &str = "password-for-tests";

/// A job of `org` that cannot run (its payload is unreadable), run once so it is dead.
pub async fn dead_job(db: &backend::Db, org: &domain::OrgId) -> String {
    let now = backend::clock::now_ms();
    let mut conn = db.pool().acquire().await.unwrap();
    backend::jobs::queue::enqueue_raw_in(&mut conn, "download_media", Some(org), "[]", now, None, now).await.unwrap();
    drop(conn);
    let ran = backend::testing::drain_jobs(db).await;
    assert!(matches!(ran[0].step, backend::jobs::Step::Dead { .. }), "{:?}", ran[0].step);
    ran[0].id.clone()
}

#[tokio::test]
async fn an_admin_sees_a_failed_job_with_its_error_and_retries_it() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        let job = dead_job(&app.db, &orgs.a.org).await;
        let mut c = Client::new(&app);
        c.login("admin@a.test", PASSWORD).await;
        let page = c.get("/settings/system").await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.label);
        assert!(page.body.contains("Background jobs") && page.body.contains("Downloading media"), "{}", app.label);
        assert!(
            page.body.contains("the job&#x27;s payload cannot be read") || page.body.contains("the job's payload cannot be read"),
            "the error shows ({})",
            app.label
        );

        let v = c.call("/api/system/jobs", &[("page", "0")]).await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);
        let v = v.json();
        assert_eq!((v["dead_total"].as_i64(), v["kinds"][0]["kind"].as_str(), v["kinds"][0]["dead"].as_i64()), (Some(1), Some("download_media"), Some(1)));

        let r = c.call("/api/system/retry_job", &[("job_id", job.as_str())]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = c.call("/api/system/jobs", &[("page", "0")]).await.json();
        assert_eq!((v["dead_total"].as_i64(), v["kinds"][0]["queued"].as_i64()), (Some(0), Some(1)), "queued again ({})", app.label);
    }
}

#[tokio::test]
async fn only_admins_see_the_jobs() {
    for app in apps().await {
        let _orgs = two_orgs(&app.db).await;
        let mut c = Client::new(&app);
        c.login("agent@b.test", PASSWORD).await;
        let r = c.call("/api/system/jobs", &[("page", "0")]).await;
        assert_eq!((r.status, r.error_code().as_deref()), (StatusCode::FORBIDDEN, Some("AUTH_003")), "{}: {}", app.label, r.body);
    }
}

#[tokio::test]
async fn the_failed_jobs_list_pages_past_its_first_page() {
    for app in apps().await {
        let orgs = two_orgs(&app.db).await;
        for _ in 0..(backend::jobs::admin::PAGE_SIZE + 3) {
            let now = backend::clock::now_ms();
            let mut conn = app.db.pool().acquire().await.unwrap();
            backend::jobs::queue::enqueue_raw_in(&mut conn, "mark_read", Some(&orgs.a.org), "[]", now, None, now).await.unwrap();
        }
        backend::testing::drain_jobs(&app.db).await;
        let mut c = Client::new(&app);
        c.login("admin@a.test", PASSWORD).await;
        let first = c.call("/api/system/jobs", &[("page", "0")]).await.json();
        let second = c.call("/api/system/jobs", &[("page", "1")]).await.json();
        assert_eq!(first["dead"].as_array().unwrap().len() as i64, backend::jobs::admin::PAGE_SIZE, "{}", app.label);
        assert_eq!(second["dead"].as_array().unwrap().len(), 3, "{}", app.label);
        assert_eq!(second["dead_total"].as_i64(), Some(backend::jobs::admin::PAGE_SIZE + 3));
        let firsts: Vec<&str> = first["dead"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert!(second["dead"].as_array().unwrap().iter().all(|d| !firsts.contains(&d["id"].as_str().unwrap())), "pages do not overlap");
    }
}
