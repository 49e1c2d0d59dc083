//! The schema, written once for both databases, as the list of its migrations. A database is
//! at version N when the first N of them are applied (SQLite keeps N in `PRAGMA
//! user_version`, PostgreSQL in the `schema_version` table); each backend's `schema.rs` runs
//! the rest in order.
//!
//! Every key starts with the SDKAppID (`app`), DESIGN.md invariant 1. Groups have an internal
//! key `gkey` that is never reused: members and messages hang off it, so a destroyed group's
//! rows can be purged in the background while its custom GroupId is reused.
//!
//! Integers are `BIGINT` and flags `BOOLEAN` in both (SQLite gives them INTEGER and NUMERIC
//! affinity and stores 0 and 1 either way). The differences are the [`Dialect`]'s, named in
//! the SQL as `{WITHOUT_ROWID}`, `{GROUP_KEY}` and `{GROUP_KEY_SEQUENCE}`.

/// What SQLite and PostgreSQL spell differently.
pub(crate) struct Dialect {
    /// SQLite: keyed tables store their rows in the primary key's b-tree, without a rowid.
    without_rowid: &'static str,
    /// The `gkey` column: a key never handed out twice, even after its group is destroyed.
    group_key: &'static str,
    /// What `group_key` draws from, created before the groups table.
    group_key_sequence: &'static str,
    /// The `ckey` column of one-to-one conversations, like `group_key`.
    c2c_key: &'static str,
    /// What `c2c_key` draws from.
    c2c_key_sequence: &'static str,
    /// The `id` column of the callback outbox: increasing in the order rows are inserted.
    outbox_id: &'static str,
}

pub(crate) const SQLITE: Dialect = Dialect {
    without_rowid: "WITHOUT ROWID",
    // AUTOINCREMENT never reuses a key, unlike a plain INTEGER PRIMARY KEY.
    group_key: "gkey INTEGER PRIMARY KEY AUTOINCREMENT",
    group_key_sequence: "",
    c2c_key: "ckey INTEGER PRIMARY KEY AUTOINCREMENT",
    c2c_key_sequence: "",
    outbox_id: "id INTEGER PRIMARY KEY AUTOINCREMENT",
};

pub(crate) const POSTGRES: Dialect = Dialect {
    without_rowid: "",
    group_key: "gkey BIGINT PRIMARY KEY DEFAULT nextval('group_keys')",
    group_key_sequence: "CREATE SEQUENCE group_keys;",
    c2c_key: "ckey BIGINT PRIMARY KEY DEFAULT nextval('c2c_keys')",
    c2c_key_sequence: "CREATE SEQUENCE c2c_keys;",
    outbox_id: "id BIGSERIAL PRIMARY KEY",
};

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
    ) {WITHOUT_ROWID};

    {GROUP_KEY_SEQUENCE}
    CREATE TABLE groups (
        {GROUP_KEY},
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
        PRIMARY KEY (app, gkey, user_id)
    ) {WITHOUT_ROWID};
    CREATE INDEX group_members_by_user ON group_members (app, user_id, gkey);

    CREATE TABLE group_mutes (
        app         BIGINT NOT NULL,
        gkey        BIGINT NOT NULL,
        user_id     TEXT   NOT NULL,
        mute_until  BIGINT NOT NULL,
        PRIMARY KEY (app, gkey, user_id)
    ) {WITHOUT_ROWID};

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
    ) {WITHOUT_ROWID};
    CREATE INDEX group_messages_by_random ON group_messages (app, gkey, random);

    -- Destroyed groups whose members and messages the background sweeper still has to delete.
    CREATE TABLE purge_queue (
        gkey       BIGINT PRIMARY KEY,
        app        BIGINT NOT NULL,
        queued_at  BIGINT NOT NULL
    ) {WITHOUT_ROWID};

    -- Small persistent state of background tasks (e.g. the retention sweeper's cursor).
    CREATE TABLE meta (
        key    TEXT   PRIMARY KEY,
        value  BIGINT NOT NULL
    ) {WITHOUT_ROWID};
    ",
    // 2: set_unread_msg_num records the import floor it saw, so that a later explicit unread
    // count wins over an earlier import_group_msg (timber_core::message::effective_read_seq).
    "
    ALTER TABLE group_members ADD COLUMN read_floor_seen BIGINT NOT NULL DEFAULT 0;
    ",
    // 3: the duplicate-window index covers `time`. Without it SQLite judged the extra table
    // lookup too dear and scanned the group's whole history on every send.
    "
    DROP INDEX group_messages_by_random;
    CREATE INDEX group_messages_by_random ON group_messages (app, gkey, random, time);
    ",
    // 4: one-to-one conversations and their messages (timber_core::c2c). A conversation is
    // its two accounts in canonical order, with both sides' view state in its row; its
    // messages are keyed by their MsgKey in history's order (time, MsgSeq, MsgRandom), so a
    // page of history and the retention sweep are ranges of the primary key. The second
    // index finds a MsgSeq and MsgRandom in a time window (sendmsg's 120-second repeats).
    "
    {C2C_KEY_SEQUENCE}
    CREATE TABLE c2c_conversations (
        {C2C_KEY},
        app              BIGINT NOT NULL,
        user_lo          TEXT   NOT NULL,
        user_hi          TEXT   NOT NULL,
        lo_read_time     BIGINT NOT NULL DEFAULT 0,
        lo_cleared_time  BIGINT NOT NULL DEFAULT 0,
        lo_last_time     BIGINT NOT NULL DEFAULT 0,
        hi_read_time     BIGINT NOT NULL DEFAULT 0,
        hi_cleared_time  BIGINT NOT NULL DEFAULT 0,
        hi_last_time     BIGINT NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX c2c_conversations_by_pair ON c2c_conversations (app, user_lo, user_hi);
    CREATE INDEX c2c_conversations_by_hi ON c2c_conversations (app, user_hi, user_lo);

    CREATE TABLE c2c_messages (
        app                BIGINT  NOT NULL,
        ckey               BIGINT  NOT NULL,
        time               BIGINT  NOT NULL,
        seq                BIGINT  NOT NULL,
        random             BIGINT  NOT NULL,
        from_lo            BOOLEAN NOT NULL,
        client_time        BIGINT  NOT NULL,
        flags              BIGINT  NOT NULL DEFAULT 0,
        hidden             BIGINT  NOT NULL DEFAULT 0,
        counts_unread      BOOLEAN NOT NULL,
        need_receipt       BOOLEAN NOT NULL,
        body               TEXT    NOT NULL,
        cloud_custom_data  TEXT,
        offline_push       TEXT,
        PRIMARY KEY (app, ckey, time, seq, random)
    ) {WITHOUT_ROWID};
    CREATE INDEX c2c_messages_by_seq ON c2c_messages (app, ckey, seq, random, time);
    ",
    // 5: recent contacts (timber_core::contacts). Conversation lists are derived when read,
    // never written per member on a send: a group keeps its contact head (the seq and time
    // of its newest message that moves conversations), set in the statement that moves its
    // message head; a C2C conversation's list time is the side's `last_time` above. Per user
    // only what the user did: pins and deletions (`contact_states`), and the contact book —
    // conversation groups (`contact_groups`, their id counter in `contact_books`) and each
    // conversation's marks and group ids (`contact_items`, `group_ids` as `1,2,…`).
    "
    ALTER TABLE groups ADD COLUMN contact_seq BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE groups ADD COLUMN contact_time BIGINT NOT NULL DEFAULT 0;

    CREATE TABLE contact_states (
        app           BIGINT NOT NULL,
        owner         TEXT   NOT NULL,
        kind          BIGINT NOT NULL,
        peer          TEXT   NOT NULL,
        pinned_at     BIGINT NOT NULL DEFAULT 0,
        deleted_at    BIGINT NOT NULL DEFAULT 0,
        cleared_upto  BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (app, owner, kind, peer)
    ) {WITHOUT_ROWID};

    CREATE TABLE contact_books (
        app      BIGINT NOT NULL,
        owner    TEXT   NOT NULL,
        last_id  BIGINT NOT NULL,
        PRIMARY KEY (app, owner)
    ) {WITHOUT_ROWID};

    CREATE TABLE contact_groups (
        app    BIGINT NOT NULL,
        owner  TEXT   NOT NULL,
        id     BIGINT NOT NULL,
        name   TEXT   NOT NULL,
        PRIMARY KEY (app, owner, id)
    ) {WITHOUT_ROWID};

    CREATE TABLE contact_items (
        app        BIGINT NOT NULL,
        owner      TEXT   NOT NULL,
        kind       BIGINT NOT NULL,
        peer       TEXT   NOT NULL,
        standard   BIGINT NOT NULL,
        custom     TEXT   NOT NULL,
        group_ids  TEXT   NOT NULL,
        updated    BIGINT NOT NULL,
        PRIMARY KEY (app, owner, kind, peer)
    ) {WITHOUT_ROWID};
    ",
    // 6: user profiles (timber_core::profile), one row per (account, tag): an integer tag's
    // value in `int_value`, a string tag's in `str_value`. account_import's Nick and FaceUrl
    // are the tags Tag_Profile_IM_Nick and Tag_Profile_IM_Image, so they move here from the
    // accounts table, which keeps no copy: there is one place a nickname is read from.
    "
    CREATE TABLE profiles (
        app        BIGINT NOT NULL,
        user_id    TEXT   NOT NULL,
        tag        TEXT   NOT NULL,
        int_value  BIGINT,
        str_value  TEXT,
        PRIMARY KEY (app, user_id, tag)
    ) {WITHOUT_ROWID};
    INSERT INTO profiles (app, user_id, tag, str_value)
        SELECT app, user_id, 'Tag_Profile_IM_Nick', nick FROM accounts WHERE nick IS NOT NULL;
    INSERT INTO profiles (app, user_id, tag, str_value)
        SELECT app, user_id, 'Tag_Profile_IM_Image', face_url FROM accounts
        WHERE face_url IS NOT NULL;
    ALTER TABLE accounts DROP COLUMN nick;
    ALTER TABLE accounts DROP COLUMN face_url;
    ",
    // 7: relationships (timber_core::sns; relationships.md §25, Storage shape). Friend
    // entries are keyed (owner, friend) with A's data about B in the row, the lists it is in
    // as a JSON array and the custom fields as a JSON object, so that a page of friend_get is
    // one range of `sns_friends_by_time` and never a query per friend. The `_by_friend`
    // indexes find the entries, blocks, requests and follows that point at a user (checks
    // both ways, account deletion). `sns_users` holds a user's sequences; the two profile
    // tags a friend request depends on (AllowType, AdminForbidType) are in `profiles`.
    "
    CREATE TABLE sns_users (
        app           BIGINT NOT NULL,
        user_id       TEXT   NOT NULL,
        std_seq       BIGINT NOT NULL DEFAULT 0,
        custom_seq    BIGINT NOT NULL DEFAULT 0,
        list_seq      BIGINT NOT NULL DEFAULT 0,
        block_seq     BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (app, user_id)
    ) {WITHOUT_ROWID};

    CREATE TABLE sns_friends (
        app          BIGINT NOT NULL,
        owner        TEXT   NOT NULL,
        friend       TEXT   NOT NULL,
        add_time     BIGINT NOT NULL,
        add_source   TEXT   NOT NULL,
        add_wording  TEXT   NOT NULL DEFAULT '',
        remark       TEXT   NOT NULL DEFAULT '',
        remark_time  BIGINT NOT NULL DEFAULT 0,
        groups       TEXT   NOT NULL DEFAULT '[]',
        custom       TEXT   NOT NULL,
        PRIMARY KEY (app, owner, friend)
    ) {WITHOUT_ROWID};
    CREATE INDEX sns_friends_by_time ON sns_friends (app, owner, add_time, friend);
    CREATE INDEX sns_friends_by_friend ON sns_friends (app, friend, owner);

    CREATE TABLE sns_lists (
        app    BIGINT NOT NULL,
        owner  TEXT   NOT NULL,
        name   TEXT   NOT NULL,
        ord    BIGINT NOT NULL,
        PRIMARY KEY (app, owner, name)
    ) {WITHOUT_ROWID};

    CREATE TABLE sns_pending (
        app          BIGINT NOT NULL,
        requester    TEXT   NOT NULL,
        target       TEXT   NOT NULL,
        time         BIGINT NOT NULL,
        add_source   TEXT   NOT NULL,
        add_wording  TEXT   NOT NULL DEFAULT '',
        remark       TEXT   NOT NULL DEFAULT '',
        PRIMARY KEY (app, requester, target)
    ) {WITHOUT_ROWID};
    CREATE INDEX sns_pending_by_target ON sns_pending (app, target, requester);

    CREATE TABLE sns_blocks (
        app      BIGINT NOT NULL,
        owner    TEXT   NOT NULL,
        blocked  TEXT   NOT NULL,
        time     BIGINT NOT NULL,
        PRIMARY KEY (app, owner, blocked)
    ) {WITHOUT_ROWID};
    CREATE INDEX sns_blocks_by_time ON sns_blocks (app, owner, time, blocked);
    CREATE INDEX sns_blocks_by_blocked ON sns_blocks (app, blocked, owner);

    CREATE TABLE follows (
        app       BIGINT NOT NULL,
        follower  TEXT   NOT NULL,
        followee  TEXT   NOT NULL,
        time      BIGINT NOT NULL,
        PRIMARY KEY (app, follower, followee)
    ) {WITHOUT_ROWID};
    CREATE INDEX follows_by_follower_time ON follows (app, follower, time, followee);
    CREATE INDEX follows_by_followee_time ON follows (app, followee, time, follower);
    ",
    // 8: the callback outbox (timber_core::callback): one row per after-event not yet
    // delivered, inserted by the transaction that made the change. `ordering` is the group or
    // conversation whose events go out one after the other; a node that claims a row leases
    // it until `lease_until` (Unix ms; 0 = free), and deletes it once delivered.
    "
    CREATE TABLE callback_outbox (
        {OUTBOX_ID},
        app          BIGINT NOT NULL,
        command      TEXT   NOT NULL,
        ordering     TEXT   NOT NULL,
        body         TEXT   NOT NULL,
        lease_owner  TEXT,
        lease_until  BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX callback_outbox_by_ordering ON callback_outbox (app, ordering, id);
    ",
    // 9: members (issue 27, timber_core::member): a member's own clear mark in a group
    // (clearGroupHistoryMessage, "clear for me"). Seqs at or below it are hidden from that
    // member's view only; it goes with the membership row (a member who leaves and joins
    // again starts afresh). One-to-one conversations already keep theirs per side
    // (`c2c_conversations.*_cleared_time`).
    "
    ALTER TABLE group_members ADD COLUMN member_clear_seq BIGINT NOT NULL DEFAULT 0;
    ",
];

/// Every migration in order, in `dialect`'s SQL.
pub(crate) fn migrations(dialect: &Dialect) -> Vec<String> {
    MIGRATIONS
        .iter()
        .map(|sql| {
            sql.replace("{WITHOUT_ROWID}", dialect.without_rowid)
                .replace("{GROUP_KEY_SEQUENCE}", dialect.group_key_sequence)
                .replace("{GROUP_KEY}", dialect.group_key)
                .replace("{C2C_KEY_SEQUENCE}", dialect.c2c_key_sequence)
                .replace("{C2C_KEY}", dialect.c2c_key)
                .replace("{OUTBOX_ID}", dialect.outbox_id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_in_both_dialects() {
        for dialect in [&SQLITE, &POSTGRES] {
            for sql in migrations(dialect) {
                assert!(!sql.contains('{'), "unfilled placeholder in {sql}");
            }
        }
        let pg = migrations(&POSTGRES).concat();
        assert!(!pg.contains("ROWID") && !pg.contains("AUTOINCREMENT"));
    }
}
