//! The set-up the server gives the board's D_CAN controller is one the controller
//! accepts: initialised against the driver's register model at every standard rate.

use am335x_dcan::model::DcanModel;
use am335x_dcan::Dcan;

#[test]
fn the_server_configuration_initialises_the_controller() {
    for bitrate in [125_000, 250_000, 500_000, 1_000_000] {
        let mut dcan = Dcan::new(DcanModel::new(), kos_can_server::am335x::config(bitrate));
        dcan.init()
            .unwrap_or_else(|e| panic!("{bitrate} bit/s: {e}"));
    }
}
