//! The hosted platform's side of the bus servers (`i2c_server`, `can_server`): their
//! settings, read from the system manifest the root server hands them, a board
//! controller's registers mapped into the process, their start-up and logging, and
//! the simulated boards' unplug file. Everything here knows it runs on
//! Linux; the drivers and the service logic do not.

mod devmem;
mod settings;
mod startup;
mod unplug;

pub use devmem::{DevMem, MapError};
pub use settings::{Settings, SettingsError};
pub use startup::{fail, say, serve_or_exit};
pub use unplug::UnplugFile;
