//! Rules for the free text a request hands timber to keep, whatever the field. The per-field
//! byte limits are next to their fields (`group`, `account`, `message`).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_the_one_character_refused() {
        assert!(check_no_nul("Name", "line one\nline two\ttab ünï 😀").is_ok());
        let why = check_no_nul("Name", "ab\0c").unwrap_err();
        assert!(why.contains("Name") && why.contains("byte 2"), "{why}");
    }
}
