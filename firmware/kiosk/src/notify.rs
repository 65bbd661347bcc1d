//! systemd's notify protocol (sd_notify), without libsystemd: `READY=1` once the UI runs, and
//! `WATCHDOG=1` heartbeats from a timer on the UI thread, so a hung event loop stops the
//! heartbeats and systemd (`WatchdogSec=` in the unit) restarts the kiosk.
//!
//! Outside systemd (`NOTIFY_SOCKET` unset) every call does nothing.

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
}

/// The socket address in `NOTIFY_SOCKET`: a path, or `@name` for the abstract namespace.
fn address(value: &str) -> Option<SocketAddr> {
    if let Some(name) = value.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        SocketAddr::from_abstract_name(name.as_bytes()).ok()
    } else if value.starts_with('/') {
        SocketAddr::from_pathname(value).ok()
    } else {
        None
    }
}

impl Notifier {
    /// From the environment systemd gives a `Type=notify` service.
    pub fn from_env() -> Notifier {
        Notifier::new(std::env::var("NOTIFY_SOCKET").ok().as_deref())
    }

    pub fn new(socket: Option<&str>) -> Notifier {
        let target = socket
            .and_then(address)
            .and_then(|a| UnixDatagram::unbound().ok().map(|s| (s, a)));
        Notifier { target }
    }

    pub fn active(&self) -> bool {
        self.target.is_some()
    }

    /// Sends one message (e.g. `READY=1`); errors are ignored: the kiosk keeps running.
    pub fn send(&self, msg: &str) {
        if let Some((sock, addr)) = &self.target {
            let _ = sock.send_to_addr(msg.as_bytes(), addr);
        }
    }
}

/// Half of `WATCHDOG_USEC` (systemd's advice), if the watchdog is on for this process.
pub fn watchdog_interval() -> Option<Duration> {
    let pid_ok = std::env::var("WATCHDOG_PID")
        .ok()
        .is_none_or(|p| p.trim() == std::process::id().to_string());
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    (pid_ok && usec > 0).then(|| Duration::from_micros(usec / 2))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sends_to_a_path_socket() {
        let dir = std::env::temp_dir().join(format!("bitig-notify-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify");
        let rx = UnixDatagram::bind(&path).unwrap();
        let n = Notifier::new(Some(path.to_str().unwrap()));
        assert!(n.active());
        n.send("READY=1");
        n.send("WATCHDOG=1");
        let mut buf = [0u8; 64];
        let k = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..k], b"READY=1");
        let k = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..k], b"WATCHDOG=1");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sends_to_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("bitig-notify-test-{}", std::process::id());
        let rx = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
            .unwrap();
        Notifier::new(Some(&format!("@{name}"))).send("READY=1");
        let mut buf = [0u8; 16];
        let k = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..k], b"READY=1");
    }

    #[test]
    fn without_systemd_nothing_happens() {
        assert!(!Notifier::new(None).active());
        assert!(!Notifier::new(Some("relative/path")).active());
        Notifier::new(None).send("READY=1");
    }
}
