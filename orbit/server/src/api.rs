//! The operator's HTTP API (JSON), used by the `orbit` CLI and the dashboard.
//!
//! Every route under `/api` wants `Authorization: Bearer <admin token>` (the token is
//! created in the data directory on first run). Commands are recorded before they are
//! sent, so every attempt — including one to an offline device — leaves a record with
//! its result.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use orbit_protocol::Command;
use serde::{Deserialize, Serialize};

use crate::hub::kind_of;
use crate::keys::public_key_from_pem;
use crate::store::{CommandRecord, DeviceRecord, StoreError};
use crate::{now_ms, Orbit};

/// An API error: a status and a sentence for the user.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let status = match e {
            StoreError::Exists(_) => StatusCode::CONFLICT,
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, e.to_string())
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Checks the bearer token.
pub fn authorize(orbit: &Orbit, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Constant-time comparison: the token is the only secret guarding the fleet.
    match given {
        Some(t) if constant_time_eq(t.as_bytes(), orbit.admin_token.as_bytes()) => Ok(()),
        _ => Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "missing or wrong admin token (see DATA_DIR/admin-token)".into(),
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A device as the API shows it: its record plus whether it is connected now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceView {
    /// What the store keeps.
    #[serde(flatten)]
    pub record: DeviceRecord,
    /// Connected to this Orbit now.
    pub online: bool,
    /// Unix ms of the current connection's start.
    pub connected_since: Option<i64>,
}

/// `GET /api/devices`
pub async fn list_devices(
    State(orbit): State<Arc<Orbit>>,
    headers: HeaderMap,
) -> ApiResult<Vec<DeviceView>> {
    authorize(&orbit, &headers)?;
    let views = orbit
        .store
        .devices()?
        .into_iter()
        .map(|record| {
            let connected_since = orbit.hub.connected_since(&record.name);
            DeviceView {
                online: connected_since.is_some(),
                connected_since,
                record,
            }
        })
        .collect();
    Ok(Json(views))
}

/// Body of `POST /api/devices`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Register {
    /// The device's name ([`valid_name`]).
    pub name: String,
    /// PEM: an Ed25519 public key or a device registration certificate.
    pub public_key: String,
}

/// Device names: what a shell, a URL and a log line all take without quoting — a
/// letter or digit first (so never `.`, `..` or an option like `-rf`), then letters,
/// digits, `-`, `_` or `.`, at most 64 bytes.
pub fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// `POST /api/devices`
pub async fn register(
    State(orbit): State<Arc<Orbit>>,
    headers: HeaderMap,
    Json(req): Json<Register>,
) -> Result<(StatusCode, Json<DeviceRecord>), ApiError> {
    authorize(&orbit, &headers)?;
    if !valid_name(&req.name) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "bad device name {:?}: use 1-64 letters, digits, '-', '_' or '.', a letter or digit first",
                req.name
            ),
        ));
    }
    let key =
        public_key_from_pem(&req.public_key).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    orbit.store.register(&req.name, key.as_bytes(), now_ms())?;
    tracing::info!(device = %req.name, "device registered");
    let record = orbit
        .store
        .device(&req.name)?
        .ok_or_else(|| StoreError::NotFound(req.name.clone()))?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// `POST /api/devices/{name}/revoke`: refused from now on, and cut off now.
pub async fn revoke(
    State(orbit): State<Arc<Orbit>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<DeviceRecord> {
    authorize(&orbit, &headers)?;
    orbit.store.revoke(&name)?;
    orbit.hub.kick(&name, "device revoked");
    tracing::info!(device = %name, "device revoked");
    Ok(Json(
        orbit
            .store
            .device(&name)?
            .ok_or(StoreError::NotFound(name))?,
    ))
}

/// Query of the command routes: how long to wait for the result (seconds, 0 = don't).
#[derive(Deserialize)]
pub struct Wait {
    wait: Option<u64>,
}

/// `POST /api/devices/{name}/ping`
pub async fn ping(
    state: State<Arc<Orbit>>,
    headers: HeaderMap,
    name: Path<String>,
    q: Query<Wait>,
) -> ApiResult<CommandRecord> {
    command(state, headers, name, Command::Ping, q.wait.unwrap_or(10)).await
}

/// `POST /api/devices/{name}/restart`
pub async fn restart(
    state: State<Arc<Orbit>>,
    headers: HeaderMap,
    name: Path<String>,
    q: Query<Wait>,
) -> ApiResult<CommandRecord> {
    command(state, headers, name, Command::Restart, q.wait.unwrap_or(60)).await
}

/// `POST /api/devices/{name}/upgrade` with the bundle as the body: stores it, then sends
/// the device an upgrade command carrying a one-time download token.
///
/// Nothing of the body is read before the token and the device are checked; then it
/// streams to disk (`bundles::receive`), with at most `bundles::MAX_UPLOADS` uploads at
/// once — another is answered 503 at once, not queued.
pub async fn upgrade(
    State(orbit): State<Arc<Orbit>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    q: Query<Wait>,
    body: axum::body::Body,
) -> ApiResult<CommandRecord> {
    authorize(&orbit, &headers)?;
    orbit
        .store
        .device(&name)?
        .ok_or_else(|| StoreError::NotFound(name.clone()))?;
    // A body that says it is too large is refused before a byte of it is read.
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > crate::bundles::MAX_BUNDLE_BYTES) {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            crate::bundles::UploadError::TooLarge.to_string(),
        ));
    }
    let _receiving = orbit.uploads.clone().try_acquire_owned().map_err(|_| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} uploads are being received already: try again when one ends",
                crate::bundles::MAX_UPLOADS
            ),
        )
    })?;
    let dir = orbit.data_dir.join("bundles");
    let stored = crate::bundles::receive(&dir, body).await.map_err(|e| {
        let status = match e {
            crate::bundles::UploadError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            crate::bundles::UploadError::Stalled => StatusCode::REQUEST_TIMEOUT,
            crate::bundles::UploadError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError(status, e.to_string())
    })?;
    drop(_receiving);
    tracing::info!(device = %name, version = %stored.version, sha256 = %stored.sha256, "bundle uploaded");
    let token = orbit
        .downloads
        .grant(&name, &stored.sha256)
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let cmd = Command::Upgrade {
        url: format!(
            "{}{}?token={token}",
            orbit_protocol::BUNDLES_PATH,
            stored.sha256
        ),
        sha256: stored.sha256,
        size: stored.size,
        version: stored.version,
    };
    command(
        State(orbit),
        headers,
        Path(name),
        cmd,
        q.wait.unwrap_or(300),
    )
    .await
}

/// Query of a bundle download.
#[derive(Deserialize)]
pub struct DownloadToken {
    token: String,
}

/// `GET /device/bundles/{sha256}?token=T`: the bundle, for the device its upgrade
/// command went to, once.
pub async fn download(
    State(orbit): State<Arc<Orbit>>,
    Path(sha256): Path<String>,
    Query(q): Query<DownloadToken>,
) -> Result<Response, ApiError> {
    let Some(device) = orbit.downloads.take(&q.token, &sha256) else {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "unknown, used or expired download token".into(),
        ));
    };
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError(StatusCode::BAD_REQUEST, "bad bundle name".into()));
    }
    let path = orbit
        .data_dir
        .join("bundles")
        .join(format!("{sha256}.tar.gz"));
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError(StatusCode::NOT_FOUND, format!("bundle {sha256}: {e}")))?;
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    tracing::info!(%device, %sha256, "bundle download");
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            ("content-type", "application/gzip".to_string()),
            ("content-length", len.to_string()),
        ],
        body,
    )
        .into_response())
}

/// Records `cmd`, sends it and waits up to `wait_s` for its result; returns the
/// command's record as it stands then.
pub async fn command(
    State(orbit): State<Arc<Orbit>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    cmd: Command,
    wait_s: u64,
) -> ApiResult<CommandRecord> {
    authorize(&orbit, &headers)?;
    // The device checks again; refusing here keeps a bad command out of the records.
    cmd.check()
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    let device = orbit
        .store
        .device(&name)?
        .ok_or_else(|| StoreError::NotFound(name.clone()))?;
    if device.revoked {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("device {name:?} is revoked"),
        ));
    }
    let id = orbit.store.new_command(&name, kind_of(&cmd), now_ms())?;
    match orbit.hub.send(&name, id, cmd) {
        None => orbit
            .store
            .update_command(id, "error", "device offline", Some(now_ms()))?,
        Some(done) if wait_s > 0 => {
            // The result itself is recorded by the device's connection; this only waits.
            let _ = tokio::time::timeout(Duration::from_secs(wait_s), done).await;
        }
        Some(_) => {}
    }
    Ok(Json(
        orbit
            .store
            .command(id)?
            .ok_or(StoreError::NotFound(format!("command {id}")))?,
    ))
}

/// What a fleet-wide command came to.
#[derive(Serialize)]
pub struct FleetOutcome {
    /// Devices the command was sent to (those online).
    devices: usize,
    /// Of those, how many reported success.
    ok: usize,
    /// How many reported an error (or disconnected).
    failed: usize,
    /// How many had not reported when the wait ended.
    pending: usize,
    /// From the first send to the last result (or the end of the wait), ms.
    elapsed_ms: f64,
}

/// `POST /api/fleet/{kind}?wait=S` (`ping` or `restart`): the command to every device
/// online now, recorded in one transaction; waits for every result.
pub async fn fleet(
    State(orbit): State<Arc<Orbit>>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    q: Query<Wait>,
) -> ApiResult<FleetOutcome> {
    authorize(&orbit, &headers)?;
    let cmd = match kind.as_str() {
        "ping" => Command::Ping,
        "restart" => Command::Restart,
        other => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("fleet commands are ping and restart, not {other:?}"),
            ))
        }
    };
    let devices = orbit.hub.online();
    let ids = orbit
        .store
        .new_commands(&devices, kind_of(&cmd), now_ms())?;
    let started = std::time::Instant::now();
    let mut waits = Vec::with_capacity(devices.len());
    let mut failed = 0;
    for (device, id) in devices.iter().zip(ids) {
        match orbit.hub.send(device, id, cmd.clone()) {
            Some(done) => waits.push(done),
            None => {
                failed += 1;
                orbit
                    .store
                    .update_command(id, "error", "device offline", Some(now_ms()))?;
            }
        }
    }
    let deadline = Duration::from_secs(q.wait.unwrap_or(60));
    let (mut ok, mut pending) = (0, 0);
    let all = futures_util::future::join_all(waits);
    match tokio::time::timeout(deadline, all).await {
        Ok(outcomes) => {
            for o in outcomes {
                match o {
                    Ok(o) if o.ok => ok += 1,
                    _ => failed += 1,
                }
            }
        }
        Err(_) => pending = devices.len() - failed,
    }
    Ok(Json(FleetOutcome {
        devices: devices.len(),
        ok,
        failed,
        pending,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    }))
}

/// Query of `GET /api/commands`.
#[derive(Deserialize)]
pub struct CommandQuery {
    device: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/commands?device=NAME&limit=N`
pub async fn list_commands(
    State(orbit): State<Arc<Orbit>>,
    headers: HeaderMap,
    Query(q): Query<CommandQuery>,
) -> ApiResult<Vec<CommandRecord>> {
    authorize(&orbit, &headers)?;
    Ok(Json(orbit.store.commands(
        q.device.as_deref(),
        q.limit.unwrap_or(50).min(1000),
    )?))
}

/// `GET /api/commands/{id}`
pub async fn get_command(
    State(orbit): State<Arc<Orbit>>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> ApiResult<CommandRecord> {
    authorize(&orbit, &headers)?;
    Ok(Json(
        orbit
            .store
            .command(id)?
            .ok_or(StoreError::NotFound(format!("command {id}")))?,
    ))
}
