//! Global mutes and push to all users: the stored mutes, slot names, attributes, tags, push
//! tasks with their de-duplication and their delivery in batches, refusals that write
//! nothing, and tenancy. spec: push-and-operations.md §1, §2, §8.

use crate::on_every_backend;
use serde_json::json;
use timber_core::nospeaking::{MuteEnds, SetMute, FOREVER};
use timber_core::push::Condition;
use timber_core::ErrorCode;
use timber_store::push::NewPush;
use timber_store::{NewAccount, Store, StoreError};

const APP: u64 = 1400000001;
const OTHER_APP: u64 = 1400000002;

fn code<T: std::fmt::Debug>(r: Result<T, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Domain(e)) => e.code,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

fn push(random: u32, condition: Condition, now: i64) -> NewPush {
    NewPush {
        sender: "admin".into(),
        random,
        life_time: 60,
        condition,
        body: r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]"#.into(),
        offline: None,
        now,
        limits: true,
    }
}

async fn deliver(s: &dyn Store, app: u64, counter: u64, limit: usize) -> usize {
    let mut batches = 0;
    while !s.deliver_push_batch(app, counter, limit).await.unwrap() {
        batches += 1;
        assert!(batches < 1000);
    }
    batches + 1
}

#[tokio::test]
async fn global_mutes_are_kept_per_app() {
    on_every_backend(|s| async move {
        s.set_no_speaking(
            APP,
            "u".into(),
            SetMute {
                c2c: Some(100),
                group: Some(u32::MAX as u64),
            },
            1000,
        )
        .await
        .unwrap();
        assert_eq!(
            s.get_no_speaking(APP, "u".into()).await.unwrap(),
            MuteEnds {
                c2c: 1100,
                group: FOREVER
            }
        );
        s.set_no_speaking(
            APP,
            "u".into(),
            SetMute {
                c2c: None,
                group: Some(0),
            },
            1001,
        )
        .await
        .unwrap();
        assert_eq!(
            s.get_no_speaking(APP, "u".into()).await.unwrap(),
            MuteEnds {
                c2c: 1100,
                group: 0
            }
        );
        assert_eq!(
            s.get_no_speaking(OTHER_APP, "u".into()).await.unwrap(),
            MuteEnds::default()
        );
    })
    .await;
}

#[tokio::test]
async fn attributes_and_tags() {
    on_every_backend(|s| async move {
        s.set_attr_names(
            APP,
            vec![("0".into(), "city".into()), ("3".into(), "tier".into())],
        )
        .await
        .unwrap();
        assert_eq!(
            s.get_attr_names(APP).await.unwrap(),
            vec![(0, "city".to_owned()), (3, "tier".to_owned())]
        );
        assert_eq!(s.get_attr_names(OTHER_APP).await.unwrap(), vec![]);
        s.set_attrs(
            APP,
            vec![(
                "u".into(),
                vec![("city".into(), json!("sz")), ("tier".into(), json!("1"))],
            )],
        )
        .await
        .unwrap();
        // A refusal writes nothing, not even the valid entries before it.
        assert_eq!(
            code(
                s.set_attrs(
                    APP,
                    vec![
                        ("v".into(), vec![("city".into(), json!("bj"))]),
                        ("w".into(), vec![("nope".into(), json!("x"))])
                    ]
                )
                .await
            ),
            ErrorCode::PushAttrInvalid
        );
        assert_eq!(
            s.get_attrs(APP, vec!["u".into(), "v".into()])
                .await
                .unwrap(),
            vec![
                (
                    "u".to_owned(),
                    vec![
                        ("city".to_owned(), "sz".to_owned()),
                        ("tier".to_owned(), "1".to_owned())
                    ]
                ),
                ("v".to_owned(), vec![])
            ]
        );
        s.remove_attrs(APP, vec![("u".into(), vec!["city".into()])])
            .await
            .unwrap();
        assert_eq!(
            s.get_attrs(APP, vec!["u".into()]).await.unwrap()[0].1,
            vec![("tier".to_owned(), "1".to_owned())]
        );
        assert_eq!(
            s.get_attrs(OTHER_APP, vec!["u".into()]).await.unwrap()[0].1,
            vec![]
        );

        s.add_tags(APP, vec![("u".into(), vec!["b".into(), "a".into()])])
            .await
            .unwrap();
        s.add_tags(APP, vec![("u".into(), vec!["a".into(), "c".into()])])
            .await
            .unwrap();
        assert_eq!(
            s.get_tags(APP, vec!["u".into()]).await.unwrap()[0].1,
            vec!["b", "a", "c"]
        );
        let many: Vec<String> = (0..98).map(|i| i.to_string()).collect();
        assert_eq!(
            code(s.add_tags(APP, vec![("u".into(), many)]).await),
            ErrorCode::PushTooManyTags
        );
        s.remove_tags(APP, vec![("u".into(), vec!["a".into(), "zz".into()])])
            .await
            .unwrap();
        assert_eq!(
            s.get_tags(APP, vec!["u".into()]).await.unwrap()[0].1,
            vec!["b", "c"]
        );
        assert_eq!(
            s.get_tags(OTHER_APP, vec!["u".into()]).await.unwrap()[0].1,
            Vec::<String>::new()
        );
        s.remove_all_tags(APP, vec!["u".into()]).await.unwrap();
        assert!(s.get_tags(APP, vec!["u".into()]).await.unwrap()[0]
            .1
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn push_tasks_dedup_limits_and_batched_delivery() {
    on_every_backend(|s| async move {
        let users: Vec<NewAccount> = (0..25)
            .map(|i| NewAccount::bare(format!("u{i:02}")))
            .collect();
        s.import_accounts(APP, users, 1).await.unwrap();
        s.import_accounts(APP, vec![NewAccount::bare("admin")], 1)
            .await
            .unwrap();
        s.import_accounts(OTHER_APP, vec![NewAccount::bare("elsewhere")], 1)
            .await
            .unwrap();
        let now = 1_796_605_200;
        let first = s
            .create_push(APP, push(5, Condition::default(), now))
            .await
            .unwrap();
        assert!(first.fresh);
        assert_eq!(first.counter, 1);
        // The same MsgRandom within 7 days is the same task.
        let again = s
            .create_push(APP, push(5, Condition::default(), now + 10))
            .await
            .unwrap();
        assert_eq!(
            (again.task_id.as_str(), again.fresh),
            (first.task_id.as_str(), false)
        );
        // Under the limits, a new push within the second is 90024.
        assert_eq!(
            code(s.create_push(APP, push(6, Condition::default(), now)).await),
            ErrorCode::PushTooSoon
        );
        // Delivered in batches of 10: three batches, the sender left out.
        assert_eq!(deliver(&*s, APP, first.counter, 10).await, 3);
        let task = s
            .push_task(APP, first.task_id.clone())
            .await
            .unwrap()
            .unwrap();
        assert!(task.done);
        assert_eq!(task.recipients, 25);
        let got = s.push_recipients(APP, first.counter).await.unwrap();
        assert_eq!(got.len(), 25);
        assert!(got
            .iter()
            .all(|(u, e)| u.starts_with('u') && *e == now + 60));
        assert!(s.unfinished_pushes().await.unwrap().is_empty());

        // By tag.
        s.add_tags(
            APP,
            vec![
                ("u03".into(), vec!["vip".into()]),
                ("u07".into(), vec!["vip".into()]),
            ],
        )
        .await
        .unwrap();
        let c = Condition {
            tags_or: vec!["vip".into()],
            ..Default::default()
        };
        let tagged = s.create_push(APP, push(7, c, now + 2)).await.unwrap();
        assert_eq!(tagged.counter, 2);
        assert_eq!(
            s.unfinished_pushes().await.unwrap(),
            vec![(APP, tagged.counter)]
        );
        deliver(&*s, APP, tagged.counter, 10).await;
        let got: Vec<String> = s
            .push_recipients(APP, tagged.counter)
            .await
            .unwrap()
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        assert_eq!(got, vec!["u03", "u07"]);
        // An attribute name no slot has is 90033.
        let c = Condition {
            attrs_and: vec![("city".into(), "sz".into())],
            ..Default::default()
        };
        assert_eq!(
            code(s.create_push(APP, push(8, c, now + 3)).await),
            ErrorCode::PushAttrInvalid
        );
        // Tenancy: the other app's task list is its own.
        assert_eq!(s.push_task(OTHER_APP, first.task_id).await.unwrap(), None);
        let other = s
            .create_push(OTHER_APP, push(5, Condition::default(), now))
            .await
            .unwrap();
        assert!(other.fresh);
        assert_eq!(other.counter, 1);
        deliver(&*s, OTHER_APP, other.counter, 10).await;
        let got = s.push_recipients(OTHER_APP, other.counter).await.unwrap();
        assert_eq!(got, vec![("elsewhere".to_owned(), now + 60)]);
    })
    .await;
}

#[tokio::test]
async fn dirty_words_filter_sends_of_their_app() {
    on_every_backend(|s| async move {
        s.add_dirty_words(APP, vec!["spam".into(), "b".into()])
            .await
            .unwrap();
        s.add_dirty_words(APP, vec!["spam".into()]).await.unwrap();
        assert_eq!(s.get_dirty_words(APP).await.unwrap(), vec!["b", "spam"]);
        assert!(s.get_dirty_words(OTHER_APP).await.unwrap().is_empty());
        let fifty: Vec<String> = (0..49).map(|i| format!("w{i}")).collect();
        assert_eq!(
            code(s.add_dirty_words(APP, fifty).await),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(s.get_dirty_words(APP).await.unwrap().len(), 2);
        s.delete_dirty_words(APP, vec!["b".into(), "x".into()])
            .await
            .unwrap();
        assert_eq!(s.get_dirty_words(APP).await.unwrap(), vec!["spam"]);
    })
    .await;
}

#[tokio::test]
async fn app_counts_come_from_the_stored_rows() {
    use timber_core::appinfo::day_of;
    on_every_backend(|s| async move {
        let now = 1_796_605_200;
        s.import_accounts(
            APP,
            vec![NewAccount::bare("a"), NewAccount::bare("b")],
            now - 86_400 * 40,
        )
        .await
        .unwrap();
        s.import_accounts(APP, vec![NewAccount::bare("c")], now)
            .await
            .unwrap();
        let today = day_of(now);
        let counts = s.app_counts(APP, today - 29).await.unwrap();
        assert_eq!(counts.registered_before, 2);
        assert_eq!(counts.first_day, Some(day_of(now - 86_400 * 40)));
        assert_eq!(counts.days[&today].registered, 1);
        let other = s.app_counts(OTHER_APP, today - 29).await.unwrap();
        assert_eq!(other.first_day, None);
        assert!(other.days.is_empty());
    })
    .await;
}

#[tokio::test]
async fn banned_files_per_app() {
    on_every_backend(|s| async move {
        s.set_file_banned(APP, "u1".into(), true).await.unwrap();
        s.set_file_banned(APP, "u1".into(), true).await.unwrap();
        assert_eq!(
            s.files_banned(APP, vec!["u1".into(), "u2".into()])
                .await
                .unwrap(),
            vec![true, false]
        );
        assert_eq!(
            s.files_banned(OTHER_APP, vec!["u1".into()]).await.unwrap(),
            vec![false]
        );
        s.set_file_banned(APP, "u1".into(), false).await.unwrap();
        assert_eq!(
            s.files_banned(APP, vec!["u1".into()]).await.unwrap(),
            vec![false]
        );
    })
    .await;
}

#[tokio::test]
async fn keyword_libraries() {
    use timber_core::moderation::{Blocking, Keyword};
    let kw = |w: &str, filter_type: i64, label: &str| Keyword {
        id: 0,
        keyword: w.into(),
        word_type: 1,
        filter_type,
        replaced: String::new(),
        label: label.into(),
        created: 0,
    };
    on_every_backend(|s| async move {
        s.add_keywords(
            APP,
            String::new(),
            vec![kw("a", 2, ""), kw("b", 1, ""), kw("a", 2, "")],
            5,
        )
        .await
        .unwrap();
        let (total, regs, page) = s
            .list_keywords(APP, String::new(), None, None, 0, 100)
            .await
            .unwrap();
        assert_eq!((total, regs, page.len()), (2, 0, 2));
        assert_eq!((page[0].id, page[0].created), (1, 5));
        s.add_keywords(APP, "lib".into(), vec![kw("c", 2, "Ad")], 6)
            .await
            .unwrap();
        assert_eq!(
            s.list_keyword_libraries(APP).await.unwrap(),
            vec![("lib".to_owned(), 1, 6)]
        );
        s.add_keywords(
            APP,
            String::new(),
            vec![
                Keyword {
                    word_type: 2,
                    ..kw("^r+$", 2, "")
                },
                Keyword {
                    word_type: 2,
                    ..kw("^s+$", 1, "")
                },
            ],
            7,
        )
        .await
        .unwrap();
        s.add_dirty_words(APP, vec!["d".into()]).await.unwrap();
        let b = |k: &str, regex: bool, label: &str| Blocking {
            keyword: k.into(),
            regex,
            label: label.into(),
        };
        // Dirty words, local blocking keywords (words and regular expressions; not the
        // replacing ones), then cloud keywords with their labels.
        assert_eq!(
            s.moderation_words(APP).await.unwrap(),
            vec![
                b("d", false, "Illegal"),
                b("a", false, "Illegal"),
                b("^r+$", true, "Illegal"),
                b("c", false, "Ad")
            ]
        );
        let gone = s
            .delete_keywords(
                APP,
                String::new(),
                vec![(Some(1), String::new()), (None, "zz".into())],
            )
            .await
            .unwrap();
        assert_eq!(gone, vec![Some(1), None]);
        assert!(s
            .list_keyword_libraries(OTHER_APP)
            .await
            .unwrap()
            .is_empty());
        assert!(s.moderation_words(OTHER_APP).await.unwrap().is_empty());
    })
    .await;
}
