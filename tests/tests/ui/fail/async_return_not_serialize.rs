// An async fn's return type without serde: the `_peek` companion makes the
// wrapper's adapter call, so it adds no errors of its own.
struct Report {
    lines: usize,
}

#[funcache::cache]
async fn f(x: u32) -> Report {
    Report { lines: x as usize }
}

fn main() {}
