// The generated code must not make rustc lint the user's code: a cached
// method of a generic trait impl once drew `unused_braces` at the user's
// braces (with a suggestion that did not compile), and a function named
// `gen_` got companions `gen__uncached` drawing `non_snake_case`, and a
// cached fn written by a `macro_rules!` got `dead_code` for its unused
// `_refresh` and `_peek`.
#![deny(warnings)]

trait Tr {
    fn trm(&self) -> i64;
    fn with_args(&self, x: i64, pair: (i64, i64)) -> i64;
}

#[derive(serde::Serialize)]
struct W<T>(T);

impl<T: serde::Serialize> Tr for W<T> {
    // One line each: rustc lints braces only when they sit on one line.
    #[funcache::cache]
    fn trm(&self) -> i64 { 7 }

    #[funcache::cache]
    fn with_args(&self, mut x: i64, (a, b): (i64, i64)) -> i64 { x += a; x * b }
}

#[funcache::cache]
fn gen_(x: u32) -> u32 {
    x + 1
}

macro_rules! cached_fn {
    ($name:ident, $e:expr) => {
        #[funcache::cache]
        fn $name() -> u32 {
            $e
        }
    };
}
cached_fn!(written_by_a_macro, 2);

fn main() {
    let _ = written_by_a_macro() + written_by_a_macro_uncached();
    let _ = W(1u8).trm() + W(1u8).with_args(1, (2, 3));
    let _ = (gen_, gen__uncached, gen__refresh, gen__cache, gen__peek);
}
