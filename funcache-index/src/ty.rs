//! What receiver typing knows about a value's type ([`Ty`]) and about the
//! code it is read in ([`TyCx`]): plain data the session and the walker
//! pass around.

use crate::ids::{ItemRef, ModRef};
use crate::impl_table::TypeKey;

/// What is known about the type of a value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    Unknown,
    /// A named type with its generic arguments.
    Named(TypeKey, Vec<Ty>),
    /// Some type implementing these crate traits (`dyn T`, `impl T`, a
    /// bounded generic parameter, `Self` in a trait).
    Traits(Vec<ItemRef>),
}

/// Smart pointers whose methods are looked up on what they point to.
pub(crate) const TRANSPARENT: &[&str] = &[
    "Box",
    "Rc",
    "Arc",
    "Cow",
    "Pin",
    "ManuallyDrop",
    "LazyLock",
    "LazyCell",
    "Lazy",
    "AssertUnwindSafe",
    // A lock's guard, in a `Result` or not (see `infer_method`).
    "LockResult",
];

impl Ty {
    /// Sees through `Box`/`Rc`/`Arc` (references are already gone).
    pub fn peel(&self) -> Ty {
        let mut ty = self.clone();
        while let Ty::Named(TypeKey::Foreign(name), args) = &ty {
            if TRANSPARENT.contains(&name.as_str()) && !args.is_empty() {
                ty = args[0].clone();
            } else {
                break;
            }
        }
        ty
    }

    /// The type and, for a smart pointer, what it points to, outermost
    /// first: method lookup auto-derefs through them, so an impl for
    /// `Box<B>` and one for `B` both answer `Box::new(B).m()`.
    pub fn layers(&self) -> Vec<Ty> {
        let mut out = vec![self.clone()];
        while let Some(Ty::Named(TypeKey::Foreign(name), args)) = out.last() {
            if TRANSPARENT.contains(&name.as_str()) && !args.is_empty() {
                let inner = args[0].clone();
                out.push(inner);
            } else {
                break;
            }
        }
        out
    }

    /// Generic argument `i`, if known.
    pub fn arg(&self, i: usize) -> Ty {
        match self {
            Ty::Named(_, args) => args.get(i).cloned().unwrap_or(Ty::Unknown),
            _ => Ty::Unknown,
        }
    }

    /// Whether it is the foreign type `name` (`Option`, `Vec` …).
    pub fn is_foreign(&self, names: &[&str]) -> bool {
        matches!(self, Ty::Named(TypeKey::Foreign(n), _) if names.contains(&n.as_str()))
    }

    /// `T` of `Option<T>` / `Result<T, E>`, for `?` and `unwrap`.
    pub fn unwrapped(&self) -> Ty {
        if self.is_foreign(&["LockResult"]) {
            return self.arg(0);
        }
        let peeled = self.peel();
        if peeled.is_foreign(&["Option", "Result"]) {
            peeled.arg(0)
        } else {
            Ty::Unknown
        }
    }

    /// The element type of a collection, for `for x in v` and `v[i]`.
    pub fn element(&self) -> Ty {
        let peeled = self.peel();
        if peeled.is_foreign(&[
            "Vec",
            "[]",
            "VecDeque",
            "HashSet",
            "BTreeSet",
            "Option",
            "BinaryHeap",
            "LinkedList",
        ]) {
            peeled.arg(0)
        } else {
            Ty::Unknown
        }
    }
}

/// The typing context of a piece of code: where it is written, what
/// `Self` is, and its generic parameters with their crate-trait bounds.
#[derive(Clone, Debug)]
pub(crate) struct TyCx {
    pub module: ModRef,
    /// The nested item the code is in: its blocks' names come first.
    pub within: Option<ItemRef>,
    pub self_ty: Option<Ty>,
    pub generics: Vec<(String, Vec<ItemRef>)>,
}

impl TyCx {
    /// A context with no `Self` and no generics.
    pub fn plain(module: ModRef) -> TyCx {
        TyCx {
            module,
            within: None,
            self_ty: None,
            generics: Vec::new(),
        }
    }

    /// The bounds of generic parameter `name`, if it is one.
    pub fn generic(&self, name: &str) -> Option<&[ItemRef]> {
        self.generics
            .iter()
            .rev()
            .find(|g| g.0 == name)
            .map(|g| g.1.as_slice())
    }
}
