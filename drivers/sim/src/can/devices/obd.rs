//! OBD-II over CAN (SAE J1979 / ISO 15765-4), the part the simulated ECU speaks: mode
//! 01 (current data) requests in ISO-TP single frames, and the scaling of the PIDs it
//! supports.

use embedded_can::{Frame, Id};

use super::engine::EngineState;
use crate::can::CanFrame;

/// Functional (broadcast) request id that every emissions ECU listens to.
pub const FUNCTIONAL_REQUEST_ID: u16 = 0x7DF;
/// Physical request id of the engine ECU (ECU #1).
pub const PHYSICAL_REQUEST_ID: u16 = 0x7E0;
/// Response id of the engine ECU (request id + 8).
pub const RESPONSE_ID: u16 = 0x7E8;
/// Mode 01: show current data.
pub const MODE_CURRENT_DATA: u8 = 0x01;
/// A positive response adds this to the mode.
pub const POSITIVE_RESPONSE: u8 = 0x40;
/// PID 0x00: which of PIDs 0x01–0x20 are supported.
pub const PID_SUPPORTED_01_20: u8 = 0x00;
/// PID 0x05: engine coolant temperature, A − 40 °C.
pub const PID_COOLANT_TEMP: u8 = 0x05;
/// PID 0x0C: engine speed, (256·A + B) / 4 rpm.
pub const PID_ENGINE_RPM: u8 = 0x0C;
/// PID 0x0D: vehicle speed, A km/h.
pub const PID_VEHICLE_SPEED: u8 = 0x0D;
/// Filler for unused bytes of a frame (ISO 15765-2 leaves the value to the sender).
pub const PADDING: u8 = 0x55;

/// A mode 01 request for one PID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The PID asked for.
    pub pid: u8,
}

/// Reads a mode 01 request: a standard data frame to 0x7DF or 0x7E0 holding an ISO-TP
/// single frame of two bytes (PCI 0x02, mode, PID).
pub fn parse_request(frame: &CanFrame) -> Option<Request> {
    let Id::Standard(id) = frame.id() else {
        return None;
    };
    if frame.is_remote_frame()
        || !matches!(id.as_raw(), FUNCTIONAL_REQUEST_ID | PHYSICAL_REQUEST_ID)
    {
        return None;
    }
    match frame.data() {
        [0x02, MODE_CURRENT_DATA, pid, ..] => Some(Request { pid: *pid }),
        _ => None,
    }
}

/// A request frame for `pid`, as a scan tool sends it.
pub fn request(pid: u8) -> Option<CanFrame> {
    CanFrame::standard(
        FUNCTIONAL_REQUEST_ID,
        &[
            0x02,
            MODE_CURRENT_DATA,
            pid,
            PADDING,
            PADDING,
            PADDING,
            PADDING,
            PADDING,
        ],
    )
}

/// The response to `request` from an engine in `state`, or `None` for a PID this ECU
/// does not support (J1979: no answer to a functional request for it).
pub fn response(request: Request, state: &EngineState) -> Option<CanFrame> {
    let mut data = [PADDING; 8];
    let payload: &[u8] = match request.pid {
        // PIDs 0x05, 0x0C and 0x0D: bit 7 of A is PID 0x01, bit 0 of D is PID 0x20.
        PID_SUPPORTED_01_20 => &[0x08, 0x18, 0x00, 0x00],
        PID_COOLANT_TEMP => &[encode_coolant(state.coolant_c)],
        PID_ENGINE_RPM => &encode_rpm(state.rpm),
        PID_VEHICLE_SPEED => &[clamp_u8(state.speed_kmh)],
        _ => return None,
    };
    let length = 2 + payload.len();
    data[0] = length as u8; // ISO-TP single frame PCI: the byte count
    data[1] = MODE_CURRENT_DATA + POSITIVE_RESPONSE;
    data[2] = request.pid;
    data[3..3 + payload.len()].copy_from_slice(payload);
    CanFrame::standard(RESPONSE_ID, &data)
}

/// Engine speed as J1979 sends it: A, B with rpm = (256·A + B) / 4.
pub fn encode_rpm(rpm: f64) -> [u8; 2] {
    let quarters = libm::round(rpm * 4.0).clamp(0.0, f64::from(u16::MAX)) as u16;
    quarters.to_be_bytes()
}

/// Engine speed from J1979's A, B.
pub fn decode_rpm(a: u8, b: u8) -> f64 {
    f64::from(u16::from_be_bytes([a, b])) / 4.0
}

/// Coolant temperature as J1979 sends it: A = °C + 40.
pub fn encode_coolant(celsius: f64) -> u8 {
    clamp_u8(celsius + 40.0)
}

fn clamp_u8(x: f64) -> u8 {
    libm::round(x).clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn rpm_round_trips_in_quarter_rpm() {
        let [a, b] = encode_rpm(1726.25);
        assert_eq!([a, b], [0x1A, 0xF9]);
        assert_eq!(decode_rpm(a, b), 1726.25);
    }

    #[test]
    fn only_mode_01_single_frames_to_the_obd_ids_are_requests() {
        assert_eq!(
            parse_request(&request(0x0C).unwrap()),
            Some(Request { pid: 0x0C })
        );
        let other_id = CanFrame::standard(0x7E1, &[0x02, 0x01, 0x0C]).unwrap();
        let other_mode = CanFrame::standard(0x7DF, &[0x02, 0x09, 0x02]).unwrap();
        assert_eq!(parse_request(&other_id), None);
        assert_eq!(parse_request(&other_mode), None);
    }

    #[test]
    fn unsupported_pids_get_no_answer() {
        let state = EngineState {
            rpm: 800.0,
            coolant_c: 90.0,
            speed_kmh: 0.0,
        };
        assert!(response(Request { pid: 0x42 }, &state).is_none());
        let coolant = response(
            Request {
                pid: PID_COOLANT_TEMP,
            },
            &state,
        )
        .unwrap();
        assert_eq!(&coolant.data()[..4], &[0x03, 0x41, 0x05, 130]);
    }
}
