//! The one reader of Linux's `/proc`: resident memory, each thread's wake-ups and CPU time.
//! CPU times are in the system's clock ticks, which it is asked for (`sysconf(_SC_CLK_TCK)`).
//! Off Linux (or without /proc) every reading is absent or 0.

/// `pid` is `"self"` for this process, or a process id.
fn read(pid: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()
}

/// A field of `/proc/PID/status` in KiB (`VmRSS:`, `RssAnon:`, `VmHWM:`).
pub fn status_kib(pid: &str, key: &str) -> Option<u64> {
    let s = read(pid, "status")?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resident set size of this process in KiB.
pub fn rss_kib() -> Option<u64> {
    status_kib("self", "VmRSS:")
}

/// Resident anonymous memory of this process in KiB (heap and anonymous maps, without the
/// pages of the program's own file and libraries, which the kernel faults in as new code
/// runs and may drop at will).
pub fn anon_kib() -> Option<u64> {
    status_kib("self", "RssAnon:")
}

/// Peak resident set size of this process in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("self", "VmHWM:")
}

/// One thread and its voluntary context switches (each a sleep that ended: a wake-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadWakeups {
    pub tid: u32,
    pub name: String,
    pub wakeups: u64,
}

/// Each thread of process `pid`, with its wake-ups.
pub fn thread_wakeups(pid: &str) -> Vec<ThreadWakeups> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| {
            let tid = t.file_name().to_str()?.parse().ok()?;
            let status = std::fs::read_to_string(t.path().join("status")).ok()?;
            let field = |k: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(k))
                    .map(|v| v.trim().to_string())
            };
            let wakeups = field("voluntary_ctxt_switches:")?.parse().ok()?;
            Some(ThreadWakeups {
                tid,
                name: field("Name:").unwrap_or_default(),
                wakeups,
            })
        })
        .collect()
}

/// The names of process `pid`'s threads.
pub fn thread_names(pid: &str) -> Vec<String> {
    thread_wakeups(pid).into_iter().map(|t| t.name).collect()
}

/// The system's clock ticks a second, the unit of /proc's CPU times.
pub fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second().max(1)
}

/// CPU time of process `pid` in ms, user + system.
pub fn cpu_ms(pid: &str) -> u64 {
    let stat = read(pid, "stat").unwrap_or_default();
    cpu_ticks(&stat) * 1000 / clock_ticks_per_second()
}

/// utime + stime, fields 14 and 15 of /proc/PID/stat; the command name in field 2 may hold
/// spaces and parentheses, so count from its last ')'.
fn cpu_ticks(stat: &str) -> u64 {
    stat.rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0)
}

/// Voluntary context switches of all the threads of process `pid` and its CPU time in ms.
pub fn wakeups_and_cpu(pid: &str) -> (u64, u64) {
    let switches = thread_wakeups(pid).iter().map(|t| t.wakeups).sum();
    (switches, cpu_ms(pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_ticks_after_a_name_with_spaces() {
        let stat = "42 (a b) c) S 1 2 3 4 5 6 7 8 9 10 250 31 0 0";
        assert_eq!(cpu_ticks(stat), 281);
    }

    #[test]
    fn reads_this_process() {
        assert!(clock_ticks_per_second() >= 1);
        assert!(rss_kib().is_some_and(|k| k > 0));
        let me = thread_wakeups("self");
        assert!(!me.is_empty());
        assert!(me.iter().any(|t| t.tid == std::process::id()));
    }
}
