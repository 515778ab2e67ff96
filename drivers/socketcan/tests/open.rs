//! Opening interfaces that cannot work gives an error naming the interface. These run
//! on any Linux machine, with or without CAN support.

#![cfg(target_os = "linux")]

use kos_socketcan::{OpenError, SocketCan};

#[test]
fn a_missing_interface_is_named_in_a_clear_error() {
    let err = SocketCan::open("kosnocan0").expect_err("no such interface");
    assert!(
        matches!(&err, OpenError::NoSuchInterface { ifname } if ifname == "kosnocan0"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("\"kosnocan0\""), "{message}");
    assert!(message.contains("no such interface"), "{message}");
    assert_eq!(err.ifname(), "kosnocan0");
}

#[test]
fn names_that_cannot_be_interfaces_are_rejected_before_any_lookup() {
    for name in ["", "much-too-long-name0", "can/0", "can 0", "can\u{0}0"] {
        let err = SocketCan::open(name).expect_err("invalid name");
        assert!(
            matches!(err, OpenError::InvalidName { .. }),
            "{name:?}: {err:?}"
        );
    }
}

#[test]
fn the_loopback_interface_is_not_a_can_interface() {
    if std::fs::metadata("/sys/class/net/lo/type").is_err() {
        println!("skipped: sysfs does not describe lo here");
        return;
    }
    let err = SocketCan::open("lo").expect_err("lo is not CAN");
    assert!(
        matches!(err, OpenError::NotCan { ref ifname, link_type: Some(772) } if ifname == "lo"),
        "{err:?}"
    );
    assert!(err.to_string().contains("is not a CAN interface"), "{err}");
}
