#[funcache::cache]
struct Settings {
    verbose: bool,
}

fn main() {}
