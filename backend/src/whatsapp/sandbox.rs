//! The sandbox channel (CHAN-3): a simulated business number per org and the state of the
//! built-in Graph API simulator. The simulator speaks Meta's wire format; MCE talks to it
//! through the same `GraphClient` and receives its webhooks through the same signed
//! `/webhooks/whatsapp` endpoint as a real number. This module holds the simulator's
//! decisions (accept or refuse a send, which statuses to emit in which order) and the
//! exact JSON it sends; the HTTP side lives in the server.

use crate::auth::Actor;
use crate::clock::{new_id, now_ms};
use crate::db::rows::{Flag, Json};
use crate::error::Result;
use crate::secrets::Cipher;
use crate::Db;
use domain::dto::{SandboxPhone, WaNumber};
use domain::{NumberId, OrgId};
use rand::Rng;
use serde_json::{json, Value};

/// Meta codes the simulator can be told to answer every send with.
pub const INJECTABLE_CODES: [i64; 4] = [130429, 131047, 131026, 190];

/// How the simulator should misbehave for one sandbox number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Behaviour {
    /// Answer every send with this Meta error code.
    pub fail_code: Option<i64>,
    /// Deliver every status webhook twice.
    pub duplicate_webhooks: bool,
    /// Deliver statuses in reverse order (read, delivered, sent).
    pub reorder_webhooks: bool,
    /// Skip `delivered` (as Meta does when delivered and read coincide).
    pub drop_delivered: bool,
    /// Lose every status webhook (messages stay at `pending`, as when webhooks fail).
    pub drop_all_statuses: bool,
}

/// `n` random digits, the first never 0: ids shaped like Meta's.
pub(crate) fn random_digits(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n).map(|i| char::from(b'0' + if i == 0 { rng.gen_range(1..10) } else { rng.gen_range(0..10) })).collect()
}

/// The actor's org's sandbox number, created on first use. Any member. Safe under
/// concurrent first uses: a partial unique index keeps one per org, and the loser of a
/// race reads the winner's.
pub async fn ensure_number(db: &Db, cipher: &Cipher, actor: &Actor) -> Result<WaNumber> {
    let org = &actor.org_id;
    let select = || sqlx::query_scalar::<_, NumberId>("SELECT id FROM wa_numbers WHERE org_id = $1 AND is_sandbox = 1").bind(org.as_str());
    let existing = select().fetch_optional(db.pool()).await?;
    let id = match existing {
        Some(id) => id,
        None => {
            let id = new_id();
            let token = format!("SBX{}", random_digits(40));
            let display = format!("1555{}", random_digits(7));
            let waba = format!("98{}", random_digits(13));
            let created = sqlx::query(
                "INSERT INTO wa_numbers (id, org_id, display_name, phone_number_id, waba_id, display_phone_number, verified_name, quality_rating, \
                 access_token_enc, system_prompt, is_sandbox, active, created_at) VALUES ($1, $2, 'Sandbox', $3, $4, $5, 'MCE Sandbox', 'GREEN', $6, '', 1, 1, $7) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(org.as_str())
            .bind(format!("99{}", random_digits(13)))
            .bind(&waba)
            .bind(display)
            .bind(super::numbers::seal_token(cipher, org.as_str(), &id, &token))
            .bind(now_ms())
            .execute(db.pool())
            .await?
            .rows_affected()
                == 1;
            if created {
                // "Meta's" side of a new account starts with approved demo templates, so
                // the sandbox can send templates at once; MCE mirrors what this returns
                // into its own templates.
                super::sandbox_templates::seed(db, &waba).await?;
            }
            select().fetch_one(db.pool()).await?
        }
    };
    crate::whatsapp::numbers::get_in_org(db, org, &id).await
}

/// The org's numbers, its sandbox number first (created on first use). Any member.
pub async fn numbers(db: &Db, cipher: &Cipher, actor: &Actor) -> Result<Vec<WaNumber>> {
    ensure_number(db, cipher, actor).await?;
    crate::whatsapp::numbers::list(db, actor).await
}

/// Refuses to play a phone that is a contact of the org reached on a real number: the
/// sandbox phone would show, and speak as, a real customer.
async fn check_made_up(db: &Db, org: &OrgId, customer: &domain::PhoneE164) -> Result<()> {
    let real: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM contacts c JOIN conversations v ON v.contact_id = c.id JOIN wa_numbers n ON n.id = v.number_id \
         WHERE c.org_id = $1 AND c.phone = $2 AND n.is_sandbox = 0 LIMIT 1",
    )
    .bind(org.as_str())
    .bind(customer.as_str())
    .fetch_optional(db.pool())
    .await?;
    if real.is_some() {
        return Err(crate::ServiceError::app(
            domain::ErrorCode::Conflict,
            format!("{} is a contact reached on a real number: the sandbox plays made-up customers only.", customer.as_str()),
        ));
    }
    Ok(())
}

/// The sandbox number and its chat with `customer`, as the sandbox phone shows it.
/// Managers and above; never a contact reached on a real number.
pub async fn open_phone(db: &Db, cipher: &Cipher, actor: &Actor, customer: &domain::PhoneE164) -> Result<SandboxPhone> {
    actor.require(domain::Role::Manager)?;
    check_made_up(db, &actor.org_id, customer).await?;
    let number = ensure_number(db, cipher, actor).await?;
    let messages = phone(db, &number.id, customer.digits(), 200).await?;
    Ok(SandboxPhone { number, customer: customer.as_str().to_owned(), messages })
}

/// A member plays the customer of the org's sandbox number (see [`customer_acts`]).
/// Managers and above; never a contact reached on a real number. Returns the message's
/// wamid.
#[allow(clippy::too_many_arguments)]
pub async fn act_as_customer(
    db: &Db,
    cipher: &Cipher,
    actor: &Actor,
    customer: &domain::PhoneE164,
    name: &str,
    action: &CustomerAction,
    public_url: &str,
    app_secret: &str,
) -> Result<String> {
    actor.require(domain::Role::Manager)?;
    check_made_up(db, &actor.org_id, customer).await?;
    let number = ensure_number(db, cipher, actor).await?;
    customer_acts(db, &number, customer, name, action, public_url, app_secret).await
}

/// A file of the org's sandbox number (what the business sent, or the customer's photo)
/// for the sandbox phone page; `None` when it is not the org's or has no bytes. Managers
/// and above.
pub async fn phone_file(db: &Db, cipher: &Cipher, actor: &Actor, id: &str) -> Result<Option<(SandboxFile, Vec<u8>)>> {
    actor.require(domain::Role::Manager)?;
    let number = ensure_number(db, cipher, actor).await?;
    Ok(match media_file(db, id, true).await? {
        Some((file, Some(bytes))) if file.number_id == number.id => Some((file, bytes)),
        _ => None,
    })
}

/// How the org's sandbox simulator behaves. Managers and above.
pub async fn simulator(db: &Db, cipher: &Cipher, actor: &Actor) -> Result<Behaviour> {
    actor.require(domain::Role::Manager)?;
    let number = ensure_number(db, cipher, actor).await?;
    behaviour(db, &number.id).await
}

/// Sets how the org's sandbox simulator behaves. Managers and above.
pub async fn configure_simulator(db: &Db, cipher: &Cipher, actor: &Actor, b: &Behaviour) -> Result<()> {
    actor.require(domain::Role::Manager)?;
    let number = ensure_number(db, cipher, actor).await?;
    set_behaviour(db, &actor.org_id, &number.id, b).await
}

#[derive(sqlx::FromRow)]
struct SandboxNumberRow {
    id: NumberId,
    org_id: OrgId,
    access_token_enc: String,
}

#[derive(sqlx::FromRow)]
struct BehaviourRow {
    fail_code: Option<i64>,
    duplicate_webhooks: Flag,
    reorder_webhooks: Flag,
    drop_delivered: Flag,
    drop_all_statuses: Flag,
}

/// The sandbox number with this Graph id, with its decrypted token.
pub async fn find_by_phone_number_id(db: &Db, cipher: &Cipher, pnid: &str) -> Result<Option<(WaNumber, OrgId, String)>> {
    find_sandbox_by(db, cipher, "phone_number_id", pnid).await
}

/// The sandbox number whose `column` (`phone_number_id` or `waba_id`, never user input)
/// is `value`, with its decrypted token: what a bearer on the simulator must be.
pub(crate) async fn find_sandbox_by(db: &Db, cipher: &Cipher, column: &'static str, value: &str) -> Result<Option<(WaNumber, OrgId, String)>> {
    let row = sqlx::query_as::<_, SandboxNumberRow>(&format!("SELECT id, org_id, access_token_enc FROM wa_numbers WHERE {column} = $1 AND is_sandbox = 1"))
        .bind(value)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let number = crate::whatsapp::numbers::get_in_org(db, &row.org_id, &row.id).await?;
    let token = crate::whatsapp::numbers::open_token(cipher, row.org_id.as_str(), row.id.as_str(), &row.access_token_enc)
        .map_err(|e| crate::ServiceError::Unexpected(anyhow::Error::new(e)))?;
    Ok(Some((number, row.org_id, token)))
}

/// How the simulator behaves for a number (defaults when never set).
pub async fn behaviour(db: &Db, number: &NumberId) -> Result<Behaviour> {
    let row = sqlx::query_as::<_, BehaviourRow>(
        "SELECT fail_code, duplicate_webhooks, reorder_webhooks, drop_delivered, drop_all_statuses FROM sandbox_behaviour WHERE number_id = $1",
    )
    .bind(number.as_str())
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(|r| Behaviour {
            fail_code: r.fail_code,
            duplicate_webhooks: r.duplicate_webhooks.0,
            reorder_webhooks: r.reorder_webhooks.0,
            drop_delivered: r.drop_delivered.0,
            drop_all_statuses: r.drop_all_statuses.0,
        })
        .unwrap_or_default())
}

/// Sets how the simulator behaves for a sandbox number of the org.
pub async fn set_behaviour(db: &Db, org: &OrgId, number: &NumberId, b: &Behaviour) -> Result<()> {
    if let Some(code) = b.fail_code {
        if !INJECTABLE_CODES.contains(&code) {
            return Err(domain::AppError::validation(format!("The sandbox can answer {INJECTABLE_CODES:?}, not {code}.")).into());
        }
    }
    let is_sandbox: Option<String> = sqlx::query_scalar("SELECT id FROM wa_numbers WHERE org_id = $1 AND id = $2 AND is_sandbox = 1")
        .bind(org.as_str())
        .bind(number.as_str())
        .fetch_optional(db.pool())
        .await?;
    if is_sandbox.is_none() {
        return Err(domain::AppError::not_found("Sandbox number").into());
    }
    sqlx::query(
        "INSERT INTO sandbox_behaviour (number_id, fail_code, duplicate_webhooks, reorder_webhooks, drop_delivered, drop_all_statuses) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (number_id) DO UPDATE SET fail_code = excluded.fail_code, duplicate_webhooks = excluded.duplicate_webhooks, \
         reorder_webhooks = excluded.reorder_webhooks, drop_delivered = excluded.drop_delivered, drop_all_statuses = excluded.drop_all_statuses",
    )
    .bind(number.as_str())
    .bind(b.fail_code)
    .bind(b.duplicate_webhooks as i64)
    .bind(b.reorder_webhooks as i64)
    .bind(b.drop_delivered as i64)
    .bind(b.drop_all_statuses as i64)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A send the simulator accepted: what to answer and which statuses to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub wa_message_id: String,
    /// The recipient's digits.
    pub customer: String,
    /// Our `biz_opaque_callback_data`, echoed in statuses.
    pub callback: Option<String>,
    /// `(delay step, status)` in emission order.
    pub statuses: Vec<(u32, &'static str)>,
}

/// Records a send the simulator received and plans its status webhooks. Refusals are
/// returned as Meta's error JSON (`{"error": {...}}`) with its HTTP status.
pub async fn accept_send(db: &Db, number: &WaNumber, body: &Value) -> Result<std::result::Result<Accepted, (u16, Value)>> {
    let b = behaviour(db, &number.id).await?;
    if let Some(code) = b.fail_code {
        return Ok(Err(graph_error(code)));
    }
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return Ok(Err((
            400,
            json!({"error": {"message": "(#100) The parameter messaging_product is required.", "type": "OAuthException", "code": 100, "fbtrace_id": "SBX"}}),
        )));
    }
    if body.get("status").and_then(Value::as_str) == Some("read") {
        return Ok(Ok(Accepted { wa_message_id: String::new(), customer: String::new(), callback: None, statuses: vec![] }));
    }
    let customer: String = body.get("to").and_then(Value::as_str).unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
    let kind = body.get("type").and_then(Value::as_str).unwrap_or_default();
    if customer.len() < 8 || kind.is_empty() || body.get(kind).is_none() {
        return Ok(Err((
            400,
            json!({"error": {"message": "(#131009) Parameter value is not valid", "type": "OAuthException", "code": 131009, "error_data": {"messaging_product": "whatsapp", "details": "to, type and the object named after type are required"}, "fbtrace_id": "SBX"}}),
        )));
    }
    let wamid = format!("wamid.SBX{}", random_digits(24));
    // Like Meta, anything but a template needs the customer to have written in the last
    // 24 hours; otherwise the send is accepted and then fails with 131047 by webhook.
    if kind != "template" && !window_open(db, &number.id, &customer).await? {
        return Ok(Ok(Accepted {
            wa_message_id: wamid,
            customer,
            callback: body.get("biz_opaque_callback_data").and_then(Value::as_str).map(str::to_owned),
            statuses: vec![(1, "failed")],
        }));
    }
    record(db, &number.id, &customer, TO_CUSTOMER, &wamid, body).await?;
    let mut statuses: Vec<(u32, &'static str)> = if kind == "reaction" { vec![(1, "sent")] } else { vec![(1, "sent"), (2, "delivered"), (5, "read")] };
    if b.drop_delivered {
        statuses.retain(|(_, s)| *s != "delivered");
    }
    if b.drop_all_statuses {
        statuses.clear();
    }
    if b.reorder_webhooks {
        let steps: Vec<u32> = statuses.iter().map(|(d, _)| *d).collect();
        statuses.reverse();
        for (slot, step) in statuses.iter_mut().zip(steps) {
            slot.0 = step;
        }
    }
    if b.duplicate_webhooks {
        statuses = statuses.into_iter().flat_map(|s| [s, s]).collect();
    }
    Ok(Ok(Accepted { wa_message_id: wamid, customer, callback: body.get("biz_opaque_callback_data").and_then(Value::as_str).map(str::to_owned), statuses }))
}

/// Whether the simulated customer wrote to the number in the last 24 hours.
async fn window_open(db: &Db, number: &NumberId, customer: &str) -> Result<bool> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(created_at) AS last FROM sandbox_messages WHERE number_id = $1 AND customer = $2 AND direction = $3")
            .bind(number.as_str())
            .bind(customer)
            .bind(FROM_CUSTOMER)
            .fetch_one(db.pool())
            .await?;
    Ok(last.is_some_and(|t| now_ms() - t < 24 * 3600 * 1000))
}

/// Meta's error answer for a code, as the simulator returns it.
pub fn graph_error(code: i64) -> (u16, Value) {
    let (status, message) = match code {
        190 => (401, "Error validating access token: Session has expired."),
        130429 => (400, "(#130429) Rate limit hit"),
        131047 => (400, "(#131047) Re-engagement message"),
        131026 => (400, "(#131026) Message undeliverable"),
        _ => (400, "(#1) An unknown error occurred"),
    };
    (
        status,
        json!({"error": {"message": message, "type": "OAuthException", "code": code, "error_data": {"messaging_product": "whatsapp", "details": message}, "fbtrace_id": "SBX"}}),
    )
}

/// Serialises like Meta: ASCII only, non-ASCII as lowercase `\uXXXX` escapes (surrogate
/// pairs beyond the BMP). The signature is computed over exactly these bytes.
pub fn meta_json(v: &Value) -> String {
    let plain = v.to_string();
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// The status webhook for one outbound message.
pub fn status_webhook(number: &WaNumber, wamid: &str, status: &str, customer: &str, callback: Option<&str>) -> String {
    let mut s = json!({"id": wamid, "status": status, "timestamp": (now_ms() / 1000).to_string(), "recipient_id": customer});
    if let Some(cb) = callback {
        s["biz_opaque_callback_data"] = json!(cb);
    }
    if status == "sent" {
        s["pricing"] = json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "service"});
    }
    if status == "failed" {
        let details = "Message failed to send because more than 24 hours have passed since the customer last replied to this number.";
        s["errors"] = json!([{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message", "error_data": {"details": details}}]);
    }
    meta_json(&json!({"object": "whatsapp_business_account", "entry": [{"id": number.waba_id, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": number.display_phone_number, "phone_number_id": number.phone_number_id},
        "statuses": [s]}}]}]}))
}

/// The webhook for a message the simulated customer sends; `message` is the object
/// without `from`, `id` and `timestamp` (`{"type": "text", "text": {"body": "hi"}}`).
pub fn inbound_webhook(number: &WaNumber, customer: &str, name: &str, mut message: Value) -> (String, String) {
    let wamid = format!("wamid.SBXIN{}", random_digits(22));
    message["from"] = json!(customer);
    message["id"] = json!(wamid);
    message["timestamp"] = json!((now_ms() / 1000).to_string());
    let body = meta_json(&json!({"object": "whatsapp_business_account", "entry": [{"id": number.waba_id, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": number.display_phone_number, "phone_number_id": number.phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": customer}],
        "messages": [message]}}]}]}));
    (wamid, body)
}

/// A message the business sent to the simulated customer.
pub const TO_CUSTOMER: &str = "to_customer";
/// A message the simulated customer sent to the business.
pub const FROM_CUSTOMER: &str = "from_customer";

async fn record(db: &Db, number: &NumberId, customer: &str, direction: &str, wamid: &str, body: &Value) -> Result<()> {
    sqlx::query("INSERT INTO sandbox_messages (id, number_id, customer, direction, wa_message_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(new_id())
        .bind(number.as_str())
        .bind(customer)
        .bind(direction)
        .bind(wamid)
        .bind(body.to_string())
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// One message on the simulated customer's phone.
pub use domain::dto::SandboxMessage as PhoneMessage;

#[derive(sqlx::FromRow)]
struct PhoneRow {
    direction: String,
    wa_message_id: String,
    body: Json<Value>,
    created_at: i64,
}

/// The simulated customer's chat with a sandbox number, oldest first (the latest `limit`).
pub async fn phone(db: &Db, number: &NumberId, customer: &str, limit: i64) -> Result<Vec<PhoneMessage>> {
    let rows = sqlx::query_as::<_, PhoneRow>(
        "SELECT direction, wa_message_id, body, created_at FROM sandbox_messages WHERE number_id = $1 AND customer = $2 ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(number.as_str())
    .bind(customer)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<PhoneMessage> =
        rows.into_iter().map(|r| PhoneMessage { direction: r.direction, wa_message_id: r.wa_message_id, body: r.body.0, at: r.created_at }).collect();
    out.reverse();
    Ok(out)
}

/// The photo the simulated customer sends from the phone page.
pub const SAMPLE_PHOTO: &[u8] = include_bytes!("sandbox_photo.png");

/// How long a media download URL of the simulator stays valid (Meta: five minutes).
pub const MEDIA_URL_TTL_MS: i64 = 5 * 60_000;

/// A file in the simulator's media store ("Meta's" copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxFile {
    /// The media id, digits like Meta's.
    pub id: String,
    pub number_id: NumberId,
    /// The number's phone number id (what the file is scoped to).
    pub phone_number_id: String,
    pub mime_type: String,
    pub filename: Option<String>,
    /// Base64 SHA-256, as Meta gives it.
    pub sha256: String,
    pub file_size: i64,
}

/// Puts a file in the simulator's media store (an upload to the sandbox number, or a
/// photo the simulated customer sends).
pub async fn store_media(db: &Db, number: &NumberId, mime_type: &str, filename: Option<&str>, bytes: &[u8]) -> Result<SandboxFile> {
    let id = random_digits(16);
    sqlx::query(
        "INSERT INTO sandbox_media (id, number_id, mime_type, filename, sha256, file_size, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(number.as_str())
    .bind(mime_type)
    .bind(filename.map(str::to_owned))
    .bind(super::media::sha256_b64(bytes))
    .bind(bytes.len() as i64)
    .bind(bytes.to_vec())
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(media_file(db, &id, false).await?.expect("just stored").0)
}

#[derive(sqlx::FromRow)]
struct FileRow {
    id: String,
    number_id: NumberId,
    phone_number_id: String,
    mime_type: String,
    filename: Option<String>,
    sha256: String,
    file_size: i64,
    content: Option<Vec<u8>>,
}

/// A file of the simulator's media store, with its bytes when `with_content`.
pub async fn media_file(db: &Db, id: &str, with_content: bool) -> Result<Option<(SandboxFile, Option<Vec<u8>>)>> {
    let content = if with_content { "m.content" } else { "NULL AS content" };
    let row = sqlx::query_as::<_, FileRow>(&format!(
        "SELECT m.id, m.number_id, n.phone_number_id, m.mime_type, m.filename, m.sha256, m.file_size, {content} FROM sandbox_media m JOIN wa_numbers n ON n.id = m.number_id WHERE m.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| {
        let file = SandboxFile {
            id: r.id,
            number_id: r.number_id,
            phone_number_id: r.phone_number_id,
            mime_type: r.mime_type,
            filename: r.filename,
            sha256: r.sha256,
            file_size: r.file_size,
        };
        (file, r.content)
    }))
}

/// Deletes a file of the simulator's media store; true when it existed.
pub async fn delete_media(db: &Db, id: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM sandbox_media WHERE id = $1").bind(id).execute(db.pool()).await?.rows_affected() > 0)
}

/// What the simulated customer can do on the phone page.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerAction {
    /// Types a message.
    Text(String),
    /// Taps a reply button of a business message.
    ButtonReply { context: String, id: String, title: String },
    /// Picks a row of a business list.
    ListReply { context: String, id: String, title: String },
    /// Taps a template's quick-reply button.
    TemplateButton { context: String, payload: String, text: String },
    /// Sends a photo with an optional caption.
    Image { caption: Option<String> },
}

impl CustomerAction {
    /// The inbound message object Meta would deliver for this action.
    pub fn message(&self) -> std::result::Result<Value, domain::AppError> {
        let check = |s: &str, max: usize, what: &str| {
            if s.trim().is_empty() || s.chars().count() > max {
                Err(domain::AppError::validation(format!("{what} must be 1 to {max} characters.")))
            } else {
                Ok(())
            }
        };
        Ok(match self {
            CustomerAction::Text(t) => {
                check(t, 4096, "A message")?;
                json!({"type": "text", "text": {"body": t}})
            }
            CustomerAction::ButtonReply { context, id, title } => {
                check(title, 20, "A button title")?;
                json!({"type": "interactive", "context": {"id": context}, "interactive": {"type": "button_reply", "button_reply": {"id": id, "title": title}}})
            }
            CustomerAction::ListReply { context, id, title } => {
                check(title, 24, "A row title")?;
                json!({"type": "interactive", "context": {"id": context}, "interactive": {"type": "list_reply", "list_reply": {"id": id, "title": title}}})
            }
            CustomerAction::TemplateButton { context, payload, text } => {
                check(text, 25, "A button label")?;
                json!({"type": "button", "context": {"id": context}, "button": {"payload": payload, "text": text}})
            }
            CustomerAction::Image { caption } => {
                if let Some(c) = caption {
                    if c.chars().count() > 1024 {
                        return Err(domain::AppError::validation("A caption must be at most 1024 characters."));
                    }
                }
                // The photo itself is put in the simulator's media store by `customer_acts`;
                // the id here is replaced with the stored file's.
                let mut image = json!({"id": "", "mime_type": "image/png", "sha256": super::media::sha256_b64(SAMPLE_PHOTO)});
                if let Some(c) = caption.as_ref().filter(|c| !c.trim().is_empty()) {
                    image["caption"] = json!(c);
                }
                json!({"type": "image", "image": image})
            }
        })
    }
}

/// The simulated customer acts: the action is recorded on their phone and delivered to
/// MCE as Meta's signed webhook at `public_url`.
pub async fn customer_acts(
    db: &Db,
    number: &WaNumber,
    customer: &domain::PhoneE164,
    name: &str,
    action: &CustomerAction,
    public_url: &str,
    app_secret: &str,
) -> Result<String> {
    let mut message = action.message()?;
    if let CustomerAction::Image { .. } = action {
        // Like a phone: the photo is uploaded first, the webhook then carries its id, and
        // MCE fetches it through the media API.
        let file = store_media(db, &number.id, "image/png", Some("photo.png"), SAMPLE_PHOTO).await?;
        message["image"]["id"] = json!(file.id);
    }
    let (wamid, body) = inbound_webhook(number, customer.digits(), name, message.clone());
    record(db, &number.id, customer.digits(), FROM_CUSTOMER, &wamid, &message).await?;
    deliver_webhook(public_url, app_secret, body).await;
    Ok(wamid)
}

/// Posts a webhook body to `<public_url>/webhooks/whatsapp`, signed like Meta's, retrying
/// a few times with backoff like Meta does. Failures are logged, not returned: Meta does
/// not tell the sender either.
pub async fn deliver_webhook(public_url: &str, app_secret: &str, body: String) {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        crate::net::ensure_tls_provider();
        reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().expect("HTTP client")
    });
    let url = format!("{public_url}/webhooks/whatsapp");
    for attempt in 0..4u32 {
        let sig = crate::whatsapp::signature::sign(app_secret.as_bytes(), body.as_bytes());
        let res = client.post(&url).header("content-type", "application/json").header("x-hub-signature-256", sig).body(body.clone()).send().await;
        match res {
            Ok(r) if r.status().as_u16() == 200 => return,
            Ok(r) => tracing::warn!(status = r.status().as_u16(), attempt, "sandbox webhook refused"),
            Err(e) => tracing::warn!(error = %e.without_url(), attempt, "sandbox webhook not delivered"),
        }
        if attempt < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(200 * 4u64.pow(attempt))).await;
        }
    }
    tracing::error!("sandbox webhook dropped after 4 attempts");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_json_escapes_non_ascii_like_meta_does() {
        let s = meta_json(&json!({"t": "äöå 😀"}));
        assert_eq!(s, r#"{"t":"\u00e4\u00f6\u00e5 \ud83d\ude00"}"#);
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["t"], "äöå 😀");
    }

    #[test]
    fn injected_errors_use_metas_shape() {
        let (status, body) = graph_error(190);
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], 190);
    }
}
