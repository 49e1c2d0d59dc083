//! User profiles: the tags an account carries, their types and checks, the per-app registry
//! of custom tags, and the decisions of `profile/portrait_set` and `portrait_get`.
//! spec: profiles.md.
//!
//! A profile is a set of (tag, value) pairs of one imported account. Standard tags
//! (`Tag_Profile_IM_*`, [`STANDARD_TAGS`]) are fixed, each with its type and allowed values;
//! custom tags (`Tag_Profile_Custom_` + 1–8 ASCII letters) hold strings and, where the app
//! configured a list of them ([`CustomTags`]), must be on it. A value is stored typed
//! ([`TagValue`]) and given back as it was stored. account_import's `Nick` and `FaceUrl` are
//! the tags [`NICK`] and [`IMAGE`]: there is no other copy of them.

mod get;
mod set;

pub use get::*;
pub use set::*;

use crate::{Error, ErrorCode};
use serde::{Deserialize, Serialize};

pub use crate::account::MAX_PROFILE_VALUE_BYTES;

/// portrait_get reads at most 100 accounts per call (profiles.md §2).
pub const MAX_PORTRAIT_GET_ACCOUNTS: usize = 100;
/// The prefix of every custom tag.
pub const CUSTOM_TAG_PREFIX: &str = "Tag_Profile_Custom_";
/// A custom tag's keyword is 1–8 English letters (profiles.md §0.2, limits.md).
pub const MAX_CUSTOM_KEYWORD_BYTES: usize = 8;
/// The nickname: account_import's `Nick`.
pub const NICK: &str = "Tag_Profile_IM_Nick";
/// The avatar URL: account_import's `FaceUrl`.
pub const IMAGE: &str = "Tag_Profile_IM_Image";
/// portrait_get's `ResultInfo` for an account that does not exist (our string; the
/// documentation gives none, profiles.md §2).
pub const ACCOUNT_NOT_EXIST_INFO: &str = "Err_Profile_Account_Not_Exist";

/// A stored value: standard integer tags hold a u32, every other tag a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagValue {
    U32(u32),
    Str(String),
}

/// A JSON number for an integer tag, a string for a string tag (profiles.md §5: integers are
/// never stringified).
impl Serialize for TagValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TagValue::U32(v) => s.serialize_u32(*v),
            TagValue::Str(v) => s.serialize_str(v),
        }
    }
}

/// One (tag, value) pair, as stored, answered and written: `{"Tag": …, "Value": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileItem {
    #[serde(rename = "Tag")]
    pub tag: String,
    #[serde(rename = "Value")]
    pub value: TagValue,
}

impl ProfileItem {
    pub fn new(tag: &str, value: TagValue) -> ProfileItem {
        ProfileItem {
            tag: tag.to_owned(),
            value,
        }
    }
}

/// What a standard tag holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// Free text of at most 500 bytes.
    Str,
    /// An unsigned 32-bit integer.
    U32,
    /// One of these strings; the first is the value of a tag never set.
    Enum(&'static [&'static str]),
}

/// One standard tag (profiles.md §0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandardTag {
    pub name: &'static str,
    pub kind: TagKind,
}

impl StandardTag {
    /// What portrait_get answers for the tag when it was never set (profiles.md §0.1,
    /// inferred): `""`, `0`, or the first value of its list.
    pub fn default_value(&self) -> TagValue {
        match self.kind {
            TagKind::Str => TagValue::Str(String::new()),
            TagKind::U32 => TagValue::U32(0),
            TagKind::Enum(values) => TagValue::Str(values[0].to_owned()),
        }
    }
}

const GENDERS: &[&str] = &[
    "Gender_Type_Unknown",
    "Gender_Type_Female",
    "Gender_Type_Male",
];
/// NeedConfirm first: it is what a user who never chose has (relationships.md §0.5).
const ALLOW_TYPES: &[&str] = &[
    "AllowType_Type_NeedConfirm",
    "AllowType_Type_AllowAny",
    "AllowType_Type_DenyAny",
];
const ADMIN_FORBID_TYPES: &[&str] = &["AdminForbid_Type_None", "AdminForbid_Type_SendOut"];

/// Every standard tag. `Location` takes 500 bytes like the other strings (the newer source;
/// older pages say 16), and `MsgSettings` is kept though the newest table dropped it
/// (profiles.md §0.1 notes, inferred).
pub const STANDARD_TAGS: &[StandardTag] = &[
    StandardTag {
        name: NICK,
        kind: TagKind::Str,
    },
    StandardTag {
        name: "Tag_Profile_IM_Gender",
        kind: TagKind::Enum(GENDERS),
    },
    StandardTag {
        name: "Tag_Profile_IM_BirthDay",
        kind: TagKind::U32,
    },
    StandardTag {
        name: "Tag_Profile_IM_Location",
        kind: TagKind::Str,
    },
    StandardTag {
        name: "Tag_Profile_IM_SelfSignature",
        kind: TagKind::Str,
    },
    StandardTag {
        name: "Tag_Profile_IM_AllowType",
        kind: TagKind::Enum(ALLOW_TYPES),
    },
    StandardTag {
        name: "Tag_Profile_IM_Language",
        kind: TagKind::U32,
    },
    StandardTag {
        name: IMAGE,
        kind: TagKind::Str,
    },
    StandardTag {
        name: "Tag_Profile_IM_MsgSettings",
        kind: TagKind::U32,
    },
    StandardTag {
        name: "Tag_Profile_IM_AdminForbidType",
        kind: TagKind::Enum(ADMIN_FORBID_TYPES),
    },
    StandardTag {
        name: "Tag_Profile_IM_Level",
        kind: TagKind::U32,
    },
    StandardTag {
        name: "Tag_Profile_IM_Role",
        kind: TagKind::U32,
    },
];

/// The standard tag of this name, if it is one.
pub fn standard_tag(name: &str) -> Option<&'static StandardTag> {
    STANDARD_TAGS.iter().find(|t| t.name == name)
}

/// Whether `name` is a well-formed custom tag: the prefix and a keyword of 1–8 ASCII letters.
/// The older `Tag_Profile_Custom_888888_Test` form is not (profiles.md §0.2, inferred).
pub fn is_custom_tag_name(name: &str) -> bool {
    name.strip_prefix(CUSTOM_TAG_PREFIX).is_some_and(|keyword| {
        (1..=MAX_CUSTOM_KEYWORD_BYTES).contains(&keyword.len())
            && keyword.bytes().all(|b| b.is_ascii_alphabetic())
    })
}

/// A custom tag an app registered (the console's list, here per-app configuration,
/// profiles.md §0.2). Only the admin half of its permissions matters to a REST server; both
/// default to allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomTag {
    /// The full name, `Tag_Profile_Custom_` and its keyword.
    pub tag: String,
    /// The admin may read it (portrait_get); else 40007.
    #[serde(default = "allowed")]
    pub admin_read: bool,
    /// The admin may write it (portrait_set); else 40008.
    #[serde(default = "allowed")]
    pub admin_write: bool,
}

const fn allowed() -> bool {
    true
}

/// An app's custom tags: `None` (the default, development mode) accepts every well-formed
/// custom tag, readable and writable by the admin; a list accepts only the tags on it, with
/// their permissions (profiles.md §0.2, inferred).
pub type CustomTags = Option<Vec<CustomTag>>;

/// Checks an app's configured list: every name well-formed, none twice.
pub fn check_custom_tags(tags: &[CustomTag]) -> Result<(), String> {
    for (i, t) in tags.iter().enumerate() {
        if !is_custom_tag_name(&t.tag) {
            return Err(format!(
                "profile custom tag {:?} is not {CUSTOM_TAG_PREFIX} followed by 1–{MAX_CUSTOM_KEYWORD_BYTES} ASCII letters",
                t.tag
            ));
        }
        if tags[..i].iter().any(|o| o.tag == t.tag) {
            return Err(format!("profile custom tag {:?} is listed twice", t.tag));
        }
    }
    Ok(())
}

/// Whether a tag is read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// What a tag name resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagRule {
    Standard(&'static StandardTag),
    /// A custom tag: a string of at most 500 bytes.
    Custom,
}

/// The rule of tag `name` for an admin's `access`: 40009 for a tag that does not exist (not
/// standard, not a well-formed custom tag, or not on the app's list), 40007 / 40008 for a
/// listed custom tag the admin may not read / write. Standard tags are open to the admin
/// (profiles.md §0, inferred).
pub fn resolve_tag(name: &str, custom: &CustomTags, access: Access) -> Result<TagRule, Error> {
    if let Some(t) = standard_tag(name) {
        return Ok(TagRule::Standard(t));
    }
    let not_found = || {
        Error::new(
            ErrorCode::ProfileTagNotFound,
            format!("tag {:?} does not exist", crate::text::shortened(name, 64)),
        )
    };
    if !is_custom_tag_name(name) {
        return Err(not_found());
    }
    let Some(list) = custom else {
        return Ok(TagRule::Custom);
    };
    let registered = list.iter().find(|t| t.tag == name).ok_or_else(not_found)?;
    match access {
        Access::Read if !registered.admin_read => Err(Error::new(
            ErrorCode::ProfileNoReadPermission,
            format!("the admin may not read {name}"),
        )),
        Access::Write if !registered.admin_write => Err(Error::new(
            ErrorCode::ProfileNoWritePermission,
            format!("the admin may not write {name}"),
        )),
        _ => Ok(TagRule::Custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_tag_names() {
        for ok in [
            "Tag_Profile_Custom_Hobby",
            "Tag_Profile_Custom_a",
            "Tag_Profile_Custom_ABCDefgh",
        ] {
            assert!(is_custom_tag_name(ok), "{ok}");
        }
        for bad in [
            "Tag_Profile_Custom_",
            "Tag_Profile_Custom_ABCDefghi",
            "Tag_Profile_Custom_888888_Test",
            "Tag_Profile_Custom_Hob_by",
            "Tag_Profile_Custom_Hobé",
            "tag_profile_custom_Hobby",
            "Hobby",
        ] {
            assert!(!is_custom_tag_name(bad), "{bad}");
        }
    }

    #[test]
    fn tags_resolve_with_the_apps_list() {
        let open: CustomTags = None;
        let code = |r: Result<TagRule, Error>| r.unwrap_err().code;
        assert!(matches!(
            resolve_tag(NICK, &open, Access::Write),
            Ok(TagRule::Standard(_))
        ));
        assert_eq!(
            resolve_tag("Tag_Profile_Custom_Any", &open, Access::Write),
            Ok(TagRule::Custom)
        );
        assert_eq!(
            code(resolve_tag("Tag_Profile_IM_Nope", &open, Access::Read)),
            ErrorCode::ProfileTagNotFound
        );
        let list: CustomTags = Some(vec![
            CustomTag {
                tag: "Tag_Profile_Custom_Open".into(),
                admin_read: true,
                admin_write: true,
            },
            CustomTag {
                tag: "Tag_Profile_Custom_Locked".into(),
                admin_read: false,
                admin_write: false,
            },
        ]);
        assert_eq!(
            resolve_tag("Tag_Profile_Custom_Open", &list, Access::Write),
            Ok(TagRule::Custom)
        );
        assert_eq!(
            code(resolve_tag(
                "Tag_Profile_Custom_Other",
                &list,
                Access::Write
            )),
            ErrorCode::ProfileTagNotFound
        );
        assert_eq!(
            code(resolve_tag(
                "Tag_Profile_Custom_Locked",
                &list,
                Access::Read
            )),
            ErrorCode::ProfileNoReadPermission
        );
        assert_eq!(
            code(resolve_tag(
                "Tag_Profile_Custom_Locked",
                &list,
                Access::Write
            )),
            ErrorCode::ProfileNoWritePermission
        );
    }

    #[test]
    fn configured_lists_are_checked() {
        let tag = |t: &str| CustomTag {
            tag: t.into(),
            admin_read: true,
            admin_write: true,
        };
        assert!(
            check_custom_tags(&[tag("Tag_Profile_Custom_A"), tag("Tag_Profile_Custom_B")]).is_ok()
        );
        assert!(check_custom_tags(&[tag("Hobby")]).is_err());
        assert!(
            check_custom_tags(&[tag("Tag_Profile_Custom_A"), tag("Tag_Profile_Custom_A")]).is_err()
        );
    }

    #[test]
    fn values_serialize_typed() {
        let items = vec![
            ProfileItem::new(NICK, TagValue::Str("n".into())),
            ProfileItem::new("Tag_Profile_IM_Level", TagValue::U32(7)),
        ];
        assert_eq!(
            serde_json::to_string(&items).unwrap(),
            r#"[{"Tag":"Tag_Profile_IM_Nick","Value":"n"},{"Tag":"Tag_Profile_IM_Level","Value":7}]"#
        );
    }
}
