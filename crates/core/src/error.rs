//! The single table of every Tencent Cloud Chat error code timber returns, and the domain error.
//!
//! spec: rest-protocol.md §9, accounts.md, groups.md §4, group-messages.md §14, c2c-messages.md §11,
//! profiles.md §3.
//! relationships.md §23, groups-more.md §3–§6, §9.2.
//! A code is added here before it is returned anywhere; nothing else in the code base spells a
//! number. Codes whose use is our choice rather than documented say so in their doc comment.

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $meaning:literal; )*) => {
        /// Every error code timber can put into `ErrorCode`, with its documented meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
            /// A code the app's before-callback chose from its documented range (callbacks.md
            /// §5: 120001–130000 for C2C sends, 10100–10200 for groups), passed through.
            AppDefined(u32),
        }

        impl ErrorCode {
            /// All codes, in table order (used by tests and the README's error table).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$name, )* ];

            /// The number sent on the wire.
            pub const fn code(self) -> u32 {
                match self { $( ErrorCode::$name => $code, )* ErrorCode::AppDefined(c) => c }
            }

            /// The documented meaning, paraphrased; the default `ErrorInfo`.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $( ErrorCode::$name => $meaning, )*
                    ErrorCode::AppDefined(_) => "refused by the app's callback",
                }
            }
        }
    };
}

error_codes! {
    // ---- gateway (rest-protocol.md §9.1) ----
    /// Malformed URL/query (missing identifier, non-numeric sdkappid) or an unsupported method.
    HttpParse = 60002, "HTTP parse error: check the URL format";
    /// The body is empty or not JSON at all (services other than openim).
    JsonParse = 60003, "HTTP request JSON parse error";
    /// Unknown API version or service in the path.
    UnknownResource = 60009, "requested resource error: check the URL";
    /// The `identifier` is not an app admin of this SDKAppID.
    /// A call frequency limit (batchsendmsg's 12,000 messages a minute; limits.md §3,
    /// rest-protocol.md §8: inferred mapping).
    FrequencyLimit = 60007, "REST API call frequency exceeds the limit";
    AdminRequired = 60010, "the request requires App admin permission";
    /// No `sdkappid` in the URL.
    SdkAppIdMissing = 60012, "the REST API needs an SDKAppID";
    /// An account field in the body is a number instead of a string.
    AccountNotString = 60015, "wrong account type in the request body: accounts must be strings";

    // ---- accounts and signatures (rest-protocol.md §9.2, usersig.md §3) ----
    SigExpired = 70001, "UserSig expired";
    SigEmpty = 70002, "UserSig length is 0";
    SigMalformed = 70003, "UserSig could not be parsed";
    SigBadSignature = 70009, "UserSig verification failed";
    SigIdentifierMismatch = 70013, "the UserID in the request differs from the UserID of the UserSig";
    SigSdkAppIdMismatch = 70014, "the SDKAppID in the request differs from the SDKAppID of the UserSig";
    /// Our choice for an `sdkappid` this server does not host (rest-protocol.md §2).
    SdkAppIdNotFound = 70020, "SDKAppID not found";
    /// The user was kicked after this UserSig was issued (inferred mapping, usersig.md §3).
    SigRevoked = 70052, "UserSig has been invalidated: generate a new one";
    AccountNotFound = 70107, "the account does not exist";
    /// Too many items in a batch (inferred code, limits.md §2).
    BatchSizeInvalid = 70206, "the batch size in the request is invalid";
    AccountInvalidParameter = 70402, "invalid parameter: a required field is missing or malformed";
    AccountInternal = 70500, "internal server error: retry";

    // ---- profiles (profiles.md §3) ----
    /// A parameter is missing or malformed (also a body that cannot be decoded).
    ProfileInvalidParameter = 40001, "request parameters are wrong";
    /// portrait_get without any account to read.
    ProfileNoAccount = 40002, "no account to read was given";
    ProfileAccountNotFound = 40003, "the requested account does not exist";
    /// A profile field holds one of the app's dirty words (push-and-operations.md §4.1).
    ProfileDirtyWord = 40005, "a profile field contains a sensitive word";
    ProfileInternal = 40006, "internal server error: retry";
    /// A custom tag configured without admin read permission (portrait_get).
    ProfileNoReadPermission = 40007, "no read permission for this tag";
    /// A custom tag configured without admin write permission (portrait_set).
    ProfileNoWritePermission = 40008, "no write permission for this tag";
    /// Neither a standard tag nor a custom tag the app accepts.
    ProfileTagNotFound = 40009, "the tag does not exist";
    /// Also account_import's `Nick`/`FaceUrl` (accounts.md §1).
    ProfileValueTooLong = 40601, "a profile field value exceeds 500 bytes";
    /// An enumerated standard tag (`Gender`, `AllowType`, `AdminForbidType`) given a value
    /// outside its list.
    ProfileValueInvalid = 40605, "invalid value for a standard profile tag";
    ProfileValueTypeMismatch = 40610, "the value's type does not match the tag";

    // ---- group service (group-messages.md §14) ----
    GroupInternal = 10002, "internal server error: retry";
    GroupUnknownCommand = 10003, "invalid command word";
    GroupInvalidParameter = 10004, "invalid parameter";
    GroupTooManyAccounts = 10005, "too many accounts in the request";
    /// The group service's call-rate refusal: send_broadcast_msg past its 1 or 5 per second
    /// (groups-more.md §7.7), under the app's `group_rate_limits` only.
    GroupRateLimited = 10006, "operation rate limit exceeded";
    /// No permission: an operation the group type does not support, or a caller without rights.
    GroupPermissionDenied = 10007, "insufficient permission, or the operation is not supported by this group type";
    GroupNotFound = 10010, "the group does not exist or was dissolved";
    GroupFull = 10014, "the group is full";
    GroupInvalidId = 10015, "invalid group ID";
    GroupRefusedByCallback = 10016, "the app's backend refused the request through its callback";
    GroupSenderMuted = 10017, "the sender is muted in this group";
    GroupResponseTooLarge = 10018, "the response would exceed 1 MB: page the request";
    GroupAccountNotFound = 10019, "an account in the request does not exist";
    GroupIdInUse = 10021, "the group ID is already in use";
    /// Over 40 messages a second in one group, with `rate_limits = "cloud"` (limits.md §3).
    GroupMsgFrequency = 10023, "the group's message frequency exceeds the limit";
    GroupIdInUseByOwner = 10025, "the group ID is in use and the operator is its owner";
    RecallMsgNotFound = 10030, "the message to recall does not exist";
    /// A member's recall of their own message past the recall window (members.md §3).
    GroupRecallTimeLimit = 10031, "the message is past the recall time limit";
    GroupMemberLimit = 10038, "the member count exceeds the group's limit";
    /// group_msg_get_simple on a type without roaming (AVChatRoom); our choice, group-messages.md §5.
    GroupNoRoaming = 10044, "this group type does not store message history";
    GroupTooManyAt = 10053, "more than 30 @ mentions";
    // groups-more.md §3–§6: attributes, counters, read receipts.
    GroupAttrKeyTooLong = 10045, "a group attribute key is longer than 32 bytes";
    GroupAttrValueTooLong = 10046, "a group attribute value is longer than 4,000 bytes";
    GroupAttrTooManyKeys = 10047, "a group may have at most 16 attributes";
    GroupAttrTotalTooLarge = 10048, "the group attributes' values may total at most 16,000 bytes";
    /// More than 5 attribute writes a second to one group (groups-more.md §3.1), under the
    /// app's `group_rate_limits` only.
    GroupAttrRateLimited = 10049, "too many group attribute writes a second for this group";
    GroupAttrKeyNotFound = 10050, "the group attribute key does not exist";
    /// A feature the app's configuration turns off (`features_off`; the cloud's edition or
    /// console switch, groups-more.md §11.1).
    GroupFeatureNotInEdition = 10059, "this feature is not available in the app's edition";
    /// send_group_msg with `NeedReadReceipt` in a group of more than 200 members.
    GroupReceiptTooManyMembers = 10060, "read receipts are not available in groups of more than 200 members";
    /// send_group_msg with both `NeedReadReceipt` and `OnlineOnlyFlag`.
    GroupReceiptOnlineOnly = 10061, "online-only messages cannot ask for read receipts";
    /// A seq that has no read-receipt data (no such message, or sent without `NeedReadReceipt`).
    GroupReceiptNotFound = 10062, "the message has no read receipt data";
    GroupCounterTooManyKeys = 10063, "a group may have at most 20 counter keys";

    // ---- recent contacts, recentcontact (recent-contacts.md §11) ----
    /// `From_Account` is not an imported account (documented on delete and top; we use it
    /// for every command of the service).
    ContactAccountNotFound = 50001, "the UserID has not been imported";
    /// A field is missing or invalid; also our choice for the contact-group conflicts the
    /// docs leave open (a name in use, an unknown group).
    ContactInvalidParameter = 50002, "request parameters are wrong";
    ContactInternal = 50004, "internal server error: retry";
    /// Conversation-group or mark capacity exceeded (1 000 conversations); also our choice
    /// for the 21st conversation group.
    ContactCapacity = 51008, "conversation group or mark capacity exceeded";
    // ---- relationships: sns and follow (relationships.md §23) ----
    /// A request parameter is wrong, or a state conflict (already a friend, not a friend,
    /// already blocked, not blocked: relationships.md §0.7).
    SnsInvalidParameter = 30001, "request parameter error, or the relationship is already in (or not in) the requested state";
    /// The requested account was never imported.
    SnsAccountNotFound = 30003, "the requested account does not exist";
    /// A relationship field (remark, friend-list name) holds one of the app's dirty words.
    SnsDirtyWord = 30005, "a relationship field contains a sensitive word";
    SnsInternal = 30006, "internal server error: retry";
    /// The requester's `Tag_Profile_IM_AdminForbidType` is `AdminForbid_Type_SendOut`.
    SnsAddForbidden = 30009, "this user is forbidden to send friend requests";
    /// The own friend table (or, for follow, the own following list) is full.
    SnsFriendsFull = 30010, "the friend count has reached the limit";
    SnsListsFull = 30011, "the friend list count has reached the limit";
    SnsPendingFull = 30012, "the pending friend request count has reached the limit";
    SnsBlocklistFull = 30013, "the blocklist count has reached the limit";
    SnsPeerFriendsFull = 30014, "the other user's friend count has reached the limit";
    SnsPeerInBlocklist = 30515, "the other user is in the requester's blocklist";
    SnsPeerDeniesAll = 30516, "the other user accepts no friend requests";
    SnsRequesterBlocked = 30525, "the requester is in the other user's blocklist";
    /// A success variant: the request waits for the other user's confirmation.
    SnsPendingCreated = 30539, "a friend request was sent and waits for the other user's confirmation";
    SnsGetListNotFriend = 31211, "the requested user is not a friend";
    SnsListMemberNotFriend = 32216, "the user to put into the friend list is not a friend";

    // ---- message service, openim (c2c-messages.md §11) ----
    C2cRefusedByCallback = 20006, "the app's backend refused the message through its callback";
    /// A member's one-to-one send while `setnospeaking` mutes them (push-and-operations.md
    /// §2.1; REST `sendmsg` ignores the mute, as documented).
    C2cSenderMuted = 20012, "the sender is muted";
    /// A member's recall of their own message past the recall window (members.md §3).
    C2cRecallTimeLimit = 20016, "the message is past the recall time limit";
    MsgNotFound = 20022, "the message does not exist";
    MsgAlreadyRecalled = 20023, "the message has already been recalled";
    MsgFiltered = 80001, "the message content failed the text filter";
    MsgTooLong = 80002, "the message is too long";
    OpenimJsonParse = 90001, "failed to parse the JSON body";
    MsgBodyFormat = 90002, "MsgBody does not follow the message element format";
    /// `To_Account` (or `Peer_Account`) missing, malformed or of no account.
    ToAccountInvalid = 90003, "To_Account is missing or does not exist";
    MsgRandomInvalid = 90005, "MsgRandom is missing or not a 32-bit unsigned integer";
    MsgTimeStampInvalid = 90006, "MsgTimeStamp is missing or invalid";
    MsgBodyNotArray = 90007, "MsgBody is not an array";
    /// `From_Account` (or `Operator_Account`, `Report_Account`) missing, malformed or of no
    /// account.
    FromAccountInvalid = 90008, "From_Account is missing or does not exist";
    MsgElemFormat = 90010, "the message does not follow the element format";
    /// More than 500 target accounts (batchsendmsg, query_online_status).
    TooManyTargets = 90011, "more than 500 target accounts";
    /// sendmsg / importmsg to an account that was never imported.
    ToAccountNotFound = 90012, "To_Account is not registered or does not exist";
    /// A negative `MsgLifeTime` (larger values are treated as 7 days).
    MsgLifeTimeInvalid = 90026, "MsgLifeTime is invalid: at most 7 days";
    SyncOtherMachineInvalid = 90031, "SyncOtherMachine is not a valid integer";
    MsgLifeTimeNotInteger = 90044, "MsgLifeTime is not an integer";
    MsgKeyInvalid = 90054, "MsgKey is invalid";
    OpenimInternal = 91000, "internal server error: retry";

    // ---- message extensions, openim_msg_ext_http_svc (groups-more.md §9.2) ----
    /// A KV written with a stale `Seq`: only a client's (SDK) write is version-checked, never
    /// a REST admin's, so timber's REST API does not return it (listed for completeness).
    ExtensionConflict = 23001, "several users changed the same message extension at once";
    /// Per KV of a delete: the key is not set on the message (inferred placement).
    ExtensionNotFound = 23004, "the message extension to delete does not exist";
    /// Our choice for any request body over the configured size limit.
    BodyTooLarge = 93000, "the JSON packet is too long";

    // ---- push to all users, all_member_push (push-and-operations.md §1.12) ----
    PushAdminRequired = 90009, "the request requires App admin permission";
    PushTooManyAccounts = 90018, "more than 100 accounts in the request";
    PushTagTooLong = 90020, "a tag is longer than 50 bytes";
    PushTagInBoth = 90022, "the same tag is in both TagsOr and TagsAnd";
    /// Only with the app's `push_limits` (the cloud's limits).
    PushTooSoon = 90024, "two pushes less than 1 second apart";
    /// More than 10 tags in a condition or an add request; also our choice for a user that
    /// would carry more than 100 tags.
    PushTooManyTags = 90032, "too many tags in the condition or the request";
    /// An unknown attribute name, a slot outside 0–9, a value that is not a string or is
    /// over 50 bytes (inferred mapping).
    PushAttrInvalid = 90033, "invalid attribute";
    PushAttrAndTag = 90039, "attribute and tag conditions cannot be used together";
    PushEmptyTag = 90040, "a tag is empty";
    PushNotEnabled = 90045, "push to all users is not enabled for the app";
    /// Only with the app's `push_limits`.
    PushDailyQuota = 90047, "the daily push quota is used up";

    // ---- official accounts, official_account_open_http_svc (push-and-operations.md §5.14) ----
    /// The body is not JSON (the service's "invalid request packet").
    OfficialJsonParse = 20001, "invalid request packet";

    // ---- global mute and operations, openconfigsvr (push-and-operations.md §2, §3.1) ----
    ConfigJsonParse = 130001, "failed to parse the JSON body";
    GetAccountMissing = 130002, "Get_Account is missing";
    GetAccountInvalid = 130003, "Get_Account is not a string";
    SetAccountMissing = 130004, "Set_Account is missing";
    SetAccountInvalid = 130005, "Set_Account is invalid";
    C2cNoSpeakingInvalid = 130006, "C2CmsgNospeakingTime is not a valid number of seconds";
    GroupNoSpeakingInvalid = 130007, "GroupmsgNospeakingTime is not a valid number of seconds";
    NoSpeakingNoField = 130008, "give C2CmsgNospeakingTime, GroupmsgNospeakingTime or both";
    /// getappinfo: the counters could not be read.
    AppInfoQuery = 130011, "querying the operations data failed";
    ConfigInternal = 130014, "system error: retry";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// A failure that becomes the response's `ErrorCode` and `ErrorInfo`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} {info}")]
pub struct Error {
    pub code: ErrorCode,
    pub info: String,
}

impl Error {
    pub fn new(code: ErrorCode, info: impl Into<String>) -> Self {
        Error {
            code,
            info: info.into(),
        }
    }
}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        Error {
            code,
            info: code.meaning().to_owned(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_have_meanings() {
        let mut seen = HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate code {}", c.code());
            assert!(!c.meaning().is_empty());
        }
    }
}
