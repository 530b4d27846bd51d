//! Message templates (TPL-1): what a template holds, Meta's rules for it (checked in the
//! builder as you type and again by the server, from this one module), its component
//! JSON in Meta's shape (WHATSAPP.md §4.2), what the phone preview shows, and the
//! parameters a send carries (WHATSAPP.md §2.1 `template`).
//!
//! A template's content is kept as [`TemplateContent`] in the browser and as Meta's
//! component JSON in the database and on the wire; [`TemplateContent::to_components`] and
//! [`TemplateContent::from_components`] go between the two.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Longest template name Meta takes.
pub const NAME_MAX: usize = 512;
/// Longest text header.
pub const HEADER_TEXT_MAX: usize = 60;
/// Longest body.
pub const BODY_MAX: usize = 1024;
/// Longest footer.
pub const FOOTER_MAX: usize = 60;
/// Most buttons on one template.
pub const BUTTONS_MAX: usize = 10;
/// Most URL buttons.
pub const URL_BUTTONS_MAX: usize = 2;
/// Most phone-number buttons.
pub const PHONE_BUTTONS_MAX: usize = 1;
/// Most copy-code buttons.
pub const COPY_CODE_BUTTONS_MAX: usize = 1;
/// Longest button label.
pub const BUTTON_TEXT_MAX: usize = 25;
/// Longest button URL.
pub const URL_MAX: usize = 2000;
/// Longest copy-code example (the offer code).
pub const COPY_CODE_MAX: usize = 15;
/// Longest phone number on a call button.
pub const PHONE_MAX: usize = 20;
/// Longest variable value at send time (Meta's body parameter limit is the body's own).
pub const VALUE_MAX: usize = 1024;

/// A template category (Meta decides the final one: the stored category is the one Meta
/// returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    Marketing,
    Utility,
    Authentication,
}

impl Category {
    /// Every category, in Meta's order.
    pub const ALL: [Category; 3] = [Category::Marketing, Category::Utility, Category::Authentication];

    /// Meta's spelling: `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Marketing => "MARKETING",
            Category::Utility => "UTILITY",
            Category::Authentication => "AUTHENTICATION",
        }
    }

    /// Parses Meta's spelling, in any case.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// For people: "Marketing", "Utility", "Authentication".
    pub fn label(self) -> &'static str {
        match self {
            Category::Marketing => "Marketing",
            Category::Utility => "Utility",
            Category::Authentication => "Authentication",
        }
    }
}

/// How variables are written: `{{1}}`, `{{2}}`… or `{{first_name}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParameterFormat {
    #[default]
    Positional,
    Named,
}

impl ParameterFormat {
    /// `positional` or `named`, as Meta's create call takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterFormat::Positional => "positional",
            ParameterFormat::Named => "named",
        }
    }

    /// Parses `positional`/`named` in any case (Meta lists them in capitals).
    pub fn parse(s: &str) -> Option<ParameterFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "positional" => Some(ParameterFormat::Positional),
            "named" => Some(ParameterFormat::Named),
            _ => None,
        }
    }
}

/// The kind of file a media header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaFormat {
    Image,
    Video,
    Document,
}

impl MediaFormat {
    /// Meta's `format`: `IMAGE`, `VIDEO`, `DOCUMENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaFormat::Image => "IMAGE",
            MediaFormat::Video => "VIDEO",
            MediaFormat::Document => "DOCUMENT",
        }
    }

    /// The send parameter's type: `image`, `video`, `document`.
    pub fn send_type(self) -> &'static str {
        match self {
            MediaFormat::Image => "image",
            MediaFormat::Video => "video",
            MediaFormat::Document => "document",
        }
    }
}

/// A template's header.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Header {
    #[default]
    None,
    /// Up to [`HEADER_TEXT_MAX`] characters with at most one variable, whose example is
    /// `example` (empty when the text has no variable).
    Text { text: String, example: String },
    /// A file: `handle` is the example handle Meta's resumable upload returned (`4::aW…`),
    /// `preview_url` where the builder shows the file (ours; not sent to Meta).
    Media {
        format: MediaFormat,
        handle: String,
        #[serde(default)]
        preview_url: Option<String>,
    },
}

/// One button of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TemplateButton {
    /// Sends its label back as the customer's reply.
    QuickReply { text: String },
    /// Opens `url`; a URL ending in `{{1}}` takes a suffix at send time, shown in the
    /// preview as `example`.
    Url { text: String, url: String, example: String },
    /// Calls `phone_number` (E.164 with `+`).
    Phone { text: String, phone_number: String },
    /// Copies an offer code; `example` is a sample code.
    CopyCode { example: String },
}

impl TemplateButton {
    /// Meta's button type: `QUICK_REPLY`, `URL`, `PHONE_NUMBER`, `COPY_CODE`.
    pub fn meta_type(&self) -> &'static str {
        match self {
            TemplateButton::QuickReply { .. } => "QUICK_REPLY",
            TemplateButton::Url { .. } => "URL",
            TemplateButton::Phone { .. } => "PHONE_NUMBER",
            TemplateButton::CopyCode { .. } => "COPY_CODE",
        }
    }

    /// The label WhatsApp shows (`Copy offer code` for a copy-code button).
    pub fn label(&self) -> &str {
        match self {
            TemplateButton::QuickReply { text } | TemplateButton::Url { text, .. } | TemplateButton::Phone { text, .. } => text,
            TemplateButton::CopyCode { .. } => "Copy offer code",
        }
    }
}

/// What a template says: header, body with its variables' examples, footer, buttons.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TemplateContent {
    #[serde(default)]
    pub header: Header,
    pub body: String,
    /// One example per body variable, in the order the variables first appear.
    #[serde(default)]
    pub body_examples: Vec<String>,
    /// Empty for none.
    #[serde(default)]
    pub footer: String,
    #[serde(default)]
    pub buttons: Vec<TemplateButton>,
}

/// Where a variable sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "in", content = "index", rename_all = "snake_case")]
pub enum Place {
    Header,
    Body,
    /// The URL suffix or the offer code of the button at this index.
    Button(usize),
}

/// A variable a send must fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    pub place: Place,
    /// `1`, `2`… (positional) or `first_name` (named); `code` for a copy-code button,
    /// `1` for a URL suffix.
    pub name: String,
    /// The template's example for it.
    pub example: String,
}

/// A broken rule, with the form field it belongs to (`name`, `language`, `category`,
/// `header`, `body`, `footer`, `buttons`) and, for buttons, which one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    pub field: String,
    /// The button's index, for a rule about one button.
    pub index: Option<usize>,
    pub message: String,
}

impl RuleError {
    /// A broken rule about `field`.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), index: None, message: message.into() }
    }

    /// A broken rule about button `index`.
    pub fn button(index: usize, message: impl Into<String>) -> Self {
        Self { field: "buttons".to_owned(), index: Some(index), message: message.into() }
    }
}

/// Everything a template is made of, as the builder submits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateDraft {
    pub name: String,
    pub language: String,
    pub category: Category,
    #[serde(default)]
    pub parameter_format: ParameterFormat,
    pub content: TemplateContent,
}

impl TemplateDraft {
    /// Checks every rule (name, language, then the content), the first broken one
    /// returned.
    pub fn validate(&self) -> Result<(), RuleError> {
        check_name(&self.name)?;
        check_language(&self.language)?;
        self.content.validate(self.parameter_format)
    }
}

/// What a send fills in: the values of the variables and the header's file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TemplateValues {
    /// The text header's variable.
    #[serde(default)]
    pub header: Option<String>,
    /// Body variables by name (`1`, `2`… or `first_name`).
    #[serde(default)]
    pub body: BTreeMap<String, String>,
    /// The URL suffix or offer code of each button that takes one, by button index.
    #[serde(default)]
    pub buttons: BTreeMap<usize, String>,
    /// The media header's file for this send.
    #[serde(default)]
    pub media: Option<MediaRef>,
}

/// A file for a media header: an uploaded media id or an https link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaRef {
    Id(String),
    Link(String),
}

/// What the phone preview (and the inbox, and the sandbox phone) shows of a template,
/// variables filled in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Rendered {
    /// The header's text, for a text header.
    pub header_text: Option<String>,
    /// The header's file kind, for a media header.
    pub header_media: Option<MediaFormat>,
    pub body: String,
    pub footer: Option<String>,
    /// Each button's label and Meta type, in order.
    pub buttons: Vec<(String, String)>,
}

/// Meta's template languages: code and name (the builder's language list).
pub const LANGUAGES: &[(&str, &str)] = &[
    ("af", "Afrikaans"),
    ("sq", "Albanian"),
    ("ar", "Arabic"),
    ("az", "Azerbaijani"),
    ("bn", "Bengali"),
    ("bg", "Bulgarian"),
    ("ca", "Catalan"),
    ("zh_CN", "Chinese (CHN)"),
    ("zh_HK", "Chinese (HKG)"),
    ("zh_TW", "Chinese (TAI)"),
    ("hr", "Croatian"),
    ("cs", "Czech"),
    ("da", "Danish"),
    ("nl", "Dutch"),
    ("en", "English"),
    ("en_GB", "English (UK)"),
    ("en_US", "English (US)"),
    ("et", "Estonian"),
    ("fil", "Filipino"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("ka", "Georgian"),
    ("de", "German"),
    ("el", "Greek"),
    ("gu", "Gujarati"),
    ("ha", "Hausa"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("id", "Indonesian"),
    ("ga", "Irish"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("kn", "Kannada"),
    ("kk", "Kazakh"),
    ("rw_RW", "Kinyarwanda"),
    ("ko", "Korean"),
    ("ky_KG", "Kyrgyz (Kyrgyzstan)"),
    ("lo", "Lao"),
    ("lv", "Latvian"),
    ("lt", "Lithuanian"),
    ("mk", "Macedonian"),
    ("ms", "Malay"),
    ("ml", "Malayalam"),
    ("mr", "Marathi"),
    ("nb", "Norwegian"),
    ("fa", "Persian"),
    ("pl", "Polish"),
    ("pt_BR", "Portuguese (BR)"),
    ("pt_PT", "Portuguese (POR)"),
    ("pa", "Punjabi"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("sr", "Serbian"),
    ("sk", "Slovak"),
    ("sl", "Slovenian"),
    ("es", "Spanish"),
    ("es_AR", "Spanish (ARG)"),
    ("es_MX", "Spanish (MEX)"),
    ("es_ES", "Spanish (SPA)"),
    ("sw", "Swahili"),
    ("sv", "Swedish"),
    ("ta", "Tamil"),
    ("te", "Telugu"),
    ("th", "Thai"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("ur", "Urdu"),
    ("uz", "Uzbek"),
    ("vi", "Vietnamese"),
    ("zu", "Zulu"),
];

/// The English name of a language code of [`LANGUAGES`] (`en_US` → `English (US)`).
pub fn language_name(code: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|(c, _)| *c == code).map(|(_, name)| *name)
}

/// Checks a template name: `^[a-z0-9_]+$`, 1 to [`NAME_MAX`] characters.
pub fn check_name(name: &str) -> Result<(), RuleError> {
    let err = |m: &str| Err(RuleError::new("name", m));
    if name.is_empty() {
        return err("Give the template a name.");
    }
    if name.chars().count() > NAME_MAX {
        return Err(RuleError::new("name", format!("The name is too long: at most {NAME_MAX} characters.")));
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return err("Names use only lowercase letters, digits and underscores, like order_update.");
    }
    Ok(())
}

/// A valid template name made from free text, for the builder to suggest: lowercased,
/// spaces, dashes and dots turned into underscores, anything else dropped, cut to
/// [`NAME_MAX`] (`"Order update - v2"` → `order_update_v2`). Empty when nothing is left.
pub fn suggest_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if (c == '_' || c == '-' || c == '.' || c.is_whitespace()) && !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out.truncate(NAME_MAX);
    out
}

/// Checks a language code is one of [`LANGUAGES`].
pub fn check_language(code: &str) -> Result<(), RuleError> {
    if code.trim().is_empty() {
        return Err(RuleError::new("language", "Choose a language."));
    }
    match language_name(code) {
        Some(_) => Ok(()),
        None => Err(RuleError::new("language", format!("\u{201c}{code}\u{201d} is not a language WhatsApp templates support."))),
    }
}

/// A piece of a text with variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    /// Plain text.
    Text(&'a str),
    /// A well-formed variable: its name, `1` or `first_name`.
    Var(&'a str),
    /// Braces that look like a variable but are not one: `{{ 1 }}`, `{{}}`, `{1}`, `{{{1}}}`.
    Bad(&'a str),
}

/// `1`, `2`…: digits only.
fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `first_name`: `^[a-z][a-z0-9_]*$`.
fn is_param_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z')) && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Splits `text` into plain text, variables and malformed braces.
fn pieces<'a>(text: &'a str) -> Vec<Piece<'a>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut start) = (0, 0);
    let flush = |out: &mut Vec<Piece<'a>>, from: usize, to: usize| {
        if to > from {
            out.push(Piece::Text(&text[from..to]));
        }
    };
    while i < b.len() {
        let opening = b[i..].iter().take_while(|&&c| c == b'{').count();
        if opening >= 2 {
            flush(&mut out, start, i);
            let inner_start = i + opening;
            let Some(off) = text[inner_start..].find("}}") else {
                out.push(Piece::Bad(&text[i..]));
                return out;
            };
            let inner_end = inner_start + off;
            let closing = b[inner_end..].iter().take_while(|&&c| c == b'}').count();
            let end = inner_end + closing;
            let inner = &text[inner_start..inner_end];
            let good = opening == 2 && closing == 2 && (is_number(inner) || is_param_name(inner));
            out.push(if good { Piece::Var(inner) } else { Piece::Bad(&text[i..end]) });
            i = end;
            start = i;
        } else if opening == 1 {
            // `{1}` or `{name}`: a variable with one brace missing.
            let rest = &text[i + 1..];
            let single = rest
                .find('}')
                .map(|off| &rest[..off])
                .filter(|inner| !inner.trim().is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' '));
            match single {
                Some(inner) => {
                    flush(&mut out, start, i);
                    let end = i + 1 + inner.len() + 1;
                    out.push(Piece::Bad(&text[i..end]));
                    i = end;
                    start = i;
                }
                None => i += 1,
            }
        } else if b[i] == b'}' && b.get(i + 1) == Some(&b'}') {
            flush(&mut out, start, i);
            let end = i + b[i..].iter().take_while(|&&c| c == b'}').count();
            out.push(Piece::Bad(&text[i..end]));
            i = end;
            start = i;
        } else {
            i += 1;
        }
    }
    flush(&mut out, start, b.len());
    out
}

/// The well-formed variables of `text`, each once, in the order they first appear.
fn distinct_vars(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for p in pieces(text) {
        if let Piece::Var(name) = p {
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// `text` with each variable replaced by `fill(name)` (malformed braces kept as written).
fn fill(text: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    for p in pieces(text) {
        match p {
            Piece::Text(t) | Piece::Bad(t) => out.push_str(t),
            Piece::Var(name) => out.push_str(&value(name)),
        }
    }
    out
}

/// How variables are written in `format`, for messages.
fn syntax_hint(format: ParameterFormat) -> &'static str {
    match format {
        ParameterFormat::Positional => "Variables are written {{1}}, {{2}}\u{2026}",
        ParameterFormat::Named => "Variables are written like {{first_name}}: lowercase letters, digits and underscores, starting with a letter.",
    }
}

/// Checks every variable of `text` is well formed and of `format`; returns the distinct
/// ones in order, or the message of the first broken rule.
fn checked_vars(text: &str, format: ParameterFormat) -> Result<Vec<&str>, String> {
    for p in pieces(text) {
        match p {
            Piece::Bad(bad) => return Err(format!("\u{201c}{bad}\u{201d} is not a variable. {}", syntax_hint(format))),
            Piece::Var(name) if format == ParameterFormat::Positional && !is_number(name) => {
                return Err(format!("This template numbers its variables: write {{{{1}}}}, {{{{2}}}}\u{2026} instead of {{{{{name}}}}}."));
            }
            Piece::Var(name) if format == ParameterFormat::Named && is_number(name) => {
                return Err(format!("This template names its variables: write a name like {{{{first_name}}}} instead of {{{{{name}}}}}."));
            }
            _ => {}
        }
    }
    Ok(distinct_vars(text))
}

/// Checks the example of variable `name`: given, at most [`VALUE_MAX`], one line.
fn check_example(example: &str, name: &str) -> Result<(), String> {
    if example.trim().is_empty() {
        return Err(format!("Give an example for {{{{{name}}}}}."));
    }
    if example.chars().count() > VALUE_MAX {
        return Err(format!("The example for {{{{{name}}}}} is too long: at most {VALUE_MAX} characters."));
    }
    if has_line_break(example) {
        return Err(format!("The example for {{{{{name}}}}} can't have line breaks."));
    }
    Ok(())
}

fn has_line_break(s: &str) -> bool {
    s.contains(['\n', '\r'])
}

/// Whether a URL button's link takes a suffix at send time (ends in `{{1}}`).
fn url_is_dynamic(url: &str) -> bool {
    url.trim_end().ends_with("{{1}}")
}

/// Checks a button label: 1 to [`BUTTON_TEXT_MAX`] characters, one line, no variables.
fn check_label(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("Give the button a label.".to_owned());
    }
    let n = text.chars().count();
    if n > BUTTON_TEXT_MAX {
        return Err(format!("The button label is too long: {n} characters, at most {BUTTON_TEXT_MAX}."));
    }
    if has_line_break(text) {
        return Err("A button label can't have line breaks.".to_owned());
    }
    if pieces(text).iter().any(|p| !matches!(p, Piece::Text(_))) {
        return Err("A button label can't have variables.".to_owned());
    }
    Ok(())
}

/// Checks a URL button's link and, when it takes a suffix, the suffix's example.
fn check_url(url: &str, example: &str) -> Result<(), String> {
    if url.trim().is_empty() {
        return Err("Give the button's link.".to_owned());
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) else {
        return Err("The link must start with https:// (or http://).".to_owned());
    };
    if url.chars().count() > URL_MAX {
        return Err(format!("The link is too long: at most {URL_MAX} characters."));
    }
    if url.chars().any(char::is_whitespace) {
        return Err("A link can't have spaces.".to_owned());
    }
    let base = url.strip_suffix("{{1}}").unwrap_or(url);
    if base.contains(['{', '}']) {
        return Err("A link can take one variable, {{1}}, and only at its end.".to_owned());
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains("{{") {
        return Err("The link needs a website address after https://.".to_owned());
    }
    if base.len() != url.len() {
        if example.trim().is_empty() {
            return Err("Give an example of the link's ending for {{1}}.".to_owned());
        }
        if example.chars().count() > URL_MAX {
            return Err(format!("The example of the link's ending is too long: at most {URL_MAX} characters."));
        }
        if has_line_break(example) {
            return Err("The example of the link's ending can't have line breaks.".to_owned());
        }
    }
    Ok(())
}

/// Checks a call button's number: `+` and 7 to 15 digits.
fn check_phone(number: &str) -> Result<(), String> {
    let digits = number.strip_prefix('+').unwrap_or_default();
    let ok = number.len() <= PHONE_MAX && (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err("Write the phone number with + and its country code, like +5511999990000.".to_owned())
    }
}

/// Checks an offer code: 1 to [`COPY_CODE_MAX`] letters and digits.
fn check_code(code: &str) -> Result<(), String> {
    if code.trim().is_empty() {
        return Err("Give a sample offer code.".to_owned());
    }
    if code.chars().count() > COPY_CODE_MAX {
        return Err(format!("The offer code is too long: at most {COPY_CODE_MAX} characters."));
    }
    if !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("The offer code can only have letters and digits.".to_owned());
    }
    Ok(())
}

/// A value as a send carries it: every run of whitespace (tabs and line breaks included)
/// made one space, and trimmed, since Meta refuses parameters with line breaks, tabs or
/// more than four spaces in a row (error 132018).
pub fn normalize_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Percent-encodes everything but the unreserved characters `A-Za-z0-9-._~` (RFC 3986),
/// as a URL button's suffix is sent.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A send value: given, normalised, at most `max` characters.
fn send_value(value: Option<&String>, max: usize, missing: impl FnOnce() -> String) -> Result<String, String> {
    let v = value.map(|v| normalize_value(v)).unwrap_or_default();
    if v.is_empty() {
        return Err(missing());
    }
    if v.chars().count() > max {
        return Err(format!("{} is too long: at most {max} characters.", quoted_start(&v)));
    }
    Ok(v)
}

/// The first words of a value, quoted, for a message.
fn quoted_start(v: &str) -> String {
    let head: String = v.chars().take(20).collect();
    if head.len() < v.len() {
        format!("\u{201c}{head}\u{2026}\u{201d}")
    } else {
        format!("\u{201c}{head}\u{201d}")
    }
}

/// A JSON value as text: strings as they are, numbers and booleans written out, anything
/// else empty.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// A field of an object, as text.
fn str_field(v: &Value, key: &str) -> String {
    v.get(key).map(text_of).unwrap_or_default()
}

/// A value or the first element of an array of them, as text.
fn first_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Array(a)) => a.first().map(first_text_value).unwrap_or_default(),
        Some(v) => text_of(v),
        None => String::new(),
    }
}

fn first_text_value(v: &Value) -> String {
    first_text(Some(v))
}

/// The example of `name` among `[{param_name, example}]`, or the first one's when no
/// name matches.
fn named_example(params: &Value, name: &str) -> Option<String> {
    let list = params.as_array()?;
    list.iter().find(|p| str_field(p, "param_name") == name).or(list.first()).map(|p| str_field(p, "example"))
}

/// Meta's media header format.
fn media_format(s: &str) -> Option<MediaFormat> {
    [MediaFormat::Image, MediaFormat::Video, MediaFormat::Document].into_iter().find(|f| f.as_str().eq_ignore_ascii_case(s))
}

impl TemplateContent {
    /// Every variable a send must fill, header first, then the body's in order, then the
    /// buttons'.
    pub fn variables(&self, format: ParameterFormat) -> Vec<Variable> {
        let _ = format;
        let mut out = Vec::new();
        if let Header::Text { text, example } = &self.header {
            if let Some(name) = distinct_vars(text).first() {
                out.push(Variable { place: Place::Header, name: (*name).to_owned(), example: example.clone() });
            }
        }
        for (i, name) in distinct_vars(&self.body).into_iter().enumerate() {
            let example = self.body_examples.get(i).cloned().unwrap_or_default();
            out.push(Variable { place: Place::Body, name: name.to_owned(), example });
        }
        for (i, b) in self.buttons.iter().enumerate() {
            match b {
                TemplateButton::Url { url, example, .. } if url_is_dynamic(url) => {
                    out.push(Variable { place: Place::Button(i), name: "1".to_owned(), example: example.clone() })
                }
                TemplateButton::CopyCode { example } => out.push(Variable { place: Place::Button(i), name: "code".to_owned(), example: example.clone() }),
                _ => {}
            }
        }
        out
    }

    /// Checks every Meta rule of the content (WHATSAPP.md §4.2), the first broken one
    /// returned.
    pub fn validate(&self, format: ParameterFormat) -> Result<(), RuleError> {
        self.check_header(format).map_err(|m| RuleError::new("header", m))?;
        self.check_body(format).map_err(|m| RuleError::new("body", m))?;
        self.check_footer().map_err(|m| RuleError::new("footer", m))?;
        self.check_buttons()
    }

    fn check_header(&self, format: ParameterFormat) -> Result<(), String> {
        match &self.header {
            Header::None => Ok(()),
            Header::Media { handle, .. } => {
                if handle.trim().is_empty() {
                    Err("Upload a sample file for the header.".to_owned())
                } else {
                    Ok(())
                }
            }
            Header::Text { text, example } => {
                if text.trim().is_empty() {
                    return Err("Write the header text, or choose no header.".to_owned());
                }
                let n = text.chars().count();
                if n > HEADER_TEXT_MAX {
                    return Err(format!("The header is too long: {n} characters, at most {HEADER_TEXT_MAX}."));
                }
                if has_line_break(text) {
                    return Err("The header can't have line breaks.".to_owned());
                }
                checked_vars(text, format)?;
                let vars: Vec<&str> = pieces(text).into_iter().filter_map(|p| if let Piece::Var(v) = p { Some(v) } else { None }).collect();
                if vars.len() > 1 {
                    return Err("The header can have only one variable.".to_owned());
                }
                match vars.first() {
                    Some(&name) if format == ParameterFormat::Positional && name != "1" => Err("The header's variable is written {{1}}.".to_owned()),
                    Some(&name) => check_example(example, name),
                    None => Ok(()),
                }
            }
        }
    }

    fn check_body(&self, format: ParameterFormat) -> Result<(), String> {
        let body = &self.body;
        if body.trim().is_empty() {
            return Err("Write the body text.".to_owned());
        }
        let n = body.chars().count();
        if n > BODY_MAX {
            return Err(format!("The body is too long: {n} characters, at most {BODY_MAX}."));
        }
        let vars = checked_vars(body, format)?;
        if format == ParameterFormat::Positional {
            for (i, name) in vars.iter().enumerate() {
                let want = (i + 1).to_string();
                if *name != want {
                    return Err(format!("Number the variables in order from {{{{1}}}}, without gaps: expected {{{{{want}}}}}, found {{{{{name}}}}}."));
                }
            }
        }
        let trimmed = pieces(body.trim());
        if let Some(Piece::Var(name)) = trimmed.first() {
            return Err(format!("The body can't start with a variable: add some text before {{{{{name}}}}}."));
        }
        if let Some(Piece::Var(name)) = trimmed.last() {
            return Err(format!("The body can't end with a variable: add some text after {{{{{name}}}}}."));
        }
        if self.body_examples.len() > vars.len() {
            return Err(format!("There are more examples ({}) than variables ({}).", self.body_examples.len(), vars.len()));
        }
        if let Some(name) = vars.get(self.body_examples.len()) {
            return Err(format!("Give an example for {{{{{name}}}}}."));
        }
        for (name, example) in vars.iter().zip(&self.body_examples) {
            check_example(example, name)?;
        }
        Ok(())
    }

    fn check_footer(&self) -> Result<(), String> {
        let n = self.footer.chars().count();
        if n > FOOTER_MAX {
            return Err(format!("The footer is too long: {n} characters, at most {FOOTER_MAX}."));
        }
        if pieces(&self.footer).iter().any(|p| !matches!(p, Piece::Text(_))) {
            return Err("The footer can't have variables.".to_owned());
        }
        Ok(())
    }

    fn check_buttons(&self) -> Result<(), RuleError> {
        let buttons = &self.buttons;
        if buttons.len() > BUTTONS_MAX {
            return Err(RuleError::new("buttons", format!("A template has at most {BUTTONS_MAX} buttons.")));
        }
        // Quick replies together: the run of quick replies and the run of the others
        // change over at most once.
        let quick = |b: &TemplateButton| matches!(b, TemplateButton::QuickReply { .. });
        let mut changes = 0;
        for i in 1..buttons.len() {
            if quick(&buttons[i]) != quick(&buttons[i - 1]) {
                changes += 1;
                if changes > 1 {
                    return Err(RuleError::button(i, "Keep the quick replies together: all before or all after the other buttons."));
                }
            }
        }
        let (mut urls, mut phones, mut codes) = (0, 0, 0);
        let mut labels: Vec<&str> = Vec::new();
        for (i, b) in buttons.iter().enumerate() {
            let err = |m: String| RuleError::button(i, m);
            match b {
                TemplateButton::QuickReply { text } => check_label(text).map_err(err)?,
                TemplateButton::Url { text, url, example } => {
                    urls += 1;
                    if urls > URL_BUTTONS_MAX {
                        return Err(err(format!("A template has at most {URL_BUTTONS_MAX} link buttons.")));
                    }
                    check_label(text).map_err(err)?;
                    check_url(url, example).map_err(err)?;
                }
                TemplateButton::Phone { text, phone_number } => {
                    phones += 1;
                    if phones > PHONE_BUTTONS_MAX {
                        return Err(err(format!("A template has at most {PHONE_BUTTONS_MAX} call button.")));
                    }
                    check_label(text).map_err(err)?;
                    check_phone(phone_number).map_err(err)?;
                }
                TemplateButton::CopyCode { example } => {
                    codes += 1;
                    if codes > COPY_CODE_BUTTONS_MAX {
                        return Err(err(format!("A template has at most {COPY_CODE_BUTTONS_MAX} copy-code button.")));
                    }
                    check_code(example).map_err(err)?;
                    continue;
                }
            }
            let label = b.label().trim();
            if labels.contains(&label) {
                return Err(err(format!("Another button already has the label \u{201c}{label}\u{201d}.")));
            }
            labels.push(label);
        }
        Ok(())
    }

    /// Meta's `components` array for the create and edit calls.
    pub fn to_components(&self, format: ParameterFormat) -> Value {
        let named = format == ParameterFormat::Named;
        let mut out = Vec::new();
        match &self.header {
            Header::None => {}
            Header::Text { text, example } => {
                let mut h = serde_json::json!({"type": "HEADER", "format": "TEXT", "text": text});
                if let Some(name) = distinct_vars(text).first() {
                    h["example"] = if named {
                        serde_json::json!({"header_text_named_params": [{"param_name": name, "example": example}]})
                    } else {
                        serde_json::json!({"header_text": [example]})
                    };
                }
                out.push(h);
            }
            Header::Media { format: media, handle, .. } => {
                out.push(serde_json::json!({"type": "HEADER", "format": media.as_str(), "example": {"header_handle": [handle]}}));
            }
        }
        let mut body = serde_json::json!({"type": "BODY", "text": self.body});
        let vars = distinct_vars(&self.body);
        if !vars.is_empty() {
            let example = |i: usize| self.body_examples.get(i).cloned().unwrap_or_default();
            body["example"] = if named {
                let params: Vec<Value> = vars.iter().enumerate().map(|(i, name)| serde_json::json!({"param_name": name, "example": example(i)})).collect();
                serde_json::json!({"body_text_named_params": params})
            } else {
                let examples: Vec<String> = (0..vars.len()).map(example).collect();
                serde_json::json!({"body_text": [examples]})
            };
        }
        out.push(body);
        if !self.footer.is_empty() {
            out.push(serde_json::json!({"type": "FOOTER", "text": self.footer}));
        }
        if !self.buttons.is_empty() {
            let buttons: Vec<Value> = self
                .buttons
                .iter()
                .map(|b| match b {
                    TemplateButton::QuickReply { text } => serde_json::json!({"type": "QUICK_REPLY", "text": text}),
                    TemplateButton::Url { text, url, example } => {
                        let mut v = serde_json::json!({"type": "URL", "text": text, "url": url});
                        if url_is_dynamic(url) {
                            v["example"] = serde_json::json!([example]);
                        }
                        v
                    }
                    TemplateButton::Phone { text, phone_number } => serde_json::json!({"type": "PHONE_NUMBER", "text": text, "phone_number": phone_number}),
                    TemplateButton::CopyCode { example } => serde_json::json!({"type": "COPY_CODE", "example": example}),
                })
                .collect();
            out.push(serde_json::json!({"type": "BUTTONS", "buttons": buttons}));
        }
        Value::Array(out)
    }

    /// Reads Meta's `components` array (as created, or as listed by Meta), leniently:
    /// unknown component or button types are skipped.
    ///
    /// Types and formats are read in any case; both example shapes (positional and
    /// named) are read whatever `format` says; a missing example reads as empty; a header
    /// of another format (`LOCATION`, `GIF`…) reads as no header. Only a `components`
    /// that is not an array is refused. `from_components(&c.to_components(f), f) == c`
    /// for valid content whose media header has no `preview_url`.
    pub fn from_components(components: &Value, format: ParameterFormat) -> Result<TemplateContent, RuleError> {
        let _ = format;
        let list = components.as_array().ok_or_else(|| RuleError::new("body", "The template's components are not a list."))?;
        let mut content = TemplateContent::default();
        for c in list {
            let kind = str_field(c, "type").to_ascii_uppercase();
            let example = c.get("example").unwrap_or(&Value::Null);
            match kind.as_str() {
                "HEADER" => {
                    let header_format = str_field(c, "format");
                    let text = c.get("text").map(text_of);
                    content.header = if header_format.eq_ignore_ascii_case("TEXT") || (header_format.is_empty() && text.is_some()) {
                        let text = text.unwrap_or_default();
                        let example = match distinct_vars(&text).first() {
                            Some(name) => example
                                .get("header_text_named_params")
                                .and_then(|p| named_example(p, name))
                                .unwrap_or_else(|| first_text(example.get("header_text"))),
                            None => String::new(),
                        };
                        Header::Text { text, example }
                    } else if let Some(media) = media_format(&header_format) {
                        Header::Media { format: media, handle: first_text(example.get("header_handle")), preview_url: None }
                    } else {
                        Header::None
                    };
                }
                "BODY" => {
                    content.body = str_field(c, "text");
                    let vars = distinct_vars(&content.body);
                    let positional: Vec<String> = match example.get("body_text") {
                        Some(Value::Array(rows)) => match rows.first() {
                            Some(Value::Array(row)) => row.iter().map(text_of).collect(),
                            _ => rows.iter().map(text_of).collect(),
                        },
                        _ => Vec::new(),
                    };
                    let named = example.get("body_text_named_params").and_then(Value::as_array);
                    content.body_examples = vars
                        .iter()
                        .enumerate()
                        .map(|(i, name)| match named {
                            Some(params) => params.iter().find(|p| str_field(p, "param_name") == *name).map(|p| str_field(p, "example")).unwrap_or_default(),
                            None => positional.get(i).cloned().unwrap_or_default(),
                        })
                        .collect();
                }
                "FOOTER" => content.footer = str_field(c, "text"),
                "BUTTONS" => {
                    let buttons = c.get("buttons").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                    content.buttons = buttons.iter().filter_map(read_button).collect();
                }
                _ => {}
            }
        }
        Ok(content)
    }

    /// What WhatsApp shows for `values`, each missing value replaced by its example.
    ///
    /// Values are shown as a send carries them ([`normalize_value`]); a variable with
    /// neither a value nor an example stays as written (`{{1}}`), so the preview shows
    /// where it goes.
    pub fn render(&self, format: ParameterFormat, values: &TemplateValues) -> Rendered {
        let _ = format;
        let pick = |value: Option<&String>, example: &str, name: &str| {
            let v = value.map(|v| normalize_value(v)).unwrap_or_default();
            if !v.is_empty() {
                v
            } else if !example.trim().is_empty() {
                example.to_owned()
            } else {
                format!("{{{{{name}}}}}")
            }
        };
        let mut rendered = Rendered::default();
        match &self.header {
            Header::None => {}
            Header::Text { text, example } => rendered.header_text = Some(fill(text, |name| pick(values.header.as_ref(), example, name))),
            Header::Media { format, .. } => rendered.header_media = Some(*format),
        }
        let vars = distinct_vars(&self.body);
        rendered.body = fill(&self.body, |name| {
            let example = vars.iter().position(|v| *v == name).and_then(|i| self.body_examples.get(i)).map(String::as_str).unwrap_or_default();
            pick(values.body.get(name), example, name)
        });
        rendered.footer = (!self.footer.is_empty()).then(|| self.footer.clone());
        rendered.buttons = self.buttons.iter().map(|b| (b.label().to_owned(), b.meta_type().to_owned())).collect();
        rendered
    }

    /// The `components` of a send (WHATSAPP.md §2.1): header, body and button
    /// parameters. Every variable needs a value (and a media header its file).
    ///
    /// Values are normalised first ([`normalize_value`]: tabs, line breaks and runs of
    /// spaces become one space), then must be non-empty and at most [`VALUE_MAX`]
    /// characters; an offer code at most [`COPY_CODE_MAX`] letters and digits. A URL
    /// suffix is percent-encoded ([`percent_encode`]).
    pub fn send_components(&self, format: ParameterFormat, values: &TemplateValues) -> Result<Vec<Value>, RuleError> {
        let named = format == ParameterFormat::Named;
        let text_param = |name: &str, text: String| {
            let mut p = serde_json::json!({"type": "text", "text": text});
            if named {
                p["parameter_name"] = Value::String(name.to_owned());
            }
            p
        };
        let mut out = Vec::new();
        match &self.header {
            Header::None => {}
            Header::Text { text, .. } => {
                if let Some(name) = distinct_vars(text).first() {
                    let v = send_value(values.header.as_ref(), VALUE_MAX, || format!("Give a value for {{{{{name}}}}} in the header."))
                        .map_err(|m| RuleError::new("header", m))?;
                    out.push(serde_json::json!({"type": "header", "parameters": [text_param(name, v)]}));
                }
            }
            Header::Media { format: media, .. } => {
                let file = match &values.media {
                    Some(MediaRef::Id(id)) if !id.trim().is_empty() => serde_json::json!({"id": id.trim()}),
                    Some(MediaRef::Link(link)) if !link.trim().is_empty() => {
                        let link = link.trim();
                        let lower = link.to_ascii_lowercase();
                        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                            return Err(RuleError::new("header", "The header file's link must start with https://."));
                        }
                        serde_json::json!({"link": link})
                    }
                    _ => return Err(RuleError::new("header", format!("Choose the header's file ({}).", media.send_type()))),
                };
                let kind = media.send_type();
                out.push(serde_json::json!({"type": "header", "parameters": [{"type": kind, kind: file}]}));
            }
        }
        let mut params = Vec::new();
        for name in distinct_vars(&self.body) {
            let v = send_value(values.body.get(name), VALUE_MAX, || format!("Give a value for {{{{{name}}}}}.")).map_err(|m| RuleError::new("body", m))?;
            params.push(text_param(name, v));
        }
        if !params.is_empty() {
            out.push(serde_json::json!({"type": "body", "parameters": params}));
        }
        for (i, b) in self.buttons.iter().enumerate() {
            let value = values.buttons.get(&i);
            match b {
                TemplateButton::Url { text, url, .. } if url_is_dynamic(url) => {
                    let v =
                        send_value(value, VALUE_MAX, || format!("Give the end of the link of \u{201c}{text}\u{201d}.")).map_err(|m| RuleError::button(i, m))?;
                    out.push(serde_json::json!({"type": "button", "sub_type": "url", "index": i.to_string(), "parameters": [{"type": "text", "text": percent_encode(&v)}]}));
                }
                TemplateButton::CopyCode { .. } => {
                    let v = send_value(value, COPY_CODE_MAX, || "Give the offer code to copy.".to_owned()).map_err(|m| RuleError::button(i, m))?;
                    check_code(&v).map_err(|m| RuleError::button(i, m))?;
                    out.push(serde_json::json!({"type": "button", "sub_type": "copy_code", "index": i.to_string(), "parameters": [{"type": "coupon_code", "coupon_code": v}]}));
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// One of Meta's buttons, or `None` for a type we do not handle (OTP, flow, catalog…).
fn read_button(b: &Value) -> Option<TemplateButton> {
    let text = str_field(b, "text");
    match str_field(b, "type").to_ascii_uppercase().as_str() {
        "QUICK_REPLY" => Some(TemplateButton::QuickReply { text }),
        "URL" => {
            let url = str_field(b, "url");
            let example = if url_is_dynamic(&url) { first_text(b.get("example")) } else { String::new() };
            Some(TemplateButton::Url { text, url, example })
        }
        "PHONE_NUMBER" => Some(TemplateButton::Phone { text, phone_number: str_field(b, "phone_number") }),
        "COPY_CODE" => Some(TemplateButton::CopyCode { example: first_text(b.get("example")) }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const P: ParameterFormat = ParameterFormat::Positional;
    const N: ParameterFormat = ParameterFormat::Named;

    fn body(text: &str, examples: &[&str]) -> TemplateContent {
        TemplateContent { body: text.to_owned(), body_examples: examples.iter().map(|e| e.to_string()).collect(), ..Default::default() }
    }

    fn with_header(header: Header) -> TemplateContent {
        TemplateContent { header, ..body("Hello there.", &[]) }
    }

    fn text_header(text: &str, example: &str) -> Header {
        Header::Text { text: text.to_owned(), example: example.to_owned() }
    }

    fn with_footer(footer: &str) -> TemplateContent {
        TemplateContent { footer: footer.to_owned(), ..body("Hello there.", &[]) }
    }

    fn with_buttons(buttons: Vec<TemplateButton>) -> TemplateContent {
        TemplateContent { buttons, ..body("Hello there.", &[]) }
    }

    fn qr(text: &str) -> TemplateButton {
        TemplateButton::QuickReply { text: text.to_owned() }
    }

    fn url(text: &str, url: &str, example: &str) -> TemplateButton {
        TemplateButton::Url { text: text.to_owned(), url: url.to_owned(), example: example.to_owned() }
    }

    fn phone(text: &str, number: &str) -> TemplateButton {
        TemplateButton::Phone { text: text.to_owned(), phone_number: number.to_owned() }
    }

    fn code(example: &str) -> TemplateButton {
        TemplateButton::CopyCode { example: example.to_owned() }
    }

    fn refused(c: &TemplateContent, format: ParameterFormat) -> RuleError {
        c.validate(format).expect_err("should be refused")
    }

    fn values(header: Option<&str>, body: &[(&str, &str)], buttons: &[(usize, &str)]) -> TemplateValues {
        TemplateValues {
            header: header.map(str::to_owned),
            body: body.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            buttons: buttons.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            media: None,
        }
    }

    /// A positional template with every kind of part.
    fn full_positional() -> TemplateContent {
        TemplateContent {
            header: text_header("Order {{1}}", "#1234"),
            body: "Hi {{1}}, your order {{2}} shipped. Thanks, {{1}}!".to_owned(),
            body_examples: vec!["Ana".to_owned(), "#1234".to_owned()],
            footer: "Reply STOP to opt out".to_owned(),
            buttons: vec![url("Track", "https://ex.com/t/{{1}}", "abc123"), phone("Call us", "+5511999990000"), code("SAVE20"), qr("Stop updates")],
        }
    }

    /// A named template with every kind of part.
    fn full_named() -> TemplateContent {
        TemplateContent {
            header: text_header("Hello {{first_name}}", "Ana"),
            body: "Your order {{order_number}} for {{first_name}} is ready.".to_owned(),
            body_examples: vec!["SKB-4C".to_owned(), "Ana".to_owned()],
            footer: String::new(),
            buttons: vec![qr("Yes"), qr("No"), url("Open", "https://ex.com/o/{{1}}", "SKB-4C")],
        }
    }

    // Names

    #[test]
    fn a_lowercase_name_with_digits_and_underscores_is_accepted() {
        assert_eq!(check_name("order_update_2"), Ok(()));
        assert_eq!(check_name("_"), Ok(()));
    }

    #[test]
    fn an_empty_name_is_refused() {
        let e = check_name("").unwrap_err();
        assert_eq!(e.field, "name");
        assert_eq!(e.message, "Give the template a name.");
    }

    #[test]
    fn a_name_with_capitals_is_refused() {
        let e = check_name("Order_update").unwrap_err();
        assert_eq!((e.field.as_str(), e.index), ("name", None));
        assert!(e.message.contains("lowercase"), "{}", e.message);
    }

    #[test]
    fn a_name_with_spaces_dashes_or_accents_is_refused() {
        for bad in ["order update", "order-update", "pedido_não", " order", "order.update"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_name_of_512_characters_is_accepted_and_one_of_513_refused() {
        assert_eq!(check_name(&"a".repeat(NAME_MAX)), Ok(()));
        assert!(check_name(&"a".repeat(NAME_MAX + 1)).unwrap_err().message.contains("too long"));
    }

    #[test]
    fn a_suggested_name_is_always_valid() {
        assert_eq!(suggest_name("Order update - v2"), "order_update_v2");
        assert_eq!(suggest_name("  Black Friday!! 50% off  "), "black_friday_50_off");
        assert_eq!(suggest_name("!!!"), "");
        for text in ["Order update - v2", "Ça va?", "a  b", &"x".repeat(600)] {
            let s = suggest_name(text);
            assert_eq!(check_name(&s), Ok(()), "{text:?} gave {s:?}");
        }
    }

    // Languages

    #[test]
    fn every_listed_language_is_accepted() {
        for (code, _) in LANGUAGES {
            assert_eq!(check_language(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn an_unknown_empty_or_miscased_language_is_refused() {
        assert_eq!(check_language("").unwrap_err().message, "Choose a language.");
        for bad in ["xx", "en_us", "EN_US", "english", "pt"] {
            let e = check_language(bad).unwrap_err();
            assert_eq!(e.field, "language", "{bad}");
            assert!(e.message.contains(bad), "{}", e.message);
        }
    }

    #[test]
    fn the_language_list_is_metas_sorted_by_name_with_unique_codes() {
        assert_eq!(LANGUAGES.len(), 71);
        let names: Vec<&str> = LANGUAGES.iter().map(|(_, n)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let mut codes: Vec<&str> = LANGUAGES.iter().map(|(c, _)| *c).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), LANGUAGES.len());
        for code in ["en_US", "en_GB", "pt_BR", "pt_PT", "es_MX", "zh_CN", "fil", "rw_RW", "ky_KG", "nb"] {
            assert!(language_name(code).is_some(), "{code}");
        }
    }

    #[test]
    fn a_language_name_is_found_by_its_code() {
        assert_eq!(language_name("en_US"), Some("English (US)"));
        assert_eq!(language_name("zh_TW"), Some("Chinese (TAI)"));
        assert_eq!(language_name("xx"), None);
    }

    // Drafts

    #[test]
    fn a_draft_checks_the_name_then_the_language_then_the_content() {
        let mut draft = TemplateDraft {
            name: "order_update".to_owned(),
            language: "en_US".to_owned(),
            category: Category::Utility,
            parameter_format: P,
            content: full_positional(),
        };
        assert_eq!(draft.validate(), Ok(()));
        draft.content.body.clear();
        assert_eq!(draft.validate().unwrap_err().field, "body");
        draft.language = "xx".to_owned();
        assert_eq!(draft.validate().unwrap_err().field, "language");
        draft.name = "Bad Name".to_owned();
        assert_eq!(draft.validate().unwrap_err().field, "name");
    }

    #[test]
    fn the_full_examples_are_valid() {
        assert_eq!(full_positional().validate(P), Ok(()));
        assert_eq!(full_named().validate(N), Ok(()));
    }

    // Variables

    #[test]
    fn positional_variables_numbered_in_order_are_accepted() {
        assert_eq!(body("Hi {{1}}, order {{2}} ships {{3}}.", &["Ana", "#1", "today"]).validate(P), Ok(()));
    }

    #[test]
    fn a_repeated_variable_counts_once() {
        let c = body("Hi {{1}}, yes {{1}}, order {{2}} is yours.", &["Ana", "#1"]);
        assert_eq!(c.validate(P), Ok(()));
        assert_eq!(c.variables(P).len(), 2);
    }

    #[test]
    fn a_gap_in_the_numbering_is_refused() {
        let e = refused(&body("Hi {{1}}, order {{3}} shipped.", &["Ana", "#1"]), P);
        assert_eq!(e.field, "body");
        assert_eq!(e.message, "Number the variables in order from {{1}}, without gaps: expected {{2}}, found {{3}}.");
    }

    #[test]
    fn variables_out_of_order_are_refused() {
        let e = refused(&body("Hi {{2}}, order {{1}} shipped.", &["Ana", "#1"]), P);
        assert!(e.message.contains("expected {{1}}, found {{2}}"), "{}", e.message);
        assert!(refused(&body("Hi {{0}} there.", &["Ana"]), P).message.contains("expected {{1}}"));
    }

    #[test]
    fn a_named_variable_in_a_positional_template_is_refused() {
        let e = refused(&body("Hi {{first_name}}, welcome.", &["Ana"]), P);
        assert_eq!(e.field, "body");
        assert!(e.message.contains("numbers its variables") && e.message.contains("{{first_name}}"), "{}", e.message);
    }

    #[test]
    fn a_number_in_a_named_template_is_refused() {
        let e = refused(&body("Hi {{1}}, welcome.", &["Ana"]), N);
        assert!(e.message.contains("names its variables") && e.message.contains("{{1}}"), "{}", e.message);
    }

    #[test]
    fn named_variables_in_any_order_are_accepted() {
        assert_eq!(body("Order {{order_number}} for {{first_name}} ok.", &["#1", "Ana"]).validate(N), Ok(()));
        assert_eq!(body("Hi {{a1_b}} there.", &["x"]).validate(N), Ok(()));
    }

    #[test]
    fn a_named_variable_with_capitals_or_a_leading_digit_or_underscore_is_refused() {
        for bad in ["Hi {{First}} there.", "Hi {{1st}} there.", "Hi {{_name}} there.", "Hi {{first name}} there."] {
            let e = refused(&body(bad, &["x"]), N);
            assert!(e.message.contains("is not a variable"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn malformed_braces_are_refused() {
        for bad in
            ["Hi {{ 1 }} there.", "Hi {{}} there.", "Hi {1} there.", "Hi {{{1}}} there.", "Hi {{1} there.", "Hi {{1}}} there.", "Hi 1}} there.", "Hi {{1"]
        {
            let e = refused(&body(bad, &["x"]), P);
            assert_eq!(e.field, "body", "{bad}");
            assert!(e.message.contains("Variables are written {{1}}, {{2}}"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn a_malformed_variable_is_quoted_in_the_message() {
        assert_eq!(
            refused(&body("Hi {{ 1 }} there.", &[]), P).message,
            "\u{201c}{{ 1 }}\u{201d} is not a variable. Variables are written {{1}}, {{2}}\u{2026}"
        );
    }

    #[test]
    fn lone_braces_that_do_not_look_like_a_variable_are_plain_text() {
        let c = body("Smile :} and {see: the site} or {} now.", &[]);
        assert_eq!(c.validate(P), Ok(()));
        assert!(c.variables(P).is_empty());
    }

    #[test]
    fn the_body_may_not_start_with_a_variable() {
        let e = refused(&body("  {{1}}, your order shipped.", &["Ana"]), P);
        assert_eq!(e.message, "The body can't start with a variable: add some text before {{1}}.");
    }

    #[test]
    fn the_body_may_not_end_with_a_variable() {
        let e = refused(&body("Your order shipped, {{1}}\n", &["Ana"]), P);
        assert_eq!(e.message, "The body can't end with a variable: add some text after {{1}}.");
    }

    #[test]
    fn a_variable_followed_by_punctuation_may_end_the_body() {
        assert_eq!(body("Your order shipped, {{1}}.", &["Ana"]).validate(P), Ok(()));
    }

    // Body and its examples

    #[test]
    fn a_blank_body_is_refused() {
        for blank in ["", "  \n "] {
            let e = refused(&body(blank, &[]), P);
            assert_eq!((e.field.as_str(), e.message.as_str()), ("body", "Write the body text."));
        }
    }

    #[test]
    fn a_body_of_1024_characters_is_accepted_and_one_of_1025_refused() {
        // Counted in characters, not bytes: 'é' is two bytes.
        assert_eq!(body(&"é".repeat(BODY_MAX), &[]).validate(P), Ok(()));
        let e = refused(&body(&"é".repeat(BODY_MAX + 1), &[]), P);
        assert_eq!(e.message, "The body is too long: 1025 characters, at most 1024.");
    }

    #[test]
    fn one_example_per_distinct_variable_is_accepted() {
        assert_eq!(body("Hi {{1}} and {{1}} again.", &["Ana"]).validate(P), Ok(()));
    }

    #[test]
    fn a_missing_example_is_refused() {
        let e = refused(&body("Hi {{1}}, order {{2}} shipped.", &["Ana"]), P);
        assert_eq!((e.field.as_str(), e.message.as_str()), ("body", "Give an example for {{2}}."));
    }

    #[test]
    fn more_examples_than_variables_are_refused() {
        let e = refused(&body("Hi {{1}} there.", &["Ana", "extra"]), P);
        assert_eq!(e.message, "There are more examples (2) than variables (1).");
        assert!(refused(&body("Hi there.", &["stale"]), P).message.contains("more examples"));
    }

    #[test]
    fn a_blank_long_or_multiline_example_is_refused() {
        assert_eq!(refused(&body("Hi {{1}} there.", &[" "]), P).message, "Give an example for {{1}}.");
        assert!(refused(&body("Hi {{1}} there.", &[&"x".repeat(VALUE_MAX + 1)]), P).message.contains("too long"));
        assert_eq!(body("Hi {{1}} there.", &[&"x".repeat(VALUE_MAX)]).validate(P), Ok(()));
        assert_eq!(refused(&body("Hi {{first}} there.", &["a\nb"]), N).message, "The example for {{first}} can't have line breaks.");
    }

    // Header

    #[test]
    fn no_header_is_fine() {
        assert_eq!(with_header(Header::None).validate(P), Ok(()));
    }

    #[test]
    fn a_text_header_without_a_variable_is_accepted() {
        assert_eq!(with_header(text_header("Your order", "")).validate(P), Ok(()));
    }

    #[test]
    fn a_blank_text_header_is_refused() {
        let e = refused(&with_header(text_header(" ", "")), P);
        assert_eq!((e.field.as_str(), e.message.as_str()), ("header", "Write the header text, or choose no header."));
    }

    #[test]
    fn a_header_of_60_characters_is_accepted_and_one_of_61_refused() {
        assert_eq!(with_header(text_header(&"ü".repeat(HEADER_TEXT_MAX), "")).validate(P), Ok(()));
        assert_eq!(refused(&with_header(text_header(&"ü".repeat(61), "")), P).message, "The header is too long: 61 characters, at most 60.");
    }

    #[test]
    fn a_header_with_a_line_break_is_refused() {
        assert_eq!(refused(&with_header(text_header("Your\norder", "")), P).message, "The header can't have line breaks.");
    }

    #[test]
    fn a_header_with_two_variables_is_refused() {
        assert_eq!(refused(&with_header(text_header("{{1}} and {{2}}", "x")), P).message, "The header can have only one variable.");
        assert_eq!(refused(&with_header(text_header("{{1}} and {{1}}", "x")), P).message, "The header can have only one variable.");
    }

    #[test]
    fn a_positional_header_variable_must_be_1() {
        assert_eq!(with_header(text_header("Order {{1}}", "#1")).validate(P), Ok(()));
        assert_eq!(refused(&with_header(text_header("Order {{2}}", "#1")), P).message, "The header's variable is written {{1}}.");
    }

    #[test]
    fn a_named_header_variable_may_have_any_valid_name() {
        assert_eq!(with_header(text_header("Hi {{first_name}}", "Ana")).validate(N), Ok(()));
        assert_eq!(refused(&with_header(text_header("Hi {{1}}", "Ana")), N).field, "header");
        assert_eq!(refused(&with_header(text_header("Hi {{ name }}", "Ana")), N).field, "header");
    }

    #[test]
    fn a_header_variable_needs_an_example() {
        let e = refused(&with_header(text_header("Order {{1}}", "")), P);
        assert_eq!((e.field.as_str(), e.message.as_str()), ("header", "Give an example for {{1}}."));
    }

    #[test]
    fn a_media_header_needs_a_sample_file() {
        let media = |handle: &str| with_header(Header::Media { format: MediaFormat::Image, handle: handle.to_owned(), preview_url: None });
        assert_eq!(media("4::aW1hZ2U=").validate(P), Ok(()));
        let e = refused(&media(""), P);
        assert_eq!((e.field.as_str(), e.message.as_str()), ("header", "Upload a sample file for the header."));
    }

    // Footer

    #[test]
    fn an_empty_footer_is_fine_and_one_of_60_characters_is_accepted() {
        assert_eq!(with_footer("").validate(P), Ok(()));
        assert_eq!(with_footer(&"f".repeat(FOOTER_MAX)).validate(P), Ok(()));
    }

    #[test]
    fn a_footer_of_61_characters_is_refused() {
        let e = refused(&with_footer(&"f".repeat(61)), P);
        assert_eq!((e.field.as_str(), e.message.as_str()), ("footer", "The footer is too long: 61 characters, at most 60."));
    }

    #[test]
    fn a_footer_with_a_variable_is_refused() {
        assert_eq!(refused(&with_footer("Sent to {{1}}"), P).message, "The footer can't have variables.");
        assert_eq!(refused(&with_footer("Sent to {1}"), P).field, "footer");
    }

    // Buttons

    #[test]
    fn ten_buttons_are_accepted_and_eleven_refused() {
        let many = |n: usize| with_buttons((0..n).map(|i| qr(&format!("Option {i}"))).collect());
        assert_eq!(many(BUTTONS_MAX).validate(P), Ok(()));
        let e = refused(&many(BUTTONS_MAX + 1), P);
        assert_eq!((e.field.as_str(), e.index), ("buttons", None));
        assert_eq!(e.message, "A template has at most 10 buttons.");
    }

    #[test]
    fn quick_replies_before_the_other_buttons_are_accepted() {
        assert_eq!(with_buttons(vec![qr("Yes"), qr("No"), phone("Call", "+5511999990000"), url("Site", "https://ex.com", "")]).validate(P), Ok(()));
    }

    #[test]
    fn quick_replies_after_the_other_buttons_are_accepted() {
        assert_eq!(with_buttons(vec![phone("Call", "+5511999990000"), url("Site", "https://ex.com", ""), qr("Yes"), qr("No")]).validate(P), Ok(()));
    }

    #[test]
    fn quick_replies_interleaved_with_other_buttons_are_refused() {
        let e = refused(&with_buttons(vec![qr("Yes"), phone("Call", "+5511999990000"), qr("No")]), P);
        assert_eq!((e.field.as_str(), e.index), ("buttons", Some(2)));
        assert!(e.message.contains("quick replies together"), "{}", e.message);
        let e = refused(&with_buttons(vec![phone("Call", "+5511999990000"), qr("Yes"), url("Site", "https://ex.com", "")]), P);
        assert_eq!(e.index, Some(2));
    }

    #[test]
    fn two_url_buttons_are_accepted_and_a_third_refused() {
        let two = vec![url("One", "https://ex.com/1", ""), url("Two", "https://ex.com/2", "")];
        assert_eq!(with_buttons(two.clone()).validate(P), Ok(()));
        let mut three = two;
        three.push(url("Three", "https://ex.com/3", ""));
        let e = refused(&with_buttons(three), P);
        assert_eq!((e.index, e.message.as_str()), (Some(2), "A template has at most 2 link buttons."));
    }

    #[test]
    fn one_phone_button_is_accepted_and_a_second_refused() {
        let e = refused(&with_buttons(vec![phone("Call", "+5511999990000"), phone("Call again", "+5511999990001")]), P);
        assert_eq!((e.index, e.message.as_str()), (Some(1), "A template has at most 1 call button."));
    }

    #[test]
    fn one_copy_code_button_is_accepted_and_a_second_refused() {
        assert_eq!(with_buttons(vec![code("SAVE20")]).validate(P), Ok(()));
        let e = refused(&with_buttons(vec![code("SAVE20"), code("SAVE30")]), P);
        assert_eq!((e.index, e.message.as_str()), (Some(1), "A template has at most 1 copy-code button."));
    }

    #[test]
    fn a_label_of_25_characters_is_accepted() {
        assert_eq!(with_buttons(vec![qr(&"b".repeat(BUTTON_TEXT_MAX))]).validate(P), Ok(()));
    }

    #[test]
    fn an_empty_long_multiline_or_variable_label_is_refused() {
        let cases = [
            ("", "Give the button a label."),
            ("   ", "Give the button a label."),
            ("Yes\nplease", "A button label can't have line breaks."),
            ("Hi {{1}}", "A button label can't have variables."),
            ("Hi {1}", "A button label can't have variables."),
        ];
        for (label, message) in cases {
            for b in [qr(label), url(label, "https://ex.com", ""), phone(label, "+5511999990000")] {
                let e = refused(&with_buttons(vec![b]), P);
                assert_eq!((e.field.as_str(), e.index, e.message.as_str()), ("buttons", Some(0), message), "{label:?}");
            }
        }
        assert_eq!(refused(&with_buttons(vec![qr(&"b".repeat(26))]), P).message, "The button label is too long: 26 characters, at most 25.");
    }

    #[test]
    fn two_buttons_with_the_same_label_are_refused() {
        let e = refused(&with_buttons(vec![url("Visit", "https://ex.com", ""), phone("Visit", "+5511999990000")]), P);
        assert_eq!((e.index, e.message.as_str()), (Some(1), "Another button already has the label \u{201c}Visit\u{201d}."));
        assert_eq!(refused(&with_buttons(vec![qr("Yes"), qr(" Yes ")]), P).index, Some(1));
    }

    #[test]
    fn a_url_starting_with_https_or_http_is_accepted() {
        for u in ["https://ex.com", "http://ex.com/a?b=c", "HTTPS://EX.COM/path"] {
            assert_eq!(with_buttons(vec![url("Site", u, "")]).validate(P), Ok(()), "{u}");
        }
    }

    #[test]
    fn a_url_without_http_or_a_website_is_refused() {
        for u in ["ex.com", "ftp://ex.com", "", "https://", "https:///path", "https://{{1}}"] {
            let e = refused(&with_buttons(vec![url("Site", u, "x")]), P);
            assert_eq!((e.field.as_str(), e.index), ("buttons", Some(0)), "{u}");
        }
        assert_eq!(refused(&with_buttons(vec![url("Site", "ex.com", "")]), P).message, "The link must start with https:// (or http://).");
    }

    #[test]
    fn a_url_with_spaces_or_over_2000_characters_is_refused() {
        assert_eq!(refused(&with_buttons(vec![url("Site", "https://ex.com/a b", "")]), P).message, "A link can't have spaces.");
        let long = format!("https://ex.com/{}", "a".repeat(URL_MAX));
        assert!(refused(&with_buttons(vec![url("Site", &long, "")]), P).message.contains("too long"));
        let just = format!("https://ex.com/{}", "a".repeat(URL_MAX - 15));
        assert_eq!(with_buttons(vec![url("Site", &just, "")]).validate(P), Ok(()));
    }

    #[test]
    fn a_url_may_end_with_1_in_both_formats() {
        let c = with_buttons(vec![url("Track", "https://ex.com/t/{{1}}", "abc")]);
        assert_eq!(c.validate(P), Ok(()));
        assert_eq!(c.validate(N), Ok(()));
    }

    #[test]
    fn a_url_variable_anywhere_but_the_end_or_not_1_is_refused() {
        for u in ["https://ex.com/{{1}}/track", "https://ex.com/{{2}}", "https://ex.com/{{code}}", "https://ex.com/{{1}}{{1}}", "https://ex.com/{1}"] {
            let e = refused(&with_buttons(vec![url("Track", u, "abc")]), P);
            assert_eq!(e.message, "A link can take one variable, {{1}}, and only at its end.", "{u}");
        }
    }

    #[test]
    fn a_dynamic_url_needs_an_example_of_its_ending() {
        let e = refused(&with_buttons(vec![url("Track", "https://ex.com/t/{{1}}", "")]), P);
        assert_eq!((e.index, e.message.as_str()), (Some(0), "Give an example of the link's ending for {{1}}."));
    }

    #[test]
    fn a_phone_number_with_plus_and_7_to_15_digits_is_accepted() {
        for n in ["+5511999990000", "+1234567", "+123456789012345"] {
            assert_eq!(with_buttons(vec![phone("Call", n)]).validate(P), Ok(()), "{n}");
        }
    }

    #[test]
    fn a_phone_number_without_plus_or_with_the_wrong_digits_is_refused() {
        for n in ["5511999990000", "+123456", "+1234567890123456", "+55 11 99999 0000", "+55abc99990000", "", "+"] {
            let e = refused(&with_buttons(vec![phone("Call", n)]), P);
            assert_eq!((e.index, e.message.as_str()), (Some(0), "Write the phone number with + and its country code, like +5511999990000."), "{n}");
        }
    }

    #[test]
    fn an_offer_code_of_up_to_15_letters_and_digits_is_accepted() {
        assert_eq!(with_buttons(vec![code("ABCDEFGHIJ12345")]).validate(P), Ok(()));
    }

    #[test]
    fn an_empty_long_or_punctuated_offer_code_is_refused() {
        let msg = |c: &str| refused(&with_buttons(vec![code(c)]), P).message;
        assert_eq!(msg(""), "Give a sample offer code.");
        assert_eq!(msg("ABCDEFGHIJ123456"), "The offer code is too long: at most 15 characters.");
        assert_eq!(msg("SAVE-20"), "The offer code can only have letters and digits.");
        assert_eq!(msg("SAVE 20"), "The offer code can only have letters and digits.");
    }

    #[test]
    fn rules_are_checked_in_form_order() {
        let mut c = full_positional();
        c.header = text_header("", "");
        c.body.clear();
        c.footer = "x".repeat(99);
        assert_eq!(c.validate(P).unwrap_err().field, "header");
        c.header = Header::None;
        assert_eq!(c.validate(P).unwrap_err().field, "body");
        c.body = "Fine.".to_owned();
        c.body_examples.clear();
        assert_eq!(c.validate(P).unwrap_err().field, "footer");
    }

    // Variables of a send

    #[test]
    fn variables_list_the_header_then_the_body_then_the_buttons() {
        let vars = full_positional().variables(P);
        let v = |place, name: &str, example: &str| Variable { place, name: name.to_owned(), example: example.to_owned() };
        assert_eq!(
            vars,
            vec![
                v(Place::Header, "1", "#1234"),
                v(Place::Body, "1", "Ana"),
                v(Place::Body, "2", "#1234"),
                v(Place::Button(0), "1", "abc123"),
                v(Place::Button(2), "code", "SAVE20"),
            ]
        );
    }

    #[test]
    fn named_variables_keep_their_names() {
        let names: Vec<(Place, String)> = full_named().variables(N).into_iter().map(|v| (v.place, v.name)).collect();
        assert_eq!(
            names,
            vec![
                (Place::Header, "first_name".to_owned()),
                (Place::Body, "order_number".to_owned()),
                (Place::Body, "first_name".to_owned()),
                (Place::Button(2), "1".to_owned()),
            ]
        );
    }

    #[test]
    fn a_variable_without_an_example_lists_an_empty_one_and_a_static_url_none() {
        let mut c = body("Hi {{1}} and {{2}}.", &["Ana"]);
        c.buttons = vec![url("Site", "https://ex.com", "")];
        let vars = c.variables(P);
        assert_eq!(vars.len(), 2);
        assert_eq!(vars[1].example, "");
    }

    // Components for Meta

    #[test]
    fn positional_components_have_metas_shape() {
        assert_eq!(
            full_positional().to_components(P),
            json!([
                {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1234"]}},
                {"type": "BODY", "text": "Hi {{1}}, your order {{2}} shipped. Thanks, {{1}}!", "example": {"body_text": [["Ana", "#1234"]]}},
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "URL", "text": "Track", "url": "https://ex.com/t/{{1}}", "example": ["abc123"]},
                    {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+5511999990000"},
                    {"type": "COPY_CODE", "example": "SAVE20"},
                    {"type": "QUICK_REPLY", "text": "Stop updates"}
                ]}
            ])
        );
    }

    #[test]
    fn named_components_carry_named_params() {
        assert_eq!(
            full_named().to_components(N),
            json!([
                {"type": "HEADER", "format": "TEXT", "text": "Hello {{first_name}}",
                 "example": {"header_text_named_params": [{"param_name": "first_name", "example": "Ana"}]}},
                {"type": "BODY", "text": "Your order {{order_number}} for {{first_name}} is ready.",
                 "example": {"body_text_named_params": [
                     {"param_name": "order_number", "example": "SKB-4C"},
                     {"param_name": "first_name", "example": "Ana"}
                 ]}},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Yes"},
                    {"type": "QUICK_REPLY", "text": "No"},
                    {"type": "URL", "text": "Open", "url": "https://ex.com/o/{{1}}", "example": ["SKB-4C"]}
                ]}
            ])
        );
    }

    #[test]
    fn parts_without_variables_carry_no_example_and_empty_parts_are_left_out() {
        let mut c = with_header(text_header("Your order", ""));
        c.buttons = vec![url("Site", "https://ex.com", "")];
        assert_eq!(
            c.to_components(P),
            json!([
                {"type": "HEADER", "format": "TEXT", "text": "Your order"},
                {"type": "BODY", "text": "Hello there."},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Site", "url": "https://ex.com"}]}
            ])
        );
        assert_eq!(body("Just text.", &[]).to_components(N), json!([{"type": "BODY", "text": "Just text."}]));
    }

    #[test]
    fn a_media_header_carries_its_handle_and_not_its_preview() {
        let c = with_header(Header::Media { format: MediaFormat::Document, handle: "4::ZG9j".to_owned(), preview_url: Some("/files/x.pdf".to_owned()) });
        assert_eq!(c.to_components(P)[0], json!({"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::ZG9j"]}}));
    }

    // Reading Meta's components

    #[test]
    fn positional_content_round_trips() {
        let c = full_positional();
        assert_eq!(TemplateContent::from_components(&c.to_components(P), P), Ok(c));
    }

    #[test]
    fn named_content_round_trips() {
        let c = full_named();
        assert_eq!(TemplateContent::from_components(&c.to_components(N), N), Ok(c));
    }

    #[test]
    fn media_headers_and_bare_bodies_round_trip() {
        for format in [MediaFormat::Image, MediaFormat::Video, MediaFormat::Document] {
            let c = TemplateContent {
                header: Header::Media { format, handle: "4::aW1n".to_owned(), preview_url: None },
                body: "Look at this.".to_owned(),
                ..Default::default()
            };
            assert_eq!(TemplateContent::from_components(&c.to_components(P), P), Ok(c));
        }
        let c = body("Plain.", &[]);
        assert_eq!(TemplateContent::from_components(&c.to_components(N), N), Ok(c));
    }

    #[test]
    fn components_are_read_leniently() {
        let components = json!([
            {"type": "header", "format": "text", "text": "Order {{1}}"},
            {"type": "Body", "text": "Hi {{1}}, order {{2}}."},
            {"type": "CAROUSEL", "cards": []},
            {"type": "footer", "text": "Bye"},
            {"type": "buttons", "buttons": [
                {"type": "quick_reply", "text": "Yes"},
                {"type": "OTP", "otp_type": "COPY_CODE"},
                {"type": "FLOW", "text": "Book"},
                {"type": "url", "text": "Site", "url": "https://ex.com/{{1}}"},
                {"type": "copy_code", "example": ["CODE1"]}
            ]}
        ]);
        let c = TemplateContent::from_components(&components, P).unwrap();
        assert_eq!(c.header, text_header("Order {{1}}", ""));
        assert_eq!(c.body_examples, vec!["", ""]);
        assert_eq!(c.footer, "Bye");
        assert_eq!(c.buttons, vec![qr("Yes"), url("Site", "https://ex.com/{{1}}", ""), code("CODE1")]);
    }

    #[test]
    fn unknown_header_formats_read_as_no_header() {
        for format in ["LOCATION", "GIF", "PRODUCT"] {
            let components = json!([{"type": "HEADER", "format": format, "example": {"header_handle": ["4::x"]}}, {"type": "BODY", "text": "Hi."}]);
            assert_eq!(TemplateContent::from_components(&components, P).unwrap().header, Header::None, "{format}");
        }
    }

    #[test]
    fn named_examples_are_matched_by_name_and_either_shape_is_read() {
        let listed = json!([
            {"type": "BODY", "text": "Order {{order_number}} for {{first_name}}.",
             "example": {"body_text_named_params": [
                 {"param_name": "first_name", "example": "Ana"},
                 {"param_name": "order_number", "example": "SKB-4C"}
             ]}}
        ]);
        assert_eq!(TemplateContent::from_components(&listed, N).unwrap().body_examples, vec!["SKB-4C", "Ana"]);
        // A positional shape read with the named format still gives its examples.
        let positional = json!([{"type": "BODY", "text": "Hi {{1}} {{2}}.", "example": {"body_text": [["Ana", 42]]}}]);
        assert_eq!(TemplateContent::from_components(&positional, N).unwrap().body_examples, vec!["Ana", "42"]);
    }

    #[test]
    fn components_that_are_not_a_list_are_refused() {
        for bad in [json!({"type": "BODY"}), json!("BODY"), Value::Null] {
            assert!(TemplateContent::from_components(&bad, P).is_err(), "{bad}");
        }
        assert_eq!(TemplateContent::from_components(&json!([]), P), Ok(TemplateContent::default()));
    }

    // Preview

    #[test]
    fn render_fills_in_the_values() {
        let v = values(Some("#99"), &[("1", "Bea"), ("2", "#99")], &[(0, "zz")]);
        let r = full_positional().render(P, &v);
        assert_eq!(r.header_text.as_deref(), Some("Order #99"));
        assert_eq!(r.header_media, None);
        assert_eq!(r.body, "Hi Bea, your order #99 shipped. Thanks, Bea!");
        assert_eq!(r.footer.as_deref(), Some("Reply STOP to opt out"));
        assert_eq!(
            r.buttons,
            vec![
                ("Track".to_owned(), "URL".to_owned()),
                ("Call us".to_owned(), "PHONE_NUMBER".to_owned()),
                ("Copy offer code".to_owned(), "COPY_CODE".to_owned()),
                ("Stop updates".to_owned(), "QUICK_REPLY".to_owned()),
            ]
        );
    }

    #[test]
    fn render_uses_the_examples_for_missing_or_blank_values() {
        let r = full_positional().render(P, &values(Some(" "), &[("2", "")], &[]));
        assert_eq!(r.header_text.as_deref(), Some("Order #1234"));
        assert_eq!(r.body, "Hi Ana, your order #1234 shipped. Thanks, Ana!");
        let r = full_named().render(N, &values(None, &[("first_name", "Bea")], &[]));
        assert_eq!(r.header_text.as_deref(), Some("Hello Ana"));
        assert_eq!(r.body, "Your order SKB-4C for Bea is ready.");
        assert_eq!(r.footer, None);
    }

    #[test]
    fn render_keeps_a_variable_with_neither_value_nor_example() {
        assert_eq!(body("Hi {{1}}, order {{2}}.", &["Ana"]).render(P, &TemplateValues::default()).body, "Hi Ana, order {{2}}.");
    }

    #[test]
    fn render_shows_values_as_they_are_sent() {
        let r = body("Hi {{1}}.", &["Ana"]).render(P, &values(None, &[("1", "Ana\n\tMaria     Silva")], &[]));
        assert_eq!(r.body, "Hi Ana Maria Silva.");
    }

    #[test]
    fn render_names_the_kind_of_a_media_header() {
        let c = with_header(Header::Media { format: MediaFormat::Video, handle: "4::x".to_owned(), preview_url: None });
        let r = c.render(P, &TemplateValues::default());
        assert_eq!((r.header_text, r.header_media), (None, Some(MediaFormat::Video)));
    }

    // Send components

    #[test]
    fn positional_send_components_are_in_variable_order() {
        let v = values(Some("#99"), &[("2", "#99"), ("1", "Bea")], &[(0, "abc 1/2"), (2, "SAVE20")]);
        assert_eq!(
            full_positional().send_components(P, &v).unwrap(),
            vec![
                json!({"type": "header", "parameters": [{"type": "text", "text": "#99"}]}),
                json!({"type": "body", "parameters": [{"type": "text", "text": "Bea"}, {"type": "text", "text": "#99"}]}),
                json!({"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "abc%201%2F2"}]}),
                json!({"type": "button", "sub_type": "copy_code", "index": "2", "parameters": [{"type": "coupon_code", "coupon_code": "SAVE20"}]}),
            ]
        );
    }

    #[test]
    fn named_send_components_carry_parameter_names() {
        let v = values(Some("Bea"), &[("first_name", "Bea"), ("order_number", "SKB-9")], &[(2, "SKB-9")]);
        assert_eq!(
            full_named().send_components(N, &v).unwrap(),
            vec![
                json!({"type": "header", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "Bea"}]}),
                json!({"type": "body", "parameters": [
                    {"type": "text", "parameter_name": "order_number", "text": "SKB-9"},
                    {"type": "text", "parameter_name": "first_name", "text": "Bea"}
                ]}),
                json!({"type": "button", "sub_type": "url", "index": "2", "parameters": [{"type": "text", "text": "SKB-9"}]}),
            ]
        );
    }

    #[test]
    fn a_template_without_variables_sends_no_components() {
        let c = with_buttons(vec![qr("Yes"), url("Site", "https://ex.com", ""), phone("Call", "+5511999990000")]);
        assert_eq!(c.send_components(P, &TemplateValues::default()), Ok(vec![]));
    }

    #[test]
    fn a_missing_or_blank_body_value_is_refused() {
        let c = body("Hi {{first_name}} there.", &["Ana"]);
        for v in [values(None, &[], &[]), values(None, &[("first_name", " \n ")], &[])] {
            assert_eq!(c.send_components(N, &v), Err(RuleError::new("body", "Give a value for {{first_name}}.")));
        }
    }

    #[test]
    fn a_value_over_1024_characters_is_refused() {
        let c = body("Hi {{1}} there.", &["Ana"]);
        let e = c.send_components(P, &values(None, &[("1", &"v".repeat(VALUE_MAX + 1))], &[])).unwrap_err();
        assert_eq!(e.field, "body");
        assert!(e.message.contains("too long: at most 1024"), "{}", e.message);
        assert!(c.send_components(P, &values(None, &[("1", &"v".repeat(VALUE_MAX))], &[])).is_ok());
    }

    #[test]
    fn a_missing_header_value_is_refused_on_the_header() {
        let c = with_header(text_header("Order {{1}}", "#1"));
        assert_eq!(c.send_components(P, &TemplateValues::default()), Err(RuleError::new("header", "Give a value for {{1}} in the header.")));
    }

    #[test]
    fn values_with_line_breaks_tabs_and_long_spaces_are_collapsed() {
        let c = body("Hi {{1}} there.", &["Ana"]);
        let sent = c.send_components(P, &values(None, &[("1", "  Ana\nMaria\t\tde     Souza ")], &[])).unwrap();
        assert_eq!(sent[0]["parameters"][0]["text"], "Ana Maria de Souza");
        assert_eq!(normalize_value("a\r\nb  c"), "a b c");
    }

    #[test]
    fn a_media_header_requires_its_file() {
        let c = with_header(Header::Media { format: MediaFormat::Image, handle: "4::x".to_owned(), preview_url: None });
        assert_eq!(c.send_components(P, &TemplateValues::default()), Err(RuleError::new("header", "Choose the header's file (image).")));
        let mut v = TemplateValues { media: Some(MediaRef::Id(" ".to_owned())), ..Default::default() };
        assert_eq!(c.send_components(P, &v).unwrap_err().field, "header");
        v.media = Some(MediaRef::Id("2871834006348767".to_owned()));
        assert_eq!(c.send_components(P, &v).unwrap(), vec![json!({"type": "header", "parameters": [{"type": "image", "image": {"id": "2871834006348767"}}]})]);
        v.media = Some(MediaRef::Link("https://ex.com/a.jpg".to_owned()));
        assert_eq!(c.send_components(P, &v).unwrap()[0]["parameters"][0], json!({"type": "image", "image": {"link": "https://ex.com/a.jpg"}}));
        v.media = Some(MediaRef::Link("file:///etc/passwd".to_owned()));
        assert_eq!(c.send_components(P, &v).unwrap_err().message, "The header file's link must start with https://.");
    }

    #[test]
    fn a_document_header_is_sent_as_a_document() {
        let c = with_header(Header::Media { format: MediaFormat::Document, handle: "4::x".to_owned(), preview_url: None });
        let v = TemplateValues { media: Some(MediaRef::Link("https://ex.com/a.pdf".to_owned())), ..Default::default() };
        assert_eq!(c.send_components(P, &v).unwrap()[0]["parameters"][0], json!({"type": "document", "document": {"link": "https://ex.com/a.pdf"}}));
    }

    #[test]
    fn a_button_index_is_its_place_in_the_template() {
        let c = with_buttons(vec![qr("Yes"), qr("No"), url("Site", "https://ex.com/{{1}}", "a")]);
        let sent = c.send_components(P, &values(None, &[], &[(2, "x")])).unwrap();
        assert_eq!(sent, vec![json!({"type": "button", "sub_type": "url", "index": "2", "parameters": [{"type": "text", "text": "x"}]})]);
    }

    #[test]
    fn a_missing_url_suffix_is_refused_on_its_button() {
        let c = with_buttons(vec![qr("Yes"), url("Track", "https://ex.com/{{1}}", "a")]);
        let e = c.send_components(P, &TemplateValues::default()).unwrap_err();
        assert_eq!((e.field.as_str(), e.index), ("buttons", Some(1)));
        assert_eq!(e.message, "Give the end of the link of \u{201c}Track\u{201d}.");
    }

    #[test]
    fn a_url_suffix_is_percent_encoded() {
        let c = with_buttons(vec![url("Track", "https://ex.com/{{1}}", "a")]);
        let sent = c.send_components(P, &values(None, &[], &[(0, "ORDER 42/ä?x=1&y")])).unwrap();
        assert_eq!(sent[0]["parameters"][0]["text"], "ORDER%2042%2F%C3%A4%3Fx%3D1%26y");
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_encode("a b+c%d#"), "a%20b%2Bc%25d%23");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn an_offer_code_value_must_be_up_to_15_letters_and_digits() {
        let c = with_buttons(vec![code("SAVE20")]);
        assert!(c.send_components(P, &values(None, &[], &[(0, "SAVE30")])).is_ok());
        let err = |v: &str| c.send_components(P, &values(None, &[], &[(0, v)])).unwrap_err();
        assert_eq!(err("").message, "Give the offer code to copy.");
        assert_eq!(err("SAVE 30").message, "The offer code can only have letters and digits.");
        assert_eq!(err(&"A".repeat(16)).index, Some(0));
    }
}
