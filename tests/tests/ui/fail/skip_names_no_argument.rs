#[funcache::cache(skip(conection))]
fn f(connection: &str, x: u32) -> u32 {
    let _ = connection;
    x
}

fn main() {}
