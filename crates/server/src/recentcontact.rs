//! `v4/recentcontact/*`: conversation lists (get_list, delete, top), conversation groups and
//! marks (create_contact_group, del_contact_group, update_contact_group, get_contact_group,
//! search_contact_group, mark_contact). spec: recent-contacts.md. Its failures use the 50000
//! codes (50001 `From_Account` not imported, 50002 invalid parameter, 50004 internal,
//! 51008 capacity); every answer carries `ErrorDisplay` `""` as the samples do
//! (`Service::shows_error_display`).
//!
//! Field checks live here; the rules (ordering, paging, caps) in `timber_core::contacts`.

use crate::envelope::{opt_account, opt_object, opt_objects, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::account::validate_user_id;
use timber_core::contacts::{
    contact_page, invalid, AssistFlags, ContactData, ContactGroup, ContactKey, Conversation,
    Cursor, GroupUpdate, ItemResult, Kind, ListQuery, MarkChange, MemberChange, MAX_MARK_ITEMS,
    MAX_SEARCH_ITEMS, MAX_TOP_ITEMS,
};
use timber_core::{Error, ErrorCode};

/// A required field (50002 when absent).
fn required<T>(v: Option<T>, field: &str) -> Result<T, Error> {
    v.ok_or_else(|| invalid(format!("{field} is required")))
}

/// `From_Account`: required and non-empty (50002). One that is no well-formed UserID can be
/// no imported account (50001, without asking the store: PostgreSQL cannot even take a NUL);
/// otherwise whether it exists is the store's 50001.
fn owner(v: Option<String>) -> Result<String, Error> {
    let owner = required(v.filter(|s| !s.is_empty()), "From_Account")?;
    if let Err(why) = validate_user_id(&owner) {
        return Err(Error::new(
            ErrorCode::ContactAccountNotFound,
            format!("From_Account is not an imported account: {why}"),
        ));
    }
    Ok(owner)
}

/// A cursor field: a non-negative integer.
fn non_negative(v: Option<i64>, field: &str) -> Result<i64, Error> {
    match required(v, field)? {
        t if t >= 0 => Ok(t),
        t => Err(invalid(format!("{field} must not be negative, got {t}"))),
    }
}

// ---- get_list ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetListReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    time_stamp: Option<i64>,
    start_index: Option<u64>,
    top_time_stamp: Option<i64>,
    top_start_index: Option<u64>,
    assist_flags: Option<u64>,
}

#[derive(Serialize)]
pub struct SessionItem {
    #[serde(rename = "Type")]
    ty: i64,
    #[serde(rename = "To_Account", skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(rename = "GroupId", skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
    #[serde(rename = "MsgTime")]
    msg_time: i64,
    #[serde(rename = "TopFlag")]
    top_flag: u8,
    #[serde(rename = "StandardMark", skip_serializing_if = "Option::is_none")]
    standard_mark: Option<String>,
    #[serde(rename = "CustomMark", skip_serializing_if = "Option::is_none")]
    custom_mark: Option<String>,
    #[serde(rename = "ContactGroupId", skip_serializing_if = "Option::is_none")]
    group_ids: Option<Vec<u64>>,
}

impl SessionItem {
    fn new(c: Conversation, marks: bool) -> SessionItem {
        let (to, group_id) = match c.key.kind {
            Kind::C2c => (Some(c.key.peer), None),
            Kind::Group => (None, Some(c.key.peer)),
        };
        let data = c.data.filter(|_| marks).unwrap_or_default();
        let (standard_mark, custom_mark, group_ids) = marks_of(data);
        SessionItem {
            ty: c.key.kind.code(),
            to,
            group_id,
            msg_time: c.msg_time,
            top_flag: u8::from(c.pinned_at.is_some()),
            standard_mark,
            custom_mark,
            group_ids,
        }
    }
}

/// The mark fields of an item, each only when set (§1, §9).
fn marks_of(d: ContactData) -> (Option<String>, Option<String>, Option<Vec<u64>>) {
    (
        d.standard_mark(),
        (!d.custom.is_empty()).then_some(d.custom),
        (!d.groups.is_empty()).then_some(d.groups),
    )
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetListResp {
    session_item: Vec<SessionItem>,
    complete_flag: u8,
    time_stamp: i64,
    start_index: u64,
    top_time_stamp: i64,
    top_start_index: u64,
}

/// spec: recent-contacts.md §1. All six fields are required (50002); `AssistFlags` bits are
/// read as `AssistFlags::from_bits` documents.
pub async fn get_list(ctx: &Ctx, req: GetListReq) -> Result<GetListResp, Failure> {
    let from = owner(req.from)?;
    let query = ListQuery {
        normal: Cursor {
            time: non_negative(req.time_stamp, "TimeStamp")?,
            index: required(req.start_index, "StartIndex")?,
        },
        top: Cursor {
            time: non_negative(req.top_time_stamp, "TopTimeStamp")?,
            index: required(req.top_start_index, "TopStartIndex")?,
        },
        flags: AssistFlags::from_bits(required(req.assist_flags, "AssistFlags")?),
        cap: ctx.caller.app.max_conversations,
    };
    let marks = query.flags.with_marks;
    let page = ctx
        .store()
        .list_contacts(ctx.caller.app.sdkappid, from, query, ctx.retention())
        .await?;
    Ok(GetListResp {
        session_item: page
            .items
            .into_iter()
            .map(|c| SessionItem::new(c, marks))
            .collect(),
        complete_flag: u8::from(page.complete),
        time_stamp: page.normal.time,
        start_index: page.normal.index,
        top_time_stamp: page.top.time,
        top_start_index: page.top.index,
    })
}

// ---- delete ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "Type")]
    ty: Option<i64>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    /// The documented spelling; `ToGroupId` and `GroupId` are accepted too (§2, inferred).
    #[serde(rename = "ToGroupid")]
    to_groupid: Option<String>,
    #[serde(rename = "ToGroupId")]
    to_group_id: Option<String>,
    group_id: Option<String>,
    clear_ramble: Option<i64>,
}

/// spec: recent-contacts.md §2. Deleting a conversation not in the list succeeds; unknown
/// peers are not looked up. `ClearRamble` 0 or 1 (other values 50002).
pub async fn delete(ctx: &Ctx, req: DeleteReq) -> Result<Empty, Failure> {
    let from = owner(req.from)?;
    let group = req.to_groupid.or(req.to_group_id).or(req.group_id);
    let key = ContactKey::from_request(
        "the conversation",
        req.ty,
        req.to.as_deref(),
        group.as_deref(),
    )?;
    let clear = match req.clear_ramble.unwrap_or(0) {
        0 => false,
        1 => true,
        v => return Err(invalid(format!("ClearRamble must be 0 or 1, got {v}")).into()),
    };
    ctx.store()
        .delete_contact(ctx.caller.app.sdkappid, from, key, clear, ctx.now)
        .await?;
    Ok(Empty {})
}

// ---- top ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    operation_type: Option<i64>,
    #[serde(default, deserialize_with = "opt_objects")]
    recent_contact_item: Option<Vec<TopItem>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TopItem {
    #[serde(rename = "Type")]
    ty: Option<i64>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    group_id: Option<String>,
}

/// spec: recent-contacts.md §3. `OperationType` 1 pins, 2 unpins; 1–50 items, each a valid
/// conversation (50002 for the request otherwise); more than 50 pinned after the call 50002.
pub async fn top(ctx: &Ctx, req: TopReq) -> Result<Empty, Failure> {
    let from = owner(req.from)?;
    let pin = match required(req.operation_type, "OperationType")? {
        1 => true,
        2 => false,
        v => {
            return Err(invalid(format!(
                "OperationType must be 1 (pin) or 2 (unpin), got {v}"
            ))
            .into())
        }
    };
    let items = required(req.recent_contact_item, "RecentContactItem")?;
    if items.is_empty() || items.len() > MAX_TOP_ITEMS {
        return Err(invalid(format!(
            "RecentContactItem has {} entries; give 1 to {MAX_TOP_ITEMS}",
            items.len()
        ))
        .into());
    }
    let keys = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            ContactKey::from_request(
                &format!("RecentContactItem[{i}]"),
                it.ty,
                it.to.as_deref(),
                it.group_id.as_deref(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    ctx.store()
        .top_contacts(ctx.caller.app.sdkappid, from, pin, keys, ctx.now)
        .await?;
    Ok(Empty {})
}

// ---- the contact book ----

/// A `ContactItem` of the contact-group and mark commands, as sent.
#[derive(Deserialize, Serialize, Clone, Default)]
pub struct ContactItem {
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    ty: Option<i64>,
    #[serde(
        rename = "To_Account",
        default,
        deserialize_with = "opt_account",
        skip_serializing_if = "Option::is_none"
    )]
    to: Option<String>,
    #[serde(rename = "ToGroupId", skip_serializing_if = "Option::is_none")]
    to_group_id: Option<String>,
}

impl ContactItem {
    fn key(&self, what: &str) -> Result<ContactKey, Error> {
        ContactKey::from_request(
            what,
            self.ty,
            self.to.as_deref(),
            self.to_group_id.as_deref(),
        )
    }

    fn of(key: ContactKey) -> ContactItem {
        let (to, to_group_id) = match key.kind {
            Kind::C2c => (Some(key.peer), None),
            Kind::Group => (None, Some(key.peer)),
        };
        ContactItem {
            ty: Some(key.kind.code()),
            to,
            to_group_id,
        }
    }
}

#[derive(Serialize)]
pub struct GroupItem {
    #[serde(rename = "GroupName")]
    name: String,
    #[serde(rename = "GroupId")]
    id: u64,
}

impl From<ContactGroup> for GroupItem {
    fn from(g: ContactGroup) -> Self {
        GroupItem {
            name: g.name,
            id: g.id,
        }
    }
}

/// One conversation's outcome.
#[derive(Serialize)]
pub struct ContactResult {
    #[serde(rename = "ContactItem")]
    item: ContactItem,
    #[serde(rename = "ResultCode")]
    code: u32,
    #[serde(rename = "ResultInfo")]
    info: String,
}

fn result_parts(r: ItemResult) -> (u32, String) {
    match r {
        Ok(()) => (0, String::new()),
        Err(e) => (e.code.code(), e.info),
    }
}

impl ContactResult {
    fn new(item: ContactItem, r: ItemResult) -> ContactResult {
        let (code, info) = result_parts(r);
        ContactResult { item, code, info }
    }
}

// ---- create_contact_group ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGroupReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    group_contact_item: Option<Vec<GroupContactItem>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupContactItem {
    group_name: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    contact_item: Option<Vec<ContactItem>>,
}

#[derive(Serialize)]
pub struct GroupResultItem {
    #[serde(rename = "GroupItem")]
    group: GroupItem,
    #[serde(rename = "ResultItem")]
    results: Vec<ContactResult>,
}

#[derive(Serialize)]
pub struct CreateGroupResp {
    #[serde(rename = "GroupResultItem")]
    items: Vec<GroupResultItem>,
}

/// spec: recent-contacts.md §5. Exactly one group per call (50002 otherwise), its name 1–32
/// bytes and not in use (50002); the 21st group 51008. Each conversation has its own
/// `ResultCode`: a malformed one 50002, one past the 1 000-conversation cap 51008.
pub async fn create_contact_group(
    ctx: &Ctx,
    req: CreateGroupReq,
) -> Result<CreateGroupResp, Failure> {
    let from = owner(req.from)?;
    let mut groups = required(req.group_contact_item, "GroupContactItem")?;
    if groups.len() != 1 {
        return Err(invalid(format!(
            "GroupContactItem has {} entries; exactly one group is created per call",
            groups.len()
        ))
        .into());
    }
    let g = groups.remove(0);
    let name = required(g.group_name, "GroupContactItem[0].GroupName")?;
    let items = required(g.contact_item, "GroupContactItem[0].ContactItem")?;
    let keys = items
        .iter()
        .enumerate()
        .map(|(i, it)| it.key(&format!("ContactItem[{i}]")))
        .collect();
    let (group, results) = ctx
        .store()
        .create_contact_group(ctx.caller.app.sdkappid, from, name, keys, ctx.now)
        .await?;
    let results = items
        .into_iter()
        .zip(results)
        .map(|(it, r)| ContactResult::new(it, r))
        .collect();
    Ok(CreateGroupResp {
        items: vec![GroupResultItem {
            group: group.into(),
            results,
        }],
    })
}

// ---- del_contact_group ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DelGroupReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    group_name: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct DelGroupResp {
    #[serde(rename = "GroupItem")]
    items: Vec<GroupItem>,
}

/// spec: recent-contacts.md §6. Exactly one name per call; an unknown name 50002.
pub async fn del_contact_group(ctx: &Ctx, req: DelGroupReq) -> Result<DelGroupResp, Failure> {
    let from = owner(req.from)?;
    let mut names = required(req.group_name, "GroupName")?;
    if names.len() != 1 {
        return Err(invalid(format!(
            "GroupName has {} entries; exactly one group is deleted per call",
            names.len()
        ))
        .into());
    }
    let group = ctx
        .store()
        .delete_contact_group(ctx.caller.app.sdkappid, from, names.remove(0), ctx.now)
        .await?;
    Ok(DelGroupResp {
        items: vec![group.into()],
    })
}

// ---- update_contact_group ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGroupReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    update_type: Option<i64>,
    #[serde(default, deserialize_with = "opt_object")]
    update_group: Option<UpdateGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateGroup {
    update_group_type: Option<i64>,
    old_group_name: Option<String>,
    new_group_name: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    contact_update_item: Option<Vec<ContactUpdateItem>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContactUpdateItem {
    contact_opt_type: Option<i64>,
    #[serde(default, deserialize_with = "opt_object")]
    contact_item: Option<ContactItem>,
}

#[derive(Serialize)]
pub struct UpdateResult {
    #[serde(rename = "ContactOptType", skip_serializing_if = "Option::is_none")]
    opt_type: Option<i64>,
    #[serde(rename = "ContactItem")]
    item: ContactItem,
    #[serde(rename = "ResultCode")]
    code: u32,
    #[serde(rename = "ResultInfo")]
    info: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGroupResult {
    update_group_type: i64,
    group_name: String,
    group_id: u64,
    old_group_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_result_item: Option<Vec<UpdateResult>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGroupResp {
    update_type: i64,
    update_group_result: UpdateGroupResult,
}

/// spec: recent-contacts.md §7. `UpdateType` 1 (the only value); `UpdateGroupType` 1 renames
/// (`NewGroupName` 1–32 bytes, not another group's: 50002), 2 adds (`ContactOptType` 1) or
/// removes (2) conversations, each with its own result. Unknown `OldGroupName` 50002.
pub async fn update_contact_group(
    ctx: &Ctx,
    req: UpdateGroupReq,
) -> Result<UpdateGroupResp, Failure> {
    let from = owner(req.from)?;
    match required(req.update_type, "UpdateType")? {
        1 => {}
        v => return Err(invalid(format!("UpdateType must be 1, got {v}")).into()),
    }
    let u = required(req.update_group, "UpdateGroup")?;
    let old_name = required(u.old_group_name, "UpdateGroup.OldGroupName")?;
    let group_type = required(u.update_group_type, "UpdateGroup.UpdateGroupType")?;
    let (update, echoes) = match group_type {
        1 => {
            let new = required(u.new_group_name, "UpdateGroup.NewGroupName")?;
            (GroupUpdate::Rename(new), None)
        }
        2 => {
            let items = required(u.contact_update_item, "UpdateGroup.ContactUpdateItem")?;
            let mut changes = Vec::with_capacity(items.len());
            let mut echoes = Vec::with_capacity(items.len());
            for (i, it) in items.into_iter().enumerate() {
                let item = it.contact_item.unwrap_or_default();
                let what = format!("ContactUpdateItem[{i}]");
                let change = match it.contact_opt_type {
                    Some(t @ (1 | 2)) => {
                        item.key(&what).map(|key| MemberChange { add: t == 1, key })
                    }
                    t => Err(invalid(format!(
                        "{what}: ContactOptType must be 1 (add) or 2 (remove), got {}",
                        t.map_or("nothing".to_owned(), |t| t.to_string())
                    ))),
                };
                changes.push(change);
                echoes.push((it.contact_opt_type, item));
            }
            (GroupUpdate::Members(changes), Some(echoes))
        }
        v => return Err(invalid(format!("UpdateGroupType must be 1 or 2, got {v}")).into()),
    };
    let (group, results) = ctx
        .store()
        .update_contact_group(
            ctx.caller.app.sdkappid,
            from,
            old_name.clone(),
            update,
            ctx.now,
        )
        .await?;
    let contact_result_item = echoes.map(|echoes| {
        echoes
            .into_iter()
            .zip(results)
            .map(|((opt_type, item), r)| {
                let (code, info) = result_parts(r);
                UpdateResult {
                    opt_type,
                    item,
                    code,
                    info,
                }
            })
            .collect()
    });
    Ok(UpdateGroupResp {
        update_type: 1,
        update_group_result: UpdateGroupResult {
            update_group_type: group_type,
            group_name: group.name,
            group_id: group.id,
            old_group_name: old_name,
            contact_result_item,
        },
    })
}

// ---- mark_contact ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MarkReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    mark_item: Option<Vec<MarkItem>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MarkItem {
    opt_type: Option<i64>,
    #[serde(default, deserialize_with = "opt_object")]
    contact_item: Option<ContactItem>,
    set_mark: Option<Vec<i64>>,
    clear_mark: Option<Vec<i64>>,
    custom_mark: Option<String>,
}

#[derive(Serialize)]
pub struct MarkResult {
    #[serde(rename = "OptType", skip_serializing_if = "Option::is_none")]
    opt_type: Option<i64>,
    #[serde(rename = "ContactItem")]
    item: ContactItem,
    #[serde(rename = "ResultCode")]
    code: u32,
    #[serde(rename = "ResultInfo")]
    info: String,
}

#[derive(Serialize)]
pub struct MarkResp {
    #[serde(rename = "ResultItem")]
    items: Vec<MarkResult>,
}

/// Mark indexes as sent; a negative one can be no index (it becomes one past every index,
/// which the decision refuses as outside 0–63).
fn indexes(v: Option<Vec<i64>>) -> Vec<u64> {
    v.unwrap_or_default()
        .into_iter()
        .map(|i| u64::try_from(i).unwrap_or(u64::MAX))
        .collect()
}

/// spec: recent-contacts.md §8. 1–100 items (50002 otherwise), each with its own result in
/// request order: a malformed item or an index outside 0–63 50002, the 1 001st marked
/// conversation 51008.
pub async fn mark_contact(ctx: &Ctx, req: MarkReq) -> Result<MarkResp, Failure> {
    let from = owner(req.from)?;
    let items = required(req.mark_item, "MarkItem")?;
    if items.is_empty() || items.len() > MAX_MARK_ITEMS {
        return Err(invalid(format!(
            "MarkItem has {} entries; give 1 to {MAX_MARK_ITEMS}",
            items.len()
        ))
        .into());
    }
    let mut changes = Vec::with_capacity(items.len());
    let mut echoes = Vec::with_capacity(items.len());
    for (i, it) in items.into_iter().enumerate() {
        let item = it.contact_item.unwrap_or_default();
        let what = format!("MarkItem[{i}]");
        changes.push(match it.opt_type {
            None => Err(invalid(format!("{what}: OptType is required"))),
            Some(opt_type) => item.key(&what).map(|key| MarkChange {
                opt_type,
                key,
                set: indexes(it.set_mark),
                clear: indexes(it.clear_mark),
                custom: it.custom_mark,
            }),
        });
        echoes.push((it.opt_type, item));
    }
    let results = ctx
        .store()
        .mark_contacts(ctx.caller.app.sdkappid, from, changes, ctx.now)
        .await?;
    let items = echoes
        .into_iter()
        .zip(results)
        .map(|((opt_type, item), r)| {
            let (code, info) = result_parts(r);
            MarkResult {
                opt_type,
                item,
                code,
                info,
            }
        })
        .collect();
    Ok(MarkResp { items })
}

// ---- get_contact_group, search_contact_group ----

/// A conversation's contact-book data as both reads answer it (§9).
#[derive(Serialize)]
pub struct ContactDataItem {
    #[serde(flatten)]
    item: ContactItem,
    #[serde(rename = "StandardMark", skip_serializing_if = "Option::is_none")]
    standard_mark: Option<String>,
    #[serde(rename = "CustomMark", skip_serializing_if = "Option::is_none")]
    custom_mark: Option<String>,
    #[serde(rename = "ContactGroupId", skip_serializing_if = "Option::is_none")]
    group_ids: Option<Vec<u64>>,
    #[serde(rename = "Timestamp")]
    timestamp: i64,
}

impl ContactDataItem {
    fn new(key: ContactKey, d: ContactData) -> ContactDataItem {
        let timestamp = d.updated;
        let (standard_mark, custom_mark, group_ids) = marks_of(d);
        ContactDataItem {
            item: ContactItem::of(key),
            standard_mark,
            custom_mark,
            group_ids,
            timestamp,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetGroupsReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    start_index: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetGroupsResp {
    contact_item: Vec<ContactDataItem>,
    group_item: Vec<GroupItem>,
    complete_flag: u8,
    next_start_index: u64,
}

/// spec: recent-contacts.md §9: 100 conversations a page (newest `Timestamp` first), every
/// group on every page.
pub async fn get_contact_group(ctx: &Ctx, req: GetGroupsReq) -> Result<GetGroupsResp, Failure> {
    let from = owner(req.from)?;
    let start = required(req.start_index, "StartIndex")?;
    let book = ctx
        .store()
        .contact_book(ctx.caller.app.sdkappid, from)
        .await?;
    let (page, complete, next) = contact_page(&book, start);
    Ok(GetGroupsResp {
        contact_item: page
            .into_iter()
            .map(|(k, d)| ContactDataItem::new(k, d))
            .collect(),
        group_item: book.groups.into_iter().map(Into::into).collect(),
        complete_flag: u8::from(complete),
        next_start_index: next,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    contact_item: Option<Vec<ContactItem>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchResp {
    contact_result_item: Vec<ContactDataItem>,
    group_item: Vec<GroupItem>,
}

/// spec: recent-contacts.md §10. 1–300 conversations, each well-formed (50002 otherwise);
/// those without marks or groups are left out, the others answered in request order.
pub async fn search_contact_group(ctx: &Ctx, req: SearchReq) -> Result<SearchResp, Failure> {
    let from = owner(req.from)?;
    let items = required(req.contact_item, "ContactItem")?;
    if items.is_empty() || items.len() > MAX_SEARCH_ITEMS {
        return Err(invalid(format!(
            "ContactItem has {} entries; give 1 to {MAX_SEARCH_ITEMS}",
            items.len()
        ))
        .into());
    }
    let keys = items
        .iter()
        .enumerate()
        .map(|(i, it)| it.key(&format!("ContactItem[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let book = ctx
        .store()
        .contact_book(ctx.caller.app.sdkappid, from)
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    let found = keys
        .into_iter()
        .filter(|k| seen.insert(k.clone()))
        .filter_map(|k| {
            let d = book.items.get(&k)?.clone();
            Some(ContactDataItem::new(k, d))
        })
        .collect();
    Ok(SearchResp {
        contact_result_item: found,
        group_item: book.groups.into_iter().map(Into::into).collect(),
    })
}
