// `skip(f)` of a function argument would serve one function's result for
// another: refused, pointing at `skip_fn` for callbacks — also when the
// function is inside another type.
#[funcache::cache(skip(f))]
fn apply<F: Fn(u64) -> u64>(f: F, x: u64) -> u64 {
    f(x)
}

#[funcache::cache(skip(f))]
fn maybe_apply<F: Fn(u64) -> u64>(f: Option<F>, x: u64) -> u64 {
    f.map_or(x, |f| f(x))
}

fn main() {}
