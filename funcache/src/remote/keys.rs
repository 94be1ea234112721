//! The Redis key layout (see the module docs of `remote`): what the tier
//! writes, the CLI lists and the tests read.

use std::fmt::Write;

use crate::envelope::FORMAT_VERSION;
use crate::key::ArgsKey;

/// Bytes of a fingerprint at the start of an entry key.
const FINGERPRINT_LEN: usize = 32;

/// The suffix of a lease key.
const LEASE_SUFFIX: &str = ":lease";

/// `funcache:v{FORMAT_VERSION}:`: every key of this format starts with it.
pub(crate) fn prefix() -> String {
    format!("funcache:v{FORMAT_VERSION}:")
}

/// The `SCAN MATCH` pattern of every key of this format (values and
/// leases).
pub(crate) fn pattern() -> String {
    format!("{}*", prefix())
}

/// The value key of `fn_id`'s entry `entry_key` (fingerprint ‖ args key):
/// `funcache:v3:{fn_id}:{hex fingerprint}:{hex args key}`. The same on
/// every machine and checkout: nothing of the cache directory is in it.
pub(crate) fn value_key(fn_id: &str, entry_key: &[u8]) -> String {
    let (fingerprint, args) = entry_key.split_at(FINGERPRINT_LEN.min(entry_key.len()));
    let mut key = String::with_capacity(16 + fn_id.len() + 2 * entry_key.len());
    key.push_str(&prefix());
    key.push_str(fn_id);
    key.push(':');
    hex(&mut key, fingerprint);
    key.push(':');
    hex(&mut key, args);
    key
}

/// The lease key of a value key: the value key and `:lease`.
pub(crate) fn lease_key(value_key: &str) -> String {
    format!("{value_key}{LEASE_SUFFIX}")
}

fn hex(into: &mut String, bytes: &[u8]) {
    for byte in bytes {
        let _ = write!(into, "{byte:02x}");
    }
}

/// A value key read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedKey<'a> {
    pub fn_id: &'a str,
    pub fingerprint: [u8; FINGERPRINT_LEN],
    pub args: ArgsKey,
}

/// Reads a value key of this format back; `None` for a lease key, a key of
/// another format version, or anything else.
pub(crate) fn parse(key: &str) -> Option<ParsedKey<'_>> {
    if key.ends_with(LEASE_SUFFIX) {
        return None;
    }
    let rest = key.strip_prefix(&prefix())?;
    // A function id holds `::`; fingerprint and args key are the last two
    // fields and hold no colon.
    let (rest, args) = rest.rsplit_once(':')?;
    let (fn_id, fingerprint) = rest.rsplit_once(':')?;
    if fn_id.is_empty() {
        return None;
    }
    Some(ParsedKey {
        fn_id,
        fingerprint: unhex(fingerprint)?.try_into().ok()?,
        args: ArgsKey::from_bytes(&unhex(args)?)?,
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EntryKey;

    fn args(arg: u64) -> ArgsKey {
        ArgsKey::of_arg(&arg)
    }

    #[test]
    fn the_layout_is_pinned() {
        let entry = EntryKey::new(&[0xab; 32], &args(7));
        let key = value_key("app::steps::parse", &entry);
        assert_eq!(
            key,
            format!(
                "funcache:v{FORMAT_VERSION}:app::steps::parse:{}:{}",
                "ab".repeat(32),
                args(7)
            )
        );
        assert_eq!(lease_key(&key), format!("{key}:lease"));
        assert!(key.starts_with(&pattern()[..pattern().len() - 1]));
    }

    #[test]
    fn value_keys_read_back_and_nothing_else_does() {
        let entry = EntryKey::new(&[3; 32], &args(1));
        let key = value_key("app::f", &entry);
        assert_eq!(
            parse(&key),
            Some(ParsedKey {
                fn_id: "app::f",
                fingerprint: [3; 32],
                args: args(1)
            })
        );
        assert_eq!(parse(&lease_key(&key)), None);
        let other_version = key.replacen(&prefix(), "funcache:v99:", 1);
        assert_eq!(parse(&other_version), None);
        for junk in [
            "funcache:v3:",
            "unrelated",
            &format!("{}f:zz:00", prefix()),
            &format!("{}:{}:00", prefix(), "00".repeat(32)),
            &format!("{}f:{}:0", prefix(), "00".repeat(32)),
        ] {
            assert_eq!(parse(junk), None, "{junk}");
        }
    }
}
