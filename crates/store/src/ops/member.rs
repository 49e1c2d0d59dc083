//! The member side's own operations (members.md §3): the member's view of a group's history
//! with their own clear mark, and "clear for me" in groups and one-to-one conversations.
//! Everything else a member does runs the REST API's operations.

use super::rows::{find_group, find_member, locked_group, read_range};
use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::c2c::{Pair, Side};
use timber_core::callback::{self as cb, Event};
use timber_core::group::require_group;
use timber_core::member::{decide_own_c2c_clear, decide_own_clear, own_view, Change, ChangeSink};
use timber_core::message::{MemberPage, Retention};
use timber_core::AppId;

async fn own_clear_seq(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
    member: &str,
) -> Result<u64, DbError> {
    Ok(r.query_opt(
        "SELECT member_clear_seq FROM group_members WHERE app = $1 AND gkey = $2 AND user_id = $3",
        params![app, gkey, member],
    )
    .await?
    .map(|row| row.u64(0))
    .unwrap_or(0))
}

/// One page of the member's view, and the member's own clear mark.
pub(crate) struct OwnHistory {
    pub app: AppId,
    pub group_id: String,
    pub member: String,
    pub req_seq: Option<u64>,
    pub limit: u64,
    pub retention: Retention,
}

impl ReadOp for OwnHistory {
    type Out = (MemberPage, u64);

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let g = find_group(r, self.app, &self.group_id).await?;
        let g = require_group(g, &self.group_id)?;
        let m = find_member(r, self.app, g.key, &self.member).await?;
        let mark = own_clear_seq(r, self.app, g.key, &self.member).await?;
        let view = own_view(&g, &self.member, m.as_ref(), mark, self.retention)?;
        let empty = MemberPage {
            entries: Vec::new(),
            next_seq: None,
        };
        let Some(range) = view.plan(self.req_seq, self.limit, g.last_seq()) else {
            return Ok((empty, mark));
        };
        let rows = read_range(r, self.app, g.key, range.lo, range.hi).await?;
        Ok((view.page(range, rows), mark))
    }
}

/// The member's own clear marks of the groups named (0 for none), in order.
pub(crate) struct OwnClearMarks {
    pub app: AppId,
    pub member: String,
    pub group_ids: Vec<String>,
}

impl ReadOp for OwnClearMarks {
    type Out = Vec<u64>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let mut out = Vec::with_capacity(self.group_ids.len());
        for id in &self.group_ids {
            let row = r
                .query_opt(
                    "SELECT m.member_clear_seq FROM group_members m JOIN groups g \
                     ON g.app = m.app AND g.gkey = m.gkey \
                     WHERE g.app = $1 AND g.group_id = $2 AND m.user_id = $3",
                    params![self.app, id, &self.member],
                )
                .await?;
            out.push(row.map(|row| row.u64(0)).unwrap_or(0));
        }
        Ok(out)
    }
}

/// clearGroupHistoryMessage: the member's clear mark moves to the newest seq.
pub(crate) struct ClearGroupForMember {
    pub app: AppId,
    pub group_id: String,
    pub member: String,
}

impl WriteOp for ClearGroupForMember {
    type Plan = (i64, u64, Option<u64>);
    /// The mark after the write.
    type Out = u64;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let m = find_member(r, self.app, g.key, &self.member).await?;
        let current = own_clear_seq(r, self.app, g.key, &self.member).await?;
        let new = decide_own_clear(&g, &self.member, m.as_ref(), current)?;
        Ok((g.key, current, new))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, current, new): Self::Plan,
        w: &mut W,
    ) -> Result<u64, DbError> {
        let Some(new) = new else {
            return Ok(current);
        };
        w.execute(
            "UPDATE group_members SET member_clear_seq = $4 WHERE app = $1 AND gkey = $2 AND user_id = $3",
            params![self.app, gkey, &self.member, new],
        )
        .await?;
        Ok(new)
    }

    fn changes(&self, out: &u64, sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        super::one_change(self.app, sink, || Change::MemberClearedGroup {
            group_id: self.group_id.clone(),
            member: self.member.clone(),
            upto: *out,
        })
    }
}

/// clearC2CHistoryMessage: the member's side of the conversation is cleared up to `now`.
pub(crate) struct ClearC2cForMember {
    pub app: AppId,
    pub member: String,
    pub peer: String,
    pub now: i64,
}

impl WriteOp for ClearC2cForMember {
    type Plan = Option<i64>;
    type Out = i64;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let pair = Pair::new(&self.member, &self.peer);
        let row = r
            .query_opt(
                &format!(
                    "SELECT g.lo_cleared_time, g.hi_cleared_time FROM c2c_conversations g \
                     WHERE g.app = $1 AND g.user_lo = $2 AND g.user_hi = $3{}",
                    r.for_update()
                ),
                params![self.app, &pair.lo, &pair.hi],
            )
            .await?;
        // No conversation: nothing to clear.
        let Some(row) = row else { return Ok(None) };
        let current = row.i64(if pair.side(&self.member) == Side::Lo {
            0
        } else {
            1
        });
        Ok(decide_own_c2c_clear(current, self.now))
    }

    async fn apply<W: WriteTx>(&self, plan: Option<i64>, w: &mut W) -> Result<i64, DbError> {
        let Some(at) = plan else { return Ok(0) };
        let pair = Pair::new(&self.member, &self.peer);
        let column = if pair.side(&self.member) == Side::Lo {
            "lo_cleared_time"
        } else {
            "hi_cleared_time"
        };
        w.execute(
            &format!(
                "UPDATE c2c_conversations SET {column} = $4 WHERE app = $1 AND user_lo = $2 AND user_hi = $3"
            ),
            params![self.app, &pair.lo, &pair.hi, at],
        )
        .await?;
        Ok(at)
    }

    fn changes(&self, out: &i64, sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        (*out > 0 && sink.wants(self.app)).then(|| {
            let change = Change::MemberClearedC2c {
                member: self.member.clone(),
                peer: self.peer.clone(),
                upto_time: *out,
            };
            (self.app, vec![change])
        })
    }
}

/// A callback event with no change behind it, recorded in the outbox like every after-event:
/// State.StateChange when a member connection comes up or goes down (callbacks.md §6.1),
/// Group.CallbackOnMemberStateChange when AVChatRoom members come into a room or leave it
/// (§6.3). It writes nothing else.
pub(crate) struct EventOnly {
    pub app: AppId,
    /// `[event.command]`, as `WriteOp::callbacks` names what the op may record.
    pub commands: &'static [&'static str],
    pub event: Event,
}

impl EventOnly {
    /// State.StateChange: `action` `Login`, `Logout` or `Disconnect`; `reason` `Register`,
    /// `Unregister`, `LinkClose` or `TimeOut`; `platform` as the callback spells it (`IOS`).
    pub fn state_change(
        app: AppId,
        user: &str,
        action: &str,
        reason: &str,
        platform: &str,
    ) -> Self {
        EventOnly {
            app,
            commands: &[cb::STATE_CHANGE],
            event: Event::new(
                cb::STATE_CHANGE,
                cb::user_ordering(user),
                serde_json::json!({
                    "Info": {"Action": action, "To_Account": user, "Reason": reason},
                    "OptPlatform": platform,
                }),
            ),
        }
    }

    /// Group.CallbackOnMemberStateChange for `members` of the AVChatRoom `group_id`.
    pub fn room_state_change(app: AppId, group_id: &str, online: bool, members: &[String]) -> Self {
        EventOnly {
            app,
            commands: &[cb::GROUP_ON_MEMBER_STATE_CHANGE],
            event: Event::new(
                cb::GROUP_ON_MEMBER_STATE_CHANGE,
                cb::group_ordering(group_id),
                serde_json::json!({
                    "GroupId": group_id,
                    "Type": "AVChatRoom",
                    "EventType": if online { "Online" } else { "Offline" },
                    "MemberList": cb::member_list(members.iter().map(String::as_str)),
                }),
            ),
        }
    }
}

impl WriteOp for EventOnly {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), _: &mut W) -> Result<(), DbError> {
        Ok(())
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, self.commands))
    }

    async fn events<W: WriteTx>(
        &self,
        (): &(),
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        Ok(vec![self.event.clone()])
    }
}

/// A change for members with nothing stored behind it (send_group_system_notification, an
/// AVChatRoom ban's drops): written as a transaction of its own only so that it travels the
/// way every change does, in commit order and, on PostgreSQL, through the change log to
/// every node.
pub(crate) struct ChangeOnly {
    pub app: AppId,
    pub change: Change,
}

impl WriteOp for ChangeOnly {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), _: &mut W) -> Result<(), DbError> {
        Ok(())
    }

    fn changes(&self, (): &(), sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        super::one_change(self.app, sink, || self.change.clone())
    }
}
