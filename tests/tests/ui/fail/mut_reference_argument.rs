#[funcache::cache]
fn f(buffer: &mut Vec<u8>, x: u32) -> u32 {
    buffer.push(1);
    x
}

fn main() {}
