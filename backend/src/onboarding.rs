//! A new org's getting-started checklist (issue 13): each step is ticked from what the
//! org really has, never from a flag someone sets, so it can never claim a step that
//! was undone or miss one done another way (the API, an import, the sandbox).

use crate::auth::Actor;
use crate::error::Result;
use crate::Db;
use domain::dto::ChecklistStep;

/// Whether `sql` (one `$1` for the org) finds any row.
async fn any(db: &Db, sql: &str, org: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM ({sql} LIMIT 1) AS found")).bind(org).fetch_one(db.reader()).await?;
    Ok(n > 0)
}

/// The checklist for the actor's org, in the order a new team goes through it. Any
/// member may read it.
pub async fn checklist(db: &Db, actor: &Actor) -> Result<Vec<ChecklistStep>> {
    let org = actor.org_id.as_str();
    let number = any(db, "SELECT id FROM wa_numbers WHERE org_id = $1 AND is_sandbox = 0", org).await?
        || any(db, "SELECT s.id FROM sandbox_messages s JOIN wa_numbers n ON n.id = s.number_id WHERE n.org_id = $1", org).await?;
    let contacts = any(db, "SELECT id FROM contacts WHERE org_id = $1 AND deleted_at IS NULL", org).await?;
    let teammate = any(db, "SELECT id FROM invitations WHERE org_id = $1 AND revoked_at IS NULL", org).await?
        || any(db, "SELECT org_id FROM memberships WHERE org_id = $1 GROUP BY org_id HAVING COUNT(*) > 1", org).await?;
    let chat = any(db, "SELECT id FROM messages WHERE org_id = $1 AND direction = 'outbound' AND author_id IS NOT NULL", org).await?;
    let step = |key: &str, label: &str, done: bool, href: &str, action: &str| ChecklistStep {
        key: key.into(),
        label: label.into(),
        done,
        href: href.into(),
        action: action.into(),
    };
    Ok(vec![
        step("number", "Connect your WhatsApp number, or try the sandbox number first", number, "/sandbox", "Open the sandbox"),
        step("contacts", "Import your contacts or add one", contacts, "/contacts", "Go to contacts"),
        step("teammate", "Invite a teammate", teammate, "/settings/members", "Invite"),
        step("chat", "Answer a chat in the inbox", chat, "/inbox", "Open the inbox"),
    ])
}
