//! `v4/openconfigsvr/*`: global mutes (setnospeaking, getnospeaking) and the operations data
//! (getappinfo). spec: push-and-operations.md §2, §3.1. The fields arrive as JSON values so that each wrong one gets the
//! code its page documents (130004–130008, 130002–130003) rather than the generic 130001.
//! A global group mute is enforced by send_group_msg's store read (10017); REST `sendmsg`
//! and `batchsendmsg` ignore the C2C mute, as the sendmsg page says.

use crate::envelope::Empty;
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use timber_core::account::validate_user_id;
use timber_core::nospeaking::{remaining, SetMute, PERMANENT_SECS};
use timber_core::{Error, ErrorCode};

#[derive(Deserialize)]
pub struct SetNoSpeakingReq {
    #[serde(rename = "Set_Account", default)]
    account: Option<Value>,
    #[serde(rename = "C2CmsgNospeakingTime", default)]
    c2c: Option<Value>,
    #[serde(rename = "GroupmsgNospeakingTime", default)]
    group: Option<Value>,
}

/// An account field: `missing` when absent or null, `invalid` when not a valid UserID string.
fn account(
    v: Option<Value>,
    field: &str,
    missing: ErrorCode,
    invalid: ErrorCode,
) -> Result<String, Error> {
    match v {
        None => Err(Error::new(missing, format!("{field} is required"))),
        Some(Value::String(s)) => {
            validate_user_id(&s).map_err(|e| Error::new(invalid, format!("{field}: {e}")))?;
            Ok(s)
        }
        Some(other) => Err(Error::new(
            invalid,
            format!("{field} must be a string, got {other}"),
        )),
    }
}

/// A mute in seconds, 0 … 4 294 967 295 (`code` otherwise).
fn seconds(v: Option<Value>, field: &str, code: ErrorCode) -> Result<Option<u64>, Error> {
    match v {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n <= PERMANENT_SECS => Ok(Some(n)),
            _ => Err(Error::new(
                code,
                format!("{field} must be 0 to {PERMANENT_SECS} seconds, got {v}"),
            )),
        },
    }
}

/// spec: push-and-operations.md §2.2.
pub async fn setnospeaking(ctx: &Ctx, req: SetNoSpeakingReq) -> Result<Empty, Failure> {
    let user = account(
        req.account,
        "Set_Account",
        ErrorCode::SetAccountMissing,
        ErrorCode::SetAccountInvalid,
    )?;
    if req.c2c.is_none() && req.group.is_none() {
        return Err(ErrorCode::NoSpeakingNoField.into());
    }
    let set = SetMute {
        c2c: seconds(
            req.c2c,
            "C2CmsgNospeakingTime",
            ErrorCode::C2cNoSpeakingInvalid,
        )?,
        group: seconds(
            req.group,
            "GroupmsgNospeakingTime",
            ErrorCode::GroupNoSpeakingInvalid,
        )?,
    };
    ctx.store()
        .set_no_speaking(ctx.caller.app.sdkappid, user, set, ctx.now)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
pub struct GetNoSpeakingReq {
    #[serde(rename = "Get_Account", default)]
    account: Option<Value>,
}

#[derive(Serialize)]
pub struct GetNoSpeakingResp {
    #[serde(rename = "C2CmsgNospeakingTime")]
    c2c: u64,
    #[serde(rename = "GroupmsgNospeakingTime")]
    group: u64,
}

/// spec: push-and-operations.md §2.3: the seconds left of each mute.
pub async fn getnospeaking(ctx: &Ctx, req: GetNoSpeakingReq) -> Result<GetNoSpeakingResp, Failure> {
    let user = account(
        req.account,
        "Get_Account",
        ErrorCode::GetAccountMissing,
        ErrorCode::GetAccountInvalid,
    )?;
    let ends = ctx
        .store()
        .get_no_speaking(ctx.caller.app.sdkappid, user)
        .await?;
    Ok(GetNoSpeakingResp {
        c2c: remaining(ctx.now, ends.c2c),
        group: remaining(ctx.now, ends.group),
    })
}

#[derive(Deserialize)]
pub struct GetAppInfoReq {
    #[serde(rename = "RequestField", default)]
    fields: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct GetAppInfoResp {
    #[serde(rename = "Result")]
    result: Vec<serde_json::Map<String, Value>>,
}

/// spec: push-and-operations.md §3.1: a record per Beijing day from the app's first (at
/// most 30), newest first, every value a string; `Date` always. The counts come from what
/// is stored (`timber_core::appinfo`); a failure to read them is 130011.
pub async fn getappinfo(ctx: &Ctx, req: GetAppInfoReq) -> Result<GetAppInfoResp, Failure> {
    use timber_core::appinfo::{day_of, records, MAX_DAYS};
    let app = &ctx.caller.app;
    let first_day = day_of(ctx.now) - MAX_DAYS + 1;
    let counts = ctx
        .store()
        .app_counts(app.sdkappid, first_day)
        .await
        .map_err(|e| match e {
            timber_store::StoreError::Domain(e) => Failure::Refused(e),
            timber_store::StoreError::Db(e) => {
                tracing::error!(cause = %e, "reading the operations data failed");
                Failure::Refused(ErrorCode::AppInfoQuery.into())
            }
        })?;
    let requested = req.fields.unwrap_or_default();
    Ok(GetAppInfoResp {
        result: records(&counts, &requested, app.sdkappid, "timber", "", ctx.now),
    })
}
