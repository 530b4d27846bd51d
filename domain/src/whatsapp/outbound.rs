//! What a business can send (Meta's Cloud API messages reference), checked against Meta's limits before it
//! is queued, and turned into the exact Cloud API request body.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The kinds of media message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    /// The name Meta uses (`image`, `video`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }
}

/// One outbound message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundContent {
    Text {
        body: String,
        #[serde(default)]
        preview_url: bool,
    },
    Media {
        kind: MediaKind,
        /// An uploaded media id…
        #[serde(default)]
        id: Option<String>,
        /// …or an https link Meta fetches.
        #[serde(default)]
        link: Option<String>,
        #[serde(default)]
        caption: Option<String>,
        #[serde(default)]
        filename: Option<String>,
    },
    Template {
        name: String,
        /// Language code such as `en_US`.
        language: String,
        /// Header/body/button parameter components in Cloud API form.
        #[serde(default)]
        components: Vec<Value>,
    },
    /// Reply buttons, a list, or a CTA URL, in Cloud API form (`{"type": "button", …}`).
    Interactive {
        interactive: Value,
    },
    Reaction {
        message_id: String,
        emoji: String,
    },
    Location {
        latitude: f64,
        longitude: f64,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        address: Option<String>,
    },
    Contacts {
        contacts: Vec<Value>,
    },
}

fn too_long(v: &str, max: usize, what: &str) -> Result<(), ParseError> {
    if v.chars().count() > max {
        Err(ParseError::new(format!("{what} must be at most {max} characters.")))
    } else {
        Ok(())
    }
}

fn text_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |acc, k| acc.get(*k)).and_then(Value::as_str)
}

impl OutboundContent {
    /// Checks Meta's documented limits, so an invalid message is refused before it is queued.
    pub fn validate(&self) -> Result<(), ParseError> {
        match self {
            OutboundContent::Text { body, .. } => {
                if body.trim().is_empty() {
                    return Err(ParseError::new("Text must not be empty."));
                }
                too_long(body, 4096, "Text")
            }
            OutboundContent::Media { kind, id, link, caption, filename } => {
                match (id.as_deref().filter(|s| !s.is_empty()), link.as_deref().filter(|s| !s.is_empty())) {
                    (Some(_), None) => {}
                    (None, Some(l)) if l.starts_with("https://") || l.starts_with("http://") => {}
                    _ => return Err(ParseError::new("Media needs either an uploaded media id or an http(s) link.")),
                }
                if let Some(c) = caption {
                    if matches!(kind, MediaKind::Audio | MediaKind::Sticker) {
                        return Err(ParseError::new("Audio and stickers cannot have a caption."));
                    }
                    too_long(c, 1024, "Caption")?;
                }
                if let Some(f) = filename {
                    too_long(f, 240, "File name")?;
                }
                Ok(())
            }
            OutboundContent::Template { name, language, components } => {
                let name_ok = !name.is_empty() && name.len() <= 512 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !name_ok {
                    return Err(ParseError::new("Template name must be lower-case letters, digits and underscores."));
                }
                if language.is_empty() || language.len() > 15 {
                    return Err(ParseError::new("Template language (such as en_US) is required."));
                }
                if components.iter().any(|c| c.get("type").and_then(Value::as_str).is_none()) {
                    return Err(ParseError::new("Every template component needs a type (header, body or button)."));
                }
                Ok(())
            }
            OutboundContent::Interactive { interactive } => validate_interactive(interactive),
            OutboundContent::Reaction { message_id, emoji } => {
                if message_id.is_empty() {
                    return Err(ParseError::new("A reaction needs the message id it reacts to."));
                }
                too_long(emoji, 8, "Emoji")
            }
            OutboundContent::Location { latitude, longitude, .. } => {
                if !(-90.0..=90.0).contains(latitude) || !(-180.0..=180.0).contains(longitude) {
                    return Err(ParseError::new("Latitude must be within ±90 and longitude within ±180."));
                }
                Ok(())
            }
            OutboundContent::Contacts { contacts } => {
                if contacts.is_empty() || contacts.len() > 257 {
                    return Err(ParseError::new("Send 1 to 257 contact cards."));
                }
                if contacts.iter().any(|c| text_at(c, &["name", "formatted_name"]).is_none()) {
                    return Err(ParseError::new("Every contact card needs name.formatted_name."));
                }
                Ok(())
            }
        }
    }

    /// The WhatsApp message type.
    pub fn wa_type(&self) -> &'static str {
        match self {
            OutboundContent::Text { .. } => "text",
            OutboundContent::Media { kind, .. } => kind.as_str(),
            OutboundContent::Template { .. } => "template",
            OutboundContent::Interactive { .. } => "interactive",
            OutboundContent::Reaction { .. } => "reaction",
            OutboundContent::Location { .. } => "location",
            OutboundContent::Contacts { .. } => "contacts",
        }
    }

    /// Whether it may only be sent inside the 24-hour window: everything but templates.
    pub fn needs_open_window(&self) -> bool {
        !matches!(self, OutboundContent::Template { .. })
    }

    /// The text shown in lists and previews.
    pub fn preview_text(&self) -> Option<String> {
        match self {
            OutboundContent::Text { body, .. } => Some(body.clone()),
            OutboundContent::Media { caption, filename, .. } => caption.clone().or_else(|| filename.clone()),
            OutboundContent::Template { name, components, .. } => {
                let values: Vec<&str> =
                    components.iter().flat_map(|c| c["parameters"].as_array().into_iter().flatten()).filter_map(|p| p["text"].as_str()).collect();
                Some(if values.is_empty() { format!("Template: {name}") } else { format!("Template: {name} ({})", values.join(", ")) })
            }
            OutboundContent::Interactive { interactive } => text_at(interactive, &["body", "text"]).map(str::to_owned),
            OutboundContent::Reaction { emoji, .. } => Some(emoji.clone()),
            OutboundContent::Location { name, address, .. } => name.clone().or_else(|| address.clone()),
            OutboundContent::Contacts { contacts } => contacts.first().and_then(|c| text_at(c, &["name", "formatted_name"])).map(str::to_owned),
        }
    }

    /// The type-specific object, as stored with the message and rendered later.
    pub fn wire_object(&self) -> Value {
        match self {
            OutboundContent::Text { body, preview_url } => json!({ "body": body, "preview_url": preview_url }),
            OutboundContent::Media { kind, id, link, caption, filename } => {
                let mut o = serde_json::Map::new();
                if let Some(id) = id {
                    o.insert("id".into(), json!(id));
                }
                if let Some(l) = link {
                    o.insert("link".into(), json!(l));
                }
                if let Some(c) = caption {
                    o.insert("caption".into(), json!(c));
                }
                if let (MediaKind::Document, Some(f)) = (kind, filename) {
                    o.insert("filename".into(), json!(f));
                }
                Value::Object(o)
            }
            OutboundContent::Template { name, language, components } => {
                json!({ "name": name, "language": { "code": language, "policy": "deterministic" }, "components": components })
            }
            OutboundContent::Interactive { interactive } => interactive.clone(),
            OutboundContent::Reaction { message_id, emoji } => json!({ "message_id": message_id, "emoji": emoji }),
            OutboundContent::Location { latitude, longitude, name, address } => {
                json!({ "latitude": latitude, "longitude": longitude, "name": name, "address": address })
            }
            OutboundContent::Contacts { contacts } => Value::Array(contacts.clone()),
        }
    }

    /// The full `POST /{phone-number-id}/messages` body. `callback` is echoed by Meta in
    /// status webhooks (`biz_opaque_callback_data`): MCE puts its message id there.
    pub fn wire_body(&self, to_digits: &str, callback: &str) -> Value {
        let mut body = json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to_digits, "type": self.wa_type() });
        body[self.wa_type()] = self.wire_object();
        if !matches!(self, OutboundContent::Reaction { .. }) {
            body["biz_opaque_callback_data"] = json!(callback);
        }
        body
    }
}

fn validate_interactive(v: &Value) -> Result<(), ParseError> {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
    let body = text_at(v, &["body", "text"]);
    match kind {
        "button" => {
            too_long(body.ok_or_else(|| ParseError::new("Buttons need body.text."))?, 1024, "Body")?;
            let buttons =
                v.get("action").and_then(|a| a.get("buttons")).and_then(Value::as_array).ok_or_else(|| ParseError::new("Buttons need action.buttons."))?;
            if buttons.is_empty() || buttons.len() > 3 {
                return Err(ParseError::new("Send 1 to 3 reply buttons."));
            }
            let mut titles = std::collections::HashSet::new();
            for b in buttons {
                let title = text_at(b, &["reply", "title"]).ok_or_else(|| ParseError::new("Every button needs reply.id and reply.title."))?;
                text_at(b, &["reply", "id"]).ok_or_else(|| ParseError::new("Every button needs reply.id and reply.title."))?;
                too_long(title, 20, "A button title")?;
                if !titles.insert(title) {
                    return Err(ParseError::new("Button titles must be unique."));
                }
            }
            Ok(())
        }
        "list" => {
            too_long(body.ok_or_else(|| ParseError::new("A list needs body.text."))?, 4096, "Body")?;
            let action = v.get("action").ok_or_else(|| ParseError::new("A list needs action.button and action.sections."))?;
            too_long(text_at(action, &["button"]).ok_or_else(|| ParseError::new("A list needs action.button."))?, 20, "The list button")?;
            let sections = action.get("sections").and_then(Value::as_array).ok_or_else(|| ParseError::new("A list needs action.sections."))?;
            let rows: usize = sections.iter().map(|s| s.get("rows").and_then(Value::as_array).map(Vec::len).unwrap_or(0)).sum();
            if sections.is_empty() || sections.len() > 10 || rows == 0 || rows > 10 {
                return Err(ParseError::new("A list has 1 to 10 sections with 1 to 10 rows in all."));
            }
            for row in sections.iter().filter_map(|s| s.get("rows").and_then(Value::as_array)).flatten() {
                too_long(text_at(row, &["title"]).ok_or_else(|| ParseError::new("Every row needs an id and a title."))?, 24, "A row title")?;
                text_at(row, &["id"]).ok_or_else(|| ParseError::new("Every row needs an id and a title."))?;
            }
            Ok(())
        }
        "cta_url" => {
            too_long(body.ok_or_else(|| ParseError::new("A CTA needs body.text."))?, 1024, "Body")?;
            let p = v.get("action").and_then(|a| a.get("parameters")).ok_or_else(|| ParseError::new("A CTA needs action.parameters."))?;
            too_long(text_at(p, &["display_text"]).ok_or_else(|| ParseError::new("A CTA needs display_text."))?, 20, "The CTA text")?;
            let url = text_at(p, &["url"]).unwrap_or_default();
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(ParseError::new("A CTA needs an http(s) url."));
            }
            Ok(())
        }
        _ => Err(ParseError::new("Interactive type must be button, list or cta_url.")),
    }
}

/// The body component of a template from its `{{1}}`, `{{2}}`… values, one per line as
/// the inbox's template picker takes them. Blank lines are skipped; tabs become spaces
/// (Meta refuses parameters with new lines or tabs, error 132018). No values, no component.
pub fn body_parameters(lines: &str) -> Vec<Value> {
    let params: Vec<Value> = lines
        .lines()
        .map(|l| l.replace('\t', " ").trim().to_owned())
        .filter(|l| !l.is_empty())
        .map(|text| serde_json::json!({"type": "text", "text": text}))
        .collect();
    if params.is_empty() {
        Vec::new()
    } else {
        vec![serde_json::json!({"type": "body", "parameters": params})]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_becomes_the_cloud_api_body_with_our_callback() {
        let c = OutboundContent::Text { body: "Hi".into(), preview_url: false };
        c.validate().unwrap();
        let b = c.wire_body("5511999990000", "msg-1");
        assert_eq!(b["messaging_product"], "whatsapp");
        assert_eq!(b["to"], "5511999990000");
        assert_eq!(b["type"], "text");
        assert_eq!(b["text"]["body"], "Hi");
        assert_eq!(b["biz_opaque_callback_data"], "msg-1");
        assert!(c.needs_open_window());
    }

    #[test]
    fn templates_carry_language_and_components_and_may_go_outside_the_window() {
        let c = OutboundContent::Template {
            name: "order_update".into(),
            language: "en_US".into(),
            components: vec![json!({"type": "body", "parameters": [{"type": "text", "text": "Jessica"}]})],
        };
        c.validate().unwrap();
        assert!(!c.needs_open_window());
        let b = c.wire_body("1", "m");
        assert_eq!(b["template"]["language"]["code"], "en_US");
        assert_eq!(b["template"]["components"][0]["parameters"][0]["text"], "Jessica");
        assert!(OutboundContent::Template { name: "Bad Name".into(), language: "en".into(), components: vec![] }.validate().is_err());
    }

    #[test]
    fn limits_are_enforced_before_queueing() {
        assert!(OutboundContent::Text { body: "x".repeat(4097), preview_url: false }.validate().is_err());
        assert!(OutboundContent::Text { body: "  ".into(), preview_url: false }.validate().is_err());
        let media = |id: Option<&str>, link: Option<&str>| OutboundContent::Media {
            kind: MediaKind::Image,
            id: id.map(Into::into),
            link: link.map(Into::into),
            caption: None,
            filename: None,
        };
        assert!(media(Some("123"), None).validate().is_ok());
        assert!(media(None, Some("https://x.test/a.jpg")).validate().is_ok());
        assert!(media(None, None).validate().is_err());
        assert!(media(Some("1"), Some("https://x")).validate().is_err());
        assert!(OutboundContent::Location { latitude: 91.0, longitude: 0.0, name: None, address: None }.validate().is_err());
    }

    #[test]
    fn interactive_messages_are_checked_against_metas_shapes() {
        let buttons = |n: usize| json!({"type": "button", "body": {"text": "Pick"}, "action": {"buttons": (0..n).map(|i| json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": format!("Option {i}")}})).collect::<Vec<_>>()}});
        assert!(OutboundContent::Interactive { interactive: buttons(3) }.validate().is_ok());
        assert!(OutboundContent::Interactive { interactive: buttons(4) }.validate().is_err());
        let list = json!({"type": "list", "body": {"text": "Choose"}, "action": {"button": "Options", "sections": [{"title": "S", "rows": [{"id": "r1", "title": "Express"}]}]}});
        assert!(OutboundContent::Interactive { interactive: list }.validate().is_ok());
        let cta = json!({"type": "cta_url", "body": {"text": "See"}, "action": {"name": "cta_url", "parameters": {"display_text": "Open", "url": "https://example.com"}}});
        let c = OutboundContent::Interactive { interactive: cta };
        assert!(c.validate().is_ok());
        assert_eq!(c.preview_text().as_deref(), Some("See"));
        assert!(OutboundContent::Interactive { interactive: json!({"type": "carousel"}) }.validate().is_err());
    }

    #[test]
    fn reactions_are_not_given_callback_data() {
        let r = OutboundContent::Reaction { message_id: "wamid.IN1".into(), emoji: "👍".into() };
        assert!(r.wire_body("1", "m").get("biz_opaque_callback_data").is_none());
    }

    #[test]
    fn template_variables_one_per_line_become_the_body_parameters() {
        let c = body_parameters("Ana\n\n  42\tkg \n");
        assert_eq!(c, vec![serde_json::json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "42 kg"}]})]);
        assert!(body_parameters(" \n").is_empty());
        let t = OutboundContent::Template { name: "order_update".into(), language: "en_US".into(), components: c };
        assert!(t.validate().is_ok());
        assert_eq!(t.preview_text().as_deref(), Some("Template: order_update (Ana, 42 kg)"));
    }
}
