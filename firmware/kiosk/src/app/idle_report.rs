//! The attract screen standing alone is where the kiosk spends most of its day: when a
//! visitor ends a wait of at least IDLE_REPORT_MIN_MS, the kiosk logs how often the process
//! woke meanwhile (voluntary context switches of all its threads) and the CPU time it took,
//! with the watchdog heartbeat's share, for the operator's journal and the boot test.

use bitig_io::proc::{self, ThreadWakeups};

/// The shortest wait on the attract screen the idle report is logged for.
pub const IDLE_REPORT_MIN_MS: u64 = 30_000;

/// How the process slept while the attract screen stood alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdleReport {
    /// The wait, from the first to the last timer wake-up on the attract screen (clock ms).
    pub ms: u64,
    /// Voluntary context switches of all the process's threads meanwhile.
    pub wakeups: u64,
    /// CPU time meanwhile (ms, in the system's clock ticks).
    pub cpu_ms: u64,
    /// Heartbeats that needed a wake-up of their own meanwhile (the rest rode on others).
    pub heartbeat_wakeups: u64,
}

/// The process's counters at a moment (clock ms): each thread's wake-ups, its CPU time (ms)
/// and the heartbeats sent on wake-ups of their own.
struct Mark {
    ms: u64,
    threads: Vec<ThreadWakeups>,
    cpu_ms: u64,
    heartbeat_wakeups: u64,
}

/// The first and the latest timer wake-up on the attract screen: the report covers the time
/// between them, so neither the way onto the attract screen (start-up, the idle reset) nor
/// the touch that ends the wait is counted.
#[derive(Default)]
pub struct IdleWatch {
    first: Option<Mark>,
    last: Option<Mark>,
    /// The last report logged.
    pub report: Option<IdleReport>,
}

impl IdleWatch {
    /// A timer wake-up on the attract screen: keeps the first and the latest.
    pub fn mark(&mut self, now: u64, heartbeat_wakeups: u64) {
        let mark = Mark {
            ms: now,
            threads: proc::thread_wakeups("self"),
            cpu_ms: proc::cpu_ms("self"),
            heartbeat_wakeups,
        };
        if self.first.is_none() {
            self.first = Some(mark);
        } else {
            self.last = Some(mark);
        }
    }

    /// The screen changed: logs the wait that ends if it was long enough, and starts afresh.
    /// `heartbeat_every_ms` is the watchdog's period, if there is one.
    pub fn end(&mut self, heartbeat_every_ms: Option<u64>) {
        let (Some(first), Some(last)) = (self.first.take(), self.last.take()) else {
            return;
        };
        let ms = last.ms.saturating_sub(first.ms);
        if ms < IDLE_REPORT_MIN_MS {
            return;
        }
        let by_name = wakeups_by_name(&first.threads, &last.threads);
        let r = IdleReport {
            ms,
            wakeups: by_name.iter().map(|e| e.1).sum(),
            cpu_ms: last.cpu_ms.saturating_sub(first.cpu_ms),
            heartbeat_wakeups: last
                .heartbeat_wakeups
                .saturating_sub(first.heartbeat_wakeups),
        };
        let threads: Vec<String> = by_name
            .iter()
            .filter(|e| e.1 > 0)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        let secs = ms as f64 / 1000.0;
        let heartbeat = match heartbeat_every_ms {
            Some(every) => format!(
                "watchdog heartbeat every {:.1} s ({} wake-ups of its own)",
                every as f64 / 1000.0,
                r.heartbeat_wakeups
            ),
            None => "no watchdog".to_string(),
        };
        eprintln!(
            "bitig-kiosk: idle {secs:.1} s on the attract screen: {} wake-ups ({:.2}/s; {}), {} ms CPU, {heartbeat}",
            r.wakeups,
            r.wakeups as f64 / secs,
            threads.join(", "),
            r.cpu_ms
        );
        self.report = Some(r);
    }
}

/// Each thread's wake-ups between two readings, summed by name, most first (a thread that
/// ended is not counted; one that started counts from zero).
fn wakeups_by_name(first: &[ThreadWakeups], last: &[ThreadWakeups]) -> Vec<(String, u64)> {
    let mut by_name: Vec<(String, u64)> = Vec::new();
    for t in last {
        let before = first
            .iter()
            .find(|f| f.tid == t.tid)
            .map_or(0, |f| f.wakeups);
        let d = t.wakeups.saturating_sub(before);
        match by_name.iter_mut().find(|e| e.0 == t.name) {
            Some(e) => e.1 += d,
            None => by_name.push((t.name.clone(), d)),
        }
    }
    by_name.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    by_name
}
