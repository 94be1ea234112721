// `skip_fn` accepts an argument whose type does not show a function (an
// alias of a `fn` pointer) and leaves it out of the key, as the note of a
// missing `Serialize` and the run-time warning of `skip` advise.
type Op = fn(u64) -> u64;

#[funcache::cache(skip_fn(op))]
fn apply(op: Op, x: u64) -> u64 {
    op(x)
}

fn main() {
    fn double(x: u64) -> u64 {
        x * 2
    }
    let _ = (apply_cache, apply_uncached);
    assert_eq!(apply_uncached(double, 2), 4);
}
