//! Diagnostics: errors and lints with file, line, column and a source snippet.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A position in a source file: 1-based line, 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// One finding about a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, e.g. `missing-glyph`, `mixed-script`.
    pub code: &'static str,
    pub file: PathBuf,
    pub pos: Option<Pos>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// The source line the position points into.
    pub snippet: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: &Path, message: String, help: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            file: file.to_path_buf(),
            pos: None,
            message,
            help,
            snippet: None,
        }
    }

    pub fn warning(code: &'static str, file: &Path, message: String, help: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, message, help)
        }
    }

    /// Points the diagnostic at byte `offset` of `text` (the whole file).
    pub fn at(mut self, text: &str, offset: usize) -> Diagnostic {
        let pos = pos_of(text, offset);
        let line = text.lines().nth(pos.line - 1).unwrap_or("").to_string();
        self.pos = Some(pos);
        self.snippet = Some(line);
        self
    }
}

/// Line and column (in characters) of byte `offset` in `text`.
pub fn pos_of(text: &str, offset: usize) -> Pos {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    Pos { line, col }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        writeln!(f, "{sev}[{}]: {}", self.code, self.message)?;
        match self.pos {
            Some(p) => writeln!(f, "  --> {}:{}:{}", self.file.display(), p.line, p.col)?,
            None => writeln!(f, "  --> {}", self.file.display())?,
        }
        if let (Some(p), Some(snippet)) = (self.pos, &self.snippet) {
            let num = p.line.to_string();
            let pad = " ".repeat(num.len());
            // Show at most 100 characters around the column.
            let chars: Vec<char> = snippet.chars().collect();
            let start = p.col.saturating_sub(60).min(chars.len());
            let end = (start + 100).min(chars.len());
            let shown: String = chars[start..end].iter().collect();
            let lead = if start > 0 { "…" } else { "" };
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {lead}{shown}")?;
            let caret_col = p.col - 1 - start + usize::from(start > 0);
            writeln!(f, "{pad} | {}^", " ".repeat(caret_col))?;
        }
        write!(f, "  = help: {}", self.help)
    }
}

/// The error type of the typesetting library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{count} content error(s) in the sources")]
    Content {
        count: usize,
        diagnostics: Vec<Diagnostic>,
    },
    #[error("cannot read {path}: {cause} (run bitig from the repository root, or pass --assets and --statements)", path = path.display())]
    Io {
        path: PathBuf,
        // Not named `source`: the message above already includes it once.
        cause: std::io::Error,
    },
    #[error("{path}: {message}")]
    Asset { path: PathBuf, message: String },
    #[error("error typesetting '{file}' block {block}: {message}")]
    Layout {
        file: String,
        block: usize,
        message: String,
    },
    #[error("cannot encode the bundle: {0}")]
    Encode(String),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            cause: source,
        }
    }

    pub fn asset(path: &Path, message: impl Into<String>) -> Error {
        Error::Asset {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// True for errors in the content (exit code 1), false for I/O and setup (exit code 2).
    pub fn is_content(&self) -> bool {
        matches!(self, Error::Content { .. } | Error::Layout { .. })
    }
}
