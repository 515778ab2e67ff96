//! [`SocketCan`]: one raw CAN socket on one interface, non-blocking, with kernel
//! filters and the bus status read from error frames.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use embedded_can::Frame;
use socketcan::{CanFrame, CanSocket, Socket, SocketOptions};

use crate::error::{Error, OpenError};
use crate::filter;
use crate::open::open_socket;
use crate::status::{BusState, BusStatus};

/// A CAN interface opened through SocketCAN.
#[derive(Debug)]
pub struct SocketCan {
    socket: CanSocket,
    ifname: String,
    status: BusStatus,
}

impl SocketCan {
    /// Opens `ifname` (`can0`, `vcan0`): non-blocking, all frames accepted, all error
    /// frames subscribed. The error names the interface and says what is wrong.
    pub fn open(ifname: &str) -> Result<Self, OpenError> {
        Ok(Self {
            socket: open_socket(ifname)?,
            ifname: ifname.to_owned(),
            status: BusStatus::default(),
        })
    }

    /// The interface name.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// Replaces the kernel acceptance filters: a frame is received if it matches any
    /// `(id, mask, extended)` — its identifier bits selected by `mask` equal those of
    /// `id`, and it has the same identifier width. An empty list receives no frames
    /// (error frames still arrive).
    pub fn set_filters(&mut self, filters: &[(u32, u32, bool)]) -> Result<(), Error> {
        let encoded = filters
            .iter()
            .map(|&(id, mask, extended)| filter::encode(id, mask, extended))
            .collect::<Result<Vec<_>, _>>()?;
        self.socket.set_filters(&encoded).map_err(Error::Io)
    }

    /// Receives every frame again (the state after `open`).
    pub fn accept_all(&mut self) -> Result<(), Error> {
        self.socket.set_filter_accept_all().map_err(Error::Io)
    }

    /// The bus status as of the last error frame `receive` processed.
    pub fn status(&self) -> BusStatus {
        self.status
    }

    /// Fault-confinement state as of the last error frame `receive` processed.
    pub fn state(&self) -> BusState {
        self.status.state
    }

    /// `(tec, rec)` if the kernel has reported them (`CAN_ERR_CNT`, Linux 6.2+).
    pub fn error_counters(&self) -> Option<(u8, u8)> {
        self.status.counters
    }
}

/// Whether a failed write means "try again later": a full socket buffer, or a full
/// device queue, which CAN reports as `ENOBUFS` even on non-blocking sockets.
fn is_busy(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::WouldBlock || error.raw_os_error() == Some(libc::ENOBUFS)
}

impl embedded_can::nb::Can for SocketCan {
    type Frame = CanFrame;
    type Error = Error;

    fn transmit(&mut self, frame: &CanFrame) -> nb::Result<Option<CanFrame>, Error> {
        if matches!(frame, CanFrame::Error(_)) {
            return Err(nb::Error::Other(Error::ErrorFrameNotSendable));
        }
        match self.socket.write_frame(frame) {
            Ok(()) => Ok(None),
            Err(e) if is_busy(&e) => Err(nb::Error::WouldBlock),
            Err(e) => Err(nb::Error::Other(Error::Io(e))),
        }
    }

    /// The next data or remote frame. Error frames on the way update the status;
    /// those describing an error (bus-off, overflow, protocol, ack) are returned as
    /// `Err`, the others (warning, passive, restarted) are consumed silently.
    fn receive(&mut self) -> nb::Result<CanFrame, Error> {
        loop {
            match self.socket.read_frame() {
                Ok(CanFrame::Error(report)) => {
                    if let Some(error) = self.status.apply(report.error_bits(), report.data()) {
                        return Err(nb::Error::Other(error));
                    }
                }
                Ok(frame) => return Ok(frame),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(nb::Error::WouldBlock)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(nb::Error::Other(Error::Io(e))),
            }
        }
    }
}

impl AsFd for SocketCan {
    /// For waiting on the socket with `poll`/`epoll` between non-blocking calls.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl AsRawFd for SocketCan {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}
