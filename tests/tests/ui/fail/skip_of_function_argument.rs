// `skip(f)` of a function argument would serve one function's result for
// another: refused, pointing at `skip_fn` for callbacks.
#[funcache::cache(skip(f))]
fn apply<F: Fn(u64) -> u64>(f: F, x: u64) -> u64 {
    f(x)
}

fn main() {}
