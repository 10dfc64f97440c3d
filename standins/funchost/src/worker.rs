//! The handler process: started with `FUNCTIONS_CUSTOMHANDLER_PORT`, awaited until it
//! answers, restarted if it exits, as the Functions host does.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, Notify, watch};

/// How long the handler may take to start listening (the documented limit is 60 s).
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How to start the handler.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    /// The executable.
    pub executable: PathBuf,
    /// Its arguments.
    pub arguments: Vec<String>,
    /// Working directory.
    pub working_directory: Option<PathBuf>,
    /// Extra environment (app settings).
    pub env: BTreeMap<String, String>,
    /// Where to append the handler's stdout and stderr (inherit when `None`).
    pub log_file: Option<PathBuf>,
}

/// A supervised handler process.
pub struct Worker {
    pub(crate) port: u16,
    child: Arc<Mutex<Option<Child>>>,
    ready: watch::Receiver<bool>,
    stop: Arc<Notify>,
    restarts: Arc<std::sync::atomic::AtomicU32>,
}

async fn spawn_child(spec: &WorkerSpec, port: u16) -> anyhow::Result<Child> {
    let mut cmd = Command::new(&spec.executable);
    cmd.args(&spec.arguments)
        .envs(&spec.env)
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(dir) = &spec.working_directory {
        cmd.current_dir(dir);
    }
    if let Some(path) = &spec.log_file {
        // The handler's log can hold leavers' names: owner-only, like the data beside it.
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let out = opts.open(path)?;
        let err = out.try_clone()?;
        cmd.stdout(out).stderr(err);
    }
    cmd.spawn().map_err(|e| {
        anyhow::anyhow!(
            "cannot start the handler {}: {e}",
            spec.executable.display()
        )
    })
}

async fn wait_ready(port: u16, child: &Arc<Mutex<Option<Child>>>) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if let Some(c) = child.lock().await.as_mut()
            && let Ok(Some(status)) = c.try_wait()
        {
            anyhow::bail!("the handler exited during start-up ({status})");
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("the handler did not listen on port {port} within {STARTUP_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(l.local_addr()?.port())
}

impl Worker {
    /// Starts the handler and waits until it listens; then supervises it.
    pub async fn start(spec: WorkerSpec) -> anyhow::Result<Self> {
        let port = free_port()?;
        let child = Arc::new(Mutex::new(Some(spawn_child(&spec, port).await?)));
        wait_ready(port, &child).await?;
        let (ready_tx, ready) = watch::channel(true);
        let stop = Arc::new(Notify::new());
        let restarts = Arc::new(std::sync::atomic::AtomicU32::new(0));
        {
            let (child, stop, restarts) = (child.clone(), stop.clone(), restarts.clone());
            tokio::spawn(async move {
                loop {
                    let exited = async {
                        loop {
                            {
                                let mut guard = child.lock().await;
                                match guard.as_mut() {
                                    Some(c) => {
                                        if let Ok(Some(status)) = c.try_wait() {
                                            return status;
                                        }
                                    }
                                    None => std::future::pending::<()>().await,
                                }
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    };
                    tokio::select! {
                        _ = stop.notified() => return,
                        status = exited => {
                            let _ = ready_tx.send(false);
                            tracing::warn!(%status, "handler exited; restarting it");
                            restarts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            match spawn_child(&spec, port).await {
                                Ok(c) => {
                                    *child.lock().await = Some(c);
                                    match wait_ready(port, &child).await {
                                        Ok(()) => { let _ = ready_tx.send(true); }
                                        Err(e) => tracing::error!(error = %e, "handler restart failed"),
                                    }
                                }
                                Err(e) => {
                                    tracing::error!(error = %e, "cannot restart the handler");
                                    tokio::time::sleep(Duration::from_secs(1)).await;
                                }
                            }
                        }
                    }
                }
            });
        }
        Ok(Self {
            port,
            child,
            ready,
            stop,
            restarts,
        })
    }

    /// Uses a handler someone else runs on `port` (in the same process, for the demo). It is
    /// not supervised: [`Worker::kill`] and restarts do not apply.
    pub fn attach(port: u16) -> Self {
        let (_tx, ready) = watch::channel(true);
        Self {
            port,
            child: Arc::new(Mutex::new(None)),
            ready,
            stop: Arc::new(Notify::new()),
            restarts: Arc::new(std::sync::atomic::AtomicU32::new(0)),
        }
    }

    /// Waits (bounded) until the handler is up; false if it is still down.
    pub async fn wait_up(&self, within: Duration) -> bool {
        let mut rx = self.ready.clone();
        tokio::time::timeout(within, rx.wait_for(|up| *up))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Kills the handler as a crash would (SIGKILL); the supervisor restarts it.
    pub async fn kill(&self) {
        if let Some(c) = self.child.lock().await.as_mut() {
            let _ = c.start_kill();
        }
    }

    /// The process id of the running handler (`None` when attached, or between a crash and
    /// its restart).
    pub async fn pid(&self) -> Option<u32> {
        self.child.lock().await.as_ref().and_then(Child::id)
    }

    /// How many times the handler has been restarted.
    pub fn restarts(&self) -> u32 {
        self.restarts.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stops supervising and kills the handler.
    pub async fn shutdown(&self) {
        self.stop.notify_waiters();
        self.stop.notify_one();
        if let Some(mut c) = self.child.lock().await.take() {
            let _ = c.kill().await;
        }
    }
}
