//! A typed client of Orbit's operator API, as the `orbit` CLI uses it: the API's own
//! types ([`DeviceView`], [`CommandRecord`], [`Register`]) read back from its JSON, and
//! failures as [`ClientError`]s rather than strings.
//!
//! Blocking (ureq): a command-line tool makes one request at a time.

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::api::{DeviceView, Register};
use crate::store::{CommandRecord, DeviceRecord};

/// Why a request did not give its answer.
#[derive(Debug)]
pub enum ClientError {
    /// Orbit answered with an error status and its `{"error": …}` message.
    Refused {
        /// The HTTP status.
        status: u16,
        /// Orbit's explanation.
        message: String,
    },
    /// Orbit could not be reached.
    Unreachable {
        /// Where it was looked for.
        base: String,
        /// The transport's error.
        error: String,
    },
    /// Orbit answered with something that is not the expected JSON.
    BadAnswer(String),
    /// A local file (a key, a bundle) could not be read.
    File {
        /// The file.
        path: String,
        /// What went wrong.
        error: std::io::Error,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Refused { status, message } => write!(f, "{message} ({status})"),
            ClientError::Unreachable { base, error } => write!(
                f,
                "cannot reach Orbit at {base}: {error} (is `orbit serve` running?)"
            ),
            ClientError::BadAnswer(e) => write!(f, "bad answer from Orbit: {e}"),
            ClientError::File { path, error } => write!(f, "{path}: {error}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// A connection to one Orbit, with the admin token.
pub struct Client {
    base: String,
    token: String,
}

impl Client {
    /// Orbit at `base` (`http://127.0.0.1:4000`), authorised by `token`.
    pub fn new(base: &str, token: &str) -> Self {
        Client {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
        }
    }

    /// Where this client sends its requests.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /api/devices`.
    pub fn devices(&self) -> Result<Vec<DeviceView>, ClientError> {
        self.get("/api/devices")
    }

    /// `POST /api/devices`: registers `name` with the PEM key or certificate in `pem`.
    pub fn register(&self, name: &str, pem: &str) -> Result<DeviceRecord, ClientError> {
        let body = Register {
            name: name.to_string(),
            public_key: pem.to_string(),
        };
        self.answer(self.request("POST", "/api/devices").send_json(body))
    }

    /// `POST /api/devices/{name}/revoke`.
    pub fn revoke(&self, name: &str) -> Result<DeviceRecord, ClientError> {
        self.post_empty(&format!("/api/devices/{name}/revoke"))
    }

    /// `POST /api/devices/{name}/ping`: the command, finished or not.
    pub fn ping(&self, device: &str) -> Result<CommandRecord, ClientError> {
        self.post_empty(&format!("/api/devices/{device}/ping"))
    }

    /// `POST /api/devices/{name}/restart`.
    pub fn restart(&self, device: &str) -> Result<CommandRecord, ClientError> {
        self.post_empty(&format!("/api/devices/{device}/restart"))
    }

    /// `POST /api/devices/{name}/upgrade` with the bundle read through `body` (its
    /// `size` bytes), so the caller can show progress.
    pub fn upgrade(
        &self,
        device: &str,
        body: impl Read,
        size: u64,
    ) -> Result<CommandRecord, ClientError> {
        let r = self
            .request("POST", &format!("/api/devices/{device}/upgrade"))
            .set("Content-Type", "application/gzip")
            .set("Content-Length", &size.to_string())
            .send(body);
        self.answer(r)
    }

    /// `GET /api/commands/{id}`.
    pub fn command(&self, id: u64) -> Result<CommandRecord, ClientError> {
        self.get(&format!("/api/commands/{id}"))
    }

    /// `GET /api/commands`: the newest `limit`, of one device or all.
    pub fn commands(
        &self,
        device: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CommandRecord>, ClientError> {
        let mut path = format!("/api/commands?limit={limit}");
        if let Some(d) = device {
            path.push_str(&format!("&device={d}"));
        }
        self.get(&path)
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        ureq::request(method, &format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {}", self.token))
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.answer(self.request("GET", path).call())
    }

    fn post_empty<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.answer(self.request("POST", path).send_json(serde_json::json!({})))
    }

    fn answer<T: serde::de::DeserializeOwned>(
        &self,
        r: Result<ureq::Response, ureq::Error>,
    ) -> Result<T, ClientError> {
        match r {
            Ok(resp) => resp
                .into_json()
                .map_err(|e| ClientError::BadAnswer(e.to_string())),
            Err(ureq::Error::Status(status, resp)) => {
                #[derive(serde::Deserialize)]
                struct Refusal {
                    error: String,
                }
                let message = resp
                    .into_json::<Refusal>()
                    .map(|r| r.error)
                    .unwrap_or_else(|_| "request refused".into());
                Err(ClientError::Refused { status, message })
            }
            Err(e) => Err(ClientError::Unreachable {
                base: self.base.clone(),
                error: e.to_string(),
            }),
        }
    }
}

/// Reads a local file for a request, naming it on failure.
pub fn read_file(path: &Path) -> Result<String, ClientError> {
    std::fs::read_to_string(path).map_err(|error| ClientError::File {
        path: path.display().to_string(),
        error,
    })
}
