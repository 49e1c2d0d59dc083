use crate::on_every_backend;
use serde_json::json;
use timber_store::{AppDump, NewAccount};

const APP: u64 = 1400000011;
const OTHER_APP: u64 = 1400000012;

fn groups(ids: &[(&str, &str)], first_key: i64) -> AppDump {
    let rows: Vec<serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(i, (id, ty))| {
            json!({"gkey": first_key + i as i64, "group_id": id, "type": ty, "name": id,
                   "create_time": 1, "last_info_time": 1, "max_member_num": 10,
                   "apply_join_option": "FreeAccess", "next_msg_seq": 5, "cleared_upto": 2,
                   "member_num": 3})
        })
        .collect();
    serde_json::from_value(json!({
        "groups": rows,
        "c2c_conversations": [
            {"ckey": first_key, "user_lo": "a", "user_hi": "b", "lo_last_time": 7, "hi_last_time": 9},
            {"ckey": first_key + 1, "user_lo": "b", "user_hi": "c"},
            {"ckey": first_key + 2, "user_lo": "c", "user_hi": "d"},
        ],
    }))
    .unwrap()
}

#[tokio::test]
async fn console_lists_page_and_search_in_index_order() {
    on_every_backend(|s| async move {
        s.import_app(
            APP,
            groups(
                &[
                    ("b-2", "Public"),
                    ("a-1", "Private"),
                    ("b-1", "Public"),
                    ("b-3", "Public"),
                ],
                1,
            ),
        )
        .await
        .unwrap();
        s.import_app(OTHER_APP, groups(&[("b-9", "Public")], 100))
            .await
            .unwrap();
        let users = ["u1", "u2", "u3", "v1", "b"];
        let accounts = users.iter().map(|u| NewAccount::bare(*u)).collect();
        s.import_accounts(APP, accounts, 5).await.unwrap();

        // Groups: GroupId order, a prefix, a cursor, a type; only this app's.
        let all = s
            .groups_page(APP, String::new(), None, String::new(), 10)
            .await
            .unwrap();
        let ids: Vec<&str> = all.rows.iter().map(|g| g.group_id.as_str()).collect();
        assert_eq!(ids, ["a-1", "b-1", "b-2", "b-3"]);
        assert_eq!((all.total, all.next.clone()), (4, None));
        let g = &all.rows[1];
        assert_eq!((g.next_msg_seq, g.cleared_upto, g.member_num), (5, 2, 3));
        let page = s
            .groups_page(APP, "b-".into(), None, String::new(), 2)
            .await
            .unwrap();
        let ids: Vec<&str> = page.rows.iter().map(|g| g.group_id.as_str()).collect();
        assert_eq!(
            (ids, page.next.as_deref()),
            (vec!["b-1", "b-2"], Some("b-2"))
        );
        let rest = s
            .groups_page(APP, "b-".into(), None, "b-2".into(), 2)
            .await
            .unwrap();
        let ids: Vec<&str> = rest.rows.iter().map(|g| g.group_id.as_str()).collect();
        assert_eq!((ids, rest.next), (vec!["b-3"], None));
        let private = s
            .groups_page(
                APP,
                String::new(),
                Some("Private".into()),
                String::new(),
                10,
            )
            .await
            .unwrap();
        assert_eq!(private.rows.len(), 1);
        assert_eq!(private.rows[0].group_id, "a-1");
        let none = s
            .groups_page(APP, "c".into(), None, String::new(), 10)
            .await
            .unwrap();
        assert!(none.rows.is_empty());

        // Accounts: a prefix and a cursor; the limit is at least 1.
        let page = s
            .accounts_page(APP, "u".into(), String::new(), 2)
            .await
            .unwrap();
        let ids: Vec<&str> = page.rows.iter().map(|a| a.user_id.as_str()).collect();
        assert_eq!((ids, page.next.as_deref()), (vec!["u1", "u2"], Some("u2")));
        assert_eq!(page.total, 5);
        assert_eq!(page.rows[0].created_at, 5);
        let rest = s
            .accounts_page(APP, "u".into(), "u2".into(), 2)
            .await
            .unwrap();
        assert_eq!(rest.rows.len(), 1);
        assert_eq!(rest.next, None);
        let one = s
            .accounts_page(APP, String::new(), String::new(), 0)
            .await
            .unwrap();
        assert_eq!(one.rows.len(), 1);

        // Conversations: all, or one account's, in key order.
        let all = s.c2c_page(APP, None, 0, 2).await.unwrap();
        assert_eq!(all.rows.len(), 2);
        assert_eq!(all.rows[0].last_time, 9);
        let rest = s.c2c_page(APP, None, all.next.unwrap(), 2).await.unwrap();
        assert_eq!(rest.rows.len(), 1);
        let of_b = s.c2c_page(APP, Some("b".into()), 0, 10).await.unwrap();
        assert_eq!(of_b.rows.len(), 2);
        assert_eq!(of_b.total, 3);
    })
    .await;
}

#[tokio::test]
async fn an_import_moves_keys_past_every_other_apps() {
    on_every_backend(|s| async move {
        // Both documents use key 1; the second app's rows move, and still point at each
        // other (a member row follows its group).
        s.import_app(OTHER_APP, groups(&[("g", "Public")], 1))
            .await
            .unwrap();
        let mut doc = groups(&[("g", "Public")], 1);
        doc.insert(
            "group_members".into(),
            vec![
                serde_json::from_value(json!({"gkey": 1, "user_id": "m", "role": 300,
                "join_time": 1, "join_seq": 1, "msg_flag": "AcceptAndNotify"}))
                .unwrap(),
            ],
        );
        s.import_app(APP, doc).await.unwrap();
        let out = s.export_app(APP).await.unwrap();
        let gkey = out["groups"][0]["gkey"].as_i64().unwrap();
        assert!(gkey > 3, "moved past the other app's keys: {gkey}");
        assert_eq!(out["group_members"][0]["gkey"].as_i64(), Some(gkey));
        let other = s.export_app(OTHER_APP).await.unwrap();
        assert_eq!(other["groups"][0]["gkey"].as_i64(), Some(1));
        assert_ne!(
            out["c2c_conversations"][0]["ckey"],
            other["c2c_conversations"][0]["ckey"]
        );
    })
    .await;
}
