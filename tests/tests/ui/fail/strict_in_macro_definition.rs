// A cached fn written by a `macro_rules!` is compiled wherever the macro is
// invoked; the index cannot see that scope, and `strict` refuses the
// fallback fingerprint.
macro_rules! make {
    ($m:ident, $v:expr) => {
        mod $m {
            const K: u64 = $v;
            #[funcache::cache(strict)]
            pub fn f(x: u64) -> u64 {
                x + K
            }
        }
    };
}

make!(one, 1);

fn main() {
    let _ = one::f(1);
}
