//! What a simulated device on the model's bus implements.

/// A device on the simulated bus, seen as the bus conditions it takes part in.
///
/// The model calls these in bus order while it moves bytes; a target attached with
/// [`super::Am335xI2cModel::attach`] is shared through a `RefCell`, so a test can inspect
/// it between transactions.
pub trait Target {
    /// A START (or repeated START) with this target's address; `read` is the R/W bit.
    /// Returns whether the target acknowledges its address.
    fn start(&mut self, read: bool) -> bool;
    /// A byte written by the master; returns whether the target acknowledges it.
    fn write(&mut self, byte: u8) -> bool;
    /// The next byte the target drives onto the bus for the master.
    fn read(&mut self) -> u8;
    /// A STOP on the bus (every attached target sees it, addressed or not).
    fn stop(&mut self);
}
