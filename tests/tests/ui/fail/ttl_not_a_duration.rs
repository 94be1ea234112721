#[funcache::cache(ttl = "a week")]
fn f(x: u32) -> u32 {
    x
}

#[funcache::cache(ttl = "0s")]
fn g(x: u32) -> u32 {
    x
}

fn main() {}
