//! Test harness: the whole router on a fresh database per backend, driven in-process
//! (no sockets) by a small cookie-keeping client.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use backend::testing::{databases, seed_member, seed_org_with, Seeded};
use backend::Db;
use domain::{AppError, Role};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use server::config::Config;
use std::collections::HashMap;
use tower::ServiceExt;

/// The app secret the test server checks webhook signatures with.
pub const APP_SECRET: &str = "test-app-secret";
/// The verify token of the webhook handshake in tests.
pub const VERIFY_TOKEN: &str = "test-verify-token";

/// The app on one backend.
pub struct TestApp {
    pub label: &'static str,
    pub db: Db,
    pub router: Router,
}

/// Configuration for tests: defaults, with `overrides`.
pub fn config(overrides: &[(&str, &str)]) -> Config {
    let map: HashMap<String, String> = overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|k| map.get(k).cloned()).expect("test config")
}

/// The app on each backend under test.
pub async fn apps() -> Vec<TestApp> {
    apps_with(&[]).await
}

/// The app on each backend under test, with configuration overrides.
pub async fn apps_with(overrides: &[(&str, &str)]) -> Vec<TestApp> {
    // A closed local port unless a test brings its own Graph API double: never the internet.
    let mut all = vec![("WHATSAPP_APP_SECRET", APP_SECRET), ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN), ("WHATSAPP_API_BASE", "http://127.0.0.1:9")];
    all.extend_from_slice(overrides);
    let cfg = config(&all);
    let mut out = Vec::new();
    for t in databases().await {
        let options = LeptosOptions::builder().output_name("mce").build();
        let state = server::web::app_state(options, t.db.clone(), &cfg, backend::testing::test_cipher(), "http://127.0.0.1:9").expect("state");
        out.push(TestApp { label: t.label, db: t.db, router: server::web::router(state, &cfg) });
    }
    out
}

/// Two orgs, each with an admin, and an agent in B.
pub struct TwoOrgs {
    pub a: Seeded,
    pub b: Seeded,
    pub b_agent: backend::auth::User,
}

pub async fn two_orgs(db: &Db) -> TwoOrgs {
    let a = seed_org_with(db, "Org A", "admin@a.test", Role::Admin).await;
    let b = seed_org_with(db, "Org B", "admin@b.test", Role::Admin).await;
    let b_agent = seed_member(db, &b.org, "agent@b.test", Role::Agent).await;
    TwoOrgs { a, b, b_agent }
}

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// The error code of an error answer.
    pub fn error_code(&self) -> Option<String> {
        serde_json::from_str::<AppError>(&self.body).ok().map(|e| e.code.as_str().to_owned())
    }
}

/// Percent-encodes form fields.
pub fn form(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// A browser stand-in: keeps cookies and sends the CSRF header like the app's client.
#[derive(Clone)]
pub struct Client {
    router: Router,
    pub cookies: HashMap<String, String>,
}

impl Client {
    pub fn new(app: &TestApp) -> Self {
        Self { router: app.router.clone(), cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn send(&mut self, req: Request<Body>) -> Resp {
        let (method, uri) = (req.method().clone(), req.uri().clone());
        // A request that never answers names itself instead of hanging the suite.
        let res = tokio::time::timeout(std::time::Duration::from_secs(45), self.router.clone().oneshot(req))
            .await
            .unwrap_or_else(|_| panic!("{method} {uri} did not answer within 45 s"))
            .expect("router answers");
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let attrs = attrs.to_ascii_lowercase();
            if value.is_empty() || attrs.contains("max-age=0") || attrs.contains("1970") {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = tokio::time::timeout(std::time::Duration::from_secs(45), res.into_body().collect())
            .await
            .unwrap_or_else(|_| panic!("the body of {method} {uri} did not end within 45 s"))
            .expect("body")
            .to_bytes();
        Resp { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = Request::builder().uri(path).header(header::COOKIE, self.cookie_header()).header(header::ACCEPT, "text/html").body(Body::empty()).unwrap();
        self.send(req).await
    }

    /// POSTs a form, with the CSRF header when `csrf` is given.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)], csrf: Option<&str>) -> Resp {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(token) = csrf {
            req = req.header("x-csrf-token", token);
        }
        self.send(req.body(Body::from(form(fields))).unwrap()).await
    }

    /// The CSRF token the page script would read from its cookie.
    pub fn csrf(&self) -> Option<String> {
        self.cookies.get("mce_csrf").cloned()
    }

    /// Calls a server function the way the app does (with the CSRF header).
    pub async fn call(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        if self.csrf().is_none() {
            let page = self.get("/login").await;
            assert_eq!(page.status, StatusCode::OK, "login page renders");
        }
        let token = self.csrf().expect("the login page hands out a CSRF cookie");
        self.post(path, fields, Some(&token)).await
    }

    /// Signs in through the login server function.
    pub async fn login(&mut self, email: &str, password: &str) -> Resp {
        self.call("/api/auth/login", &[("email", email), ("password", password)]).await
    }

    /// POSTs a multipart body the way the composer's file button does (session cookie and
    /// CSRF header).
    pub async fn post_multipart(&mut self, path: &str, body: Vec<u8>, content_type: &str) -> Resp {
        if self.csrf().is_none() {
            self.get("/login").await;
        }
        let mut req = Request::builder().method(Method::POST).uri(path).header(header::COOKIE, self.cookie_header()).header(header::CONTENT_TYPE, content_type);
        if let Some(token) = self.csrf() {
            req = req.header("x-csrf-token", token);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// POSTs a raw body with headers (webhooks).
    pub async fn post_raw(&mut self, path: &str, body: Vec<u8>, headers: &[(&str, String)]) -> Resp {
        let mut req = Request::builder().method(Method::POST).uri(path).header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// A REST POST with a JSON body and an API key.
    pub async fn api_post(&mut self, path: &str, key: Option<&str>, body: &serde_json::Value) -> Resp {
        let mut req = Request::builder().method(Method::POST).uri(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        self.send(req.body(Body::from(body.to_string())).unwrap()).await
    }

    /// A REST call with any method, a JSON body and an API key.
    pub async fn api_send(&mut self, method: Method, path: &str, key: Option<&str>, body: Option<&serde_json::Value>) -> Resp {
        let mut req = Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        self.send(req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap()).await
    }

    /// A REST call with an API key.
    pub async fn api_get(&mut self, path: &str, key: Option<&str>) -> Resp {
        let mut req = Request::builder().uri(path);
        if let Some(k) = key {
            req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }
}

/// Every server function's path, as registered with the router.
pub fn server_fn_paths() -> Vec<String> {
    let mut v: Vec<String> = server_fn::axum::server_fn_paths().map(|(p, _)| p.to_string()).collect();
    v.sort();
    v
}

/// The app on a real loopback port, with the sandbox simulator's webhooks signed with
/// [`APP_SECRET`] (the simulator calls itself back over HTTP).
pub async fn serve_on_loopback(db: Db) -> app::state::AppState {
    serve_on_loopback_app(db, "loopback").await.1
}

/// [`serve_on_loopback`], plus the same app in process for a cookie-keeping [`Client`]
/// (a signed-in member's requests while the simulator calls the server over HTTP).
pub async fn serve_on_loopback_app(db: Db, label: &'static str) -> (TestApp, app::state::AppState) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let cfg = config(&[("WHATSAPP_APP_SECRET", APP_SECRET), ("MCE_SANDBOX_STEP_MS", "20")]);
    let state = server::web::app_state(LeptosOptions::builder().output_name("mce").build(), db.clone(), &cfg, backend::testing::test_cipher(), &url).unwrap();
    let router = server::web::router(state.clone(), &cfg);
    let served = router.clone();
    tokio::spawn(async move { axum::serve(listener, served.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap() });
    (TestApp { label, db, router }, state)
}
