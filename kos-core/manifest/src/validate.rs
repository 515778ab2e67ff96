//! The rules that relate nodes to each other: every name an app or an access matrix
//! uses must be defined, each protocol has one server, an app can only be granted a
//! protocol on a message server it is connected to, and `_root` stays in its place.
//!
//! These run on the parsed [`Manifest`], after every per-node rule has held, so the
//! names here are already known to be well-formed.

use alloc::format;
use alloc::string::String;

use crate::error::{ManifestError, Rule};
use crate::model::{Manifest, MsgServer, ProtocolAccess};
use crate::{ROOT_APP, ROOT_PROTOCOL};

/// Checks the cross-reference rules, in manifest order; the first broken one is returned.
pub(crate) fn validate(manifest: &Manifest) -> Result<(), ManifestError> {
    for app in &manifest.apps {
        if let Some(unknown) = app
            .msg_servers
            .iter()
            .find(|m| manifest.msg_server(m).is_none())
        {
            return Err(ManifestError::new(
                format!("/apps/{}", app.name),
                Rule::UnknownMsgServer,
                format!("`msg_servers` names `{unknown}`, which /msg_servers does not define"),
            ));
        }
    }
    for ms in &manifest.msg_servers {
        for protocol in &ms.protocols {
            check_protocol(manifest, ms, protocol)?;
        }
    }
    Ok(())
}

fn check_protocol(
    manifest: &Manifest,
    ms: &MsgServer,
    protocol: &ProtocolAccess,
) -> Result<(), ManifestError> {
    let path = format!(
        "/msg_servers/{}/dir_access_control/{}",
        ms.name, protocol.name
    );
    let error = |rule, detail: String| Err(ManifestError::new(path.as_str(), rule, detail));

    if protocol.servers.len() != 1 {
        return error(
            Rule::ServerCount,
            format!(
                "`servers` names {} apps; a protocol has exactly one server",
                protocol.servers.len()
            ),
        );
    }
    let server = &protocol.servers[0];
    // The root protocol restarts and replaces apps: only the root server may publish it,
    // and the root server publishes nothing else.
    if protocol.name == ROOT_PROTOCOL && server != ROOT_APP {
        return error(
            Rule::RootMisuse,
            format!("{ROOT_PROTOCOL} is served by {ROOT_APP} only, not by `{server}`"),
        );
    }
    if protocol.name != ROOT_PROTOCOL && server == ROOT_APP {
        return error(
            Rule::RootMisuse,
            format!("{ROOT_APP} serves {ROOT_PROTOCOL} only"),
        );
    }
    if protocol.clients.iter().any(|c| c == ROOT_APP) {
        return error(Rule::RootMisuse, format!("{ROOT_APP} is never a client"));
    }

    let apps = protocol
        .servers
        .iter()
        .map(|s| (s, "server"))
        .chain(protocol.clients.iter().map(|c| (c, "client")))
        .filter(|(name, _)| *name != ROOT_APP);
    for (name, role) in apps {
        let Some(app) = manifest.app(name) else {
            return error(
                Rule::UnknownApp,
                format!("{role} `{name}` is not defined under /apps"),
            );
        };
        if !app.connects_to(&ms.name) {
            return error(
                Rule::NotConnected,
                format!(
                    "`{name}` is a {role} here, but /apps/{name} `msg_servers` does not list `{}`",
                    ms.name
                ),
            );
        }
    }
    Ok(())
}
