#[funcache::cache(memory = 8, sizee = 3)]
fn f(x: u32) -> u32 {
    x
}

fn main() {}
