// `memoize!(f)` inside a `macro_rules!` body means the `f` in scope where
// the macro is invoked, which the index cannot see: a path from the crate
// root is required (it means the same everywhere).
mod x {
    pub fn f(v: u32) -> u32 {
        v + 1
    }
}

mod y {
    pub fn f(v: u32) -> u32 {
        v + 2
    }
}

macro_rules! memo {
    () => {
        funcache::memoize!(f)
    };
}

mod xm {
    use crate::x::f;
    pub fn run() -> u32 {
        memo!()(10)
    }
}

mod ym {
    use crate::y::f;
    pub fn run() -> u32 {
        memo!()(10)
    }
}

fn main() {
    let _ = (xm::run(), ym::run());
}
