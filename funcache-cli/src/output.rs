//! How results are shown: aligned tables for people (sizes in KiB/MiB,
//! times relative to now), one JSON document for scripts, and a progress
//! bar on stderr for work that takes more than a moment.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::error::{CliError, output};

/// Standard output, buffered and locked for the whole command.
pub struct Out {
    inner: io::BufWriter<io::StdoutLock<'static>>,
}

impl Out {
    /// Stdout.
    pub fn stdout() -> Out {
        Out {
            inner: io::BufWriter::new(io::stdout().lock()),
        }
    }

    /// Writes one line.
    pub fn line(&mut self, text: impl AsRef<str>) -> Result<(), CliError> {
        writeln!(self.inner, "{}", text.as_ref()).map_err(output)
    }

    /// Writes `value` as one pretty-printed JSON document.
    pub fn json(&mut self, value: &impl Serialize) -> Result<(), CliError> {
        serde_json::to_writer_pretty(&mut self.inner, value).map_err(|e| output(e.into()))?;
        writeln!(self.inner).map_err(output)
    }

    /// Flushes; the caller sees a closed pipe here at the latest.
    pub fn flush(&mut self) -> Result<(), CliError> {
        self.inner.flush().map_err(output)
    }
}

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table with a header row, rendered with two spaces between columns and
/// no trailing spaces. Put the widest free-text column (a function id)
/// last: the others stay aligned however long it is.
pub struct Table {
    columns: Vec<(&'static str, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(columns: &[(&'static str, Align)]) -> Table {
        Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one cell per column).
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
    }

    /// The lines of the table.
    pub fn render(&self) -> Vec<String> {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain([self.columns[i].0.len()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.columns.len()).map(width).collect();
        let header: Vec<String> = self.columns.iter().map(|c| c.0.to_owned()).collect();
        std::iter::once(&header)
            .chain(&self.rows)
            .map(|cells| {
                let mut line = String::new();
                for (i, cell) in cells.iter().enumerate() {
                    if i > 0 {
                        line.push_str("  ");
                    }
                    let pad = widths[i] - cell.chars().count();
                    match self.columns[i].1 {
                        Align::Right => {
                            line.extend(std::iter::repeat_n(' ', pad));
                            line.push_str(cell);
                        }
                        Align::Left => {
                            line.push_str(cell);
                            line.extend(std::iter::repeat_n(' ', pad));
                        }
                    }
                }
                line.truncate(line.trim_end().len());
                line
            })
            .collect()
    }
}

/// `512 B`, `1.5 KiB`, `3.2 MiB`.
pub fn size(bytes: u64) -> String {
    bytesize::ByteSize(bytes).display().iec().to_string()
}

/// How long ago `time` was: `just now`, `42s ago`, `5m ago`, `3h ago`,
/// `6d ago`, and past a fortnight the UTC date.
pub fn ago(time: SystemTime, now: SystemTime) -> String {
    let Ok(elapsed) = now.duration_since(time) else {
        // Written by a machine whose clock is ahead of ours.
        return "in the future".to_owned();
    };
    let secs = elapsed.as_secs();
    match secs {
        0..5 => "just now".to_owned(),
        5..60 => format!("{secs}s ago"),
        60..3_600 => format!("{}m ago", secs / 60),
        3_600..172_800 => format!("{}h ago", secs / 3_600),
        172_800..1_209_600 => format!("{}d ago", secs / 86_400),
        _ => {
            let mut date = humantime::format_rfc3339_seconds(time).to_string();
            date.truncate(10);
            date
        }
    }
}

/// RFC 3339 in UTC with milliseconds, for JSON.
pub fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// `<1ms`, `340ms`, `2.5s`, `4m05s`, `2h10m`.
pub fn took(duration: Duration) -> String {
    let ms = duration.as_millis();
    let secs = duration.as_secs();
    if ms < 1 {
        "<1ms".to_owned()
    } else if ms < 1_000 {
        format!("{ms}ms")
    } else if secs < 60 {
        format!("{:.1}s", duration.as_secs_f64())
    } else if secs < 3_600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3_600, secs % 3_600 / 60)
    }
}

/// `1 entry`, `3 entries`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Bytes (a fingerprint, an arguments key) as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first 8 hex digits of a fingerprint: enough to tell apart the
/// handful a function has, short enough for an 80-column row.
pub fn short(bytes: &[u8]) -> String {
    let mut text = hex(bytes);
    text.truncate(8);
    text
}

/// An arguments key for a table cell: 8 hex digits of a hash of the key.
///
/// A key is not necessarily a digest: small arguments may be kept as their
/// encoding, whose bytes are mostly the same tags and zeros for every call
/// of a function, so no prefix or suffix of it tells entries apart. A hash
/// (FNV-1a) does, in 8 columns; `--json` has the full key.
pub fn key_tag(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{:08x}", (hash >> 32) as u32 ^ hash as u32)
}

/// A progress bar on stderr that appears only once the work has taken more
/// than a moment and only when stderr is a terminal, so quick runs, pipes
/// and CI logs stay clean.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
}

/// How long work may run before a bar appears.
const PROGRESS_DELAY: Duration = Duration::from_millis(300);

impl Progress {
    /// A bar for `len` units of work.
    pub fn new(len: u64, message: &'static str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta} left)")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message);
        Progress {
            bar,
            started: Instant::now(),
            shown: false,
        }
    }

    /// Sets how many units are done.
    pub fn set(&mut self, done: u64) {
        if !self.shown && self.started.elapsed() >= PROGRESS_DELAY {
            self.shown = true;
            if io::stderr().is_terminal() {
                self.bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        }
        self.bar.set_position(done);
    }

    /// Removes the bar from the screen.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_keep_no_trailing_space() {
        let mut table = Table::new(&[("N", Align::Right), ("NAME", Align::Left)]);
        table.row(vec!["3".into(), "a::b".into()]);
        table.row(vec!["120".into(), "c".into()]);
        assert_eq!(table.render(), ["  N  NAME", "  3  a::b", "120  c"]);
    }

    #[test]
    fn human_units() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(3 << 20), "3.0 MiB");
        let now = SystemTime::now();
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now - Duration::from_secs(42), now), "42s ago");
        assert_eq!(ago(now - Duration::from_secs(300), now), "5m ago");
        assert_eq!(ago(now - Duration::from_secs(3 * 86_400), now), "3d ago");
        assert_eq!(ago(now + Duration::from_secs(60), now), "in the future");
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(ago(old, now), "2001-09-09");
        assert_eq!(took(Duration::from_micros(10)), "<1ms");
        assert_eq!(took(Duration::from_millis(340)), "340ms");
        assert_eq!(took(Duration::from_millis(2_500)), "2.5s");
        assert_eq!(took(Duration::from_secs(245)), "4m05s");
        assert_eq!(count(1, "entry", "entries"), "1 entry");
        assert_eq!(short(&[0xab; 32]), "abababab");
        assert_eq!(key_tag(&[1, 2, 3]).len(), 8);
        assert_ne!(key_tag(&[0, 1, 2, 0, 0]), key_tag(&[0, 1, 3, 0, 0]));
        assert_eq!(count(2, "entry", "entries"), "2 entries");
    }
}
