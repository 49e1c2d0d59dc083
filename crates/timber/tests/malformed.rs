//! End-to-end property: no malformed body gets past the checks (DESIGN.md invariant 5). For
//! every command of the dispatch table (`timber_server::COMMANDS`), bodies that cannot be a
//! valid request — random bytes, truncated JSON, JSON that is not an object, deep nesting,
//! every field of the request given a value of the wrong type, numbers out of range, strings
//! over their limit or holding a NUL, required fields missing or with their key in another
//! case or given twice — are sent to a server holding groups of every type, members, group
//! and one-to-one messages. Each must be answered HTTP 200, `ActionStatus` FAIL, with a
//! non-zero `ErrorCode` documented for that command, and leave every stored row as it was.
//!
//! A command without a spec (one added to the table since) still gets every whole body no
//! command can take, and the test names it in a note.
//!
//! Which mutations are sure to be refused depends on the field (a UserID too long for an
//! account is refused where it is imported, but merely unknown where it is looked up), so
//! each command has a valid template and its fields described below. The templates are
//! first sent as they are, to a second server, and must succeed: so a refusal of a
//! mutation is the mutation's doing, not a broken template's.

mod common;

use common::{Client, TestServer};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use std::time::Instant;
use timber_server::COMMANDS;

/// What a field holds, as far as its request type checks it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ty {
    Str,
    /// A string of a fixed list (`Type`, `Role`, `On`/`Off`…): any other string is refused.
    Enum,
    /// A UserID field: anything but a string is 60015, `null` included.
    Account,
    U64,
    U32,
    U8,
    I64,
    /// An openim integer read as a JSON value (`MinTime`, `MaxTime`): any integer serde_json
    /// holds as one, i64 or u64 (past `i64::MAX` it saturates), so only a number that is
    /// neither is out of range.
    Int,
    /// A Unix time as a non-negative integer or a string of its digits (admin_set_msg_read's
    /// `MsgReadTime`, c2c-messages.md §8).
    Time,
    Arr,
    Obj,
    /// A `MsgBody`: anything but an array of elements is refused.
    MsgBody,
}

#[derive(Clone, Copy, Debug)]
struct Field {
    /// Keys and array indexes from the body's top, joined by `.`.
    path: &'static str,
    ty: Ty,
    /// Missing, `null` or with its key in another case, the request is refused.
    required: bool,
    /// A string longer (in bytes), or a number larger, is refused.
    max: Option<u64>,
    /// A string holding a NUL is refused.
    nul: bool,
    /// A negative number is refused (signed fields; unsigned ones always refuse it).
    negative: bool,
}

const fn f(path: &'static str, ty: Ty) -> Field {
    Field {
        path,
        ty,
        required: false,
        max: None,
        nul: false,
        negative: false,
    }
}

impl Field {
    const fn req(self) -> Field {
        Field {
            required: true,
            ..self
        }
    }
    const fn max(self, max: u64) -> Field {
        Field {
            max: Some(max),
            ..self
        }
    }
    const fn nul(self) -> Field {
        Field { nul: true, ..self }
    }
    /// A string with limit `max` that also refuses a NUL: a stored text.
    const fn text(self, max: u64) -> Field {
        self.max(max).nul()
    }
    const fn neg(self) -> Field {
        Field {
            negative: true,
            ..self
        }
    }
}

use Ty::*;

/// One command: a valid body (`now` is the test's start), what its fields refuse, and the
/// codes its documentation lists beyond those of its service ([`generic_codes`]).
struct Spec {
    command: &'static str,
    template: fn(now: i64) -> Value,
    fields: Vec<Field>,
    codes: &'static [u64],
}

/// The codes any command of a service may answer a malformed body with: not JSON, a bad
/// field, an account that is not a string, a body over the limit; for the group service
/// also the codes every group API lists (groups.md §4, group-messages.md §14).
fn generic_codes(service: &str) -> &'static [u64] {
    match service {
        "im_open_login_svc" => &[60003, 60015, 70402, 93000],
        "group_open_http_svc" | "group_open_attr_http_svc" | "group_open_avchatroom_http_svc" => {
            &[60003, 60015, 93000, 10004, 10005, 10007, 10010, 10015]
        }
        "openim" => &[60015, 90001, 93000],
        "recentcontact" => &[60003, 60015, 93000, 50002],
        "profile" => &[40001, 60003, 60015, 93000],
        "sns" | "follow" => &[60003, 60015, 93000, 30001],
        "openim_msg_ext_http_svc" => &[60015, 90001, 93000],
        "million_group_open_http_svc" => &[60003, 60015, 93000, 10004, 10005, 10007, 10010, 10015],
        "all_member_push" => &[60015, 90001, 93000],
        "openconfigsvr" => &[130001, 93000],
        "ConfigSvc" | "im_msg_audit" | "im_cos_msg" | "im_msg_audit_mgr" => &[60003, 93000],
        "openim_dirty_words" => &[10004, 93000],
        "open_msg_svc" => &[60002, 60003, 93000],
        // push-and-operations.md §5.14, §6.
        "official_account_open_http_svc" => &[20001, 60015, 93000, 10004, 10010],
        "openim_robot_http_svc" => &[10004, 60015, 93000],
        other => panic!("no generic codes for service {other}"),
    }
}

const USER_ID: u64 = 32;
/// The longest peer recentcontact takes (`timber_core::contacts::MAX_PEER_BYTES`).
const PEER: u64 = 64;
/// The longest conversation-group name (recent-contacts.md §4).
const CONTACT_GROUP_NAME: u64 = 32;
const GROUP_ID: u64 = 48;
const MSG_BYTES: u64 = 12 * 1024;

fn text_body(t: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}])
}

/// The fields of a `MsgBody` of one text element at `path`; its text refuses more than
/// `text_max` bytes where a long message is a refusal rather than a per-message result.
fn msg_body_fields(path: &'static str, text_max: Option<u64>) -> Vec<Field> {
    let at = |rest: &str| -> &'static str { Box::leak(format!("{path}{rest}").into_boxed_str()) };
    let text = f(at(".0.MsgContent.Text"), Str).req();
    vec![
        f(path, MsgBody).req(),
        f(at(".0"), Obj).req(),
        f(at(".0.MsgType"), Enum).req(),
        f(at(".0.MsgContent"), Obj).req(),
        match text_max {
            Some(max) => text.max(max),
            None => text,
        },
    ]
}

fn specs() -> Vec<Spec> {
    vec![
        Spec {
            command: "im_open_login_svc/account_import",
            template: |_| json!({"UserID": "new1", "Nick": "n", "FaceUrl": "http://f"}),
            fields: vec![
                f("UserID", Account).req().text(USER_ID),
                f("Nick", Str).text(500),
                f("FaceUrl", Str).text(500),
            ],
            codes: &[40601],
        },
        Spec {
            command: "im_open_login_svc/multiaccount_import",
            template: |_| json!({"AccountList": [{"UserID": "new2", "Nick": "n", "FaceUrl": "f"}]}),
            // A bad UserID or profile is a FailAccounts entry, not a refusal.
            fields: vec![
                f("AccountList", Arr).req(),
                f("AccountList.0", Obj),
                f("AccountList.0.UserID", Account).req(),
                f("AccountList.0.Nick", Str),
                f("AccountList.0.FaceUrl", Str),
            ],
            codes: &[70206],
        },
        Spec {
            command: "im_open_login_svc/account_delete",
            template: |_| json!({"DeleteItem": [{"UserID": "x"}]}),
            fields: vec![
                f("DeleteItem", Arr).req(),
                f("DeleteItem.0", Obj),
                f("DeleteItem.0.UserID", Account).req(),
            ],
            codes: &[70206],
        },
        Spec {
            command: "im_open_login_svc/account_check",
            template: |_| json!({"CheckItem": [{"UserID": "a"}]}),
            fields: vec![
                f("CheckItem", Arr).req(),
                f("CheckItem.0", Obj),
                f("CheckItem.0.UserID", Account).req(),
            ],
            codes: &[70206],
        },
        Spec {
            command: "im_open_login_svc/kick",
            template: |_| json!({"UserID": "bob"}),
            // Any other UserID is an account that does not exist: 70107.
            fields: vec![f("UserID", Account).req().text(USER_ID)],
            codes: &[70107],
        },
        Spec {
            command: "group_open_http_svc/create_group",
            template: |_| {
                json!({
                    "Type": "Public", "Name": "new-g", "GroupId": "new-g", "Owner_Account": "o",
                    "Introduction": "intro", "Notification": "note", "FaceUrl": "http://f",
                    "MaxMemberCount": 100, "ApplyJoinOption": "FreeAccess", "MuteAllMember": "Off",
                    "AppDefinedData": [{"Key": "k", "Value": "v"}], "SupportTopic": 0,
                    "InviteJoinOption": "FreeAccess",
                    "MemberList": [{"Member_Account": "a", "Role": "Admin",
                        "AppMemberDefinedData": [{"Key": "mk", "Value": "mv"}]}],
                    "AppMemberDefinedData": [{"Key": "mk", "Value": "mv"}],
                })
            },
            fields: vec![
                f("Type", Enum).req(),
                f("Name", Str).req().text(30),
                f("GroupId", Str).text(GROUP_ID),
                f("Owner_Account", Account),
                f("Introduction", Str).text(240),
                f("Notification", Str).text(300),
                f("FaceUrl", Str).text(100),
                f("MaxMemberCount", U64).max(6000),
                f("ApplyJoinOption", Enum),
                f("MuteAllMember", Enum),
                f("AppDefinedData", Arr),
                f("AppDefinedData.0", Obj),
                f("AppDefinedData.0.Key", Str).req().text(16),
                f("AppDefinedData.0.Value", Str).req().text(512),
                f("SupportTopic", U8),
                f("InviteJoinOption", Enum),
                f("MemberList", Arr),
                f("MemberList.0", Obj),
                // Members must be imported accounts: any other is 10019.
                f("MemberList.0.Member_Account", Account)
                    .req()
                    .text(USER_ID),
                f("MemberList.0.Role", Enum),
                f("MemberList.0.AppMemberDefinedData", Arr),
                f("MemberList.0.AppMemberDefinedData.0.Key", Str)
                    .req()
                    .text(16),
                f("MemberList.0.AppMemberDefinedData.0.Value", Str)
                    .req()
                    .text(64),
                f("AppMemberDefinedData", Arr),
                f("AppMemberDefinedData.0.Value", Str).req().text(64),
            ],
            codes: &[10019, 10021, 10025, 10036, 10037, 10038],
        },
        Spec {
            command: "group_open_http_svc/destroy_group",
            template: |_| json!({"GroupId": "room"}),
            fields: vec![f("GroupId", Str).req().text(GROUP_ID)],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/get_appid_group_list",
            template: |_| json!({"Limit": 10, "Next": 0, "GroupType": "Public"}),
            fields: vec![
                f("Limit", U64).max(10_000),
                f("Next", U64),
                f("GroupType", Enum),
            ],
            codes: &[10018],
        },
        Spec {
            command: "group_open_http_svc/get_group_info",
            template: |_| {
                json!({
                    "GroupIdList": ["pub", "live"],
                    "ResponseFilter": {
                        "GroupBaseInfoFilter": ["Name"], "MemberInfoFilter": ["Role"],
                        "AppDefinedDataFilter_Group": ["k"],
                        "AppDefinedDataFilter_GroupMember": ["mk"],
                    },
                })
            },
            fields: vec![
                f("GroupIdList", Arr).req(),
                f("GroupIdList.0", Str),
                f("ResponseFilter", Obj),
                f("ResponseFilter.GroupBaseInfoFilter", Arr),
                f("ResponseFilter.MemberInfoFilter", Arr),
                f("ResponseFilter.AppDefinedDataFilter_Group", Arr),
                f("ResponseFilter.AppDefinedDataFilter_GroupMember", Arr),
            ],
            codes: &[10018],
        },
        Spec {
            command: "group_open_http_svc/modify_group_base_info",
            template: |_| {
                json!({
                    "GroupId": "pub", "Name": "pub2", "Introduction": "i", "Notification": "n",
                    "FaceUrl": "http://f", "MaxMemberNum": 500, "ApplyJoinOption": "NeedPermission",
                    "InviteJoinOption": "NeedPermission", "MuteAllMember": "Off",
                    "HistoryMsgBeforeJoin": "Off", "AppDefinedData": [{"Key": "k", "Value": "v"}],
                    "From_Account": "o",
                })
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Name", Str).text(30),
                f("Introduction", Str).text(240),
                f("Notification", Str).text(300),
                f("FaceUrl", Str).text(100),
                f("MaxMemberNum", U64),
                f("ApplyJoinOption", Enum),
                f("InviteJoinOption", Enum),
                f("MuteAllMember", Enum),
                f("HistoryMsgBeforeJoin", Enum),
                f("AppDefinedData", Arr),
                f("AppDefinedData.0", Obj),
                f("AppDefinedData.0.Key", Str).req().text(16),
                f("AppDefinedData.0.Value", Str).req().text(512),
                // It must be an existing account: any other is 10019.
                f("From_Account", Account).text(USER_ID),
            ],
            codes: &[10019, 80001],
        },
        Spec {
            command: "group_open_http_svc/import_group",
            template: |_| {
                json!({"Type": "Public", "Name": "imp", "GroupId": "imp", "Owner_Account": "o",
                    "Introduction": "i", "CreateTime": 1_600_000_000})
            },
            fields: vec![
                f("Type", Enum).req(),
                f("Name", Str).req().text(30),
                f("GroupId", Str).text(GROUP_ID),
                f("Owner_Account", Account),
                f("Introduction", Str).text(240),
                // Not in the future, not before 1970.
                f("CreateTime", I64).neg(),
            ],
            codes: &[10019, 10021, 10025, 10038],
        },
        Spec {
            command: "group_open_http_svc/get_online_member_num",
            template: |_| json!({"GroupId": "live"}),
            fields: vec![f("GroupId", Str).req().text(GROUP_ID)],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/add_group_member",
            template: |_| json!({"GroupId": "pub", "MemberList": [{"Member_Account": "c"}], "Silence": 1}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("MemberList", Arr).req(),
                f("MemberList.0", Obj).req(),
                f("MemberList.0.Member_Account", Account)
                    .req()
                    .text(USER_ID),
                f("Silence", U8),
            ],
            codes: &[10014, 10019, 10037, 10038],
        },
        Spec {
            command: "group_open_http_svc/delete_group_member",
            template: |_| json!({"GroupId": "pub", "MemberToDel_Account": ["b"], "Silence": 1, "Reason": "r"}),
            // Accounts that are not members are ignored: any string is accepted there.
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("MemberToDel_Account", Arr).req(),
                f("MemberToDel_Account.0", Account).req(),
                f("Silence", U8),
                f("Reason", Str),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/get_group_member_info",
            template: |_| {
                json!({"GroupId": "pub", "MemberInfoFilter": ["Role"], "MemberRoleFilter": ["Member"],
                    "AppDefinedDataFilter_GroupMember": ["mk"], "Limit": 10, "Offset": 0})
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("MemberInfoFilter", Arr),
                f("MemberRoleFilter", Arr),
                f("MemberRoleFilter.0", Enum),
                f("AppDefinedDataFilter_GroupMember", Arr),
                f("Limit", U64).max(6_000),
                f("Offset", U64),
            ],
            codes: &[10018],
        },
        Spec {
            command: "group_open_http_svc/modify_group_member_info",
            template: |_| {
                json!({"GroupId": "pub", "Member_Account": "a", "Role": "Admin",
                    "MsgFlag": "AcceptNotNotify", "NameCard": "card",
                    "AppMemberDefinedData": [{"Key": "mk", "Value": "mv"}], "MuteTime": 0})
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Member_Account", Account).req().text(USER_ID),
                f("Role", Enum),
                f("MsgFlag", Enum),
                f("NameCard", Str).text(50),
                f("AppMemberDefinedData", Arr),
                f("AppMemberDefinedData.0.Key", Str).req().text(16),
                f("AppMemberDefinedData.0.Value", Str).req().text(64),
                f("MuteTime", U64).max(u32::MAX as u64),
            ],
            codes: &[10019, 80001],
        },
        Spec {
            command: "group_open_http_svc/get_joined_group_list",
            template: |_| {
                json!({"Member_Account": "a", "WithHugeGroups": 1, "WithNoActiveGroups": 1,
                    "Limit": 10, "Offset": 0, "GroupType": "Public", "SupportTopic": 0,
                    "ResponseFilter": {"GroupBaseInfoFilter": ["Name"], "SelfInfoFilter": ["Role"]}})
            },
            // An account that does not exist has no groups: any string is accepted there.
            fields: vec![
                f("Member_Account", Account).req(),
                f("WithHugeGroups", U8),
                f("WithNoActiveGroups", U8),
                f("Limit", U64),
                f("Offset", U64),
                f("GroupType", Enum),
                f("SupportTopic", U8),
                f("ResponseFilter", Obj),
                f("ResponseFilter.GroupBaseInfoFilter", Arr),
                f("ResponseFilter.SelfInfoFilter", Arr),
            ],
            codes: &[10018],
        },
        Spec {
            command: "group_open_http_svc/get_role_in_group",
            template: |_| json!({"GroupId": "pub", "User_Account": ["a"]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("User_Account", Arr).req(),
                f("User_Account.0", Account).req(),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/change_group_owner",
            template: |_| json!({"GroupId": "g", "NewOwner_Account": "a", "From_Account": "o"}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("NewOwner_Account", Account).req().text(USER_ID),
                f("From_Account", Account).text(USER_ID),
            ],
            codes: &[10019],
        },
        Spec {
            command: "group_open_http_svc/import_group_member",
            template: |now| {
                json!({"GroupId": "@TGS#_com", "MemberList": [{"Member_Account": "c",
                    "Role": "Member", "JoinTime": now, "UnreadMsgNum": 0}]})
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("MemberList", Arr).req(),
                f("MemberList.0", Obj).req(),
                f("MemberList.0.Member_Account", Account)
                    .req()
                    .text(USER_ID),
                f("MemberList.0.Role", Enum),
                f("MemberList.0.JoinTime", I64).neg(),
                f("MemberList.0.UnreadMsgNum", U64),
            ],
            codes: &[10014, 10019, 10038],
        },
        Spec {
            command: "group_open_http_svc/forbid_send_msg",
            template: |_| json!({"GroupId": "pub", "Members_Account": ["c"], "MuteTime": 60, "TopicId": ""}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Members_Account", Arr).req(),
                f("Members_Account.0", Account).req().text(USER_ID),
                f("MuteTime", U64).req().max(u32::MAX as u64),
                // Topics are refused: any non-empty TopicId is.
                f("TopicId", Str).max(0),
            ],
            codes: &[10019],
        },
        Spec {
            command: "group_open_http_svc/get_group_muted_account",
            template: |_| json!({"GroupId": "pub", "TopicId": ""}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("TopicId", Str).max(0),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/get_group_shutted_uin",
            template: |_| json!({"GroupId": "pub", "TopicId": ""}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("TopicId", Str).max(0),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/send_group_msg",
            template: |_| {
                json!({"GroupId": "pub", "Random": 4242, "MsgBody": text_body("hi"),
                    "From_Account": "o", "MsgPriority": "Normal",
                    "OfflinePushInfo": {"PushFlag": 0},
                    "ForbidCallbackControl": ["ForbidBeforeSendMsgCallback"],
                    "OnlineOnlyFlag": 0, "SendMsgControl": ["NoUnread"], "CloudCustomData": "d",
                    "To_Account": [], "GroupAtInfo": [{"GroupAtAllFlag": 1}], "TopicId": "",
                    "NeedReadReceipt": 0, "SupportMessageExtension": 0})
            },
            fields: [
                vec![
                    f("GroupId", Str).req().text(GROUP_ID),
                    f("Random", U32).req(),
                ],
                msg_body_fields("MsgBody", Some(MSG_BYTES)),
                vec![
                    f("From_Account", Account),
                    f("MsgPriority", Enum),
                    f("OfflinePushInfo", Obj),
                    f("ForbidCallbackControl", Arr),
                    f("OnlineOnlyFlag", U8).max(1),
                    f("SendMsgControl", Arr),
                    f("CloudCustomData", Str).text(MSG_BYTES),
                    f("To_Account", Arr),
                    f("GroupAtInfo", Arr),
                    f("GroupAtInfo.0", Obj),
                    f("GroupAtInfo.0.GroupAtAllFlag", U8).max(1),
                    f("TopicId", Str).max(0),
                    f("NeedReadReceipt", U8).max(1),
                    f("SupportMessageExtension", U8).max(1),
                ],
            ]
            .concat(),
            codes: &[10017, 10019, 10053, 80001, 80002],
        },
        Spec {
            command: "group_open_http_svc/send_group_system_notification",
            template: |_| json!({"GroupId": "pub", "Content": "hello", "ToMembers_Account": ["a"], "TopicId": ""}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Content", Str).req().text(MSG_BYTES),
                f("ToMembers_Account", Arr),
                // Receivers must be well-formed UserIDs.
                f("ToMembers_Account.0", Account).text(USER_ID),
                f("TopicId", Str).max(0),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/group_msg_get_simple",
            template: |_| {
                json!({"GroupId": "pub", "ReqMsgNumber": 5, "ReqMsgSeq": 3, "WithRecalledMsg": 1,
                    "TopicId": ""})
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("ReqMsgNumber", U64).req(),
                f("ReqMsgSeq", U64),
                f("WithRecalledMsg", U8).max(1),
                f("TopicId", Str).max(0),
            ],
            codes: &[10044],
        },
        Spec {
            command: "group_open_http_svc/group_msg_recall",
            template: |_| json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 1}], "Reason": "r", "TopicId": ""}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("MsgSeqList", Arr).req(),
                f("MsgSeqList.0", Obj).req(),
                f("MsgSeqList.0.MsgSeq", U64).req(),
                f("Reason", Str).max(100),
                f("TopicId", Str).max(0),
            ],
            codes: &[10033],
        },
        Spec {
            command: "group_open_http_svc/delete_group_msg_by_sender",
            template: |_| json!({"GroupId": "pub", "Sender_Account": "b", "TopicId": ""}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Sender_Account", Account).req().text(USER_ID),
                f("TopicId", Str).max(0),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/clear_group_msg",
            template: |_| json!({"GroupId": "pub", "MsgSeq": 1}),
            fields: vec![f("GroupId", Str).req().text(GROUP_ID), f("MsgSeq", U64)],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/import_group_msg",
            template: |now| {
                json!({"GroupId": "pub", "MsgList": [{"From_Account": "a", "SendTime": now,
                    "Random": 77, "MsgBody": text_body("old")}], "RecentContactFlag": 0,
                    "TopicId": ""})
            },
            // A message too long, or at a time out of order, is a per-message Result.
            fields: [
                vec![
                    f("GroupId", Str).req().text(GROUP_ID),
                    f("MsgList", Arr).req(),
                    f("MsgList.0", Obj).req(),
                    f("MsgList.0.From_Account", Account).req().text(USER_ID),
                    f("MsgList.0.SendTime", I64).req(),
                    f("MsgList.0.Random", U32),
                ],
                msg_body_fields("MsgList.0.MsgBody", None),
                vec![f("RecentContactFlag", U8), f("TopicId", Str).max(0)],
            ]
            .concat(),
            codes: &[10020, 80002],
        },
        Spec {
            command: "group_open_http_svc/set_unread_msg_num",
            template: |_| json!({"GroupId": "pub", "Member_Account": "a", "UnreadMsgNum": 1}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Member_Account", Account).req().text(USER_ID),
                f("UnreadMsgNum", U64).req(),
            ],
            codes: &[10019],
        },
        Spec {
            command: "openim/modify_group_msg",
            template: |_| {
                json!({"GroupId": "pub", "MsgSeq": 3, "MsgBody": text_body("edited"),
                    "CloudCustomData": "d", "TopicId": ""})
            },
            fields: {
                let mut body = msg_body_fields("MsgBody", Some(MSG_BYTES));
                // Optional: without it (or `null`), CloudCustomData alone is a valid modify.
                body[0].required = false;
                [
                    vec![
                        f("GroupId", Str).req().text(GROUP_ID),
                        f("MsgSeq", U64).req(),
                    ],
                    body,
                    vec![
                        f("CloudCustomData", Str).text(MSG_BYTES),
                        f("TopicId", Str).max(0),
                    ],
                ]
                .concat()
            },
            codes: &[10007, 10010, 10015, 20022, 80002, 90002, 90007, 90010],
        },
        Spec {
            command: "openim/sendmsg",
            template: |_| send_template(json!("b")),
            fields: send_fields(f("To_Account", Account).req().text(USER_ID)),
            codes: &[
                80002, 90002, 90003, 90005, 90007, 90008, 90010, 90012, 90026, 90031, 90044,
            ],
        },
        Spec {
            command: "openim/batchsendmsg",
            template: |_| send_template(json!(["b"])),
            // A receiver no account can have is its ErrorList entry (70107), not a refusal.
            fields: [
                send_fields(f("To_Account", Arr).req()),
                vec![f("To_Account.0", Account).req()],
            ]
            .concat(),
            codes: &[
                80002, 90002, 90003, 90005, 90007, 90008, 90010, 90011, 90026, 90031, 90044,
            ],
        },
        Spec {
            command: "openim/importmsg",
            template: |now| {
                json!({"SyncFromOldSystem": 2, "From_Account": "a", "To_Account": "b",
                    "MsgSeq": 9, "MsgRandom": 9, "MsgTimeStamp": now - 30,
                    "MsgBody": text_body("old"), "CloudCustomData": "d"})
            },
            fields: [
                vec![
                    // 1, 2 or 5.
                    f("SyncFromOldSystem", U8).req(),
                    f("From_Account", Account).req().text(USER_ID),
                    f("To_Account", Account).req().text(USER_ID),
                    f("MsgSeq", U32),
                    f("MsgRandom", U32).req(),
                    // Not in the future (2^63 saturates to a time that is), not before 1970.
                    f("MsgTimeStamp", I64).req().neg(),
                ],
                msg_body_fields("MsgBody", Some(MSG_BYTES)),
                vec![f("CloudCustomData", Str).text(MSG_BYTES)],
            ]
            .concat(),
            codes: &[
                80002, 90002, 90003, 90005, 90006, 90007, 90008, 90010, 90012,
            ],
        },
        Spec {
            command: "openim/admin_getroammsg",
            // The older From_Account/To_Account would stand in for a missing new name.
            template: |now| {
                json!({"Operator_Account": "a", "Peer_Account": "b", "MaxCnt": 10,
                    "MinTime": 0, "MaxTime": now, "LastMsgKey": c2c_key(now, 3)})
            },
            fields: vec![
                f("Operator_Account", Account).req().text(USER_ID),
                f("Peer_Account", Account).req().text(USER_ID),
                // At least 1.
                f("MaxCnt", U32).req(),
                f("MinTime", Int).req(),
                f("MaxTime", Int).req(),
                // An empty one is none; any other string that is no MsgKey is refused.
                f("LastMsgKey", Str).text(MSG_KEY),
            ],
            codes: &[90003, 90008],
        },
        Spec {
            command: "openim/admin_msgwithdraw",
            template: |now| json!({"From_Account": "a", "To_Account": "b", "MsgKey": c2c_key(now, 1)}),
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("To_Account", Account).req().text(USER_ID),
                f("MsgKey", Str).req().text(MSG_KEY),
            ],
            codes: &[20022, 20023, 90003, 90008, 90054],
        },
        Spec {
            command: "openim/admin_set_msg_read",
            template: |now| json!({"Report_Account": "b", "Peer_Account": "a", "MsgReadTime": now}),
            fields: vec![
                f("Report_Account", Account).req().text(USER_ID),
                f("Peer_Account", Account).req().text(USER_ID),
                f("MsgReadTime", Time),
            ],
            codes: &[90003, 90008],
        },
        Spec {
            command: "openim/get_c2c_unread_msg_num",
            template: |_| json!({"To_Account": "b", "Peer_Account": ["a"]}),
            // 1–10 peers; one no account can have is its ErrorList entry (70107).
            fields: vec![
                f("To_Account", Account).req().text(USER_ID),
                f("Peer_Account", Arr),
                f("Peer_Account.0", Account).req(),
            ],
            codes: &[90003],
        },
        Spec {
            command: "openim/modify_c2c_msg",
            template: |now| {
                json!({"From_Account": "a", "To_Account": "b", "MsgKey": c2c_key(now, 2),
                    "MsgBody": text_body("edited"), "CloudCustomData": "d"})
            },
            fields: {
                let mut body = msg_body_fields("MsgBody", Some(MSG_BYTES));
                // Optional: without it (or `null`), CloudCustomData alone is a valid modify.
                body[0].required = false;
                [
                    vec![
                        f("From_Account", Account).req().text(USER_ID),
                        f("To_Account", Account).req().text(USER_ID),
                        f("MsgKey", Str).req().text(MSG_KEY),
                    ],
                    body,
                    vec![f("CloudCustomData", Str).text(MSG_BYTES)],
                ]
                .concat()
            },
            codes: &[20022, 80002, 90002, 90003, 90007, 90008, 90010, 90054],
        },
        Spec {
            command: "openim/delete_c2c_msg_ramble",
            template: |now| json!({"Operator_Account": "b", "Peer_Account": "a", "MsgKeyList": [c2c_key(now, 3)]}),
            // 1–100 keys; a well-formed key of no message is skipped.
            fields: vec![
                f("Operator_Account", Account).req().text(USER_ID),
                f("Peer_Account", Account).req().text(USER_ID),
                f("MsgKeyList", Arr).req(),
                f("MsgKeyList.0", Str).req().text(MSG_KEY),
            ],
            codes: &[90003, 90008, 90054],
        },
        online_status_spec("openim/query_online_status"),
        Spec {
            command: "profile/portrait_set",
            template: |_| {
                json!({"From_Account": "a",
                    "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "n"}]})
            },
            // An account no one can have is merely unknown (40003); a Tag no tag has is
            // 40009; the Value here is a string tag's (a number is 40610).
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("ProfileItem", Arr).req(),
                f("ProfileItem.0", Obj).req(),
                f("ProfileItem.0.Tag", Enum).req(),
                f("ProfileItem.0.Value", Str).req().text(500),
            ],
            codes: &[40003, 40008, 40009, 40601, 40605, 40610],
        },
        Spec {
            command: "profile/portrait_get",
            template: |_| json!({"To_Account": ["a"], "TagList": ["Tag_Profile_IM_Nick"]}),
            // No account left to read is 40002; the one account unknown, 40003.
            fields: vec![
                f("To_Account", Arr).req(),
                f("To_Account.0", Account).req(),
                f("TagList", Arr).req(),
                f("TagList.0", Enum).req(),
            ],
            codes: &[40002, 40003, 40007, 40009],
        },
        online_status_spec("openim/querystate"),
        // recentcontact: the contact-group templates run in this order on the check server
        // (create "x", change it, mark, read, delete it). A `From_Account` no account can have
        // is 50001; a peer of a list item is refused in its own ResultCode, not the call.
        Spec {
            command: "recentcontact/create_contact_group",
            template: |_| {
                json!({"From_Account": "a", "GroupContactItem": [{"GroupName": "x",
                    "ContactItem": [{"Type": 1, "To_Account": "b"}]}]})
            },
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("GroupContactItem", Arr).req(),
                f("GroupContactItem.0", Obj).req(),
                f("GroupContactItem.0.GroupName", Str)
                    .req()
                    .text(CONTACT_GROUP_NAME),
                f("GroupContactItem.0.ContactItem", Arr).req(),
                f("GroupContactItem.0.ContactItem.0", Obj),
                f("GroupContactItem.0.ContactItem.0.Type", I64),
                f("GroupContactItem.0.ContactItem.0.To_Account", Account),
            ],
            codes: &[50001, 51008],
        },
        Spec {
            command: "recentcontact/update_contact_group",
            template: |_| {
                json!({"From_Account": "a", "UpdateType": 1, "UpdateGroup": {"UpdateGroupType": 2,
                    "OldGroupName": "x", "ContactUpdateItem": [{"ContactOptType": 1,
                    "ContactItem": {"Type": 1, "To_Account": "c"}}]}})
            },
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("UpdateType", I64).req().neg(),
                f("UpdateGroup", Obj).req(),
                f("UpdateGroup.UpdateGroupType", I64).req().neg(),
                f("UpdateGroup.OldGroupName", Str)
                    .req()
                    .text(CONTACT_GROUP_NAME),
                f("UpdateGroup.ContactUpdateItem", Arr).req(),
                f("UpdateGroup.ContactUpdateItem.0", Obj),
                f("UpdateGroup.ContactUpdateItem.0.ContactOptType", I64),
                f("UpdateGroup.ContactUpdateItem.0.ContactItem", Obj),
                f("UpdateGroup.ContactUpdateItem.0.ContactItem.Type", I64),
                f(
                    "UpdateGroup.ContactUpdateItem.0.ContactItem.To_Account",
                    Account,
                ),
            ],
            codes: &[50001, 51008],
        },
        Spec {
            command: "recentcontact/mark_contact",
            template: |_| {
                json!({"From_Account": "a", "MarkItem": [{"OptType": 3, "ContactItem": {"Type": 1,
                    "To_Account": "b"}, "SetMark": [0], "ClearMark": [1], "CustomMark": "vip"}]})
            },
            // 1–100 items; an index outside 0–63 is the item's 50002.
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("MarkItem", Arr).req(),
                f("MarkItem.0", Obj).req(),
                f("MarkItem.0.OptType", I64),
                f("MarkItem.0.ContactItem", Obj),
                f("MarkItem.0.ContactItem.Type", I64),
                f("MarkItem.0.ContactItem.To_Account", Account),
                f("MarkItem.0.SetMark", Arr),
                f("MarkItem.0.SetMark.0", I64),
                f("MarkItem.0.ClearMark", Arr),
                f("MarkItem.0.ClearMark.0", I64),
                f("MarkItem.0.CustomMark", Str),
            ],
            codes: &[50001, 51008],
        },
        Spec {
            command: "recentcontact/search_contact_group",
            template: |_| json!({"From_Account": "a", "ContactItem": [{"Type": 1, "To_Account": "b"}]}),
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("ContactItem", Arr).req(),
                f("ContactItem.0", Obj).req(),
                f("ContactItem.0.Type", I64).req().neg(),
                f("ContactItem.0.To_Account", Account).req().text(PEER),
            ],
            codes: &[50001],
        },
        Spec {
            command: "recentcontact/get_contact_group",
            template: |_| json!({"From_Account": "a", "StartIndex": 0}),
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("StartIndex", U64).req(),
            ],
            codes: &[50001],
        },
        Spec {
            command: "recentcontact/del_contact_group",
            template: |_| json!({"From_Account": "a", "GroupName": ["x"]}),
            // Exactly one name, of a group the owner has.
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("GroupName", Arr).req(),
                f("GroupName.0", Str).req().text(CONTACT_GROUP_NAME),
            ],
            codes: &[50001],
        },
        Spec {
            command: "recentcontact/get_list",
            template: |_| {
                json!({"From_Account": "a", "TimeStamp": 0, "StartIndex": 0, "TopTimeStamp": 0,
                    "TopStartIndex": 0, "AssistFlags": 15})
            },
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("TimeStamp", I64).req().neg(),
                f("StartIndex", U64).req(),
                f("TopTimeStamp", I64).req().neg(),
                f("TopStartIndex", U64).req(),
                f("AssistFlags", U64).req(),
            ],
            codes: &[50001],
        },
        Spec {
            command: "recentcontact/delete",
            template: |_| json!({"From_Account": "a", "Type": 1, "To_Account": "b", "ClearRamble": 0}),
            // Type 1 or 2; ClearRamble 0 or 1.
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("Type", I64).req().neg(),
                f("To_Account", Account).req().text(PEER),
                f("ClearRamble", I64).neg(),
            ],
            codes: &[50001],
        },
        Spec {
            command: "recentcontact/top",
            template: |_| {
                json!({"From_Account": "a", "OperationType": 2,
                    "RecentContactItem": [{"Type": 1, "To_Account": "b"}]})
            },
            // OperationType 1 or 2; 1–50 items, each a conversation.
            fields: vec![
                f("From_Account", Account).req().text(USER_ID),
                f("OperationType", I64).req().neg(),
                f("RecentContactItem", Arr).req(),
                f("RecentContactItem.0", Obj).req(),
                f("RecentContactItem.0.Type", I64).req().neg(),
                f("RecentContactItem.0.To_Account", Account)
                    .req()
                    .text(PEER),
            ],
            codes: &[50001],
        },
        // groups-more.md §2–§5, §7.7.
        Spec {
            command: "group_open_http_svc/get_specified_group_member_info",
            template: |_| {
                json!({"GroupId": "pub", "Member_List_Account": ["a"], "MemberInfoFilter": ["Role"],
                    "MemberRoleFilter": ["Member"], "AppDefinedDataFilter_GroupMember": ["mk"]})
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Member_List_Account", Arr).req(),
                f("Member_List_Account.0", Account).req(),
                f("MemberInfoFilter", Arr),
                f("MemberRoleFilter", Arr),
                f("MemberRoleFilter.0", Enum),
                f("AppDefinedDataFilter_GroupMember", Arr),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_attr_http_svc/get_group_attr",
            template: |_| json!({"GroupId": "pub"}),
            fields: vec![f("GroupId", Str).req().text(GROUP_ID)],
            codes: &[],
        },
        // groups-more.md §7.2–§7.6, on the fixture's AVChatRoom `live` (nobody present).
        Spec {
            command: "group_open_avchatroom_http_svc/get_members",
            template: |_| json!({"GroupId": "live", "Timestamp": 0, "Mark": 1000}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Timestamp", U64).req(),
                f("Mark", U64),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_avchatroom_http_svc/modify_user_info",
            // Mark 500 may be given to a user who is not present.
            template: |_| {
                json!({"GroupId": "live", "CommandType": 1,
                       "MemberList": [{"Member_Account": "bob", "Marks": [500]}]})
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("CommandType", U64).req(),
                f("MemberList", Arr).req(),
                f("MemberList.0", Obj),
                f("MemberList.0.Member_Account", Account).req(),
                f("MemberList.0.Marks", Arr).req(),
                f("MemberList.0.Marks.0", U64),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_avchatroom_http_svc/modify_admin",
            template: |_| json!({"GroupId": "live", "CommandType": 1, "Admin_Account": ["bob"]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("CommandType", U64).req(),
                f("Admin_Account", Arr).req(),
                f("Admin_Account.0", Account).req(),
            ],
            codes: &[10019],
        },
        Spec {
            command: "group_open_avchatroom_http_svc/get_admin_list",
            template: |_| json!({"GroupId": "live"}),
            fields: vec![f("GroupId", Str).req().text(GROUP_ID)],
            codes: &[],
        },
        Spec {
            command: "group_open_avchatroom_http_svc/check_members",
            template: |_| json!({"GroupId": "live", "Member_Account": ["bob"]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Member_Account", Arr).req(),
                f("Member_Account.0", Account).req(),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/modify_group_attr",
            template: |_| json!({"GroupId": "pub", "GroupAttr": [{"key": "k", "value": "v"}]}),
            fields: attr_fields(),
            codes: ATTR_CODES,
        },
        Spec {
            command: "group_open_http_svc/set_group_attr",
            template: |_| {
                json!({"GroupId": "pub", "GroupAttr": [{"key": "k", "value": "v"}, {"key": "k2", "value": "v"}]})
            },
            fields: attr_fields(),
            codes: ATTR_CODES,
        },
        Spec {
            command: "group_open_http_svc/delete_group_attr",
            template: |_| json!({"GroupId": "pub", "GroupAttr": [{"key": "k2"}]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("GroupAttr", Arr).req(),
                f("GroupAttr.0", Obj),
                f("GroupAttr.0.key", Str).text(32),
            ],
            codes: ATTR_CODES,
        },
        Spec {
            command: "group_open_http_svc/clear_group_attr",
            template: |_| json!({"GroupId": "pub"}),
            fields: vec![f("GroupId", Str).req().text(GROUP_ID)],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/update_group_counter",
            template: |_| {
                json!({"GroupId": "live", "Mode": "Increase", "GroupCounter": [{"Key": "like", "Value": 1}]})
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Mode", Enum).req(),
                f("GroupCounter", Arr).req(),
                f("GroupCounter.0", Obj),
                f("GroupCounter.0.Key", Str).req().text(128),
                f("GroupCounter.0.Value", I64).req(),
            ],
            codes: &[10063],
        },
        Spec {
            command: "group_open_http_svc/get_group_counter",
            template: |_| json!({"GroupId": "live", "GroupCounterKeys": ["like"]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("GroupCounterKeys", Arr),
                f("GroupCounterKeys.0", Str).text(128),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/delete_group_counter",
            template: |_| json!({"GroupId": "live", "GroupCounterKeys": ["like"]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("GroupCounterKeys", Arr),
                f("GroupCounterKeys.0", Str).text(128),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/ban_group_member",
            template: |_| json!({"GroupId": "quiet", "Members_Account": ["bob"], "Duration": 60, "Description": "d"}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Members_Account", Arr).req(),
                // Any other account is unknown: 10019.
                f("Members_Account.0", Account).req(),
                f("Duration", U32).req(),
                f("Description", Str).text(1000),
            ],
            codes: &[10019],
        },
        Spec {
            command: "group_open_http_svc/get_group_ban_member",
            template: |_| json!({"GroupId": "quiet", "Limit": 10, "Offset": 0}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Limit", U64).max(100),
                f("Offset", U64).req(),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/unban_group_member",
            template: |_| json!({"GroupId": "quiet", "Members_Account": ["bob"]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("Members_Account", Arr).req(),
                f("Members_Account.0", Account).req(),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/get_group_msg_receipt",
            template: |_| json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 1}]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("MsgSeqList", Arr).req(),
                f("MsgSeqList.0", Obj),
                f("MsgSeqList.0.MsgSeq", U64).req(),
            ],
            codes: &[],
        },
        Spec {
            command: "group_open_http_svc/get_group_msg_receipt_detail",
            template: |_| json!({"GroupId": "pub", "MsgSeq": 4, "Filter": 1, "Cursor": "", "Count": 10}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("MsgSeq", U64).req(),
                f("Filter", U8).req().max(1),
                // Any other cursor is one this server did not hand out: 10004.
                f("Cursor", Str).req().max(0),
                f("Count", U64).req(),
            ],
            codes: &[10062],
        },
        Spec {
            command: "group_open_http_svc/group_msg_receipt",
            template: |_| json!({"GroupId": "pub", "From_Account": "b", "MsgSeqList": [{"MsgSeq": 4}]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                // Any other account is unknown: 10019.
                f("From_Account", Account).req(),
                f("MsgSeqList", Arr).req(),
                f("MsgSeqList.0", Obj),
                f("MsgSeqList.0.MsgSeq", U64).req(),
            ],
            codes: &[10019],
        },
        Spec {
            command: "group_open_http_svc/send_broadcast_msg",
            template: |_| {
                json!({"From_Account": "o", "Random": 77, "MsgBody": text_body("b"), "CloudCustomData": "d"})
            },
            fields: [
                vec![f("From_Account", Account), f("Random", U32).req()],
                msg_body_fields("MsgBody", Some(MSG_BYTES)),
                vec![f("CloudCustomData", Str).text(MSG_BYTES)],
            ]
            .concat(),
            codes: &[10019, 80001, 80002],
        },
    ]
    .into_iter()
    .chain(sns_specs())
    .collect()
}

/// The codes of the attribute writers beyond the group family's (groups-more.md §3.3).
const ATTR_CODES: &[u64] = &[10045, 10046, 10047, 10048, 10050];

/// The fields of modify_group_attr and set_group_attr. Lower-case `key` / `value`: their
/// "other case" would be their own name, so they are not marked required.
fn attr_fields() -> Vec<Field> {
    vec![
        f("GroupId", Str).req().text(GROUP_ID),
        f("GroupAttr", Arr).req(),
        f("GroupAttr.0", Obj),
        f("GroupAttr.0.key", Str).text(32),
        f("GroupAttr.0.value", Str).text(4000),
    ]
}

/// `From_Account` of the relationship commands: required; a UserID any account can have.
fn from() -> Field {
    f("From_Account", Account).req().text(USER_ID)
}

/// A `To_Account` list of the relationship commands (a bad entry is its item's outcome);
/// an optional one may be empty.
fn to_list(required: bool) -> Vec<Field> {
    let (list, entry) = (f("To_Account", Arr), f("To_Account.0", Account));
    if required {
        vec![list.req(), entry.req()]
    } else {
        vec![list, entry]
    }
}

/// The `sns` and `follow` commands (relationships.md). Most field errors of a batch item are
/// that item's 30001, not a refusal, so only what the request as a whole refuses is here.
fn sns_specs() -> Vec<Spec> {
    let add_item = |p: &'static str| {
        let at =
            move |rest: &str| -> &'static str { Box::leak(format!("{p}{rest}").into_boxed_str()) };
        vec![
            f(p, Arr).req(),
            f(at(".0"), Obj),
            f(at(".0.To_Account"), Account),
            f(at(".0.Remark"), Str),
            f(at(".0.AddSource"), Str),
            f(at(".0.AddWording"), Str),
        ]
    };
    const SNS: &[u64] = &[30003];
    vec![
        Spec {
            command: "sns/friend_add",
            template: |_| {
                json!({"From_Account": "a", "AddType": "Add_Type_Both", "ForceAddFlags": 1,
                    "AddFriendItem": [{"To_Account": "b", "AddSource": "AddSource_Type_Web",
                        "Remark": "r", "GroupName": "g", "AddWording": "w"}]})
            },
            fields: [
                vec![from(), f("AddType", Enum), f("ForceAddFlags", Int)],
                add_item("AddFriendItem"),
                vec![f("AddFriendItem.0.GroupName", Str)],
            ]
            .concat(),
            codes: SNS,
        },
        Spec {
            command: "sns/friend_import",
            template: |_| {
                json!({"From_Account": "a", "AddFriendItem": [{"To_Account": "c",
                    "AddSource": "AddSource_Type_Import", "GroupName": ["work"], "Remark": "r",
                    "AddWording": "w", "AddTime": 1690000000, "RemarkTime": 1690000000,
                    "CustomItem": [{"Tag": "Tag_SNS_Custom_Since", "Value": "2019"}]}]})
            },
            fields: [
                vec![from()],
                add_item("AddFriendItem"),
                vec![
                    f("AddFriendItem.0.GroupName", Arr),
                    f("AddFriendItem.0.GroupName.0", Str),
                    f("AddFriendItem.0.AddTime", Int),
                    f("AddFriendItem.0.RemarkTime", Int),
                    f("AddFriendItem.0.CustomItem", Arr),
                    f("AddFriendItem.0.CustomItem.0", Obj),
                    f("AddFriendItem.0.CustomItem.0.Tag", Str).req(),
                ],
            ]
            .concat(),
            codes: SNS,
        },
        Spec {
            command: "sns/friend_update",
            template: |_| {
                json!({"From_Account": "a", "UpdateItem": [{"To_Account": "b",
                    "SnsItem": [{"Tag": "Tag_SNS_IM_Remark", "Value": "x"}]}]})
            },
            fields: vec![
                from(),
                f("UpdateItem", Arr).req(),
                f("UpdateItem.0", Obj),
                f("UpdateItem.0.To_Account", Account),
                f("UpdateItem.0.SnsItem", Arr),
                f("UpdateItem.0.SnsItem.0", Obj),
                f("UpdateItem.0.SnsItem.0.Tag", Str),
            ],
            codes: SNS,
        },
        Spec {
            command: "sns/friend_delete",
            template: |_| json!({"From_Account": "a", "To_Account": ["x"], "DeleteType": "Delete_Type_Single"}),
            fields: [vec![from(), f("DeleteType", Enum)], to_list(true)].concat(),
            codes: SNS,
        },
        Spec {
            command: "sns/friend_delete_all",
            template: |_| json!({"From_Account": "c", "DeleteType": "Delete_Type_Both"}),
            fields: vec![from(), f("DeleteType", Enum)],
            codes: SNS,
        },
        Spec {
            command: "sns/friend_check",
            template: |_| json!({"From_Account": "a", "To_Account": ["b"], "CheckType": "CheckResult_Type_Both"}),
            fields: [vec![from(), f("CheckType", Enum).req()], to_list(true)].concat(),
            codes: SNS,
        },
        Spec {
            command: "sns/friend_get",
            template: |_| json!({"From_Account": "a", "StartIndex": 0, "StandardSequence": 0, "CustomSequence": 0}),
            fields: vec![
                from(),
                f("StartIndex", I64).req().neg(),
                f("StandardSequence", I64),
                f("CustomSequence", I64),
            ],
            codes: SNS,
        },
        Spec {
            command: "sns/friend_get_list",
            template: |_| json!({"From_Account": "a", "To_Account": ["b"], "TagList": ["Tag_SNS_IM_Remark", "Tag_Profile_IM_Nick"]}),
            fields: [
                vec![from(), f("TagList", Arr), f("TagList.0", Enum)],
                to_list(true),
            ]
            .concat(),
            codes: SNS,
        },
        Spec {
            command: "sns/friend_get_all",
            template: |_| json!({"From_Account": "a", "StartIndex": 0, "GetCount": 10, "TagList": ["Tag_SNS_IM_Remark"]}),
            fields: vec![
                from(),
                f("StartIndex", I64).req().neg(),
                f("GetCount", I64).neg(),
                f("TagList", Arr),
                f("TagList.0", Enum),
            ],
            codes: SNS,
        },
        Spec {
            command: "sns/black_list_add",
            template: |_| json!({"From_Account": "c", "To_Account": ["o"]}),
            fields: [vec![from()], to_list(true)].concat(),
            codes: SNS,
        },
        Spec {
            command: "sns/black_list_delete",
            template: |_| json!({"From_Account": "c", "To_Account": ["o"]}),
            fields: [vec![from()], to_list(true)].concat(),
            codes: SNS,
        },
        Spec {
            command: "sns/black_list_get",
            template: |_| json!({"From_Account": "c", "StartIndex": 0, "MaxLimited": 10, "LastSequence": 0}),
            fields: vec![
                from(),
                f("StartIndex", I64).req().neg(),
                f("MaxLimited", I64).req().neg(),
                f("LastSequence", I64),
            ],
            codes: SNS,
        },
        Spec {
            command: "sns/black_list_check",
            template: |_| json!({"From_Account": "c", "To_Account": ["o"], "CheckType": "BlackCheckResult_Type_Single"}),
            fields: [vec![from(), f("CheckType", Enum).req()], to_list(true)].concat(),
            codes: SNS,
        },
        Spec {
            command: "sns/group_add",
            template: |_| json!({"From_Account": "alice", "GroupName": ["tmpl"], "To_Account": ["bob"]}),
            fields: [
                vec![
                    from(),
                    f("GroupName", Arr).req(),
                    f("GroupName.0", Str).req().text(30),
                ],
                to_list(false),
            ]
            .concat(),
            codes: &[30003, 30011],
        },
        Spec {
            command: "sns/group_get",
            template: |_| json!({"From_Account": "alice", "NeedFriend": "Need_Friend_Type_Yes", "GroupName": ["tmpl"]}),
            fields: vec![
                from(),
                f("NeedFriend", Enum),
                f("GroupName", Arr),
                f("GroupName.0", Str).text(30),
            ],
            codes: SNS,
        },
        Spec {
            command: "sns/group_delete",
            template: |_| json!({"From_Account": "alice", "GroupName": ["tmpl"]}),
            fields: vec![
                from(),
                f("GroupName", Arr).req(),
                f("GroupName.0", Str).req().text(30),
            ],
            codes: SNS,
        },
        Spec {
            command: "follow/follow_add",
            template: |_| json!({"From_Account": "a", "FollowItem": [{"To_Account": "b"}]}),
            fields: vec![
                from(),
                f("FollowItem", Arr).req(),
                f("FollowItem.0", Obj),
                f("FollowItem.0.To_Account", Account),
            ],
            codes: SNS,
        },
        Spec {
            command: "follow/follow_delete",
            template: |_| json!({"From_Account": "a", "To_Account": ["c"]}),
            fields: [vec![from()], to_list(true)].concat(),
            codes: SNS,
        },
        Spec {
            command: "follow/follow_check",
            template: |_| json!({"From_Account": "a", "To_Account": ["b"]}),
            fields: [vec![from()], to_list(true)].concat(),
            codes: SNS,
        },
        Spec {
            command: "follow/follow_get",
            template: |_| json!({"From_Account": "a", "FollowType": 2, "StartCursor": "", "WantNum": 10}),
            fields: vec![
                from(),
                f("FollowType", I64).req().neg().max(3),
                f("StartCursor", Str),
                f("WantNum", I64).neg(),
            ],
            codes: SNS,
        },
        Spec {
            command: "million_group_open_http_svc/create_topic",
            template: |_| {
                json!({"GroupId": TOPICS, "TopicName": "t", "TopicId": "@TGS#_topics@TOPIC#_new",
                    "From_Account": "a", "CustomString": "c", "FaceUrl": "f",
                    "Notification": "n", "Introduction": "i"})
            },
            fields: topic_profile_fields(true),
            codes: &[10016, 10019, 10021],
        },
        Spec {
            command: "group_open_http_svc/import_topic",
            template: |now| {
                json!({"GroupId": TOPICS, "Type": "Community", "TopicName": "t",
                    "TopicId": "@TGS#_topics@TOPIC#_imp", "From_Account": "a",
                    "CustomString": "c", "FaceUrl": "f", "Notification": "n",
                    "Introduction": "i", "CreateTime": now - 10})
            },
            fields: [
                topic_profile_fields(true),
                vec![f("Type", Enum), f("CreateTime", I64).neg()],
            ]
            .concat(),
            codes: &[10019, 10021],
        },
        Spec {
            command: "million_group_open_http_svc/get_topic",
            template: |_| {
                json!({"GroupId": TOPICS, "From_Account": "a", "TopicIdList": [TOPIC],
                    "ResponseFilter": ["TopicName"]})
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("From_Account", Account).text(USER_ID),
                f("TopicIdList", Arr),
                f("TopicIdList.0", Str),
                f("ResponseFilter", Arr),
                f("ResponseFilter.0", Enum),
            ],
            codes: &[],
        },
        Spec {
            command: "million_group_open_http_svc/modify_topic",
            template: |_| {
                json!({"GroupId": TOPICS, "TopicId": TOPIC, "From_Account": "a",
                    "TopicName": "t2", "CustomString": "c", "FaceUrl": "f",
                    "Notification": "n", "Introduction": "i", "MuteAllMember": "Off"})
            },
            fields: [topic_profile_fields(false), vec![f("MuteAllMember", Enum)]].concat(),
            codes: &[10019],
        },
        Spec {
            command: "million_group_open_http_svc/destroy_topic",
            template: |_| json!({"GroupId": TOPICS, "TopicIdList": ["@TGS#_topics@TOPIC#_none"]}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("TopicIdList", Arr).req(),
                f("TopicIdList.0", Str),
            ],
            codes: &[],
        },
        Spec {
            command: "openim_msg_ext_http_svc/group_get_key_values",
            template: |_| json!({"GroupId": "g", "MsgSeq": 1, "StartSeq": 0}),
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("MsgSeq", U64).req(),
                f("StartSeq", U64),
            ],
            codes: &[10007, 10010, 10015, 20022],
        },
        Spec {
            command: "openim_msg_ext_http_svc/group_set_key_values",
            template: |_| {
                json!({"GroupId": "g", "MsgSeq": 1, "OperateType": 1,
                    "ExtensionList": [{"Key": "k", "Value": "v", "Seq": 0}]})
            },
            fields: vec![
                f("GroupId", Str).req().text(GROUP_ID),
                f("MsgSeq", U64).req(),
                f("OperateType", I64).req().neg().max(3),
                f("ExtensionList", Arr).req(),
                f("ExtensionList.0", Obj).req(),
                f("ExtensionList.0.Key", Str).req().text(100),
                f("ExtensionList.0.Value", Str).text(1000),
                f("ExtensionList.0.Seq", U64),
            ],
            codes: &[10007, 10010, 10015, 20022],
        },
        Spec {
            command: "follow/follow_get_info",
            template: |_| json!({"From_Account": "a", "To_Account": ["b"]}),
            fields: [vec![from()], to_list(true)].concat(),
            codes: SNS,
        },
        // all_member_push (push-and-operations.md §1): the slot names first, so that the
        // templates after them name real slots on the check server.
        Spec {
            command: "all_member_push/im_set_attr_name",
            template: |_| json!({"AttrNames": {"0": "city", "1": "tier"}}),
            fields: vec![f("AttrNames", Obj).req()],
            codes: &[90033],
        },
        Spec {
            command: "all_member_push/im_get_attr_name",
            template: |_| json!({}),
            fields: vec![],
            codes: &[],
        },
        Spec {
            command: "all_member_push/im_set_attr",
            template: |_| json!({"UserAttrs": [{"To_Account": "a", "Attrs": {"city": "sz"}}]}),
            fields: vec![
                f("UserAttrs", Arr).req(),
                f("UserAttrs.0", Obj),
                f("UserAttrs.0.To_Account", Account).req().text(USER_ID),
                f("UserAttrs.0.Attrs", Obj).req(),
                f("UserAttrs.0.Attrs.city", Str).text(50),
            ],
            codes: &[90018, 90033],
        },
        Spec {
            command: "all_member_push/im_get_attr",
            template: |_| json!({"To_Account": ["a"]}),
            fields: vec![
                f("To_Account", Arr).req(),
                f("To_Account.0", Account).text(USER_ID),
            ],
            codes: &[90018],
        },
        Spec {
            command: "all_member_push/im_remove_attr",
            template: |_| json!({"UserAttrs": [{"To_Account": "a", "Attrs": ["tier"]}]}),
            fields: vec![
                f("UserAttrs", Arr).req(),
                f("UserAttrs.0", Obj),
                f("UserAttrs.0.To_Account", Account).req().text(USER_ID),
                f("UserAttrs.0.Attrs", Arr).req(),
                f("UserAttrs.0.Attrs.0", Str).nul(),
            ],
            codes: &[90018, 90033],
        },
        Spec {
            command: "all_member_push/im_add_tag",
            template: |_| json!({"UserTags": [{"To_Account": "a", "Tags": ["vip"]}]}),
            fields: push_tag_fields(),
            codes: &[90018, 90020, 90032, 90040],
        },
        Spec {
            command: "all_member_push/im_get_tag",
            template: |_| json!({"To_Account": ["a"]}),
            fields: vec![
                f("To_Account", Arr).req(),
                f("To_Account.0", Account).text(USER_ID),
            ],
            codes: &[90018],
        },
        Spec {
            command: "all_member_push/im_remove_tag",
            template: |_| json!({"UserTags": [{"To_Account": "a", "Tags": ["old"]}]}),
            fields: push_tag_fields(),
            codes: &[90018, 90020, 90040],
        },
        // `To_Account` may also be one string, so only its item is described.
        Spec {
            command: "all_member_push/im_remove_all_tags",
            template: |_| json!({"To_Account": ["b"]}),
            fields: vec![f("To_Account.0", Account).text(USER_ID)],
            codes: &[90018],
        },
        // A tag of the condition left out would leave a push to everyone: not required.
        Spec {
            command: "all_member_push/im_push",
            template: |_| {
                json!({"From_Account": "a", "MsgRandom": 7, "MsgLifeTime": 60,
                    "MsgBody": text_body("x"), "Condition": {"TagsAnd": ["vip"]}})
            },
            fields: [
                vec![
                    f("From_Account", Account).text(USER_ID),
                    f("MsgRandom", U32).req(),
                    f("MsgLifeTime", I64).neg().max(604_800),
                    f("Condition.TagsAnd", Arr),
                    f("Condition.TagsAnd.0", Str).text(50),
                ],
                msg_body_fields("MsgBody", None),
            ]
            .concat(),
            codes: &[
                90002, 90005, 90007, 90010, 90020, 90022, 90026, 90032, 90033, 90039, 90040,
            ],
        },
        // openconfigsvr (§2): every field read as a JSON value, each with its own code.
        Spec {
            command: "openconfigsvr/setnospeaking",
            template: |_| json!({"Set_Account": "b", "C2CmsgNospeakingTime": 0, "GroupmsgNospeakingTime": 0}),
            fields: vec![
                f("Set_Account", Account).req().text(USER_ID),
                f("C2CmsgNospeakingTime", U32),
                f("GroupmsgNospeakingTime", U32),
            ],
            codes: &[130004, 130005, 130006, 130007, 130008],
        },
        Spec {
            command: "openconfigsvr/getnospeaking",
            template: |_| json!({"Get_Account": "b"}),
            fields: vec![f("Get_Account", Account).req().text(USER_ID)],
            codes: &[130002, 130003],
        },
        Spec {
            command: "openconfigsvr/getappinfo",
            template: |_| json!({"RequestField": ["AppId", "C2CUpMsgNum"]}),
            fields: vec![f("RequestField", Arr), f("RequestField.0", Str)],
            codes: &[],
        },
        Spec {
            command: "open_msg_svc/get_history",
            template: |_| json!({"ChatType": "C2C", "MsgTime": "2025031509"}),
            fields: vec![f("ChatType", Enum).req(), f("MsgTime", Str).req().text(10)],
            codes: &[],
        },
        // im_cos_msg (§4.4): the URL banned is allowed again right after.
        Spec {
            command: "im_cos_msg/forbid_illegal_object",
            template: |_| json!({"RawURL": "https://cos.example/f.png"}),
            fields: vec![f("RawURL", Str).req().text(2048)],
            codes: &[],
        },
        Spec {
            command: "im_cos_msg/allow_banned_object",
            template: |_| json!({"RawURL": "https://cos.example/f.png"}),
            fields: vec![f("RawURL", Str).req().text(2048)],
            codes: &[],
        },
        Spec {
            command: "im_cos_msg/get_cos_sig",
            template: |_| json!({"RawURLs": [{"ResourceID": 1, "RawURL": "https://cos.example/f.png"}]}),
            fields: vec![
                f("RawURLs", Arr).req(),
                f("RawURLs.0", Obj),
                f("RawURLs.0.ResourceID", I64).req(),
                f("RawURLs.0.RawURL", Str).req().text(2048),
            ],
            codes: &[],
        },
        // im_msg_audit_mgr (§4.3): `SdkAppId` may be left out (the URL's app); what is added
        // is deleted right after.
        Spec {
            command: "im_msg_audit_mgr/add_local_audit_keywords",
            template: |_| {
                json!({"LocalAuditWords": [{"Keyword": "kw", "WordType": 1, "FilterType": 1,
                    "ReplacedContent": "*"}]})
            },
            fields: vec![
                f("LocalAuditWords", Arr).req(),
                f("LocalAuditWords.0", Obj),
                f("LocalAuditWords.0.Keyword", Str).req().text(200),
                f("LocalAuditWords.0.WordType", I64).max(2),
                f("LocalAuditWords.0.FilterType", I64).max(2),
                f("LocalAuditWords.0.ReplacedContent", Str).text(200),
            ],
            codes: &[],
        },
        Spec {
            command: "im_msg_audit_mgr/get_local_audit_keywords",
            template: |_| json!({"FilterType": 1, "Offset": 0, "Limit": 10, "Keyword": "k"}),
            fields: vec![
                f("FilterType", I64).max(2),
                f("Offset", I64).neg(),
                f("Limit", I64).neg().max(100),
                f("Keyword", Str).nul(),
            ],
            codes: &[],
        },
        Spec {
            command: "im_msg_audit_mgr/delete_local_audit_keywords",
            template: |_| json!({"LocalAuditWords": [{"Keyword": "kw"}]}),
            fields: vec![
                f("LocalAuditWords", Arr).req(),
                f("LocalAuditWords.0", Obj),
                f("LocalAuditWords.0.Keyword", Str).text(200),
            ],
            codes: &[],
        },
        Spec {
            command: "im_msg_audit_mgr/add_cloud_audit_keywords",
            template: |_| json!({"LibID": "lib", "UserKeywords": [{"Content": "kw", "Label": "Ad"}]}),
            fields: vec![
                f("LibID", Str).req().text(64),
                f("UserKeywords", Arr).req(),
                f("UserKeywords.0", Obj),
                f("UserKeywords.0.Content", Str).req().text(200),
                f("UserKeywords.0.Label", Enum).req(),
            ],
            codes: &[],
        },
        Spec {
            command: "im_msg_audit_mgr/get_cloud_audit_keywords_ids",
            template: |_| json!({"Offset": 0, "Limit": 10}),
            fields: vec![f("Offset", I64).neg(), f("Limit", I64).neg().max(100)],
            codes: &[],
        },
        Spec {
            command: "im_msg_audit_mgr/get_cloud_audit_keywords",
            template: |_| json!({"LibID": "lib", "Offset": 0, "Limit": 10, "Content": "k"}),
            fields: vec![
                f("LibID", Str).req().text(64),
                f("Offset", I64).neg(),
                f("Limit", I64).neg().max(100),
                f("Content", Str).nul(),
            ],
            codes: &[],
        },
        Spec {
            command: "im_msg_audit_mgr/delete_cloud_audit_keywords",
            template: |_| json!({"LibID": "lib", "Keywords": ["kw"]}),
            fields: vec![
                f("LibID", Str).req().text(64),
                f("Keywords", Arr).req(),
                f("Keywords.0", Str).text(200),
            ],
            codes: &[],
        },
        Spec {
            command: "ConfigSvc/GetIPList",
            template: |_| json!({}),
            fields: vec![],
            codes: &[],
        },
        // Moderation (§4.1, §4.2); the word added is deleted right after.
        Spec {
            command: "openim_dirty_words/get",
            template: |_| json!({}),
            fields: vec![],
            codes: &[],
        },
        Spec {
            command: "openim_dirty_words/add",
            template: |_| json!({"DirtyWordsList": ["zz"]}),
            fields: vec![
                f("DirtyWordsList", Arr).req(),
                f("DirtyWordsList.0", Str).text(200),
            ],
            codes: &[],
        },
        Spec {
            command: "openim_dirty_words/delete",
            template: |_| json!({"DirtyWordsList": ["zz"]}),
            fields: vec![
                f("DirtyWordsList", Arr).req(),
                f("DirtyWordsList.0", Str).text(200),
            ],
            codes: &[],
        },
        Spec {
            command: "im_msg_audit/content_moderation",
            template: |_| json!({"AuditName": "C2C", "ContentType": "Text", "Content": "hi"}),
            fields: vec![
                f("AuditName", Enum).req(),
                f("ContentType", Enum).req(),
                f("Content", Str).req(),
            ],
            codes: &[],
        },
        Spec {
            command: "im_msg_audit/batch_content_moderation",
            template: |_| {
                json!({"AuditName": "C2C",
                    "Contents": [{"ContentId": 1, "ContentType": "Text", "Content": "hi"}]})
            },
            fields: vec![
                f("AuditName", Enum).req(),
                f("Contents", Arr).req(),
                f("Contents.0", Obj),
                f("Contents.0.ContentId", I64).req(),
                f("Contents.0.ContentType", Enum).req(),
                f("Contents.0.Content", Str).req().max(8192),
            ],
            codes: &[],
        },
    ]
}

/// im_add_tag's and im_remove_tag's fields.
fn push_tag_fields() -> Vec<Field> {
    vec![
        f("UserTags", Arr).req(),
        f("UserTags.0", Obj),
        f("UserTags.0.To_Account", Account).req().text(USER_ID),
        f("UserTags.0.Tags", Arr).req(),
        f("UserTags.0.Tags.0", Str).text(50),
    ]
}

/// The fixture's topic-enabled Community and its topic (groups-more.md §8).
const TOPICS: &str = "@TGS#_topics";
const TOPIC: &str = "@TGS#_topics@TOPIC#_t";

/// The fields of a topic's profile: create_topic and import_topic (`new`: `TopicName`
/// required, `TopicId` optional) or modify_topic (`TopicId` required, the rest optional).
fn topic_profile_fields(new: bool) -> Vec<Field> {
    let name = f("TopicName", Str).text(30);
    let id = f("TopicId", Str).text(96);
    vec![
        f("GroupId", Str).req().text(GROUP_ID),
        if new { name.req() } else { name },
        if new { id } else { id.req() },
        f("From_Account", Account),
        f("CustomString", Str).text(3000),
        f("FaceUrl", Str).text(100),
        f("Notification", Str).text(300),
        f("Introduction", Str).text(240),
    ]
}

/// The longest MsgKey: three numbers of at most 20 digits joined by `_`.
const MSG_KEY: u64 = 62;

/// The fixture's one-to-one message `i` (1–3) from `a` to `b`: its MsgSeq, MsgRandom and
/// MsgTimeStamp, a minute before `now`.
fn c2c_msg(now: i64, i: u32) -> (u32, u32, i64) {
    (i, 100 + i, now - 60 + i64::from(i))
}

/// The MsgKey of [`c2c_msg`] `i`.
fn c2c_key(now: i64, i: u32) -> String {
    let (seq, random, time) = c2c_msg(now, i);
    format!("{seq}_{random}_{time}")
}

/// A sendmsg or batchsendmsg body from `a` to `to`, with every field.
fn send_template(to: Value) -> Value {
    json!({"SyncOtherMachine": 1, "From_Account": "a", "To_Account": to, "MsgLifeTime": 3600,
        "MsgSeq": 5, "MsgRandom": 6, "OnlineOnlyFlag": 0,
        "ForbidCallbackControl": ["ForbidBeforeSendMsgCallback"], "SendMsgControl": ["NoUnread"],
        "MsgBody": text_body("hi"), "CloudCustomData": "d", "SupportMessageExtension": 0,
        "OfflinePushInfo": {"PushFlag": 0}, "IsNeedReadReceipt": 0})
}

/// The fields of [`send_template`], its `To_Account` described by `to`.
fn send_fields(to: Field) -> Vec<Field> {
    [
        vec![
            // 0, 1 or 2.
            f("SyncOtherMachine", U8).max(2),
            // Another account, or one no account can have: 90008.
            f("From_Account", Account).text(USER_ID),
            to,
            // Longer than 7 days is 7 days (saturating past i64::MAX); negative 90026.
            f("MsgLifeTime", U64),
            f("MsgSeq", U32),
            f("MsgRandom", U32).req(),
            f("OnlineOnlyFlag", U8).max(1),
            f("ForbidCallbackControl", Arr),
            f("ForbidCallbackControl.0", Enum),
            f("SendMsgControl", Arr),
            f("SendMsgControl.0", Enum),
        ],
        msg_body_fields("MsgBody", Some(MSG_BYTES)),
        vec![
            f("CloudCustomData", Str).text(MSG_BYTES),
            f("SupportMessageExtension", U8).max(1),
            f("OfflinePushInfo", Obj),
            f("IsNeedReadReceipt", U8).max(1),
        ],
    ]
    .concat()
}

/// query_online_status, and querystate, its older name (accounts.md §6).
fn online_status_spec(command: &'static str) -> Spec {
    Spec {
        command,
        template: |_| json!({"To_Account": ["a"], "IsNeedDetail": 1}),
        // 1–500 accounts; one that does not exist, or no account can be, is its ErrorList
        // entry (70107). IsReturnInstid and IsReturnCustomStatus are taken and ignored.
        fields: vec![
            f("To_Account", Arr).req(),
            f("To_Account.0", Account).req(),
            f("IsNeedDetail", U8).max(1),
        ],
        codes: &[90011],
    }
}

/// A way to spoil a template. Values given as text are spliced into the JSON as they are,
/// so they can be what `serde_json::Value` cannot hold (2^64, 1e400, nesting past its limit).
#[derive(Debug, Clone)]
enum Mutation {
    /// The whole body.
    Body(Vec<u8>),
    /// The template's text cut to this many bytes (modulo its length).
    Truncate(usize),
    /// The template's values as an array, in the template's order.
    Positional,
    /// The field's value replaced by this JSON text.
    Set(usize, String),
    /// The field removed.
    Remove(usize),
    /// The field's key replaced by another spelling.
    Rename(usize, String),
    /// The field given twice.
    Duplicate(usize),
}

const PLACEHOLDER: &str = "\u{1}spliced\u{1}";

/// The body a mutation makes of `template`.
fn body(template: &Value, fields: &[Field], m: &Mutation) -> Vec<u8> {
    let text = template.to_string();
    match m {
        Mutation::Body(b) => b.clone(),
        Mutation::Truncate(n) => text.as_bytes()[..n % text.len()].to_vec(),
        Mutation::Positional => {
            let values: Vec<Value> = template.as_object().unwrap().values().cloned().collect();
            Value::Array(values).to_string().into_bytes()
        }
        Mutation::Set(i, raw) => {
            let mut v = template.clone();
            *at(&mut v, fields[*i].path) = Value::String(PLACEHOLDER.into());
            let spliced = Value::String(PLACEHOLDER.into()).to_string();
            v.to_string().replacen(&spliced, raw, 1).into_bytes()
        }
        Mutation::Remove(i) => {
            let mut v = template.clone();
            let (parent, key) = parent_of(&mut v, fields[*i].path);
            match parent {
                Value::Object(o) => {
                    o.shift_remove(key);
                }
                Value::Array(a) => {
                    a.remove(key.parse().unwrap());
                }
                _ => unreachable!(),
            }
            v.to_string().into_bytes()
        }
        Mutation::Rename(i, new) => {
            let mut v = template.clone();
            let (parent, key) = parent_of(&mut v, fields[*i].path);
            let o = parent.as_object_mut().unwrap();
            let value = o.shift_remove(key).unwrap();
            o.insert(new.clone(), value);
            v.to_string().into_bytes()
        }
        Mutation::Duplicate(i) => {
            let key = fields[*i].path;
            let value = &template[key];
            format!("{{{}:{value},{}", Value::from(key), &text[1..]).into_bytes()
        }
    }
}

fn at<'v>(v: &'v mut Value, path: &str) -> &'v mut Value {
    path.split('.')
        .fold(v, |v, key| match key.parse::<usize>() {
            Ok(i) => &mut v[i],
            Err(_) => v
                .get_mut(key)
                .unwrap_or_else(|| panic!("the template has no {path}")),
        })
}

fn parent_of<'v, 'p>(v: &'v mut Value, path: &'p str) -> (&'v mut Value, &'p str) {
    match path.rsplit_once('.') {
        Some((parent, key)) => (at(v, parent), key),
        None => (v, path),
    }
}

fn is_index(path: &str) -> bool {
    path.rsplit('.').next().unwrap().parse::<usize>().is_ok()
}

/// JSON text nested `depth` arrays deep: past serde_json's limit of 128 for `depth` > 128.
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// The string of `field` in the template with a NUL at byte `at` (modulo its length).
fn with_nul(template: &Value, field: &Field, at: usize) -> String {
    let mut v = template.clone();
    let s = at_str(&mut v, field.path);
    let mut cut = at % (s.len() + 1);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    Value::from(format!("{}\0{}", &s[..cut], &s[cut..])).to_string()
}

fn at_str(v: &mut Value, path: &str) -> String {
    at(v, path).as_str().unwrap_or_default().to_owned()
}

/// A string of `c` repeated to more than `max` bytes (plus `extra`): with a multi-byte `c`
/// it has fewer characters than bytes, which a check counting characters would let through.
fn over(max: u64, c: char, extra: usize) -> String {
    let bytes = max as usize + 1 + extra;
    Value::from(c.to_string().repeat(bytes.div_ceil(c.len_utf8()))).to_string()
}

/// Every value of another JSON type than `ty` (as JSON text) that the field must refuse.
fn wrong_types(field: &Field) -> Vec<String> {
    let mut v: Vec<&str> = match field.ty {
        Str | Enum | Account => vec!["1", "-1.5", "true", "[]", r#"["x"]"#, "{}"],
        U64 | U32 | U8 | I64 | Int => vec![r#""1""#, "true", "[]", "{}", "1.5", "1e2"],
        Time => vec![
            "true", "[]", "{}", "1.5", "1e2", r#""""#, r#""x""#, r#""-1""#, r#""1.5""#, r#"" 1""#,
            r#""+1""#,
        ],
        Arr => vec![r#""x""#, "1", "true", "{}"],
        Obj => vec![r#""x""#, "1", "true", "[]"],
        MsgBody => vec![r#""x""#, "1", "true", "{}", r#"{"MsgType":"TIMTextElem"}"#],
    };
    if field.required || field.ty == Account {
        v.push("null");
    }
    v.into_iter().map(str::to_owned).collect()
}

/// Numbers out of the field's range (as JSON text).
fn out_of_range(field: &Field) -> Vec<String> {
    let mut v: Vec<String> = match field.ty {
        U64 | U32 | U8 => vec!["-1".into(), "18446744073709551616".into(), "1e400".into()],
        I64 => vec![
            "9223372036854775808".into(),
            "-9223372036854775809".into(),
            "1e400".into(),
        ],
        Int => vec![
            "18446744073709551616".into(),
            "-9223372036854775809".into(),
            "1e400".into(),
        ],
        Time => vec![
            "-1".into(),
            "9223372036854775808".into(),
            "-9223372036854775809".into(),
            "1e400".into(),
            r#""9223372036854775808""#.into(),
        ],
        _ => return Vec::new(),
    };
    match field.ty {
        U32 => v.push("4294967296".into()),
        U8 => v.push("256".into()),
        I64 if field.negative => v.push("-1".into()),
        _ => {}
    }
    if let Some(max) = field.max {
        v.push((max + 1).to_string());
    }
    v
}

/// The fixed part of the cases: every mutation of every field, with chosen values.
fn fixed_cases(template: &Value, fields: &[Field]) -> Vec<Mutation> {
    let mut cases = body_cases();
    cases.push(Mutation::Positional);
    cases.extend(field_cases(template, fields));
    cases
}

/// Whole bodies no command can take: not JSON, or JSON that is not an object.
fn body_cases() -> Vec<Mutation> {
    let mut cases: Vec<Mutation> = [
        &b""[..],
        b" ",
        b"nope",
        b"{",
        b"}",
        b"\xff\xfe{}",
        b"\0",
        b"null",
        b"0",
        b"\"x\"",
        b"true",
        b"[]",
        b"[{}]",
        b"{}{}",
    ]
    .iter()
    .map(|b| Mutation::Body(b.to_vec()))
    .collect();
    cases.push(Mutation::Body(nested(200).into_bytes()));
    cases.push(Mutation::Body(
        format!("{}1{}", r#"[{"a":"#.repeat(300), "}]".repeat(300)).into_bytes(),
    ));
    cases
}

/// Every mutation of every field, with chosen values.
fn field_cases(template: &Value, fields: &[Field]) -> Vec<Mutation> {
    let mut cases = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        for raw in wrong_types(field).into_iter().chain(out_of_range(field)) {
            cases.push(Mutation::Set(i, raw));
        }
        cases.push(Mutation::Set(i, nested(129)));
        if field.ty == Obj {
            // The object's values by position, which serde's derived structs would take.
            let mut v = template.clone();
            if let Some(o) = at(&mut v, field.path).as_object() {
                let values: Vec<Value> = o.values().cloned().collect();
                cases.push(Mutation::Set(i, Value::Array(values).to_string()));
            }
        }
        if field.ty == MsgBody {
            // Nesting serde_json accepts, but no element format does.
            cases.push(Mutation::Set(i, nested(100)));
        }
        if matches!(field.ty, Str | Enum | Account) {
            if field.ty == Enum {
                // ("" is not here: for a GroupType filter it means all types.)
                cases.push(Mutation::Set(i, r#""NotOneOfThem""#.into()));
            }
            if let Some(max) = field.max {
                for c in ['x', 'é', '€', '😀'] {
                    cases.push(Mutation::Set(i, over(max, c, 0)));
                }
            }
            if field.nul || field.ty == Enum {
                cases.push(Mutation::Set(i, with_nul(template, field, 0)));
                cases.push(Mutation::Set(i, with_nul(template, field, usize::MAX)));
            }
        }
        if field.required {
            cases.push(Mutation::Remove(i));
            if !is_index(field.path) {
                let key = field.path.rsplit('.').next().unwrap();
                cases.push(Mutation::Rename(i, key.to_lowercase()));
                cases.push(Mutation::Rename(i, key.to_uppercase()));
            }
        }
        if !field.path.contains('.') {
            cases.push(Mutation::Duplicate(i));
        }
    }
    cases
}

/// The random part: random bytes, cuts, nesting, wrong-typed values of random content, long
/// strings and NULs of random shapes.
fn random_case(fields: &[Field]) -> BoxedStrategy<Mutation> {
    let random_bytes = prop::collection::vec(any::<u8>(), 0..256)
        .prop_filter("not JSON", |b| serde_json::from_slice::<Value>(b).is_err())
        .prop_map(Mutation::Body)
        .boxed();
    if fields.is_empty() {
        return random_bytes;
    }
    let fields: std::sync::Arc<[Field]> = fields.into();
    let n = fields.len();
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z\\PC]{0,8}".prop_map(Value::from),
    ];
    let json = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[A-Za-z_]{1,12}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    });
    let strings: Vec<usize> = (0..n)
        .filter(|&i| matches!(fields[i].ty, Str | Enum | Account) && fields[i].max.is_some())
        .collect();
    let nuls: Vec<usize> = (0..n)
        .filter(|&i| fields[i].nul || fields[i].ty == Enum)
        .collect();
    let numbers: Vec<usize> = (0..n)
        .filter(|&i| matches!(fields[i].ty, U64 | U32 | U8 | I64 | Int | Time))
        .collect();
    let mut options: Vec<BoxedStrategy<Mutation>> = vec![
        random_bytes,
        any::<usize>().prop_map(Mutation::Truncate).boxed(),
        (0..n, 129usize..3000)
            .prop_map(|(i, d)| Mutation::Set(i, nested(d)))
            .boxed(),
        (0..n, json)
            .prop_filter("a wrong type", {
                let fields = fields.clone();
                move |(i, v)| wrong_type(&fields[*i], v)
            })
            .prop_map(|(i, v)| Mutation::Set(i, v.to_string()))
            .boxed(),
    ];
    if !strings.is_empty() {
        options.push(
            (
                prop::sample::select(strings),
                prop::sample::select(vec!['x', 'é', '€', '😀', '"', '\\', '\n']),
                0usize..3000,
            )
                .prop_map({
                    let fields = fields.clone();
                    move |(i, c, extra)| Mutation::Set(i, over(fields[i].max.unwrap(), c, extra))
                })
                .boxed(),
        );
    }
    if !nuls.is_empty() {
        options.push(
            (prop::sample::select(nuls), "[a-z]{0,8}", "[a-z]{0,8}")
                .prop_map(|(i, a, b)| {
                    Mutation::Set(i, Value::from(format!("{a}\0{b}")).to_string())
                })
                .boxed(),
        );
    }
    if !numbers.is_empty() {
        options.push(
            (
                prop::sample::select(numbers),
                any::<bool>(),
                "[1-9][0-9]{20,80}",
            )
                .prop_map(|(i, minus, digits)| {
                    Mutation::Set(i, if minus { format!("-{digits}") } else { digits })
                })
                .boxed(),
        );
    }
    prop::strategy::Union::new(options).boxed()
}

/// Whether `v` is sure to be refused as the value of `field`: another JSON type than its own
/// (`null` only where the field is required or an account).
fn wrong_type(field: &Field, v: &Value) -> bool {
    match v {
        Value::Null => field.required || field.ty == Account,
        Value::Bool(_) => true,
        Value::Number(n) => match field.ty {
            U64 | U32 | U8 | I64 | Int => n.is_f64(),
            Time => n.as_i64().is_none_or(|t| t < 0),
            _ => true,
        },
        Value::String(s) => match field.ty {
            Str | Enum | Account => false,
            Time => !(s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<i64>().is_ok()),
            _ => true,
        },
        Value::Array(_) => !matches!(field.ty, Arr | MsgBody),
        Value::Object(_) => field.ty != Obj,
    }
}

/// Accounts `o`, `a`, `b`, `c`, `alice`, `bob`, `x`; groups `pub` (Public: `o` owns it, `a`
/// and `b` are members; three messages from `a`, the second recalled), `quiet` (Public, all
/// muted), `g` (Private), `room` (ChatRoom), `live` (AVChatRoom), `@TGS#_com` (Community);
/// three one-to-one messages from `a` to `b` ([`c2c_msg`]), imported a minute before `now`.
async fn fixture(admin: &Client, now: i64) {
    common::import_accounts(admin, &["o", "a", "b", "c", "alice", "bob", "x"]).await;
    let members = json!([{"Member_Account": "a"}, {"Member_Account": "b"}]);
    for (ty, id, mute_all) in [
        ("Public", "pub", "Off"),
        ("Public", "quiet", "On"),
        ("Private", "g", "Off"),
        ("ChatRoom", "room", "Off"),
        ("AVChatRoom", "live", "Off"),
        ("Community", "@TGS#_com", "Off"),
    ] {
        let mut body = json!({"Type": ty, "GroupId": id, "Name": id, "Owner_Account": "o",
            "MuteAllMember": mute_all});
        if ty != "AVChatRoom" {
            body["MemberList"] = members.clone();
        }
        admin
            .call_ok("group_open_http_svc/create_group", body)
            .await;
    }
    for i in 1..=3 {
        admin
            .call_ok(
                "group_open_http_svc/send_group_msg",
                json!({"GroupId": "pub", "From_Account": "a", "Random": i,
                    "MsgBody": text_body(&format!("m{i}"))}),
            )
            .await;
    }
    admin
        .call_ok(
            "group_open_http_svc/group_msg_recall",
            json!({"GroupId": "pub", "MsgSeqList": [{"MsgSeq": 2}]}),
        )
        .await;
    // Seq 4, with read receipts (groups-more.md §6).
    admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "pub", "From_Account": "a", "Random": 4, "NeedReadReceipt": 1,
                "MsgBody": text_body("m4")}),
        )
        .await;
    // A topic-enabled Community with one topic (million_group_open_http_svc).
    admin
        .call_ok(
            "group_open_http_svc/create_group",
            json!({"Type": "Community", "GroupId": TOPICS, "Name": "topics",
                "Owner_Account": "o", "SupportTopic": 1, "MemberList": members}),
        )
        .await;
    admin
        .call_ok(
            "million_group_open_http_svc/create_topic",
            json!({"GroupId": TOPICS, "TopicId": TOPIC, "TopicName": "t"}),
        )
        .await;
    // A message that may carry extensions (openim_msg_ext_http_svc): `g`'s seq 1.
    admin
        .call_ok(
            "group_open_http_svc/send_group_msg",
            json!({"GroupId": "g", "From_Account": "a", "Random": 1,
                "MsgBody": text_body("poll"), "SupportMessageExtension": 1}),
        )
        .await;
    for i in 1..=3 {
        let (seq, random, time) = c2c_msg(now, i);
        admin
            .call_ok(
                "openim/importmsg",
                json!({"SyncFromOldSystem": 1, "From_Account": "a", "To_Account": "b",
                    "MsgSeq": seq, "MsgRandom": random, "MsgTimeStamp": time,
                    "MsgBody": text_body(&format!("c{i}"))}),
            )
            .await;
    }
}

/// Random cases per command, beside the fixed ones.
const RANDOM_CASES: u32 = 100;

#[test]
fn malformed_bodies_are_refused_with_a_documented_code_and_change_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(check_templates());
    let server = rt.block_on(async {
        let server = TestServer::start_with(common::ServerOptions {
            config: "sweep_interval_secs = 0".into(),
            ..Default::default()
        })
        .await;
        server
    });
    let admin = server.client();
    let now = common::now();
    rt.block_on(fixture(&admin, now));
    let before = rt.block_on(server.stored_rows());
    assert!(before.len() > 20, "the fixture is stored: {before:#?}");
    let per_command = server.on_postgres();
    let started = Instant::now();
    let mut sent = 0;
    // A new seed each run (`TIMBER_TEST_SEED` repeats one); a failure names it.
    let seed: u64 = std::env::var("TIMBER_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(common::random_u64);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let specs = specs();
    let mut unspecified = Vec::new();
    for (service, command) in COMMANDS {
        let name = format!("{service}/{command}");
        // A command without a spec still gets every body no command can take.
        let (template, fields, codes, mut cases) = match specs.iter().find(|s| s.command == name) {
            Some(spec) => {
                let template = (spec.template)(now);
                let cases = fixed_cases(&template, &spec.fields);
                (template, spec.fields.clone(), spec.codes, cases)
            }
            None => {
                unspecified.push(name.clone());
                (json!({}), Vec::new(), &[][..], body_cases())
            }
        };
        let allowed: Vec<u64> = generic_codes(service)
            .iter()
            .chain(codes)
            .copied()
            .collect();
        let strategy = random_case(&fields);
        for _ in 0..RANDOM_CASES {
            cases.push(strategy.new_tree(&mut rng).unwrap().current());
        }
        for case in cases {
            let bytes = body(&template, &fields, &case);
            let what = format!(
                "{name} {case:?} (TIMBER_TEST_SEED={seed})\n  body: {}",
                short(&String::from_utf8_lossy(&bytes))
            );
            let reply = rt.block_on(admin.request(&name).body(bytes).send());
            let v = reply
                .try_envelope()
                .unwrap_or_else(|why| panic!("{what}\n  {why}"));
            let code = v["ErrorCode"].as_u64().unwrap();
            assert!(
                v["ActionStatus"] == "FAIL" && code != 0,
                "{what}\n  was accepted: {v}"
            );
            assert!(
                allowed.contains(&code),
                "{what}\n  answered {code}, not a code documented for it ({allowed:?}): {v}"
            );
            // On PostgreSQL reading every row costs a connection: once per command there.
            if !per_command {
                let after = rt.block_on(server.stored_rows());
                assert!(
                    after == before,
                    "{what}\n  changed the stored rows:\n{}",
                    diff(&before, &after)
                );
            }
            sent += 1;
        }
        let after = rt.block_on(server.stored_rows());
        assert!(
            after == before,
            "a malformed body to {name} (TIMBER_TEST_SEED={seed}) changed the stored rows:\n{}",
            diff(&before, &after)
        );
    }
    // Not malformed, but no threat either: an unknown field is ignored however deep it is
    // nested (serde_json skips it without recursing), here as deep as the body limit allows.
    let deep = format!(r#"{{"Unknown":{}}}"#, nested((1 << 20) / 2 - 8));
    let reply = rt.block_on(
        admin
            .request("group_open_http_svc/get_appid_group_list")
            .body(deep)
            .send(),
    );
    assert_eq!(reply.code(), 0, "{}", short(&reply.text));
    assert!(rt.block_on(server.stored_rows()) == before);
    if !unspecified.is_empty() {
        eprintln!(
            "NOTE: no spec in malformed.rs for {unspecified:?}: only whole bodies were sent \
             to them; a spec adds the cases of each field"
        );
    }
    eprintln!(
        "{sent} malformed bodies to {} commands in {:?}",
        COMMANDS.len(),
        started.elapsed()
    );
}
common::also_on_postgres!(malformed_bodies_are_refused_with_a_documented_code_and_change_nothing);

/// Every spec names a command of the dispatch table, and each template is a request the
/// server accepts (in this order, on the fixture), so that what refuses a mutation is the
/// mutation.
async fn check_templates() {
    let specs = specs();
    for spec in &specs {
        assert!(
            COMMANDS
                .iter()
                .any(|(s, c)| format!("{s}/{c}") == spec.command),
            "{} is not a command of the dispatch table",
            spec.command
        );
    }
    let server = TestServer::start_with(common::ServerOptions {
        config: "sweep_interval_secs = 0".into(),
        ..Default::default()
    })
    .await;
    let admin = server.client();
    let now = common::now();
    fixture(&admin, now).await;
    for spec in &specs {
        admin.call_ok(spec.command, (spec.template)(now)).await;
    }
    // Then, on this server whose state no longer matters, a NUL in every string field, also
    // where it is only looked up (an account no one can have, a group that cannot exist) and
    // so may be accepted: never an internal error (PostgreSQL cannot take a NUL at all).
    let mut wrong = Vec::new();
    for spec in &specs {
        let service = spec.command.split('/').next().unwrap();
        let template = (spec.template)(now);
        for (i, field) in spec.fields.iter().enumerate() {
            if !matches!(field.ty, Str | Enum | Account) {
                continue;
            }
            let m = Mutation::Set(i, with_nul(&template, field, 0));
            let bytes = body(&template, &spec.fields, &m);
            let what = format!("{} {m:?}", spec.command);
            let reply = admin.request(spec.command).body(bytes).send().await;
            let v = reply
                .try_envelope()
                .unwrap_or_else(|why| panic!("{what}\n  {why}"));
            let code = v["ErrorCode"].as_u64().unwrap();
            let documented = generic_codes(service).contains(&code) || spec.codes.contains(&code);
            if !(code == 0 || documented) {
                wrong.push(format!("{what}\n  answered {v}"));
            }
        }
    }
    // And as the caller: an identifier with a NUL is no admin (the UserSig is valid for it).
    for (service, command) in COMMANDS {
        let path = format!("{service}/{command}");
        let odd = server.client_for(0, "adm\0in");
        let reply = odd
            .request(&path)
            .param("identifier", "adm%00in")
            .body("{}")
            .send()
            .await;
        // (all_member_push documents its own 90009.)
        if ![60010, 10007, 90009].contains(&reply.code()) {
            wrong.push(format!("{path} as adm\\0in: {}", reply.text));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn diff(before: &[String], after: &[String]) -> String {
    let gone = before
        .iter()
        .filter(|r| !after.contains(r))
        .map(|r| format!("  - {r}"));
    let new = after
        .iter()
        .filter(|r| !before.contains(r))
        .map(|r| format!("  + {r}"));
    gone.chain(new).collect::<Vec<_>>().join("\n")
}

fn short(s: &str) -> String {
    if s.len() <= 300 {
        return s.to_owned();
    }
    let mut end = 300;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}
