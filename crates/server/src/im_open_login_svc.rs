//! `v4/im_open_login_svc/*`: accounts. spec: accounts.md §1–§5.

use crate::envelope::{opt_account, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::account::{validate_user_id, Profile, MAX_ACCOUNT_BATCH};
use timber_core::{Error, ErrorCode};
use timber_store::NewAccount;

/// `ResultInfo` the cloud gives for an account that does not exist (accounts.md §3).
const ACCOUNT_NOT_EXIST_INFO: &str = "Err_TLS_PT_Open_Login_Account_Not_Exist";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountImportReq {
    #[serde(rename = "UserID", default, deserialize_with = "opt_account")]
    user_id: Option<String>,
    /// Older pages and old client code name the field `Identifier`.
    #[serde(default, deserialize_with = "opt_account")]
    identifier: Option<String>,
    nick: Option<String>,
    face_url: Option<String>,
}

/// Checks one account to import: 70402 for a bad UserID, 40601 for a too-long profile value,
/// 70402 for one holding a NUL character.
fn new_account(
    user_id: String,
    nick: Option<String>,
    face_url: Option<String>,
) -> Result<NewAccount, Error> {
    validate_user_id(&user_id)
        .map_err(|why| Error::new(ErrorCode::AccountInvalidParameter, why))?;
    let profile = Profile { nick, face_url };
    profile.validate()?;
    Ok(NewAccount {
        user_id,
        nick: profile.nick,
        face_url: profile.face_url,
    })
}

fn check_batch(len: usize, field: &str) -> Result<(), Error> {
    if len > MAX_ACCOUNT_BATCH {
        return Err(Error::new(
            ErrorCode::BatchSizeInvalid,
            format!("{field} has {len} accounts; at most {MAX_ACCOUNT_BATCH} are allowed"),
        ));
    }
    Ok(())
}

/// spec: accounts.md §1
pub async fn account_import(ctx: &Ctx, req: AccountImportReq) -> Result<Empty, Failure> {
    let user_id = req
        .user_id
        .or(req.identifier)
        .ok_or_else(|| Error::new(ErrorCode::AccountInvalidParameter, "UserID is required"))?;
    let account = new_account(user_id, req.nick, req.face_url)?;
    let app = ctx.caller.app.sdkappid;
    ctx.store()
        .import_accounts(app, vec![account], ctx.now)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiImportReq {
    /// The old shape: plain UserIDs.
    #[serde(default, deserialize_with = "crate::envelope::opt_accounts")]
    accounts: Option<Vec<String>>,
    /// The new shape: UserIDs with profiles. Preferred when both are given.
    #[serde(default, deserialize_with = "crate::envelope::opt_objects")]
    account_list: Option<Vec<ListItem>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListItem {
    #[serde(rename = "UserID", deserialize_with = "crate::envelope::account")]
    user_id: String,
    nick: Option<String>,
    face_url: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiImportResp {
    fail_accounts: Vec<String>,
}

/// spec: accounts.md §2. Accounts that cannot be imported (bad UserID, too-long profile) are
/// listed in `FailAccounts`; the others are imported.
pub async fn multiaccount_import(
    ctx: &Ctx,
    req: MultiImportReq,
) -> Result<MultiImportResp, Failure> {
    let items: Vec<ListItem> = match (req.account_list, req.accounts) {
        (Some(list), _) => list,
        (None, Some(ids)) => ids
            .into_iter()
            .map(|user_id| ListItem {
                user_id,
                nick: None,
                face_url: None,
            })
            .collect(),
        (None, None) => {
            return Err(Error::new(
                ErrorCode::AccountInvalidParameter,
                "AccountList (or Accounts) is required",
            )
            .into())
        }
    };
    check_batch(items.len(), "AccountList")?;
    let mut fail_accounts = Vec::new();
    let mut accounts = Vec::with_capacity(items.len());
    for item in items {
        let id = item.user_id.clone();
        match new_account(item.user_id, item.nick, item.face_url) {
            Ok(a) => accounts.push(a),
            Err(_) => fail_accounts.push(id),
        }
    }
    if !accounts.is_empty() {
        let app = ctx.caller.app.sdkappid;
        ctx.store().import_accounts(app, accounts, ctx.now).await?;
    }
    Ok(MultiImportResp { fail_accounts })
}

#[derive(Deserialize)]
struct UserItem {
    #[serde(rename = "UserID", deserialize_with = "crate::envelope::account")]
    user_id: String,
}

#[derive(Deserialize)]
pub struct DeleteReq {
    #[serde(rename = "DeleteItem", deserialize_with = "crate::envelope::objects")]
    items: Vec<UserItem>,
}

#[derive(Serialize)]
struct DeleteResult {
    #[serde(rename = "ResultCode")]
    code: u32,
    #[serde(rename = "ResultInfo")]
    info: String,
    #[serde(rename = "UserID")]
    user_id: String,
}

#[derive(Serialize)]
pub struct DeleteResp {
    #[serde(rename = "ResultItem")]
    items: Vec<DeleteResult>,
}

/// spec: accounts.md §3. App admins cannot be deleted (per-item 70402, accounts.md §7).
pub async fn account_delete(ctx: &Ctx, req: DeleteReq) -> Result<DeleteResp, Failure> {
    check_batch(req.items.len(), "DeleteItem")?;
    let app = &ctx.caller.app;
    let deletable: Vec<String> = req
        .items
        .iter()
        .filter(|i| !app.is_admin(&i.user_id))
        .map(|i| i.user_id.clone())
        .collect();
    let existed = ctx.store().delete_accounts(app.sdkappid, deletable).await?;
    let mut existed = existed.into_iter();
    let items = req
        .items
        .into_iter()
        .map(|i| {
            let (code, info) = if app.is_admin(&i.user_id) {
                (
                    ErrorCode::AccountInvalidParameter.code(),
                    "an App admin account cannot be deleted".to_owned(),
                )
            } else if existed.next().unwrap_or(false) {
                (0, String::new())
            } else {
                (
                    ErrorCode::AccountNotFound.code(),
                    ACCOUNT_NOT_EXIST_INFO.to_owned(),
                )
            };
            DeleteResult {
                code,
                info,
                user_id: i.user_id,
            }
        })
        .collect();
    Ok(DeleteResp { items })
}

#[derive(Deserialize)]
pub struct CheckReq {
    #[serde(rename = "CheckItem", deserialize_with = "crate::envelope::objects")]
    items: Vec<UserItem>,
}

#[derive(Serialize)]
struct CheckResult {
    #[serde(rename = "UserID")]
    user_id: String,
    #[serde(rename = "ResultCode")]
    code: u32,
    #[serde(rename = "ResultInfo")]
    info: &'static str,
    #[serde(rename = "AccountStatus")]
    status: &'static str,
}

#[derive(Serialize)]
pub struct CheckResp {
    #[serde(rename = "ResultItem")]
    items: Vec<CheckResult>,
}

/// spec: accounts.md §4. A missing account is not an error: `AccountStatus` says so.
pub async fn account_check(ctx: &Ctx, req: CheckReq) -> Result<CheckResp, Failure> {
    check_batch(req.items.len(), "CheckItem")?;
    let ids: Vec<String> = req.items.into_iter().map(|i| i.user_id).collect();
    let exist = ctx
        .store()
        .accounts_exist(ctx.caller.app.sdkappid, ids.clone())
        .await?;
    let items = ids
        .into_iter()
        .zip(exist)
        .map(|(user_id, exists)| CheckResult {
            user_id,
            code: 0,
            info: "",
            status: if exists { "Imported" } else { "NotImported" },
        })
        .collect();
    Ok(CheckResp { items })
}

#[derive(Deserialize)]
pub struct KickReq {
    #[serde(rename = "UserID", deserialize_with = "crate::envelope::account")]
    user_id: String,
}

/// spec: accounts.md §5. Every UserSig issued to the user before now stops working (70052).
pub async fn kick(ctx: &Ctx, req: KickReq) -> Result<Empty, Failure> {
    let found = ctx
        .store()
        .kick(ctx.caller.app.sdkappid, req.user_id.clone(), ctx.now)
        .await?;
    if !found {
        return Err(Error::new(
            ErrorCode::AccountNotFound,
            format!("account {:?} does not exist", req.user_id),
        )
        .into());
    }
    Ok(Empty {})
}
