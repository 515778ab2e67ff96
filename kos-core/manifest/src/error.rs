//! What [`Manifest::from_dtb`](crate::Manifest::from_dtb) reports when a manifest breaks
//! a rule: the node, the rule, and what exactly is wrong.
//!
//! The rule is a closed enum so that tools (and the tests) can match on it; its
//! description and id are stable strings, the detail is free text for a person.

use alloc::string::String;
use core::fmt;

/// A manifest that breaks a rule, with the node where it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// Path of the offending node, e.g. `/apps/rng_server` or `/` for the whole blob.
    pub path: String,
    /// The rule the node breaks.
    pub rule: Rule,
    /// What exactly is wrong, for a person to read.
    pub detail: String,
}

impl ManifestError {
    pub(crate) fn new(path: impl Into<String>, rule: Rule, detail: impl Into<String>) -> Self {
        ManifestError {
            path: path.into(),
            rule,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.path,
            self.rule.describe(),
            self.detail
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ManifestError {}

/// The rules a manifest must follow; every [`ManifestError`] names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The blob is not a well-formed flattened device tree.
    NotADeviceTree,
    /// The root `compatible` is missing or does not list [`COMPATIBLE`](crate::COMPATIBLE).
    Compatible,
    /// `/apps` is missing or defines no app.
    MissingNode,
    /// A required property is absent (`kind`; `binary` and `heap_kib`; `app` and `memory_mib`).
    MissingProperty,
    /// A property has the wrong type or encoding, or a value outside its set.
    BadValue,
    /// A property belongs to the other kind of app (`heap_kib` on a beam app, ...).
    PropertyNotForKind,
    /// `heap_kib`, `memory_mib` or a tracing `buffer_kib` is outside its range.
    BudgetOutOfRange,
    /// An app, message-server or protocol name breaks the name syntax or is reserved.
    BadName,
    /// A name appears twice in one list, or two nodes (or properties) share a name.
    Duplicate,
    /// An app's `msg_servers` names a server that `/msg_servers` does not define.
    UnknownMsgServer,
    /// `servers` or `clients` names an app that `/apps` does not define.
    UnknownApp,
    /// An app appears in a message server's access control but is not connected to it.
    NotConnected,
    /// A protocol has no server or more than one.
    ServerCount,
    /// `_root` is a client, serves another protocol, or an app serves `kos_root_protocol`.
    RootMisuse,
    /// A message server has no `dir_access_control` node.
    MissingAccessControl,
    /// A property or node this part of the manifest does not have (a misspelling).
    Unknown,
}

impl Rule {
    /// Every rule, in the order of this enum.
    pub const ALL: [Rule; 16] = [
        Rule::NotADeviceTree,
        Rule::Compatible,
        Rule::MissingNode,
        Rule::MissingProperty,
        Rule::BadValue,
        Rule::PropertyNotForKind,
        Rule::BudgetOutOfRange,
        Rule::BadName,
        Rule::Duplicate,
        Rule::UnknownMsgServer,
        Rule::UnknownApp,
        Rule::NotConnected,
        Rule::ServerCount,
        Rule::RootMisuse,
        Rule::MissingAccessControl,
        Rule::Unknown,
    ];

    /// A short, stable description, the middle part of a [`ManifestError`]'s message.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::NotADeviceTree => "not a device tree blob",
            Rule::Compatible => "not a kos,system-0.10 manifest",
            Rule::MissingNode => "missing node",
            Rule::MissingProperty => "missing property",
            Rule::BadValue => "bad property value",
            Rule::PropertyNotForKind => "property not for this kind of app",
            Rule::BudgetOutOfRange => "budget out of range",
            Rule::BadName => "bad name",
            Rule::Duplicate => "duplicate name",
            Rule::UnknownMsgServer => "unknown message server",
            Rule::UnknownApp => "unknown app",
            Rule::NotConnected => "app not connected to this message server",
            Rule::ServerCount => "protocol needs exactly one server",
            Rule::RootMisuse => "misuse of _root",
            Rule::MissingAccessControl => "missing dir_access_control",
            Rule::Unknown => "unknown property or node",
        }
    }

    /// A stable snake_case identifier, e.g. `unknown_msg_server`, for tools and fixtures.
    pub fn id(self) -> &'static str {
        match self {
            Rule::NotADeviceTree => "not_a_device_tree",
            Rule::Compatible => "compatible",
            Rule::MissingNode => "missing_node",
            Rule::MissingProperty => "missing_property",
            Rule::BadValue => "bad_value",
            Rule::PropertyNotForKind => "property_not_for_kind",
            Rule::BudgetOutOfRange => "budget_out_of_range",
            Rule::BadName => "bad_name",
            Rule::Duplicate => "duplicate",
            Rule::UnknownMsgServer => "unknown_msg_server",
            Rule::UnknownApp => "unknown_app",
            Rule::NotConnected => "not_connected",
            Rule::ServerCount => "server_count",
            Rule::RootMisuse => "root_misuse",
            Rule::MissingAccessControl => "missing_access_control",
            Rule::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn display_is_path_rule_detail() {
        let e = ManifestError::new(
            "/apps/weatherstation",
            Rule::UnknownMsgServer,
            "`msg_servers` names `zone2`, which /msg_servers does not define",
        );
        assert_eq!(
            e.to_string(),
            "/apps/weatherstation: unknown message server: \
             `msg_servers` names `zone2`, which /msg_servers does not define"
        );
    }

    #[test]
    fn ids_and_descriptions_are_distinct() {
        for (i, a) in Rule::ALL.iter().enumerate() {
            for b in &Rule::ALL[i + 1..] {
                assert_ne!(a.id(), b.id());
                assert_ne!(a.describe(), b.describe());
            }
        }
    }
}
