#[funcache::cache(memory = 8, memory = 16)]
fn f(x: u32) -> u32 {
    x
}

fn main() {}
