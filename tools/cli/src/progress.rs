//! A progress bar on stderr: redrawn in place on a terminal, a line every 10% otherwise
//! (logs, CI).

use std::io::IsTerminal;

/// What the bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes, shown in MiB.
    MiB,
    /// Files, shown as they are.
    Files,
}

pub struct Progress {
    total: u64,
    done: u64,
    tty: bool,
    verb: &'static str,
    unit: Unit,
    last_pct: u64,
}

impl Progress {
    pub fn new(total: u64, verb: &'static str, unit: Unit) -> Self {
        Self {
            total,
            done: 0,
            tty: std::io::stderr().is_terminal(),
            verb,
            unit,
            last_pct: u64::MAX,
        }
    }

    /// `n` more done.
    pub fn add(&mut self, n: usize) {
        self.done += n as u64;
        let pct = (self.done * 100).checked_div(self.total).unwrap_or(100);
        if pct == self.last_pct || (!self.tty && !pct.is_multiple_of(10) && self.done != self.total)
        {
            return;
        }
        self.last_pct = pct;
        let width = 30u64;
        let fill = (pct * width / 100) as usize;
        let (done, total, unit) = match self.unit {
            Unit::MiB => (self.done >> 20, self.total >> 20, "MiB"),
            Unit::Files => (self.done, self.total, "files"),
        };
        let bar = format!(
            "{:<9} [{}{}] {:>3}% {done} / {total} {unit}",
            self.verb,
            "#".repeat(fill),
            ".".repeat(width as usize - fill),
            pct,
        );
        if self.tty {
            eprint!("\r{bar}");
            if self.done == self.total {
                eprintln!();
            }
        } else {
            eprintln!("{bar}");
        }
    }
}
