//! The manifest's `dir_access_control` as a message server's access policy.

use std::sync::Arc;

use kos_manifest::Manifest;
use kos_msg_server::AccessPolicy;

/// The access matrix of one message server, read from the manifest.
pub struct ManifestPolicy {
    manifest: Arc<Manifest>,
    msg_server: String,
}

impl ManifestPolicy {
    /// The policy of message server `msg_server` in `manifest`.
    pub fn new(manifest: Arc<Manifest>, msg_server: &str) -> Self {
        ManifestPolicy {
            manifest,
            msg_server: msg_server.to_string(),
        }
    }
}

impl AccessPolicy for ManifestPolicy {
    fn may_serve(&self, app: &str, protocol: &str) -> bool {
        self.manifest.may_serve(&self.msg_server, app, protocol)
    }

    fn may_use(&self, app: &str, protocol: &str) -> bool {
        self.manifest.may_use(&self.msg_server, app, protocol)
    }
}
