//! Orbit, the KOS fleet service.
//!
//! One process, one listener: the device WebSocket ([`device_ws`], authenticated by
//! challenge–response with each device's registered Ed25519 key), the operator's JSON
//! API ([`api`], bearer token) and the dashboard (`dashboard.html`, a static page on that API). Records live in a [`store::Store`]
//! (embedded SQLite by default); who is connected right now lives in the [`hub::Hub`].
//! [`start`] runs it all on a tokio runtime and returns the bound address, so tests
//! and the demo can run Orbit in-process on an ephemeral port.

pub mod api;
pub mod bundles;
pub mod cli;
pub mod client;
pub mod device_ws;
mod error;
pub mod guard;
pub mod hub;
pub mod keys;
pub mod reconcile;
pub mod store;
pub mod tls;

pub use error::StartError;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

/// Timing and limits of Orbit's connections.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How often a connected device is pinged.
    pub heartbeat: Duration,
    /// A device silent this long is dropped (shown offline).
    pub dead_after: Duration,
    /// How long a device has to answer the challenge.
    pub handshake_timeout: Duration,
    /// Most connections open at once (devices, operators, dashboards); beyond it a
    /// new connection is closed at once.
    pub max_connections: usize,
    /// A connection with nothing moving in or out this long is closed.
    pub idle_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            heartbeat: Duration::from_secs(2),
            dead_after: Duration::from_secs(6),
            handshake_timeout: Duration::from_secs(10),
            // Fleets of 10 000 devices per node and more (BENCHMARKS.md), with room.
            max_connections: 50_000,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Orbit's shared state.
pub struct Orbit {
    /// Devices and commands.
    pub store: Arc<dyn store::Store>,
    /// Connected devices.
    pub hub: hub::Hub,
    /// This instance's id, part of what devices sign (kept in the data directory).
    pub id: String,
    /// The operator's bearer token.
    pub admin_token: String,
    /// Connection timing.
    pub settings: Settings,
    /// The data directory.
    pub data_dir: PathBuf,
    /// Download tokens of upgrade commands in flight.
    pub downloads: bundles::Downloads,
    /// Uploads being received now: each holds a permit ([`bundles::MAX_UPLOADS`]).
    pub uploads: Arc<tokio::sync::Semaphore>,
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Reads `dir/name`, or creates it with 32 random bytes in hex (mode 0600).
fn secret_file(dir: &Path, name: &str) -> std::io::Result<String> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => return Ok(s.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    let value = hex::encode(bytes);
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    writeln!(f, "{value}")?;
    Ok(value)
}

impl Orbit {
    /// Opens (creating on first run) the data directory: the SQLite store, the
    /// instance id and the admin token.
    pub fn open(data_dir: &Path, settings: Settings) -> Result<Orbit, StartError> {
        std::fs::create_dir_all(data_dir).map_err(|error| StartError::DataDir {
            path: data_dir.to_path_buf(),
            error,
        })?;
        let store = store::SqliteStore::open(&data_dir.join("orbit.sqlite3"))
            .map_err(|e| StartError::Store(e.to_string()))?;
        let secret = |file: &'static str| {
            secret_file(data_dir, file).map_err(|error| StartError::Secret { file, error })
        };
        let id = secret("orbit-id")?;
        let admin_token = secret("admin-token")?;
        let settled =
            reconcile::at_start(&store, now_ms()).map_err(|e| StartError::Store(e.to_string()))?;
        if settled != reconcile::Settled::default() {
            tracing::info!(
                "settled commands an earlier run left: {} cut off ({:?}), {} upgrades past their deadline ({:?})",
                settled.cut_off.len(),
                settled.cut_off,
                settled.expired.len(),
                settled.expired
            );
        }
        let stale = bundles::clean_partial(&data_dir.join("bundles"));
        if stale > 0 {
            tracing::info!("removed {stale} partial upload(s) an earlier run left");
        }
        Ok(Orbit {
            store: Arc::new(store),
            hub: hub::Hub::default(),
            id,
            admin_token,
            settings,
            data_dir: data_dir.to_path_buf(),
            downloads: bundles::Downloads::default(),
            uploads: Arc::new(tokio::sync::Semaphore::new(bundles::MAX_UPLOADS)),
        })
    }
}

/// All of Orbit's routes.
pub fn router(orbit: Arc<Orbit>) -> Router {
    Router::new()
        .route(orbit_protocol::DEVICE_PATH, get(device_upgrade))
        .route("/", get(dashboard))
        .route("/health", get(|| async { "ok" }))
        .route("/api/devices", get(api::list_devices).post(api::register))
        .route("/api/devices/{name}/revoke", post(api::revoke))
        .route("/api/devices/{name}/ping", post(api::ping))
        .route("/api/devices/{name}/restart", post(api::restart))
        // The upload streams to disk under its own limit, after the token is checked.
        .route("/api/devices/{name}/upgrade", post(api::upgrade))
        .route(
            &format!("{}{{sha256}}", orbit_protocol::BUNDLES_PATH),
            get(api::download),
        )
        .route("/api/fleet/{kind}", post(api::fleet))
        .route("/api/commands", get(api::list_commands))
        .route("/api/commands/{id}", get(api::get_command))
        .with_state(orbit)
}

/// The dashboard: one static page that uses the API with the token from its address.
async fn dashboard() -> axum::response::Html<&'static str> {
    axum::response::Html(include_str!("dashboard.html"))
}

/// The address of a connection's peer, for logs (over plain TCP or TLS alike).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl<L> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, guard::Guarded<L>>>
    for Peer
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    fn connect_info(s: axum::serve::IncomingStream<'_, guard::Guarded<L>>) -> Peer {
        Peer(*s.remote_addr())
    }
}

async fn device_upgrade(
    ws: WebSocketUpgrade,
    State(orbit): State<Arc<Orbit>>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
) -> Response {
    // Device messages are a few hundred bytes: small buffers keep a connection cheap
    // (tungstenite's 128 KiB default read buffer made one cost ~139 KiB of Orbit's
    // memory; BENCHMARKS.md), and a cap on message size bounds what a device can send.
    ws.read_buffer_size(4 << 10)
        .write_buffer_size(4 << 10)
        .max_message_size(64 << 10)
        .max_frame_size(64 << 10)
        .on_upgrade(move |socket| device_ws::serve(socket, orbit, peer.to_string()))
}

/// A running Orbit.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state.
    pub orbit: Arc<Orbit>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, closes every connection and waits for the server to end.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        // Upgraded WebSockets are not the HTTP server's to drain: close them.
        self.orbit.hub.kick_all("orbit stopping");
        let _ = self.task.await;
    }
}

/// Refuses plain `ws://` beyond loopback: devices would send their traffic in clear.
pub fn check_listen(addr: &SocketAddr, tls: bool) -> Result<(), StartError> {
    if tls || addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(StartError::PlainBeyondLoopback(*addr))
    }
}

/// Binds `listen` and serves `orbit` over plain HTTP (loopback only) on the current
/// tokio runtime until stopped.
pub async fn start(orbit: Orbit, listen: SocketAddr) -> Result<Running, StartError> {
    check_listen(&listen, false)?;
    let listener = bind(listen).await?;
    let addr = local_addr(&listener, listen)?;
    Ok(spawn_server(listener, addr, orbit))
}

/// Like [`start`], over TLS with `acceptor` (see [`tls::acceptor`]); any address.
pub async fn start_tls(
    orbit: Orbit,
    listen: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
) -> Result<Running, StartError> {
    check_listen(&listen, true)?;
    let tcp = bind(listen).await?;
    let addr = local_addr(&tcp, listen)?;
    let listener =
        tls::TlsListener::new(tcp, acceptor).map_err(|error| StartError::Listen { addr, error })?;
    Ok(spawn_server(listener, addr, orbit))
}

async fn bind(listen: SocketAddr) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| StartError::Listen {
            addr: listen,
            error,
        })
}

fn local_addr(
    listener: &tokio::net::TcpListener,
    listen: SocketAddr,
) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|error| StartError::Listen {
        addr: listen,
        error,
    })
}

fn spawn_server<L>(listener: L, addr: SocketAddr, orbit: Orbit) -> Running
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: Unpin,
{
    let orbit = Arc::new(orbit);
    let settings = orbit.settings;
    let listener = guard::Guarded::new(listener, settings.max_connections, settings.idle_timeout);
    let app = router(orbit.clone()).into_make_service_with_connect_info::<Peer>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // Upgrades that no device will ever report end with a reason (`reconcile`).
    let sweeping = orbit.clone();
    let sweeper = tokio::spawn(async move {
        let mut every = tokio::time::interval(reconcile::SWEEP_EVERY);
        loop {
            every.tick().await;
            match reconcile::sweep(sweeping.store.as_ref(), now_ms()) {
                Ok(s) if !s.expired.is_empty() => {
                    tracing::warn!(
                        "upgrades with no result past their deadline: {:?}",
                        s.expired
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("settling expired upgrades: {e}"),
            }
        }
    });
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
        sweeper.abort();
        served
    });
    Running {
        addr,
        orbit,
        stop,
        task,
    }
}
