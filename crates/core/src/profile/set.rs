//! portrait_set: which writes a request makes, or why it makes none. spec: profiles.md §1.

use super::MAX_PROFILE_VALUE_BYTES;
use super::{resolve_tag, Access, CustomTags, ProfileItem, TagKind, TagRule, TagValue};
use crate::{text, Error, ErrorCode};

/// One `ProfileItem` of a request, as it came: its value's JSON type is checked against the
/// tag's.
#[derive(Debug, Clone, PartialEq)]
pub struct RawItem {
    pub tag: String,
    pub value: serde_json::Value,
}

/// A profile that was changed: whose, and every item written (deduplicated, in request
/// order), also those equal to what was stored. What `Profile.CallbackPortraitSet` will
/// carry (profiles.md §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChange {
    pub user: String,
    pub items: Vec<ProfileItem>,
}

/// The writes of portrait_set for `user`'s profile, or the one refusal of the whole request
/// (nothing is written then). The checks come in the documented order (profiles.md §1, order
/// inferred): the account must exist (40003); then over all items, a tag that does not exist
/// (40009), a tag the admin may not write (40008), a value of the wrong JSON type (40610), an
/// enumerated value outside its list (40605), a string over 500 bytes (40601), and last a
/// NUL character, which timber stores nowhere (40001, `text::check_no_nul`). The first check
/// any item fails decides the code; among items failing it, the first item.
///
/// A tag given twice is written once, with the later value, at the place of its first
/// occurrence (inferred). An empty string is a value like any other.
pub fn decide_portrait_set(
    account_exists: bool,
    user: &str,
    items: &[RawItem],
    custom: &CustomTags,
) -> Result<Vec<ProfileItem>, Error> {
    if !account_exists {
        return Err(Error::new(
            ErrorCode::ProfileAccountNotFound,
            format!(
                "From_Account {:?} does not exist",
                text::shortened(user, 64)
            ),
        ));
    }
    let mut first: Option<(u8, Error)> = None;
    let mut out: Vec<ProfileItem> = Vec::with_capacity(items.len());
    for item in items {
        match check_item(item, custom) {
            Ok(checked) => match out.iter_mut().find(|o| o.tag == checked.tag) {
                Some(earlier) => earlier.value = checked.value,
                None => out.push(checked),
            },
            Err((rank, e)) => {
                if first.as_ref().is_none_or(|(r, _)| rank < *r) {
                    first = Some((rank, e));
                }
            }
        }
    }
    match first {
        Some((_, e)) => Err(e),
        None => Ok(out),
    }
}

/// One item's value, or its first failure with the failure's place in the documented order.
fn check_item(item: &RawItem, custom: &CustomTags) -> Result<ProfileItem, (u8, Error)> {
    let tag = item.tag.as_str();
    let rule = resolve_tag(tag, custom, Access::Write).map_err(|e| {
        let rank = if e.code == ErrorCode::ProfileTagNotFound {
            0
        } else {
            1
        };
        (rank, e)
    })?;
    let kind = match rule {
        TagRule::Standard(t) => t.kind,
        TagRule::Custom => TagKind::Str,
    };
    let mismatch = |want: &str| {
        (
            2,
            Error::new(
                ErrorCode::ProfileValueTypeMismatch,
                format!("the Value of {tag} must be {want}"),
            ),
        )
    };
    let value = match (kind, &item.value) {
        (TagKind::U32, serde_json::Value::Number(n)) => n
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .map(TagValue::U32)
            .ok_or_else(|| mismatch("an integer from 0 to 4294967295"))?,
        (TagKind::U32, _) => return Err(mismatch("an integer from 0 to 4294967295")),
        (_, serde_json::Value::String(s)) => TagValue::Str(s.clone()),
        (_, _) => return Err(mismatch("a string")),
    };
    if let (TagKind::Enum(allowed), TagValue::Str(s)) = (kind, &value) {
        if !allowed.contains(&s.as_str()) {
            return Err((
                3,
                Error::new(
                    ErrorCode::ProfileValueInvalid,
                    format!("{tag} must be one of {}", allowed.join(", ")),
                ),
            ));
        }
    }
    if let TagValue::Str(s) = &value {
        if s.len() > MAX_PROFILE_VALUE_BYTES {
            return Err((
                4,
                Error::new(
                    ErrorCode::ProfileValueTooLong,
                    format!(
                        "the Value of {tag} is {} bytes; at most {MAX_PROFILE_VALUE_BYTES} are allowed",
                        s.len()
                    ),
                ),
            ));
        }
        text::check_no_nul(tag, s)
            .map_err(|why| (5, Error::new(ErrorCode::ProfileInvalidParameter, why)))?;
    }
    Ok(ProfileItem::new(tag, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{CustomTag, NICK};
    use serde_json::json;

    fn raw(tag: &str, value: serde_json::Value) -> RawItem {
        RawItem {
            tag: tag.into(),
            value,
        }
    }

    fn code(items: &[RawItem]) -> ErrorCode {
        decide_portrait_set(true, "u", items, &None)
            .unwrap_err()
            .code
    }

    #[test]
    fn values_are_typed_by_their_tag() {
        let items = [
            raw(NICK, json!("Zoë")),
            raw("Tag_Profile_IM_Gender", json!("Gender_Type_Female")),
            raw("Tag_Profile_IM_BirthDay", json!(19900101)),
            raw("Tag_Profile_IM_Level", json!(4294967295u64)),
            raw("Tag_Profile_Custom_Hobby", json!("")),
        ];
        let out = decide_portrait_set(true, "u", &items, &None).unwrap();
        assert_eq!(out[0].value, TagValue::Str("Zoë".into()));
        assert_eq!(out[2].value, TagValue::U32(19900101));
        assert_eq!(out[3].value, TagValue::U32(u32::MAX));
        assert_eq!(out[4].value, TagValue::Str(String::new()));
    }

    #[test]
    fn each_bad_value_has_its_code() {
        use ErrorCode::*;
        let level = "Tag_Profile_IM_Level";
        for v in [
            json!("1"),
            json!(-1),
            json!(4294967296u64),
            json!(1.5),
            json!(null),
            json!([]),
        ] {
            assert_eq!(
                code(&[raw(level, v.clone())]),
                ProfileValueTypeMismatch,
                "{v}"
            );
        }
        assert_eq!(code(&[raw(NICK, json!(1))]), ProfileValueTypeMismatch);
        assert_eq!(
            code(&[raw("Tag_Profile_Custom_A", json!(1))]),
            ProfileValueTypeMismatch
        );
        assert_eq!(
            code(&[raw("Tag_Profile_IM_AllowType", json!("Anyone"))]),
            ProfileValueInvalid
        );
        assert_eq!(
            code(&[raw(NICK, json!("n".repeat(501)))]),
            ProfileValueTooLong
        );
        // Bytes, not characters: 200 three-byte characters are 600 bytes.
        assert_eq!(
            code(&[raw(NICK, json!("中".repeat(200)))]),
            ProfileValueTooLong
        );
        assert!(
            decide_portrait_set(true, "u", &[raw(NICK, json!("n".repeat(500)))], &None).is_ok()
        );
        assert_eq!(code(&[raw(NICK, json!("a\0b"))]), ProfileInvalidParameter);
        assert_eq!(
            code(&[raw("Tag_Profile_IM_Nope", json!("x"))]),
            ProfileTagNotFound
        );
    }

    #[test]
    fn the_first_check_in_the_documented_order_wins() {
        // A too-long nick first, an unknown tag second: 40009 comes before 40601.
        let items = [
            raw(NICK, json!("n".repeat(501))),
            raw("Tag_Profile_IM_Level", json!("x")),
            raw("Tag_Profile_IM_Nope", json!("x")),
        ];
        assert_eq!(code(&items), ErrorCode::ProfileTagNotFound);
        assert_eq!(code(&items[..2]), ErrorCode::ProfileValueTypeMismatch);
        // A missing account comes before everything.
        let e = decide_portrait_set(false, "u", &items, &None).unwrap_err();
        assert_eq!(e.code, ErrorCode::ProfileAccountNotFound);
        let locked = Some(vec![CustomTag {
            tag: "Tag_Profile_Custom_L".into(),
            admin_read: true,
            admin_write: false,
        }]);
        let items = [
            raw("Tag_Profile_IM_Level", json!("x")),
            raw("Tag_Profile_Custom_L", json!("x")),
        ];
        let e = decide_portrait_set(true, "u", &items, &locked).unwrap_err();
        assert_eq!(e.code, ErrorCode::ProfileNoWritePermission);
    }

    #[test]
    fn a_repeated_tag_is_written_once_with_the_later_value() {
        let items = [
            raw(NICK, json!("first")),
            raw("Tag_Profile_IM_Role", json!(1)),
            raw(NICK, json!("second")),
        ];
        let out = decide_portrait_set(true, "u", &items, &None).unwrap();
        assert_eq!(
            out,
            vec![
                ProfileItem::new(NICK, TagValue::Str("second".into())),
                ProfileItem::new("Tag_Profile_IM_Role", TagValue::U32(1)),
            ]
        );
    }
}
