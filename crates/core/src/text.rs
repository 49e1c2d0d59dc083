//! Rules for the free text a request hands timber to keep or to send back, whatever the field.
//! The per-field byte limits are next to their fields (`group`, `account`, `message`).

use std::borrow::Cow;

/// Refuses a string holding U+0000 (NUL). PostgreSQL's `text` cannot hold it (the write
/// fails, which a client would see as an internal error to retry, for ever) while SQLite
/// would keep it, so timber stores it in no field and both stores answer alike. The
/// documentation names no such rule (inferred); newlines, tabs and every other character stay
/// allowed in free text. `MsgBody` is kept as its JSON text, where a NUL is the escape
/// `\u0000`, so it needs no such check.
pub fn check_no_nul(field: &str, value: &str) -> Result<(), String> {
    match value.find('\0') {
        Some(at) => Err(format!(
            "{field} contains a NUL character (U+0000) at byte {at}"
        )),
        None => Ok(()),
    }
}

/// The longest `ErrorInfo` timber sends (our choice; the documentation gives none). A reason
/// may quote what the request gave, and serde's parse errors quote the offending value, so
/// without a cap a refused request of 1 MB would be echoed back whole.
pub const MAX_ERROR_INFO_BYTES: usize = 1024;

/// `s` cut to at most `max` bytes at a character boundary, ending in `…` when it was cut.
pub fn shortened(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    const MORE: &str = "…";
    let mut end = max.saturating_sub(MORE.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}{MORE}", &s[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_the_one_character_refused() {
        assert!(check_no_nul("Name", "line one\nline two\ttab ünï 😀").is_ok());
        let why = check_no_nul("Name", "ab\0c").unwrap_err();
        assert!(why.contains("Name") && why.contains("byte 2"), "{why}");
    }

    #[test]
    fn shortened_cuts_at_a_character_boundary() {
        assert_eq!(shortened("short", 10), "short");
        assert_eq!(shortened("0123456789", 10), "0123456789");
        let cut = shortened("0123456789ab", 10);
        assert_eq!(cut, "0123456…");
        assert!(cut.len() <= 10);
        // "é" is two bytes: the cut never splits it.
        let accents = "é".repeat(10);
        assert_eq!(shortened(&accents, 10), "ééé…");
        let long = "x".repeat(1 << 20);
        assert!(shortened(&long, MAX_ERROR_INFO_BYTES).len() <= MAX_ERROR_INFO_BYTES);
    }
}
