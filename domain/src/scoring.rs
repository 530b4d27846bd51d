//! Lead scoring (CRM-4): per-org rules that add points to a contact. A score is always
//! computed from scratch from the rules and the contact's facts, so recomputing after
//! any event is idempotent and a changed rule applies to everyone alike.

use crate::ParseError;
use serde::{Deserialize, Serialize};

/// Lowest and highest score a contact can have.
pub const SCORE_RANGE: (i32, i32) = (-1000, 1000);
/// Points one rule may give or take.
pub const POINTS_RANGE: (i32, i32) = (-100, 100);

/// What a rule looks at. In JSON: `{"trigger": "source", "value": "facebook", "points": 10}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "trigger", content = "value", rename_all = "snake_case")]
pub enum ScoreTrigger {
    /// The contact came from this source (case-insensitive).
    Source(String),
    /// The contact has written to us on WhatsApp.
    Replied,
    /// The contact carries this tag (case-insensitive).
    TagAdded(String),
    /// Points per link click (counted once tracked links exist).
    Clicked,
}

/// One scoring rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreRule {
    #[serde(flatten)]
    pub trigger: ScoreTrigger,
    pub points: i32,
}

impl ScoreRule {
    /// Checks the points range and that source and tag rules name what they match.
    pub fn validate(&self) -> Result<(), ParseError> {
        if !(POINTS_RANGE.0..=POINTS_RANGE.1).contains(&self.points) {
            return Err(ParseError::new(format!("A rule gives between {} and {} points.", POINTS_RANGE.0, POINTS_RANGE.1)));
        }
        match &self.trigger {
            ScoreTrigger::Source(v) | ScoreTrigger::TagAdded(v) if v.trim().is_empty() => Err(ParseError::new("Say which source or tag the rule is about.")),
            _ => Ok(()),
        }
    }
}

/// The most rules an org may have.
pub const MAX_RULES: usize = 50;

/// A rule that could not be read: which one (from 0) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub row: usize,
    pub message: String,
}

/// Reads and checks a list of rules as Settings → Contacts and the API send it: a JSON
/// array of `{trigger, value, points}` where `points` may also be a numeric string (a
/// form's number box). Each error names its rule ("Rule 2: …").
pub fn parse_rules(json: &str) -> Result<Vec<ScoreRule>, RuleError> {
    let list: Vec<serde_json::Value> = if json.trim().is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(json).map_err(|e| RuleError { row: 0, message: format!("The scoring rules are not a JSON list: {e}") })?
    };
    if list.len() > MAX_RULES {
        return Err(RuleError { row: MAX_RULES, message: format!("At most {MAX_RULES} scoring rules.") });
    }
    list.iter()
        .enumerate()
        .map(|(row, v)| {
            let fail = |m: String| RuleError { row, message: format!("Rule {}: {m}", row + 1) };
            let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str).map(str::trim).unwrap_or_default().to_owned();
            let trigger = match text("trigger").as_str() {
                "source" => ScoreTrigger::Source(text("value")),
                "tag_added" => ScoreTrigger::TagAdded(text("value")),
                "replied" => ScoreTrigger::Replied,
                "clicked" => ScoreTrigger::Clicked,
                other => return Err(fail(format!("\u{201c}{other}\u{201d} is not a trigger (source, replied, tag_added or clicked)."))),
            };
            let points = match v.get("points") {
                Some(serde_json::Value::Number(n)) => n.as_i64(),
                Some(serde_json::Value::String(s)) => s.trim().parse::<i64>().ok(),
                _ => None,
            }
            .ok_or_else(|| fail("give the points as a whole number.".into()))?;
            let rule = ScoreRule { trigger, points: points.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32 };
            rule.validate().map_err(|e| fail(e.0))?;
            Ok(rule)
        })
        .collect()
}

/// What rules look at about one contact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFacts {
    pub source: String,
    pub has_replied: bool,
    pub tags: Vec<String>,
    pub clicks: u32,
}

/// The contact's score under the rules, clamped to [`SCORE_RANGE`].
pub fn score(rules: &[ScoreRule], facts: &ContactFacts) -> i32 {
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let total: i64 = rules
        .iter()
        .map(|r| {
            let times = match &r.trigger {
                ScoreTrigger::Source(s) => i64::from(same(s, &facts.source)),
                ScoreTrigger::Replied => i64::from(facts.has_replied),
                ScoreTrigger::TagAdded(t) => i64::from(facts.tags.iter().any(|x| same(x, t))),
                ScoreTrigger::Clicked => i64::from(facts.clicks),
            };
            times * i64::from(r.points)
        })
        .sum();
    total.clamp(i64::from(SCORE_RANGE.0), i64::from(SCORE_RANGE.1)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(trigger: ScoreTrigger, points: i32) -> ScoreRule {
        ScoreRule { trigger, points }
    }

    #[test]
    fn each_matching_rule_adds_its_points_and_clicks_count_each_time() {
        let rules = vec![
            rule(ScoreTrigger::Source("Facebook".into()), 10),
            rule(ScoreTrigger::Replied, 20),
            rule(ScoreTrigger::TagAdded("vip".into()), 15),
            rule(ScoreTrigger::Clicked, 2),
        ];
        let facts = ContactFacts { source: "facebook".into(), has_replied: true, tags: vec!["VIP".into()], clicks: 3 };
        assert_eq!(score(&rules, &facts), 10 + 20 + 15 + 6);
        assert_eq!(score(&rules, &ContactFacts { source: "csv".into(), ..Default::default() }), 0);
    }

    #[test]
    fn scores_stay_within_the_range_and_can_go_negative() {
        let rules = vec![rule(ScoreTrigger::Clicked, 100)];
        assert_eq!(score(&rules, &ContactFacts { clicks: 50, ..Default::default() }), 1000);
        assert_eq!(score(&[rule(ScoreTrigger::Replied, -30)], &ContactFacts { has_replied: true, ..Default::default() }), -30);
    }

    #[test]
    fn rules_read_and_write_as_trigger_value_points() {
        let r: ScoreRule = serde_json::from_str(r#"{"trigger":"source","value":"facebook","points":10}"#).unwrap();
        assert_eq!(r, rule(ScoreTrigger::Source("facebook".into()), 10));
        let replied: ScoreRule = serde_json::from_str(r#"{"trigger":"replied","points":5}"#).unwrap();
        assert_eq!(replied.trigger, ScoreTrigger::Replied);
        assert_eq!(serde_json::to_value(&r).unwrap(), serde_json::json!({"trigger": "source", "value": "facebook", "points": 10}));
    }

    #[test]
    fn rules_out_of_range_or_without_a_value_are_refused() {
        assert!(rule(ScoreTrigger::Replied, 101).validate().is_err());
        assert!(rule(ScoreTrigger::TagAdded(" ".into()), 5).validate().is_err());
        assert!(rule(ScoreTrigger::TagAdded("vip".into()), 5).validate().is_ok());
    }

    #[test]
    fn a_rule_list_from_a_form_reads_with_points_as_text_and_names_the_bad_rule() {
        let ok = parse_rules(r#"[{"trigger":"source","value":" Site form ","points":"10"},{"trigger":"replied","value":"","points":20}]"#).unwrap();
        assert_eq!(ok, vec![rule(ScoreTrigger::Source("Site form".into()), 10), rule(ScoreTrigger::Replied, 20)]);
        assert_eq!(parse_rules("  ").unwrap(), vec![]);
        let bad = parse_rules(r#"[{"trigger":"replied","points":5},{"trigger":"tag_added","value":"vip","points":"500"}]"#).unwrap_err();
        assert_eq!((bad.row, bad.message.as_str()), (1, "Rule 2: A rule gives between -100 and 100 points."));
        assert_eq!(parse_rules(r#"[{"trigger":"replied","points":"lots"}]"#).unwrap_err().message, "Rule 1: give the points as a whole number.");
        assert!(parse_rules(r#"[{"trigger":"birthday","points":1}]"#).unwrap_err().message.contains("not a trigger"));
        assert_eq!(parse_rules(r#"[{"trigger":"source","value":"","points":1}]"#).unwrap_err().message, "Rule 1: Say which source or tag the rule is about.");
        assert!(parse_rules("{").unwrap_err().message.starts_with("The scoring rules are not a JSON list"));
    }
}
