//! The REST envelope: services and their codes, parsing a body into a typed request, and the
//! `{"ActionStatus","ErrorInfo","ErrorCode", ...}` answer. spec: rest-protocol.md §4–§5.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use timber_core::text::{shortened, MAX_ERROR_INFO_BYTES};
use timber_core::{Error, ErrorCode};

/// The services timber speaks. Each has its own codes for the same kinds of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `im_open_login_svc`: accounts.
    Login,
    /// `group_open_http_svc`: groups and group messages.
    Group,
    /// `group_open_attr_http_svc`: get_group_attr (groups-more.md §3.2); the group family's
    /// codes.
    GroupAttr,
    /// `group_open_avchatroom_http_svc`: AVChatRoom online members, marks and admins
    /// (groups-more.md §7.2–§7.6); the group family's codes.
    AvChatRoom,
    /// `openim`: one-to-one messages, online status, modify_group_msg.
    OpenIm,
    /// `recentcontact`: conversation lists, conversation groups and marks.
    RecentContact,
    /// `profile`: user profiles (portrait_set, portrait_get).
    Profile,
    /// `sns`: friends, friend lists, blocklists (relationships.md).
    Sns,
    /// `follow`: the follow graph (relationships.md §17–§22).
    Follow,
    /// `million_group_open_http_svc`: Community topics (groups-more.md §8); the group
    /// family's codes.
    MillionGroup,
    /// `openim_msg_ext_http_svc`: message extensions (groups-more.md §9); openim's codes.
    MsgExt,
    /// `all_member_push`: push to all users, attributes and tags (push-and-operations.md §1).
    Push,
    /// `openconfigsvr`: global mutes, operations data (push-and-operations.md §2, §3.1).
    OpenConfig,
    /// `ConfigSvc`: the server IP list (push-and-operations.md §3.3).
    ConfigSvc,
    /// `openim_dirty_words`: the legacy dirty-word commands (push-and-operations.md §4.1),
    /// answered with the group family's 10002 / 10003 / 10004 / 10007.
    DirtyWords,
    /// `im_msg_audit`: on-demand moderation (push-and-operations.md §4.2).
    MsgAudit,
    /// `open_msg_svc`: the hourly message-record files (push-and-operations.md §3.2).
    MsgSvc,
    /// `im_cos_msg`: banned chat files and signed URLs (push-and-operations.md §4.4).
    CosMsg,
    /// `im_msg_audit_mgr`: keyword libraries (push-and-operations.md §4.3).
    MsgAuditMgr,
    /// `official_account_open_http_svc`: official accounts (push-and-operations.md §5):
    /// 20001 for a body that is not JSON, otherwise the group family's codes (§5.14).
    Official,
    /// `openim_robot_http_svc`: chatbots (push-and-operations.md §6): 10004 for any bad
    /// body (inferred), 10002 internal, the gateway's 60010 for a non-admin.
    Robot,
}

impl Service {
    pub fn parse(name: &str) -> Option<Service> {
        Some(match name {
            "im_open_login_svc" => Service::Login,
            "group_open_http_svc" => Service::Group,
            "group_open_attr_http_svc" => Service::GroupAttr,
            "group_open_avchatroom_http_svc" => Service::AvChatRoom,
            "openim" => Service::OpenIm,
            "recentcontact" => Service::RecentContact,
            "profile" => Service::Profile,
            "sns" => Service::Sns,
            "follow" => Service::Follow,
            "million_group_open_http_svc" => Service::MillionGroup,
            "openim_msg_ext_http_svc" => Service::MsgExt,
            "all_member_push" => Service::Push,
            "openconfigsvr" => Service::OpenConfig,
            "ConfigSvc" => Service::ConfigSvc,
            "openim_dirty_words" => Service::DirtyWords,
            "im_msg_audit" => Service::MsgAudit,
            "open_msg_svc" => Service::MsgSvc,
            "im_cos_msg" => Service::CosMsg,
            "im_msg_audit_mgr" => Service::MsgAuditMgr,
            "official_account_open_http_svc" => Service::Official,
            "openim_robot_http_svc" => Service::Robot,
            _ => return None,
        })
    }

    pub const fn name(self) -> &'static str {
        match self {
            Service::Login => "im_open_login_svc",
            Service::Group => "group_open_http_svc",
            Service::GroupAttr => "group_open_attr_http_svc",
            Service::AvChatRoom => "group_open_avchatroom_http_svc",
            Service::OpenIm => "openim",
            Service::RecentContact => "recentcontact",
            Service::Profile => "profile",
            Service::Sns => "sns",
            Service::Follow => "follow",
            Service::MillionGroup => "million_group_open_http_svc",
            Service::MsgExt => "openim_msg_ext_http_svc",
            Service::Push => "all_member_push",
            Service::OpenConfig => "openconfigsvr",
            Service::ConfigSvc => "ConfigSvc",
            Service::DirtyWords => "openim_dirty_words",
            Service::MsgAudit => "im_msg_audit",
            Service::MsgSvc => "open_msg_svc",
            Service::CosMsg => "im_cos_msg",
            Service::MsgAuditMgr => "im_msg_audit_mgr",
            Service::Official => "official_account_open_http_svc",
            Service::Robot => "openim_robot_http_svc",
        }
    }

    /// A field of a valid JSON document is missing or has the wrong type or value.
    pub const fn invalid_parameter(self) -> ErrorCode {
        match self {
            Service::Login => ErrorCode::AccountInvalidParameter,
            Service::Group | Service::GroupAttr | Service::AvChatRoom | Service::MillionGroup => {
                ErrorCode::GroupInvalidParameter
            }
            Service::OpenIm | Service::MsgExt => ErrorCode::OpenimJsonParse,
            Service::RecentContact => ErrorCode::ContactInvalidParameter,
            Service::Profile => ErrorCode::ProfileInvalidParameter,
            Service::Sns | Service::Follow => ErrorCode::SnsInvalidParameter,
            Service::Push => ErrorCode::OpenimJsonParse,
            Service::OpenConfig => ErrorCode::ConfigJsonParse,
            Service::ConfigSvc | Service::MsgAudit | Service::CosMsg | Service::MsgAuditMgr => {
                ErrorCode::JsonParse
            }
            // push-and-operations.md §8: a bad ChatType or MsgTime is 60002.
            Service::MsgSvc => ErrorCode::HttpParse,
            Service::DirtyWords | Service::Official | Service::Robot => {
                ErrorCode::GroupInvalidParameter
            }
        }
    }

    /// Something broke underneath; the caller may retry.
    pub const fn internal(self) -> ErrorCode {
        match self {
            Service::Login => ErrorCode::AccountInternal,
            Service::Group | Service::GroupAttr | Service::AvChatRoom | Service::MillionGroup => {
                ErrorCode::GroupInternal
            }
            Service::OpenIm | Service::MsgExt => ErrorCode::OpenimInternal,
            Service::RecentContact => ErrorCode::ContactInternal,
            Service::Profile => ErrorCode::ProfileInternal,
            Service::Sns | Service::Follow => ErrorCode::SnsInternal,
            Service::Push => ErrorCode::OpenimInternal,
            Service::OpenConfig => ErrorCode::ConfigInternal,
            // push-and-operations.md §0 (inferred).
            Service::ConfigSvc
            | Service::MsgAudit
            | Service::MsgSvc
            | Service::CosMsg
            | Service::MsgAuditMgr => ErrorCode::AccountInternal,
            Service::DirtyWords | Service::Official | Service::Robot => ErrorCode::GroupInternal,
        }
    }

    /// The command word is not one of this service's (the group service documents 10003).
    pub const fn unknown_command(self) -> ErrorCode {
        match self {
            Service::Group
            | Service::GroupAttr
            | Service::AvChatRoom
            | Service::MillionGroup
            | Service::DirtyWords
            | Service::Official => ErrorCode::GroupUnknownCommand,
            _ => ErrorCode::UnknownResource,
        }
    }

    /// The caller's `identifier` is not an app admin. The gateway code is 60010
    /// (rest-protocol.md §7), but the group service documents its own 10007 for "the operator
    /// must be the app admin" (groups.md §4), and group clients check for that.
    pub const fn admin_required(self) -> ErrorCode {
        match self {
            Service::Group
            | Service::GroupAttr
            | Service::AvChatRoom
            | Service::MillionGroup
            | Service::DirtyWords
            | Service::Official => ErrorCode::GroupPermissionDenied,
            Service::Push => ErrorCode::PushAdminRequired,
            _ => ErrorCode::AdminRequired,
        }
    }

    /// The group service refuses to answer with more than 1 MB (10018, "page the request",
    /// group-messages.md §14); the other services document no such limit.
    pub fn check_response_size(self, bytes: usize) -> Result<(), Error> {
        const GROUP_MAX_RESPONSE_BYTES: usize = 1 << 20;
        let group = matches!(
            self,
            Service::Group | Service::GroupAttr | Service::AvChatRoom | Service::MillionGroup
        );
        if group && bytes > GROUP_MAX_RESPONSE_BYTES {
            return Err(Error::new(
                ErrorCode::GroupResponseTooLarge,
                format!("the response would be {bytes} bytes, over 1 MB: page the request"),
            ));
        }
        Ok(())
    }

    /// The body is not JSON at all: 60003, except openim and all_member_push, which document
    /// 90001, and openconfigsvr, 130001.
    pub const fn not_json(self) -> ErrorCode {
        match self {
            Service::OpenIm | Service::MsgExt | Service::Push => ErrorCode::OpenimJsonParse,
            Service::OpenConfig => ErrorCode::ConfigJsonParse,
            // push-and-operations.md §0 (inferred).
            Service::DirtyWords | Service::Robot => ErrorCode::GroupInvalidParameter,
            Service::Official => ErrorCode::OfficialJsonParse,
            _ => ErrorCode::JsonParse,
        }
    }

    /// Whether answers carry `ErrorDisplay` (`""`): only services whose documented samples
    /// show it do (rest-protocol.md §5, inferred), on success and on failure alike.
    pub const fn shows_error_display(self) -> bool {
        matches!(
            self,
            Service::Profile | Service::Sns | Service::Follow | Service::RecentContact
        )
    }

    /// Shorthand for an invalid-parameter error with a reason.
    pub fn invalid(self, info: impl Into<String>) -> Error {
        Error::new(self.invalid_parameter(), info)
    }
}

std::thread_local! {
    /// The account field a deserializer refused for not being a string, while `parse` runs
    /// on this thread. serde's errors are opaque text; this keeps the 60015 case typed.
    static NOT_STRING: std::cell::Cell<Option<serde_json::Value>> =
        const { std::cell::Cell::new(None) };
}

/// Parses a request body into its typed request (unknown fields are ignored, DESIGN.md
/// invariant 6). Not JSON → 60003/90001; JSON of the wrong shape (also a body that is not a
/// JSON object: see [`Object`]) → the service's invalid-parameter code; an account given as
/// something other than a string → 60015.
pub fn parse<T: DeserializeOwned>(service: Service, body: &[u8]) -> Result<T, Error> {
    NOT_STRING.set(None);
    serde_json::from_slice::<Object<T>>(body)
        .map(|o| o.0)
        .map_err(|e| {
            use serde_json::error::Category;
            if let Some(got) = NOT_STRING.take() {
                return Error::new(
                    ErrorCode::AccountNotString,
                    format!(
                        "account field must be a string (got {got}) at {}",
                        position(&e)
                    ),
                );
            }
            // A body that is not an object is refused at its first byte, before the rest
            // is read: whether it is JSON at all (60003/90001) takes a look at the rest.
            let e = match e.classify() {
                Category::Data if body.trim_ascii_start().first() != Some(&b'{') => {
                    serde_json::from_slice::<serde::de::IgnoredAny>(body)
                        .err()
                        .unwrap_or(e)
                }
                _ => e,
            };
            match e.classify() {
                Category::Syntax | Category::Eof | Category::Io => Error::new(
                    service.not_json(),
                    format!("the request body is not valid JSON: {e}"),
                ),
                Category::Data => service.invalid(format!("invalid request body: {e}")),
            }
        })
}

/// A request, or an object inside one, that must be given as a JSON object. serde's derived
/// structs also take a JSON array, their fields by position: `["@TGS#2ABC"]` would be
/// destroy_group's `{"GroupId":"@TGS#2ABC"}` and `{"DeleteItem":[["x"]]}` would delete `x`.
/// Tencent's API knows no such form, and a client sending one has made a mistake that must
/// not act (found by the property test of malformed bodies, `tests/malformed.rs`). Every
/// request is parsed through this; every nested struct field of a request type goes through
/// [`object`], [`opt_object`], [`objects`] or [`opt_objects`].
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OnlyMap<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for OnlyMap<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(OnlyMap(std::marker::PhantomData))
            .map(Object)
    }
}

/// A nested object field (`deserialize_with`): see [`Object`].
pub fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Object::deserialize(d).map(|o| o.0)
}

/// Like [`object`] for optional fields (with `#[serde(default)]`).
pub fn opt_object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Option::<Object<T>>::deserialize(d).map(|o| o.map(|o| o.0))
}

/// Like [`object`] for arrays of objects.
pub fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Vec::<Object<T>>::deserialize(d).map(|v| v.into_iter().map(|o| o.0).collect())
}

/// Like [`objects`] for optional arrays (with `#[serde(default)]`).
pub fn opt_objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Option::<Vec<Object<T>>>::deserialize(d)
        .map(|v| v.map(|v| v.into_iter().map(|o| o.0).collect()))
}

fn position(e: &serde_json::Error) -> String {
    format!("line {} column {}", e.line(), e.column())
}

/// An account that is not a JSON string: noted for `parse`, which answers 60015.
fn not_a_string<E: serde::de::Error>(got: serde_json::Value) -> E {
    let e = E::custom(format_args!("an account must be a string, not {got}"));
    NOT_STRING.set(Some(got));
    e
}

/// Deserializes an account (UserID) field: a JSON string; a number is the documented 60015.
pub fn account<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match AccountValue::deserialize(d)? {
        AccountValue::Str(s) => Ok(s),
        AccountValue::Other(v) => Err(not_a_string(v)),
    }
}

/// Like [`account`] for optional fields.
pub fn opt_account<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    account(d).map(Some)
}

/// Like [`account`] for arrays of accounts.
pub fn accounts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let values = Vec::<AccountValue>::deserialize(d)?;
    values
        .into_iter()
        .map(|v| match v {
            AccountValue::Str(s) => Ok(s),
            AccountValue::Other(v) => Err(not_a_string(v)),
        })
        .collect()
}

/// Like [`accounts`] for optional arrays.
pub fn opt_accounts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    accounts(d).map(Some)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AccountValue {
    Str(String),
    Other(serde_json::Value),
}

/// A success with no fields beyond the envelope.
#[derive(Serialize)]
pub struct Empty {}

/// What a handler answers with: something that writes itself as one JSON object. Every
/// `Serialize` type is one; a response on a hot path may write its JSON by hand instead
/// (`history_page::GetSimpleResp`).
pub trait Reply {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error>;

    /// About how many bytes `write_json` writes, so that the answer's buffer is allocated
    /// once rather than grown while it is written.
    fn size_hint(&self) -> usize {
        256
    }
}

impl<T: Serialize> Reply for T {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        serde_json::to_writer(out, self)
    }
}

/// The answer of a successful call of `service`: the envelope followed by the response's
/// own fields, in the order the documentation's samples show.
pub fn ok_body<T: Reply>(service: Service, resp: &T) -> Result<Vec<u8>, serde_json::Error> {
    let envelope: &[u8] = if service.shows_error_display() {
        br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"ErrorDisplay":"""#
    } else {
        br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0"#
    };
    let mut out = Vec::with_capacity(envelope.len() + resp.size_hint());
    out.extend_from_slice(envelope);
    // The response is a JSON object written right after the envelope's members: its `{`
    // becomes the `,` that joins them, or an empty `{}` becomes the closing `}`.
    resp.write_json(&mut out)?;
    if out.len() == envelope.len() + 2 {
        out.truncate(envelope.len());
        out.push(b'}');
    } else {
        out[envelope.len()] = b',';
    }
    Ok(out)
}

/// The answer of a failed call: the three envelope fields only (rest-protocol.md §5), and
/// `ErrorDisplay` where the service shows it (`None`: no service was named).
/// `ErrorInfo` is cut to `MAX_ERROR_INFO_BYTES`, so a refusal never echoes a large request.
pub fn fail_body(service: Option<Service>, err: &Error) -> Vec<u8> {
    #[derive(Serialize)]
    struct Fail<'a> {
        #[serde(rename = "ActionStatus")]
        status: &'static str,
        #[serde(rename = "ErrorInfo")]
        info: &'a str,
        #[serde(rename = "ErrorCode")]
        code: u32,
        #[serde(rename = "ErrorDisplay", skip_serializing_if = "Option::is_none")]
        display: Option<&'static str>,
    }
    serde_json::to_vec(&Fail {
        status: "FAIL",
        info: &shortened(&err.info, MAX_ERROR_INFO_BYTES),
        code: err.code.code(),
        display: service.filter(|s| s.shows_error_display()).map(|_| ""),
    })
    .unwrap_or_else(|_| br#"{"ActionStatus":"FAIL","ErrorInfo":"","ErrorCode":60003}"#.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Req {
        #[serde(rename = "UserID", deserialize_with = "account")]
        _user: String,
    }

    #[test]
    fn parse_maps_errors_to_codes() {
        let code = |body: &[u8], s| parse::<Req>(s, body).unwrap_err().code;
        assert_eq!(code(b"", Service::Login), ErrorCode::JsonParse);
        assert_eq!(code(b"{", Service::Group), ErrorCode::JsonParse);
        assert_eq!(code(b"nope", Service::OpenIm), ErrorCode::OpenimJsonParse);
        assert_eq!(
            code(b"{}", Service::Login),
            ErrorCode::AccountInvalidParameter
        );
        assert_eq!(
            code(b"{}", Service::Group),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(
            code(br#"{"UserID":12}"#, Service::Login),
            ErrorCode::AccountNotString
        );
        assert!(parse::<Req>(Service::Login, br#"{"UserID":"a","Extra":1}"#).is_ok());
    }

    #[test]
    fn a_request_is_an_object_never_an_array() {
        #[derive(Deserialize, Debug)]
        struct Item {
            #[serde(rename = "UserID")]
            _user: String,
        }
        #[derive(Deserialize, Debug)]
        struct List {
            #[serde(rename = "Items", deserialize_with = "objects")]
            _items: Vec<Item>,
        }
        let code = |body: &[u8]| parse::<List>(Service::Group, body).unwrap_err().code;
        // serde's derived structs would take both, field by field.
        assert_eq!(
            code(br#"[[{"UserID":"a"}]]"#),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(
            code(br#"{"Items":[["a"]]}"#),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(code(b"[1"), ErrorCode::JsonParse);
        assert_eq!(code(b"[1] x"), ErrorCode::JsonParse);
        assert_eq!(code(b"7"), ErrorCode::GroupInvalidParameter);
        assert_eq!(code(b"null"), ErrorCode::GroupInvalidParameter);
        assert!(parse::<List>(Service::Group, br#" {"Items":[{"UserID":"a"}]} "#).is_ok());
        assert_eq!(
            parse::<Req>(Service::Login, br#"{"UserID":7}"#)
                .unwrap_err()
                .code,
            ErrorCode::AccountNotString
        );
    }

    #[test]
    fn admin_required_is_10007_only_for_groups() {
        assert_eq!(
            Service::Group.admin_required(),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(Service::Login.admin_required(), ErrorCode::AdminRequired);
        assert_eq!(Service::OpenIm.admin_required(), ErrorCode::AdminRequired);
    }

    #[test]
    fn fail_body_caps_error_info() {
        let e = Error::new(ErrorCode::GroupInvalidId, "x".repeat(1 << 20));
        let body: serde_json::Value = serde_json::from_slice(&fail_body(None, &e)).unwrap();
        let info = body["ErrorInfo"].as_str().unwrap();
        assert!(info.len() <= MAX_ERROR_INFO_BYTES && info.ends_with('…'));
        assert_eq!(body["ErrorCode"], 10015);
    }

    #[test]
    fn ok_body_splices_fields() {
        #[derive(Serialize)]
        struct R {
            #[serde(rename = "GroupId")]
            g: &'static str,
        }
        assert_eq!(
            ok_body(Service::Group, &R { g: "x" }).unwrap(),
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"GroupId":"x"}"#
        );
        assert_eq!(
            ok_body(Service::Login, &Empty {}).unwrap(),
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#
        );
        assert_eq!(
            ok_body(Service::Profile, &Empty {}).unwrap(),
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"ErrorDisplay":""}"#
        );
        assert_eq!(
            ok_body(Service::Profile, &R { g: "x" }).unwrap(),
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"ErrorDisplay":"","GroupId":"x"}"#
        );
        let e = Error::from(ErrorCode::ProfileTagNotFound);
        assert!(fail_body(Some(Service::Profile), &e).ends_with(br#","ErrorDisplay":""}"#));
        assert!(!String::from_utf8(fail_body(Some(Service::OpenIm), &e))
            .unwrap()
            .contains("ErrorDisplay"));
    }
}
