//! The dispatch table: (service, command) → handler. One list, from which both the route check
//! (unknown command → 60009 / 10003, before authentication) and the dispatch are generated.

use crate::all_member_push::{attrs as push_attrs, push};
use crate::envelope::{self, Reply, Service};
use crate::failure::Failure;
use crate::group_open_http_svc::{attrs, bans, broadcast, counters, named, receipts};
use crate::group_open_http_svc::{groups, members, messages, mutes};
use crate::sns::{blocks, follow, friends, lists};
use crate::{
    audit_mgr, configsvc, editions, group_open_avchatroom_http_svc as rooms, im_cos_msg,
    im_open_login_svc, million_group_open_http_svc as topics, moderation,
    official_account_open_http_svc as official, open_msg_svc, openconfigsvr, openim,
    openim_msg_ext, openim_robot_http_svc as robots, profile, recentcontact, Ctx,
};
use serde::de::DeserializeOwned;
use std::future::Future;
use timber_core::Error;

/// Parses the body into the handler's request type, runs it and builds the envelope; the
/// one place a handler's failure becomes the error the client sees.
async fn run<'a, Req, Resp, Fut>(
    ctx: &'a Ctx,
    body: &[u8],
    handler: fn(&'a Ctx, Req) -> Fut,
) -> Result<Vec<u8>, Error>
where
    Req: DeserializeOwned,
    Resp: Reply,
    Fut: Future<Output = Result<Resp, Failure>> + 'a,
{
    let answer = async {
        let req = envelope::parse(ctx.service, body)?;
        let resp = handler(ctx, req).await?;
        let bytes = envelope::ok_body(ctx.service, &resp)
            .map_err(|e| Failure::internal(format!("serializing a response failed: {e}")))?;
        ctx.service.check_response_size(bytes.len())?;
        Ok(bytes)
    };
    answer.await.map_err(|f: Failure| f.into_error(ctx.service))
}

macro_rules! commands {
    ($( $service:ident { $( $command:literal => $handler:path, )* } )*) => {
        /// Every (service, command) timber answers.
        pub const COMMANDS: &[(&str, &str)] = &[ $( $( (Service::$service.name(), $command), )* )* ];

        pub(crate) fn is_known(service: Service, command: &str) -> bool {
            match service {
                $( Service::$service => [$( $command ),*].contains(&command), )*
            }
        }

        pub(crate) async fn dispatch(ctx: &Ctx, command: &str, body: &[u8]) -> Result<Vec<u8>, Error> {
            if is_known(ctx.service, command) {
                editions::check_feature(&ctx.caller.app, ctx.service, command)?;
            }
            match (ctx.service, command) {
                $( $( (Service::$service, $command) => run(ctx, body, $handler).await, )* )*
                _ => Err(ctx.service.unknown_command().into()),
            }
        }
    };
}

commands! {
    Login {
        "account_import" => im_open_login_svc::account_import,
        "multiaccount_import" => im_open_login_svc::multiaccount_import,
        "account_delete" => im_open_login_svc::account_delete,
        "account_check" => im_open_login_svc::account_check,
        "kick" => im_open_login_svc::kick,
    }
    Group {
        "create_group" => groups::create_group,
        "destroy_group" => groups::destroy_group,
        "get_appid_group_list" => groups::get_appid_group_list,
        "get_group_info" => groups::get_group_info,
        "modify_group_base_info" => groups::modify_group_base_info,
        "import_group" => groups::import_group,
        "get_online_member_num" => groups::get_online_member_num,
        "add_group_member" => members::add_group_member,
        "delete_group_member" => members::delete_group_member,
        "get_group_member_info" => members::get_group_member_info,
        "modify_group_member_info" => members::modify_group_member_info,
        "get_joined_group_list" => members::get_joined_group_list,
        "get_role_in_group" => members::get_role_in_group,
        "change_group_owner" => members::change_group_owner,
        "import_group_member" => members::import_group_member,
        "forbid_send_msg" => mutes::forbid_send_msg,
        "get_group_muted_account" => mutes::get_group_muted_account,
        "get_group_shutted_uin" => mutes::get_group_shutted_uin,
        "send_group_msg" => messages::send_group_msg,
        "send_group_system_notification" => messages::send_group_system_notification,
        "group_msg_get_simple" => messages::group_msg_get_simple,
        "group_msg_recall" => messages::group_msg_recall,
        "delete_group_msg_by_sender" => messages::delete_group_msg_by_sender,
        "clear_group_msg" => messages::clear_group_msg,
        "import_group_msg" => messages::import_group_msg,
        "set_unread_msg_num" => messages::set_unread_msg_num,
        // groups-more.md §2–§5, §7.7.
        "get_specified_group_member_info" => named::get_specified_group_member_info,
        "modify_group_attr" => attrs::modify_group_attr,
        "set_group_attr" => attrs::set_group_attr,
        "delete_group_attr" => attrs::delete_group_attr,
        "clear_group_attr" => attrs::clear_group_attr,
        "get_group_counter" => counters::get_group_counter,
        "update_group_counter" => counters::update_group_counter,
        "delete_group_counter" => counters::delete_group_counter,
        "ban_group_member" => bans::ban_group_member,
        "unban_group_member" => bans::unban_group_member,
        "get_group_ban_member" => bans::get_group_ban_member,
        "send_broadcast_msg" => broadcast::send_broadcast_msg,
        "get_group_msg_receipt" => receipts::get_group_msg_receipt,
        "get_group_msg_receipt_detail" => receipts::get_group_msg_receipt_detail,
        // Not documented by Tencent (groups-more.md §6.4): the only REST way to mark reads.
        "group_msg_receipt" => receipts::group_msg_receipt,
        "import_topic" => topics::import_topic,
    }
    GroupAttr {
        "get_group_attr" => attrs::get_group_attr,
    }
    AvChatRoom {
        "get_members" => rooms::get_members,
        "modify_user_info" => rooms::modify_user_info,
        "modify_admin" => rooms::modify_admin,
        "get_admin_list" => rooms::get_admin_list,
        "check_members" => rooms::check_members,
    }
    OpenIm {
        "modify_group_msg" => openim::group_messages::modify_group_msg,
        "sendmsg" => openim::send::sendmsg,
        "batchsendmsg" => openim::send::batchsendmsg,
        "importmsg" => openim::send::importmsg,
        "admin_getroammsg" => openim::roam::admin_getroammsg,
        "admin_msgwithdraw" => openim::edits::admin_msgwithdraw,
        "modify_c2c_msg" => openim::edits::modify_c2c_msg,
        "delete_c2c_msg_ramble" => openim::edits::delete_c2c_msg_ramble,
        "admin_set_msg_read" => openim::read::admin_set_msg_read,
        "get_c2c_unread_msg_num" => openim::read::get_c2c_unread_msg_num,
        "query_online_status" => openim::online::query_online_status,
        "querystate" => openim::online::query_online_status,
    }
    RecentContact {
        "get_list" => recentcontact::get_list,
        "delete" => recentcontact::delete,
        "top" => recentcontact::top,
        "create_contact_group" => recentcontact::create_contact_group,
        "del_contact_group" => recentcontact::del_contact_group,
        "update_contact_group" => recentcontact::update_contact_group,
        "search_contact_group" => recentcontact::search_contact_group,
        "get_contact_group" => recentcontact::get_contact_group,
        "mark_contact" => recentcontact::mark_contact,
    }
    Profile {
        "portrait_set" => profile::portrait_set,
        "portrait_get" => profile::portrait_get,
    }
    Sns {
        "friend_add" => friends::friend_add,
        "friend_import" => friends::friend_import,
        "friend_update" => friends::friend_update,
        "friend_delete" => friends::friend_delete,
        "friend_delete_all" => friends::friend_delete_all,
        "friend_check" => friends::friend_check,
        "friend_get" => friends::friend_get,
        "friend_get_list" => friends::friend_get_list,
        "friend_get_all" => friends::friend_get_all,
        "black_list_add" => blocks::black_list_add,
        "black_list_delete" => blocks::black_list_delete,
        "black_list_get" => blocks::black_list_get,
        "black_list_check" => blocks::black_list_check,
        "group_add" => lists::group_add,
        "group_delete" => lists::group_delete,
        "group_get" => lists::group_get,
    }
    Follow {
        "follow_add" => follow::follow_add,
        "follow_delete" => follow::follow_delete,
        "follow_check" => follow::follow_check,
        "follow_get" => follow::follow_get,
        "follow_get_info" => follow::follow_get_info,
    }
    MillionGroup {
        "create_topic" => topics::create_topic,
        "get_topic" => topics::get_topic,
        "modify_topic" => topics::modify_topic,
        "destroy_topic" => topics::destroy_topic,
    }
    MsgExt {
        "group_get_key_values" => openim_msg_ext::group_get_key_values,
        "group_set_key_values" => openim_msg_ext::group_set_key_values,
        "get_key_values" => openim_msg_ext::get_key_values,
        "set_key_values" => openim_msg_ext::set_key_values,
    }
    Push {
        "im_push" => push::im_push,
        "im_set_attr_name" => push_attrs::im_set_attr_name,
        "im_get_attr_name" => push_attrs::im_get_attr_name,
        "im_get_attr" => push_attrs::im_get_attr,
        "im_set_attr" => push_attrs::im_set_attr,
        "im_remove_attr" => push_attrs::im_remove_attr,
        "im_get_tag" => push_attrs::im_get_tag,
        "im_add_tag" => push_attrs::im_add_tag,
        "im_remove_tag" => push_attrs::im_remove_tag,
        "im_remove_all_tags" => push_attrs::im_remove_all_tags,
    }
    OpenConfig {
        "setnospeaking" => openconfigsvr::setnospeaking,
        "getnospeaking" => openconfigsvr::getnospeaking,
        "getappinfo" => openconfigsvr::getappinfo,
    }
    ConfigSvc {
        "GetIPList" => configsvc::get_ip_list,
    }
    DirtyWords {
        "get" => moderation::get,
        "add" => moderation::add,
        "delete" => moderation::delete,
    }
    MsgAuditMgr {
        "get_local_audit_keywords" => audit_mgr::get_local_audit_keywords,
        "add_local_audit_keywords" => audit_mgr::add_local_audit_keywords,
        "delete_local_audit_keywords" => audit_mgr::delete_local_audit_keywords,
        "get_cloud_audit_keywords_ids" => audit_mgr::get_cloud_audit_keywords_ids,
        "get_cloud_audit_keywords" => audit_mgr::get_cloud_audit_keywords,
        "add_cloud_audit_keywords" => audit_mgr::add_cloud_audit_keywords,
        "delete_cloud_audit_keywords" => audit_mgr::delete_cloud_audit_keywords,
    }
    CosMsg {
        "forbid_illegal_object" => im_cos_msg::forbid_illegal_object,
        "allow_banned_object" => im_cos_msg::allow_banned_object,
        "get_cos_sig" => im_cos_msg::get_cos_sig,
    }
    MsgSvc {
        "get_history" => open_msg_svc::get_history,
    }
    MsgAudit {
        "content_moderation" => moderation::content_moderation,
        "batch_content_moderation" => moderation::batch_content_moderation,
    }
    Official {
        "create_official_account" => official::create_official_account,
        "destroy_official_account" => official::destroy_official_account,
        "modify_official_account_base_info" => official::modify_official_account_base_info,
        "get_official_account_info" => official::get_official_account_info,
        "get_subscriber_info" => official::get_subscriber_info,
        "add_subscriber" => official::add_subscriber,
        "delete_subscriber" => official::delete_subscriber,
        "modify_subscriber_info" => official::modify_subscriber_info,
        "get_subscribed_official_account_list" => official::get_subscribed_official_account_list,
        "send_official_account_msg" => official::send_official_account_msg,
        "official_account_msg_recall" => official::official_account_msg_recall,
        "official_account_msg_get_simple" => official::official_account_msg_get_simple,
    }
    Robot {
        "create_robot" => robots::create_robot,
        "delete_robot" => robots::delete_robot,
        "get_all_robots" => robots::get_all_robots,
        "send_stream_msg" => robots::send_stream_msg,
    }
}
