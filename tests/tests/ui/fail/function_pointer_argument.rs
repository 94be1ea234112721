// A function pointer cannot say which function it points to.
#[funcache::cache]
fn apply(f: fn(u64) -> u64, x: u64) -> u64 {
    f(x)
}

fn main() {}
