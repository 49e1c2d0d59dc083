//! Chatbots (`openim_robot_http_svc`): accounts of a special kind, and the streamed replies
//! they send. spec: push-and-operations.md §6, §8.
//!
//! A chatbot is an imported account flagged as a bot; deleting it clears the flag (the
//! account stays). A streamed reply is one C2C message from the bot whose body is rebuilt on
//! every chunk by [`stream_body`], the one place its encoding lives.

use crate::{Error, ErrorCode};

/// Every chatbot UserID starts with this (documented).
pub const ID_PREFIX: &str = "@RBT#";
/// Longest chatbot UserID (documented).
pub const MAX_ID_BYTES: usize = 32;
/// Valid chatbots per app (documented "each Chat account", read as the app: inferred).
pub const MAX_ROBOTS: usize = 20;
/// `Nick`, `FaceUrl`, `SelfSignature`.
pub const MAX_FIELD_BYTES: usize = 500;

fn invalid(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::GroupInvalidParameter, info)
}

/// A chatbot UserID: the prefix, more after it, at most 32 bytes (10004 otherwise).
pub fn check_robot_id(id: &str) -> Result<(), Error> {
    if !id.starts_with(ID_PREFIX) || id.len() <= ID_PREFIX.len() {
        return Err(invalid(format!(
            "a chatbot UserID must start with {ID_PREFIX:?} and have more after it, not {id:?}"
        )));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(invalid(format!(
            "chatbot UserID is {} bytes; at most {MAX_ID_BYTES} are allowed",
            id.len()
        )));
    }
    crate::account::validate_user_id(id).map_err(invalid)
}

/// create_robot's decision: `valid` are the app's valid bots. Re-creating one is a success
/// that changes nothing but its profile; a 21st bot is refused.
pub fn decide_create(valid: &[String], id: &str) -> Result<(), Error> {
    if valid.iter().any(|v| v == id) || valid.len() < MAX_ROBOTS {
        return Ok(());
    }
    Err(invalid(format!(
        "the app already has {MAX_ROBOTS} chatbots; delete one first"
    )))
}

/// A streamed reply as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub from: String,
    pub to: String,
    pub chunks: Vec<String>,
    pub finished: bool,
}

/// A later chunk's decision: the key must be one of `from`'s unfinished streams (10004).
pub fn decide_append(
    stream: Option<Stream>,
    from: &str,
    chunk: &str,
    finish: bool,
) -> Result<Stream, Error> {
    let mut s = stream
        .filter(|s| s.from == from)
        .ok_or_else(|| invalid("MsgKey is not a streamed reply of this chatbot"))?;
    if s.finished {
        return Err(invalid("the streamed reply is finished"));
    }
    s.chunks.push(chunk.to_owned());
    s.finished = finish;
    Ok(s)
}

/// The message body of a streamed reply: one `TIMCustomElem` whose `Data` is
/// `{"chatbotPlugin":2,"chunks":[…],"isFinished":0|1}`. Our guess at TUIKit's streaming
/// protocol (inferred); change it here only.
pub fn stream_body(chunks: &[String], finished: bool) -> String {
    let data = serde_json::json!({
        "chatbotPlugin": 2,
        "chunks": chunks,
        "isFinished": u8::from(finished),
    });
    serde_json::json!([{"MsgType": "TIMCustomElem", "MsgContent": {"Data": data.to_string()}}])
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_the_limit() {
        assert!(check_robot_id("@RBT#helper").is_ok());
        assert!(check_robot_id("helper").is_err());
        assert!(check_robot_id("@RBT#").is_err());
        assert!(check_robot_id(&format!("@RBT#{}", "x".repeat(28))).is_err());
        let full: Vec<String> = (0..MAX_ROBOTS).map(|i| format!("@RBT#{i}")).collect();
        assert!(decide_create(&full, "@RBT#3").is_ok());
        assert!(decide_create(&full, "@RBT#new").is_err());
        assert!(decide_create(&full[1..], "@RBT#new").is_ok());
    }

    #[test]
    fn chunks_append_until_finished() {
        let s = Stream {
            from: "@RBT#a".into(),
            to: "u".into(),
            chunks: vec!["Hel".into()],
            finished: false,
        };
        assert!(decide_append(Some(s.clone()), "@RBT#b", "lo", false).is_err());
        assert!(decide_append(None, "@RBT#a", "lo", false).is_err());
        let done = decide_append(Some(s), "@RBT#a", "lo", true).unwrap();
        assert_eq!(done.chunks, ["Hel", "lo"]);
        assert!(decide_append(Some(done.clone()), "@RBT#a", "!", false).is_err());
        let body: serde_json::Value =
            serde_json::from_str(&stream_body(&done.chunks, true)).unwrap();
        let data: serde_json::Value =
            serde_json::from_str(body[0]["MsgContent"]["Data"].as_str().unwrap()).unwrap();
        assert_eq!(
            data,
            serde_json::json!({"chatbotPlugin": 2, "chunks": ["Hel", "lo"], "isFinished": 1})
        );
    }
}
