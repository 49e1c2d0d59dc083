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
    /// The `tkey` column of Community topics, like `group_key` (topics branch).
    topic_key: &'static str,
    /// What `topic_key` draws from.
    topic_key_sequence: &'static str,
}

pub(crate) const SQLITE: Dialect = Dialect {
    without_rowid: "WITHOUT ROWID",
    // AUTOINCREMENT never reuses a key, unlike a plain INTEGER PRIMARY KEY.
    group_key: "gkey INTEGER PRIMARY KEY AUTOINCREMENT",
    group_key_sequence: "",
    c2c_key: "ckey INTEGER PRIMARY KEY AUTOINCREMENT",
    c2c_key_sequence: "",
    outbox_id: "id INTEGER PRIMARY KEY AUTOINCREMENT",
    topic_key: "tkey INTEGER PRIMARY KEY AUTOINCREMENT",
    topic_key_sequence: "",
};

pub(crate) const POSTGRES: Dialect = Dialect {
    without_rowid: "",
    group_key: "gkey BIGINT PRIMARY KEY DEFAULT nextval('group_keys')",
    group_key_sequence: "CREATE SEQUENCE group_keys;",
    c2c_key: "ckey BIGINT PRIMARY KEY DEFAULT nextval('c2c_keys')",
    c2c_key_sequence: "CREATE SEQUENCE c2c_keys;",
    outbox_id: "id BIGSERIAL PRIMARY KEY",
    topic_key: "tkey BIGINT PRIMARY KEY DEFAULT nextval('topic_keys')",
    topic_key_sequence: "CREATE SEQUENCE topic_keys;",
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
    // 9: friend_get's page without a lookup per friend or a count over the list
    // (BENCHMARKS.md, ledger: *friend pages*). `sns_friends` is keyed in page order
    // (add_time, friend), so a page is one range of the table itself, and a user's friend
    // count is kept in `sns_users` by every write that adds or removes an entry.
    "
    CREATE TABLE sns_friends_paged (
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
        PRIMARY KEY (app, owner, add_time, friend)
    ) {WITHOUT_ROWID};
    INSERT INTO sns_friends_paged (app, owner, friend, add_time, add_source, add_wording,
                                   remark, remark_time, groups, custom)
        SELECT app, owner, friend, add_time, add_source, add_wording,
               remark, remark_time, groups, custom FROM sns_friends;
    DROP TABLE sns_friends;
    ALTER TABLE sns_friends_paged RENAME TO sns_friends;
    CREATE UNIQUE INDEX sns_friends_by_pair ON sns_friends (app, owner, friend);
    CREATE INDEX sns_friends_by_friend ON sns_friends (app, friend, owner);

    ALTER TABLE sns_users ADD COLUMN friend_count BIGINT NOT NULL DEFAULT 0;
    INSERT INTO sns_users (app, user_id)
        SELECT DISTINCT app, owner FROM sns_friends WHERE true
        ON CONFLICT (app, user_id) DO NOTHING;
    UPDATE sns_users SET friend_count = (SELECT count(*) FROM sns_friends f
                                         WHERE f.app = sns_users.app
                                           AND f.owner = sns_users.user_id);
    ",
    // 10: group attributes and the rest (groups-more.md §3–§7.7): group custom attributes, counters, member bans,
    // read receipts of group messages, and the app-wide broadcast sequence of AVChatRooms.
    // The per-group tables hang off `gkey` and are purged with the group (ops/sweep.rs).
    "
    CREATE TABLE group_attrs (
        app    BIGINT NOT NULL,
        gkey   BIGINT NOT NULL,
        key    TEXT   NOT NULL,
        value  TEXT   NOT NULL,
        PRIMARY KEY (app, gkey, key)
    ) {WITHOUT_ROWID};

    CREATE TABLE group_counters (
        app    BIGINT NOT NULL,
        gkey   BIGINT NOT NULL,
        key    TEXT   NOT NULL,
        value  BIGINT NOT NULL,
        PRIMARY KEY (app, gkey, key)
    ) {WITHOUT_ROWID};

    CREATE TABLE group_bans (
        app           BIGINT NOT NULL,
        gkey          BIGINT NOT NULL,
        user_id       TEXT   NOT NULL,
        banned_until  BIGINT NOT NULL,
        ban_time      BIGINT NOT NULL,
        description   TEXT   NOT NULL DEFAULT '',
        PRIMARY KEY (app, gkey, user_id)
    ) {WITHOUT_ROWID};
    CREATE INDEX group_bans_by_time ON group_bans (app, gkey, ban_time, user_id);

    CREATE TABLE group_receipts (
        app      BIGINT  NOT NULL,
        gkey     BIGINT  NOT NULL,
        seq      BIGINT  NOT NULL,
        user_id  TEXT    NOT NULL,
        is_read  BOOLEAN NOT NULL,
        PRIMARY KEY (app, gkey, seq, user_id)
    ) {WITHOUT_ROWID};

    CREATE TABLE broadcasts (
        app     BIGINT NOT NULL,
        seq     BIGINT NOT NULL,
        random  BIGINT NOT NULL,
        content TEXT   NOT NULL,
        time    BIGINT NOT NULL,
        PRIMARY KEY (app, seq)
    ) {WITHOUT_ROWID};
    ",
    // 11: the address of the client that caused each after-event (its `ClientIP`).
    "
    ALTER TABLE callback_outbox ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
    ",
    // 12: message extensions (timber_core::extension; groups-more.md §9): a
    // message that may carry extensions (sent with SupportMessageExtension 1) has a head row
    // with its version counter and the version of its last clear; its KVs, tombstones of
    // deletes included, are keyed under it. `conv` is the group's gkey for a group message
    // (`msg` its MsgSeq) and minus the conversation's ckey for a one-to-one message (`msg`
    // its MsgKey).
    "
    CREATE TABLE msg_exts (
        app        BIGINT NOT NULL,
        conv       BIGINT NOT NULL,
        msg        TEXT   NOT NULL,
        version    BIGINT NOT NULL DEFAULT 0,
        clear_seq  BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (app, conv, msg)
    ) {WITHOUT_ROWID};
    CREATE TABLE msg_ext_kvs (
        app       BIGINT  NOT NULL,
        conv      BIGINT  NOT NULL,
        msg       TEXT    NOT NULL,
        ext_key   TEXT    NOT NULL,
        value     TEXT    NOT NULL,
        seq       BIGINT  NOT NULL,
        deleted   BOOLEAN NOT NULL,
        PRIMARY KEY (app, conv, msg, ext_key)
    ) {WITHOUT_ROWID};
    ",
    // 13: Community topics (timber_core::topic; groups-more.md §8): a topic
    // of the community `gkey`, its profile and its message head. Its messages are stored in
    // group_messages as a group's are, under the key -tkey: never a group's key (those are
    // positive) and never reused, so a destroyed topic's rows are purged like a group's
    // (purge_queue) while its custom ID is taken again.
    "
    {TOPIC_KEY_SEQUENCE}
    CREATE TABLE topics (
        {TOPIC_KEY},
        app            BIGINT  NOT NULL,
        gkey           BIGINT  NOT NULL,
        topic_id       TEXT    NOT NULL,
        name           TEXT    NOT NULL,
        face_url       TEXT    NOT NULL DEFAULT '',
        notification   TEXT    NOT NULL DEFAULT '',
        introduction   TEXT    NOT NULL DEFAULT '',
        custom_string  TEXT    NOT NULL DEFAULT '',
        creator        TEXT    NOT NULL DEFAULT '',
        create_time    BIGINT  NOT NULL,
        last_msg_time  BIGINT  NOT NULL DEFAULT 0,
        next_msg_seq   BIGINT  NOT NULL DEFAULT 1,
        mute_all       BOOLEAN NOT NULL DEFAULT FALSE
    );
    CREATE UNIQUE INDEX topics_by_id ON topics (app, topic_id);
    CREATE INDEX topics_by_group ON topics (app, gkey, tkey);
    ",
    // 14: push-and-operations.md: global mutes, push to all users, the app's
    // dirty words, banned chat files and keyword libraries (timber_core::nospeaking,
    // timber_core::push, timber_core::moderation; im_cos_msg; im_msg_audit_mgr: `lib` '' is
    // the local library, any other the cloud library of that ID). A mute is the Unix second it ends
    // (0 none; i64::MAX permanent). Attribute values are kept per slot (`push_attr_names`
    // names the slots); tags keep their insertion order in `pos`. A push task is one row of
    // `push_tasks`; its delivery walks the accounts in UserID order in batches, `cursor` being
    // the last UserID done, and writes one `push_deliveries` row per recipient (the offline
    // entry, expiring at `expires`; 0 = online only).
    "
    CREATE TABLE global_mutes (
        app          BIGINT NOT NULL,
        user_id      TEXT   NOT NULL,
        c2c_until    BIGINT NOT NULL DEFAULT 0,
        group_until  BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (app, user_id)
    ) {WITHOUT_ROWID};
    CREATE TABLE push_attr_names (
        app   BIGINT NOT NULL,
        slot  BIGINT NOT NULL,
        name  TEXT   NOT NULL,
        PRIMARY KEY (app, slot)
    ) {WITHOUT_ROWID};
    CREATE TABLE push_attrs (
        app      BIGINT NOT NULL,
        user_id  TEXT   NOT NULL,
        slot     BIGINT NOT NULL,
        value    TEXT   NOT NULL,
        PRIMARY KEY (app, user_id, slot)
    ) {WITHOUT_ROWID};
    CREATE TABLE push_tags (
        app      BIGINT NOT NULL,
        user_id  TEXT   NOT NULL,
        tag      TEXT   NOT NULL,
        pos      BIGINT NOT NULL,
        PRIMARY KEY (app, user_id, tag)
    ) {WITHOUT_ROWID};
    CREATE TABLE push_tasks (
        app         BIGINT  NOT NULL,
        counter     BIGINT  NOT NULL,
        task_id     TEXT    NOT NULL,
        random      BIGINT  NOT NULL,
        sender      TEXT    NOT NULL,
        created     BIGINT  NOT NULL,
        life_time   BIGINT  NOT NULL,
        selector    TEXT    NOT NULL,
        body        TEXT    NOT NULL,
        offline     TEXT,
        cursor      TEXT,
        done        BOOLEAN NOT NULL DEFAULT FALSE,
        recipients  BIGINT  NOT NULL DEFAULT 0,
        PRIMARY KEY (app, counter)
    ) {WITHOUT_ROWID};
    CREATE INDEX push_tasks_by_random ON push_tasks (app, random, created);
    CREATE TABLE push_deliveries (
        app      BIGINT NOT NULL,
        counter  BIGINT NOT NULL,
        user_id  TEXT   NOT NULL,
        expires  BIGINT NOT NULL,
        PRIMARY KEY (app, counter, user_id)
    ) {WITHOUT_ROWID};
    CREATE INDEX push_deliveries_by_user ON push_deliveries (app, user_id, counter);
    CREATE TABLE dirty_words (
        app   BIGINT NOT NULL,
        word  TEXT   NOT NULL,
        PRIMARY KEY (app, word)
    ) {WITHOUT_ROWID};
    CREATE TABLE banned_files (
        app  BIGINT NOT NULL,
        url  TEXT   NOT NULL,
        PRIMARY KEY (app, url)
    ) {WITHOUT_ROWID};
    CREATE TABLE audit_keywords (
        app          BIGINT NOT NULL,
        lib          TEXT   NOT NULL,
        id           BIGINT NOT NULL,
        keyword      TEXT   NOT NULL,
        word_type    BIGINT NOT NULL,
        filter_type  BIGINT NOT NULL,
        replaced     TEXT   NOT NULL,
        label        TEXT   NOT NULL,
        created      BIGINT NOT NULL,
        PRIMARY KEY (app, lib, id)
    ) {WITHOUT_ROWID};
    ",
    // 15: members (timber_core::member): a member's own clear mark in a group
    // (clearGroupHistoryMessage, "clear for me"). Seqs at or below it are hidden from that
    // member's view only; it goes with the membership row (a member who leaves and joins
    // again starts afresh). One-to-one conversations already keep theirs per side
    // (`c2c_conversations.*_cleared_time`).
    "
    ALTER TABLE group_members ADD COLUMN member_clear_seq BIGINT NOT NULL DEFAULT 0;
    ",
    // 16: recent contacts (recent-contacts.md §13): the group conversations of users who are
    // no longer members (they quit, were removed or banned, or the group was destroyed),
    // frozen at the group's contact head when they went, so that each stays in its owner's
    // list until that message expires. Joining the group again drops the row (the live
    // membership takes over); so does deleting the conversation or the account.
    "
    CREATE TABLE departed_contacts (
        app       BIGINT NOT NULL,
        owner     TEXT   NOT NULL,
        group_id  TEXT   NOT NULL,
        seq       BIGINT NOT NULL,
        time      BIGINT NOT NULL,
        PRIMARY KEY (app, owner, group_id)
    ) {WITHOUT_ROWID};
    ",
    // 17: av (groups-more.md §7.4): an AVChatRoom's admins (at most 5). The room keeps no
    // member list, so they cannot be a role in group_members; they stay admins whether or not
    // they are present, until revoked or the room goes (purged with the group).
    "
    CREATE TABLE room_admins (
        app      BIGINT NOT NULL,
        gkey     BIGINT NOT NULL,
        user_id  TEXT   NOT NULL,
        since    BIGINT NOT NULL,
        PRIMARY KEY (app, gkey, user_id)
    ) {WITHOUT_ROWID};
    ",
    // 18: official accounts and chatbots (push-and-operations.md §5, §6). An official account
    // is its own object with its own Seq (`seq`, the last one given), subscribers and
    // messages; a destroyed one's rows are deleted with it, so its ID can be taken again.
    // A chatbot is an imported account with a row here (`valid` false once deleted); a
    // streamed reply keeps its chunks until it is finished, its message lives in c2c_messages.
    "
    CREATE TABLE official_accounts (
        app              BIGINT NOT NULL,
        id               TEXT   NOT NULL,
        owner            TEXT   NOT NULL,
        name             TEXT   NOT NULL,
        introduction     TEXT   NOT NULL,
        face_url         TEXT   NOT NULL,
        organization     TEXT   NOT NULL,
        custom           TEXT   NOT NULL,
        max_subscribers  BIGINT NOT NULL,
        created          BIGINT NOT NULL,
        last_msg_time    BIGINT NOT NULL DEFAULT 0,
        seq              BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (app, id)
    ) {WITHOUT_ROWID};
    CREATE TABLE official_subscribers (
        app             BIGINT NOT NULL,
        official        TEXT   NOT NULL,
        user_id         TEXT   NOT NULL,
        subscribe_time  BIGINT NOT NULL,
        custom          TEXT   NOT NULL DEFAULT '',
        msg_flag        TEXT   NOT NULL DEFAULT 'AcceptAndNotify',
        last_send       BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (app, official, user_id)
    ) {WITHOUT_ROWID};
    CREATE INDEX official_subscribers_by_time
        ON official_subscribers (app, official, subscribe_time, user_id);
    CREATE INDEX official_subscribers_by_user
        ON official_subscribers (app, user_id, subscribe_time, official);
    CREATE TABLE official_messages (
        app                BIGINT  NOT NULL,
        official           TEXT    NOT NULL,
        seq                BIGINT  NOT NULL,
        random             BIGINT  NOT NULL,
        time               BIGINT  NOT NULL,
        body               TEXT    NOT NULL,
        cloud_custom_data  TEXT,
        recalled           BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (app, official, seq)
    ) {WITHOUT_ROWID};
    CREATE TABLE robots (
        app      BIGINT  NOT NULL,
        user_id  TEXT    NOT NULL,
        valid    BOOLEAN NOT NULL,
        PRIMARY KEY (app, user_id)
    ) {WITHOUT_ROWID};
    CREATE TABLE robot_streams (
        app       BIGINT  NOT NULL,
        msg_key   TEXT    NOT NULL,
        from_id   TEXT    NOT NULL,
        to_id     TEXT    NOT NULL,
        chunks    TEXT    NOT NULL,
        finished  BOOLEAN NOT NULL,
        PRIMARY KEY (app, msg_key)
    ) {WITHOUT_ROWID};
    ",
    // 19: several nodes on PostgreSQL (members.md §6; `postgres/cluster.rs`). The change
    // log: what each committed write means to members, in commit order per conversation,
    // read by every node (rows are kept a minute). The nodes with member connections, each
    // with its last heartbeat, and those connections (query_online_status across nodes); a
    // node whose heartbeat stops has its rows removed by the others. SQLite, one process,
    // creates them and never uses them.
    "
    CREATE TABLE member_changes (
        {OUTBOX_ID},
        app    BIGINT NOT NULL,
        node   TEXT   NOT NULL,
        origin BIGINT NOT NULL,
        at     BIGINT NOT NULL,
        body   TEXT   NOT NULL
    );
    CREATE TABLE member_nodes (
        node TEXT   NOT NULL PRIMARY KEY,
        seen BIGINT NOT NULL
    ) {WITHOUT_ROWID};
    CREATE TABLE member_presence (
        node     TEXT   NOT NULL,
        conn     BIGINT NOT NULL,
        app      BIGINT NOT NULL,
        account  TEXT   NOT NULL,
        platform TEXT   NOT NULL,
        PRIMARY KEY (node, conn)
    ) {WITHOUT_ROWID};
    CREATE INDEX member_presence_account ON member_presence (app, account);
    ",
    // 20: pending join applications (members.md `joinGroup` on a NeedPermission group),
    // answered by the group's owner or an admin on whichever node they are connected to, and
    // kept across restarts. One per applicant and group: applying again replaces the message.
    // The AVChatRoom members present on each node (members.md §6), so that a room's online
    // count and member list cover every node; rows of a dead node go with its heartbeat.
    "
    CREATE TABLE group_applications (
        app       BIGINT NOT NULL,
        gkey      BIGINT NOT NULL,
        applicant TEXT   NOT NULL,
        message   TEXT   NOT NULL,
        at        BIGINT NOT NULL,
        PRIMARY KEY (app, gkey, applicant)
    ) {WITHOUT_ROWID};
    CREATE TABLE room_presence (
        node      TEXT   NOT NULL,
        app       BIGINT NOT NULL,
        group_id  TEXT   NOT NULL,
        account   TEXT   NOT NULL,
        join_time BIGINT NOT NULL,
        PRIMARY KEY (node, app, group_id, account)
    ) {WITHOUT_ROWID};
    CREATE INDEX room_presence_room ON room_presence (app, group_id);
    ",
    // 21: the per-node caches of several nodes on PostgreSQL (`postgres/cache.rs`). The
    // invalidation log: one row per committed write that changes cached data, numbered by
    // `cache_head` (whose row lock makes the numbers commit in order), kept a minute. The
    // nodes that answer from a cache, each with the last row it applied and the end of its
    // lease. SQLite, one process, creates them and never uses them.
    "
    CREATE TABLE cache_head (
        one  BIGINT NOT NULL PRIMARY KEY,
        last BIGINT NOT NULL
    ) {WITHOUT_ROWID};
    INSERT INTO cache_head (one, last) VALUES (1, 0);
    CREATE TABLE cache_changes (
        id    BIGINT NOT NULL PRIMARY KEY,
        app   BIGINT NOT NULL,
        users TEXT,
        at    BIGINT NOT NULL
    ) {WITHOUT_ROWID};
    CREATE TABLE cache_nodes (
        node     TEXT   NOT NULL PRIMARY KEY,
        seen     BIGINT NOT NULL,
        until_ms BIGINT NOT NULL
    ) {WITHOUT_ROWID};
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
                .replace("{TOPIC_KEY_SEQUENCE}", dialect.topic_key_sequence)
                .replace("{TOPIC_KEY}", dialect.topic_key)
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

    /// Migration 9 re-keys `sns_friends` in page order and starts the kept friend counts from
    /// the entries already there.
    #[test]
    fn friend_entries_and_counts_survive_the_rekey() {
        let all = migrations(&SQLITE);
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for sql in &all[..8] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO sns_friends (app, owner, friend, add_time, add_source, custom)
                 VALUES (1, 'a', 'b', 5, 's', '{}'), (1, 'a', 'c', 4, 's', '{}'),
                        (1, 'b', 'a', 5, 's', '{}'), (2, 'a', 'x', 1, 's', '{}');
             INSERT INTO sns_users (app, user_id, std_seq) VALUES (1, 'a', 7);",
        )
        .unwrap();
        conn.execute_batch(&all[8]).unwrap();
        let counts: Vec<(i64, String, i64, i64)> = conn
            .prepare(
                "SELECT app, user_id, std_seq, friend_count FROM sns_users ORDER BY app, user_id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want = [(1, "a", 7, 2), (1, "b", 0, 1), (2, "a", 0, 1)];
        let want: Vec<_> = want
            .iter()
            .map(|&(a, u, s, n)| (a, u.to_owned(), s, n))
            .collect();
        assert_eq!(counts, want);
        let page: Vec<String> = conn
            .prepare("SELECT friend FROM sns_friends WHERE app = 1 AND owner = 'a' ORDER BY add_time, friend")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(page, ["c", "b"]);
        let dup = conn.execute(
            "INSERT INTO sns_friends (app, owner, friend, add_time, add_source, custom)
             VALUES (1, 'a', 'b', 9, 's', '{}')",
            [],
        );
        assert!(
            dup.is_err(),
            "one entry per (owner, friend), whatever its add_time"
        );
    }
}
