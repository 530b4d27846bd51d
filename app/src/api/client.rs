//! The server-function client: the browser `fetch` client plus the CSRF header.

use bytes::Bytes;
use futures::{Sink, Stream};
use server_fn::client::browser::BrowserClient;
use server_fn::client::Client;
use server_fn::error::FromServerFnError;
use server_fn::request::browser::BrowserRequest;
use server_fn::response::browser::BrowserResponse;
use std::future::Future;

/// Sends server-function calls like Leptos's default client, adding the CSRF token
/// read from the [`super::CSRF_COOKIE`] cookie.
pub struct CsrfClient;

/// The CSRF token from the page's cookie, if any.
#[cfg(feature = "hydrate")]
pub fn csrf_token() -> Option<String> {
    use wasm_bindgen::JsCast;
    let doc = leptos::prelude::document().dyn_into::<web_sys::HtmlDocument>().ok()?;
    let cookies = doc.cookie().ok()?;
    cookies.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == super::CSRF_COOKIE).map(|(_, v)| v.to_owned())
}

impl<E, IS, OS> Client<E, IS, OS> for CsrfClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(req: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        #[cfg(feature = "hydrate")]
        if let Some(token) = csrf_token() {
            req.headers().append(super::CSRF_HEADER, &token);
        }
        <BrowserClient as Client<E, IS, OS>>::send(req)
    }

    #[allow(clippy::type_complexity)]
    fn open_websocket(
        path: &str,
    ) -> impl Future<Output = Result<(impl Stream<Item = Result<Bytes, Bytes>> + Send + 'static, impl Sink<Bytes> + Send + 'static), E>> + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}
