// Nor can a `dyn Fn` closure.
#[funcache::cache]
fn apply(f: &dyn Fn(u64) -> u64, x: u64) -> u64 {
    f(x)
}

fn main() {}
