//! get_history's records: every stored message of one chat type sent in an hour. spec:
//! push-and-operations.md §3.2, §8.

use super::ReadOp;
use crate::sql::{params, ReadTx};
use crate::StoreError;
use timber_core::msglog::LogMsg;
use timber_core::AppId;

pub(crate) struct HourMessages {
    pub app: AppId,
    /// C2C (else group) messages.
    pub c2c: bool,
    pub from: i64,
    pub until: i64,
}

impl ReadOp for HourMessages {
    type Out = Vec<LogMsg>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Vec<LogMsg>, StoreError> {
        let p = params![self.app, self.from, self.until];
        if self.c2c {
            let rows = r
                .query(
                    "SELECT c.user_lo, c.user_hi, m.from_lo, m.seq, m.random, m.time, m.body,
                         m.cloud_custom_data
                     FROM c2c_messages m JOIN c2c_conversations c ON c.ckey = m.ckey
                     WHERE m.app = $1 AND m.time >= $2 AND m.time < $3
                     ORDER BY m.time, m.seq, m.random",
                    p,
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|mut row| {
                    let (lo, hi) = (row.take_str(0), row.take_str(1));
                    let (from, to) = if row.bool(2) { (lo, hi) } else { (hi, lo) };
                    LogMsg::C2c {
                        from,
                        to,
                        seq: row.u64(3),
                        random: row.u64(4) as u32,
                        time: row.i64(5),
                        body: row.take_str(6),
                        cloud_custom_data: row.take_opt_str(7),
                    }
                })
                .collect())
        } else {
            let rows = r
                .query(
                    "SELECT g.group_id, m.sender, m.seq, m.random, m.time, m.body, m.cloud_custom_data
                     FROM group_messages m JOIN groups g ON g.gkey = m.gkey
                     WHERE m.app = $1 AND m.time >= $2 AND m.time < $3
                     ORDER BY m.time, m.gkey, m.seq",
                    p,
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|mut row| LogMsg::Group {
                    group_id: row.take_str(0),
                    from: row.take_str(1),
                    seq: row.u64(2),
                    random: row.u64(3) as u32,
                    time: row.i64(4),
                    body: row.take_str(5),
                    cloud_custom_data: row.take_opt_str(6),
                })
                .collect())
        }
    }
}
