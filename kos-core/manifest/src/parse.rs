//! From a device-tree blob to a [`Manifest`], checking every rule that one node can
//! decide alone: structure, property types, kinds, budgets, names and duplicates.
//! Rules that relate nodes to each other are in [`validate`](crate::validate).
//!
//! Unknown properties and unknown child nodes are ignored, so that a manifest written
//! for a newer KOS still loads; an unknown *value* (a `kind`, a `restart` mode) is an
//! error, because guessing what it means would run the wrong thing.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use fdt::node::FdtNode;
use fdt::Fdt;

use core::ops::RangeInclusive;

use crate::app_env::{self, EnvEntry};
use crate::bus::{
    Backend, Bus, CAN_BITRATE, DEFAULT_CAN_BITRATE, DEFAULT_I2C_SPEED_HZ, I2C_SPEED_HZ,
    MAX_I2C_CLIENTS,
};
use crate::error::{ManifestError, Rule};
use crate::model::{
    App, AppKind, Manifest, MsgServer, Network, ProtocolAccess, RestartMode, RestartPolicy, Tracing,
};
use crate::{
    COMPATIBLE, DEFAULT_TRACE_BUFFER_KIB, HEAP_KIB_RANGE, I2C_DEVICE_ADDRESSES, MAX_NAME_LEN,
    MAX_PROTOCOL_LEN, MEMORY_MIB_RANGE, ROOT_APP, TRACE_BUFFER_KIB_RANGE,
};

/// Parses `blob` and checks the per-node rules.
pub(crate) fn parse(blob: &[u8]) -> Result<Manifest, ManifestError> {
    let not_a_tree = |detail: String| ManifestError::new("/", Rule::NotADeviceTree, detail);
    crate::blob::check(blob).map_err(not_a_tree)?;
    let fdt = Fdt::new(blob).map_err(|e| not_a_tree(e.to_string()))?;
    let root = fdt
        .find_node("/")
        .ok_or_else(|| not_a_tree("no root node".to_owned()))?;
    let mut root = Node {
        node: root,
        path: String::new(),
        strict: true,
    };

    root.check_unique_properties()?;
    // Any problem with `compatible` means "not a manifest this KOS can read". Like any
    // device tree, a newer manifest may list older strings it stays compatible with.
    let compatible = root
        .strings("compatible")
        .map_err(|_| root.error(Rule::Compatible, "`compatible` is not a list of strings"))?;
    match compatible {
        // A manifest that says it is of a newer version first may hold what this KOS
        // does not know; one of this version may not (a slip is an error).
        Some(list) if list.contains(&COMPATIBLE) => root.strict = list.first() == Some(&COMPATIBLE),
        Some(list) => {
            return Err(root.error(
                Rule::Compatible,
                format!("`compatible` is {list:?}; this KOS reads {COMPATIBLE:?}"),
            ))
        }
        None => {
            return Err(root.error(
                Rule::Compatible,
                format!("no `compatible` property; add `compatible = {COMPATIBLE:?};`"),
            ))
        }
    }

    root.check_known(&crate::known::ROOT)?;
    let top = root.children()?;
    let apps_node = top.iter().find(|n| n.name() == "apps").ok_or_else(|| {
        ManifestError::new(
            "/apps",
            Rule::MissingNode,
            "the manifest has no /apps node; every system runs at least one app",
        )
    })?;
    let apps = apps_node
        .children()?
        .iter()
        .map(parse_app)
        .collect::<Result<Vec<_>, _>>()?;
    if apps.is_empty() {
        return Err(apps_node.error(Rule::MissingNode, "/apps defines no app"));
    }
    let i2c_clients = apps.iter().filter(|a| !a.i2c_addresses.is_empty()).count();
    if i2c_clients > MAX_I2C_CLIENTS {
        return Err(apps_node.error(
            Rule::BadValue,
            format!(
                "{i2c_clients} apps have `i2c_addresses`; an I2C server serves at most {MAX_I2C_CLIENTS}"
            ),
        ));
    }

    // Absent /msg_servers = a system whose apps talk to no one (and to no _root).
    let msg_servers = match top.iter().find(|n| n.name() == "msg_servers") {
        Some(node) => node
            .children()?
            .iter()
            .map(parse_msg_server)
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };

    Ok(Manifest { apps, msg_servers })
}

fn parse_app(node: &Node) -> Result<App, ManifestError> {
    let name = node.name();
    if name.starts_with('_') {
        return Err(node.error(
            Rule::BadName,
            format!("`{name}` starts with `_`, reserved for KOS ({ROOT_APP} is the root server)"),
        ));
    }
    check_name(node, name, MAX_NAME_LEN, "app")?;
    node.check_unique_properties()?;
    node.check_known(&crate::known::APP)?;

    let kind = node
        .string("kind")?
        .ok_or_else(|| node.missing("kind", "`native` or `beam`"))?;
    let kind = match kind {
        "native" => {
            node.forbid("native", &["app", "memory_mib"])?;
            let binary = node
                .string("binary")?
                .ok_or_else(|| node.missing("binary", "the executable to run"))?;
            if !crate::limits::is_plain_file_name(binary) {
                return Err(node.error(
                    Rule::BadValue,
                    format!(
                        "`binary` is `{binary}`; it must be a plain file name in the binary directory ([A-Za-z0-9._-], not starting with `.` or `-`, no `/`)"
                    ),
                ));
            }
            let heap_kib = node
                .u32("heap_kib")?
                .ok_or_else(|| node.missing("heap_kib", "the heap budget in KiB"))?;
            node.budget("heap_kib", heap_kib, &HEAP_KIB_RANGE)?;
            AppKind::Native {
                binary: binary.to_owned(),
                heap_kib,
            }
        }
        "beam" => {
            node.forbid("beam", &["binary", "heap_kib"])?;
            let app = node
                .string("app")?
                .ok_or_else(|| node.missing("app", "the OTP application to start"))?;
            if !crate::limits::is_otp_app_name(app) {
                return Err(node.error(
                    Rule::BadValue,
                    format!(
                        "`app` is `{app}`; it must be an OTP application name ([a-z0-9_], a letter first, at most {} bytes)",
                        crate::limits::MAX_OTP_APP_LEN
                    ),
                ));
            }
            let memory_mib = node
                .u32("memory_mib")?
                .ok_or_else(|| node.missing("memory_mib", "the VM's memory budget in MiB"))?;
            node.budget("memory_mib", memory_mib, &MEMORY_MIB_RANGE)?;
            AppKind::Beam {
                app: app.to_owned(),
                memory_mib,
            }
        }
        other => {
            return Err(node.error(
                Rule::BadValue,
                format!("`kind` is `{other}`; expected `native` or `beam`"),
            ))
        }
    };

    let children = node.children()?;
    let child = |name: &str| children.iter().find(|c| c.name() == name);
    let env =
        match child("env") {
            Some(env) if matches!(kind, AppKind::Beam { .. }) => parse_env(env)?,
            Some(env) => return Err(env.error(
                Rule::PropertyNotForKind,
                "an `env` node is a beam app's application environment; a native app takes `args`",
            )),
            None => Vec::new(),
        };
    Ok(App {
        name: name.to_owned(),
        kind,
        msg_servers: node.names("msg_servers")?,
        restart: parse_restart(node)?,
        // Arguments may repeat and may be empty, so they skip `names`' checks.
        args: owned(node.strings("args")?.unwrap_or_default()),
        env,
        tracing: child("tracing").map(parse_tracing).transpose()?,
        network: child("network").map(parse_network).transpose()?,
        i2c_bus: child("i2c_bus")
            .map(|n| {
                n.check_known(&crate::known::I2C_BUS)?;
                parse_bus(n, "speed_hz", DEFAULT_I2C_SPEED_HZ, &I2C_SPEED_HZ)
            })
            .transpose()?,
        can_bus: child("can_bus")
            .map(|n| {
                n.check_known(&crate::known::CAN_BUS)?;
                parse_bus(n, "bitrate", DEFAULT_CAN_BITRATE, &CAN_BITRATE)
            })
            .transpose()?,
        i2c_addresses: parse_i2c_addresses(node)?,
    })
}

/// An `i2c_bus` or `can_bus` node: the backend and its settings.
fn parse_bus(
    node: &Node,
    speed_name: &str,
    default_speed: u32,
    range: &RangeInclusive<u32>,
) -> Result<Bus, ManifestError> {
    node.check_unique_properties()?;
    let backend = match node.string("backend")? {
        None => Backend::Sim,
        Some(name) => Backend::from_name(name).ok_or_else(|| {
            node.error(
                Rule::BadValue,
                format!("`backend` is `{name}`; expected `sim`, `am335x` or `linux`"),
            )
        })?,
    };
    let speed = node.u32(speed_name)?.unwrap_or(default_speed);
    if !range.contains(&speed) {
        return Err(node.error(
            Rule::BadValue,
            format!(
                "`{speed_name}` is {speed}; it must be from {} to {}",
                range.start(),
                range.end()
            ),
        ));
    }
    let device = node.string("device")?.map(ToOwned::to_owned);
    if backend == Backend::Linux && device.is_none() {
        return Err(node.missing(
            "device",
            "the Linux device the `linux` backend opens (`/dev/i2c-2`, `can0`)",
        ));
    }
    Ok(Bus {
        backend,
        speed,
        device,
        reg: node.u32("reg")?,
    })
}

/// `i2c_addresses = <0x76 0x77>;`: distinct 7-bit addresses.
fn parse_i2c_addresses(node: &Node) -> Result<Vec<u8>, ManifestError> {
    let Some(value) = node.property("i2c_addresses") else {
        return Ok(Vec::new());
    };
    if value.is_empty() || value.len() % 4 != 0 {
        return Err(node.error(
            Rule::BadValue,
            "`i2c_addresses` must be one or more 32-bit cells like `<0x76 0x77>`",
        ));
    }
    let mut addresses = Vec::new();
    for cell in value.chunks_exact(4) {
        let address = u32::from_be_bytes([cell[0], cell[1], cell[2], cell[3]]);
        // 0x00–0x07 and 0x78–0x7F are reserved (UM10204 §3.1.12): the general call
        // reaches every device, and the others reach devices indirectly, so granting
        // one would void the per-address isolation.
        let device = u8::try_from(address).is_ok_and(|a| I2C_DEVICE_ADDRESSES.contains(&a));
        if !device {
            return Err(node.error(
                Rule::BadValue,
                format!(
                    "`i2c_addresses` has {address:#x}; a device address is {:#04x} to {:#04x} (the rest are reserved by the I2C specification)",
                    I2C_DEVICE_ADDRESSES.start(),
                    I2C_DEVICE_ADDRESSES.end()
                ),
            ));
        }
        if addresses.contains(&(address as u8)) {
            return Err(node.error(
                Rule::Duplicate,
                format!("`i2c_addresses` lists {address:#x} twice"),
            ));
        }
        addresses.push(address as u8);
    }
    Ok(addresses)
}

fn parse_restart(node: &Node) -> Result<RestartPolicy, ManifestError> {
    let default = RestartPolicy::DEFAULT;
    let mode = match node.string("restart")? {
        None => default.mode,
        Some(name) => RestartMode::from_name(name).ok_or_else(|| {
            node.error(
                Rule::BadValue,
                format!("`restart` is `{name}`; expected `permanent`, `transient` or `temporary`"),
            )
        })?,
    };
    let number = |name, default| Ok(node.u32(name)?.unwrap_or(default));
    let policy = RestartPolicy {
        mode,
        max_restarts: number("max_restarts", default.max_restarts)?,
        max_seconds: number("max_seconds", default.max_seconds)?,
        backoff_ms: number("backoff_ms", default.backoff_ms)?,
        backoff_max_ms: number("backoff_max_ms", default.backoff_max_ms)?,
    };
    if policy.max_seconds == 0 {
        return Err(node.error(
            Rule::BadValue,
            "`max_seconds` is 0; the restart window must be at least 1 second",
        ));
    }
    if policy.backoff_max_ms < policy.backoff_ms {
        return Err(node.error(
            Rule::BadValue,
            format!(
                "`backoff_max_ms` ({}) is less than `backoff_ms` ({})",
                policy.backoff_max_ms, policy.backoff_ms
            ),
        ));
    }
    Ok(policy)
}

fn parse_tracing(node: &Node) -> Result<Tracing, ManifestError> {
    node.check_unique_properties()?;
    node.check_known(&crate::known::TRACING)?;
    let buffer_kib = node.u32("buffer_kib")?.unwrap_or(DEFAULT_TRACE_BUFFER_KIB);
    node.budget("buffer_kib", buffer_kib, &TRACE_BUFFER_KIB_RANGE)?;
    Ok(Tracing {
        categories: node.names("categories")?,
        buffer_kib,
    })
}

/// An `env` node: one application-environment key per property.
fn parse_env(node: &Node) -> Result<Vec<EnvEntry>, ManifestError> {
    node.check_unique_properties()?;
    if !node.children()?.is_empty() {
        return Err(node.error(
            Rule::BadValue,
            "an `env` node holds properties only (one key each), no child nodes",
        ));
    }
    let mut entries = Vec::new();
    for property in node.node.properties() {
        if !app_env::is_env_key(property.name) {
            return Err(node.error(
                Rule::BadName,
                format!(
                    "key `{}` must be 1 to {} of [a-z0-9_], starting with a letter (an atom's name)",
                    property.name,
                    app_env::MAX_ENV_KEY_LEN
                ),
            ));
        }
        let value = app_env::read_value(property.value).ok_or_else(|| {
            node.error(
                Rule::BadValue,
                format!(
                    "`{}` must be cells like `<5000>` or strings like `\"garden\"`",
                    property.name
                ),
            )
        })?;
        entries.push(EnvEntry {
            key: property.name.to_owned(),
            value,
        });
    }
    if entries.len() > app_env::MAX_ENV_KEYS {
        return Err(node.error(
            Rule::BadValue,
            format!(
                "{} keys; an `env` node holds at most {}",
                entries.len(),
                app_env::MAX_ENV_KEYS
            ),
        ));
    }
    Ok(entries)
}

fn parse_network(node: &Node) -> Result<Network, ManifestError> {
    node.check_unique_properties()?;
    node.check_known(&crate::known::NETWORK)?;
    Ok(Network {
        address: node.string("address")?.map(ToOwned::to_owned),
    })
}

fn parse_msg_server(node: &Node) -> Result<MsgServer, ManifestError> {
    check_name(node, node.name(), MAX_NAME_LEN, "message server")?;
    node.check_known(&crate::known::MSG_SERVER)?;
    let children = node.children()?;
    let acl = children
        .iter()
        .find(|c| c.name() == "dir_access_control")
        .ok_or_else(|| {
            node.error(
                Rule::MissingAccessControl,
                "every message server needs a `dir_access_control` node (it may be empty)",
            )
        })?;
    Ok(MsgServer {
        name: node.name().to_owned(),
        protocols: acl
            .children()?
            .iter()
            .map(parse_protocol)
            .collect::<Result<_, _>>()?,
    })
}

fn parse_protocol(node: &Node) -> Result<ProtocolAccess, ManifestError> {
    let name = node.name();
    let valid = !name.is_empty()
        && name.len() <= MAX_PROTOCOL_LEN
        && name
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'));
    if !valid {
        return Err(node.error(
            Rule::BadName,
            format!("protocol `{name}` must be 1 to {MAX_PROTOCOL_LEN} characters of [a-z0-9_]"),
        ));
    }
    node.check_unique_properties()?;
    node.check_known(&crate::known::PROTOCOL)?;
    Ok(ProtocolAccess {
        name: name.to_owned(),
        servers: node.names("servers")?,
        clients: node.names("clients")?,
    })
}

/// App and message-server names: `[a-z0-9_]`, a letter first, at most `max` bytes.
fn check_name(node: &Node, name: &str, max: usize, what: &str) -> Result<(), ManifestError> {
    let valid = name.len() <= max && crate::limits::is_valid_name(name);
    if valid {
        Ok(())
    } else {
        Err(node.error(
            Rule::BadName,
            format!("{what} `{name}` must be 1 to {max} of [a-z0-9_], starting with a letter"),
        ))
    }
}

fn owned(list: Vec<&str>) -> Vec<String> {
    list.into_iter().map(ToOwned::to_owned).collect()
}

/// A device-tree node with its path, which every error names.
struct Node<'b, 'a> {
    node: FdtNode<'b, 'a>,
    /// `""` for the root, so that children's paths join with a plain `/`.
    path: String,
    /// Whether unknown properties and nodes are errors: in a manifest of this version,
    /// yes; in one that declares a newer version first, no (forward compatibility).
    strict: bool,
}

impl<'b, 'a> Node<'b, 'a> {
    fn name(&self) -> &'a str {
        self.node.name
    }

    fn error(&self, rule: Rule, detail: impl Into<String>) -> ManifestError {
        ManifestError::new(self.error_path(), rule, detail)
    }

    fn missing(&self, property: &str, what: &str) -> ManifestError {
        self.error(
            Rule::MissingProperty,
            format!("`{property}` ({what}) is required"),
        )
    }

    /// The children, refusing two with one name: `dtc` merges same-named nodes, so only
    /// a hand-made blob has them, and which one would count is anyone's guess.
    fn children(&self) -> Result<Vec<Node<'b, 'a>>, ManifestError> {
        let children: Vec<Node<'b, 'a>> = self
            .node
            .children()
            .map(|node| Node {
                strict: self.strict,
                path: format!("{}/{}", self.path, node.name),
                node,
            })
            .collect();
        for (i, child) in children.iter().enumerate() {
            if children[..i].iter().any(|c| c.name() == child.name()) {
                return Err(child.error(
                    Rule::Duplicate,
                    format!(
                        "{} has two nodes named `{}`",
                        self.error_path(),
                        child.name()
                    ),
                ));
            }
        }
        Ok(children)
    }

    /// The path as errors show it: `/` for the root.
    fn error_path(&self) -> &str {
        if self.path.is_empty() {
            "/"
        } else {
            &self.path
        }
    }

    /// Refuses a property or child node that `known` does not list, naming the nearest
    /// known one when it looks like a slip.
    fn check_known(&self, known: &crate::known::Known) -> Result<(), ManifestError> {
        if !self.strict {
            return Ok(());
        }
        let unknown = |what: &str, name: &str, list: &[&'static str]| {
            let hint = match crate::known::nearest(name, list) {
                Some(near) => format!("; did you mean `{near}`?"),
                None if list.is_empty() => format!("; this node has no {what}s"),
                None => format!("; the {what}s here are {}", list.join(", ")),
            };
            self.error(Rule::Unknown, format!("unknown {what} `{name}`{hint}"))
        };
        for p in self.node.properties() {
            if !known.properties.contains(&p.name) {
                return Err(unknown("property", p.name, known.properties));
            }
        }
        for child in self.node.children() {
            if !known.nodes.contains(&child.name) {
                return Err(unknown("node", child.name, known.nodes));
            }
        }
        Ok(())
    }

    /// Refuses a property given twice, which only a hand-made blob can hold.
    fn check_unique_properties(&self) -> Result<(), ManifestError> {
        for (i, p) in self.node.properties().enumerate() {
            if self.node.properties().take(i).any(|q| q.name == p.name) {
                return Err(self.error(
                    Rule::Duplicate,
                    format!("property `{}` appears twice", p.name),
                ));
            }
        }
        Ok(())
    }

    fn property(&self, name: &str) -> Option<&'a [u8]> {
        self.node.property(name).map(|p| p.value)
    }

    /// A one-cell number, `name = <N>;`.
    fn u32(&self, name: &str) -> Result<Option<u32>, ManifestError> {
        let Some(value) = self.property(name) else {
            return Ok(None);
        };
        let cell: [u8; 4] = value.try_into().map_err(|_| {
            self.error(
                Rule::BadValue,
                format!(
                    "`{name}` must be one 32-bit cell like `<64>`, not {} bytes",
                    value.len()
                ),
            )
        })?;
        Ok(Some(u32::from_be_bytes(cell)))
    }

    /// A list of NUL-terminated UTF-8 strings, `name = "a", "b";`.
    fn strings(&self, name: &str) -> Result<Option<Vec<&'a str>>, ManifestError> {
        let Some(value) = self.property(name) else {
            return Ok(None);
        };
        let list = value
            .strip_suffix(&[0])
            .and_then(|body| {
                body.split(|&b| b == 0)
                    .map(|s| core::str::from_utf8(s).ok())
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| {
                self.error(
                    Rule::BadValue,
                    format!("`{name}` must be NUL-terminated UTF-8 strings like `\"a\", \"b\"`"),
                )
            })?;
        Ok(Some(list))
    }

    /// A single non-empty string, `name = "a";`.
    fn string(&self, name: &str) -> Result<Option<&'a str>, ManifestError> {
        match self.strings(name)?.as_deref() {
            None => Ok(None),
            Some([one]) if !one.is_empty() => Ok(Some(one)),
            Some(_) => Err(self.error(
                Rule::BadValue,
                format!("`{name}` must be one non-empty string"),
            )),
        }
    }

    /// A list of names, each non-empty and given once; absent = empty.
    fn names(&self, name: &str) -> Result<Vec<String>, ManifestError> {
        let list = self.strings(name)?.unwrap_or_default();
        for (i, item) in list.iter().enumerate() {
            if item.is_empty() {
                return Err(
                    self.error(Rule::BadValue, format!("`{name}` contains an empty string"))
                );
            }
            if list[..i].contains(item) {
                return Err(self.error(Rule::Duplicate, format!("`{name}` lists `{item}` twice")));
            }
        }
        Ok(owned(list))
    }

    /// Refuses the properties of the other kind, so a half-converted app is caught.
    fn forbid(&self, kind: &str, properties: &[&str]) -> Result<(), ManifestError> {
        match properties.iter().find(|p| self.property(p).is_some()) {
            Some(p) => Err(self.error(
                Rule::PropertyNotForKind,
                format!("`{p}` does not apply to a {kind} app"),
            )),
            None => Ok(()),
        }
    }

    fn budget(
        &self,
        name: &str,
        value: u32,
        range: &core::ops::RangeInclusive<u32>,
    ) -> Result<(), ManifestError> {
        if range.contains(&value) {
            Ok(())
        } else {
            Err(self.error(
                Rule::BudgetOutOfRange,
                format!(
                    "`{name}` is {value}; allowed {} to {}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }
}
