//! portrait_get: what a request may ask for, and the answer per user. spec: profiles.md §2.

use super::{
    resolve_tag, standard_tag, Access, CustomTags, ProfileItem, MAX_PORTRAIT_GET_ACCOUNTS,
};
use crate::{Error, ErrorCode};

/// The accounts to read: 40002 when `To_Account` is missing or empty, 40001 past 100. A
/// UserID given twice is answered once, at its first place (inferred).
pub fn check_portrait_accounts(accounts: Option<Vec<String>>) -> Result<Vec<String>, Error> {
    let accounts = accounts.unwrap_or_default();
    if accounts.is_empty() {
        return Err(Error::new(
            ErrorCode::ProfileNoAccount,
            "To_Account names no account to read",
        ));
    }
    if accounts.len() > MAX_PORTRAIT_GET_ACCOUNTS {
        return Err(Error::new(
            ErrorCode::ProfileInvalidParameter,
            format!(
                "To_Account has {} accounts; at most {MAX_PORTRAIT_GET_ACCOUNTS} are allowed",
                accounts.len()
            ),
        ));
    }
    Ok(dedup(accounts))
}

/// The tags to read: 40001 when `TagList` is missing or empty; the first tag that does not
/// exist (40009) or that the admin may not read (40007) refuses the whole request. A tag
/// given twice is answered once (inferred).
pub fn check_tag_list(
    tags: Option<Vec<String>>,
    custom: &CustomTags,
) -> Result<Vec<String>, Error> {
    let tags = tags.unwrap_or_default();
    if tags.is_empty() {
        return Err(Error::new(
            ErrorCode::ProfileInvalidParameter,
            "TagList names no tag to read",
        ));
    }
    for tag in &tags {
        resolve_tag(tag, custom, Access::Read)?;
    }
    Ok(dedup(tags))
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
    v
}

/// One user's part of the answer: the requested tags, or `None` for an account that does not
/// exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub user: String,
    pub items: Option<Vec<ProfileItem>>,
}

/// The answer from what is stored of each user (`None`: no such account), in request order.
/// Each user's items follow `tags`: a stored value as it was stored, a standard tag never set
/// as its default, a custom tag never set left out (profiles.md §2). 40003 when none of the
/// accounts exists; otherwise a missing one is its own entry.
pub fn portrait_answer(
    stored: Vec<(String, Option<Vec<ProfileItem>>)>,
    tags: &[String],
) -> Result<Vec<UserProfile>, Error> {
    if stored.iter().all(|(_, items)| items.is_none()) {
        return Err(Error::new(
            ErrorCode::ProfileAccountNotFound,
            "none of the accounts in To_Account exists",
        ));
    }
    Ok(stored
        .into_iter()
        .map(|(user, items)| UserProfile {
            user,
            items: items.map(|have| view(&have, tags)),
        })
        .collect())
}

fn view(have: &[ProfileItem], tags: &[String]) -> Vec<ProfileItem> {
    tags.iter()
        .filter_map(|tag| match have.iter().find(|i| &i.tag == tag) {
            Some(i) => Some(i.clone()),
            None => standard_tag(tag).map(|t| ProfileItem::new(tag, t.default_value())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{TagValue, NICK};

    fn strings(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn accounts_and_tags_are_checked() {
        use ErrorCode::*;
        assert_eq!(
            check_portrait_accounts(None).unwrap_err().code,
            ProfileNoAccount
        );
        assert_eq!(
            check_portrait_accounts(strings(&[])).unwrap_err().code,
            ProfileNoAccount
        );
        let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        assert_eq!(
            check_portrait_accounts(Some(many.clone()))
                .unwrap_err()
                .code,
            ProfileInvalidParameter
        );
        assert_eq!(
            check_portrait_accounts(Some(many[..100].to_vec()))
                .unwrap()
                .len(),
            100
        );
        assert_eq!(
            check_portrait_accounts(strings(&["a", "b", "a"])).unwrap(),
            ["a", "b"]
        );
        assert_eq!(
            check_tag_list(None, &None).unwrap_err().code,
            ProfileInvalidParameter
        );
        assert_eq!(
            check_tag_list(strings(&[NICK, "Tag_Profile_IM_X"]), &None)
                .unwrap_err()
                .code,
            ProfileTagNotFound
        );
        assert_eq!(
            check_tag_list(strings(&[NICK, NICK]), &None).unwrap(),
            [NICK]
        );
    }

    #[test]
    fn answers_follow_the_tag_list_with_defaults() {
        let tags: Vec<String> = strings(&[
            "Tag_Profile_Custom_Unset",
            "Tag_Profile_IM_AllowType",
            NICK,
            "Tag_Profile_Custom_Set",
            "Tag_Profile_IM_Level",
        ])
        .unwrap();
        let stored = vec![
            ProfileItem::new("Tag_Profile_Custom_Set", TagValue::Str("v".into())),
            ProfileItem::new(NICK, TagValue::Str("N".into())),
        ];
        let answer =
            portrait_answer(vec![("a".into(), Some(stored)), ("zz".into(), None)], &tags).unwrap();
        assert_eq!(
            answer[0].items.as_ref().unwrap(),
            &vec![
                ProfileItem::new(
                    "Tag_Profile_IM_AllowType",
                    TagValue::Str("AllowType_Type_NeedConfirm".into())
                ),
                ProfileItem::new(NICK, TagValue::Str("N".into())),
                ProfileItem::new("Tag_Profile_Custom_Set", TagValue::Str("v".into())),
                ProfileItem::new("Tag_Profile_IM_Level", TagValue::U32(0)),
            ]
        );
        assert_eq!(answer[1].items, None);
        let none = portrait_answer(vec![("zz".into(), None)], &tags).unwrap_err();
        assert_eq!(none.code, ErrorCode::ProfileAccountNotFound);
    }
}
