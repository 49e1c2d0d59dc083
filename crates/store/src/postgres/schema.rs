//! PostgreSQL schema migrations. The same tables as the SQLite store (see
//! `sqlite/schema.rs` for why they look this way), with PostgreSQL types. Applied under an
//! advisory lock so that nodes starting together migrate once, in order.

use crate::Result;
use deadpool_postgres::Object;
use tokio_postgres::error::SqlState;

const MIGRATIONS: &[&str] = &[
    // 1: accounts, groups, members, mutes, messages.
    "
    CREATE TABLE accounts (
        app             BIGINT NOT NULL,
        user_id         TEXT   NOT NULL,
        nick            TEXT,
        face_url        TEXT,
        created_at      BIGINT NOT NULL,
        revoked_before  BIGINT,
        PRIMARY KEY (app, user_id)
    );

    CREATE SEQUENCE group_keys;
    CREATE TABLE groups (
        gkey                BIGINT  PRIMARY KEY DEFAULT nextval('group_keys'),
        app                 BIGINT  NOT NULL,
        group_id            TEXT    NOT NULL,
        type                TEXT    NOT NULL,
        name                TEXT    NOT NULL,
        introduction        TEXT    NOT NULL DEFAULT '',
        notification        TEXT    NOT NULL DEFAULT '',
        face_url            TEXT    NOT NULL DEFAULT '',
        owner               TEXT    NOT NULL DEFAULT '',
        create_time         BIGINT  NOT NULL,
        info_seq            BIGINT  NOT NULL DEFAULT 1,
        last_info_time      BIGINT  NOT NULL,
        last_msg_time       BIGINT  NOT NULL DEFAULT 0,
        next_msg_seq        BIGINT  NOT NULL DEFAULT 1,
        member_num          BIGINT  NOT NULL DEFAULT 0,
        max_member_num      BIGINT  NOT NULL,
        apply_join_option   TEXT    NOT NULL,
        invite_join_option  TEXT,
        mute_all            BOOLEAN NOT NULL DEFAULT FALSE,
        history_before_join BOOLEAN,
        support_topic       BOOLEAN NOT NULL DEFAULT FALSE,
        app_defined_data    TEXT    NOT NULL DEFAULT '[]',
        cleared_upto        BIGINT  NOT NULL DEFAULT 0,
        read_floor          BIGINT  NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX groups_by_id ON groups (app, group_id);
    CREATE INDEX groups_by_type ON groups (app, type, gkey);

    CREATE TABLE group_members (
        app                      BIGINT NOT NULL,
        gkey                     BIGINT NOT NULL,
        user_id                  TEXT   NOT NULL,
        role                     BIGINT NOT NULL,
        join_time                BIGINT NOT NULL,
        join_seq                 BIGINT NOT NULL,
        read_seq                 BIGINT NOT NULL DEFAULT 0,
        msg_flag                 TEXT   NOT NULL,
        last_send_time           BIGINT NOT NULL DEFAULT 0,
        name_card                TEXT   NOT NULL DEFAULT '',
        app_member_defined_data  TEXT   NOT NULL DEFAULT '[]',
        read_floor_seen          BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (app, gkey, user_id)
    );
    CREATE INDEX group_members_by_user ON group_members (app, user_id, gkey);

    CREATE TABLE group_mutes (
        app         BIGINT NOT NULL,
        gkey        BIGINT NOT NULL,
        user_id     TEXT   NOT NULL,
        mute_until  BIGINT NOT NULL,
        PRIMARY KEY (app, gkey, user_id)
    );

    CREATE TABLE group_messages (
        app                BIGINT  NOT NULL,
        gkey               BIGINT  NOT NULL,
        seq                BIGINT  NOT NULL,
        sender             TEXT    NOT NULL,
        random             BIGINT  NOT NULL,
        time               BIGINT  NOT NULL,
        priority           BIGINT  NOT NULL,
        state              BIGINT  NOT NULL,
        is_system          BOOLEAN NOT NULL,
        body               TEXT    NOT NULL,
        cloud_custom_data  TEXT,
        to_accounts        TEXT,
        PRIMARY KEY (app, gkey, seq)
    );
    CREATE INDEX group_messages_by_random ON group_messages (app, gkey, random);

    CREATE TABLE purge_queue (
        gkey       BIGINT PRIMARY KEY,
        app        BIGINT NOT NULL,
        queued_at  BIGINT NOT NULL
    );

    CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  BIGINT NOT NULL
    );
    ",
    // 2: the duplicate-window index covers `time` (as on SQLite).
    "
    DROP INDEX group_messages_by_random;
    CREATE INDEX group_messages_by_random ON group_messages (app, gkey, random, time);
    ",
];

/// Brings the current schema (`search_path`) to the newest version.
pub(super) async fn migrate(client: &mut Object) -> Result<()> {
    // One lock per schema, so test runs in separate schemas do not wait on each other.
    let lock = "SELECT pg_advisory_lock(hashtext('timber-migrate:' || current_schema()))";
    match client.execute(lock, &[]).await {
        Ok(_) => {}
        // Engines without advisory locks (CockroachDB): migrate unlocked; the README asks to
        // run `timber migrate` once before starting several nodes there.
        Err(e) if e.code() == Some(&SqlState::UNDEFINED_FUNCTION) => {
            tracing::warn!("no advisory locks on this database: migrating without one");
            return apply(client).await;
        }
        Err(e) => return Err(e.into()),
    }
    let result = apply(client).await;
    let unlock = "SELECT pg_advisory_unlock(hashtext('timber-migrate:' || current_schema()))";
    let unlocked = client.execute(unlock, &[]).await;
    result?;
    unlocked?;
    Ok(())
}

async fn apply(client: &mut Object) -> Result<()> {
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS timber_schema (version BIGINT NOT NULL)")
        .await?;
    let current: i64 = client
        .query_opt("SELECT version FROM timber_schema", &[])
        .await?
        .map(|r| r.get(0))
        .unwrap_or(0);
    if current as usize > MIGRATIONS.len() {
        return Err(crate::StoreError::internal(format!(
            "the database schema (version {current}) is newer than this timber (version {})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let t = client.transaction().await?;
        t.batch_execute(sql).await?;
        t.execute("DELETE FROM timber_schema", &[]).await?;
        t.execute(
            "INSERT INTO timber_schema (version) VALUES ($1)",
            &[&(i as i64 + 1)],
        )
        .await?;
        t.commit().await?;
    }
    Ok(())
}
