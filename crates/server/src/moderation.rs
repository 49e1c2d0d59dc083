//! Moderation: the legacy `v4/openim_dirty_words/get|add|delete` and on-demand moderation
//! `v4/im_msg_audit/content_moderation|batch_content_moderation`. spec:
//! push-and-operations.md §4.1, §4.2, §8. The words are the app's; a send whose text holds
//! one is refused with 80001 in its own transaction (`store::ops::moderation`); moderation
//! judges text against them (`timber_core::moderation::moderate`).

use crate::envelope::Empty;
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::moderation::{moderate, Verdict};
use timber_core::{Error, ErrorCode};

#[derive(Deserialize)]
pub struct GetReq {}

#[derive(Serialize)]
pub struct GetResp {
    #[serde(rename = "DirtyWordsList")]
    words: Vec<String>,
}

/// `get` (also as a GET without a body).
pub async fn get(ctx: &Ctx, _: GetReq) -> Result<GetResp, Failure> {
    let words = ctx.store().get_dirty_words(ctx.caller.app.sdkappid).await?;
    Ok(GetResp { words })
}

#[derive(Deserialize)]
pub struct WordsReq {
    #[serde(rename = "DirtyWordsList")]
    words: Vec<String>,
}

/// `add`: existing and new at most 50 words, each 1–200 bytes (10004).
pub async fn add(ctx: &Ctx, req: WordsReq) -> Result<Empty, Failure> {
    ctx.store()
        .add_dirty_words(ctx.caller.app.sdkappid, req.words)
        .await?;
    Ok(Empty {})
}

/// `delete`: words the app does not have are ignored.
pub async fn delete(ctx: &Ctx, req: WordsReq) -> Result<Empty, Failure> {
    ctx.store()
        .delete_dirty_words(ctx.caller.app.sdkappid, req.words)
        .await?;
    Ok(Empty {})
}

/// Refuses with `code` when one of `fields` (name, text) holds a word that blocks messages
/// (dirty words, blocking local keywords, words and regular expressions, cloud keywords): the profile, group and
/// relationship fields of push-and-operations.md §4.1. One read; nothing is read when no
/// field is given.
pub async fn check_fields(
    ctx: &Ctx,
    fields: &[(&str, &str)],
    code: ErrorCode,
) -> Result<(), Failure> {
    if fields.iter().all(|(_, t)| t.is_empty()) {
        return Ok(());
    }
    let words = ctx
        .store()
        .moderation_words(ctx.caller.app.sdkappid)
        .await?;
    Ok(timber_core::moderation::check_fields(&words, fields, code)?)
}

/// Masks the app's replacing local keywords (`FilterType` 1, words and regular
/// expressions) in a message's text elements by asterisks before it is stored
/// (push-and-operations.md §8); a body without a match stays as sent.
pub async fn replace_words(ctx: &Ctx, body: &mut String) -> Result<(), Failure> {
    let rules = ctx
        .store()
        .replacing_keywords(ctx.caller.app.sdkappid)
        .await?;
    if let Some(new) = timber_core::moderation::replace_in_body(body, &rules) {
        *body = new;
    }
    Ok(())
}

const AUDIT_NAMES: &[&str] = &[
    "C2C",
    "Group",
    "UserInfo",
    "GroupInfo",
    "GroupMemberInfo",
    "RelationChain",
];

/// Largest content of a batch item (8 KB).
const MAX_BATCH_CONTENT_BYTES: usize = 8 * 1024;
const MAX_BATCH_ITEMS: usize = 10;

fn invalid(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::JsonParse, info)
}

fn check_audit_name(name: &str) -> Result<(), Error> {
    if !AUDIT_NAMES.contains(&name) {
        return Err(invalid(format!(
            "AuditName {name:?} is not one of {AUDIT_NAMES:?}"
        )));
    }
    Ok(())
}

fn check_content_type(ty: &str, allowed: &[&str]) -> Result<(), Error> {
    if !allowed.contains(&ty) {
        return Err(invalid(format!(
            "ContentType {ty:?} is not one of {allowed:?}"
        )));
    }
    Ok(())
}

/// A fresh request id in the UUID form.
fn request_id() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

#[derive(Deserialize)]
pub struct ModerationReq {
    #[serde(rename = "AuditName")]
    audit_name: String,
    #[serde(rename = "ContentType")]
    content_type: String,
    #[serde(rename = "Content")]
    content: String,
}

#[derive(Serialize)]
pub struct ModerationResp {
    #[serde(rename = "RequestId")]
    request_id: String,
    #[serde(rename = "Result")]
    result: &'static str,
    #[serde(rename = "Score")]
    score: u32,
    #[serde(rename = "Label")]
    label: &'static str,
    #[serde(rename = "Keywords", skip_serializing_if = "Vec::is_empty")]
    keywords: Vec<String>,
}

/// `content_moderation` (§4.2): text against the app's words; images, audio and video pass.
pub async fn content_moderation(ctx: &Ctx, req: ModerationReq) -> Result<ModerationResp, Failure> {
    check_audit_name(&req.audit_name)?;
    check_content_type(&req.content_type, &["Text", "Image", "Audio", "Video"])?;
    let words = ctx
        .store()
        .moderation_words(ctx.caller.app.sdkappid)
        .await?;
    let Verdict {
        result,
        score,
        label,
        keywords,
    } = moderate(&words, &req.content_type, &req.content);
    Ok(ModerationResp {
        request_id: request_id(),
        result,
        score,
        label,
        keywords,
    })
}

#[derive(Deserialize)]
struct BatchItem {
    #[serde(rename = "ContentId")]
    id: i64,
    #[serde(rename = "ContentType")]
    content_type: String,
    #[serde(rename = "Content")]
    content: String,
}

#[derive(Deserialize)]
pub struct BatchReq {
    #[serde(rename = "AuditName")]
    audit_name: String,
    #[serde(rename = "Contents", deserialize_with = "crate::envelope::objects")]
    contents: Vec<BatchItem>,
}

#[derive(Serialize)]
struct BatchResult {
    #[serde(rename = "ErrorCode")]
    code: u32,
    #[serde(rename = "ErrorInfo")]
    info: &'static str,
    #[serde(rename = "ContentId")]
    id: i64,
    #[serde(rename = "Result")]
    result: &'static str,
    #[serde(rename = "Score")]
    score: u32,
    #[serde(rename = "Label")]
    label: &'static str,
    #[serde(rename = "SubLabel")]
    sub_label: &'static str,
    #[serde(rename = "Keywords")]
    keywords: Vec<String>,
    #[serde(rename = "RequestId")]
    request_id: String,
}

#[derive(Serialize)]
pub struct BatchResp {
    #[serde(rename = "AuditResults")]
    results: Vec<BatchResult>,
}

/// `batch_content_moderation` (§4.2): ≤ 10 items of `Text` or `Image`, ≤ 8 KB each, with
/// distinct `ContentId`s; each item its own verdict.
pub async fn batch_content_moderation(ctx: &Ctx, req: BatchReq) -> Result<BatchResp, Failure> {
    check_audit_name(&req.audit_name)?;
    if req.contents.is_empty() || req.contents.len() > MAX_BATCH_ITEMS {
        return Err(invalid(format!(
            "Contents holds {} items; 1 to {MAX_BATCH_ITEMS} are allowed",
            req.contents.len()
        ))
        .into());
    }
    for (i, item) in req.contents.iter().enumerate() {
        check_content_type(&item.content_type, &["Text", "Image"])?;
        if item.content.len() > MAX_BATCH_CONTENT_BYTES {
            return Err(invalid(format!(
                "content {} is {} bytes; at most {MAX_BATCH_CONTENT_BYTES}",
                item.id,
                item.content.len()
            ))
            .into());
        }
        if req.contents[..i].iter().any(|o| o.id == item.id) {
            return Err(invalid(format!("ContentId {} is given twice", item.id)).into());
        }
    }
    let words = ctx
        .store()
        .moderation_words(ctx.caller.app.sdkappid)
        .await?;
    let results = req
        .contents
        .into_iter()
        .map(|item| {
            let v = moderate(&words, &item.content_type, &item.content);
            BatchResult {
                code: 0,
                info: "",
                id: item.id,
                result: v.result,
                score: v.score,
                label: v.label,
                sub_label: "",
                keywords: v.keywords,
                request_id: request_id(),
            }
        })
        .collect();
    Ok(BatchResp { results })
}
