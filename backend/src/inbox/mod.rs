//! The team inbox (INBOX-1…7): the conversation list with its tabs, search and paging;
//! assignment (by hand, in bulk, and automatically per number); internal notes; resolve,
//! reopen and mark unread; who handles the chat (a person, a flow or the AI); canned
//! responses; presence. Every change writes a line in the chat where people should see it
//! (a system message), an event for open inboxes, and notifications where due.

pub mod chat;

use crate::auth::Actor;
use crate::clock::new_id;
use crate::error::{Result, ServiceError};
use crate::{events, notifications, Db};
use domain::dto::{CannedResponse, InboxItem, InboxPage};
pub use domain::inbox::fill_canned;
use domain::inbox::{like_pattern, preview, Tab, WindowColour};
use domain::{AppError, ConversationId, ErrorCode, NumberId, OrgId, Role, UserId};
use serde_json::json;
use sqlx::AnyConnection;

/// Most conversations on one page of the list.
pub const MAX_PAGE: i64 = 100;
/// A member counts as online this long after their inbox last checked in.
pub const ONLINE_MS: i64 = 45_000;
/// The longest note.
pub const MAX_NOTE_CHARS: usize = 4096;

/// What the list should show.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub tab: Tab,
    /// Name, phone or message text (case-insensitive, anywhere).
    pub search: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: i64,
    /// Only this conversation (whatever the tab): the chat header reads its row this way.
    pub only: Option<ConversationId>,
}

enum Bind {
    S(String),
    I(i64),
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: String,
    contact_id: String,
    number_id: String,
    status: String,
    handled_by: String,
    unread_count: i64,
    assignee_id: Option<String>,
    window_expires_at: Option<i64>,
    t: i64,
    name: Option<String>,
    profile_name: Option<String>,
    phone: Option<String>,
    username: Option<String>,
    assignee_name: Option<String>,
    last_text: Option<String>,
}

/// A page of the org's conversations, newest activity first. Any member may read it.
pub async fn list(db: &Db, actor: &Actor, q: &ListQuery, now: i64) -> Result<InboxPage> {
    let mut binds = vec![Bind::S(actor.org_id.as_str().to_owned())];
    let mut sql = String::from(
        "SELECT c.id, c.contact_id, c.number_id, c.status, c.handled_by, c.unread_count, c.assignee_id, c.window_expires_at, \
         COALESCE(c.last_message_at, c.created_at) AS t, ct.name, ct.profile_name, ct.phone, ct.username, u.name AS assignee_name, \
         (SELECT COALESCE(m.text, '[' || m.type || ']') FROM messages m WHERE m.conversation_id = c.id AND m.direction IN ('inbound', 'outbound') \
          ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS last_text \
         FROM conversations c JOIN contacts ct ON ct.id = c.contact_id LEFT JOIN users u ON u.id = c.assignee_id WHERE c.org_id = $1",
    );
    if let Some(id) = &q.only {
        binds.push(Bind::S(id.as_str().to_owned()));
        sql.push_str(&format!(" AND c.id = ${}", binds.len()));
    }
    match q.tab {
        _ if q.only.is_some() => {}
        Tab::All => sql.push_str(" AND c.status = 'open'"),
        Tab::Unassigned => sql.push_str(" AND c.status = 'open' AND c.assignee_id IS NULL"),
        Tab::Resolved => sql.push_str(" AND c.status = 'resolved'"),
        Tab::Mine => {
            binds.push(Bind::S(actor.member_id()?.as_str().to_owned()));
            sql.push_str(&format!(" AND c.status = 'open' AND c.assignee_id = ${}", binds.len()));
        }
    }
    if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let search: String = search.chars().take(100).collect();
        binds.push(Bind::S(like_pattern(&search)));
        let n = binds.len();
        sql.push_str(&format!(
            " AND (LOWER(COALESCE(ct.name, '')) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(ct.profile_name, '')) LIKE ${n} ESCAPE '\\' \
             OR COALESCE(ct.phone, '') LIKE ${n} ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM messages s WHERE s.conversation_id = c.id AND LOWER(s.text) LIKE ${n} ESCAPE '\\'))"
        ));
    }
    if let Some((t, id)) = q.cursor.as_deref().and_then(|c| c.split_once(':')).and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.to_owned()))) {
        binds.push(Bind::I(t));
        binds.push(Bind::S(id));
        let n = binds.len();
        sql.push_str(&format!(
            " AND (COALESCE(c.last_message_at, c.created_at) < ${} OR (COALESCE(c.last_message_at, c.created_at) = ${} AND c.id < ${n}))",
            n - 1,
            n - 1
        ));
    }
    let limit = q.limit.clamp(1, MAX_PAGE);
    binds.push(Bind::I(limit + 1));
    sql.push_str(&format!(" ORDER BY t DESC, c.id DESC LIMIT ${}", binds.len()));
    let mut query = sqlx::query_as::<_, ItemRow>(&sql);
    for b in binds {
        query = match b {
            Bind::S(s) => query.bind(s),
            Bind::I(i) => query.bind(i),
        };
    }
    let rows = query.fetch_all(db.reader()).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<InboxItem> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| {
            let phone = r.phone;
            let display_name =
                [r.name, r.profile_name, phone.clone(), r.username].into_iter().flatten().find(|s| !s.trim().is_empty()).unwrap_or_else(|| "Unknown".into());
            let expires = r.window_expires_at;
            InboxItem {
                conversation_id: r.id,
                contact_id: r.contact_id,
                display_name,
                phone,
                preview: preview(&r.last_text.unwrap_or_default()),
                last_message_at: Some(r.t),
                unread_count: r.unread_count,
                assignee_id: r.assignee_id,
                assignee_name: r.assignee_name,
                window: WindowColour::at(expires, now),
                window_expires_at: expires,
                status: r.status,
                handled_by: r.handled_by,
                number_id: r.number_id,
            }
        })
        .collect();
    let next_cursor = if more { items.last().map(|i| format!("{}:{}", i.last_message_at.unwrap_or(0), i.conversation_id)) } else { None };
    Ok(InboxPage { items, next_cursor })
}

#[derive(sqlx::FromRow)]
struct Conv {
    id: String,
    number_id: String,
    status: String,
    assignee_id: Option<String>,
    handled_by: String,
}

async fn conversation_in(conn: &mut AnyConnection, org: &OrgId, id: &ConversationId) -> Result<Conv> {
    Ok(sqlx::query_as::<_, Conv>("SELECT id, number_id, status, assignee_id, handled_by FROM conversations WHERE org_id = $1 AND id = $2")
        .bind(org.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found("Conversation"))?)
}

/// How a line names who acted: the member's name, or the API key or automation.
async fn actor_name(conn: &mut AnyConnection, actor: &Actor) -> Result<String> {
    match &actor.principal {
        crate::auth::Principal::Member(u) => user_name(conn, u.as_str()).await,
        crate::auth::Principal::ApiKey(key) => Ok(format!("API key {key}")),
        crate::auth::Principal::System(automation) => Ok(format!("automation ({automation})")),
    }
}

async fn user_name(conn: &mut AnyConnection, user: &str) -> Result<String> {
    if let Some(key) = user.strip_prefix("api-key:") {
        return Ok(format!("API key {key}"));
    }
    Ok(sqlx::query_scalar::<_, String>("SELECT name FROM users WHERE id = $1").bind(user).fetch_optional(&mut *conn).await?.unwrap_or_else(|| "Someone".into()))
}

/// One conversation's list row (for the chat header), or `NOT_FOUND_001`.
pub async fn item(db: &Db, actor: &Actor, conversation: &ConversationId, now: i64) -> Result<InboxItem> {
    let q = ListQuery { tab: Tab::All, search: None, cursor: None, limit: 1, only: Some(conversation.clone()) };
    list(db, actor, &q, now).await?.items.into_iter().next().ok_or_else(|| AppError::not_found("Conversation").into())
}

/// The members a conversation can be assigned to (agents and above), by name.
pub async fn assignable_members(db: &Db, actor: &Actor) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as::<_, (String, String)>("SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.role IN ('owner', 'admin', 'manager', 'agent') ORDER BY u.name, u.id")
        .bind(actor.org_id.as_str())
        .fetch_all(db.reader())
        .await?)
}

/// Writes a line in the chat that never goes to WhatsApp: `system` (assigned, resolved…)
/// or `note` (an agent's internal note), and its event.
async fn internal_line_in(conn: &mut AnyConnection, org: &OrgId, c: &Conv, direction: &str, text: &str, author: Option<&str>, now: i64) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO messages (id, org_id, conversation_id, number_id, direction, type, text, content, status, author_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, '{}', 'internal', $7, $8)",
    )
    .bind(&id)
    .bind(org.as_str())
    .bind(&c.id)
    .bind(&c.number_id)
    .bind(direction)
    .bind(text)
    .bind(author.map(str::to_owned))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let event = json!({"message_id": id, "conversation_id": c.id, "direction": direction, "type": direction, "text": text, "author_id": author});
    events::publish_in(conn, org, "message", Some(&c.id), None, &event, now).await?;
    Ok(id)
}

async fn conversation_changed_in(conn: &mut AnyConnection, org: &OrgId, c: &str, change: serde_json::Value, now: i64) -> Result<()> {
    let mut payload = json!({"conversation_id": c});
    if let (Some(p), Some(ch)) = (payload.as_object_mut(), change.as_object()) {
        p.extend(ch.clone());
    }
    events::publish_in(conn, org, "conversation", Some(c), None, &payload, now).await
}

/// Whether `user` may be given conversations in `org`: a member above viewer.
async fn assignable(conn: &mut AnyConnection, org: &OrgId, user: &str) -> Result<bool> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2").bind(org.as_str()).bind(user).fetch_optional(&mut *conn).await?;
    Ok(role.and_then(|r| Role::parse(&r)).is_some_and(|r| r.at_least(Role::Agent)))
}

async fn set_assignee_in(conn: &mut AnyConnection, org: &OrgId, c: &Conv, assignee: Option<&str>, by: Option<&str>, now: i64) -> Result<bool> {
    if c.assignee_id.as_deref() == assignee {
        return Ok(false);
    }
    sqlx::query("UPDATE conversations SET assignee_id = $1, updated_at = $2 WHERE id = $3")
        .bind(assignee.map(str::to_owned))
        .bind(now)
        .bind(&c.id)
        .execute(&mut *conn)
        .await?;
    let by_name = match by {
        Some(b) => Some(user_name(conn, b).await?),
        None => None,
    };
    let line = match (assignee, &by_name) {
        (Some(a), Some(name)) if Some(a) == by => format!("{name} took the conversation"),
        (Some(a), Some(name)) => format!("Assigned to {} by {name}", user_name(conn, a).await?),
        (Some(a), None) => format!("Assigned to {} automatically", user_name(conn, a).await?),
        (None, Some(name)) => format!("Unassigned by {name}"),
        (None, None) => "Unassigned".into(),
    };
    internal_line_in(conn, org, c, "system", &line, by, now).await?;
    conversation_changed_in(conn, org, &c.id, json!({"assignee_id": assignee}), now).await?;
    if let Some(a) = assignee.filter(|a| Some(*a) != by) {
        let who = by_name.clone().unwrap_or_else(|| "Auto-assignment".into());
        notifications::notify_in(
            conn,
            org,
            a,
            "assigned",
            "A conversation was assigned to you",
            &format!("{who} assigned you a conversation."),
            Some(&format!("/inbox/{}", c.id)),
        )
        .await?;
    }
    Ok(true)
}

/// Assigns conversations (one, or many from the list) to a member, or unassigns them
/// (`None`). Agents and above; the assignee must be an agent or above in the org. Each
/// change leaves a system line and notifies the assignee.
pub async fn assign(db: &Db, actor: &Actor, conversations: &[ConversationId], assignee: Option<&UserId>, now: i64) -> Result<usize> {
    actor.require(Role::Agent)?;
    if conversations.len() > MAX_PAGE as usize {
        return Err(AppError::validation(format!("Assign at most {MAX_PAGE} conversations at once.")).into());
    }
    let mut tx = db.pool().begin().await?;
    if let Some(a) = assignee {
        if !assignable(&mut tx, &actor.org_id, a.as_str()).await? {
            return Err(AppError::validation("Conversations can be assigned to agents, managers, admins and owners of this organisation only.").into());
        }
    }
    let mut changed = 0;
    for id in conversations {
        let c = conversation_in(&mut tx, &actor.org_id, id).await?;
        if set_assignee_in(&mut tx, &actor.org_id, &c, assignee.map(UserId::as_str), actor.user_id().map(UserId::as_str), now).await? {
            changed += 1;
        }
    }
    tx.commit().await?;
    Ok(changed)
}

/// Adds an internal note (never sent to WhatsApp). Agents and above.
pub async fn add_note(db: &Db, actor: &Actor, conversation: &ConversationId, text: &str, now: i64) -> Result<String> {
    actor.require(Role::Agent)?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::validation(format!("A note must be 1 to {MAX_NOTE_CHARS} characters.")).into());
    }
    let mut tx = db.pool().begin().await?;
    let c = conversation_in(&mut tx, &actor.org_id, conversation).await?;
    let id = internal_line_in(&mut tx, &actor.org_id, &c, "note", text, actor.user_id().map(UserId::as_str), now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Resolves (`true`) or reopens a conversation. Agents and above.
pub async fn set_resolved(db: &Db, actor: &Actor, conversation: &ConversationId, resolved: bool, now: i64) -> Result<()> {
    actor.require(Role::Agent)?;
    let mut tx = db.pool().begin().await?;
    let c = conversation_in(&mut tx, &actor.org_id, conversation).await?;
    let (status, verb) = if resolved { ("resolved", "Resolved") } else { ("open", "Reopened") };
    if c.status != status {
        sqlx::query("UPDATE conversations SET status = $1, resolved_at = $2, updated_at = $3 WHERE id = $4")
            .bind(status)
            .bind(resolved.then_some(now))
            .bind(now)
            .bind(&c.id)
            .execute(&mut *tx)
            .await?;
        let by = actor_name(&mut tx, actor).await?;
        internal_line_in(&mut tx, &actor.org_id, &c, "system", &format!("{verb} by {by}"), actor.user_id().map(UserId::as_str), now).await?;
        conversation_changed_in(&mut tx, &actor.org_id, &c.id, json!({"status": status}), now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Marks a conversation unread again (at least one unread message). Agents and above.
pub async fn mark_unread(db: &Db, actor: &Actor, conversation: &ConversationId, now: i64) -> Result<()> {
    actor.require(Role::Agent)?;
    let mut tx = db.pool().begin().await?;
    let c = conversation_in(&mut tx, &actor.org_id, conversation).await?;
    sqlx::query("UPDATE conversations SET unread_count = CASE WHEN unread_count = 0 THEN 1 ELSE unread_count END, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&c.id)
        .execute(&mut *tx)
        .await?;
    conversation_changed_in(&mut tx, &actor.org_id, &c.id, json!({"unread": true}), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Who answers the chat: `human` ("Take over") or `flow` / `ai` ("Return to bot").
pub async fn set_handler(db: &Db, actor: &Actor, conversation: &ConversationId, handled_by: &str, now: i64) -> Result<()> {
    actor.require(Role::Agent)?;
    if !matches!(handled_by, "human" | "flow" | "ai") {
        return Err(AppError::validation("handled_by must be human, flow or ai.").into());
    }
    let mut tx = db.pool().begin().await?;
    let c = conversation_in(&mut tx, &actor.org_id, conversation).await?;
    if c.handled_by != handled_by {
        sqlx::query("UPDATE conversations SET handled_by = $1, updated_at = $2 WHERE id = $3").bind(handled_by).bind(now).bind(&c.id).execute(&mut *tx).await?;
        let by = actor_name(&mut tx, actor).await?;
        let line = if handled_by == "human" { format!("{by} took over from the bot") } else { format!("{by} returned the chat to the bot") };
        internal_line_in(&mut tx, &actor.org_id, &c, "system", &line, actor.user_id().map(UserId::as_str), now).await?;
        conversation_changed_in(&mut tx, &actor.org_id, &c.id, json!({"handled_by": handled_by}), now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records that a member's inbox is open (called while their event stream is live).
pub async fn touch_presence(db: &Db, org: &OrgId, user: &UserId, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO member_presence (org_id, user_id, last_seen_at) VALUES ($1, $2, $3) ON CONFLICT (org_id, user_id) DO UPDATE SET last_seen_at = $3",
    )
    .bind(org.as_str())
    .bind(user.as_str())
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Sets how a number's new conversations are assigned: `off`, `round_robin` or
/// `least_busy` (among agents who are online). Admins.
pub async fn set_auto_assign(db: &Db, actor: &Actor, number: &NumberId, mode: &str) -> Result<()> {
    actor.require(Role::Admin)?;
    if !matches!(mode, "off" | "round_robin" | "least_busy") {
        return Err(AppError::validation("Auto-assignment must be off, round_robin or least_busy.").into());
    }
    let done = sqlx::query("UPDATE wa_numbers SET auto_assign = $1 WHERE org_id = $2 AND id = $3")
        .bind(mode)
        .bind(actor.org_id.as_str())
        .bind(number.as_str())
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found("Number").into());
    }
    Ok(())
}

/// Routes a conversation that just started (or came back after being resolved) and has no
/// assignee: by the number's auto-assignment, else it stays unassigned and the org's
/// agents hear of it. Runs inside the transaction that stored the inbound message.
pub async fn route_new_in(conn: &mut AnyConnection, org: &OrgId, number: &NumberId, conversation: &str, now: i64) -> Result<()> {
    let mode: String = sqlx::query_scalar("SELECT auto_assign FROM wa_numbers WHERE id = $1").bind(number.as_str()).fetch_one(&mut *conn).await?;
    let c = conversation_in(conn, org, &ConversationId::from_string(conversation.to_owned())).await?;
    if c.assignee_id.is_some() {
        return Ok(());
    }
    let online: Vec<(String, i64)> = sqlx::query_as(
        "SELECT p.user_id, (SELECT COUNT(*) FROM conversations o WHERE o.org_id = p.org_id AND o.assignee_id = p.user_id AND o.status = 'open') AS busy \
         FROM member_presence p JOIN memberships m ON m.org_id = p.org_id AND m.user_id = p.user_id \
         WHERE p.org_id = $1 AND p.last_seen_at > $2 AND m.role IN ('owner', 'admin', 'manager', 'agent') ORDER BY p.user_id",
    )
    .bind(org.as_str())
    .bind(now - ONLINE_MS)
    .fetch_all(&mut *conn)
    .await?;
    let pick = match mode.as_str() {
        "round_robin" => {
            let last: Option<String> =
                sqlx::query_scalar("SELECT last_auto_assignee FROM wa_numbers WHERE id = $1").bind(number.as_str()).fetch_one(&mut *conn).await?;
            online.iter().map(|(u, _)| u.clone()).find(|u| last.as_ref().is_none_or(|l| u > l)).or_else(|| online.first().map(|(u, _)| u.clone()))
        }
        // Fewest open conversations; ties go to the first by id (stable).
        "least_busy" => online.iter().min_by_key(|(_, busy)| *busy).map(|(u, _)| u.clone()),
        _ => None,
    };
    match pick {
        Some(user) => {
            sqlx::query("UPDATE wa_numbers SET last_auto_assignee = $1 WHERE id = $2").bind(&user).bind(number.as_str()).execute(&mut *conn).await?;
            set_assignee_in(conn, org, &c, Some(&user), None, now).await?;
        }
        None => {
            notifications::notify_roles_in(
                conn,
                org,
                &["owner", "admin", "manager", "agent"],
                None,
                "new_unassigned",
                "New unassigned conversation",
                "A customer is waiting for an answer.",
                Some(&format!("/inbox/{}", c.id)),
            )
            .await?;
        }
    }
    Ok(())
}

/// The org's canned responses, by shortcut. Any member.
pub async fn canned_list(db: &Db, actor: &Actor) -> Result<Vec<CannedResponse>> {
    let rows =
        sqlx::query_as::<_, (String, String, String, String)>("SELECT id, title, shortcut, content FROM canned_responses WHERE org_id = $1 ORDER BY shortcut")
            .bind(actor.org_id.as_str())
            .fetch_all(db.reader())
            .await?;
    Ok(rows.into_iter().map(|(id, title, shortcut, content)| CannedResponse { id, title, shortcut, content }).collect())
}

fn canned_fields(title: &str, shortcut: &str, content: &str) -> Result<(String, String, String)> {
    let title = title.trim();
    let shortcut = shortcut.trim().trim_start_matches('/').to_lowercase();
    let content = content.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(AppError::validation("The title must be 1 to 100 characters.").into());
    }
    if shortcut.is_empty() || shortcut.len() > 32 || !shortcut.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(AppError::validation("The shortcut must be 1 to 32 letters, digits, - or _ (typed after /).").into());
    }
    if content.is_empty() || content.chars().count() > 4096 {
        return Err(AppError::validation("The content must be 1 to 4096 characters.").into());
    }
    Ok((title.to_owned(), shortcut, content.to_owned()))
}

/// Saves a canned response: a new one (`id` `None`) or an edit. Managers and above; a
/// shortcut already used in the org is `CONFLICT_001`.
pub async fn canned_save(db: &Db, actor: &Actor, id: Option<&str>, title: &str, shortcut: &str, content: &str) -> Result<CannedResponse> {
    actor.require(Role::Manager)?;
    let (title, shortcut, content) = canned_fields(title, shortcut, content)?;
    let now = crate::clock::now_ms();
    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM canned_responses WHERE org_id = $1 AND shortcut = $2")
        .bind(actor.org_id.as_str())
        .bind(&shortcut)
        .fetch_optional(db.pool())
        .await?;
    if taken.is_some_and(|t| Some(t.as_str()) != id) {
        return Err(ServiceError::app(ErrorCode::Conflict, format!("The shortcut /{shortcut} is already used.")));
    }
    let id = match id {
        Some(id) => {
            let done = sqlx::query("UPDATE canned_responses SET title = $1, shortcut = $2, content = $3, updated_at = $4 WHERE org_id = $5 AND id = $6")
                .bind(&title)
                .bind(&shortcut)
                .bind(&content)
                .bind(now)
                .bind(actor.org_id.as_str())
                .bind(id)
                .execute(db.pool())
                .await?;
            if done.rows_affected() == 0 {
                return Err(AppError::not_found("Canned response").into());
            }
            id.to_owned()
        }
        None => {
            let id = new_id();
            sqlx::query("INSERT INTO canned_responses (id, org_id, title, shortcut, content, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)")
                .bind(&id)
                .bind(actor.org_id.as_str())
                .bind(&title)
                .bind(&shortcut)
                .bind(&content)
                .bind(now)
                .execute(db.pool())
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(d) if d.is_unique_violation() => {
                        ServiceError::app(ErrorCode::Conflict, format!("The shortcut /{shortcut} is already used."))
                    }
                    e => e.into(),
                })?;
            id
        }
    };
    Ok(CannedResponse { id, title, shortcut, content })
}

/// Deletes a canned response. Managers and above.
pub async fn canned_delete(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    actor.require(Role::Manager)?;
    let done = sqlx::query("DELETE FROM canned_responses WHERE org_id = $1 AND id = $2").bind(actor.org_id.as_str()).bind(id).execute(db.pool()).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found("Canned response").into());
    }
    Ok(())
}
