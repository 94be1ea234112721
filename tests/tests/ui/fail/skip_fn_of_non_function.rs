// `skip_fn` is for function arguments only.
#[funcache::cache(skip_fn(x))]
fn f(x: u64) -> u64 {
    x
}

fn main() {}
