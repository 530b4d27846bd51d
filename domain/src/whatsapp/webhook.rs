//! The webhook envelope Meta POSTs to `/webhooks/whatsapp` (Meta's WhatsApp Business Account webhooks reference).
//!
//! Parsing is lenient where Meta is loose: unknown fields are ignored, unknown message
//! types are kept (their object stays in [`InboundMessage::rest`]), ids and timestamps
//! may be strings or numbers, and `from`/`wa_id` may be missing for username-only users.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A whole webhook POST body.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookPayload {
    /// `whatsapp_business_account` for WhatsApp.
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

/// One WABA's part of a batch.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// The WABA id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Present on template and account webhooks (Unix seconds).
    #[serde(default, deserialize_with = "opt_i64_lenient")]
    pub time: Option<i64>,
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One change: `field` says what `value` holds.
#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(default)]
    pub value: Value,
}

impl Change {
    /// The value of a `messages` change (inbound messages, statuses, errors).
    pub fn messages(&self) -> Option<Result<MessagesValue, serde_json::Error>> {
        (self.field == "messages").then(|| MessagesValue::deserialize(&self.value))
    }
}

/// The value of a `messages` change.
#[derive(Debug, Clone, Deserialize)]
pub struct MessagesValue {
    #[serde(default)]
    pub messaging_product: Option<String>,
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<WaContact>,
    #[serde(default)]
    pub messages: Vec<InboundMessage>,
    #[serde(default)]
    pub statuses: Vec<StatusUpdate>,
    #[serde(default)]
    pub errors: Vec<WaError>,
}

/// Which business number the change is for: messages are routed by `phone_number_id`.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(deserialize_with = "string_or_number")]
    pub phone_number_id: String,
}

/// The sender's profile, from `contacts[]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WaContact {
    #[serde(default)]
    pub wa_id: Option<String>,
    /// Business-scoped user id, for users who hide their phone number.
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub profile: Option<Profile>,
}

/// A WhatsApp profile.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// One inbound message. The object named after `type` (`text`, `image`…) is in `rest`.
#[derive(Debug, Clone, Deserialize)]
pub struct InboundMessage {
    /// The sender's phone digits (absent for username-only users).
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub from_user_id: Option<String>,
    /// The WhatsApp message id (`wamid.…`).
    pub id: String,
    #[serde(deserialize_with = "string_or_number")]
    pub timestamp: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub context: Option<Value>,
    #[serde(default)]
    pub referral: Option<Value>,
    #[serde(default)]
    pub errors: Vec<WaError>,
    /// Everything else, including the per-type object.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl InboundMessage {
    /// The per-type object (`{"body": …}` for text, `{"id", "mime_type"…}` for media…).
    pub fn content(&self) -> Option<&Value> {
        self.rest.get(&self.kind)
    }

    /// Unix seconds of the message.
    pub fn timestamp_secs(&self) -> Option<i64> {
        self.timestamp.trim().parse().ok()
    }

    /// The text a person would read in a preview: the body, the caption, the tapped
    /// button or list row, the location's name, a reaction's emoji…
    pub fn preview_text(&self) -> Option<String> {
        let c = self.content()?;
        let s = |v: &Value| v.as_str().map(str::to_owned);
        match self.kind.as_str() {
            "text" => c.get("body").and_then(s),
            "image" | "video" | "document" => c.get("caption").and_then(s).or_else(|| c.get("filename").and_then(s)),
            "button" => c.get("text").and_then(s).or_else(|| c.get("payload").and_then(s)),
            "interactive" => {
                let kind = c.get("type").and_then(Value::as_str).unwrap_or_default();
                match kind {
                    "button_reply" | "list_reply" => c.get(kind).and_then(|r| r.get("title")).and_then(s),
                    "nfm_reply" => c.get(kind).and_then(|r| r.get("body")).and_then(s),
                    _ => None,
                }
            }
            "location" => c.get("name").and_then(s).or_else(|| c.get("address").and_then(s)),
            "reaction" => c.get("emoji").and_then(s),
            "contacts" => c.as_array().and_then(|a| a.first()).and_then(|first| first.get("name")).and_then(|n| n.get("formatted_name")).and_then(s),
            "order" => c.get("text").and_then(s),
            "system" => c.get("body").and_then(s),
            _ => None,
        }
    }

    /// The media id of an image, video, audio, document or sticker message.
    pub fn media_id(&self) -> Option<String> {
        match self.kind.as_str() {
            "image" | "video" | "audio" | "document" | "sticker" => self.content()?.get("id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }
    }
}

/// A status update of an outbound message.
#[derive(Debug, Clone, Deserialize)]
pub struct StatusUpdate {
    /// The outbound message's wamid.
    pub id: String,
    /// `sent`, `delivered`, `read`, `played` or `failed` (others are ignored).
    pub status: String,
    #[serde(deserialize_with = "string_or_number")]
    pub timestamp: String,
    #[serde(default)]
    pub recipient_id: Option<String>,
    /// Our own reference, echoed from the send (used to reconcile unknown outcomes).
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    #[serde(default)]
    pub pricing: Option<Value>,
    #[serde(default)]
    pub conversation: Option<Value>,
    #[serde(default)]
    pub errors: Vec<WaError>,
}

impl StatusUpdate {
    /// Unix seconds of the update.
    pub fn timestamp_secs(&self) -> Option<i64> {
        self.timestamp.trim().parse().ok()
    }
}

/// An error object as Meta puts it in webhooks.
#[derive(Debug, Clone, Deserialize)]
pub struct WaError {
    pub code: i64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_data: Option<Value>,
}

impl WaError {
    /// The most specific human text: details, else title, else message.
    pub fn describe(&self) -> String {
        self.error_data
            .as_ref()
            .and_then(|d| d.get("details"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| self.title.clone())
            .or_else(|| self.message.clone())
            .unwrap_or_else(|| format!("WhatsApp error {}", self.code))
    }
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("expected a string or number, got {other}"))),
    }
}

fn opt_i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INBOUND: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"900000000000001","changes":[{"field":"messages","value":{
      "messaging_product":"whatsapp",
      "metadata":{"display_phone_number":"15550001111","phone_number_id":"100000000000001"},
      "contacts":[{"profile":{"name":"Ana"},"wa_id":"5511999990000"}],
      "messages":[
        {"from":"5511999990000","id":"wamid.A1","timestamp":"1760000000","type":"text","text":{"body":"Ol\u00e1"},"context":{"from":"15550001111","id":"wamid.B1"}},
        {"from":"5511999990000","id":"wamid.A2","timestamp":"1760000005","type":"image","image":{"id":"777","mime_type":"image/jpeg","sha256":"x","caption":"receipt"}},
        {"from":"5511999990000","id":"wamid.A3","timestamp":"1760000009","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"opt_2","title":"Express"}}},
        {"from":"5511999990000","id":"wamid.A4","timestamp":1760000010,"type":"button","button":{"payload":"CONFIRM","text":"Confirm"}},
        {"from":"5511999990000","id":"wamid.A5","timestamp":"1760000011","type":"reaction","reaction":{"message_id":"wamid.B1","emoji":"\ud83d\udc4d"}},
        {"from":"5511999990000","id":"wamid.A6","timestamp":"1760000012","type":"location","location":{"latitude":1.5,"longitude":2.5,"name":"Office"}},
        {"from":"5511999990000","id":"wamid.A7","timestamp":"1760000013","type":"contacts","contacts":[{"name":{"formatted_name":"Bo Li"},"phones":[{"phone":"+1 555","type":"CELL"}]}]},
        {"from":"5511999990000","id":"wamid.A8","timestamp":"1760000014","type":"poll_vote","poll_vote":{"x":1},"brand_new_field":true}
      ]}}]}]}"#;

    fn messages(payload: &str) -> MessagesValue {
        let p: WebhookPayload = serde_json::from_str(payload).unwrap();
        p.entry[0].changes[0].messages().unwrap().unwrap()
    }

    #[test]
    fn every_inbound_type_parses_with_a_preview() {
        let v = messages(INBOUND);
        assert_eq!(v.metadata.phone_number_id, "100000000000001");
        assert_eq!(v.contacts[0].profile.as_ref().unwrap().name.as_deref(), Some("Ana"));
        let previews: Vec<Option<String>> = v.messages.iter().map(|m| m.preview_text()).collect();
        assert_eq!(
            previews,
            vec![
                Some("Olá".into()),
                Some("receipt".into()),
                Some("Express".into()),
                Some("Confirm".into()),
                Some("👍".into()),
                Some("Office".into()),
                Some("Bo Li".into()),
                None
            ]
        );
        assert_eq!(v.messages[1].media_id().as_deref(), Some("777"));
        assert_eq!(v.messages[3].timestamp_secs(), Some(1760000010), "numeric timestamps are accepted");
        assert_eq!(v.messages[7].kind, "poll_vote", "unknown types are kept, not dropped");
        assert!(v.messages[7].content().is_some());
    }

    #[test]
    fn a_username_only_sender_has_no_phone_but_parses() {
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
          "metadata":{"phone_number_id":"100"},
          "contacts":[{"profile":{"name":"Hidden","username":"@hid"},"user_id":"US.1234"}],
          "messages":[{"from_user_id":"US.1234","id":"wamid.U1","timestamp":"1760000000","type":"text","text":{"body":"hi"}}]}}]}]}"#;
        let v = messages(body);
        assert!(v.messages[0].from.is_none());
        assert_eq!(v.messages[0].from_user_id.as_deref(), Some("US.1234"));
        assert_eq!(v.contacts[0].user_id.as_deref(), Some("US.1234"));
    }

    #[test]
    fn statuses_and_their_errors_parse() {
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
          "metadata":{"phone_number_id":"100"},
          "statuses":[{"id":"wamid.O1","status":"failed","timestamp":"1760000200","recipient_id":"5511","biz_opaque_callback_data":"msg-1",
            "errors":[{"code":131047,"title":"Re-engagement message","error_data":{"details":"More than 24 hours"}}]}]}}]}]}"#;
        let v = messages(body);
        let s = &v.statuses[0];
        assert_eq!((s.status.as_str(), s.biz_opaque_callback_data.as_deref()), ("failed", Some("msg-1")));
        assert_eq!(s.errors[0].code, 131047);
        assert_eq!(s.errors[0].describe(), "More than 24 hours");
    }

    #[test]
    fn other_fields_are_not_messages() {
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","time":1751250234,"changes":[{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":1689556908129832}}]}]}"#;
        let p: WebhookPayload = serde_json::from_str(body).unwrap();
        assert_eq!(p.entry[0].time, Some(1751250234));
        assert!(p.entry[0].changes[0].messages().is_none());
    }

    #[test]
    fn a_messages_change_without_metadata_is_an_error_not_a_panic() {
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[]}}]}]}"#;
        let p: WebhookPayload = serde_json::from_str(body).unwrap();
        assert!(p.entry[0].changes[0].messages().unwrap().is_err());
    }
}
