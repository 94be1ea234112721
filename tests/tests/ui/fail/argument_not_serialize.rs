struct Opaque;

#[funcache::cache]
fn f(x: u32, opaque: Opaque) -> u32 {
    let _ = opaque;
    x
}

fn main() {}
