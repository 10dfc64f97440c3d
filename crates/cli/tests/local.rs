//! `offboard local` as a newcomer meets it on a fresh clone: it starts without a separately
//! built handler, says how to get secrets, `--init` writes them (0600) and prints how to start
//! and how to sign a request — and each of those printed commands is run here, as printed.
//! Logs are JSON when the output is not a terminal, and every line about a case names the case
//! and the leaver; a request without a signed-in caller is refused with problem JSON.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `offboard local`, stopped (by its own handle) when dropped.
struct Local {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Local {
    /// Runs `command` (as printed, through `sh`) in `dir` and waits for the banner's end.
    fn start(dir: &Path, command: &str) -> Self {
        let mut child = installed(Command::new("sh"))
            .args(["-c", &format!("exec {command}")])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start offboard local");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut local = Self {
            child,
            lines,
            seen: Vec::new(),
        };
        local.wait_for(|l| l == "Ctrl-C to stop.", "the banner");
        local
    }

    fn wait_for(&mut self, done: impl Fn(&str) -> bool, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    let finished = done(&line);
                    self.seen.push(line);
                    if finished {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("no {what} from offboard local:\n{}", self.seen.join("\n"));
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// As a user runs the built binary: without the variables `cargo test` sets, which would make
/// offboard suggest `cargo run --` commands (right under `cargo run`, not here).
fn installed(mut c: Command) -> Command {
    c.env_remove("CARGO").env_remove("CARGO_MANIFEST_DIR");
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn sh(dir: &Path, script: &str) -> (bool, String, String) {
    let out = installed(Command::new("bash"))
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .expect("run a shell");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn local_starts_on_a_fresh_checkout_and_every_command_it_prints_works() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let offboard = env!("CARGO_BIN_EXE_offboard");

    // 1. No handler was built, no settings exist: it starts anyway and says what to run.
    let local = Local::start(dir.path(), &format!("{offboard} local --port {port}"));
    let banner = local.seen.join("\n");
    let init = banner
        .split_once("No intake secrets: `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(command, _)| command.to_owned())
        .unwrap_or_else(|| panic!("the banner names the command that writes secrets:\n{banner}"));

    // A refusal by the host is problem JSON, like every other refusal.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (status, content_type, body) = rt.block_on(async {
        let r = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(format!("http://127.0.0.1:{port}/api/cases"))
            .send()
            .await
            .expect("GET /api/cases");
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, ct, r.text().await.unwrap_or_default())
    });
    assert_eq!(status, 401);
    assert_eq!(content_type, "application/problem+json");
    let problem: serde_json::Value = serde_json::from_str(&body).expect("problem JSON");
    assert_eq!(problem["status"], 401);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("/api/signin"),
        "{problem}"
    );

    // An empty store has nothing to verify, which is not "verified".
    let (ok, out, _) = sh(
        dir.path(),
        &format!("{offboard} verify --ledger --data .offboard; echo \"exit=$?\""),
    );
    assert!(ok, "{out}");
    assert!(out.contains("nothing to verify in the store"), "{out}");
    assert!(out.contains("exit=3"), "{out}");
    drop(local);

    // 2. The suggested init, as printed: a 0600 file with fresh secrets, and what to do next.
    let (ok, printed, err) = sh(dir.path(), &init);
    assert!(ok, "`{init}` failed: {err}");
    let settings = dir.path().join("local.settings.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&settings)
            .expect("settings")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner may read the secrets");
    }
    let values: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).expect("read")).expect("JSON");
    let secret = values["Values"]["OFFBOARD_GENERIC_WEBHOOK_SECRET"]
        .as_str()
        .expect("a generic webhook secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(
        !printed.contains(secret),
        "the secret itself is never printed"
    );
    let (again, _, err) = sh(dir.path(), &init);
    assert!(!again && err.contains("never overwritten"), "{err}");

    // 3. Start it as printed, then send the signed request exactly as printed.
    let start = printed
        .split_once("Start offboard with it:\n")
        .and_then(|(_, rest)| rest.lines().next())
        .map(str::trim)
        .unwrap_or_else(|| panic!("a start command:\n{printed}"))
        .to_owned();
    let script = printed
        .split_once("from this directory:\n")
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_else(|| panic!("a signing script:\n{printed}"));
    let mut local = Local::start(dir.path(), &start);
    assert!(
        local
            .seen
            .iter()
            .any(|l| l.contains("/api/hris/generic    configured")),
        "{}",
        local.seen.join("\n")
    );
    let (ok, out, err) = sh(dir.path(), &script);
    assert!(ok, "the printed signing script failed: {err}");
    let accepted: serde_json::Value = serde_json::from_str(&out).expect("the intake's answer");
    let case_id = accepted["caseId"].as_str().expect("a case id").to_owned();

    // 4. Logs (JSON: not a terminal) name the case and the leaver on every line about it.
    local.wait_for(|l| l.contains("evidence sealed"), "sealed case in the log");
    let about_case: Vec<&String> = local.seen.iter().filter(|l| l.contains(&case_id)).collect();
    assert!(about_case.len() >= 3, "{}", local.seen.join("\n"));
    for line in about_case {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("a JSON log line ({e}): {line}"));
        let spans = v["spans"].as_array().cloned().unwrap_or_default();
        assert!(
            spans.iter().any(|s| s["leaver"] == "E1001"),
            "a line about the case without its leaver: {line}"
        );
    }
}
