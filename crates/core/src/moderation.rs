//! The app's dirty words (`openim_dirty_words`) and what they do: a message whose text
//! elements hold one is refused (80001), and on-demand moderation (`im_msg_audit`) judges
//! text against them. spec: push-and-operations.md §4.1, §4.2, §8.
//!
//! A word matches as a substring, case-sensitively, a regular-expression keyword (`WordType`
//! 2) as its pattern; only `TIMTextElem` texts are checked (not custom elements), as the docs
//! say. Words take effect at once (the cloud's 5-minute
//! delay is not emulated).

use crate::{Error, ErrorCode, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

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

/// A word that blocks: a dirty word, a local keyword with `FilterType` 2 (a word, or a
/// regular expression when `WordType` is 2), or a cloud keyword; `label` is what on-demand
/// moderation answers for a hit (`Illegal` but for cloud keywords).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Blocking {
    pub keyword: String,
    pub regex: bool,
    pub label: String,
}

impl Blocking {
    /// A plain word labelled `Illegal` (dirty words, local block words).
    pub fn word(keyword: impl Into<String>) -> Blocking {
        Blocking {
            keyword: keyword.into(),
            regex: false,
            label: "Illegal".to_owned(),
        }
    }

    /// What of `text` this keyword hits: the word itself, or a regular expression's first
    /// match (the text it blocked, which is what `Keywords` reports). A pattern that does not
    /// compile, or compiles over the size limit, hits nothing.
    fn hit(&self, text: &str) -> Option<String> {
        if self.keyword.is_empty() {
            return None;
        }
        if !self.regex {
            return text.contains(&self.keyword).then(|| self.keyword.clone());
        }
        let re = compiled(&self.keyword)?;
        re.find(text)
            .filter(|m| !m.as_str().is_empty())
            .map(|m| m.as_str().to_owned())
    }
}

/// The hits of `words` in `text`, in `words`' order, each with its keyword's label.
pub fn hits<'a>(words: &'a [Blocking], text: &str) -> Vec<(String, &'a str)> {
    words
        .iter()
        .filter_map(|w| w.hit(text).map(|h| (h, w.label.as_str())))
        .collect()
}

/// A message send: 80001 when a text element holds a blocking word or matches a blocking
/// regular expression.
pub fn check_message(words: &[Blocking], body: &str) -> Result<()> {
    if words.is_empty() {
        return Ok(());
    }
    for text in texts_of(body) {
        if let Some((w, _)) = hits(words, &text).first() {
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
pub fn check_fields(words: &[Blocking], fields: &[(&str, &str)], code: ErrorCode) -> Result<()> {
    if words.is_empty() {
        return Ok(());
    }
    for (field, text) in fields {
        if let Some((w, _)) = hits(words, text).first() {
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

/// A text against the words: a hit is `Block`, score 100, the first hit's label and the
/// words hit; none `Pass`, 0, `Normal`. Images, audio and video always pass (§8).
pub fn moderate(words: &[Blocking], content_type: &str, content: &str) -> Verdict {
    let found = if content_type == "Text" {
        hits(words, content)
    } else {
        Vec::new()
    };
    let Some((_, first_label)) = found.first() else {
        return Verdict {
            result: "Pass",
            score: 0,
            label: "Normal",
            keywords: Vec::new(),
        };
    };
    let label = LABELS
        .iter()
        .find(|l| *l == first_label)
        .copied()
        .unwrap_or("Illegal");
    let mut keywords: Vec<String> = Vec::with_capacity(found.len());
    for (w, _) in found {
        if !keywords.contains(&w) {
            keywords.push(w);
        }
    }
    Verdict {
        result: "Block",
        score: 100,
        label,
        keywords,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_messages() {
        let words = vec![Blocking::word("bad"), Blocking::word("坏")];
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

    #[test]
    fn blocking_regular_expressions() {
        let words = vec![
            Blocking {
                keyword: r"\d{3}-\d{4}".into(),
                regex: true,
                label: "Illegal".into(),
            },
            Blocking {
                keyword: "x*".into(),
                regex: true,
                label: "Illegal".into(),
            },
            Blocking {
                keyword: "(unclosed".into(),
                regex: true,
                label: "Illegal".into(),
            },
            Blocking {
                keyword: "casino".into(),
                regex: false,
                label: "Ad".into(),
            },
        ];
        let body = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"call 555-1234"}}]"#;
        assert_eq!(check_message(&words, body).unwrap_err().code.code(), 80001);
        // An empty match ("x*" on any text) and a pattern that does not compile block nothing.
        let clean = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"(unclosed 55-12"}}]"#;
        assert!(check_message(&words, clean).is_ok());
        let v = moderate(&words, "Text", "555-1234 at the casino");
        assert_eq!((v.result, v.label), ("Block", "Illegal"));
        assert_eq!(v.keywords, vec!["555-1234", "casino"]);
        assert_eq!(moderate(&words, "Text", "casino").label, "Ad");
        let err = check_fields(
            &words,
            &[("Name", "ok"), ("Remark", "777-0000")],
            ErrorCode::SnsDirtyWord,
        )
        .unwrap_err();
        assert_eq!(err.code.code(), 30005);
        // Over the size limit: no match rather than a slow or huge automaton.
        let huge = [Blocking {
            keyword: r"\w{1000}{1000}".into(),
            regex: true,
            label: "Illegal".into(),
        }];
        assert!(check_message(&huge, body).is_ok());
    }
}

/// A keyword of a library (`im_msg_audit_mgr`): the local library (`lib` empty) or a cloud
/// library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    pub id: i64,
    pub keyword: String,
    /// 1 word, 2 regular expression.
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

/// How many compiled patterns [`compiled`] keeps before it starts again: far more than the
/// keywords of a few busy apps, little memory.
const MAX_CACHED_PATTERNS: usize = 4096;

/// `pattern` compiled with the size limits, from a process-wide cache keyed by the pattern:
/// a send checks every keyword of its app, and compiling a regular expression costs far more
/// than matching it. The key is the pattern's text, so an app's edited list needs no
/// invalidation (a new pattern is a new key; one no longer listed is simply not asked for).
/// `None`: the pattern does not compile (it then matches nothing), remembered as well.
fn compiled(pattern: &str) -> Option<Arc<regex::Regex>> {
    static CACHE: LazyLock<Mutex<HashMap<String, Option<Arc<regex::Regex>>>>> =
        LazyLock::new(Default::default);
    if let Some(hit) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(pattern) {
        return hit.clone();
    }
    let re = regex::RegexBuilder::new(pattern)
        .size_limit(MAX_REGEX_BYTES)
        .dfa_size_limit(MAX_REGEX_BYTES)
        .build()
        .ok()
        .map(Arc::new);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= MAX_CACHED_PATTERNS {
        cache.clear();
    }
    cache.insert(pattern.to_owned(), re.clone());
    re
}

fn masked(text: &str, rules: &[Replacing]) -> String {
    let mut out = text.to_owned();
    for r in rules.iter().filter(|r| !r.keyword.is_empty()) {
        let re = if r.regex {
            compiled(&r.keyword)
        } else {
            compiled(&regex::escape(&r.keyword))
        };
        let Some(re) = re else {
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
