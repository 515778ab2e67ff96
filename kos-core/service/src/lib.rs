//! The one seam every KOS service is written against.
//!
//! A service (the RNG server's generator, the I2C and CAN servers' bus logic, a demo
//! echo) is a [`Service`]: it is told when a client connects or goes, answers each
//! [`Call`] with an [`Answer`] whose status is the service's own typed enum
//! ([`Status`]), may [`Reply::Hold`] a call to answer it later (CAN's long-poll
//! RECV), and does its own work between calls in [`Service::tick`]. It knows nothing
//! of channels, threads or clocks: the event loop that drives it
//! (`kos_client::serve` on the hosted transport; a component's loop over endpoints
//! on seL4) passes the time in, sends the replies, and keeps the held calls. So the
//! same service runs unchanged on either, and every server has the same loop.
//!
//! `no_std`, no allocation.
#![no_std]
#![deny(missing_docs)]

pub use kos_msg::MAX_PAYLOAD;

/// A connected client, as the message server vouches for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client<'a> {
    /// The badge on every message from this client's token.
    pub badge: u64,
    /// The client app's manifest name.
    pub app: &'a str,
}

/// One call: its label (the operation), param and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call<'a> {
    /// The operation.
    pub label: u64,
    /// Its small argument.
    pub param: u64,
    /// Its data.
    pub payload: &'a [u8],
}

/// A reply status of one protocol: a typed enum that writes itself as the reply's
/// label.
pub trait Status: Copy + core::fmt::Debug {
    /// The reply label.
    fn label(self) -> u64;
    /// The variant's name as declared (`NackAddress`): what wire vectors and logs call it.
    fn name(self) -> &'static str;
}

/// Declares a protocol's reply statuses: the enum, `ALL`, `from_label` and its
/// [`Status`] impl, from one list of variants and their wire labels, so a label is
/// written once.
///
/// ```
/// kos_service::statuses! {
///     /// The status a reply carries as its label.
///     pub enum Status {
///         /// Done.
///         Ok = 0,
///         /// The label names no operation of this protocol.
///         UnknownOperation = 1,
///     }
/// }
/// use kos_service::Status as _;
/// assert_eq!(Status::UnknownOperation.label(), 1);
/// assert_eq!(Status::UnknownOperation.name(), "UnknownOperation");
/// assert_eq!(Status::from_label(0), Some(Status::Ok));
/// assert_eq!(Status::from_label(2), None);
/// assert_eq!(Status::ALL, &[Status::Ok, Status::UnknownOperation]);
/// ```
#[macro_export]
macro_rules! statuses {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $label:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every status, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The status of a reply label; `None` for a label this protocol does not
            /// have.
            pub const fn from_label(label: u64) -> Option<$name> {
                match label {
                    $( $label => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl $crate::Status for $name {
            fn label(self) -> u64 {
                match self {
                    $( $name::$variant => $label ),+
                }
            }

            fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => stringify!($variant) ),+
                }
            }
        }
    };
}

/// The answer to one call: a status, a param, and how many bytes at the front of the
/// service's output buffer form the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer<S> {
    /// The reply's status.
    pub status: S,
    /// The reply's param.
    pub param: u64,
    /// Payload length in the output buffer.
    pub len: usize,
}

impl<S> Answer<S> {
    /// `status`, no param, no payload.
    pub const fn new(status: S) -> Self {
        Answer {
            status,
            param: 0,
            len: 0,
        }
    }

    /// The same answer with `param`.
    pub const fn with_param(mut self, param: u64) -> Self {
        self.param = param;
        self
    }

    /// The same answer with the first `len` bytes of the output buffer as payload.
    pub const fn with_len(mut self, len: usize) -> Self {
        self.len = len;
        self
    }
}

/// What to do with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<S> {
    /// Answer now.
    Now(Answer<S>),
    /// Keep the call and answer it when [`Service::tick`] says it is ready. A client
    /// has at most one held call: if it had one, that one is answered now with
    /// `previous` (or, with `None`, never: the service has forgotten it).
    Hold {
        /// The answer for the client's earlier held call, if it had one.
        previous: Option<Answer<S>>,
    },
}

/// Where [`Service::tick`] sends the answers of held calls that are ready:
/// `ready(badge, answer, payload)`.
pub type Ready<'a, S> = dyn FnMut(u64, Answer<S>, &[u8]) + 'a;

/// Whether a client that connected is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission<S> {
    /// Served.
    Admit,
    /// Not served (no slot left): each of its calls is answered with this.
    Refuse(Answer<S>),
}

/// A KOS service (see the crate documentation). Every method gets the loop's clock,
/// microseconds since the loop started.
pub trait Service {
    /// The protocol's reply statuses.
    type Status: Status;

    /// A client connected. Its calls reach [`Service::call`] unless refused.
    fn connected(&mut self, _client: Client<'_>, _now_us: u64) -> Admission<Self::Status> {
        Admission::Admit
    }

    /// A client that was admitted is gone (released its token, died, or was cut off
    /// for not reading its replies); any call held for it is dropped.
    fn disconnected(&mut self, _client: Client<'_>) {}

    /// Answers `call` from `client`, writing any payload to the front of `out`.
    fn call(
        &mut self,
        client: Client<'_>,
        call: Call<'_>,
        out: &mut [u8; MAX_PAYLOAD],
        now_us: u64,
    ) -> Reply<Self::Status>;

    /// Longest the loop may wait for the next call before it must [`Service::tick`]
    /// again, in microseconds from `now_us`.
    fn wait_us(&self, now_us: u64) -> u64;

    /// Work between calls (reseeding, polling a controller). Held calls that are ready
    /// are answered through `ready(badge, answer, payload)`, `payload` being the
    /// answer's bytes (written by the service into `out`).
    fn tick(
        &mut self,
        _now_us: u64,
        _out: &mut [u8; MAX_PAYLOAD],
        _ready: &mut Ready<'_, Self::Status>,
    ) {
    }

    /// The reply to a call has been sent with `payload` (the front of the output
    /// buffer): a service whose replies are secrets wipes them here.
    fn replied(&mut self, _payload: &mut [u8]) {}
}
