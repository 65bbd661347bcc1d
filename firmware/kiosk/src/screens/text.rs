//! Plain-text helpers for the messages drawn in ASCII (operator info, notices, the
//! maintenance screen's diagnostic).

/// A message that starts with an absolute path (`/etc/bitig/kiosk.toml:2:12: …`), shown on screen
/// with the file's name only (`kiosk.toml:2:12: …`); the log keeps the whole path.
pub fn short_path(message: &str) -> String {
    match message.split_once(':') {
        Some((path, rest)) if path.starts_with('/') => {
            let name = path.rsplit('/').next().unwrap_or(path);
            format!("{name}:{rest}")
        }
        _ => message.to_string(),
    }
}

/// Greedy word wrap at `width` characters; words longer than a line are cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = cur.chars().count();
            let room = if used == 0 {
                width
            } else {
                width.saturating_sub(used + 1)
            };
            if word.len() <= room {
                if used > 0 {
                    cur.push(' ');
                }
                cur.extend(word.iter());
                break;
            }
            if used == 0 {
                let rest = word.split_off(width);
                lines.push(word.iter().collect());
                word = rest;
            } else {
                lines.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A message as ASCII lines on screen: the file's name only, wrapped at `width`, at most
/// `max` lines.
pub fn message_lines(message: &str, width: usize, max: usize) -> Vec<String> {
    wrap(&short_path(message), width)
        .into_iter()
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_at_words_and_cuts_long_words() {
        assert_eq!(super::wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(super::wrap("abcdefgh x", 3), ["abc", "def", "gh", "x"]);
        assert!(super::wrap("", 5).is_empty());
    }

    #[test]
    fn shows_the_file_name_of_an_absolute_path() {
        assert_eq!(
            super::short_path("/etc/bitig/kiosk.toml:2:12: bad"),
            "kiosk.toml:2:12: bad"
        );
        assert_eq!(super::short_path("no path: here"), "no path: here");
    }
}
