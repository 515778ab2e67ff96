//! A server's own manifest entry and the system around it, from `KOS_MANIFEST` (the
//! compiled manifest `kos run` writes) and `KOS_APP` (the server's manifest name).

use std::fmt;
use std::path::PathBuf;

use kos_manifest::{App, Manifest};
use kos_transport::{ENV_APP, ENV_MANIFEST};

/// The system manifest, and which app in it is this process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The whole system.
    pub manifest: Manifest,
    /// This app's manifest name.
    pub app: String,
}

/// Why the settings could not be read.
#[derive(Debug)]
pub enum SettingsError {
    /// An environment variable the root server sets is missing.
    NotStartedByKos(&'static str),
    /// The compiled manifest could not be read.
    Read(PathBuf, std::io::Error),
    /// The manifest does not parse (the root server checked it, so this means it changed).
    Manifest(kos_manifest::ManifestError),
    /// `KOS_APP` names no app of the manifest.
    UnknownApp(String),
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::NotStartedByKos(var) => {
                write!(
                    f,
                    "{var} is not set: start this server with `kos run` from a manifest"
                )
            }
            SettingsError::Read(path, e) => write!(f, "reading {}: {e}", path.display()),
            SettingsError::Manifest(e) => write!(f, "the system manifest: {e}"),
            SettingsError::UnknownApp(app) => write!(f, "the manifest has no app `{app}`"),
        }
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Reads the manifest named by the environment the root server sets.
    pub fn from_env() -> Result<Settings, SettingsError> {
        let path = std::env::var_os(ENV_MANIFEST)
            .map(PathBuf::from)
            .ok_or(SettingsError::NotStartedByKos(ENV_MANIFEST))?;
        let app = std::env::var(ENV_APP).map_err(|_| SettingsError::NotStartedByKos(ENV_APP))?;
        let blob = std::fs::read(&path).map_err(|e| SettingsError::Read(path, e))?;
        Settings::from_blob(&blob, &app)
    }

    /// Reads a compiled manifest for the app named `app`.
    pub fn from_blob(blob: &[u8], app: &str) -> Result<Settings, SettingsError> {
        let manifest = Manifest::from_dtb(blob).map_err(SettingsError::Manifest)?;
        if manifest.app(app).is_none() {
            return Err(SettingsError::UnknownApp(app.to_owned()));
        }
        Ok(Settings {
            manifest,
            app: app.to_owned(),
        })
    }

    /// This app's manifest entry.
    pub fn me(&self) -> &App {
        // `from_blob` checked that it exists.
        self.manifest
            .app(&self.app)
            .expect("the app was found when the settings were read")
    }
}
