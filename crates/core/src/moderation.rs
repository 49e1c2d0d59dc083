//! The app's dirty words (`openim_dirty_words`) and what they do: a message whose text
//! elements hold one is refused (80001), and on-demand moderation (`im_msg_audit`) judges
//! text against them. spec: push-and-operations.md §4.1, §4.2, §8.
//!
//! A word matches as a substring, case-sensitively; only `TIMTextElem` texts are checked
//! (not custom elements), as the docs say. Words take effect at once (the cloud's 5-minute
//! delay is not emulated).

use crate::{Error, ErrorCode, Result};
use serde_json::Value;

/// Custom words per app.
pub const MAX_DIRTY_WORDS: usize = 50;
pub const MAX_DIRTY_WORD_BYTES: usize = 200;

fn invalid(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::GroupInvalidParameter, info)
}

/// A word of an add or delete request: 1–200 bytes, no NUL (10004).
pub fn check_word(w: &str) -> Result<()> {
    if w.is_empty() || w.len() > MAX_DIRTY_WORD_BYTES || w.contains('\0') {
        return Err(invalid(format!(
            "a dirty word must be 1 to {MAX_DIRTY_WORD_BYTES} bytes without NUL, got {} bytes",
            w.len()
        )));
    }
    Ok(())
}

/// `add`: the words to insert (new ones, first occurrence); more than 50 in all is 10004.
pub fn decide_add(existing: &[String], add: &[String]) -> Result<Vec<String>> {
    add.iter().try_for_each(|w| check_word(w))?;
    let mut new: Vec<String> = Vec::new();
    for w in add {
        if !existing.contains(w) && !new.contains(w) {
            new.push(w.clone());
        }
    }
    if existing.len() + new.len() > MAX_DIRTY_WORDS {
        return Err(invalid(format!(
            "the app would have {} dirty words; at most {MAX_DIRTY_WORDS}",
            existing.len() + new.len()
        )));
    }
    Ok(new)
}

/// The texts of a `MsgBody`'s text elements (a body that is not an array has none).
pub fn texts_of(body: &str) -> Vec<String> {
    let Ok(Value::Array(elems)) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    elems
        .iter()
        .filter(|e| e["MsgType"] == "TIMTextElem")
        .filter_map(|e| e["MsgContent"]["Text"].as_str().map(str::to_owned))
        .collect()
}

/// The words of `words` that `text` holds, in `words`' order.
pub fn hits<'a>(words: &'a [String], text: &str) -> Vec<&'a str> {
    words
        .iter()
        .filter(|w| !w.is_empty() && text.contains(w.as_str()))
        .map(String::as_str)
        .collect()
}

/// A message send: 80001 when a text element holds a dirty word.
pub fn check_message(words: &[String], body: &str) -> Result<()> {
    if words.is_empty() {
        return Ok(());
    }
    for text in texts_of(body) {
        if let Some(w) = hits(words, &text).first() {
            return Err(Error::new(
                ErrorCode::MsgFiltered,
                format!("the message holds the dirty word {w:?}"),
            ));
        }
    }
    Ok(())
}

/// Text fields outside messages (profile, group, relationship: push-and-operations.md §4.1):
/// the first field holding a word refuses the call with `code` (40005, 80001 or 30005).
pub fn check_fields(words: &[String], fields: &[(&str, &str)], code: ErrorCode) -> Result<()> {
    for (field, text) in fields {
        if let Some(w) = hits(words, text).first() {
            return Err(Error::new(
                code,
                format!("{field} holds the dirty word {w:?}"),
            ));
        }
    }
    Ok(())
}

/// On-demand moderation's verdict of one content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `Pass` or `Block`.
    pub result: &'static str,
    pub score: u32,
    pub label: &'static str,
    pub keywords: Vec<String>,
}

/// A text against the words: a hit is `Block`, score 100, `Illegal` and the words; none
/// `Pass`, 0, `Normal`. Images, audio and video always pass (§8).
pub fn moderate(words: &[String], content_type: &str, content: &str) -> Verdict {
    let found: Vec<String> = if content_type == "Text" {
        hits(words, content)
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        Vec::new()
    };
    if found.is_empty() {
        Verdict {
            result: "Pass",
            score: 0,
            label: "Normal",
            keywords: found,
        }
    } else {
        Verdict {
            result: "Block",
            score: 100,
            label: "Illegal",
            keywords: found,
        }
    }
}

/// Like [`moderate`] with each word's label (dirty words and local keywords `Illegal`,
/// cloud keywords their own): the first hit's label is the verdict's.
pub fn moderate_labeled(words: &[(String, String)], content_type: &str, content: &str) -> Verdict {
    let plain: Vec<String> = words.iter().map(|(w, _)| w.clone()).collect();
    let mut v = moderate(&plain, content_type, content);
    if let Some(first) = v.keywords.first() {
        if let Some((_, label)) = words.iter().find(|(w, _)| w == first) {
            if let Some(l) = LABELS.iter().find(|l| **l == label.as_str()) {
                v.label = l;
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_messages() {
        let words = vec!["bad".to_owned(), "坏".to_owned()];
        let body = r#"[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"bad"}},
            {"MsgType":"TIMTextElem","MsgContent":{"Text":"all good"}}]"#;
        assert!(check_message(&words, body).is_ok());
        let body = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"so 坏!"}}]"#;
        assert_eq!(check_message(&words, body).unwrap_err().code.code(), 80001);
        assert!(check_message(&[], body).is_ok());
        let v = moderate(&words, "Text", "a bad 坏 day");
        assert_eq!((v.result, v.score, v.label), ("Block", 100, "Illegal"));
        assert_eq!(v.keywords, vec!["bad", "坏"]);
        assert_eq!(moderate(&words, "Image", "bad").result, "Pass");
        let existing: Vec<String> = (0..49).map(|i| i.to_string()).collect();
        assert_eq!(
            decide_add(&existing, &["1".into(), "x".into()]).unwrap(),
            vec!["x"]
        );
        assert!(decide_add(&existing, &["x".into(), "y".into()]).is_err());
        assert!(decide_add(&[], &["".into()]).is_err());
        assert!(decide_add(&[], &["x".repeat(201)]).is_err());
    }
}

/// A keyword of a library (`im_msg_audit_mgr`): the local library (`lib` empty) or a cloud
/// library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    pub id: i64,
    pub keyword: String,
    /// 1 word, 2 regular expression (stored; only words are matched).
    pub word_type: i64,
    /// 1 replace, 2 block (local keywords; cloud keywords block).
    pub filter_type: i64,
    pub replaced: String,
    /// A cloud keyword's label (§4.2's labels).
    pub label: String,
    pub created: i64,
}

/// The labels a cloud keyword may carry.
pub const LABELS: &[&str] = &[
    "Normal",
    "Polity",
    "Porn",
    "Illegal",
    "Abuse",
    "Terror",
    "Ad",
    "Sexy",
    "Composite",
];

/// Keywords per add or delete request, and per page.
pub const MAX_KEYWORDS_PER_REQUEST: usize = 10;
pub const MAX_PAGE: i64 = 100;

/// Largest compiled size of a regular-expression keyword: a keyword cannot make a send slow
/// or large (a pattern over it matches nothing).
const MAX_REGEX_BYTES: usize = 64 * 1024;

/// A replacing keyword (`FilterType` 1): a word, or a regular expression (`WordType` 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacing {
    pub keyword: String,
    pub regex: bool,
    /// `ReplacedContent`; empty: one asterisk a matched character.
    pub with: String,
}

fn masked(text: &str, rules: &[Replacing]) -> String {
    let mut out = text.to_owned();
    for r in rules.iter().filter(|r| !r.keyword.is_empty()) {
        let pattern = if r.regex {
            r.keyword.clone()
        } else {
            regex::escape(&r.keyword)
        };
        let Ok(re) = regex::RegexBuilder::new(&pattern)
            .size_limit(MAX_REGEX_BYTES)
            .dfa_size_limit(MAX_REGEX_BYTES)
            .build()
        else {
            continue;
        };
        out = re
            .replace_all(&out, |c: &regex::Captures| {
                if r.with.is_empty() {
                    "*".repeat(c[0].chars().count())
                } else {
                    r.with.clone()
                }
            })
            .into_owned();
    }
    out
}

/// A `MsgBody` whose text elements have every replacing keyword masked by asterisks (one a
/// character), or `None` when nothing matched (the body stays byte for byte as sent).
pub fn replace_in_body(body: &str, rules: &[Replacing]) -> Option<String> {
    if rules.is_empty() {
        return None;
    }
    let Ok(Value::Array(mut elems)) = serde_json::from_str::<Value>(body) else {
        return None;
    };
    let mut changed = false;
    for e in elems.iter_mut().filter(|e| e["MsgType"] == "TIMTextElem") {
        if let Some(t) = e["MsgContent"]["Text"].as_str() {
            let new = masked(t, rules);
            if new != t {
                e["MsgContent"]["Text"] = Value::String(new);
                changed = true;
            }
        }
    }
    changed.then(|| Value::Array(elems).to_string())
}

#[cfg(test)]
mod replace_tests {
    use super::*;

    #[test]
    fn words_and_regexes_are_masked_in_text_only() {
        let rules = [
            Replacing {
                keyword: "bad".into(),
                regex: false,
                with: String::new(),
            },
            Replacing {
                keyword: r"\d{3}-\d{4}".into(),
                regex: true,
                with: String::new(),
            },
            Replacing {
                keyword: "a.b".into(),
                regex: false,
                with: "#".into(),
            },
        ];
        let body = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"bad 555-1234 axb a.b 坏bad"}},{"MsgType":"TIMCustomElem","MsgContent":{"Data":"bad"}}]"#;
        let out = replace_in_body(body, &rules).unwrap();
        assert!(
            out.contains(r#""Text":"*** ******** axb # 坏***""#),
            "{out}"
        );
        assert!(out.contains(r#""Data":"bad""#), "{out}");
        assert_eq!(
            replace_in_body(
                r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"ok"}}]"#,
                &rules
            ),
            None
        );
        // A pattern over the size limit matches nothing rather than blowing up.
        let huge = [Replacing {
            keyword: r"\w{1000}{1000}".into(),
            regex: true,
            with: String::new(),
        }];
        assert_eq!(replace_in_body(body, &huge), None);
    }
}
