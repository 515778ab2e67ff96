//! Frames: what travels on each channel, and their versioned encoding.
//!
//! A frame is one version byte ([`crate::PROTOCOL_VERSION`]) followed by a postcard
//! encoding of one of the channel enums below. The hosted transport sends one frame
//! per `SOCK_SEQPACKET` datagram, so frame boundaries come from the socket.
//! [`decode`] rejects anything malformed, oversized, of another version or with
//! trailing bytes; a receiver answers such a frame with a refusal (or ignores it) and
//! carries on serving.

use core::fmt;
use serde::{Deserialize, Serialize};

use crate::{Message, Refusal, MAX_FRAME, MAX_PAYLOAD, MAX_PROTOCOL_LEN, PROTOCOL_VERSION};

/// A frame on the request channel: an app's request to its message server, or the
/// answer, tagged with a sequence number so a reply is matched to its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control<T> {
    /// Chosen by the app; echoed in the reply.
    pub seq: u32,
    /// The request or reply.
    pub body: T,
}

/// Directory operations an app asks of its message server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request<'a> {
    /// Serve `protocol`: clients that the manifest allows may now connect.
    Publish {
        /// Protocol name, e.g. `kos_rng_protocol`.
        protocol: &'a str,
    },
    /// Stop serving `protocol`; existing tokens stay valid until revoked.
    Unpublish {
        /// Protocol name.
        protocol: &'a str,
    },
    /// Is `protocol` published now?
    Query {
        /// Protocol name.
        protocol: &'a str,
    },
    /// Ask for a token to `protocol`; granted only if the manifest allows it.
    Connect {
        /// Protocol name.
        protocol: &'a str,
    },
    /// Give back a token this app holds.
    Release {
        /// The token's badge.
        badge: u64,
    },
    /// As the server, cut a client's token off: its next call fails as closed.
    Revoke {
        /// The badge of the client's token.
        badge: u64,
    },
    /// Say when `protocol` is published: [`Reply::Published`]`(true)` at once if it
    /// is, else [`Reply::Waiting`] with a notice channel that the message server
    /// closes once it is (or once this connection goes). Refused like a connect if
    /// the manifest does not let this app use the protocol.
    AwaitPublished {
        /// Protocol name.
        protocol: &'a str,
    },
}

/// The message server's answer to a [`Request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// The request was carried out.
    Done,
    /// Answer to [`Request::Query`].
    Published(bool),
    /// A token was granted; its data channel travels with this frame.
    Granted {
        /// The badge the server will see on every message through this token.
        badge: u64,
    },
    /// The request was refused, for this reason.
    Refused(Refusal),
    /// Answer to [`Request::AwaitPublished`] while the protocol is not published: the
    /// notice channel travels with this frame and ends when it is.
    Waiting,
}

/// What the message server tells a serving app on its event channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event<'a> {
    /// A client was granted a token to a protocol this app publishes; the server end
    /// of the new data channel travels with this frame.
    ClientConnected {
        /// Which protocol the client connected to.
        protocol: &'a str,
        /// The badge identifying this client on every message.
        badge: u64,
        /// The client app's manifest name.
        client: &'a str,
    },
}

/// A frame on a data channel between a client's token and the protocol server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataFrame<'a> {
    /// Request/reply: the server answers with [`DataFrame::Reply`] carrying the same id.
    Call {
        /// Matches the reply to the call.
        id: u32,
        /// The request.
        #[serde(borrow)]
        msg: Message<'a>,
    },
    /// One way: no reply.
    Send {
        /// The message.
        #[serde(borrow)]
        msg: Message<'a>,
    },
    /// The answer to the call with the same id.
    Reply {
        /// The call's id.
        id: u32,
        /// The reply.
        #[serde(borrow)]
        msg: Message<'a>,
    },
    /// The server could not decode a frame from this client and dropped it.
    Rejected,
}

/// Why a frame was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Zero bytes.
    Empty,
    /// The first byte names a protocol version this side does not speak.
    UnsupportedVersion(u8),
    /// Longer than [`MAX_FRAME`].
    TooLarge,
    /// A payload longer than [`MAX_PAYLOAD`], or a protocol name longer than
    /// [`MAX_PROTOCOL_LEN`].
    FieldTooLong,
    /// The body does not decode as this channel's frame, or has trailing bytes.
    Malformed,
    /// The output buffer is too small for the frame.
    BufferTooSmall,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Empty => f.write_str("empty frame"),
            FrameError::UnsupportedVersion(v) => write!(
                f,
                "frame of protocol version {v}, this side speaks {PROTOCOL_VERSION}"
            ),
            FrameError::TooLarge => write!(f, "frame longer than {MAX_FRAME} bytes"),
            FrameError::FieldTooLong => f.write_str("payload or protocol name too long"),
            FrameError::Malformed => f.write_str("malformed frame"),
            FrameError::BufferTooSmall => f.write_str("buffer too small for frame"),
        }
    }
}

/// A type that travels as a frame, with the bounds a decoder must check.
pub trait Frame<'a>: Serialize + Deserialize<'a> {
    /// Checks bounds that the encoding itself cannot express.
    fn check(&self) -> Result<(), FrameError>;
}

fn check_name(name: &str) -> Result<(), FrameError> {
    if name.len() > MAX_PROTOCOL_LEN {
        Err(FrameError::FieldTooLong)
    } else {
        Ok(())
    }
}

fn check_message(msg: &Message<'_>) -> Result<(), FrameError> {
    if msg.payload.len() > MAX_PAYLOAD {
        Err(FrameError::FieldTooLong)
    } else {
        Ok(())
    }
}

impl<'a> Frame<'a> for Control<Request<'a>> {
    fn check(&self) -> Result<(), FrameError> {
        match self.body {
            Request::Publish { protocol }
            | Request::Unpublish { protocol }
            | Request::Query { protocol }
            | Request::Connect { protocol }
            | Request::AwaitPublished { protocol } => check_name(protocol),
            Request::Release { .. } | Request::Revoke { .. } => Ok(()),
        }
    }
}

impl Frame<'_> for Control<Reply> {
    fn check(&self) -> Result<(), FrameError> {
        Ok(())
    }
}

impl<'a> Frame<'a> for Event<'a> {
    fn check(&self) -> Result<(), FrameError> {
        match self {
            Event::ClientConnected {
                protocol, client, ..
            } => check_name(protocol).and_then(|_| check_name(client)),
        }
    }
}

impl<'a> Frame<'a> for DataFrame<'a> {
    fn check(&self) -> Result<(), FrameError> {
        match self {
            DataFrame::Call { msg, .. }
            | DataFrame::Send { msg }
            | DataFrame::Reply { msg, .. } => check_message(msg),
            DataFrame::Rejected => Ok(()),
        }
    }
}

/// Encodes `frame` into `buf` (version byte first) and returns the frame's length.
pub fn encode<'a, T: Frame<'a>>(frame: &T, buf: &mut [u8]) -> Result<usize, FrameError> {
    frame.check()?;
    let (version, body) = buf.split_first_mut().ok_or(FrameError::BufferTooSmall)?;
    *version = PROTOCOL_VERSION;
    let used = postcard::to_slice(frame, body)
        .map_err(|_| FrameError::BufferTooSmall)?
        .len();
    Ok(used + 1)
}

/// Decodes one whole frame; borrowed fields point into `bytes`.
pub fn decode<'a, T: Frame<'a>>(bytes: &'a [u8]) -> Result<T, FrameError> {
    let (&version, body) = bytes.split_first().ok_or(FrameError::Empty)?;
    if bytes.len() > MAX_FRAME {
        return Err(FrameError::TooLarge);
    }
    if version != PROTOCOL_VERSION {
        return Err(FrameError::UnsupportedVersion(version));
    }
    let (frame, rest): (T, _) =
        postcard::take_from_bytes(body).map_err(|_| FrameError::Malformed)?;
    if !rest.is_empty() {
        return Err(FrameError::Malformed);
    }
    frame.check()?;
    Ok(frame)
}

#[cfg(test)]
mod test {
    use super::*;

    fn round_trip<'a, T: Frame<'a> + PartialEq + fmt::Debug>(frame: T, buf: &'a mut [u8]) {
        let len = encode(&frame, buf).unwrap();
        let back: T = decode(&buf[..len]).unwrap();
        assert_eq!(back, frame);
    }

    #[test]
    fn every_channel_round_trips() {
        let payload = [7u8; MAX_PAYLOAD];
        let mut buf = [0u8; MAX_FRAME];
        round_trip(
            DataFrame::Call {
                id: 9,
                msg: Message::new(3, &payload).with_param(u64::MAX),
            },
            &mut buf,
        );
        round_trip(
            DataFrame::Send {
                msg: Message::new(1, b""),
            },
            &mut buf,
        );
        round_trip(
            DataFrame::Reply {
                id: u32::MAX,
                msg: Message::new(0, b"pong"),
            },
            &mut buf,
        );
        round_trip(DataFrame::Rejected, &mut buf);
        round_trip(
            Control {
                seq: 1,
                body: Request::Connect {
                    protocol: "kos_rng_protocol",
                },
            },
            &mut buf,
        );
        round_trip(
            Control {
                seq: 2,
                body: Request::Revoke { badge: 77 },
            },
            &mut buf,
        );
        round_trip(
            Control {
                seq: 3,
                body: Reply::Granted { badge: 5 },
            },
            &mut buf,
        );
        round_trip(
            Control {
                seq: 4,
                body: Reply::Refused(Refusal::NotGranted),
            },
            &mut buf,
        );
        round_trip(
            Event::ClientConnected {
                protocol: "p",
                badge: 1,
                client: "app",
            },
            &mut buf,
        );
    }

    /// A fixed byte fixture: the encoding is part of the protocol and must not drift.
    #[test]
    fn call_frame_has_the_documented_layout() {
        const CALL: [u8; 9] = [
            PROTOCOL_VERSION,
            0x00, // DataFrame::Call
            0x05, // id = 5 (varint)
            0x02, // label = 2
            0x80,
            0x01, // param = 128 (varint)
            0x00, // token = false
            0x01, // payload length 1
            0xAB,
        ];
        let frame: DataFrame = decode(&CALL).unwrap();
        assert_eq!(
            frame,
            DataFrame::Call {
                id: 5,
                msg: Message::new(2, &[0xAB]).with_param(128)
            }
        );
        let mut buf = [0u8; 32];
        let len = encode(&frame, &mut buf).unwrap();
        assert_eq!(&buf[..len], &CALL);
    }

    #[test]
    fn decoded_payload_borrows_from_the_frame() {
        let mut buf = [0u8; 64];
        let len = encode(
            &DataFrame::Send {
                msg: Message::new(1, b"hello"),
            },
            &mut buf,
        )
        .unwrap();
        let DataFrame::Send { msg } = decode::<DataFrame>(&buf[..len]).unwrap() else {
            panic!("wrong variant")
        };
        assert!(buf[..len].as_ptr_range().contains(&msg.payload.as_ptr()));
    }

    #[test]
    fn malformed_frames_are_rejected() {
        assert_eq!(decode::<DataFrame>(&[]), Err(FrameError::Empty));
        assert_eq!(
            decode::<DataFrame>(&[PROTOCOL_VERSION + 1, 0, 0]),
            Err(FrameError::UnsupportedVersion(PROTOCOL_VERSION + 1))
        );
        // Unknown enum tag.
        assert_eq!(
            decode::<DataFrame>(&[PROTOCOL_VERSION, 9]),
            Err(FrameError::Malformed)
        );
        // Payload length says 5, one byte present.
        assert_eq!(
            decode::<DataFrame>(&[PROTOCOL_VERSION, 1, 0, 0, 0, 5, 1]),
            Err(FrameError::Malformed)
        );
        // Trailing bytes after a complete frame.
        assert_eq!(
            decode::<DataFrame>(&[PROTOCOL_VERSION, 3, 0]),
            Err(FrameError::Malformed)
        );
        // Invalid UTF-8 in a protocol name.
        assert_eq!(
            decode::<Control<Request>>(&[PROTOCOL_VERSION, 0, 0, 1, 0xFF]),
            Err(FrameError::Malformed)
        );
    }

    #[test]
    fn oversized_fields_and_frames_are_rejected() {
        let big = [0u8; MAX_PAYLOAD + 1];
        let mut buf = [0u8; MAX_FRAME * 2];
        assert_eq!(
            encode(
                &DataFrame::Send {
                    msg: Message::new(1, &big)
                },
                &mut buf
            ),
            Err(FrameError::FieldTooLong)
        );
        // Hand-build the same frame: the decoder must refuse it too.
        buf[0] = PROTOCOL_VERSION;
        let body = postcard::to_slice(
            &DataFrame::Send {
                msg: Message::new(1, &big),
            },
            &mut buf[1..],
        )
        .unwrap()
        .len();
        assert_eq!(
            decode::<DataFrame>(&buf[..body + 1]),
            Err(FrameError::FieldTooLong)
        );
        assert_eq!(
            decode::<DataFrame>(&buf[..MAX_FRAME + 1]),
            Err(FrameError::TooLarge)
        );
        let long_name = "p".repeat(MAX_PROTOCOL_LEN + 1);
        let long = Control {
            seq: 0,
            body: Request::Publish {
                protocol: &long_name,
            },
        };
        assert_eq!(encode(&long, &mut buf), Err(FrameError::FieldTooLong));
        assert_eq!(
            encode(
                &DataFrame::Send {
                    msg: Message::new(1, b"x")
                },
                &mut [0u8; 3]
            ),
            Err(FrameError::BufferTooSmall)
        );
    }
}
