//! The text the macro packs a list of (path, hash) pairs into: a
//! function's dependencies, and the items of one `cfg` predicate. Each
//! string is written as `<length in bytes>:<text>`, path then hash, with
//! nothing between fields (one literal instead of an array of
//! constants, which rustc compiles much faster).

/// The pairs of `packed`, in order; stops at anything it cannot read.
pub(crate) fn pairs(
    mut packed: &'static str,
) -> impl Iterator<Item = (&'static str, &'static str)> {
    std::iter::from_fn(move || {
        let path = field(&mut packed)?;
        let hash = field(&mut packed)?;
        Some((path, hash))
    })
}

/// One `<length>:<text>` field, advancing `packed` past it.
fn field(packed: &mut &'static str) -> Option<&'static str> {
    let (length, rest) = packed.split_once(':')?;
    let length: usize = length.parse().ok()?;
    let text = rest.get(..length)?;
    *packed = &rest[length..];
    Some(text)
}
