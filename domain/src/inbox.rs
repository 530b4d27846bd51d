//! Pure rules of the team inbox (INBOX-2): the 24-hour window's colour, list tabs, and
//! previews.

use serde::{Deserialize, Serialize};

const HOUR_MS: i64 = 3_600_000;

/// How much of the 24-hour customer-service window is left, as the list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowColour {
    /// More than 4 hours left.
    Green,
    /// 1 to 4 hours left.
    Yellow,
    /// Under an hour left.
    Red,
    /// Closed (or never opened): only templates may be sent.
    Grey,
}

impl WindowColour {
    /// The colour at `now_ms` for a window closing at `expires_at_ms`.
    pub fn at(expires_at_ms: Option<i64>, now_ms: i64) -> Self {
        match expires_at_ms.map(|e| e - now_ms) {
            Some(left) if left > 4 * HOUR_MS => WindowColour::Green,
            Some(left) if left >= HOUR_MS => WindowColour::Yellow,
            Some(left) if left > 0 => WindowColour::Red,
            _ => WindowColour::Grey,
        }
    }

    /// The name used in CSS classes and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowColour::Green => "green",
            WindowColour::Yellow => "yellow",
            WindowColour::Red => "red",
            WindowColour::Grey => "grey",
        }
    }
}

/// The list tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tab {
    /// Every open conversation.
    All,
    /// Open and assigned to me.
    Mine,
    /// Open and assigned to nobody.
    Unassigned,
    /// Resolved.
    Resolved,
}

impl Tab {
    /// Parses `all`, `mine`, `unassigned` or `resolved`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(Tab::All),
            "mine" => Some(Tab::Mine),
            "unassigned" => Some(Tab::Unassigned),
            "resolved" => Some(Tab::Resolved),
            _ => None,
        }
    }
}

/// The list preview of a message: one line, at most 50 characters (an ellipsis marks a cut).
pub fn preview(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= 50 {
        one_line
    } else {
        let cut: String = one_line.chars().take(49).collect();
        format!("{}…", cut.trim_end())
    }
}

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` taken literally
/// (the query says `ESCAPE '\'`), lower-cased for a case-insensitive match.
pub fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A canned response's text with `{contact_name}` and `{agent_name}` filled in.
pub fn fill_canned(content: &str, contact_name: &str, agent_name: &str) -> String {
    content.replace("{contact_name}", contact_name).replace("{agent_name}", agent_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_colour_follows_the_hours_left() {
        let now = 1_000 * HOUR_MS;
        assert_eq!(WindowColour::at(Some(now + 5 * HOUR_MS), now), WindowColour::Green);
        assert_eq!(WindowColour::at(Some(now + 4 * HOUR_MS), now), WindowColour::Yellow);
        assert_eq!(WindowColour::at(Some(now + HOUR_MS), now), WindowColour::Yellow);
        assert_eq!(WindowColour::at(Some(now + HOUR_MS - 1), now), WindowColour::Red);
        assert_eq!(WindowColour::at(Some(now), now), WindowColour::Grey);
        assert_eq!(WindowColour::at(None, now), WindowColour::Grey);
    }

    #[test]
    fn a_preview_is_one_line_of_at_most_fifty_characters() {
        assert_eq!(preview("Hello\nthere  you"), "Hello there you");
        let long = "ä".repeat(60);
        let p = preview(&long);
        assert_eq!(p.chars().count(), 50);
        assert!(p.ends_with('…'));
    }

    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern(" 50%_Off "), "%50\\%\\_off%");
        assert_eq!(Tab::parse("mine"), Some(Tab::Mine));
        assert_eq!(Tab::parse("other"), None);
    }
}
