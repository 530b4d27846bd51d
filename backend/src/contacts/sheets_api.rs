//! The HTTP client for Google Sheets: the Sheets API's values of a range, or a sheet
//! published as CSV. A leaf, so the job context can hold one without importing the
//! lead pipeline. The API's base URL is the operator's configuration, so it is called
//! with an ordinary client; a published-CSV address is the tenant's, so it is fetched
//! through [`SafeClient`] (public https addresses only, 10 MB at most).

use crate::net::SafeClient;
use domain::csv::{decode_text, Reader};
use serde_json::Value;
use std::time::Duration;

/// Google's API, unless configured otherwise (`MCE_SHEETS_API_BASE`, for tests and proxies).
pub const DEFAULT_API_BASE: &str = "https://sheets.googleapis.com";

/// The most rows one poll reads.
pub const MAX_ROWS: usize = 100_000;

/// Fetches sheet rows over HTTP.
#[derive(Clone)]
pub struct SheetsClient {
    http: reqwest::Client,
    base: String,
    published: SafeClient,
}

impl SheetsClient {
    /// A client for the Sheets API at `base` that reads published sheets through
    /// `published` (whose policy says which addresses a tenant may give).
    pub fn new(base: &str, published: SafeClient) -> anyhow::Result<Self> {
        crate::net::ensure_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("mce/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), published })
    }

    /// The rows of `range` (`GET /v4/spreadsheets/{id}/values/{range}?key=`).
    pub async fn values(&self, spreadsheet_id: &str, range: &str, api_key: &str) -> std::result::Result<Vec<Vec<String>>, String> {
        let url = format!("{}/v4/spreadsheets/{}/values/{}?majorDimension=ROWS&key={}", self.base, encode(spreadsheet_id), encode(range), encode(api_key));
        let res = self.http.get(&url).send().await.map_err(|e| format!("Google Sheets could not be reached ({}).", e.without_url()))?;
        let status = res.status();
        let body: Value = res.json().await.map_err(|_| format!("Google Sheets answered {status} with something that is not JSON."))?;
        if !status.is_success() {
            let why = body["error"]["message"].as_str().unwrap_or("no reason given");
            return Err(format!("Google Sheets answered {}: {why}", status.as_u16()));
        }
        Ok(body["values"]
            .as_array()
            .map(|rows| rows.iter().take(MAX_ROWS + 1).map(|r| r.as_array().map(|cells| cells.iter().map(cell_text).collect()).unwrap_or_default()).collect())
            .unwrap_or_default())
    }

    /// The rows of a sheet published as CSV at the tenant's `url`. A failure says why in
    /// generic words (never what the server answered).
    pub async fn csv(&self, url: &str) -> std::result::Result<Vec<Vec<String>>, String> {
        let fetched = self.published.get(url).await.map_err(|e| format!("The published sheet could not be fetched: {e}."))?;
        let text = decode_text(&fetched.bytes);
        Reader::new(&text).take(MAX_ROWS + 1).map(|r| r.map(|r| r.fields).map_err(|e| format!("The published sheet is not valid CSV: {e}."))).collect()
    }
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Percent-encodes a path segment (sheet names may hold spaces; `!` and `:` stay).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'!' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_keep_their_sheet_syntax_and_spaces_are_encoded() {
        assert_eq!(super::encode("Leads 2024!A:F"), "Leads%202024!A:F");
    }
}
