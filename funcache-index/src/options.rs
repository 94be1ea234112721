//! The options of `#[funcache::cache(...)]`, parsed as real tokens.
//!
//! Shared by the proc macro (which generates code from them) and the CLI
//! (which must compute the same fingerprint as the macro did).

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, Lit, LitInt, Token};

mod kw {
    syn::custom_keyword!(memory);
    syn::custom_keyword!(version);
    syn::custom_keyword!(skip);
    syn::custom_keyword!(skip_fn);
    syn::custom_keyword!(trust_serde);
    syn::custom_keyword!(cache_errors);
    syn::custom_keyword!(strict);
    syn::custom_keyword!(ttl);
}

/// Everything written inside `#[funcache::cache(...)]`.
#[derive(Clone, Default)]
pub struct CacheOptions {
    /// `memory = N`: capacity of the in-memory LRU tier, in entries.
    pub memory: Option<Spanned<usize>>,
    /// `version = N` or `version = "text"`: a manual salt mixed into the
    /// fingerprint.
    pub version: Option<Spanned<String>>,
    /// `skip(a, b)`: arguments left out of the key.
    pub skip: Vec<Ident>,
    /// `skip_fn(f)`: function arguments left out of the key, with the
    /// promise that the result does not depend on which function is passed.
    pub skip_fn: Vec<Ident>,
    /// `trust_serde(q)`: arguments keyed by their `Serialize` even though
    /// a type they reach has a serde attribute that can make two different
    /// values serialize alike (`skip`, `untagged`, …), with the promise that
    /// values serializing alike give the same result.
    pub trust_serde: Vec<Ident>,
    /// `cache_errors`: store `Err` values of a `Result` return too.
    pub cache_errors: Option<Span>,
    /// `strict`: unresolved references are compile errors.
    pub strict: Option<Span>,
    /// `ttl = "7d"` (humantime syntax): how long a stored value may be
    /// served, in seconds.
    pub ttl: Option<Spanned<u64>>,
    /// `crate = path`: where the `funcache` crate is, for re-exports.
    pub krate: Option<syn::Path>,
}

impl std::fmt::Debug for CacheOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // syn's Debug impls need its `extra-traits` feature; print tokens instead.
        use quote::ToTokens;
        f.debug_struct("CacheOptions")
            .field("memory", &self.memory.as_ref().map(|m| m.value))
            .field("version", &self.version.as_ref().map(|v| &v.value))
            .field(
                "skip",
                &self.skip.iter().map(Ident::to_string).collect::<Vec<_>>(),
            )
            .field(
                "skip_fn",
                &self
                    .skip_fn
                    .iter()
                    .map(Ident::to_string)
                    .collect::<Vec<_>>(),
            )
            .field(
                "trust_serde",
                &self
                    .trust_serde
                    .iter()
                    .map(Ident::to_string)
                    .collect::<Vec<_>>(),
            )
            .field("cache_errors", &self.cache_errors.is_some())
            .field("strict", &self.strict.is_some())
            .field("ttl", &self.ttl.as_ref().map(|t| t.value))
            .field(
                "crate",
                &self.krate.as_ref().map(|p| p.to_token_stream().to_string()),
            )
            .finish()
    }
}

/// A parsed value with the span of the option that set it.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl CacheOptions {
    /// The part of the options that changes what a stored value means, in a
    /// deterministic byte form for the fingerprint. `memory`, `strict` and
    /// `ttl` are deliberately absent: they change how values are kept,
    /// checked or expired, not what they are.
    pub fn salt(&self) -> Vec<u8> {
        let mut salt = Vec::new();
        if let Some(version) = &self.version {
            salt.extend_from_slice(b"version=");
            salt.extend_from_slice(version.value.as_bytes());
            salt.push(0);
        }
        if self.cache_errors.is_some() {
            salt.extend_from_slice(b"cache_errors\0");
        }
        let mut skipped: Vec<String> = self.skip.iter().map(Ident::to_string).collect();
        skipped.sort();
        skipped.dedup();
        for name in skipped {
            salt.extend_from_slice(b"skip=");
            salt.extend_from_slice(name.as_bytes());
            salt.push(0);
        }
        let mut skipped_fns: Vec<String> = self.skip_fn.iter().map(Ident::to_string).collect();
        skipped_fns.sort();
        skipped_fns.dedup();
        for name in skipped_fns {
            salt.extend_from_slice(b"skip_fn=");
            salt.extend_from_slice(name.as_bytes());
            salt.push(0);
        }
        salt
    }
}

enum Option_ {
    Memory(Span, LitInt),
    Version(Span, Lit),
    Skip(Span, Vec<Ident>),
    SkipFn(Span, Vec<Ident>),
    TrustSerde(Span, Vec<Ident>),
    CacheErrors(Span),
    Strict(Span),
    Ttl(Span, syn::LitStr),
    Crate(Span, syn::Path),
}

impl Parse for Option_ {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::memory) {
            let key: kw::memory = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(Option_::Memory(key.span, input.parse()?))
        } else if lookahead.peek(kw::version) {
            let key: kw::version = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(Option_::Version(key.span, input.parse()?))
        } else if lookahead.peek(kw::skip_fn) {
            let key: kw::skip_fn = input.parse()?;
            let content;
            syn::parenthesized!(content in input);
            let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
            Ok(Option_::SkipFn(key.span, names.into_iter().collect()))
        } else if lookahead.peek(kw::trust_serde) {
            let key: kw::trust_serde = input.parse()?;
            let content;
            syn::parenthesized!(content in input);
            let names =
                Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
            Ok(Option_::TrustSerde(key.span, names.into_iter().collect()))
        } else if lookahead.peek(kw::skip) {
            let key: kw::skip = input.parse()?;
            let content;
            syn::parenthesized!(content in input);
            // `parse_any` so that `skip(self)` is accepted.
            let names =
                Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
            Ok(Option_::Skip(key.span, names.into_iter().collect()))
        } else if lookahead.peek(kw::cache_errors) {
            Ok(Option_::CacheErrors(
                input.parse::<kw::cache_errors>()?.span,
            ))
        } else if lookahead.peek(kw::strict) {
            Ok(Option_::Strict(input.parse::<kw::strict>()?.span))
        } else if lookahead.peek(kw::ttl) {
            let key: kw::ttl = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(Option_::Ttl(key.span, input.parse()?))
        } else if lookahead.peek(Token![crate]) {
            let key: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(Option_::Crate(key.span, input.parse()?))
        } else {
            Err(lookahead.error())
        }
    }
}

impl Parse for CacheOptions {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let parsed = Punctuated::<Option_, Token![,]>::parse_terminated(input)?;
        let mut options = CacheOptions::default();
        let mut errors: Option<syn::Error> = None;
        let mut push_error = |error: syn::Error| match &mut errors {
            Some(existing) => existing.combine(error),
            None => errors = Some(error),
        };
        let mut seen: Vec<&'static str> = Vec::new();
        let mut once = |name: &'static str, span: Span, push: &mut dyn FnMut(syn::Error)| {
            if seen.contains(&name) {
                push(syn::Error::new(
                    span,
                    format!("`{name}` is given more than once"),
                ));
                false
            } else {
                seen.push(name);
                true
            }
        };
        for option in parsed {
            match option {
                Option_::Memory(span, lit) => {
                    if once("memory", span, &mut push_error) {
                        match lit.base10_parse::<usize>() {
                            Ok(value) => {
                                options.memory = Some(Spanned {
                                    value,
                                    span: lit.span(),
                                })
                            }
                            Err(error) => push_error(error),
                        }
                    }
                }
                Option_::Version(span, lit) => {
                    if once("version", span, &mut push_error) {
                        let value = match &lit {
                            Lit::Int(int) => int.base10_digits().to_owned(),
                            Lit::Str(text) => text.value(),
                            other => {
                                push_error(syn::Error::new(
                                    syn::spanned::Spanned::span(other),
                                    "`version` takes an integer or a string, e.g. `version = 2`",
                                ));
                                continue;
                            }
                        };
                        options.version = Some(Spanned {
                            value,
                            span: lit.span(),
                        });
                    }
                }
                Option_::Skip(span, names) => {
                    if once("skip", span, &mut push_error) {
                        if names.is_empty() {
                            push_error(syn::Error::new(
                                span,
                                "`skip(...)` needs at least one argument name",
                            ));
                        }
                        options.skip = names;
                    }
                }
                Option_::SkipFn(span, names) => {
                    if once("skip_fn", span, &mut push_error) {
                        if names.is_empty() {
                            push_error(syn::Error::new(
                                span,
                                "`skip_fn(...)` needs at least one argument name",
                            ));
                        }
                        options.skip_fn = names;
                    }
                }
                Option_::TrustSerde(span, names) => {
                    if once("trust_serde", span, &mut push_error) {
                        if names.is_empty() {
                            push_error(syn::Error::new(
                                span,
                                "`trust_serde(...)` needs at least one argument name",
                            ));
                        }
                        options.trust_serde = names;
                    }
                }
                Option_::CacheErrors(span) => {
                    if once("cache_errors", span, &mut push_error) {
                        options.cache_errors = Some(span);
                    }
                }
                Option_::Strict(span) => {
                    if once("strict", span, &mut push_error) {
                        options.strict = Some(span);
                    }
                }
                Option_::Ttl(span, text) => {
                    if once("ttl", span, &mut push_error) {
                        match humantime::parse_duration(&text.value()) {
                            Ok(ttl) if ttl.as_secs() > 0 => {
                                options.ttl = Some(Spanned {
                                    value: ttl.as_secs(),
                                    span: text.span(),
                                })
                            }
                            _ => push_error(syn::Error::new(
                                text.span(),
                                "`ttl` takes a duration of a second or more, e.g. `ttl = \"7d\"` or `ttl = \"12h\"`",
                            )),
                        }
                    }
                }
                Option_::Crate(span, path) => {
                    if once("crate", span, &mut push_error) {
                        options.krate = Some(path);
                    }
                }
            }
        }
        match errors {
            Some(error) => Err(error),
            None => Ok(options),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> syn::Result<CacheOptions> {
        syn::parse_str(src)
    }

    #[test]
    fn empty_is_default() {
        let options = parse("").unwrap();
        assert!(options.memory.is_none());
        assert!(options.salt().is_empty());
    }

    #[test]
    fn parses_every_option() {
        let options = parse(
            "memory = 16, version = 3, skip(conn, self), cache_errors, strict, crate = ::x::fc",
        )
        .unwrap();
        assert_eq!(options.memory.unwrap().value, 16);
        assert_eq!(options.version.unwrap().value, "3");
        assert_eq!(options.skip.len(), 2);
        assert!(options.cache_errors.is_some());
        assert!(options.strict.is_some());
        assert!(options.krate.is_some());
    }

    #[test]
    fn string_version_is_accepted() {
        assert_eq!(
            parse(r#"version = "2024-11""#)
                .unwrap()
                .version
                .unwrap()
                .value,
            "2024-11"
        );
    }

    #[test]
    fn unknown_option_is_rejected() {
        let error = parse("memory = 1, sizee = 3").unwrap_err();
        assert!(error.to_string().contains("expected one of"), "{error}");
    }

    #[test]
    fn duplicates_and_bad_values_are_all_reported() {
        let error = parse("memory = 1, memory = 2, version = 1.5").unwrap_err();
        let messages: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("more than once"));
        assert!(messages[1].contains("integer or a string"));
    }

    #[test]
    fn salt_ignores_memory_and_skip_order() {
        let a = parse("memory = 1, skip(a, b), version = 2").unwrap();
        let b = parse("version = 2, skip(b, a), memory = 99").unwrap();
        assert_eq!(a.salt(), b.salt());
        assert_ne!(a.salt(), parse("skip(a, b), version = 3").unwrap().salt());
        assert_ne!(
            a.salt(),
            parse("skip(a, b), version = 2, cache_errors")
                .unwrap()
                .salt()
        );
    }
}
