//! The KOS system manifest: one device tree that names every application and every
//! message server of a system, and who may serve or use which protocol on each.
//!
//! The manifest is written as `.dts`, compiled with `dtc` into a flattened device tree
//! (`.dtb`), and read here with the `fdt` crate into a typed [`Manifest`].
//! [`Manifest::from_dtb`] checks every rule of the format and names the offending node
//! and the [`Rule`] in its [`ManifestError`], so nothing reaches the root server that
//! it would have to second-guess. The format is described in this crate's `README.md`.
//!
//! Parsing and the model are `no_std` (with `alloc`) because the root server reads the
//! same blob on seL4; the `std` feature adds [`dtc`], which runs the device-tree
//! compiler on the host.
//!
//! ```no_run
//! # #[cfg(feature = "std")] {
//! let manifest = kos_manifest::dtc::load(std::path::Path::new("system.dts")).unwrap();
//! for app in manifest.start_order() {
//!     println!("{}", app.name);
//! }
//! # }
//! ```
#![no_std]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod app_env;
mod blob;
mod bus;
#[cfg(feature = "std")]
pub mod dtc;
mod error;
mod known;
pub mod limits;
mod model;
mod order;
mod parse;
mod validate;

pub use app_env::{EnvEntry, EnvValue};
pub use bus::{Backend, Bus, CAN_BITRATE, DEFAULT_CAN_BITRATE, DEFAULT_I2C_SPEED_HZ, I2C_SPEED_HZ};
pub use error::{ManifestError, Rule};
pub use model::{
    App, AppKind, Manifest, MsgServer, Network, ProtocolAccess, RestartMode, RestartPolicy, Tracing,
};

use core::ops::RangeInclusive;

/// The reserved name of the root server; allowed only in the `servers` of [`ROOT_PROTOCOL`].
pub const ROOT_APP: &str = "_root";
/// The protocol the root server serves (restart applications, install upgrades).
pub const ROOT_PROTOCOL: &str = kos_msg::root::PROTOCOL;
/// The root node's `compatible` string this crate reads.
pub const COMPATIBLE: &str = "kos,system-0.10";
/// Longest app or message-server name, in bytes.
pub const MAX_NAME_LEN: usize = 32;
/// Longest protocol name, in bytes: what the message protocol carries.
pub const MAX_PROTOCOL_LEN: usize = kos_msg::MAX_PROTOCOL_LEN;
/// Allowed `heap_kib` of a native app.
pub const HEAP_KIB_RANGE: RangeInclusive<u32> = 64..=1_048_576;
/// Allowed `memory_mib` of a beam app.
pub const MEMORY_MIB_RANGE: RangeInclusive<u32> = 8..=4096;
/// 7-bit I2C addresses an app may be given in `i2c_addresses`: 0x00–0x07 and
/// 0x78–0x7F are reserved (UM10204 §3.1.12). `kos_i2c::protocol` checks its own
/// constants against this.
pub const I2C_DEVICE_ADDRESSES: RangeInclusive<u8> = 0x08..=0x77;
/// Allowed `buffer_kib` of an app's `tracing` node.
pub const TRACE_BUFFER_KIB_RANGE: RangeInclusive<u32> = 4..=65_536;
/// `buffer_kib` of an app's `tracing` node when the property is absent.
pub const DEFAULT_TRACE_BUFFER_KIB: u32 = 64;
