//! The contact list's filters, one shape for every way in: the list page (server
//! function), `GET /api/v1/contacts` and `GET /contacts/export.csv` (query strings) all
//! read a [`ContactFilters`], and `backend::contacts::filters` turns it into the one
//! search query, so "export the current view" exports exactly what the list shows.

use serde::{Deserialize, Serialize};

/// The filters as people and URLs give them (empty = no filter). Dates are `YYYY-MM-DD`
/// days, read as UTC days; `tag` may name several tags, comma-separated (contacts
/// carrying all of them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactFilters {
    /// Free text over name, phone, email and company.
    pub q: String,
    /// Exactly this phone (E.164, or national in the org's country).
    pub phone: String,
    pub tag: String,
    pub opt_in_status: String,
    pub lead_status: String,
    pub source: String,
    pub created_from: String,
    pub created_to: String,
    pub last_message_from: String,
    pub last_message_to: String,
    /// `newest` (default), `oldest`, `name`, `-name`, `score`, `last_message`.
    pub sort: String,
    /// The trash instead of live contacts.
    pub trash: bool,
}

impl ContactFilters {
    /// How many filters other than the search box and the sort order are in use: what
    /// the "Filters (n)" button on a phone counts.
    pub fn active(&self) -> usize {
        let fields = [
            &self.phone,
            &self.tag,
            &self.opt_in_status,
            &self.lead_status,
            &self.source,
            &self.created_from,
            &self.created_to,
            &self.last_message_from,
            &self.last_message_to,
        ];
        fields.iter().filter(|f| !f.trim().is_empty()).count() + usize::from(self.trash)
    }

    /// The filters as a URL query string (without `?`), leaving out empty ones: what
    /// the export link of the current view carries.
    pub fn to_query_string(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("phone", &self.phone),
            ("tag", &self.tag),
            ("opt_in_status", &self.opt_in_status),
            ("lead_status", &self.lead_status),
            ("source", &self.source),
            ("created_from", &self.created_from),
            ("created_to", &self.created_to),
            ("last_message_from", &self.last_message_from),
            ("last_message_to", &self.last_message_to),
            ("sort", &self.sort),
        ];
        let mut q: Vec<String> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        if self.trash {
            q.push("trash=true".into());
        }
        q.join("&")
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ContactFilters;

    #[test]
    fn the_query_string_carries_every_filter_that_is_set_and_only_those() {
        let f = ContactFilters {
            q: "ana lima".into(),
            tag: "vip".into(),
            last_message_from: "2026-11-01".into(),
            last_message_to: "2026-11-30".into(),
            trash: true,
            ..Default::default()
        };
        assert_eq!(f.to_query_string(), "q=ana%20lima&tag=vip&last_message_from=2026-11-01&last_message_to=2026-11-30&trash=true");
        assert_eq!(ContactFilters::default().to_query_string(), "");
    }
}

#[cfg(test)]
mod active_filter_tests {
    use super::ContactFilters;

    #[test]
    fn active_counts_the_filters_in_use_but_not_the_search_or_the_sort() {
        assert_eq!(ContactFilters::default().active(), 0);
        let f =
            ContactFilters { q: "ana".into(), sort: "name".into(), tag: "vip".into(), created_from: "2026-01-01".into(), trash: true, ..Default::default() };
        assert_eq!(f.active(), 3);
    }
}
