// A function pointer behind an alias: the signature does not show it, so
// rustc reports the missing `Serialize`; the note says what to do with a
// function (`skip_fn`, which accepts it), not `skip` (which refuses it).
type Op = fn(u64) -> u64;

#[funcache::cache]
fn apply(op: Op, x: u64) -> u64 {
    op(x)
}

fn main() {}
