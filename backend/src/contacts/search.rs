//! Reading contacts (CRM-2): one contact, or a filtered, sorted page with the total.
//! Text search looks in name, WhatsApp name, phone, email and company through a trigram
//! index (FTS5 on SQLite, pg_trgm on PostgreSQL), so it stays fast at 1M contacts.

use super::model::{contact_not_found, BATCH};
use crate::db::placeholders;
use crate::db::rows::Json;
use crate::error::Result;
use crate::{Db, DbKind};
use domain::dto::{ContactPage, ContactView, TagView};
use domain::inbox::like_pattern;
use domain::{AppError, ContactId, OrgId};
use serde_json::{Map, Value};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// How a page of contacts is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    NameAsc,
    NameDesc,
    ScoreDesc,
    ScoreAsc,
    LastMessage,
}

impl Sort {
    /// Parses `newest`, `oldest`, `name`, `-name`, `score` (highest first), `-score`,
    /// `last_message`.
    pub fn parse(s: &str) -> std::result::Result<Sort, AppError> {
        Ok(match s.trim() {
            "" | "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            "name" => Sort::NameAsc,
            "-name" => Sort::NameDesc,
            "score" => Sort::ScoreDesc,
            "-score" => Sort::ScoreAsc,
            "last_message" => Sort::LastMessage,
            other => {
                return Err(AppError::validation(format!(
                    "Sort must be newest, oldest, name, -name, score, -score or last_message (not \u{201c}{other}\u{201d})."
                )))
            }
        })
    }

    fn order_by(self) -> &'static str {
        match self {
            Sort::Newest => "c.created_at DESC, c.id DESC",
            Sort::Oldest => "c.created_at ASC, c.id ASC",
            Sort::NameAsc => "LOWER(COALESCE(c.name, c.profile_name, c.phone, '')) ASC, c.id",
            Sort::NameDesc => "LOWER(COALESCE(c.name, c.profile_name, c.phone, '')) DESC, c.id",
            Sort::ScoreDesc => "c.score DESC, c.created_at DESC, c.id",
            Sort::ScoreAsc => "c.score ASC, c.created_at DESC, c.id",
            Sort::LastMessage => "last_message_at DESC, c.created_at DESC, c.id",
        }
    }

    /// The order of the whole (unfiltered, untrashed) list, spelled so that PostgreSQL
    /// walks the `(org_id, deleted_at, created_at)` index for it. `deleted_at IS NULL`
    /// is not an equality its planner orders by, so "created_at DESC" alone made it sort
    /// a 1M-contact org for a page of 25 (150 ms instead of 0.1 ms). Only for the
    /// unfiltered list: with a filter, walking the index and testing each row can be far
    /// slower than finding the matches first, and the planner does not always know.
    fn order_by_unfiltered(self) -> &'static str {
        match self {
            Sort::Newest => "c.deleted_at DESC, c.created_at DESC, c.id DESC",
            Sort::Oldest => "c.deleted_at ASC, c.created_at ASC, c.id ASC",
            other => other.order_by(),
        }
    }
}

/// Filters for a contact list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactQuery {
    /// Free text: name, phone, email or company contains it.
    pub q: Option<String>,
    /// Exactly this E.164 phone.
    pub phone: Option<String>,
    /// Carries every one of these tags (by name, any case).
    pub tags: Vec<String>,
    pub opt_in_status: Option<String>,
    pub source: Option<String>,
    pub lead_status: Option<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub last_message_from: Option<i64>,
    pub last_message_to: Option<i64>,
    /// The trash instead of live contacts.
    pub trash: bool,
    pub sort: Sort,
    /// 1-based.
    pub page: i64,
    /// 1 to 100 (the UI offers 25, 50 and 100).
    pub per_page: i64,
}

/// The most contacts a page holds.
pub const MAX_PER_PAGE: i64 = 100;
/// The last page number a list accepts: far past any real list (10 million contacts at
/// 100 a page), and small enough that its offset can never overflow.
pub const MAX_PAGE: i64 = 100_000;

enum Bind {
    S(String),
    I(i64),
}

const COLUMNS: &str =
    "c.id, c.phone, c.wa_id, c.name, c.profile_name, c.email, c.company, c.source, c.lead_status, c.lifecycle_stage, c.score, c.opt_in_status, \
     c.birthday, c.custom_fields, c.created_at, c.updated_at, c.deleted_at, \
     (SELECT MAX(v.last_message_at) FROM conversations v WHERE v.contact_id = c.id) AS last_message_at";

/// A contact as [`COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
struct ContactRow {
    id: ContactId,
    phone: Option<String>,
    wa_id: Option<String>,
    name: Option<String>,
    profile_name: Option<String>,
    email: Option<String>,
    company: Option<String>,
    source: String,
    lead_status: String,
    lifecycle_stage: String,
    score: i64,
    opt_in_status: String,
    birthday: Option<String>,
    custom_fields: Json<Map<String, Value>>,
    created_at: i64,
    updated_at: i64,
    deleted_at: Option<i64>,
    last_message_at: Option<i64>,
}

/// A row of a text search: the contact and how many match in all.
#[derive(sqlx::FromRow)]
struct CountedRow {
    #[sqlx(flatten)]
    contact: ContactRow,
    total_count: i64,
}

fn view(r: ContactRow) -> ContactView {
    ContactView {
        id: r.id,
        phone: r.phone,
        wa_id: r.wa_id,
        name: r.name,
        profile_name: r.profile_name,
        email: r.email,
        company: r.company,
        source: r.source,
        lead_status: r.lead_status,
        lifecycle_stage: r.lifecycle_stage,
        score: r.score,
        opt_in_status: r.opt_in_status,
        birthday: r.birthday,
        custom_fields: r.custom_fields.0,
        tags: Vec::new(),
        last_message_at: r.last_message_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
        deleted_at: r.deleted_at,
    }
}

/// The text a search looks for: digits only when it reads as a phone number (so
/// "+55 11 9999" finds "+55119999…"), else the lower-cased text.
fn search_text(q: &str) -> String {
    let t = q.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 3 && t.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        digits
    } else {
        t.to_lowercase()
    }
}

/// The ids of the org's tags a query filters by, or `None` when one of them does not
/// exist (then nothing matches). Filtering by the id rather than joining `tags` by name
/// lets PostgreSQL see how common the tag is: a tag on 100 of 1M contacts was found by
/// scanning them all (400 ms) when the planner could only guess through the join.
async fn tag_ids(db: &Db, org: &OrgId, query: &ContactQuery) -> Result<Option<Vec<String>>> {
    let mut ids = Vec::new();
    for tag in query.tags.iter().filter(|t| !t.trim().is_empty()) {
        match super::tags::id_by_name(db, org, tag).await? {
            Some(id) => ids.push(id),
            None => return Ok(None),
        }
    }
    Ok(Some(ids))
}

/// How a tag filter is written. SQLite's statistics cannot tell a rare tag from a common
/// one, so the caller chooses: reading the tag's contacts first is fast when there are
/// few of them (and for counting), testing each contact in list order is fast for a first
/// page when many have it. PostgreSQL plans both forms alike.
#[derive(Clone, Copy, PartialEq)]
enum TagFilter {
    /// `c.id IN (the tag's contacts)`.
    FromTag,
    /// `EXISTS (the tag on this contact)`.
    PerContact,
}

/// Above this many matches a first page is read in list order, testing tags per contact.
const FEW_MATCHES: i64 = 10_000;

/// The WHERE clause of a query and its values (`$1` is the org); `tag_ids` are the ids
/// of the query's tags (see [`tag_ids`]).
fn filter(db: &Db, org: &OrgId, query: &ContactQuery, tag_ids: &[String], tags_as: TagFilter) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::S(org.as_str().to_owned())];
    let mut wh = vec!["c.org_id = $1".to_owned(), if query.trash { "c.deleted_at IS NOT NULL".into() } else { "c.deleted_at IS NULL".into() }];
    let next = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        binds.len()
    };
    if let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let text = search_text(q);
        if db.kind() == DbKind::Sqlite && text.chars().count() >= 3 {
            // The FTS5 trigram index: a quoted phrase matches any substring of 3+ chars.
            let n = next(Bind::S(format!("\"{}\"", text.replace('"', "\"\""))), &mut binds);
            wh.push(format!("c.rowid IN (SELECT rowid FROM contacts_search WHERE contacts_search MATCH ${n})"));
        } else {
            let n = next(Bind::S(like_pattern(&text)), &mut binds);
            wh.push(format!("c.search_text LIKE ${n} ESCAPE '\\'"));
        }
    }
    if let Some(p) = query.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        let n = next(Bind::S(p.trim().to_owned()), &mut binds);
        wh.push(format!("c.phone = ${n}"));
    }
    for id in tag_ids {
        let n = next(Bind::S(id.clone()), &mut binds);
        wh.push(match tags_as {
            TagFilter::FromTag => format!("c.id IN (SELECT ct.contact_id FROM contact_tags ct WHERE ct.tag_id = ${n})"),
            TagFilter::PerContact => format!("EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = c.id AND ct.tag_id = ${n})"),
        });
    }
    for (col, v) in [("opt_in_status", &query.opt_in_status), ("source", &query.source), ("lead_status", &query.lead_status)] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            let n = next(Bind::S(v.trim().to_owned()), &mut binds);
            wh.push(format!("c.{col} = ${n}"));
        }
    }
    if let Some(v) = query.created_from {
        let n = next(Bind::I(v), &mut binds);
        wh.push(format!("c.created_at >= ${n}"));
    }
    if let Some(v) = query.created_to {
        let n = next(Bind::I(v), &mut binds);
        wh.push(format!("c.created_at < ${n}"));
    }
    if query.last_message_from.is_some() || query.last_message_to.is_some() {
        let mut cond = vec!["v.contact_id = c.id".to_owned()];
        if let Some(v) = query.last_message_from {
            let n = next(Bind::I(v), &mut binds);
            cond.push(format!("v.last_message_at >= ${n}"));
        }
        if let Some(v) = query.last_message_to {
            let n = next(Bind::I(v), &mut binds);
            cond.push(format!("v.last_message_at < ${n}"));
        }
        wh.push(format!("EXISTS (SELECT 1 FROM conversations v WHERE {})", cond.join(" AND ")));
    }
    (wh.join(" AND "), binds)
}

/// Binds the values of [`filter`] to a query (`query_as` or `query_scalar`).
macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::S(s) => q.bind(s.clone()),
                Bind::I(i) => q.bind(*i),
            };
        }
        q
    }};
}

/// A page of the org's contacts matching `query`, with the total that match.
pub async fn list(db: &Db, actor: &crate::auth::Actor, query: &ContactQuery) -> Result<ContactPage> {
    let org = &actor.org_id;
    let per_page = query.per_page.clamp(1, MAX_PER_PAGE);
    let page = query.page.clamp(1, MAX_PAGE);
    let Some(tags) = tag_ids(db, org, query).await? else {
        return Ok(ContactPage { data: Vec::new(), total: 0 });
    };
    let (where_sql, binds) = filter(db, org, query, &tags, TagFilter::FromTag);
    // Planned with the actual values each time: PostgreSQL would otherwise keep a generic
    // plan that cannot use the trigram index for a LIKE pattern it does not know.
    let (l, o) = (binds.len() + 1, binds.len() + 2);
    let count_sql = format!("SELECT COUNT(*) AS n FROM contacts c WHERE {where_sql}");
    let searching = query.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let (rows, total) = if searching {
        // A text search: the page and, with each row, how many match in all, in one pass
        // (a separate COUNT would look every match up in the index a second time).
        let sql = format!(
            "SELECT {COLUMNS}, COUNT(*) OVER () AS total_count FROM contacts c WHERE {where_sql} ORDER BY {} LIMIT ${l} OFFSET ${o}",
            query.sort.order_by()
        );
        let rows = bind_all!(sqlx::query_as::<_, CountedRow>(&sql).persistent(false), &binds)
            .bind(per_page)
            .bind((page - 1) * per_page)
            .fetch_all(db.reader())
            .await?;
        let total: i64 = match rows.first() {
            Some(r) => r.total_count,
            None => bind_all!(sqlx::query_scalar::<_, i64>(&count_sql).persistent(false), &binds).fetch_one(db.reader()).await?,
        };
        (rows.into_iter().map(|r| r.contact).collect::<Vec<_>>(), total)
    } else {
        // No search: the page comes from the (org, created) index and the count from a
        // scan of it; numbering every row of a large org for a window would be slower.
        let total: i64 = bind_all!(sqlx::query_scalar::<_, i64>(&count_sql).persistent(false), &binds).fetch_one(db.reader()).await?;
        // Only the org is bound: no filter narrows the list.
        let unfiltered = binds.len() == 1 && !query.trash;
        let order = if unfiltered { query.sort.order_by_unfiltered() } else { query.sort.order_by() };
        let where_sql = if total > FEW_MATCHES && !tags.is_empty() { filter(db, org, query, &tags, TagFilter::PerContact).0 } else { where_sql };
        let sql = format!("SELECT {COLUMNS} FROM contacts c WHERE {where_sql} ORDER BY {order} LIMIT ${l} OFFSET ${o}");
        let rows = bind_all!(sqlx::query_as::<_, ContactRow>(&sql).persistent(false), &binds)
            .bind(per_page)
            .bind((page - 1) * per_page)
            .fetch_all(db.reader())
            .await?;
        (rows, total)
    };
    let mut data: Vec<ContactView> = rows.into_iter().map(view).collect();
    let mut conn = db.reader().acquire().await?;
    attach_tags(&mut conn, &mut data).await?;
    Ok(ContactPage { data, total })
}

/// The ids of every contact matching `query` (no paging), in its order: an export reads
/// them first and then the contacts a batch at a time, so it never holds every row.
pub async fn ids(db: &Db, org: &OrgId, query: &ContactQuery) -> Result<Vec<String>> {
    use futures_util::TryStreamExt;
    let Some(tags) = tag_ids(db, org, query).await? else {
        return Ok(Vec::new());
    };
    let (where_sql, binds) = filter(db, org, query, &tags, TagFilter::FromTag);
    // The last-message sort orders by a column of COLUMNS, so the list is read whole and
    // only the ids are kept, row by row.
    let sql = format!("SELECT {COLUMNS} FROM contacts c WHERE {where_sql} ORDER BY {}", query.sort.order_by());
    let mut rows = bind_all!(sqlx::query_as::<_, ContactRow>(&sql).persistent(false), &binds).fetch(db.reader());
    let mut out = Vec::new();
    while let Some(r) = rows.try_next().await? {
        out.push(r.id.as_str().to_owned());
    }
    Ok(out)
}

/// The org's contacts with these ids, with tags, in the order of `ids` (ids of other orgs
/// or gone since are left out). At most [`BATCH`] at a time.
pub async fn by_ids(db: &Db, org: &OrgId, ids: &[String]) -> Result<Vec<ContactView>> {
    assert!(ids.len() <= BATCH, "by_ids takes at most {BATCH} ids");
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT {COLUMNS} FROM contacts c WHERE c.org_id = $1 AND c.id IN ({})", placeholders(2, ids.len()));
    let mut q = sqlx::query_as::<_, ContactRow>(&sql).bind(org.as_str());
    for id in ids {
        q = q.bind(id.as_str());
    }
    let mut conn = db.reader().acquire().await?;
    let mut found: HashMap<String, ContactView> = q.fetch_all(&mut *conn).await?.into_iter().map(view).map(|c| (c.id.as_str().to_owned(), c)).collect();
    let mut data: Vec<ContactView> = ids.iter().filter_map(|id| found.remove(id)).collect();
    attach_tags(&mut conn, &mut data).await?;
    Ok(data)
}

/// Every contact matching `query` (no paging), in its order, with tags.
pub async fn all(db: &Db, org: &OrgId, query: &ContactQuery) -> Result<Vec<ContactView>> {
    let Some(tags) = tag_ids(db, org, query).await? else {
        return Ok(Vec::new());
    };
    let (where_sql, binds) = filter(db, org, query, &tags, TagFilter::FromTag);
    let sql = format!("SELECT {COLUMNS} FROM contacts c WHERE {where_sql} ORDER BY {}", query.sort.order_by());
    let rows = bind_all!(sqlx::query_as::<_, ContactRow>(&sql).persistent(false), &binds).fetch_all(db.reader()).await?;
    let mut data: Vec<ContactView> = rows.into_iter().map(view).collect();
    let mut conn = db.reader().acquire().await?;
    for chunk in data.chunks_mut(BATCH) {
        attach_tags(&mut conn, chunk).await?;
    }
    Ok(data)
}

#[derive(sqlx::FromRow)]
struct ContactTagRow {
    contact_id: String,
    id: String,
    name: String,
    colour: String,
}

/// Fills in the tags of the contacts (one query).
async fn attach_tags(conn: &mut AnyConnection, contacts: &mut [ContactView]) -> Result<()> {
    if contacts.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT ct.contact_id, t.id, t.name, t.colour FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id IN ({}) ORDER BY t.name_key",
        placeholders(1, contacts.len())
    );
    let mut q = sqlx::query_as::<_, ContactTagRow>(&sql);
    for c in contacts.iter() {
        q = q.bind(c.id.as_str().to_owned());
    }
    let mut by_contact: HashMap<String, Vec<TagView>> = HashMap::new();
    for r in q.fetch_all(&mut *conn).await? {
        by_contact.entry(r.contact_id).or_default().push(TagView { id: r.id, name: r.name, colour: r.colour, contacts: 0 });
    }
    for c in contacts.iter_mut() {
        c.tags = by_contact.remove(c.id.as_str()).unwrap_or_default();
    }
    Ok(())
}

/// One contact of the org (live or in the trash); `CONTACT_001` otherwise.
pub async fn get(db: &Db, actor: &crate::auth::Actor, id: &ContactId) -> Result<ContactView> {
    get_for_org(db, &actor.org_id, id).await
}

/// [`get`] for an org already checked (the contact a change just wrote).
pub(crate) async fn get_for_org(db: &Db, org: &OrgId, id: &ContactId) -> Result<ContactView> {
    let mut conn = db.reader().acquire().await?;
    get_in(&mut conn, org, id).await
}

/// [`get`] inside a transaction.
pub async fn get_in(conn: &mut AnyConnection, org: &OrgId, id: &ContactId) -> Result<ContactView> {
    let row = sqlx::query_as::<_, ContactRow>(&format!("SELECT {COLUMNS} FROM contacts c WHERE c.org_id = $1 AND c.id = $2"))
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(contact_not_found)?;
    let mut v = [view(row)];
    attach_tags(conn, &mut v).await?;
    let [v] = v;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_that_reads_as_a_phone_number_searches_its_digits() {
        assert_eq!(search_text("+55 (11) 9999"), "55119999");
        assert_eq!(search_text("Ana Lima"), "ana lima");
        assert_eq!(search_text("12"), "12");
        assert_eq!(search_text("a1b2c3"), "a1b2c3");
    }

    #[test]
    fn sorts_parse_from_their_names_and_refuse_others() {
        assert_eq!(Sort::parse("").unwrap(), Sort::Newest);
        assert_eq!(Sort::parse("-name").unwrap(), Sort::NameDesc);
        assert_eq!(Sort::parse("-score").unwrap(), Sort::ScoreAsc);
        assert!(Sort::parse("random").is_err());
    }
}
