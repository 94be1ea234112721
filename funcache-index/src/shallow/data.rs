//! What shallow recognition finds: items by kind and name, with byte
//! ranges into the file for whatever is parsed later.

/// A byte range in a file's text.
pub(crate) type Range = (u32, u32);

/// An outer attribute `#[path args]` or `#[path = value]`.
#[derive(Clone, Debug)]
pub(crate) struct Attr {
    /// Path segments, e.g. `["funcache", "cache"]`.
    pub path: Vec<String>,
    /// Inside the parentheses of `#[path(...)]`, if any.
    pub args: Option<Range>,
    /// The string of `#[path = "value"]`, unescaped, if any.
    pub value: Option<String>,
}

/// A `use` tree flattened into one entry per binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UseEntry {
    /// Full path; a leading `::` is the segment `"::"`.
    pub path: Vec<String>,
    /// The name it binds (`None` for a glob or `as _`).
    pub name: Option<String>,
    /// `use path::*`.
    pub glob: bool,
}

impl UseEntry {
    /// The entry a use-tree leaf makes: `seg` under `prefix`, bound as
    /// `alias` if given (`as _` binds nothing). A `self` leaf names the
    /// prefix itself and binds its last segment.
    pub fn leaf(prefix: &[String], seg: &str, alias: Option<String>) -> UseEntry {
        let mut path = prefix.to_vec();
        let default_name = if seg == "self" {
            prefix.last().cloned().unwrap_or_default()
        } else {
            path.push(seg.to_owned());
            seg.to_owned()
        };
        let name = alias.unwrap_or(default_name);
        UseEntry {
            path,
            name: (name != "_").then_some(name),
            glob: false,
        }
    }
}

/// A path written in an impl header, generic arguments dropped.
#[derive(Clone, Debug, Default)]
pub(crate) struct TyPath {
    /// Path segments (empty for tuples, slices, `fn` pointers…).
    pub segs: Vec<String>,
    /// Compact printed form of the whole type, for display.
    pub text: String,
}

/// A function's parts.
#[derive(Clone, Debug)]
pub(crate) struct FnParts {
    /// From the first qualifier (`const`, `async`, `fn` …) to the body.
    pub sig: Range,
    /// Whether the first parameter is `self` (it can be called as a method).
    pub has_self: bool,
}

/// An item inside an `impl` or `trait` block.
#[derive(Clone, Debug)]
pub(crate) struct Assoc {
    pub kind: AssocKind,
    pub name: String,
    pub attrs: Vec<Attr>,
    pub span: Range,
}

/// What an [`Assoc`] is.
#[derive(Clone, Debug)]
pub(crate) enum AssocKind {
    Fn(FnParts),
    Const,
    Type,
    /// A macro invocation in an impl; its expansion is invisible to us.
    Macro,
}

/// An `impl` block's header facts.
#[derive(Clone, Debug)]
pub(crate) struct ImplParts {
    /// `impl … ` up to (not including) the `{`.
    pub header: Range,
    pub self_ty: TyPath,
    pub trait_: Option<TyPath>,
    /// Type and const parameter names of the impl.
    pub generics: Vec<String>,
    pub items: Vec<Assoc>,
}

/// The kind of an item, with what resolution needs.
#[derive(Clone, Debug)]
pub(crate) enum ItemKind {
    Fn(FnParts),
    Struct,
    Enum {
        variants: Vec<String>,
    },
    Union,
    TypeAlias,
    Trait {
        header: Range,
        items: Vec<Assoc>,
    },
    Const,
    Static,
    Use(Vec<UseEntry>),
    ExternCrate {
        krate: String,
    },
    /// `mod name;` (`body: None`) or `mod name { … }`.
    Mod {
        body: Option<Vec<Item>>,
    },
    Impl(ImplParts),
    MacroRules,
    /// An item-position macro call whose contents were not items.
    MacroCall,
    Other,
}

/// One item of a module.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub kind: ItemKind,
    /// The name, `""` for impls, uses and macro calls.
    pub name: String,
    pub attrs: Vec<Attr>,
    /// From the first attribute to the last token.
    pub span: Range,
    /// When the item was written inside an item-position macro call
    /// (`ast_struct! { pub struct S { .. } }`): the macro's path.
    pub via_macro: Option<Vec<String>>,
}
