#[funcache::cache]
fn f(x: &'static str) -> &'static str {
    x
}

fn main() {}
