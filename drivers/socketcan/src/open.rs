//! Opening a CAN interface with an error that names it and says what is wrong:
//! the name is checked, looked up, its link type read from sysfs, and failures of
//! the socket calls sorted by errno.

use std::io;

use socketcan::{CanAddr, CanSocket, Socket, SocketOptions};

use crate::error::{OpenError, ARPHRD_CAN};

/// Longest interface name (`IFNAMSIZ` minus the NUL).
const MAX_IFNAME: usize = 15;

/// Opens a raw CAN socket bound to `ifname`, non-blocking, receiving all error frames.
pub(crate) fn open_socket(ifname: &str) -> Result<CanSocket, OpenError> {
    let name = || ifname.to_owned();
    let valid = !ifname.is_empty()
        && ifname.len() <= MAX_IFNAME
        && !ifname
            .chars()
            .any(|c| c == '/' || c == '\0' || c.is_whitespace());
    if !valid {
        return Err(OpenError::InvalidName { ifname: name() });
    }
    let addr = CanAddr::from_iface(ifname).map_err(|source| match source.raw_os_error() {
        Some(libc::ENODEV | libc::ENXIO) => OpenError::NoSuchInterface { ifname: name() },
        _ => OpenError::Io {
            ifname: name(),
            source,
        },
    })?;
    if let Some(link_type) = link_type(ifname) {
        if link_type != ARPHRD_CAN {
            return Err(OpenError::NotCan {
                ifname: name(),
                link_type: Some(link_type),
            });
        }
    }
    let socket = CanSocket::open_addr(&addr).map_err(|source| classify(ifname, source))?;
    let configure = || -> io::Result<()> {
        socket.set_nonblocking(true)?;
        // Error frames are how the kernel reports bus state; without them `state`
        // would never change.
        socket.set_error_filter_accept_all()
    };
    configure().map_err(|source| OpenError::Io {
        ifname: name(),
        source,
    })?;
    Ok(socket)
}

/// The interface's link type from sysfs, `None` if sysfs cannot tell (not mounted in
/// a container, say); the bind then decides.
fn link_type(ifname: &str) -> Option<u16> {
    std::fs::read_to_string(format!("/sys/class/net/{ifname}/type"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Sorts a failed `socket`/`bind` by errno.
fn classify(ifname: &str, source: io::Error) -> OpenError {
    let ifname = ifname.to_owned();
    match source.raw_os_error() {
        Some(libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT) => OpenError::CanUnsupported { ifname },
        Some(libc::EPERM | libc::EACCES) => OpenError::PermissionDenied { ifname, source },
        // A raw CAN bind to an interface that is not ARPHRD_CAN fails with ENODEV.
        Some(libc::ENODEV) => OpenError::NotCan {
            ifname,
            link_type: None,
        },
        _ => OpenError::Io { ifname, source },
    }
}
