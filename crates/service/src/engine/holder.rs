//! Who holds a step's lease, and whether that holder is certainly dead.
//!
//! A lease names the process that took it: the host (the kernel's boot id and the
//! process-id namespace, so two processes compare process ids only where those ids mean
//! the same process), the process id and the process's start time (so a process id the
//! kernel has since given to another process does not pass for the holder). A holder is
//! dead only when all of that is known and its process is gone, a zombie, or another
//! process; anything unknown (another host, an unreadable `/proc`, another platform) keeps
//! the lease until it expires.

use std::sync::OnceLock;

use offboard_core::plan::LeaseHolder;

/// This process, as leases name it.
struct Process {
    host: Option<String>,
    pid: u32,
    start: Option<u64>,
}

fn this_process() -> &'static Process {
    static PROCESS: OnceLock<Process> = OnceLock::new();
    PROCESS.get_or_init(|| {
        let pid = std::process::id();
        Process {
            host: host(),
            pid,
            start: started(pid).ok().flatten().map(|(start, _)| start),
        }
    })
}

/// `{bootId}/{pidNamespace}`: where process ids can be compared.
fn host() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{}/{}", boot.trim(), namespace.display()))
}

/// The start time (clock ticks since boot) and state of process `pid`: `Ok(None)` when
/// there is no such process, `Err` when it cannot be told.
fn started(pid: u32) -> std::io::Result<Option<(u64, char)>> {
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so fields are
    // counted after the last `)`; the state is field 3 and the start time field 22.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let unreadable = || std::io::Error::other(format!("/proc/{pid}/stat has no start time"));
    let state = fields
        .first()
        .and_then(|s| s.chars().next())
        .ok_or_else(unreadable)?;
    let start = fields
        .get(19)
        .and_then(|s| s.parse().ok())
        .ok_or_else(unreadable)?;
    Ok(Some((start, state)))
}

/// The holder a claim by this process records.
pub(super) fn this_holder(claim: String) -> LeaseHolder {
    let me = this_process();
    LeaseHolder {
        claim,
        host: me.host.clone(),
        pid: me.pid,
        process_start: me.start,
    }
}

/// Whether `holder`'s process has certainly ended (see the module's documentation).
pub(super) fn is_dead(holder: &LeaseHolder) -> bool {
    let me = this_process();
    let (Some(theirs), Some(mine), Some(start)) = (&holder.host, &me.host, holder.process_start)
    else {
        return false;
    };
    if theirs != mine {
        return false;
    }
    match started(holder.pid) {
        Ok(None) => true,
        Ok(Some((_, 'Z' | 'X'))) => true,
        Ok(Some((s, _))) => s != start,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_finished_one_is_dead() {
        let me = this_holder("c1".into());
        assert!(!is_dead(&me), "{me:?}");
        if me.host.is_none() {
            return; // not Linux: nothing is ever known dead
        }
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let start = started(pid).unwrap().map(|(s, _)| s);
        child.wait().unwrap();
        let gone = LeaseHolder {
            pid,
            process_start: start,
            ..me.clone()
        };
        assert!(is_dead(&gone), "{gone:?}");
        // Same process id, another start: a later process reusing the id.
        let reused = LeaseHolder {
            process_start: me.process_start.map(|s| s + 1),
            ..me.clone()
        };
        assert!(is_dead(&reused));
        // Another host: never judged.
        let elsewhere = LeaseHolder {
            host: Some("another-boot/pid:[1]".into()),
            pid,
            process_start: start,
            ..me
        };
        assert!(!is_dead(&elsewhere));
    }
}
