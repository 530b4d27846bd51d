//! Showing times and names: relative ages, local days and clock times (the browser's
//! time zone once hydrated, UTC in the server render), initials for avatars.

/// Milliseconds since the epoch, now (the browser's clock once hydrated).
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }
}

/// "now", "5 min", "3 h", "2 d".
pub fn relative(at: i64, now: i64) -> String {
    let s = ((now - at) / 1000).max(0);
    match s {
        0..=59 => "now".into(),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// Up to two initials of a name, for avatars.
pub fn initials(name: &str) -> String {
    let i: String = name.split_whitespace().filter_map(|w| w.chars().find(|c| c.is_alphanumeric())).take(2).collect();
    if i.is_empty() {
        "?".into()
    } else {
        i.to_uppercase()
    }
}

/// The local day of an instant, for day separators (UTC on the server render).
pub fn day_of(at: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
        format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let days = at.div_euclid(86_400_000);
        format!("day {days}")
    }
}

/// `HH:MM` of an instant, local in the browser.
pub fn time_of(at: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let m = at.div_euclid(60_000).rem_euclid(1440);
        format!("{:02}:{:02}", m / 60, m % 60)
    }
}

/// `YYYY-MM-DD HH:MM UTC` of an instant, the same on the server and in the browser.
pub fn date_time_of(at: i64) -> String {
    let m = at.div_euclid(60_000).rem_euclid(1440);
    format!("{} {:02}:{:02} UTC", utc_date(at), m / 60, m % 60)
}

pub use domain::time::utc_date;

/// A count with thousands separators: `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// Which rows a page shows: "1–25 of 1,234" (`first` counts from 0), or "No results".
pub fn range_label(first: i64, shown: i64, total: i64) -> String {
    if total <= 0 || shown <= 0 {
        return "No results".into();
    }
    format!("{}–{} of {}", thousands(first + 1), thousands(first + shown), thousands(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-12_000), "-12,000");
    }

    #[test]
    fn a_page_says_which_rows_it_shows_of_how_many() {
        assert_eq!(range_label(0, 25, 1234), "1–25 of 1,234");
        assert_eq!(range_label(1225, 9, 1234), "1,226–1,234 of 1,234");
        assert_eq!(range_label(0, 0, 0), "No results");
    }
}
