//! friend_add, friend_import, friend_update, friend_delete, friend_delete_all, friend_check,
//! friend_get, friend_get_list and the legacy friend_get_all. spec: relationships.md §1–§9.

use super::fields::{
    code_info, from_account, index, items, opt_int, tag_values, targets, ItemsResp, TagValue,
};
use crate::envelope::{opt_account, opt_accounts, opt_objects, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use timber_core::sns::{
    entry_fields, entry_tag, entry_tags, friend_relation, invalid, is_friend_tag, is_profile_tag,
    next_start, parse_check_type, parse_delete_both, profile_tag_default, AddItem, AddType,
    CustomValue, FieldRef, FieldUpdate, FriendAdd, FriendEntry, UpdateItem, FRIEND_PAGE,
    GET_ALL_PAGE, GET_LIST_NOT_FRIEND_INFO, MAX_GET_LIST_TARGETS, MAX_ITEMS, MAX_TARGETS,
    TAG_GROUP, TAG_REMARK,
};
use timber_core::{Error, ErrorCode};

#[derive(Deserialize)]
pub struct TagValueReq {
    #[serde(rename = "Tag")]
    tag: Option<String>,
    #[serde(rename = "Value")]
    value: Option<Value>,
}

#[derive(Deserialize)]
pub struct AddItemReq {
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    #[serde(rename = "Remark")]
    remark: Option<String>,
    #[serde(rename = "GroupName")]
    group: Option<Value>,
    #[serde(rename = "AddSource")]
    add_source: Option<String>,
    #[serde(rename = "AddWording")]
    add_wording: Option<String>,
    #[serde(rename = "RemarkTime")]
    remark_time: Option<Value>,
    #[serde(rename = "AddTime")]
    add_time: Option<Value>,
    #[serde(rename = "CustomItem", default, deserialize_with = "opt_objects")]
    custom: Option<Vec<TagValueReq>>,
}

#[derive(Deserialize)]
pub struct FriendAddReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "AddFriendItem", default, deserialize_with = "opt_objects")]
    items: Option<Vec<AddItemReq>>,
    #[serde(rename = "AddType")]
    add_type: Option<String>,
    #[serde(rename = "ForceAddFlags")]
    force: Option<Value>,
}

/// friend_add's `GroupName` is one name; friend_import's an array of names.
fn group_names(v: Option<&Value>, import: bool) -> Result<Vec<String>, Error> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) if !import => Ok(vec![s.clone()]),
        Some(Value::Array(a)) if import => a
            .iter()
            .map(|g| {
                g.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid("GroupName must be an array of strings"))
            })
            .collect(),
        Some(other) if import => Err(invalid(format!(
            "GroupName must be an array of strings, got {other}"
        ))),
        Some(other) => Err(invalid(format!("GroupName must be a string, got {other}"))),
    }
}

fn add_item(i: AddItemReq, import: bool) -> Result<AddItem, Error> {
    let mut custom = Vec::new();
    if import {
        for t in i.custom.unwrap_or_default() {
            let tag = t
                .tag
                .ok_or_else(|| invalid("CustomItem[].Tag is required"))?;
            let value = t
                .value
                .as_ref()
                .and_then(CustomValue::from_json)
                .ok_or_else(|| invalid(format!("{tag}: Value must be a string or an integer")))?;
            custom.push((tag, value));
        }
    }
    Ok(AddItem {
        to: i.to.unwrap_or_default(),
        remark: i.remark,
        groups: group_names(i.group.as_ref(), import)?,
        add_source: i.add_source,
        add_wording: i.add_wording,
        remark_time: if import {
            opt_int(i.remark_time.as_ref(), "RemarkTime")?
        } else {
            None
        },
        add_time: if import {
            opt_int(i.add_time.as_ref(), "AddTime")?
        } else {
            None
        },
        custom,
    })
}

fn add_request(ctx: &Ctx, req: FriendAddReq, import: bool) -> Result<FriendAdd, Error> {
    let from = from_account(req.from)?;
    let add_type = AddType::parse(req.add_type.as_deref())?;
    // Only 1 forces; the doocs SDK's "normal" 2 and any other integer are normal (§1).
    let force = !import && opt_int(req.force.as_ref(), "ForceAddFlags")? == Some(1);
    let items = items(req.items, "AddFriendItem", MAX_ITEMS)?
        .into_iter()
        .map(|i| add_item(i, import))
        .collect::<Result<_, _>>()?;
    Ok(FriendAdd {
        admin: ctx.caller.identifier.clone(),
        from,
        add_type,
        force,
        items,
    })
}

/// Remarks and friend-list names against the dirty words (30005, push-and-operations.md §4.1).
async fn check_add_texts(ctx: &Ctx, req: &FriendAdd) -> Result<(), Failure> {
    let mut texts: Vec<(&str, &str)> = Vec::new();
    for i in &req.items {
        if let Some(r) = &i.remark {
            texts.push(("Remark", r));
        }
        texts.extend(i.groups.iter().map(|g| ("GroupName", g.as_str())));
    }
    crate::moderation::check_fields(ctx, &texts, ErrorCode::SnsDirtyWord).await
}

/// spec: relationships.md §1.
pub async fn friend_add(ctx: &Ctx, req: FriendAddReq) -> Result<ItemsResp, Failure> {
    let req = add_request(ctx, req, false)?;
    check_add_texts(ctx, &req).await?;
    let out = ctx
        .store()
        .friend_add(ctx.caller.app.sdkappid, req, ctx.now)
        .await?;
    Ok(ItemsResp::new(&out.items))
}

/// spec: relationships.md §2. No callback.
pub async fn friend_import(ctx: &Ctx, req: FriendAddReq) -> Result<ItemsResp, Failure> {
    let req = add_request(ctx, req, true)?;
    check_add_texts(ctx, &req).await?;
    let out = ctx
        .store()
        .friend_import(ctx.caller.app.sdkappid, req, ctx.now)
        .await?;
    Ok(ItemsResp::new(&out.items))
}

#[derive(Deserialize)]
pub struct UpdateItemReq {
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    #[serde(rename = "SnsItem", default, deserialize_with = "opt_objects")]
    fields: Option<Vec<TagValueReq>>,
}

#[derive(Deserialize)]
pub struct FriendUpdateReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "UpdateItem", default, deserialize_with = "opt_objects")]
    items: Option<Vec<UpdateItemReq>>,
}

/// One `SnsItem`; what cannot be read fails its own item (§3).
fn field_update(t: TagValueReq) -> FieldUpdate {
    let Some(tag) = t.tag else {
        return FieldUpdate::Invalid("SnsItem[].Tag is required".into());
    };
    let value = t.value.unwrap_or(Value::Null);
    match tag.as_str() {
        TAG_REMARK => match value {
            Value::String(s) => FieldUpdate::Remark(s),
            other => FieldUpdate::Invalid(format!("{TAG_REMARK} must be a string, got {other}")),
        },
        TAG_GROUP => match value
            .as_array()
            .and_then(|a| a.iter().map(|g| g.as_str().map(str::to_owned)).collect())
        {
            Some(groups) => FieldUpdate::Groups(groups),
            None => FieldUpdate::Invalid(format!("{TAG_GROUP} must be an array of strings")),
        },
        _ if tag.starts_with(timber_core::sns::CUSTOM_PREFIX) => {
            match CustomValue::from_json(&value) {
                Some(v) => FieldUpdate::Custom(tag, v),
                None => FieldUpdate::Invalid(format!("{tag} must be a string or an integer")),
            }
        }
        _ => FieldUpdate::Invalid(format!(
            "{tag} cannot be updated: only {TAG_REMARK}, {TAG_GROUP} and Tag_SNS_Custom_* can"
        )),
    }
}

/// spec: relationships.md §3.
pub async fn friend_update(ctx: &Ctx, req: FriendUpdateReq) -> Result<ItemsResp, Failure> {
    let from = from_account(req.from)?;
    let items = items(req.items, "UpdateItem", MAX_ITEMS)?
        .into_iter()
        .map(|i| UpdateItem {
            to: i.to.unwrap_or_default(),
            fields: i
                .fields
                .unwrap_or_default()
                .into_iter()
                .map(field_update)
                .collect(),
        })
        .collect::<Vec<UpdateItem>>();
    let mut texts: Vec<(&str, &str)> = Vec::new();
    for i in &items {
        for f in &i.fields {
            match f {
                FieldUpdate::Remark(r) => texts.push((TAG_REMARK, r)),
                FieldUpdate::Groups(g) => texts.extend(g.iter().map(|g| (TAG_GROUP, g.as_str()))),
                _ => {}
            }
        }
    }
    crate::moderation::check_fields(ctx, &texts, ErrorCode::SnsDirtyWord).await?;
    let out = ctx
        .store()
        .friend_update(ctx.caller.app.sdkappid, from, items, ctx.now)
        .await?;
    Ok(ItemsResp::new(&out.items))
}

#[derive(Deserialize)]
pub struct FriendDeleteReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_accounts")]
    to: Option<Vec<String>>,
    #[serde(rename = "DeleteType")]
    delete_type: Option<String>,
}

/// spec: relationships.md §4.
pub async fn friend_delete(ctx: &Ctx, req: FriendDeleteReq) -> Result<ItemsResp, Failure> {
    let from = from_account(req.from)?;
    let both = parse_delete_both(req.delete_type.as_deref())?;
    let to = targets(req.to, "To_Account", MAX_TARGETS)?;
    let out = ctx
        .store()
        .friend_delete(ctx.caller.app.sdkappid, from.clone(), to, both)
        .await?;
    Ok(ItemsResp::new(&out.items))
}

#[derive(Deserialize)]
pub struct FriendDeleteAllReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "DeleteType")]
    delete_type: Option<String>,
}

/// spec: relationships.md §5. No callback (documented).
pub async fn friend_delete_all(ctx: &Ctx, req: FriendDeleteAllReq) -> Result<Empty, Failure> {
    let from = from_account(req.from)?;
    let both = parse_delete_both(req.delete_type.as_deref())?;
    ctx.store()
        .friend_delete_all(ctx.caller.app.sdkappid, from, both)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
pub struct CheckReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    pub(super) from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_accounts")]
    pub(super) to: Option<Vec<String>>,
    #[serde(rename = "CheckType")]
    pub(super) check_type: Option<String>,
}

#[derive(Serialize)]
pub(super) struct RelationItem {
    #[serde(rename = "To_Account")]
    pub(super) to: String,
    #[serde(rename = "Relation")]
    pub(super) relation: &'static str,
    #[serde(rename = "ResultCode")]
    pub(super) code: u32,
    #[serde(rename = "ResultInfo")]
    pub(super) info: String,
}

#[derive(Serialize)]
pub struct FriendCheckResp {
    #[serde(rename = "InfoItem")]
    items: Vec<RelationItem>,
    #[serde(rename = "Fail_Account", skip_serializing_if = "Vec::is_empty")]
    failed: Vec<String>,
}

/// spec: relationships.md §6. A target that is not an account has no relation (code 0); the
/// requester's own UserID is a bad parameter of its item.
pub async fn friend_check(ctx: &Ctx, req: CheckReq) -> Result<FriendCheckResp, Failure> {
    let from = from_account(req.from)?;
    let both = parse_check_type(
        req.check_type.as_deref(),
        "CheckResult_Type_Single",
        "CheckResult_Type_Both",
    )?;
    let to = targets(req.to, "To_Account", MAX_TARGETS)?;
    let facts = ctx
        .store()
        .check_pairs(ctx.caller.app.sdkappid, from.clone(), to.clone(), false)
        .await?;
    let (items, failed) = relation_items(&from, to, facts, |a, b| friend_relation(both, a, b));
    Ok(FriendCheckResp { items, failed })
}

/// The check items of friend_check and black_list_check.
pub(super) fn relation_items(
    from: &str,
    to: Vec<String>,
    facts: Vec<(bool, bool, bool)>,
    relation: impl Fn(bool, bool) -> &'static str,
) -> (Vec<RelationItem>, Vec<String>) {
    let mut failed = Vec::new();
    let items = to
        .into_iter()
        .zip(facts)
        .map(|(to, (_, ab, ba))| {
            let (code, info) = if to.is_empty() || to == from {
                failed.push(to.clone());
                code_info(&Err(invalid("To_Account must be another user")))
            } else {
                (0, String::new())
            };
            RelationItem {
                relation: relation(ab, ba),
                to,
                code,
                info,
            }
        })
        .collect();
    (items, failed)
}

#[derive(Deserialize)]
pub struct FriendGetReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "StartIndex")]
    start: Option<Value>,
    #[serde(rename = "StandardSequence")]
    standard_seq: Option<Value>,
    #[serde(rename = "CustomSequence")]
    custom_seq: Option<Value>,
}

/// An entry of friend_get's `UserDataItem`, written from the stored entry it borrows.
#[derive(Serialize)]
pub struct EntryData<'a> {
    #[serde(rename = "To_Account")]
    to: &'a str,
    #[serde(rename = "ValueItem")]
    values: Vec<FieldRef<'a>>,
}

#[derive(Serialize)]
pub struct FriendGetResp {
    #[serde(rename = "UserDataItem", serialize_with = "entries")]
    items: Entries,
    #[serde(rename = "StandardSequence")]
    standard_seq: u64,
    #[serde(rename = "CustomSequence")]
    custom_seq: u64,
    #[serde(rename = "FriendNum")]
    friend_num: usize,
    #[serde(rename = "CompleteFlag")]
    complete: u8,
    #[serde(rename = "NextStartIndex")]
    next: usize,
}

/// spec: relationships.md §7: 100 friends a page by `AddTime`; a sequence equal to the
/// current one leaves that kind of field out.
pub async fn friend_get(ctx: &Ctx, req: FriendGetReq) -> Result<FriendGetResp, Failure> {
    let from = from_account(req.from)?;
    let start = index(req.start.as_ref(), "StartIndex")?;
    let std_seen = opt_int(req.standard_seq.as_ref(), "StandardSequence")?;
    let custom_seen = opt_int(req.custom_seq.as_ref(), "CustomSequence")?;
    let page = ctx
        .store()
        .friends(ctx.caller.app.sdkappid, from, start, FRIEND_PAGE)
        .await?;
    let same = |seen: Option<i64>, now: u64| seen.is_some_and(|s| s > 0 && s as u64 == now);
    let standard = !same(std_seen, page.seqs.standard);
    let custom = !same(custom_seen, page.seqs.custom);
    let next = next_start(start, page.friends.len(), page.total);
    Ok(FriendGetResp {
        items: Entries {
            friends: page.friends,
            standard,
            custom,
        },
        standard_seq: page.seqs.standard,
        custom_seq: page.seqs.custom,
        friend_num: page.total,
        complete: u8::from(next == 0),
        next,
    })
}

/// friend_get's entries and which kinds of fields they show.
pub struct Entries {
    friends: Vec<(String, FriendEntry)>,
    standard: bool,
    custom: bool,
}

fn entries<S: serde::Serializer>(e: &Entries, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(e.friends.iter().map(|(to, entry)| EntryData {
        to,
        values: entry_fields(entry, e.standard, e.custom),
    }))
}

/// `TagList`: each a friend field or a profile tag (30001 otherwise); absent = the standard
/// friend fields (§8, inferred).
fn tag_list(v: Option<Vec<String>>) -> Result<Option<Vec<String>>, Error> {
    if let Some(tags) = &v {
        if let Some(bad) = tags
            .iter()
            .find(|t| !is_friend_tag(t) && !is_profile_tag(t))
        {
            return Err(invalid(format!(
                "TagList: {bad:?} is neither a friend field nor a profile tag"
            )));
        }
    }
    Ok(v)
}

/// The `SnsProfileItem` of a friend: the tags in `TagList` order (profile tags never set
/// read as their defaults, unset custom fields are left out), or without a `TagList` the
/// standard and custom friend fields.
fn profile_items(
    tags: Option<&[String]>,
    entry: &FriendEntry,
    profile: &[(String, Value)],
) -> Vec<TagValue> {
    let Some(tags) = tags else {
        return tag_values(entry_tags(entry, true, true));
    };
    let mut out = Vec::new();
    for tag in tags {
        let value = if is_friend_tag(tag) {
            entry_tag(entry, tag)
        } else {
            profile
                .iter()
                .find(|(t, _)| t == tag)
                .map(|(_, v)| v.clone())
                .or_else(|| profile_tag_default(tag))
        };
        if let Some(value) = value {
            out.push(TagValue {
                tag: tag.clone(),
                value,
            });
        }
    }
    out
}

#[derive(Deserialize)]
pub struct FriendGetListReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_accounts")]
    to: Option<Vec<String>>,
    #[serde(rename = "TagList")]
    tags: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct NamedItem {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "SnsProfileItem", skip_serializing_if = "Option::is_none")]
    values: Option<Vec<TagValue>>,
    #[serde(rename = "ResultCode")]
    code: u32,
    #[serde(rename = "ResultInfo")]
    info: String,
}

#[derive(Serialize)]
pub struct FriendGetListResp {
    #[serde(rename = "InfoItem")]
    items: Vec<NamedItem>,
    #[serde(rename = "Fail_Account", skip_serializing_if = "Vec::is_empty")]
    failed: Vec<String>,
}

/// spec: relationships.md §8: a target that is not a friend (an unknown account included)
/// is 31211 with the documented `SNS_FRD_GET_LIST_FRD_NO_EXIST`.
pub async fn friend_get_list(
    ctx: &Ctx,
    req: FriendGetListReq,
) -> Result<FriendGetListResp, Failure> {
    let from = from_account(req.from)?;
    let to = targets(req.to, "To_Account", MAX_GET_LIST_TARGETS)?;
    let tags = tag_list(req.tags)?;
    let profile = tags
        .as_ref()
        .is_some_and(|t| t.iter().any(|t| is_profile_tag(t)));
    let found = ctx
        .store()
        .named_friends(ctx.caller.app.sdkappid, from, to.clone(), profile)
        .await?;
    let mut failed = Vec::new();
    let items = to
        .into_iter()
        .zip(found)
        .map(|(to, f)| match f {
            Some((entry, prof)) => NamedItem {
                values: Some(profile_items(tags.as_deref(), &entry, &prof)),
                to,
                code: 0,
                info: String::new(),
            },
            None => {
                failed.push(to.clone());
                NamedItem {
                    to,
                    values: None,
                    code: ErrorCode::SnsGetListNotFriend.code(),
                    info: GET_LIST_NOT_FRIEND_INFO.to_owned(),
                }
            }
        })
        .collect();
    Ok(FriendGetListResp { items, failed })
}

#[derive(Deserialize)]
pub struct FriendGetAllReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "StartIndex")]
    start: Option<Value>,
    #[serde(rename = "GetCount")]
    count: Option<Value>,
    #[serde(rename = "TagList")]
    tags: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct GetAllItem {
    #[serde(rename = "Info_Account")]
    to: String,
    #[serde(rename = "SnsProfileItem")]
    values: Vec<TagValue>,
}

#[derive(Serialize)]
pub struct FriendGetAllResp {
    #[serde(rename = "NeedUpdateAll")]
    need_update_all: &'static str,
    #[serde(rename = "TimeStampNow")]
    now: i64,
    #[serde(rename = "StartIndex")]
    next: usize,
    #[serde(rename = "InfoItem")]
    items: Vec<GetAllItem>,
    #[serde(rename = "CurrentStandardSequence")]
    standard_seq: u64,
    #[serde(rename = "FriendNum")]
    friend_num: usize,
}

/// spec: relationships.md §9 (legacy): always a full pull (`GetAll_Type_YES`); `TimeStamp`
/// and `LastStandardSequence` are read past. Profile tags of `TagList` read as in
/// friend_get_list.
pub async fn friend_get_all(ctx: &Ctx, req: FriendGetAllReq) -> Result<FriendGetAllResp, Failure> {
    let from = from_account(req.from)?;
    let start = index(req.start.as_ref(), "StartIndex")?;
    let count = match opt_int(req.count.as_ref(), "GetCount")? {
        None => GET_ALL_PAGE,
        Some(n) if n > 0 => (n as usize).min(GET_ALL_PAGE),
        Some(n) => return Err(invalid(format!("GetCount must be positive, got {n}")).into()),
    };
    let tags = tag_list(req.tags)?;
    let app = ctx.caller.app.sdkappid;
    let page = ctx.store().friends(app, from.clone(), start, count).await?;
    let profile = tags
        .as_ref()
        .is_some_and(|t| t.iter().any(|t| is_profile_tag(t)));
    let profiles = if profile {
        let names = page.friends.iter().map(|(f, _)| f.clone()).collect();
        ctx.store().named_friends(app, from, names, true).await?
    } else {
        Vec::new()
    };
    let next = next_start(start, page.friends.len(), page.total);
    let items = page
        .friends
        .iter()
        .enumerate()
        .map(|(i, (to, e))| {
            let prof = profiles
                .get(i)
                .and_then(|p| p.as_ref())
                .map(|p| p.1.as_slice())
                .unwrap_or_default();
            GetAllItem {
                to: to.clone(),
                values: profile_items(tags.as_deref(), e, prof),
            }
        })
        .collect();
    Ok(FriendGetAllResp {
        need_update_all: "GetAll_Type_YES",
        now: ctx.now,
        next,
        items,
        standard_seq: page.seqs.standard,
        friend_num: page.total,
    })
}
