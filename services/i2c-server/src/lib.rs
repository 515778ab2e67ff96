//! The I2C server on the hosted platform: it builds the bus its manifest entry's
//! `i2c_bus` node selects (`backend.rs`), the address policy from every app's
//! `i2c_addresses` (`policy.rs`), and moves calls between the message server and the
//! transport-free `kos_i2c::I2cService` (`serve.rs`). One thread owns the bus, so
//! every call is one transaction that nothing else interleaves with.

pub mod backend;
pub mod policy;
pub mod serve;
pub mod sim;
