//! The methods of members.md §3. A member's request runs the REST API's own handler where one
//! exists, with the member as the caller and as the sender (`From_Account`, `Operator_Account`),
//! so that the rules, the callbacks and the codes are the REST API's; the member's view of
//! history and "clear for me" are `timber_store::MemberStore`'s.

use super::events::raw_json;
use super::rpc::RpcError;
use super::Session;
use crate::envelope::Service;
use crate::{callbacks, dispatch, Ctx};
use serde_json::{json, Map, Value};
use timber_core::callback::{BeforeKind, Verdict};
use timber_core::member::rpc::{INVALID_PARAMS, METHOD_NOT_FOUND};
use timber_core::message::{MemberEntry, MAX_HISTORY_PAGE};
use timber_core::{Error, ErrorCode};

/// The window in which a member may recall their own message (members.md §3, the cloud's
/// default 2 minutes).
pub const RECALL_WINDOW_SECS: i64 = 120;

type Params = Map<String, Value>;

fn bad(why: impl Into<String>) -> RpcError {
    RpcError::new(INVALID_PARAMS, why)
}

fn opt_str<'a>(p: &'a Params, name: &str) -> Result<Option<&'a str>, RpcError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("{name} must be a string"))),
    }
}

fn req_str<'a>(p: &'a Params, name: &str) -> Result<&'a str, RpcError> {
    opt_str(p, name)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad(format!("{name} is required")))
}

fn opt_u64(p: &Params, name: &str) -> Result<Option<u64>, RpcError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(format!("{name} must be a non-negative integer"))),
    }
}

fn opt_bool(p: &Params, name: &str) -> Result<bool, RpcError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad(format!("{name} must be a boolean"))),
    }
}

fn str_list(p: &Params, name: &str) -> Result<Vec<String>, RpcError> {
    match p.get(name) {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(format!("{name} must be a list of strings")))
            })
            .collect(),
        _ => Err(bad(format!("{name} is required (a list of strings)"))),
    }
}

/// Exactly one of `groupID` and `userID`.
enum Target<'a> {
    Group(&'a str),
    User(&'a str),
}

fn target(p: &Params) -> Result<Target<'_>, RpcError> {
    match (opt_str(p, "groupID")?, opt_str(p, "userID")?) {
        (Some(g), None) if !g.is_empty() => Ok(Target::Group(g)),
        (None, Some(u)) if !u.is_empty() => Ok(Target::User(u)),
        _ => Err(bad("exactly one of groupID and userID is required")),
    }
}

impl Session {
    /// The member as the caller of a REST handler of `service`.
    fn ctx(&self, service: Service) -> Ctx {
        Ctx {
            state: self.state.clone(),
            caller: crate::auth::Caller {
                app: self.app.clone(),
                identifier: self.me.clone(),
            },
            client_ip: self.client_ip.clone(),
            service,
            now: timber_core::now_secs(),
        }
    }

    /// Runs a REST command as the member; its answer without the envelope's fields.
    async fn rest(&self, service: Service, command: &str, body: Value) -> Result<Value, RpcError> {
        let ctx = self.ctx(service);
        let bytes = serde_json::to_vec(&body).map_err(|e| RpcError::internal(e.to_string()))?;
        let answer = timber_store::outbox::CLIENT_IP
            .scope(
                ctx.client_ip.clone(),
                dispatch::dispatch(&ctx, command, &bytes),
            )
            .await?;
        let mut v: Value =
            serde_json::from_slice(&answer).map_err(|e| RpcError::internal(e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            for k in ["ActionStatus", "ErrorCode", "ErrorInfo", "ErrorDisplay"] {
                o.remove(k);
            }
        }
        Ok(v)
    }

    fn app_id(&self) -> u64 {
        self.app.sdkappid
    }

    fn retention(&self) -> timber_core::message::Retention {
        timber_core::message::Retention {
            days: self.app.retention_days,
            now: timber_core::now_secs(),
        }
    }

    /// One request: its method and params; the result or the error.
    pub async fn call(&self, method: &str, p: &Params) -> Result<Value, RpcError> {
        match method {
            "getLoginUser" => Ok(json!({"userID": self.me})),
            "getServerTime" => Ok(json!({"serverTime": timber_core::now_secs()})),
            "sendMessage" => self.send_message(p).await,
            "getGroupHistoryMessageList" => self.group_history(p).await,
            "getC2CHistoryMessageList" => self.c2c_history(p).await,
            "revokeMessage" => self.revoke(p).await,
            "modifyMessage" => self.modify(p).await,
            "markGroupMessageAsRead" => {
                let r = self.mark_group_read(p).await?;
                self.announce_total().await;
                Ok(r)
            }
            "markC2CMessageAsRead" => {
                let r = self.mark_c2c_read(p).await?;
                self.announce_total().await;
                Ok(r)
            }
            "markAllMessageAsRead" => {
                let r = self.mark_all_read().await?;
                self.announce_total().await;
                Ok(r)
            }
            "clearGroupHistoryMessage" => {
                let g = req_str(p, "groupID")?;
                let seq = self
                    .state
                    .store
                    .clear_group_for_member(self.app_id(), g.to_owned(), self.me.clone())
                    .await
                    .map_err(|e| self.store_error(e, Service::Group))?;
                Ok(json!({"clearSeq": seq}))
            }
            "clearC2CHistoryMessage" => {
                let u = req_str(p, "userID")?;
                let at = self
                    .state
                    .store
                    .clear_c2c_for_member(
                        self.app_id(),
                        self.me.clone(),
                        u.to_owned(),
                        timber_core::now_secs(),
                    )
                    .await
                    .map_err(|e| self.store_error(e, Service::OpenIm))?;
                Ok(json!({"clearTime": at}))
            }
            "getConversationList" => self.conversation_list(p).await,
            "getTotalUnreadMessageCount" => {
                let convs = self.conversations().await?;
                let count: u64 = convs
                    .iter()
                    .map(|c| c["unreadCount"].as_u64().unwrap_or(0))
                    .sum();
                Ok(json!({"count": count}))
            }
            "getJoinedGroupList" => {
                let v = self
                    .rest(
                        Service::Group,
                        "get_joined_group_list",
                        json!({"Member_Account": self.me}),
                    )
                    .await?;
                Ok(json!({"groupList": v.get("GroupIdList").cloned().unwrap_or(json!([]))}))
            }
            "getGroupsInfo" => {
                let ids = str_list(p, "groupIDList")?;
                let v = self
                    .rest(
                        Service::Group,
                        "get_group_info",
                        json!({"GroupIdList": ids}),
                    )
                    .await?;
                Ok(json!({"groupList": v.get("GroupInfo").cloned().unwrap_or(json!([]))}))
            }
            "getGroupMemberList" => {
                let g = req_str(p, "groupID")?;
                let mut body = json!({"GroupId": g, "Limit": opt_u64(p, "count")?.unwrap_or(100)});
                if let Some(next) = opt_str(p, "nextSeq")? {
                    body["Next"] = json!(next);
                }
                let v = self
                    .rest(Service::Group, "get_group_member_info", body)
                    .await?;
                Ok(json!({
                    "memberList": v.get("MemberList").cloned().unwrap_or(json!([])),
                    "memberNum": v.get("MemberNum").cloned().unwrap_or(json!(0)),
                    "nextSeq": v.get("Next").cloned().unwrap_or(json!("")),
                }))
            }
            "joinGroup" => self.join_group(p).await,
            "quitGroup" => self.quit_group(p).await,
            "getGroupApplicationList" => self.application_list().await,
            "acceptGroupApplication" | "refuseGroupApplication" => {
                self.answer_application(p, method == "acceptGroupApplication")
                    .await
            }
            "subscribeOfficialAccount" => self.subscribe_official(p).await,
            "unsubscribeOfficialAccount" => self.unsubscribe_official(p).await,
            "setOfficialAccountMsgFlag" => {
                let id = req_str(p, "officialAccountID")?;
                let flag = req_str(p, "msgFlag")?;
                self.rest(
                    Service::Official,
                    "modify_subscriber_info",
                    json!({"Official_Account": id, "Subscriber_Account": self.me, "MsgFlag": flag}),
                )
                .await?;
                Ok(json!({}))
            }
            "getSubscribedOfficialAccountList" => {
                let mut body = json!({"Subscriber_Account": self.me});
                if let Some(offset) = opt_u64(p, "offset")? {
                    body["Offset"] = json!(offset);
                }
                if let Some(count) = opt_u64(p, "count")? {
                    body["Limit"] = json!(count);
                }
                let v = self
                    .rest(
                        Service::Official,
                        "get_subscribed_official_account_list",
                        body,
                    )
                    .await?;
                Ok(json!({
                    "officialAccountList": v.get("OfficialAccountInfoList").cloned().unwrap_or(json!([])),
                    "totalCount": v.get("TotalCount").cloned().unwrap_or(json!(0)),
                    "nextOffset": v.get("Next").cloned().unwrap_or(json!(0)),
                    "isFinished": v.get("CompleteFlag").and_then(Value::as_u64) != Some(0),
                }))
            }
            "getUserStatus" => {
                let users = str_list(p, "userIDList")?;
                let live = super::platforms(&self.state, self.app_id(), &users).await;
                let list: Vec<Value> = users
                    .iter()
                    .zip(live)
                    .map(|(u, platforms)| {
                        json!({
                            "userID": u,
                            "statusType": if platforms.is_empty() { 2 } else { 1 },
                            "status": if platforms.is_empty() { "Offline" } else { "Online" },
                            "platforms": platforms.iter().map(|p| p.name()).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                Ok(json!({"statusList": list}))
            }
            "getUsersInfo" => {
                let users = str_list(p, "userIDList")?;
                let v = self
                    .rest(
                        Service::Profile,
                        "portrait_get",
                        json!({"To_Account": users, "TagList": [
                            "Tag_Profile_IM_Nick", "Tag_Profile_IM_Image",
                            "Tag_Profile_IM_SelfSignature", "Tag_Profile_IM_Gender",
                        ]}),
                    )
                    .await?;
                Ok(json!({"userList": v.get("UserProfileItem").cloned().unwrap_or(json!([]))}))
            }
            "setSelfInfo" => {
                let items: Vec<Value> = p
                    .iter()
                    .map(|(k, v)| json!({"Tag": k, "Value": v}))
                    .collect();
                self.rest(
                    Service::Profile,
                    "portrait_set",
                    json!({"From_Account": self.me, "ProfileItem": items}),
                )
                .await?;
                Ok(json!({}))
            }
            _ => Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("{method:?} is not a method of timber's member protocol"),
            )),
        }
    }

    fn store_error(&self, e: timber_store::StoreError, service: Service) -> RpcError {
        match e {
            timber_store::StoreError::Domain(e) => e.into(),
            timber_store::StoreError::Db(e) => {
                tracing::error!(error = %e, "member request: store failure");
                Error::from(service.internal()).into()
            }
        }
    }

    async fn send_message(&self, p: &Params) -> Result<Value, RpcError> {
        let body = p
            .get("msgBody")
            .cloned()
            .ok_or_else(|| bad("msgBody is required"))?;
        let random = opt_u64(p, "random")?.unwrap_or_else(|| u64::from(rand::random::<u32>()));
        let custom = opt_str(p, "cloudCustomData")?;
        let online_only = opt_bool(p, "onlineUserOnly")?;
        let target = target(p)?;
        self.refuse_if_globally_muted(&target).await?;
        match target {
            Target::Group(g) => {
                let mut req = json!({
                    "GroupId": g, "From_Account": self.me, "Random": random, "MsgBody": body,
                    "OnlineOnlyFlag": u8::from(online_only),
                });
                if let Some(c) = custom {
                    req["CloudCustomData"] = json!(c);
                }
                if let Some(pr) = opt_str(p, "priority")? {
                    req["MsgPriority"] = json!(pr);
                }
                if let Ok(to) = str_list(p, "receiverList") {
                    req["To_Account"] = json!(to);
                }
                let v = self.rest(Service::Group, "send_group_msg", req).await?;
                Ok(json!({"msgSeq": v["MsgSeq"], "msgTime": v["MsgTime"]}))
            }
            Target::User(u) => {
                let mut req = json!({
                    "From_Account": self.me, "To_Account": u, "MsgRandom": random,
                    "MsgBody": body, "SyncOtherMachine": 1,
                });
                if online_only {
                    req["OnlineOnlyFlag"] = json!(1);
                }
                if let Some(c) = custom {
                    req["CloudCustomData"] = json!(c);
                }
                let v = self.rest(Service::OpenIm, "sendmsg", req).await?;
                Ok(json!({"msgKey": v["MsgKey"], "msgTime": v["MsgTime"]}))
            }
        }
    }

    /// A client's send while `setnospeaking` mutes the sender fails before any callback is
    /// asked (push-and-operations.md §2.1): 20012 one-to-one, 10017 in a group.
    async fn refuse_if_globally_muted(&self, target: &Target<'_>) -> Result<(), RpcError> {
        let ends = self
            .state
            .store
            .get_no_speaking(self.app_id(), self.me.clone())
            .await
            .map_err(|e| self.store_error(e, Service::OpenIm))?;
        let now = timber_core::now_secs();
        let (end, code) = match target {
            Target::Group(_) => (ends.group, ErrorCode::GroupSenderMuted),
            Target::User(_) => (ends.c2c, ErrorCode::C2cSenderMuted),
        };
        if end > now {
            return Err(Error::new(
                code,
                "the sender is muted for the whole app (setnospeaking)",
            )
            .into());
        }
        Ok(())
    }

    async fn group_history(&self, p: &Params) -> Result<Value, RpcError> {
        let g = req_str(p, "groupID")?;
        let count = opt_u64(p, "count")?.unwrap_or(MAX_HISTORY_PAGE);
        if !(1..=MAX_HISTORY_PAGE).contains(&count) {
            return Err(bad(format!("count must be 1..={MAX_HISTORY_PAGE}")));
        }
        // `lastMsgSeq`: the oldest seq the client holds; the page is what comes before it.
        let req_seq = match opt_u64(p, "lastMsgSeq")? {
            None | Some(0) => None,
            Some(s) => Some(s - 1),
        };
        if req_seq == Some(0) {
            return Ok(json!({"messages": [], "isFinished": true}));
        }
        let (page, clear) = self
            .state
            .store
            .own_history(
                self.app_id(),
                g.to_owned(),
                self.me.clone(),
                req_seq,
                count,
                self.retention(),
            )
            .await
            .map_err(|e| self.store_error(e, Service::Group))?;
        let messages: Vec<Value> = page.entries.iter().map(member_entry_json).collect();
        Ok(json!({
            "messages": messages,
            "isFinished": page.next_seq.is_none(),
            "clearSeq": clear,
        }))
    }

    async fn c2c_history(&self, p: &Params) -> Result<Value, RpcError> {
        let u = req_str(p, "userID")?;
        let count = opt_u64(p, "count")?.unwrap_or(20);
        let mut req = json!({
            "Operator_Account": self.me, "Peer_Account": u, "MaxCnt": count,
            "MinTime": 0, "MaxTime": timber_core::now_secs(),
        });
        if let Some(k) = opt_str(p, "lastMsgKey")? {
            req["LastMsgKey"] = json!(k);
        }
        let v = self.rest(Service::OpenIm, "admin_getroammsg", req).await?;
        Ok(json!({
            "messages": v.get("MsgList").cloned().unwrap_or(json!([])),
            "isFinished": v.get("Complete").and_then(Value::as_u64) == Some(1),
            "lastMsgKey": v.get("LastMsgKey").cloned().unwrap_or(json!("")),
        }))
    }

    /// The stored message at `seq` as the admin sees it (sender and time), if any.
    async fn group_msg_at(&self, g: &str, seq: u64) -> Result<Option<(String, i64)>, RpcError> {
        let page = self
            .state
            .store
            .history(
                self.app_id(),
                g.to_owned(),
                timber_store::messages::HistoryQuery {
                    req_seq: Some(seq),
                    req_number: 1,
                    with_recalled: true,
                },
                self.retention(),
            )
            .await
            .map_err(|e| self.store_error(e, Service::Group))?;
        Ok(page
            .entries
            .into_iter()
            .find(|e| e.seq == seq && !e.from.is_empty())
            .map(|e| (e.from, e.time)))
    }

    /// Whether the member is the group's owner or an admin.
    async fn is_group_admin(&self, g: &str) -> Result<bool, RpcError> {
        let roles = self
            .state
            .store
            .roles(self.app_id(), g.to_owned(), vec![self.me.clone()])
            .await
            .map_err(|e| self.store_error(e, Service::Group))?;
        Ok(matches!(
            roles.first(),
            Some(Some(
                timber_core::group::Role::Owner | timber_core::group::Role::Admin
            ))
        ))
    }

    async fn revoke(&self, p: &Params) -> Result<Value, RpcError> {
        let now = timber_core::now_secs();
        match target(p)? {
            Target::Group(g) => {
                let seq = opt_u64(p, "msgSeq")?.ok_or_else(|| bad("msgSeq is required"))?;
                let Some((from, time)) = self.group_msg_at(g, seq).await? else {
                    return Err(Error::new(
                        ErrorCode::RecallMsgNotFound,
                        format!("no message {seq} to recall in group {g:?}"),
                    )
                    .into());
                };
                if from != self.me && !self.is_group_admin(g).await? {
                    return Err(Error::new(
                        ErrorCode::GroupPermissionDenied,
                        "only the sender, the group's owner and its admins may recall a message",
                    )
                    .into());
                }
                if from == self.me && now - time > RECALL_WINDOW_SECS {
                    return Err(Error::new(
                        ErrorCode::GroupRecallTimeLimit,
                        format!("the message is older than {RECALL_WINDOW_SECS} seconds"),
                    )
                    .into());
                }
                let results = self
                    .state
                    .store
                    .recall_messages(
                        self.app_id(),
                        g.to_owned(),
                        vec![seq],
                        self.retention(),
                        self.me.clone(),
                    )
                    .await
                    .map_err(|e| self.store_error(e, Service::Group))?;
                match results.into_iter().next() {
                    Some(Err(code)) => Err(Error::from(code).into()),
                    _ => Ok(json!({})),
                }
            }
            Target::User(u) => {
                let key = req_str(p, "msgKey")?;
                let parsed = timber_core::c2c::MsgKey::parse(key)
                    .ok_or_else(|| Error::from(ErrorCode::MsgKeyInvalid))?;
                if now - parsed.time > RECALL_WINDOW_SECS {
                    return Err(Error::new(
                        ErrorCode::C2cRecallTimeLimit,
                        format!("the message is older than {RECALL_WINDOW_SECS} seconds"),
                    )
                    .into());
                }
                self.rest(
                    Service::OpenIm,
                    "admin_msgwithdraw",
                    json!({"From_Account": self.me, "To_Account": u, "MsgKey": key}),
                )
                .await?;
                Ok(json!({}))
            }
        }
    }

    async fn modify(&self, p: &Params) -> Result<Value, RpcError> {
        let body = p.get("msgBody").cloned();
        let custom = opt_str(p, "cloudCustomData")?;
        match target(p)? {
            Target::Group(g) => {
                let seq = opt_u64(p, "msgSeq")?.ok_or_else(|| bad("msgSeq is required"))?;
                match self.group_msg_at(g, seq).await? {
                    Some((from, _)) if from == self.me => {}
                    Some(_) => {
                        return Err(Error::new(
                            ErrorCode::GroupPermissionDenied,
                            "a member may modify only their own messages",
                        )
                        .into())
                    }
                    None => return Err(Error::from(ErrorCode::MsgNotFound).into()),
                }
                let mut req = json!({"GroupId": g, "MsgSeq": seq});
                if let Some(b) = body {
                    req["MsgBody"] = b;
                }
                if let Some(c) = custom {
                    req["CloudCustomData"] = json!(c);
                }
                self.rest(Service::OpenIm, "modify_group_msg", req).await?;
                Ok(json!({}))
            }
            Target::User(u) => {
                let key = req_str(p, "msgKey")?;
                let mut req = json!({"From_Account": self.me, "To_Account": u, "MsgKey": key});
                if let Some(b) = body {
                    req["MsgBody"] = b;
                }
                if let Some(c) = custom {
                    req["CloudCustomData"] = json!(c);
                }
                self.rest(Service::OpenIm, "modify_c2c_msg", req).await?;
                Ok(json!({}))
            }
        }
    }

    /// `onTotalUnreadMessageCountChanged` to every connection of the member, after one of
    /// their read marks moved.
    async fn announce_total(&self) {
        let Ok(convs) = self.conversations().await else {
            return;
        };
        let count: u64 = convs
            .iter()
            .map(|c| c["unreadCount"].as_u64().unwrap_or(0))
            .sum();
        let frame = super::events::notification(
            "onTotalUnreadMessageCountChanged",
            json!({"count": count}),
        );
        self.state
            .members
            .to_account(self.app_id(), &self.me, &frame, 0);
    }

    async fn mark_group_read(&self, p: &Params) -> Result<Value, RpcError> {
        let g = req_str(p, "groupID")?;
        let store = &self.state.store;
        let unread = match opt_u64(p, "msgSeq")? {
            None => 0,
            Some(seq) => self.group(g).await?.last_seq().saturating_sub(seq),
        };
        store
            .set_unread(self.app_id(), g.to_owned(), self.me.clone(), unread)
            .await
            .map_err(|e| self.store_error(e, Service::Group))?;
        Ok(json!({}))
    }

    async fn mark_c2c_read(&self, p: &Params) -> Result<Value, RpcError> {
        let u = req_str(p, "userID")?;
        self.rest(
            Service::OpenIm,
            "admin_set_msg_read",
            json!({"Report_Account": self.me, "Peer_Account": u}),
        )
        .await?;
        Ok(json!({}))
    }

    async fn mark_all_read(&self) -> Result<Value, RpcError> {
        for c in self.conversations().await? {
            if c["unreadCount"].as_u64().unwrap_or(0) == 0 {
                continue;
            }
            let mut p = Params::new();
            if let Some(g) = c.get("groupID") {
                p.insert("groupID".into(), g.clone());
                self.mark_group_read(&p).await?;
            } else if let Some(u) = c.get("userID") {
                p.insert("userID".into(), u.clone());
                self.mark_c2c_read(&p).await?;
            }
        }
        Ok(json!({}))
    }

    /// Every conversation of the member, newest first, with unread counts and the last
    /// message of each.
    async fn conversations(&self) -> Result<Vec<Value>, RpcError> {
        let mut items = Vec::new();
        let (mut ts, mut idx, mut top_ts, mut top_idx) = (0i64, 0u64, 0i64, 0u64);
        for _ in 0..10 {
            let v = self
                .rest(
                    Service::RecentContact,
                    "get_list",
                    json!({"From_Account": self.me, "TimeStamp": ts, "StartIndex": idx,
                           "TopTimeStamp": top_ts, "TopStartIndex": top_idx, "AssistFlags": 7}),
                )
                .await?;
            if let Some(list) = v.get("SessionItem").and_then(Value::as_array) {
                items.extend(list.iter().cloned());
            }
            if v.get("CompleteFlag").and_then(Value::as_u64) != Some(0) {
                break;
            }
            ts = v["TimeStamp"].as_i64().unwrap_or(0);
            idx = v["StartIndex"].as_u64().unwrap_or(0);
            top_ts = v["TopTimeStamp"].as_i64().unwrap_or(0);
            top_idx = v["TopStartIndex"].as_u64().unwrap_or(0);
        }
        let store = &self.state.store;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let pinned = item["TopFlag"].as_u64() == Some(1);
            let time = item["MsgTime"].clone();
            if let Some(g) = item.get("GroupId").and_then(Value::as_str) {
                let unread = store
                    .unread_count(self.app_id(), g.to_owned(), self.me.clone())
                    .await
                    .unwrap_or(0);
                let last = store
                    .own_history(
                        self.app_id(),
                        g.to_owned(),
                        self.me.clone(),
                        None,
                        1,
                        self.retention(),
                    )
                    .await
                    .ok();
                let (last_message, clear) = match &last {
                    Some((page, clear)) => (page.entries.first().map(member_entry_json), *clear),
                    None => (None, 0),
                };
                out.push(json!({
                    "conversationID": format!("group_{g}"), "type": 2, "groupID": g,
                    "lastMessage": last_message, "unreadCount": unread, "clearSeq": clear,
                    "isPinned": pinned, "msgTime": time,
                }));
            } else if let Some(u) = item.get("To_Account").and_then(Value::as_str) {
                let unread = store
                    .c2c_unread(
                        self.app_id(),
                        self.me.clone(),
                        Some(vec![u.to_owned()]),
                        self.retention(),
                    )
                    .await
                    .ok()
                    .and_then(|c| c.peers.into_iter().next())
                    .and_then(|(_, n)| n.ok())
                    .unwrap_or(0);
                let last = self
                    .rest(
                        Service::OpenIm,
                        "admin_getroammsg",
                        json!({"Operator_Account": self.me, "Peer_Account": u, "MaxCnt": 1,
                               "MinTime": 0, "MaxTime": timber_core::now_secs()}),
                    )
                    .await
                    .ok()
                    .and_then(|v| v["MsgList"].as_array().and_then(|l| l.first().cloned()));
                out.push(json!({
                    "conversationID": format!("c2c_{u}"), "type": 1, "userID": u,
                    "lastMessage": last, "unreadCount": unread, "isPinned": pinned,
                    "msgTime": time,
                }));
            }
        }
        Ok(out)
    }

    async fn conversation_list(&self, p: &Params) -> Result<Value, RpcError> {
        let start = opt_u64(p, "nextSeq")?.unwrap_or(0) as usize;
        let count = opt_u64(p, "count")?.unwrap_or(100).clamp(1, 100) as usize;
        let all = self.conversations().await?;
        let end = (start + count).min(all.len());
        let page: Vec<Value> = all.get(start.min(end)..end).unwrap_or_default().to_vec();
        Ok(json!({
            "conversations": page,
            "nextSeq": end,
            "isFinished": end >= all.len(),
        }))
    }

    /// The live group `g`; 10010 when there is none.
    async fn group(&self, g: &str) -> Result<timber_core::group::GroupRecord, RpcError> {
        let found = self
            .state
            .store
            .get_groups(self.app_id(), vec![g.to_owned()], false)
            .await
            .map_err(|e| self.store_error(e, Service::Group))?;
        Ok(found
            .into_iter()
            .next()
            .flatten()
            .ok_or_else(|| Error::new(ErrorCode::GroupNotFound, format!("no group {g:?}")))?
            .group)
    }

    async fn join_group(&self, p: &Params) -> Result<Value, RpcError> {
        let g = req_str(p, "groupID")?;
        let group = self.group(g).await?;
        if group.ty == timber_core::group::GroupType::AVChatRoom {
            // No member list: a member is present while connected (groups-more.md §7), and
            // a banned user stays out until the ban ends (§5.1; 10007 is our choice of code).
            let now = timber_core::now_secs();
            let banned = self
                .state
                .store
                .banned_now(self.app_id(), g.to_owned(), self.me.clone(), now)
                .await
                .map_err(|e| self.store_error(e, Service::Group))?;
            if banned {
                return Err(Error::new(
                    ErrorCode::GroupPermissionDenied,
                    format!("you are banned from {g:?}"),
                )
                .into());
            }
            if self
                .state
                .members
                .enter(self.app_id(), g, &self.me, self.handle.id, now)
            {
                super::room_state(&self.state, &self.app, g, true, vec![self.me.clone()]).await;
            }
            self.joined_rooms
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(g.to_owned());
            return Ok(json!({"joined": true}));
        }
        if group.apply_join_option == "DisableApply" {
            return Err(Error::new(
                ErrorCode::GroupPermissionDenied,
                format!("group {g:?} accepts no applications"),
            )
            .into());
        }
        // The app decides first, for a free join and an application alike (callbacks.md §5).
        let fields = json!({"GroupId": g, "Type": group.ty.as_str(), "Requestor_Account": self.me});
        let ctx = self.ctx(Service::Group);
        if let Verdict::Refuse(e) = callbacks::before(&ctx, BeforeKind::ApplyJoin, fields).await {
            return Err(e.into());
        }
        if group.apply_join_option == "NeedPermission"
            && group.ty != timber_core::group::GroupType::Private
        {
            let message = opt_str(p, "message")?.unwrap_or("");
            let pending = self
                .state
                .store
                .apply_to_join(
                    self.app_id(),
                    g.to_owned(),
                    self.me.clone(),
                    message.to_owned(),
                    timber_core::now_secs(),
                )
                .await
                .map_err(|e| self.store_error(e, Service::Group))?;
            if pending.is_none() {
                return Ok(json!({"joined": true}));
            }
            return Ok(json!({"joined": false, "pending": true}));
        }
        self.admit(g, &self.me).await?;
        Ok(json!({"joined": true}))
    }

    /// Adds `account` to `g` on its own request (a free join, or its application accepted by
    /// this member): `JoinType` `Apply`. A banned account is refused (10007).
    async fn admit(&self, g: &str, account: &str) -> Result<(), RpcError> {
        let result = self
            .state
            .store
            .join_by_application(
                self.app_id(),
                g.to_owned(),
                account.to_owned(),
                self.me.clone(),
                timber_core::now_secs(),
            )
            .await
            .map_err(|e| self.store_error(e, Service::Group))?;
        match result {
            timber_core::group::AddResult::Failed => Err(Error::new(
                ErrorCode::GroupPermissionDenied,
                format!("{account:?} is banned from group {g:?}"),
            )
            .into()),
            _ => Ok(()),
        }
    }

    async fn answer_application(&self, p: &Params, accept: bool) -> Result<Value, RpcError> {
        let g = req_str(p, "groupID")?;
        let user = req_str(p, "userID")?;
        if !self.is_group_admin(g).await? {
            return Err(Error::new(
                ErrorCode::GroupPermissionDenied,
                "only the group's owner and admins answer applications",
            )
            .into());
        }
        let result = self
            .state
            .store
            .answer_application(
                self.app_id(),
                g.to_owned(),
                user.to_owned(),
                accept,
                self.me.clone(),
                timber_core::now_secs(),
            )
            .await
            .map_err(|e| self.store_error(e, Service::Group))?;
        if result == Some(timber_core::group::AddResult::Failed) {
            return Err(Error::new(
                ErrorCode::GroupPermissionDenied,
                format!("{user:?} is banned from group {g:?}"),
            )
            .into());
        }
        Ok(json!({}))
    }

    /// The pending applications to the groups this member owns or administers, oldest
    /// first: what `onReceiveJoinApplication` announced, for a member who was offline then.
    async fn application_list(&self) -> Result<Value, RpcError> {
        let list = self
            .state
            .store
            .pending_applications(self.app_id(), self.me.clone())
            .await
            .map_err(|e| self.store_error(e, Service::Group))?;
        let list: Vec<Value> = list
            .into_iter()
            .map(|a| {
                json!({"groupID": a.group_id, "fromUser": a.applicant,
                       "requestMsg": a.message, "addTime": a.time})
            })
            .collect();
        Ok(json!({"applicationList": list}))
    }

    /// `subscribeOfficialAccount {officialAccountID}`: add_subscriber with the member as the
    /// subscriber and the operator (its before-callback, its codes: 10010 unknown). The
    /// member's account exists (connecting imported it), so a failed add means the account
    /// is full: 10014, as a full group's. Subscribing again changes nothing.
    async fn subscribe_official(&self, p: &Params) -> Result<Value, RpcError> {
        let id = req_str(p, "officialAccountID")?;
        let v = self
            .rest(
                Service::Official,
                "add_subscriber",
                json!({"Official_Account": id, "SubscriberList": [{"Subscriber_Account": self.me}]}),
            )
            .await?;
        match v["SubscriberList"][0]["Result"].as_u64() {
            Some(1) => Ok(json!({"alreadySubscribed": false})),
            Some(2) => Ok(json!({"alreadySubscribed": true})),
            _ => Err(Error::new(
                ErrorCode::GroupFull,
                format!("official account {id:?} has reached its MaxSubscriberNum"),
            )
            .into()),
        }
    }

    /// `unsubscribeOfficialAccount {officialAccountID}`: delete_subscriber of the member
    /// (10010 unknown); unsubscribing when not subscribed changes nothing.
    async fn unsubscribe_official(&self, p: &Params) -> Result<Value, RpcError> {
        let id = req_str(p, "officialAccountID")?;
        let v = self
            .rest(
                Service::Official,
                "delete_subscriber",
                json!({"Official_Account": id, "SubscriberToDel_Account": [self.me]}),
            )
            .await?;
        let was = v["SubscriberList"][0]["Result"].as_u64() == Some(1);
        Ok(json!({"wasSubscribed": was}))
    }

    async fn quit_group(&self, p: &Params) -> Result<Value, RpcError> {
        let g = req_str(p, "groupID")?;
        let was_room = {
            let mut rooms = self.joined_rooms.lock().unwrap_or_else(|e| e.into_inner());
            let before = rooms.len();
            rooms.retain(|r| r != g);
            before != rooms.len()
        };
        if was_room {
            if self.state.members.exit(self.app_id(), g, &self.me) {
                super::room_state(&self.state, &self.app, g, false, vec![self.me.clone()]).await;
            }
            return Ok(json!({}));
        }
        let group = self.group(g).await?;
        if group.owner == self.me && group.ty != timber_core::group::GroupType::Private {
            return Err(Error::new(
                ErrorCode::GroupPermissionDenied,
                "the owner cannot quit this group: transfer ownership or dismiss it",
            )
            .into());
        }
        self.rest(
            Service::Group,
            "delete_group_member",
            json!({"GroupId": g, "MemberToDel_Account": [self.me]}),
        )
        .await?;
        Ok(json!({}))
    }
}

/// A history entry of the member's view, as group_msg_get_simple shows it.
pub fn member_entry_json(e: &MemberEntry) -> Value {
    match e {
        MemberEntry::Message(m) => {
            let mut v = json!({
                "From_Account": m.from,
                "MsgSeq": m.seq,
                "MsgRandom": m.random,
                "MsgTimeStamp": m.time,
                "MsgPriority": m.priority,
                "MsgBody": raw_json(&m.body),
                "CloudCustomData": m.cloud_custom_data.as_deref().unwrap_or(""),
                "IsPlaceMsg": 0,
                "IsSystemMsg": u8::from(m.is_system),
            });
            if !m.to_accounts.is_empty() {
                v["To_Account"] = json!(m.to_accounts);
            }
            v
        }
        MemberEntry::Recalled { seq, from, time } => json!({
            "From_Account": from,
            "MsgSeq": seq,
            "MsgRandom": 0,
            "MsgTimeStamp": time,
            "MsgPriority": 2,
            "MsgBody": [],
            "CloudCustomData": "",
            "IsPlaceMsg": 2,
            "IsSystemMsg": 0,
        }),
    }
}
