use crate::on_every_backend;
use timber_store::NewAccount;

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;

#[tokio::test]
async fn import_is_idempotent_and_per_app() {
    on_every_backend(|s| async move {
        s.import_accounts(APP, vec![NewAccount::bare("a"), NewAccount::bare("a")], 1)
            .await
            .unwrap();
        s.import_accounts(
            APP,
            vec![NewAccount {
                user_id: "a".into(),
                nick: Some("n".into()),
                face_url: None,
            }],
            2,
        )
        .await
        .unwrap();
        let exist = s
            .accounts_exist(APP, vec!["a".into(), "b".into()])
            .await
            .unwrap();
        assert_eq!(exist, vec![true, false]);
        let other = s.accounts_exist(OTHER_APP, vec!["a".into()]).await.unwrap();
        assert_eq!(other, vec![false], "app B must not see app A's accounts");
    })
    .await;
}

#[tokio::test]
async fn delete_reports_what_existed() {
    on_every_backend(|s| async move {
        s.import_accounts(APP, vec![NewAccount::bare("a")], 1)
            .await
            .unwrap();
        let existed = s
            .delete_accounts(APP, vec!["a".into(), "b".into()])
            .await
            .unwrap();
        assert_eq!(existed, vec![true, false]);
        assert_eq!(
            s.accounts_exist(APP, vec!["a".into()]).await.unwrap(),
            vec![false]
        );
    })
    .await;
}

#[tokio::test]
async fn kick_records_the_revocation_time() {
    on_every_backend(|s| async move {
        assert!(
            !s.kick(APP, "a".into(), 10).await.unwrap(),
            "kicking a missing account"
        );
        s.import_accounts(APP, vec![NewAccount::bare("a")], 1)
            .await
            .unwrap();
        assert_eq!(s.revoked_before(APP, "a").await.unwrap(), None);
        assert!(s.kick(APP, "a".into(), 10).await.unwrap());
        assert_eq!(s.revoked_before(APP, "a").await.unwrap(), Some(10));
        assert_eq!(s.revoked_before(OTHER_APP, "a").await.unwrap(), None);
        s.delete_accounts(APP, vec!["a".into()]).await.unwrap();
        assert_eq!(s.revoked_before(APP, "a").await.unwrap(), None);
    })
    .await;
}

/// A key holding a NUL (which PostgreSQL's text cannot hold) is looked up like any other
/// that nothing has: found nowhere, on every backend, and never a storage failure.
#[tokio::test]
async fn a_key_with_a_nul_is_found_nowhere() {
    on_every_backend(|s| async move {
        s.import_accounts(APP, vec![NewAccount::bare("a")], 1)
            .await
            .unwrap();
        let odd = "a\0".to_owned();
        assert_eq!(
            s.accounts_exist(APP, vec![odd.clone(), "a".into()])
                .await
                .unwrap(),
            vec![false, true]
        );
        assert!(!s.kick(APP, odd.clone(), 5).await.unwrap());
        assert_eq!(s.revoked_before(APP, &odd).await.unwrap(), None);
        assert_eq!(
            s.delete_accounts(APP, vec![odd]).await.unwrap(),
            vec![false]
        );
        assert_eq!(
            s.accounts_exist(APP, vec!["a".into()]).await.unwrap(),
            vec![true]
        );
    })
    .await;
}
