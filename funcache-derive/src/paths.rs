//! Paths the generated code needs: the `funcache` crate, and the default
//! cache directory.

use std::path::{Path, PathBuf};

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::Span;
use quote::quote;

use funcache_index::CacheOptions;

/// The path generated code uses for the runtime crate: `crate = ...` when
/// given, else the name `funcache` has in the user's Cargo.toml (it may be
/// renamed), else `::funcache`.
pub(crate) fn runtime_crate(options: &CacheOptions) -> proc_macro2::TokenStream {
    if let Some(path) = &options.krate {
        return quote!(#path);
    }
    match crate_name("funcache") {
        // Inside funcache itself (its lib declares `extern crate self as
        // funcache`) and its own examples and tests, `::funcache` resolves.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::funcache),
        Ok(FoundCrate::Name(name)) => {
            let ident = syn::Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
    }
}

/// The directory cached functions use when `FUNCACHE_DIR` is not set:
/// `<target dir>/funcache`, where the target directory is `CARGO_TARGET_DIR`
/// if set for the build, else `target/` at the workspace root. It is inside
/// the project (so it is per project and already git-ignored) and, unlike a
/// path relative to the working directory, the same wherever the program is
/// started from.
pub(crate) fn default_cache_dir() -> String {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            std::path::absolute(&dir).unwrap_or(dir)
        }
        _ => match &manifest_dir {
            Some(manifest_dir) => workspace_root(manifest_dir).join("target"),
            None => return String::new(),
        },
    };
    target_dir.join("funcache").to_string_lossy().into_owned()
}

/// The nearest ancestor (or the package itself) whose Cargo.toml declares a
/// `[workspace]` that does not exclude the package.
fn workspace_root(manifest_dir: &Path) -> PathBuf {
    for dir in manifest_dir.ancestors() {
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
            continue;
        };
        let Some(workspace) = doc.get("workspace").and_then(|w| w.as_table_like()) else {
            continue;
        };
        let relative = manifest_dir.strip_prefix(dir).unwrap_or(manifest_dir);
        let excluded = workspace
            .get("exclude")
            .and_then(|e| e.as_array())
            .is_some_and(|list| {
                list.iter()
                    .filter_map(|v| v.as_str())
                    .any(|ex| relative.starts_with(ex))
            });
        if excluded && dir != manifest_dir {
            return manifest_dir.to_path_buf();
        }
        return dir.to_path_buf();
    }
    manifest_dir.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_enclosing_workspace_unless_excluded() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"app\"]\nexclude = [\"fixtures\"]\n",
        )
        .unwrap();
        for member in ["app", "fixtures/one"] {
            std::fs::create_dir_all(root.join(member)).unwrap();
            std::fs::write(
                root.join(member).join("Cargo.toml"),
                "[package]\nname = \"x\"\n",
            )
            .unwrap();
        }
        assert_eq!(workspace_root(&root.join("app")), root);
        assert_eq!(
            workspace_root(&root.join("fixtures/one")),
            root.join("fixtures/one")
        );
    }
}
