//! An AVChatRoom's admins, and whether a user is banned from a room now: what the member
//! protocol's joinGroup asks before a user enters. spec: groups-more.md §5.1, §7.4, §7.5.

use super::group_more::banned_among;
use super::rows::{accounts_exist, find_group, locked_group};
use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::group::{
    decide_admins, require_group, require_room_type, AdminCommand, AdminPlan, ROOM_ADMIN_TYPES,
};
use timber_core::AppId;

/// The room's admins, longest-standing first.
async fn admins_of(r: &mut impl ReadTx, app: AppId, gkey: i64) -> Result<Vec<String>, DbError> {
    let rows = r
        .query(
            "SELECT user_id FROM room_admins WHERE app = $1 AND gkey = $2 ORDER BY since, user_id",
            params![app, gkey],
        )
        .await?;
    Ok(rows.into_iter().map(|mut r| r.take_str(0)).collect())
}

/// get_admin_list: the admins of an AVChatRoom (10007 for another type, 10010 for none).
pub(crate) struct RoomAdmins {
    pub app: AppId,
    pub group_id: String,
}

impl ReadOp for RoomAdmins {
    type Out = Vec<String>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Vec<String>, StoreError> {
        let g = require_group(
            find_group(r, self.app, &self.group_id).await?,
            &self.group_id,
        )?;
        require_room_type(&g, &ROOM_ADMIN_TYPES)?;
        Ok(admins_of(r, self.app, g.key).await?)
    }
}

/// modify_admin: grants or revokes, under the room's lock so that two grants cannot pass the
/// limit of 5 together.
pub(crate) struct ModifyRoomAdmins {
    pub app: AppId,
    pub group_id: String,
    pub command: AdminCommand,
    pub accounts: Vec<String>,
    pub now: i64,
}

impl WriteOp for ModifyRoomAdmins {
    type Plan = (i64, AdminPlan);
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        require_room_type(&g, &ROOM_ADMIN_TYPES)?;
        let current = admins_of(r, self.app, g.key).await?;
        let exist = match self.command {
            AdminCommand::Grant => {
                let names: Vec<&str> = self.accounts.iter().map(String::as_str).collect();
                accounts_exist(r, self.app, &names).await?
            }
            AdminCommand::Revoke => Vec::new(),
        };
        let plan = decide_admins(&g, &current, self.command, &self.accounts, &exist)?;
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(&self, (gkey, plan): Self::Plan, w: &mut W) -> Result<(), DbError> {
        for a in &plan.add {
            w.execute(
                "INSERT INTO room_admins (app, gkey, user_id, since) VALUES ($1, $2, $3, $4)",
                params![self.app, gkey, a, self.now],
            )
            .await?;
        }
        for a in &plan.remove {
            w.execute(
                "DELETE FROM room_admins WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![self.app, gkey, a],
            )
            .await?;
        }
        Ok(())
    }
}

/// Whether `account` is banned from the group at `now` (false for a group that does not
/// exist: the caller reads the group itself).
pub(crate) struct BannedNow {
    pub app: AppId,
    pub group_id: String,
    pub account: String,
    pub now: i64,
}

impl ReadOp for BannedNow {
    type Out = bool;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<bool, StoreError> {
        let Some(g) = find_group(r, self.app, &self.group_id).await? else {
            return Ok(false);
        };
        let banned = banned_among(r, self.app, g.key, &[self.account.as_str()], self.now).await?;
        Ok(banned.first().copied().unwrap_or(false))
    }
}
