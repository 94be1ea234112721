mod helpers {
    pub fn present(x: u64) -> u64 {
        x
    }
}

#[funcache::cache(strict)]
fn audited(x: u64) -> u64 {
    helpers::present(x) + helpers::missing(x)
}

fn main() {}
