//! A panicking handler is answered `500 INTERNAL_001` in the REST API's error shape by
//! the router's outermost layer ([`server::web::catch_panics`]), not a dropped connection.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn boom() -> &'static str {
    panic!("a handler bug")
}

#[tokio::test]
async fn a_panicking_handler_answers_500_internal_001_as_json() {
    let router: Router = Router::new().route("/boom", get(boom)).route("/fine", get(|| async { "ok" })).layer(server::web::catch_panics());

    let res = router.clone().oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.headers()["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["code"], "INTERNAL_001", "{body}");
    assert_eq!(body, serde_json::to_value(domain::AppError::internal()).unwrap(), "the same body as any INTERNAL_001");
    assert!(!body.to_string().contains("a handler bug"), "the panic's message stays in the log");

    let res = router.oneshot(Request::get("/fine").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "other routes are untouched");
}
