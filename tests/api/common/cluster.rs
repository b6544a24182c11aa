//! A real Redis Cluster on loopback for one test: three masters with one replica each, every
//! node a `redis-server --cluster-enabled yes` in its own temp dir (AOF on, `appendfsync
//! always`), joined by `redis-cli --cluster create`. Nodes can be killed (SIGKILL) and slots
//! moved with `redis-cli --cluster reshard` while the service runs.

use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::{free_port, node_command, redis_server};

/// Masters of the test cluster; each gets one replica.
pub const MASTERS: usize = 3;
/// How long a node may miss pings before the others count it failed (ms). Short, so that a
/// failover test does not wait long; a real deployment keeps Redis's 15 s default or so.
pub const NODE_TIMEOUT_MS: u64 = 1000;

/// One node of the cluster.
struct Node {
    port: u16,
    bus_port: u16,
    child: Mutex<Option<Child>>,
}

impl Node {
    fn alive(&self) -> bool {
        self.child.lock().expect("node lock").is_some()
    }

    fn stop(&self) {
        if let Some(mut child) = self.child.lock().expect("node lock").take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A running test cluster, stopped on drop.
pub struct TestCluster {
    nodes: Vec<Node>,
    dir: TempDir,
}

/// One line of `CLUSTER NODES`.
#[derive(Debug, Clone)]
pub struct NodeLine {
    /// The node id.
    pub id: String,
    /// Its client port.
    pub port: u16,
    /// Whether it is a master now.
    pub master: bool,
    /// Whether the others count it failed.
    pub failed: bool,
    /// The slots it serves (masters), as inclusive ranges.
    pub slots: Vec<(u16, u16)>,
}

impl TestCluster {
    /// Starts six nodes and makes them a cluster; returns once every slot is served and every
    /// replica is in sync with its master.
    pub async fn start() -> TestCluster {
        for _ in 0..5 {
            if let Some(cluster) = TestCluster::try_start().await {
                return cluster;
            }
        }
        panic!("could not start a Redis Cluster on free loopback ports");
    }

    async fn try_start() -> Option<TestCluster> {
        let dir = tempfile::Builder::new()
            .prefix("og-cluster-")
            .tempdir()
            .expect("temp dir");
        let mut cluster = TestCluster {
            nodes: Vec::new(),
            dir,
        };
        for _ in 0..MASTERS * 2 {
            let (port, bus_port) = (free_port(), free_port());
            cluster.nodes.push(Node {
                port,
                bus_port,
                child: Mutex::new(None),
            });
        }
        for at in 0..cluster.nodes.len() {
            cluster.spawn(at);
        }
        for node in &cluster.nodes {
            if !wait_for_ping(node.port).await {
                return None;
            }
        }
        let mut create = tokio::process::Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for node in &cluster.nodes {
            create.arg(format!("127.0.0.1:{}", node.port));
        }
        create.args(["--cluster-replicas", "1", "--cluster-yes"]);
        let created = create
            .stdin(Stdio::null())
            .output()
            .await
            .expect("redis-cli must be installed (apt-get install redis-tools)");
        if !created.status.success() {
            return None;
        }
        cluster.wait_until_whole(Duration::from_secs(20)).await;
        Some(cluster)
    }

    fn spawn(&self, at: usize) {
        let node = &self.nodes[at];
        let dir = self.dir.path().join(node.port.to_string());
        std::fs::create_dir_all(&dir).expect("node dir");
        let child = redis_server(node.port, &dir)
            .arg("--cluster-port")
            .arg(node.bus_port.to_string())
            .args(["--cluster-enabled", "yes"])
            .args(["--cluster-config-file", "nodes.conf"])
            .arg("--cluster-node-timeout")
            .arg(NODE_TIMEOUT_MS.to_string())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        *self.nodes[at].child.lock().expect("node lock") = Some(child);
    }

    /// The seeds to give the service: every node.
    pub fn seeds(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port))
            .collect()
    }

    /// The nodes as `CLUSTER NODES` of a live node describes them.
    pub fn describe(&self) -> Vec<NodeLine> {
        for node in self.nodes.iter().filter(|n| n.alive()) {
            if let Some(text) = node_command(node.port, &["CLUSTER", "NODES"]) {
                return parse_nodes(&text);
            }
        }
        panic!("no cluster node answers CLUSTER NODES");
    }

    /// The port of the master serving `key` now.
    pub fn master_of(&self, key: &str) -> u16 {
        let slot = originguard::store::conn::slot(key.as_bytes());
        self.describe()
            .into_iter()
            .find(|n| {
                n.master && !n.failed && n.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot))
            })
            .map(|n| n.port)
            .unwrap_or_else(|| panic!("no master serves slot {slot}"))
    }

    /// SIGKILLs the node on `port`.
    pub fn kill(&self, port: u16) {
        self.nodes
            .iter()
            .find(|n| n.port == port)
            .expect("a node of this cluster")
            .stop();
    }

    /// Starts the node on `port` again (it rejoins, as a replica once it was failed over).
    pub async fn restart(&self, port: u16) {
        let at = self
            .nodes
            .iter()
            .position(|n| n.port == port)
            .expect("a node of this cluster");
        self.kill(port);
        self.spawn(at);
        assert!(wait_for_ping(port).await, "node {port} did not restart");
    }

    /// Waits until every live node says every slot is served and every live replica is in
    /// sync with its master.
    pub async fn wait_until_whole(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let whole = self.nodes.iter().filter(|n| n.alive()).all(|n| {
                let info = node_command(n.port, &["CLUSTER", "INFO"]).unwrap_or_default();
                let replication =
                    node_command(n.port, &["INFO", "replication"]).unwrap_or_default();
                info.contains("cluster_state:ok")
                    && info.contains("cluster_slots_ok:16384")
                    && (replication.contains("role:master")
                        || replication.contains("master_link_status:up"))
            });
            if whole {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster did not become whole in {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Moves `slots` slots from the master on `from` to the master on `to` with `redis-cli
    /// --cluster reshard`, while everything else goes on.
    pub async fn reshard(&self, from: u16, to: u16, slots: u32) {
        let nodes = self.describe();
        let id = |port: u16| {
            nodes
                .iter()
                .find(|n| n.port == port)
                .map(|n| n.id.clone())
                .expect("node id")
        };
        let moved = tokio::process::Command::new("redis-cli")
            .args(["--cluster", "reshard"])
            .arg(format!("127.0.0.1:{from}"))
            .arg("--cluster-from")
            .arg(id(from))
            .arg("--cluster-to")
            .arg(id(to))
            .arg("--cluster-slots")
            .arg(slots.to_string())
            .args(["--cluster-yes", "--cluster-pipeline", "100"])
            .stdin(Stdio::null())
            .output()
            .await
            .expect("redis-cli");
        assert!(
            moved.status.success(),
            "reshard failed: {}",
            String::from_utf8_lossy(&moved.stdout)
        );
    }

    /// A synchronous cluster connection, for inspecting state in tests.
    pub fn connection(&self) -> redis::cluster::ClusterConnection {
        redis::cluster::ClusterClient::new(self.seeds())
            .and_then(|c| c.get_connection())
            .expect("cluster connection")
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for node in &self.nodes {
            node.stop();
        }
    }
}

async fn wait_for_ping(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if node_command(port, &["PING"]).is_some() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// The lines of a `CLUSTER NODES` answer.
pub fn parse_nodes(text: &str) -> Vec<NodeLine> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let address = fields.get(1)?;
            let port = address
                .split('@')
                .next()?
                .rsplit(':')
                .next()?
                .parse()
                .ok()?;
            let flags = fields.get(2)?;
            let slots = fields
                .iter()
                .skip(8)
                .filter(|s| !s.starts_with('['))
                .filter_map(|s| match s.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => s.parse().ok().map(|one| (one, one)),
                })
                .collect();
            Some(NodeLine {
                id: fields[0].to_owned(),
                port,
                master: flags.contains("master"),
                failed: flags.contains("fail") && !flags.contains("fail?"),
                slots,
            })
        })
        .collect()
}
