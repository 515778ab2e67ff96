//! What each node of a manifest may hold, so a misspelt property or node (`restrat`,
//! `tracng`) is an error naming the nearest known name instead of being ignored.

/// Properties and child nodes a node may have.
pub(crate) struct Known {
    pub properties: &'static [&'static str],
    pub nodes: &'static [&'static str],
}

/// The root node.
pub(crate) const ROOT: Known = Known {
    properties: &["compatible", "model"],
    nodes: &["apps", "msg_servers"],
};
/// A child of `/apps`.
pub(crate) const APP: Known = Known {
    properties: &[
        "kind",
        "binary",
        "heap_kib",
        "app",
        "memory_mib",
        "msg_servers",
        "restart",
        "max_restarts",
        "max_seconds",
        "backoff_ms",
        "backoff_max_ms",
        "args",
        "i2c_addresses",
    ],
    nodes: &["tracing", "network", "i2c_bus", "can_bus", "env"],
};
/// An app's `i2c_bus` node.
pub(crate) const I2C_BUS: Known = Known {
    properties: &["backend", "speed_hz", "device", "reg"],
    nodes: &[],
};
/// An app's `can_bus` node.
pub(crate) const CAN_BUS: Known = Known {
    properties: &["backend", "bitrate", "device", "reg"],
    nodes: &[],
};
/// An app's `tracing` node.
pub(crate) const TRACING: Known = Known {
    properties: &["categories", "buffer_kib"],
    nodes: &[],
};
/// An app's `network` node.
pub(crate) const NETWORK: Known = Known {
    properties: &["address"],
    nodes: &[],
};
/// A child of `/msg_servers`.
pub(crate) const MSG_SERVER: Known = Known {
    properties: &[],
    nodes: &["dir_access_control"],
};
/// A protocol in a `dir_access_control` node.
pub(crate) const PROTOCOL: Known = Known {
    properties: &["servers", "clients"],
    nodes: &[],
};

/// The known name nearest to `name`, if one is near enough to be a slip (an edit
/// distance of at most a third of its length, and at least 1).
pub(crate) fn nearest(name: &str, known: &[&'static str]) -> Option<&'static str> {
    let limit = (name.len() / 3).max(1);
    known
        .iter()
        .map(|k| (distance(name, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over bytes (names are ASCII), with adjacent transpositions
/// counted as one edit — `restrat` is one slip from `restart`. Hand-written: the crate
/// is `no_std`, and these names are short.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut rows = alloc::vec![alloc::vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn slips_find_their_name_and_strangers_find_none() {
        assert_eq!(nearest("restrat", APP.properties), Some("restart"));
        assert_eq!(nearest("heapkib", APP.properties), Some("heap_kib"));
        assert_eq!(nearest("tracng", APP.nodes), Some("tracing"));
        assert_eq!(nearest("colour", APP.properties), None);
        assert_eq!(distance("kind", "kind"), 0);
        assert_eq!(distance("ab", "ba"), 1);
    }
}
