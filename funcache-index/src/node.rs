//! What the index knows about one node of the dependency graph once it
//! has read it: its hash, its edges, and what it brings to a closure. The
//! world keeps these across expansions; [`crate::closure`] computes them.

use crate::Digest;
use crate::cfg_text::TextInputs;
use crate::ids::NodeKey;
use crate::trait_sets::{Open, Uses};

/// Everything known about one node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeInfo {
    /// Path below the crate root, e.g. `steps::Parser::parse`.
    pub path: String,
    pub hash: Digest,
    pub edges: Vec<NodeKey>,
    pub externals: Vec<String>,
    /// `(path as written, location)`.
    pub unresolved: Vec<(String, String)>,
    /// Traits this node opens (a `dyn Trait` in data).
    pub open: Open,
    /// For a root that is not in the index: the open traits of its
    /// signature (for indexed roots, `Session::root_open` finds them).
    pub sig_open: Open,
    /// Methods it calls on receivers of unknown type.
    pub by_name: Vec<String>,
    /// Gated std traits it may use.
    pub uses: Uses,
    /// The `cfg` predicate the item exists under, if any.
    pub gate: Option<String>,
    /// `cfg` predicates and environment variables in its text.
    pub inputs: TextInputs,
    /// Its text reads its own position (`line!()`, see
    /// [`crate::positions`]); the position itself is not kept here.
    pub positional: bool,
    /// A macro on it may read its doc comments (see
    /// [`crate::macro_docs`]); the comments themselves are not kept here.
    pub reads_docs: bool,
}
