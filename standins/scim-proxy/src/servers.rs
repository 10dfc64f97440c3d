//! The two real SCIM service providers the connector is tested against, started as child
//! processes on 127.0.0.1 with a fresh in-memory store each: `scim2-server` (PyPI) and the
//! SCIMMY-based server in `local/scim/scimmy-server.mjs` (npm). Both are installed by
//! `local/scim/scim.sh install`; a missing install is an error that says so, never a skip.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Which implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// `scim2-server` from PyPI (python-scim), in `local/scim/.venv`.
    Scim2Server,
    /// SCIMMY + scimmy-routers from npm, `local/scim/scimmy-server.mjs`.
    Scimmy,
}

impl Implementation {
    /// Both, for tests that run against each.
    pub const BOTH: [Implementation; 2] = [Self::Scim2Server, Self::Scimmy];

    /// A name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Scim2Server => "scim2-server",
            Self::Scimmy => "scimmy",
        }
    }
}

/// A running SCIM server. Dropping it kills the process.
pub struct ScimServer {
    child: Child,
    /// The implementation.
    pub implementation: Implementation,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// The SCIM base URL (`/Users` is under it).
    pub base_url: String,
    /// The bearer token it accepts.
    pub token: String,
}

/// The repository root (this crate is at `standins/scim-proxy`).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl ScimServer {
    /// Starts `implementation` on a free port, accepting `token`; waits until it listens.
    pub async fn start(implementation: Implementation, token: &str) -> std::io::Result<Self> {
        let scim = root().join("local/scim");
        let not_installed = |what: PathBuf| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "{} is not installed ({} is missing): run `local/scim/scim.sh install`",
                    implementation.name(),
                    what.display()
                ),
            )
        };
        let mut command = match implementation {
            Implementation::Scim2Server => {
                let exe = scim.join(".venv/bin/scim2-server");
                if !exe.exists() {
                    return Err(not_installed(exe));
                }
                // scim2-server has no "port 0": take a free port and hand it over.
                let port = std::net::TcpListener::bind("127.0.0.1:0")?
                    .local_addr()?
                    .port();
                let mut c = Command::new(exe);
                c.args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
                    .args(["--bearer-token", token]);
                c
            }
            Implementation::Scimmy => {
                if !scim.join("node_modules/scimmy-routers").exists() {
                    return Err(not_installed(scim.join("node_modules/scimmy-routers")));
                }
                let mut c = Command::new("node");
                c.arg(scim.join("scimmy-server.mjs")).args([
                    "--port",
                    "0",
                    "--bearer-token",
                    token,
                ]);
                c
            }
        };
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        // Both print the URL they serve once they listen (scim2-server on stderr through
        // logging, or stdout; SCIMMY's on stdout).
        let mut lines = Vec::new();
        if let Some(out) = child.stdout.take() {
            lines.push(BufReader::new(out).lines());
        }
        let stderr = child.stderr.take().map(|e| BufReader::new(e).lines());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        for mut l in lines {
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Ok(Some(line)) = l.next_line().await {
                    let _ = tx.send(line);
                }
            });
        }
        if let Some(mut l) = stderr {
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Ok(Some(line)) = l.next_line().await {
                    let _ = tx.send(line);
                }
            });
        }
        drop(tx);
        let mut seen = Vec::new();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = rx.recv().await {
                if let Some(at) = line.find("http://127.0.0.1:") {
                    return Some(line[at..].trim().to_owned());
                }
                seen.push(line);
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| {
            std::io::Error::other(format!(
                "{} did not start: {}",
                implementation.name(),
                seen.join(" | ")
            ))
        })?;
        // Keep draining its output so a chatty server never blocks on a full pipe.
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let origin = url.split('/').take(3).collect::<Vec<_>>().join("/");
        Ok(Self {
            child,
            implementation,
            origin,
            base_url: url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    /// The base URL with the origin replaced by `origin` (to put a proxy in front).
    pub fn base_url_via(&self, origin: &str) -> String {
        format!("{origin}{}", &self.base_url[self.origin.len()..])
    }

    /// Creates a user through the server's own SCIM API (the seed): returns its id.
    pub async fn seed(&self, user: serde_json::Value) -> std::io::Result<String> {
        let r = reqwest::Client::new()
            .post(format!("{}/Users", self.base_url))
            .bearer_auth(&self.token)
            .header("Content-Type", "application/scim+json")
            .body(user.to_string())
            .send()
            .await
            .map_err(std::io::Error::other)?;
        let status = r.status();
        let body: serde_json::Value = r.json().await.map_err(std::io::Error::other)?;
        match body.get("id").and_then(|v| v.as_str()) {
            Some(id) if status.is_success() => Ok(id.to_owned()),
            _ => Err(std::io::Error::other(format!(
                "{} refused the seed user ({status}): {body}",
                self.implementation.name()
            ))),
        }
    }

    /// Stops the server (a "down" system: the port refuses connections afterwards).
    pub async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// A seed user in the core schema.
pub fn user(user_name: &str, external_id: &str, email: &str, active: bool) -> serde_json::Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": external_id,
        "active": active,
        "emails": [{"value": email, "type": "work", "primary": true}],
    })
}
