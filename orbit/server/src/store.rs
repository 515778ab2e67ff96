//! Orbit's records: devices and commands, behind the [`Store`] trait.
//!
//! [`SqliteStore`] is the embedded default: one SQLite file in the data directory,
//! created on first run, so `orbit serve` needs no database server. The trait is what
//! a PostgreSQL store for larger fleets would implement. Live state (who is connected
//! right now) is not stored: it lives in the hub and is gone when Orbit stops.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// A registered device (also the API's JSON, read back by [`crate::client`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Unique name.
    pub name: String,
    /// Its Ed25519 public key.
    #[serde(serialize_with = "hex_key", deserialize_with = "key_from_hex")]
    pub public_key: [u8; 32],
    /// Unix ms.
    pub registered_at: i64,
    /// A revoked device is refused at connect.
    pub revoked: bool,
    /// Unix ms of the last connect or disconnect seen.
    pub last_seen: Option<i64>,
    /// System version the device last reported.
    pub version: Option<String>,
    /// Round trip of its last ping, ms.
    pub rtt_ms: Option<f64>,
}

fn hex_key<S: serde::Serializer>(key: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(key))
}

fn key_from_hex<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let text = String::deserialize(d)?;
    let mut key = [0; 32];
    hex::decode_to_slice(&text, &mut key).map_err(serde::de::Error::custom)?;
    Ok(key)
}

/// A command sent (or attempted) to a device (also the API's JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// Orbit's id, also the protocol's.
    pub id: u64,
    /// Device name.
    pub device: String,
    /// `ping`, `restart` or `upgrade`.
    pub kind: String,
    /// `sent`, `acked`, `ok` or `error`.
    pub state: String,
    /// The device's result detail, or why it failed.
    pub detail: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms, once `ok` or `error`.
    pub finished_at: Option<i64>,
}

/// A store failure.
#[derive(Debug)]
pub enum StoreError {
    /// A device of that name is already registered.
    Exists(String),
    /// No device of that name.
    NotFound(String),
    /// The database failed.
    Db(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Exists(n) => write!(f, "a device named {n:?} is already registered"),
            StoreError::NotFound(n) => write!(f, "no device named {n:?} is registered"),
            StoreError::Db(e) => write!(f, "store: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

/// Where Orbit keeps devices and commands.
pub trait Store: Send + Sync + 'static {
    /// Registers `name` with `public_key`; fails if the name is taken.
    fn register(&self, name: &str, public_key: &[u8; 32], now: i64) -> Result<(), StoreError>;
    /// Marks `name` revoked: it is refused from now on.
    fn revoke(&self, name: &str) -> Result<(), StoreError>;
    /// One device.
    fn device(&self, name: &str) -> Result<Option<DeviceRecord>, StoreError>;
    /// Every device, by name.
    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError>;
    /// Records that `name` was seen now, with what it reported.
    fn seen(
        &self,
        name: &str,
        now: i64,
        version: Option<&str>,
        rtt_ms: Option<f64>,
    ) -> Result<(), StoreError>;
    /// A new command to `device`; returns its id.
    fn new_command(&self, device: &str, kind: &str, now: i64) -> Result<u64, StoreError>;
    /// New commands of one kind to many devices, recorded together (a fleet-wide
    /// command); returns their ids in the order of `devices`.
    fn new_commands(
        &self,
        devices: &[String],
        kind: &str,
        now: i64,
    ) -> Result<Vec<u64>, StoreError>;
    /// Moves command `id` to `state` with `detail`; `finished` for `ok` / `error`.
    fn update_command(
        &self,
        id: u64,
        state: &str,
        detail: &str,
        finished: Option<i64>,
    ) -> Result<(), StoreError>;
    /// One command.
    fn command(&self, id: u64) -> Result<Option<CommandRecord>, StoreError>;
    /// The latest `limit` commands, newest first, of one device or of all.
    fn commands(
        &self,
        device: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CommandRecord>, StoreError>;
    /// Every command still `sent` or `acked`, oldest first.
    fn unfinished(&self) -> Result<Vec<CommandRecord>, StoreError>;
}

/// The embedded store: one SQLite database file.
pub struct SqliteStore {
    // One connection: Orbit's writes are small and rare next to its connections, and
    // SQLite serialises writers anyway.
    db: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS devices (
    name TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    registered_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    last_seen INTEGER,
    version TEXT,
    rtt_ms REAL
);
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL REFERENCES devices(name),
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS commands_by_device ON commands(device, id);
";

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let db = Connection::open(path)?;
        // WAL: readers (the dashboard) never wait for a writer; NORMAL sync is durable
        // across application crashes, which is what a fleet record needs.
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.pragma_update(None, "foreign_keys", "ON")?;
        db.execute_batch(SCHEMA)?;
        Ok(SqliteStore { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRecord> {
    let key: Vec<u8> = r.get(1)?;
    let mut public_key = [0u8; 32];
    // The schema only ever receives 32-byte keys (register takes [u8; 32]).
    if key.len() == 32 {
        public_key.copy_from_slice(&key);
    }
    Ok(DeviceRecord {
        name: r.get(0)?,
        public_key,
        registered_at: r.get(2)?,
        revoked: r.get::<_, i64>(3)? != 0,
        last_seen: r.get(4)?,
        version: r.get(5)?,
        rtt_ms: r.get(6)?,
    })
}

fn command_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CommandRecord> {
    Ok(CommandRecord {
        id: r.get::<_, i64>(0)? as u64,
        device: r.get(1)?,
        kind: r.get(2)?,
        state: r.get(3)?,
        detail: r.get(4)?,
        created_at: r.get(5)?,
        finished_at: r.get(6)?,
    })
}

const DEVICE_COLS: &str = "name, public_key, registered_at, revoked, last_seen, version, rtt_ms";
const COMMAND_COLS: &str = "id, device, kind, state, detail, created_at, finished_at";

impl Store for SqliteStore {
    fn register(&self, name: &str, public_key: &[u8; 32], now: i64) -> Result<(), StoreError> {
        let db = self.db();
        let done = db.execute(
            "INSERT INTO devices (name, public_key, registered_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
            params![name, &public_key[..], now],
        )?;
        if done == 0 {
            return Err(StoreError::Exists(name.to_string()));
        }
        Ok(())
    }

    fn revoke(&self, name: &str) -> Result<(), StoreError> {
        let done = self.db().execute(
            "UPDATE devices SET revoked = 1 WHERE name = ?1",
            params![name],
        )?;
        if done == 0 {
            return Err(StoreError::NotFound(name.to_string()));
        }
        Ok(())
    }

    fn device(&self, name: &str) -> Result<Option<DeviceRecord>, StoreError> {
        Ok(self
            .db()
            .query_row(
                &format!("SELECT {DEVICE_COLS} FROM devices WHERE name = ?1"),
                params![name],
                device_row,
            )
            .optional()?)
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare(&format!("SELECT {DEVICE_COLS} FROM devices ORDER BY name"))?;
        let rows = stmt.query_map([], device_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn seen(
        &self,
        name: &str,
        now: i64,
        version: Option<&str>,
        rtt_ms: Option<f64>,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE devices SET last_seen = ?2, version = COALESCE(?3, version), rtt_ms = COALESCE(?4, rtt_ms) WHERE name = ?1",
            params![name, now, version, rtt_ms],
        )?;
        Ok(())
    }

    fn new_command(&self, device: &str, kind: &str, now: i64) -> Result<u64, StoreError> {
        let db = self.db();
        db.execute(
            "INSERT INTO commands (device, kind, state, created_at) VALUES (?1, ?2, 'sent', ?3)",
            params![device, kind, now],
        )?;
        Ok(db.last_insert_rowid() as u64)
    }

    fn new_commands(
        &self,
        devices: &[String],
        kind: &str,
        now: i64,
    ) -> Result<Vec<u64>, StoreError> {
        let mut db = self.db();
        // One transaction: 10 000 inserts cost one commit, not 10 000.
        let tx = db.transaction()?;
        let mut ids = Vec::with_capacity(devices.len());
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO commands (device, kind, state, created_at) VALUES (?1, ?2, 'sent', ?3)",
            )?;
            for device in devices {
                stmt.execute(params![device, kind, now])?;
                ids.push(tx.last_insert_rowid() as u64);
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    fn update_command(
        &self,
        id: u64,
        state: &str,
        detail: &str,
        finished: Option<i64>,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE commands SET state = ?2, detail = ?3, finished_at = ?4 WHERE id = ?1",
            params![id as i64, state, detail, finished],
        )?;
        Ok(())
    }

    fn command(&self, id: u64) -> Result<Option<CommandRecord>, StoreError> {
        Ok(self
            .db()
            .query_row(
                &format!("SELECT {COMMAND_COLS} FROM commands WHERE id = ?1"),
                params![id as i64],
                command_row,
            )
            .optional()?)
    }

    fn commands(
        &self,
        device: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CommandRecord>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare(&format!(
            "SELECT {COMMAND_COLS} FROM commands WHERE ?1 IS NULL OR device = ?1 ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![device, limit as i64], command_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn unfinished(&self) -> Result<Vec<CommandRecord>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare(&format!(
            "SELECT {COMMAND_COLS} FROM commands WHERE state IN ('sent', 'acked') ORDER BY id"
        ))?;
        let rows = stmt.query_map([], command_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn devices_and_commands_survive_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orbit.sqlite3");
        {
            let s = SqliteStore::open(&path).unwrap();
            s.register("dev1", &[1; 32], 10).unwrap();
            assert!(matches!(
                s.register("dev1", &[2; 32], 11),
                Err(StoreError::Exists(_))
            ));
            let id = s.new_command("dev1", "ping", 12).unwrap();
            s.update_command(id, "ok", "pong", Some(13)).unwrap();
            s.seen("dev1", 14, Some("1.2.0"), Some(0.5)).unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        let d = s.device("dev1").unwrap().unwrap();
        assert_eq!(d.public_key, [1; 32]);
        assert_eq!(
            (d.last_seen, d.version.as_deref(), d.rtt_ms),
            (Some(14), Some("1.2.0"), Some(0.5))
        );
        let cmds = s.commands(Some("dev1"), 10).unwrap();
        assert_eq!(cmds.len(), 1);
        assert_eq!(
            (cmds[0].state.as_str(), cmds[0].detail.as_str()),
            ("ok", "pong")
        );
        s.revoke("dev1").unwrap();
        assert!(s.device("dev1").unwrap().unwrap().revoked);
        assert!(matches!(s.revoke("nobody"), Err(StoreError::NotFound(_))));
        // A command for an unknown device is refused by the foreign key.
        assert!(s.new_command("nobody", "ping", 1).is_err());
    }
}
