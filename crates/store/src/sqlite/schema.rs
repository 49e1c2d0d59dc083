//! SQLite schema migrations, applied in order and recorded in `PRAGMA user_version`.
//!
//! Every key starts with the SDKAppID (`app`), DESIGN.md invariant 1. Groups have an internal
//! key `gkey` that is never reused (AUTOINCREMENT): members and messages hang off it, so a
//! destroyed group's rows can be purged in the background while its custom GroupId is reused.

use crate::{Result, StoreError};
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: accounts, groups, members, mutes, messages.
    "
    CREATE TABLE accounts (
        app             INTEGER NOT NULL,
        user_id         TEXT    NOT NULL,
        nick            TEXT,
        face_url        TEXT,
        created_at      INTEGER NOT NULL,
        revoked_before  INTEGER,
        PRIMARY KEY (app, user_id)
    ) WITHOUT ROWID;

    CREATE TABLE groups (
        gkey                INTEGER PRIMARY KEY AUTOINCREMENT,
        app                 INTEGER NOT NULL,
        group_id            TEXT    NOT NULL,
        type                TEXT    NOT NULL,
        name                TEXT    NOT NULL,
        introduction        TEXT    NOT NULL DEFAULT '',
        notification        TEXT    NOT NULL DEFAULT '',
        face_url            TEXT    NOT NULL DEFAULT '',
        owner               TEXT    NOT NULL DEFAULT '',
        create_time         INTEGER NOT NULL,
        info_seq            INTEGER NOT NULL DEFAULT 1,
        last_info_time      INTEGER NOT NULL,
        last_msg_time       INTEGER NOT NULL DEFAULT 0,
        next_msg_seq        INTEGER NOT NULL DEFAULT 1,
        member_num          INTEGER NOT NULL DEFAULT 0,
        max_member_num      INTEGER NOT NULL,
        apply_join_option   TEXT    NOT NULL,
        invite_join_option  TEXT,
        mute_all            INTEGER NOT NULL DEFAULT 0,
        history_before_join INTEGER,
        support_topic       INTEGER NOT NULL DEFAULT 0,
        app_defined_data    TEXT    NOT NULL DEFAULT '[]',
        cleared_upto        INTEGER NOT NULL DEFAULT 0,
        read_floor          INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX groups_by_id ON groups (app, group_id);
    CREATE INDEX groups_by_type ON groups (app, type, gkey);

    CREATE TABLE group_members (
        app                      INTEGER NOT NULL,
        gkey                     INTEGER NOT NULL,
        user_id                  TEXT    NOT NULL,
        role                     INTEGER NOT NULL,
        join_time                INTEGER NOT NULL,
        join_seq                 INTEGER NOT NULL,
        read_seq                 INTEGER NOT NULL DEFAULT 0,
        msg_flag                 TEXT    NOT NULL,
        last_send_time           INTEGER NOT NULL DEFAULT 0,
        name_card                TEXT    NOT NULL DEFAULT '',
        app_member_defined_data  TEXT    NOT NULL DEFAULT '[]',
        PRIMARY KEY (app, gkey, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX group_members_by_user ON group_members (app, user_id, gkey);

    CREATE TABLE group_mutes (
        app         INTEGER NOT NULL,
        gkey        INTEGER NOT NULL,
        user_id     TEXT    NOT NULL,
        mute_until  INTEGER NOT NULL,
        PRIMARY KEY (app, gkey, user_id)
    ) WITHOUT ROWID;

    CREATE TABLE group_messages (
        app                INTEGER NOT NULL,
        gkey               INTEGER NOT NULL,
        seq                INTEGER NOT NULL,
        sender             TEXT    NOT NULL,
        random             INTEGER NOT NULL,
        time               INTEGER NOT NULL,
        priority           INTEGER NOT NULL,
        state              INTEGER NOT NULL,
        is_system          INTEGER NOT NULL,
        body               TEXT    NOT NULL,
        cloud_custom_data  TEXT,
        to_accounts        TEXT,
        PRIMARY KEY (app, gkey, seq)
    ) WITHOUT ROWID;
    CREATE INDEX group_messages_by_random ON group_messages (app, gkey, random);

    -- Destroyed groups whose members and messages the background sweeper still has to delete.
    CREATE TABLE purge_queue (
        gkey       INTEGER PRIMARY KEY,
        app        INTEGER NOT NULL,
        queued_at  INTEGER NOT NULL
    );

    -- Small persistent state of background tasks (e.g. the retention sweeper's cursor).
    CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  INTEGER NOT NULL
    );
    ",
    // 2: set_unread_msg_num records the import floor it saw, so that a later explicit unread
    // count wins over an earlier import_group_msg (timber_core::message::effective_read_seq).
    "
    ALTER TABLE group_members ADD COLUMN read_floor_seen INTEGER NOT NULL DEFAULT 0;
    ",
    // 3: the duplicate-window index covers `time`. Without it SQLite judged the extra table
    // lookup too dear and scanned the group's whole history on every send.
    "
    DROP INDEX group_messages_by_random;
    CREATE INDEX group_messages_by_random ON group_messages (app, gkey, random, time);
    ",
];

/// Brings the database to the newest schema; each step runs in its own transaction.
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > MIGRATIONS.len() {
        return Err(StoreError::internal(format!(
            "the database schema (version {current}) is newer than this timber (version {})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
