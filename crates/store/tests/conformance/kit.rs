use crate::on_every_backend;
use serde_json::json;
use timber_store::{AppDump, NewAccount};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;

#[tokio::test]
async fn reset_export_and_import_an_app() {
    on_every_backend(|s| async move {
        for app in [APP, OTHER_APP] {
            s.import_accounts(app, vec![NewAccount::bare("a"), NewAccount::bare("b")], 1)
                .await
                .unwrap();
        }
        s.kick(APP, "a".into(), 50).await.unwrap();
        let mut dump = s.export_app(APP).await.unwrap();
        assert_eq!(dump["accounts"].len(), 2);
        assert!(!dump["accounts"][0].contains_key("app"));

        s.reset_app(APP).await.unwrap();
        assert_eq!(
            s.accounts_exist(APP, vec!["a".into()]).await.unwrap(),
            [false]
        );
        assert_eq!(s.revoked_before(APP, "a").await.unwrap(), None);
        assert_eq!(
            s.accounts_exist(OTHER_APP, vec!["a".into()]).await.unwrap(),
            [true],
            "a reset is of one app"
        );
        assert!(s.export_app(APP).await.unwrap().is_empty());

        // A group row with its booleans, as a document spells them.
        let group: timber_store::DumpRow = serde_json::from_value(json!({
            "gkey": 777, "group_id": "g", "type": "Public", "name": "n", "create_time": 1,
            "last_info_time": 1, "max_member_num": 10, "apply_join_option": "FreeAccess",
            "mute_all": true, "history_before_join": null, "support_topic": 0
        }))
        .unwrap();
        dump.insert("groups".into(), vec![group]);
        let written = s.import_app(APP, dump).await.unwrap();
        assert_eq!(written, 3);
        assert_eq!(
            s.accounts_exist(APP, vec!["a".into(), "b".into()])
                .await
                .unwrap(),
            [true, true]
        );
        assert_eq!(s.revoked_before(APP, "a").await.unwrap(), Some(50));
        let again = s.export_app(APP).await.unwrap();
        assert_eq!(again["groups"][0]["mute_all"], json!(true));
        assert_eq!(again["groups"][0]["support_topic"], json!(false));
        assert_eq!(again["groups"][0]["gkey"], json!(777));

        // Refused before anything changes.
        let bad: AppDump = serde_json::from_value(json!({"nope": [{"x": 1}]})).unwrap();
        assert!(matches!(
            s.import_app(APP, bad).await,
            Err(timber_store::StoreError::Domain(_))
        ));
        assert_eq!(
            s.accounts_exist(APP, vec!["a".into()]).await.unwrap(),
            [true]
        );
    })
    .await;
}
