//! Profiles: portrait_set's writes and refusals, portrait_get's reads, and the profile rows
//! account import and delete write. spec: profiles.md.

use crate::on_every_backend;
use serde_json::json;
use timber_core::profile::{CustomTag, ProfileItem, RawItem, TagValue, IMAGE, NICK};
use timber_core::ErrorCode;
use timber_store::{NewAccount, Store, StoreError};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;

fn raw(tag: &str, value: serde_json::Value) -> RawItem {
    RawItem {
        tag: tag.into(),
        value,
    }
}

fn text(tag: &str, v: &str) -> ProfileItem {
    ProfileItem::new(tag, TagValue::Str(v.into()))
}

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

/// `user`'s stored items, sorted by tag; `None` for no account.
async fn stored(s: &dyn Store, app: u64, user: &str) -> Option<Vec<ProfileItem>> {
    let mut got = s.get_portraits(app, vec![user.into()]).await.unwrap();
    let (name, items) = got.pop().unwrap();
    assert_eq!(name, user);
    items.map(|mut items| {
        items.sort_by(|a, b| a.tag.cmp(&b.tag));
        items
    })
}

fn with_profile(user: &str, nick: Option<&str>, face: Option<&str>) -> NewAccount {
    NewAccount {
        user_id: user.into(),
        nick: nick.map(Into::into),
        face_url: face.map(Into::into),
    }
}

#[tokio::test]
async fn set_writes_typed_values_and_get_reads_them_back() {
    on_every_backend(|s| async move {
        s.import_accounts(APP, vec![NewAccount::bare("a"), NewAccount::bare("b")], 1)
            .await
            .unwrap();
        assert_eq!(stored(&*s, APP, "a").await, Some(vec![]));
        let change = s
            .set_portrait(
                APP,
                "admin".into(),
                "a".into(),
                vec![
                    raw(NICK, json!("Ann")),
                    raw("Tag_Profile_IM_Level", json!(4294967295u64)),
                    raw("Tag_Profile_Custom_Hobby", json!("chess")),
                    raw(NICK, json!("Anna")),
                ],
                None,
            )
            .await
            .unwrap();
        assert_eq!(change.user, "a");
        assert_eq!(change.items.len(), 3, "the repeated tag is written once");
        // A later write replaces the stored value; an empty string is a value.
        s.set_portrait(
            APP,
            "admin".into(),
            "a".into(),
            vec![raw("Tag_Profile_Custom_Hobby", json!(""))],
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            stored(&*s, APP, "a").await.unwrap(),
            vec![
                text("Tag_Profile_Custom_Hobby", ""),
                ProfileItem::new("Tag_Profile_IM_Level", TagValue::U32(u32::MAX)),
                text("Tag_Profile_IM_Nick", "Anna"),
            ]
        );
        assert_eq!(stored(&*s, APP, "b").await, Some(vec![]));
        assert_eq!(stored(&*s, APP, "nobody").await, None);
        let both = s
            .get_portraits(APP, vec!["nobody".into(), "a".into()])
            .await
            .unwrap();
        assert_eq!(both[0], ("nobody".into(), None));
        assert_eq!(both[1].0, "a");
    })
    .await;
}

#[tokio::test]
async fn a_refused_set_writes_nothing() {
    on_every_backend(|s| async move {
        s.import_accounts(APP, vec![with_profile("a", Some("Ann"), None)], 1)
            .await
            .unwrap();
        let before = stored(&*s, APP, "a").await;
        let set =
            |items: Vec<RawItem>| s.set_portrait(APP, "admin".into(), "a".into(), items, None);
        assert_eq!(
            code(
                set(vec![
                    raw(NICK, json!("x")),
                    raw("Tag_Profile_IM_Nope", json!("x"))
                ])
                .await
            ),
            ErrorCode::ProfileTagNotFound
        );
        assert_eq!(
            code(
                set(vec![
                    raw(NICK, json!("x")),
                    raw("Tag_Profile_IM_Role", json!(-1))
                ])
                .await
            ),
            ErrorCode::ProfileValueTypeMismatch
        );
        assert_eq!(
            code(set(vec![raw("Tag_Profile_IM_Gender", json!("Other"))]).await),
            ErrorCode::ProfileValueInvalid
        );
        assert_eq!(
            code(set(vec![raw(NICK, json!("n".repeat(501)))]).await),
            ErrorCode::ProfileValueTooLong
        );
        assert_eq!(
            code(set(vec![raw(NICK, json!("a\0b"))]).await),
            ErrorCode::ProfileInvalidParameter
        );
        let locked = Some(vec![CustomTag {
            tag: "Tag_Profile_Custom_Score".into(),
            admin_read: true,
            admin_write: false,
        }]);
        assert_eq!(
            code(
                s.set_portrait(
                    APP,
                    "admin".into(),
                    "a".into(),
                    vec![raw("Tag_Profile_Custom_Score", json!("1"))],
                    locked
                )
                .await
            ),
            ErrorCode::ProfileNoWritePermission
        );
        assert_eq!(
            code(
                s.set_portrait(
                    APP,
                    "admin".into(),
                    "ghost".into(),
                    vec![raw(NICK, json!("x"))],
                    None
                )
                .await
            ),
            ErrorCode::ProfileAccountNotFound
        );
        assert_eq!(stored(&*s, APP, "a").await, before);
        assert_eq!(stored(&*s, APP, "ghost").await, None);
    })
    .await;
}

#[tokio::test]
async fn import_writes_nick_and_image_and_delete_removes_the_profile() {
    on_every_backend(|s| async move {
        s.import_accounts(
            APP,
            vec![with_profile("a", Some("Ann"), Some("http://f"))],
            1,
        )
        .await
        .unwrap();
        assert_eq!(
            stored(&*s, APP, "a").await.unwrap(),
            vec![text(IMAGE, "http://f"), text(NICK, "Ann")]
        );
        // Import again: a given field overwrites, an absent one stays.
        s.import_accounts(APP, vec![with_profile("a", Some("Anna"), None)], 2)
            .await
            .unwrap();
        assert_eq!(
            stored(&*s, APP, "a").await.unwrap(),
            vec![text(IMAGE, "http://f"), text(NICK, "Anna")]
        );
        // portrait_set and import write the same tag.
        s.set_portrait(
            APP,
            "admin".into(),
            "a".into(),
            vec![raw(NICK, json!("Set"))],
            None,
        )
        .await
        .unwrap();
        s.import_accounts(APP, vec![NewAccount::bare("a")], 3)
            .await
            .unwrap();
        assert_eq!(stored(&*s, APP, "a").await.unwrap()[1], text(NICK, "Set"));
        assert_eq!(
            s.delete_accounts(APP, vec!["a".into()]).await.unwrap(),
            vec![true]
        );
        assert_eq!(stored(&*s, APP, "a").await, None);
        // A re-imported UserID starts with an empty profile.
        s.import_accounts(APP, vec![NewAccount::bare("a")], 4)
            .await
            .unwrap();
        assert_eq!(stored(&*s, APP, "a").await, Some(vec![]));
    })
    .await;
}

#[tokio::test]
async fn profiles_are_per_app() {
    on_every_backend(|s| async move {
        s.import_accounts(APP, vec![with_profile("a", Some("A"), None)], 1)
            .await
            .unwrap();
        s.import_accounts(OTHER_APP, vec![with_profile("a", Some("B"), None)], 1)
            .await
            .unwrap();
        s.set_portrait(
            APP,
            "admin".into(),
            "a".into(),
            vec![raw("Tag_Profile_IM_Role", json!(5))],
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            stored(&*s, OTHER_APP, "a").await.unwrap(),
            vec![text(NICK, "B")]
        );
        s.delete_accounts(OTHER_APP, vec!["a".into()])
            .await
            .unwrap();
        assert_eq!(stored(&*s, APP, "a").await.unwrap().len(), 2);
        assert_eq!(stored(&*s, OTHER_APP, "a").await, None);
        // An account only the other app has is no account here.
        s.import_accounts(OTHER_APP, vec![NewAccount::bare("b")], 1)
            .await
            .unwrap();
        assert_eq!(
            code(
                s.set_portrait(
                    APP,
                    "admin".into(),
                    "b".into(),
                    vec![raw(NICK, json!("x"))],
                    None
                )
                .await
            ),
            ErrorCode::ProfileAccountNotFound
        );
    })
    .await;
}
