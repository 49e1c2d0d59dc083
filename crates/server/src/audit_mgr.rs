//! `v4/im_msg_audit_mgr/*`: the local keyword library (words that block or are replaced) and
//! the cloud keyword libraries. spec: push-and-operations.md §4.3, §8. Every request names
//! its `SdkAppId`, which must be the caller's (absent: the caller's); every answer carries a `RequestId`. Blocking
//! words (local `FilterType` 2 and cloud keywords; words, not regular expressions) refuse a
//! message like the dirty words (80001) and make on-demand moderation `Block`.

use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use timber_core::moderation::{check_word, Keyword, LABELS, MAX_KEYWORDS_PER_REQUEST, MAX_PAGE};
use timber_core::msglog::beijing_time;
use timber_core::{Error, ErrorCode};

fn invalid(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::JsonParse, info)
}

/// `SdkAppId` must be the caller's app; absent, it is (our leniency: the URL names the app).
fn check_app(ctx: &Ctx, v: Option<&Value>) -> Result<(), Error> {
    match v {
        None => Ok(()),
        Some(v) if v.as_u64() == Some(ctx.caller.app.sdkappid) => Ok(()),
        Some(_) => Err(invalid("SdkAppId must be the SDKAppID of the call")),
    }
}

/// `Offset` and `Limit` (at most 100, default 100).
fn page(offset: Option<i64>, limit: Option<i64>) -> Result<(i64, i64), Error> {
    let offset = offset.unwrap_or(0);
    let limit = limit.unwrap_or(MAX_PAGE);
    if offset < 0 || !(0..=MAX_PAGE).contains(&limit) {
        return Err(invalid(format!(
            "Offset must be ≥ 0 and Limit 0 to {MAX_PAGE}"
        )));
    }
    Ok((offset, limit))
}

fn one_or_two(v: Option<i64>, field: &str, default: i64) -> Result<i64, Error> {
    match v.unwrap_or(default) {
        n @ (1 | 2) => Ok(n),
        n => Err(invalid(format!("{field} must be 1 or 2, got {n}"))),
    }
}

fn lib_id(id: &str) -> Result<String, Error> {
    if id.is_empty() || id.len() > 64 || id.contains('\0') {
        return Err(invalid("LibID must be 1 to 64 bytes without NUL"));
    }
    Ok(id.to_owned())
}

fn request_id() -> String {
    let b: [u8; 16] = rand::random();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Serialize)]
pub struct Done {
    #[serde(rename = "RequestId")]
    request_id: String,
}

#[derive(Deserialize)]
pub struct GetLocalReq {
    #[serde(rename = "SdkAppId", default)]
    app: Option<Value>,
    #[serde(rename = "FilterType", default)]
    filter_type: Option<i64>,
    #[serde(rename = "Offset", default)]
    offset: Option<i64>,
    #[serde(rename = "Limit", default)]
    limit: Option<i64>,
    #[serde(rename = "Keyword", default)]
    keyword: Option<String>,
}

#[derive(Serialize)]
struct LocalWord {
    #[serde(rename = "Id")]
    id: i64,
    #[serde(rename = "Keyword")]
    keyword: String,
    #[serde(rename = "WordType")]
    word_type: i64,
    #[serde(rename = "FilterType")]
    filter_type: i64,
    #[serde(rename = "ReplacedContent")]
    replaced: String,
    #[serde(rename = "CreateTime")]
    created: String,
}

#[derive(Serialize)]
pub struct GetLocalResp {
    #[serde(rename = "RequestId")]
    request_id: String,
    #[serde(rename = "LocalAuditWords")]
    words: Vec<LocalWord>,
    #[serde(rename = "TotalCount")]
    total: u64,
    #[serde(rename = "TotalRegCount")]
    total_reg: u64,
    #[serde(rename = "CurCount")]
    cur: u64,
    #[serde(rename = "CurRegCount")]
    cur_reg: u64,
}

pub async fn get_local_audit_keywords(
    ctx: &Ctx,
    req: GetLocalReq,
) -> Result<GetLocalResp, Failure> {
    check_app(ctx, req.app.as_ref())?;
    let filter_type = req
        .filter_type
        .map(|f| one_or_two(Some(f), "FilterType", 2))
        .transpose()?;
    let (offset, limit) = page(req.offset, req.limit)?;
    if let Some(k) = &req.keyword {
        if k.contains('\0') {
            return Err(invalid("Keyword holds a NUL").into());
        }
    }
    let (total, total_reg, words) = ctx
        .store()
        .list_keywords(
            ctx.caller.app.sdkappid,
            String::new(),
            filter_type,
            req.keyword.filter(|k| !k.is_empty()),
            offset,
            limit,
        )
        .await?;
    let cur_reg = words.iter().filter(|k| k.word_type == 2).count() as u64;
    Ok(GetLocalResp {
        request_id: request_id(),
        cur: words.len() as u64,
        cur_reg,
        total,
        total_reg,
        words: words
            .into_iter()
            .map(|k| LocalWord {
                id: k.id,
                keyword: k.keyword,
                word_type: k.word_type,
                filter_type: k.filter_type,
                replaced: k.replaced,
                created: beijing_time(k.created),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct NewLocal {
    #[serde(rename = "Keyword")]
    keyword: String,
    #[serde(rename = "WordType", default)]
    word_type: Option<i64>,
    #[serde(rename = "FilterType", default)]
    filter_type: Option<i64>,
    #[serde(rename = "ReplacedContent", default)]
    replaced: Option<String>,
}

#[derive(Deserialize)]
pub struct AddLocalReq {
    #[serde(rename = "SdkAppId", default)]
    app: Option<Value>,
    #[serde(
        rename = "LocalAuditWords",
        deserialize_with = "crate::envelope::objects"
    )]
    words: Vec<NewLocal>,
}

fn check_count(n: usize) -> Result<(), Error> {
    if n == 0 || n > MAX_KEYWORDS_PER_REQUEST {
        return Err(invalid(format!(
            "{n} keywords given; 1 to {MAX_KEYWORDS_PER_REQUEST}"
        )));
    }
    Ok(())
}

fn bad_word(e: Error) -> Error {
    invalid(e.info)
}

pub async fn add_local_audit_keywords(ctx: &Ctx, req: AddLocalReq) -> Result<Done, Failure> {
    check_app(ctx, req.app.as_ref())?;
    check_count(req.words.len())?;
    let mut words = Vec::with_capacity(req.words.len());
    for w in req.words {
        check_word(&w.keyword).map_err(bad_word)?;
        let replaced = w.replaced.unwrap_or_default();
        if replaced.len() > 200 || replaced.contains('\0') {
            return Err(invalid("ReplacedContent must be at most 200 bytes without NUL").into());
        }
        words.push(Keyword {
            id: 0,
            keyword: w.keyword,
            word_type: one_or_two(w.word_type, "WordType", 1)?,
            filter_type: one_or_two(w.filter_type, "FilterType", 2)?,
            replaced,
            label: String::new(),
            created: 0,
        });
    }
    ctx.store()
        .add_keywords(ctx.caller.app.sdkappid, String::new(), words, ctx.now)
        .await?;
    Ok(Done {
        request_id: request_id(),
    })
}

#[derive(Deserialize)]
struct OldLocal {
    #[serde(rename = "Id", default)]
    id: Option<i64>,
    #[serde(rename = "Keyword", default)]
    keyword: Option<String>,
}

#[derive(Deserialize)]
pub struct DeleteLocalReq {
    #[serde(rename = "SdkAppId", default)]
    app: Option<Value>,
    #[serde(
        rename = "LocalAuditWords",
        deserialize_with = "crate::envelope::objects"
    )]
    words: Vec<OldLocal>,
}

pub async fn delete_local_audit_keywords(ctx: &Ctx, req: DeleteLocalReq) -> Result<Done, Failure> {
    check_app(ctx, req.app.as_ref())?;
    check_count(req.words.len())?;
    let mut items = Vec::with_capacity(req.words.len());
    for w in req.words {
        match (w.id, w.keyword) {
            (Some(id), k) => items.push((Some(id), k.unwrap_or_default())),
            (None, Some(k)) => {
                check_word(&k).map_err(bad_word)?;
                items.push((None, k));
            }
            (None, None) => return Err(invalid("each keyword needs its Id or Keyword").into()),
        }
    }
    if items.iter().any(|(_, k)| k.contains('\0')) {
        return Err(invalid("Keyword holds a NUL").into());
    }
    ctx.store()
        .delete_keywords(ctx.caller.app.sdkappid, String::new(), items)
        .await?;
    Ok(Done {
        request_id: request_id(),
    })
}

#[derive(Deserialize)]
pub struct LibsReq {
    #[serde(rename = "SdkAppId", default)]
    app: Option<Value>,
    #[serde(rename = "Offset", default)]
    offset: Option<i64>,
    #[serde(rename = "Limit", default)]
    limit: Option<i64>,
}

#[derive(Serialize)]
struct LibInfo {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "LibName")]
    name: String,
    #[serde(rename = "Describe")]
    describe: String,
    #[serde(rename = "Suggestion")]
    suggestion: &'static str,
    #[serde(rename = "CreateTime")]
    created: String,
}

#[derive(Serialize)]
pub struct LibsResp {
    #[serde(rename = "RequestId")]
    request_id: String,
    #[serde(rename = "TotalCount")]
    total: u64,
    #[serde(rename = "Infos")]
    infos: Vec<LibInfo>,
}

/// The cloud libraries are those holding keywords (a library is made by its first add).
pub async fn get_cloud_audit_keywords_ids(ctx: &Ctx, req: LibsReq) -> Result<LibsResp, Failure> {
    check_app(ctx, req.app.as_ref())?;
    let (offset, limit) = page(req.offset, req.limit)?;
    let libs = ctx
        .store()
        .list_keyword_libraries(ctx.caller.app.sdkappid)
        .await?;
    Ok(LibsResp {
        request_id: request_id(),
        total: libs.len() as u64,
        infos: libs
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|(id, _, created)| LibInfo {
                name: id.clone(),
                id,
                describe: String::new(),
                suggestion: "Block",
                created: beijing_time(created),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct GetCloudReq {
    #[serde(rename = "SdkAppId", default)]
    app: Option<Value>,
    #[serde(rename = "LibID")]
    lib: String,
    #[serde(rename = "Offset", default)]
    offset: Option<i64>,
    #[serde(rename = "Limit", default)]
    limit: Option<i64>,
    #[serde(rename = "Content", default)]
    content: Option<String>,
}

#[derive(Serialize)]
struct CloudWord {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Content")]
    content: String,
    #[serde(rename = "Label")]
    label: String,
    #[serde(rename = "CreateTime")]
    created: String,
}

#[derive(Serialize)]
pub struct GetCloudResp {
    #[serde(rename = "RequestId")]
    request_id: String,
    #[serde(rename = "TotalCount")]
    total: u64,
    #[serde(rename = "Infos")]
    infos: Vec<CloudWord>,
}

pub async fn get_cloud_audit_keywords(
    ctx: &Ctx,
    req: GetCloudReq,
) -> Result<GetCloudResp, Failure> {
    check_app(ctx, req.app.as_ref())?;
    let lib = lib_id(&req.lib)?;
    let (offset, limit) = page(req.offset, req.limit)?;
    if req.content.as_deref().is_some_and(|c| c.contains('\0')) {
        return Err(invalid("Content holds a NUL").into());
    }
    let (total, _, words) = ctx
        .store()
        .list_keywords(
            ctx.caller.app.sdkappid,
            lib,
            None,
            req.content.filter(|c| !c.is_empty()),
            offset,
            limit,
        )
        .await?;
    Ok(GetCloudResp {
        request_id: request_id(),
        total,
        infos: words
            .into_iter()
            .map(|k| CloudWord {
                id: k.id.to_string(),
                content: k.keyword,
                label: k.label,
                created: beijing_time(k.created),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct UserKeyword {
    #[serde(rename = "Content")]
    content: String,
    #[serde(rename = "Label")]
    label: String,
}

#[derive(Deserialize)]
pub struct AddCloudReq {
    #[serde(rename = "SdkAppId", default)]
    app: Option<Value>,
    #[serde(rename = "LibID")]
    lib: String,
    #[serde(rename = "UserKeywords", deserialize_with = "crate::envelope::objects")]
    words: Vec<UserKeyword>,
}

pub async fn add_cloud_audit_keywords(ctx: &Ctx, req: AddCloudReq) -> Result<Done, Failure> {
    check_app(ctx, req.app.as_ref())?;
    let lib = lib_id(&req.lib)?;
    if req.words.is_empty() || req.words.len() > 100 {
        return Err(invalid("UserKeywords holds 1 to 100 keywords").into());
    }
    let mut words = Vec::with_capacity(req.words.len());
    for w in req.words {
        check_word(&w.content).map_err(bad_word)?;
        if !LABELS.contains(&w.label.as_str()) {
            return Err(invalid(format!("Label {:?} is not one of {LABELS:?}", w.label)).into());
        }
        words.push(Keyword {
            id: 0,
            keyword: w.content,
            word_type: 1,
            filter_type: 2,
            replaced: String::new(),
            label: w.label,
            created: 0,
        });
    }
    ctx.store()
        .add_keywords(ctx.caller.app.sdkappid, lib, words, ctx.now)
        .await?;
    Ok(Done {
        request_id: request_id(),
    })
}

#[derive(Deserialize)]
pub struct DeleteCloudReq {
    #[serde(rename = "SdkAppId", default)]
    app: Option<Value>,
    #[serde(rename = "LibID")]
    lib: String,
    #[serde(rename = "Keywords")]
    words: Vec<String>,
}

#[derive(Serialize)]
struct Detail {
    #[serde(rename = "KeywordID")]
    id: String,
    #[serde(rename = "Keyword")]
    keyword: String,
    #[serde(rename = "Deleted")]
    deleted: bool,
    #[serde(rename = "ErrorInfo")]
    info: &'static str,
}

#[derive(Serialize)]
pub struct DeleteCloudResp {
    #[serde(rename = "RequestId")]
    request_id: String,
    #[serde(rename = "Count")]
    count: u64,
    #[serde(rename = "Details")]
    details: Vec<Detail>,
}

pub async fn delete_cloud_audit_keywords(
    ctx: &Ctx,
    req: DeleteCloudReq,
) -> Result<DeleteCloudResp, Failure> {
    check_app(ctx, req.app.as_ref())?;
    let lib = lib_id(&req.lib)?;
    check_count(req.words.len())?;
    for w in &req.words {
        check_word(w).map_err(bad_word)?;
    }
    let ids = ctx
        .store()
        .delete_keywords(
            ctx.caller.app.sdkappid,
            lib,
            req.words.iter().map(|w| (None, w.clone())).collect(),
        )
        .await?;
    let details: Vec<Detail> = req
        .words
        .into_iter()
        .zip(ids)
        .map(|(keyword, id)| Detail {
            id: id.map(|i| i.to_string()).unwrap_or_default(),
            keyword,
            deleted: id.is_some(),
            info: if id.is_some() {
                ""
            } else {
                "keyword not found"
            },
        })
        .collect();
    Ok(DeleteCloudResp {
        request_id: request_id(),
        count: details.iter().filter(|d| d.deleted).count() as u64,
        details,
    })
}
