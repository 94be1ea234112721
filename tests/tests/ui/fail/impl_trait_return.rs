#[funcache::cache]
fn f(x: u32) -> impl std::fmt::Display {
    x
}

fn main() {}
