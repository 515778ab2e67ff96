//! Per-client counters, for the server's logs and for finding the client that
//! hammers the bus or keeps probing addresses it was not given.

/// What one client has done since the server started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Bus transactions run for it (successful or not).
    pub transactions: u64,
    /// Of those, how many ended in a bus fault.
    pub bus_errors: u64,
    /// Requests refused because the address is not among its own.
    pub refused: u64,
    /// Requests refused as malformed or unknown.
    pub malformed: u64,
    /// Bytes written to devices in successful transactions.
    pub bytes_written: u64,
    /// Bytes read from devices in successful transactions.
    pub bytes_read: u64,
}

impl core::fmt::Display for ClientStats {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} transactions ({} failed), {} B written, {} B read, {} refused, {} malformed",
            self.transactions,
            self.bus_errors,
            self.bytes_written,
            self.bytes_read,
            self.refused,
            self.malformed
        )
    }
}
