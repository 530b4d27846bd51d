//! Data shapes that travel between the server and the browser (and the REST API).

use crate::{NumberId, OrgId, Role, UserId};
use serde::{Deserialize, Serialize};

/// An org as listed in the org switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub id: OrgId,
    pub name: String,
    /// The org's IANA time zone: times are entered and shown in it.
    #[serde(default)]
    pub time_zone: String,
    /// The signed-in person's role there (`None` for a super admin who is not a member).
    pub role: Option<Role>,
}

/// Who is signed in and where: everything the app shell needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub is_super_admin: bool,
    /// The org the person is working in now.
    pub org: OrgSummary,
    /// The role that applies in `org` (super admins act as owners).
    pub role: Role,
    /// Every org the person can switch to.
    pub orgs: Vec<OrgSummary>,
}

/// An org's profile as shown and edited in Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgProfile {
    pub id: OrgId,
    pub name: String,
    /// IANA time zone name.
    pub time_zone: String,
    /// ISO 3166-1 alpha-2 code used to read national phone numbers.
    pub default_country: String,
    /// Epoch milliseconds.
    pub created_at: i64,
}

/// A member of an org as listed in Settings → Members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Epoch milliseconds when the person joined the org.
    pub joined_at: i64,
}

/// A WhatsApp business number as listed in Settings and the API (never its token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaNumber {
    pub id: NumberId,
    pub display_name: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    pub quality_rating: Option<String>,
    pub system_prompt: String,
    /// The built-in simulated number of the org.
    pub is_sandbox: bool,
    /// False after Meta rejected the token (error 190) until it is replaced.
    pub active: bool,
    pub inactive_reason: Option<String>,
    /// The number's current adaptive send rate in messages per second (CAMP-4).
    pub send_rate: f64,
    /// How its new conversations are assigned: `off`, `round_robin` or `least_busy`.
    #[serde(default = "auto_assign_off")]
    pub auto_assign: String,
    /// Epoch milliseconds.
    pub created_at: i64,
}

/// A contact as the REST API and lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSummary {
    pub id: crate::ContactId,
    /// E.164, absent for a username-only WhatsApp user.
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    pub wa_user_id: Option<String>,
    pub name: Option<String>,
    pub profile_name: Option<String>,
    pub username: Option<String>,
    pub source: String,
    pub created_at: i64,
}

/// A conversation between one business number and one contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: crate::ConversationId,
    pub number_id: NumberId,
    pub contact_id: crate::ContactId,
    /// `open` or `resolved`.
    pub status: String,
    pub last_message_at: Option<i64>,
    pub last_inbound_at: Option<i64>,
    /// When the 24-hour customer-service window closes (epoch ms); free text is refused after.
    pub window_expires_at: Option<i64>,
    pub unread_count: i64,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: crate::MessageId,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The WhatsApp type: `text`, `image`, `template`, `interactive`…
    #[serde(rename = "type")]
    pub kind: String,
    /// The text, caption or other preview text.
    pub text: Option<String>,
    /// `received` for inbound; `pending`, `sent`, `delivered`, `read`, `played` or `failed` for outbound.
    pub status: String,
    pub wa_message_id: Option<String>,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
    /// The type-specific WhatsApp object (media ids, buttons, location…).
    pub content: serde_json::Value,
    /// Our copy of an inbound file (`/api/v1/media/{id}`), once the message carried one.
    #[serde(default)]
    pub media_id: Option<String>,
    /// The member who wrote a reply or note in the inbox (none for the API, flows and
    /// customers).
    #[serde(default)]
    pub author_name: Option<String>,
    /// When WhatsApp says it happened (epoch ms), else when it was stored.
    pub at: i64,
}

/// One message on the sandbox customer's phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxMessage {
    /// `to_customer` (the business sent it) or `from_customer`.
    pub direction: String,
    pub wa_message_id: String,
    /// The Cloud API request body (to the customer) or the message object (from them).
    pub body: serde_json::Value,
    pub at: i64,
}

/// The sandbox customer phone page: the org's sandbox number and one customer's chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxPhone {
    pub number: WaNumber,
    /// The customer's number in E.164.
    pub customer: String,
    pub messages: Vec<SandboxMessage>,
}

/// A file MCE holds for an org: an upload the business sends, or a customer's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaFile {
    pub id: String,
    /// `outbound` (uploaded here) or `inbound` (sent by a customer).
    pub direction: String,
    /// Meta's media id: what a media message sends (`{"image": {"id": …}}`).
    pub wa_media_id: Option<String>,
    /// The kind of message it goes out as: `image`, `video`, `audio`, `document`, `sticker`.
    pub kind: Option<String>,
    pub mime_type: String,
    pub filename: Option<String>,
    pub file_size: Option<i64>,
    /// Base64 SHA-256 of the bytes, as Meta writes it.
    pub sha256: Option<String>,
    /// `stored`, `pending` (an inbound file not downloaded yet) or `failed` (see `error`).
    pub status: String,
    pub error: Option<String>,
    /// The message it arrived with (inbound files).
    pub message_id: Option<String>,
    pub created_at: i64,
}

/// One entry of the org's event log, as a browser receives it over SSE (`id` is the SSE
/// event id; `kind` is `message`, `status`, `conversation` or `notification`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgEvent {
    pub id: i64,
    pub kind: String,
    pub conversation_id: Option<String>,
    pub payload: serde_json::Value,
    pub at: i64,
}

/// One open chat: its list row, its messages (oldest first), who it can be assigned to,
/// and the contact's other conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatView {
    pub item: InboxItem,
    pub messages: Vec<MessageView>,
    /// `(user id, name)` of agents and above.
    pub members: Vec<(String, String)>,
    pub me: String,
    pub my_name: String,
    /// The contact's other conversations (on other numbers).
    pub others: Vec<InboxItem>,
    pub can_act: bool,
    /// The contact's CRM card and latest notes, for the contact panel.
    pub contact: Option<ContactView>,
    pub contact_notes: Vec<ContactNoteView>,
}

/// One row of the inbox conversation list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub conversation_id: String,
    pub contact_id: String,
    /// The contact's name, else their WhatsApp profile name, else the phone.
    pub display_name: String,
    pub phone: Option<String>,
    /// The last message, one line, at most 50 characters.
    pub preview: String,
    pub last_message_at: Option<i64>,
    pub unread_count: i64,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    /// `green`, `yellow`, `red` or `grey` (see `domain::inbox::WindowColour`).
    pub window: crate::inbox::WindowColour,
    pub window_expires_at: Option<i64>,
    /// `open` or `resolved`.
    pub status: String,
    /// `human`, `flow` or `ai`.
    pub handled_by: String,
    pub number_id: String,
}

/// A page of the conversation list; `next_cursor` asks for the page after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next_cursor: Option<String>,
}

/// A person's notification (the bell), newest first in listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where clicking it leads (`/inbox/{conversation}`, `/settings/numbers`…).
    pub link: Option<String>,
    pub read: bool,
    pub created_at: i64,
}

/// A saved reply agents insert with "/" (`{contact_name}` and `{agent_name}` are filled in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: String,
    pub title: String,
    pub shortcut: String,
    pub content: String,
}

fn auto_assign_off() -> String {
    "off".into()
}

/// A contact's tag with its colour (`#rrggbb`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagView {
    pub id: String,
    pub name: String,
    pub colour: String,
    /// How many live contacts carry it (in tag listings; 0 on a contact's own tags).
    #[serde(default)]
    pub contacts: i64,
}

/// A contact as the CRM, the inbox's contact panel and `/api/v1/contacts` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: crate::ContactId,
    /// E.164 (`+5511…`); none for WhatsApp users who hide their number.
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    pub name: Option<String>,
    /// The name the person gave WhatsApp.
    pub profile_name: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    /// Where the contact came from: `whatsapp`, `api`, `app`, `csv`, a lead source's name…
    pub source: String,
    /// `new`, `engaged`, `qualified`, `converted` or `lost`.
    pub lead_status: String,
    pub lifecycle_stage: String,
    pub score: i64,
    /// `unknown`, `opted_in` or `opted_out`.
    pub opt_in_status: String,
    /// `YYYY-MM-DD`.
    pub birthday: Option<String>,
    /// The org's custom fields by key.
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    pub tags: Vec<TagView>,
    /// The last message in any of the contact's conversations (epoch ms).
    pub last_message_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set while the contact is in the trash.
    pub deleted_at: Option<i64>,
}

impl ContactView {
    /// The name to show: the one the business gave, else WhatsApp's, else the phone.
    pub fn display_name(&self) -> String {
        self.name.clone().or_else(|| self.profile_name.clone()).or_else(|| self.phone.clone()).unwrap_or_else(|| "Unknown".into())
    }
}

/// A page of contacts with the total that matches (REST: `{"data": [...], "total": n}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactPage {
    pub data: Vec<ContactView>,
    pub total: i64,
}

/// One line of a contact's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactActivityView {
    pub id: String,
    /// `created`, `updated`, `tag_added`, `tag_removed`, `opt_in`, `note`, `deleted`, `restored`, `message`…
    pub kind: String,
    pub detail: serde_json::Value,
    /// Who did it (a member's name), if a member did.
    pub actor_name: Option<String>,
    pub at: i64,
}

/// A note on a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactNoteView {
    pub id: String,
    pub body: String,
    pub author_name: Option<String>,
    pub at: i64,
}

/// One of the org's custom contact fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldView {
    pub id: String,
    pub key: String,
    pub label: String,
    /// `text`, `number`, `date` or `choice`.
    pub kind: String,
    pub choices: Vec<String>,
}

/// An import as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportView {
    pub id: String,
    pub filename: String,
    /// `uploaded` (waiting for the mapping), `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub policy: String,
    pub headers: Vec<String>,
    /// The chosen mapping, or the guess while `uploaded`.
    pub mapping: Vec<String>,
    /// Up to 10 rows after the header.
    pub preview: Vec<Vec<String>>,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    pub message: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// An org's CRM settings: what the lead pipeline needs to know about the org.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrmSettings {
    /// ISO 3166-1 alpha-2 code national numbers are read with.
    pub default_country: String,
    /// Calling codes contacts may have; empty means any.
    pub allowed_calling_codes: Vec<u16>,
    pub score_rules: Vec<crate::scoring::ScoreRule>,
    pub opt_out_keywords: Vec<String>,
}

/// A source as Settings shows it (the sheet's API key is never returned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadSource {
    pub id: String,
    /// `webhook` or `sheet`.
    pub kind: String,
    pub name: String,
    /// The secret part of the webhook URL (`/api/hooks/{source_key}`); empty for anyone
    /// but admins.
    pub source_key: String,
    /// Whether posts must carry `X-MCE-Signature: sha256=…` (HMAC-SHA256 of the raw body).
    pub require_signature: bool,
    /// The signing secret, in the answer that created the source only (it is shown once).
    pub signing_secret: Option<String>,
    /// Field name → contact field (`phone`, `name`, `custom:plan`…).
    pub mapping: serde_json::Map<String, serde_json::Value>,
    pub spreadsheet_id: Option<String>,
    pub range: Option<String>,
    pub csv_url: Option<String>,
    pub has_api_key: bool,
    pub poll_minutes: i64,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub leads_count: i64,
    pub created_at: i64,
}

/// One job kind's background jobs in an org, by state (Settings → System).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobKindStats {
    pub kind: String,
    pub queued: i64,
    pub running: i64,
    /// Given up after their retries; kept with their last error until retried.
    pub dead: i64,
}

/// A background job that gave up, as Settings → System lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadJobView {
    pub id: String,
    pub kind: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Epoch milliseconds of the last attempt.
    pub failed_at: i64,
}

/// Settings → System: the org's jobs per kind, and a page of its dead jobs with their total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemView {
    pub kinds: Vec<JobKindStats>,
    pub dead: Vec<DeadJobView>,
    pub dead_total: i64,
    /// Dead jobs per page.
    pub page_size: i64,
}

/// One contact with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactDetail {
    pub contact: ContactView,
    pub notes: Vec<ContactNoteView>,
    pub timeline: Vec<ContactActivityView>,
    pub fields: Vec<CustomFieldView>,
    pub conversations: Vec<ConversationSummary>,
    pub can_edit: bool,
    pub can_delete: bool,
}

/// Everything Settings → Contacts shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrmSettingsPage {
    pub settings: CrmSettings,
    pub fields: Vec<CustomFieldView>,
    pub tags: Vec<TagView>,
    pub sources: Vec<LeadSource>,
    pub can_manage: bool,
    pub can_admin: bool,
}

/// An API key as Settings → API keys lists it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The key's first 12 characters (`mce_…`), to recognise it by.
    pub prefix: String,
    /// What the key may do: admin, agent or viewer.
    pub role: Role,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The expiry has passed.
    pub expired: bool,
    /// The member who created it (keys from `mce api-key create` have none).
    pub created_by: Option<String>,
}

/// A page (from 0) of an org's API keys, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeysPage {
    pub data: Vec<ApiKeyView>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// A key just created: `secret` is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub secret: String,
}

/// A pending invitation as listed in Settings → Members (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// The inviter's name, while their account exists.
    pub invited_by: Option<String>,
    /// Epoch milliseconds.
    pub created_at: i64,
    /// Epoch milliseconds after which the link no longer works.
    pub expires_at: i64,
}

/// An invitation just made. `link` is the only copy of the invitation link and is
/// returned only to the inviter, and only when no mail was sent (no SMTP configured, or
/// the mail failed): the inviter copies it to the invitee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationCreated {
    pub invitation: Invitation,
    pub link: Option<String>,
    /// Whether the invitation went out by e-mail.
    pub emailed: bool,
}

/// What the invitation page shows the holder of a valid link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub org_name: String,
    pub email: String,
    pub role: Role,
    /// Whether an account with the invited address exists (it must sign in to accept).
    pub has_account: bool,
    /// The address of whoever is signed in on this browser, if anyone.
    pub signed_in_as: Option<String>,
}

/// The signed-in person's security settings (the profile page's security section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityOverview {
    /// Whether two-factor sign-in is on.
    pub two_factor: bool,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
    /// The person's live sessions, this one included.
    pub sessions: i64,
    /// Whether the current org requires two-factor sign-in of its admins and owners.
    pub org_requires_2fa: bool,
    /// Whether this person may change that org setting (admins and owners).
    pub can_set_org_requirement: bool,
    /// Whether this person must set up two-factor sign-in before anything else.
    pub must_enrol: bool,
}

/// A started two-factor enrolment: the secret as text, and as a QR code (SVG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    /// The `otpauth://` URL the QR code holds.
    pub otpauth_url: String,
    /// The QR code, an SVG document made on the server.
    pub qr_svg: String,
}

/// One step of a new org's getting-started checklist on Home, ticked from real state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistStep {
    /// Stable name of the step: `number`, `contacts`, `teammate`, `chat`.
    pub key: String,
    pub label: String,
    pub done: bool,
    /// Where the step is done.
    pub href: String,
    /// The link's text.
    pub action: String,
}

/// Messages of one local day (the org's time zone), for the messages-over-time chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// `YYYY-MM-DD` in the org's time zone.
    pub day: String,
    /// Messages customers sent.
    pub received: i64,
    /// Messages the org sent (agents, campaigns, flows, the API).
    pub sent: i64,
}

/// A chart as the kit's chart container draws it: the ECharts option (JSON, built on the
/// server with charming) and the same figures as a table, for screen readers and for
/// anyone who prefers numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartData {
    pub option: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A message template as the list, the builder, the inbox picker and the REST API show
/// it. `status` is Meta's (`APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, …),
/// `DRAFT` before submission and `DELETED` once it is gone at Meta; `components` is
/// Meta's component JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateView {
    pub id: String,
    pub number_id: NumberId,
    pub waba_id: String,
    /// Meta's id, once submitted.
    pub wa_template_id: Option<String>,
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    /// GREEN, YELLOW, RED or UNKNOWN.
    pub quality: String,
    /// No campaign or flow may send it until an admin lifts it.
    pub quarantined: bool,
    /// Why it was rejected, paused or disabled (Meta's reason and its details).
    pub reason: Option<String>,
    /// `positional` or `named`.
    pub parameter_format: String,
    pub components: serde_json::Value,
    /// The category Meta announced it will move the template to, and when (epoch ms).
    pub correct_category: Option<String>,
    pub category_change_at: Option<i64>,
    /// Messages sent with it.
    pub usage: i64,
    /// Share of its sends that were read (0–1), when it has been sent.
    pub read_rate: Option<f64>,
    pub created_at: i64,
    /// Epoch milliseconds.
    pub updated_at: i64,
}

/// One page of templates, for the list page and `GET /api/v1/templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplatePage {
    pub data: Vec<TemplateView>,
    pub total: i64,
}

/// A line of a template's history: what changed, when, and who or what changed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateHistoryLine {
    /// `created`, `submitted`, `edited`, `status`, `category`, `quality`, `components`,
    /// `quarantined`, `released`, `deleted`, `synced`.
    pub kind: String,
    /// For people: "Approved", "Category UTILITY → MARKETING", …
    pub summary: String,
    pub by: Option<String>,
    pub at: i64,
}

/// How one template performed: per-day figures over the last 30 days, the totals, and
/// what uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateStats {
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    /// Reads answered by the customer within 24 hours.
    pub replied: i64,
    /// The line chart of sends, deliveries, reads and replies per day.
    pub chart: ChartData,
    /// Campaigns and flows that use it: `(kind, name, link)`.
    pub used_by: Vec<(String, String, String)>,
}

/// A template's page: the template, its history and its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateDetail {
    pub template: TemplateView,
    pub history: Vec<TemplateHistoryLine>,
    pub stats: TemplateStats,
    /// Whether the viewer may edit, submit, delete and sync (managers and above).
    pub can_manage: bool,
    /// Whether the viewer may lift a quarantine (admins).
    pub can_lift: bool,
    /// Whether the quarantine may be lifted now (its category is allowed again).
    pub liftable: bool,
}

/// The org's template policy: which categories campaigns and flows may send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSettings {
    pub campaign_categories: Vec<String>,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Business accounts read.
    pub accounts: usize,
    /// Templates Meta listed.
    pub seen: usize,
    /// New here.
    pub added: usize,
    /// Changed here (status, category, content, quality).
    pub updated: usize,
    /// Gone at Meta: now `DELETED` here.
    pub removed: usize,
}
