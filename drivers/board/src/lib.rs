//! The hosted platform's side of the bus servers (`i2c_server`, `can_server`): their
//! settings, read from the system manifest the root server hands them, and a board
//! controller's registers mapped into the process. Everything here knows it runs on
//! Linux; the drivers and the service logic do not.

mod devmem;
mod settings;

pub use devmem::{DevMem, MapError};
pub use settings::{Settings, SettingsError};
