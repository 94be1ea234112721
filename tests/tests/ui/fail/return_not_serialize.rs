#[derive(Clone)]
struct Report {
    lines: usize,
}

#[funcache::cache]
fn f(x: u32) -> Report {
    Report { lines: x as usize }
}

fn main() {}
