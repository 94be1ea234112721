// An `Option` of a generic function: which function it holds cannot be
// keyed; the message is funcache's, not a bare `F: Serialize`.
#[funcache::cache]
fn apply<F: Fn(u64) -> u64>(f: Option<F>, x: u64) -> u64 {
    f.map_or(x, |f| f(x))
}

fn main() {}
