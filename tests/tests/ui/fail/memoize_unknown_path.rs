mod steps {
    pub fn parse(text: &str) -> usize {
        text.len()
    }
}

fn main() {
    let _ = funcache::memoize!(steps::parze);
}
