//! Who may use which address: every app's `i2c_addresses` in the manifest.

use kos_i2c::{AddressPolicy, PolicyError};
use kos_manifest::Manifest;

/// The address policy the manifest describes.
pub fn from_manifest(manifest: &Manifest) -> Result<AddressPolicy, (String, PolicyError)> {
    let mut policy = AddressPolicy::new();
    for app in manifest.apps.iter().filter(|a| !a.i2c_addresses.is_empty()) {
        policy
            .allow(&app.name, &app.i2c_addresses)
            .map_err(|e| (app.name.clone(), e))?;
    }
    Ok(policy)
}
