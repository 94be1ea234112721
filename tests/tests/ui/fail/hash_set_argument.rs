use std::collections::HashSet;

#[funcache::cache]
fn f(tags: HashSet<String>) -> usize {
    tags.len()
}

fn main() {}
