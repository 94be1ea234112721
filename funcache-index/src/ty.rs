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

/// std types that deref to their first type argument, besides
/// [`TRANSPARENT`]: guards and cells' borrows.
const DEREF_TO_ARG: &[&str] = &[
    "MutexGuard",
    "RwLockReadGuard",
    "RwLockWriteGuard",
    "MappedMutexGuard",
    "MappedRwLockReadGuard",
    "MappedRwLockWriteGuard",
    "ReentrantLockGuard",
    "Ref",
    "RefMut",
    "PeekMut",
    "ThinBox",
    "UniqueRc",
    "UniqueArc",
];

/// std types that deref to a fixed std type.
const DEREF_TO: &[(&str, &str)] = &[
    ("String", "str"),
    ("PathBuf", "Path"),
    ("OsString", "OsStr"),
    ("CString", "CStr"),
];

/// std types (and a few common external ones) known to implement no
/// `Deref`: auto-deref ends at them. A foreign type not listed here or
/// above may deref to anything foreign (see [`DerefStep::Unknown`]).
const NO_DEREF: &[&str] = &[
    "str",
    "[]",
    "Path",
    "OsStr",
    "CStr",
    "bool",
    "char",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "Option",
    "Result",
    "HashMap",
    "HashSet",
    "BTreeMap",
    "BTreeSet",
    "VecDeque",
    "BinaryHeap",
    "LinkedList",
    "IndexMap",
    "IndexSet",
    "Cell",
    "RefCell",
    "UnsafeCell",
    "OnceCell",
    "OnceLock",
    "Mutex",
    "RwLock",
    "ReentrantLock",
    "Condvar",
    "Barrier",
    "Weak",
    "Duration",
    "Instant",
    "SystemTime",
    "PhantomData",
    "Ordering",
    "Reverse",
    "Wrapping",
    "Saturating",
    "Range",
    "RangeInclusive",
    "RangeFrom",
    "RangeTo",
    "RangeFull",
    "File",
    "Formatter",
    "Arguments",
    "Error",
    "Sender",
    "SyncSender",
    "Receiver",
    "JoinHandle",
    "Thread",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "SocketAddr",
    "IpAddr",
    "Ipv4Addr",
    "Ipv6Addr",
    "Stdin",
    "Stdout",
    "Stderr",
    "BufReader",
    "BufWriter",
    "LineWriter",
    "Cursor",
    "Command",
    "Child",
    "Output",
    "ExitStatus",
    "Layout",
    "TypeId",
    "AtomicBool",
    "AtomicU8",
    "AtomicU16",
    "AtomicU32",
    "AtomicU64",
    "AtomicUsize",
    "AtomicI8",
    "AtomicI16",
    "AtomicI32",
    "AtomicI64",
    "AtomicIsize",
    "AtomicPtr",
    "NonNull",
    "NonZero",
    "NonZeroU8",
    "NonZeroU16",
    "NonZeroU32",
    "NonZeroU64",
    "NonZeroUsize",
    "NonZeroI32",
    "NonZeroI64",
    "ParseIntError",
    "ParseFloatError",
    "Utf8Error",
    "FromUtf8Error",
    "Chars",
    "CharIndices",
    "Lines",
    "Split",
    "Iter",
    "IterMut",
    "IntoIter",
    "Drain",
    "Keys",
    "Values",
    "Entry",
    "Peekable",
    "Enumerate",
    "Zip",
    "Map",
    "Filter",
    "Rev",
    "Skip",
    "Take",
    "Chain",
    "Cloned",
    "Copied",
];

/// Where one auto-deref step from a type leads.
#[derive(Debug, PartialEq)]
pub(crate) enum DerefStep {
    /// To this type (`String` → `str`, `Vec<T>` → `[T]`, `Box<T>` → `T`).
    To(Ty),
    /// Nowhere: the type implements no `Deref`.
    End,
    /// Not known: a foreign type the index has no `Deref` facts for (an
    /// external crate's `SmallVec`, `SmolStr`, guard). It may deref to
    /// any foreign type, or to one of its type arguments.
    Unknown,
}

impl Ty {
    /// What a std type derefs to, by its name. Crate types' `Deref` impls
    /// are the session's to read.
    pub fn std_deref(&self) -> DerefStep {
        let Ty::Named(TypeKey::Foreign(name), args) = self else {
            return DerefStep::End;
        };
        let name = name.as_str();
        if TRANSPARENT.contains(&name) || DEREF_TO_ARG.contains(&name) {
            return DerefStep::To(args.first().cloned().unwrap_or(Ty::Unknown));
        }
        if name == "Vec" {
            return DerefStep::To(Ty::Named(
                TypeKey::Foreign("[]".into()),
                args.first().cloned().into_iter().collect(),
            ));
        }
        if let Some((_, to)) = DEREF_TO.iter().find(|(from, _)| *from == name) {
            return DerefStep::To(Ty::Named(TypeKey::Foreign((*to).into()), Vec::new()));
        }
        if NO_DEREF.contains(&name) {
            DerefStep::End
        } else {
            DerefStep::Unknown
        }
    }

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
