//! Which client may talk to which devices: the I2C server's access policy.
//!
//! Devices on one bus trust whoever addresses them, so the server is the only place
//! where one app's sensor is kept from another app. The policy maps a client's
//! manifest name (which the message server vouches for with every call) to a set of
//! 7-bit addresses; a client it does not name may use none. It is built once, from the
//! manifest, by the server binary, and every table is fixed-size, so building it is
//! where overflow is refused rather than at run time.

use heapless::{String, Vec};

use crate::protocol::{FIRST_DEVICE_ADDRESS, LAST_DEVICE_ADDRESS, MAX_ADDRESS};

/// Most clients a policy names.
pub const MAX_CLIENTS: usize = 16;
/// Longest client name, in bytes (the manifest's limit on names).
pub const MAX_CLIENT_NAME: usize = 64;

/// A set of 7-bit addresses: one bit per address, so any subset fits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Addresses(u128);

impl Addresses {
    /// Is `address` in the set? (Never for addresses above 0x7F.)
    pub const fn contains(self, address: u8) -> bool {
        address <= MAX_ADDRESS && self.0 & (1 << address) != 0
    }

    /// How many addresses the set holds.
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Is the set empty?
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The addresses, lowest first.
    pub fn iter(self) -> impl Iterator<Item = u8> {
        (0..=MAX_ADDRESS).filter(move |&a| self.contains(a))
    }
}

/// Why a policy could not take an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyError {
    /// More than [`MAX_CLIENTS`] clients.
    TooManyClients,
    /// A client name longer than [`MAX_CLIENT_NAME`] bytes.
    NameTooLong,
    /// An address that is not a device address (above 0x7F, or reserved: 0x00–0x07,
    /// 0x78–0x7F).
    AddressOutOfRange(u8),
}

impl core::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PolicyError::TooManyClients => write!(f, "more than {MAX_CLIENTS} clients"),
            PolicyError::NameTooLong => {
                write!(f, "client name longer than {MAX_CLIENT_NAME} bytes")
            }
            PolicyError::AddressOutOfRange(a) => {
                write!(f, "address {a:#04x} is not a device address (0x08..=0x77)")
            }
        }
    }
}

/// Client name → the addresses it may use.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    clients: Vec<(String<MAX_CLIENT_NAME>, Addresses), MAX_CLIENTS>,
}

impl AddressPolicy {
    /// A policy that permits nothing.
    pub const fn new() -> Self {
        AddressPolicy {
            clients: Vec::new(),
        }
    }

    /// Also allows `client` the `addresses` (added to any it already has). Nothing
    /// changes when the entry is refused.
    pub fn allow(&mut self, client: &str, addresses: &[u8]) -> Result<(), PolicyError> {
        let mut set = 0u128;
        for &address in addresses {
            // 0x00–0x07 (general call, START byte, CBUS, other bus formats, HS-mode
            // master codes) and 0x78–0x7F (10-bit addressing, device ID) reach other
            // devices or all of them (UM10204 §3.1.12): granting one would void the
            // per-address isolation.
            if !(FIRST_DEVICE_ADDRESS..=LAST_DEVICE_ADDRESS).contains(&address) {
                return Err(PolicyError::AddressOutOfRange(address));
            }
            set |= 1 << address;
        }
        match self.index_of(client) {
            Some(i) => self.clients[i].1 .0 |= set,
            None => {
                let name = String::try_from(client).map_err(|()| PolicyError::NameTooLong)?;
                self.clients
                    .push((name, Addresses(set)))
                    .map_err(|_| PolicyError::TooManyClients)?;
            }
        }
        Ok(())
    }

    /// May `client` use `address`?
    pub fn allows(&self, client: &str, address: u8) -> bool {
        self.addresses(client).contains(address)
    }

    /// The addresses `client` may use (none for a client the policy does not name).
    pub fn addresses(&self, client: &str) -> Addresses {
        self.index_of(client)
            .map_or(Addresses::default(), |i| self.clients[i].1)
    }

    /// The named clients, in the order they were added.
    pub fn clients(&self) -> impl Iterator<Item = (&str, Addresses)> {
        self.clients.iter().map(|(name, set)| (name.as_str(), *set))
    }

    /// Where `client` sits in [`AddressPolicy::clients`].
    pub fn index_of(&self, client: &str) -> Option<usize> {
        self.clients.iter().position(|(name, _)| name == client)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_client_may_use_its_addresses_and_no_others() {
        let mut policy = AddressPolicy::new();
        policy.allow("weather", &[0x76, 0x77]).unwrap();
        policy.allow("display", &[0x3C]).unwrap();
        policy.allow("weather", &[0x40]).unwrap();
        assert!(policy.allows("weather", 0x76));
        assert!(
            policy.allows("weather", 0x40),
            "entries for one client merge"
        );
        assert!(!policy.allows("weather", 0x3C));
        assert!(policy.allows("display", 0x3C));
        assert!(
            !policy.allows("intruder", 0x76),
            "unnamed clients get nothing"
        );
        assert!(!policy.allows("weather", 0xF6), "never above 0x7F");
        let weather: heapless::Vec<u8, 4> = policy.addresses("weather").iter().collect();
        assert_eq!(weather, [0x40, 0x76, 0x77]);
        assert_eq!(policy.clients().count(), 2);
    }

    #[test]
    fn overflow_and_bad_entries_are_refused() {
        let long = [b'x'; MAX_CLIENT_NAME + 1];
        assert_eq!(
            AddressPolicy::new()
                .allow(core::str::from_utf8(&long).unwrap(), &[0x10])
                .unwrap_err(),
            PolicyError::NameTooLong
        );
        let mut policy = AddressPolicy::new();
        for i in 0..MAX_CLIENTS as u8 {
            let name = [b'a' + i];
            policy
                .allow(core::str::from_utf8(&name).unwrap(), &[0x10 + i])
                .unwrap();
        }
        assert_eq!(
            policy.allow("one-too-many", &[0x10]).unwrap_err(),
            PolicyError::TooManyClients
        );
        assert_eq!(policy.clients().count(), MAX_CLIENTS);
        assert_eq!(
            policy.allow("a", &[0x20, 0x80]).unwrap_err(),
            PolicyError::AddressOutOfRange(0x80)
        );
        // Reserved addresses reach other devices (general call) or all of them.
        for reserved in [0x00, 0x07, 0x78, 0x7F] {
            assert_eq!(
                policy.allow("a", &[reserved]).unwrap_err(),
                PolicyError::AddressOutOfRange(reserved)
            );
        }
        assert!(!policy.allows("a", 0x20), "a refused entry changes nothing");
        policy.allow("a", &[0x77]).unwrap();
        assert!(policy.allows("a", 0x77), "a known client still merges");
    }
}
