//! What was parsed from a file, kept for the rest of the process and used
//! again while the file's text is the same.
//!
//! One rustc run expands every cached function of a crate, and each
//! expansion reads `Cargo.lock`, the workspace manifest and the path
//! packages' manifests again (for the features of external crates, the
//! workspace's members, `[patch]`es …); with the macro at opt-level 0,
//! parsing that TOML each time was a third of a body-edit rebuild's index
//! work. The key is the whole text, compared byte for byte, not a
//! modification time: a value is always what parsing the text read now
//! gives.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Parsed values by file, each with the text it was parsed from (`X`:
/// the texts of several files, for a value read from more than one).
pub(crate) struct TextMemo<T, X: ?Sized + ToOwned = str> {
    entries: Mutex<Entries<T, X>>,
}

/// Each file's value, with the text it was parsed from.
type Entries<T, X> = BTreeMap<PathBuf, (<X as ToOwned>::Owned, Arc<T>)>;

impl<T, X: ?Sized + ToOwned + PartialEq> TextMemo<T, X> {
    pub const fn new() -> TextMemo<T, X> {
        TextMemo {
            entries: Mutex::new(BTreeMap::new()),
        }
    }

    /// The value `parse` gives for `text`, the text of `path`: the one
    /// kept for `path` when it was parsed from the same text, else parsed
    /// now (and kept when it parses).
    pub fn get<E>(
        &self,
        path: &Path,
        text: X::Owned,
        parse: impl FnOnce(&X) -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let lock = || self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((kept, value)) = lock().get(path)
            && kept.borrow() == text.borrow()
        {
            return Ok(value.clone());
        }
        let value = Arc::new(parse(text.borrow())?);
        lock().insert(path.to_owned(), (text, value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_again_when_the_text_changes() {
        let memo: TextMemo<usize> = TextMemo::new();
        let path = Path::new("/x/Cargo.toml");
        let mut parsed = 0;
        let mut parse = |text: &str| -> Result<usize, ()> {
            parsed += 1;
            Ok(text.len())
        };
        assert_eq!(*memo.get(path, "ab".into(), &mut parse).unwrap(), 2);
        assert_eq!(*memo.get(path, "ab".into(), &mut parse).unwrap(), 2);
        // Same length, other text: parsed again.
        assert_eq!(*memo.get(path, "cd".into(), &mut parse).unwrap(), 2);
        assert_eq!(*memo.get(path, "abc".into(), &mut parse).unwrap(), 3);
        // Another file with a kept text is its own entry.
        assert_eq!(
            *memo
                .get(Path::new("/y/Cargo.toml"), "abc".into(), &mut parse)
                .unwrap(),
            3
        );
        assert_eq!(parsed, 4);
    }

    #[test]
    fn a_failed_parse_is_not_kept() {
        let memo: TextMemo<usize> = TextMemo::new();
        let path = Path::new("/x/Cargo.lock");
        assert!(
            memo.get(path, "bad".into(), |_| Err::<usize, _>(()))
                .is_err()
        );
        assert_eq!(
            *memo
                .get(path, "bad".into(), |t| Ok::<_, ()>(t.len()))
                .unwrap(),
            3
        );
    }
}
