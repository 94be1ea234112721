//! Parsing a remote's URL, and showing it without its password.
//!
//! ```text
//! redis://[user[:password]@]host[:port][/db]        one server (port 6379, db 0 by default)
//! rediss://…                                        the same over TLS (feature `redis-tls`)
//! redis+cluster://[user[:password]@]h1:p1,h2:p2     Redis Cluster: seed nodes, db 0 only
//! ```
//!
//! User and password may be percent-encoded (`p%40ss` for `p@ss`). Hosts
//! may be names, IPv4 addresses or bracketed IPv6 addresses (`[::1]:6379`).

use std::fmt;

/// What a URL's scheme asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `redis://`: one server, plain TCP.
    Plain,
    /// `rediss://`: one server over TLS.
    Tls,
    /// `redis+cluster://`: a Redis Cluster, reached through seed nodes.
    Cluster,
}

impl Scheme {
    fn prefix(self) -> &'static str {
        match self {
            Scheme::Plain => "redis://",
            Scheme::Tls => "rediss://",
            Scheme::Cluster => "redis+cluster://",
        }
    }
}

/// One node's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub host: String,
    pub port: u16,
}

impl Node {
    pub(crate) fn new(host: impl Into<String>, port: u16) -> Node {
        Node {
            host: host.into(),
            port,
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A parsed remote URL. `Display` shows it with the user name and password
/// as one `***`: that is the only form that reaches warnings and the CLI.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RemoteUrl {
    pub scheme: Scheme,
    /// At least one.
    pub nodes: Vec<Node>,
    pub db: i64,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// The port a node without one listens on.
const DEFAULT_PORT: u16 = 6379;

impl RemoteUrl {
    /// Parses `text`; the error says what is wrong in words (it never
    /// repeats the password).
    pub(crate) fn parse(text: &str) -> Result<RemoteUrl, String> {
        let (scheme, rest) = split_scheme(text.trim()).ok_or_else(|| {
            "the URL must start with redis://, rediss:// or redis+cluster://".to_owned()
        })?;
        if rest.contains(['?', '#']) {
            return Err("query parameters and fragments are not supported".into());
        }
        // The credentials end at the last `@`: a password may contain one
        // (percent-encoded or not).
        let (credentials, rest) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
        let nodes = hosts
            .split(',')
            .map(parse_node)
            .collect::<Result<Vec<_>, _>>()?;
        if nodes.len() > 1 && scheme != Scheme::Cluster {
            return Err("several hosts need redis+cluster://".into());
        }
        let db = match path {
            "" => 0,
            digits => digits
                .parse::<i64>()
                .ok()
                .filter(|db| *db >= 0)
                .ok_or("the database (after `/`) is not a number from 0 up")?,
        };
        if scheme == Scheme::Cluster && db != 0 {
            return Err("a Redis Cluster has only database 0".into());
        }
        let (username, password) = match credentials {
            None => (None, None),
            Some(credentials) => {
                let (user, password) = match credentials.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (credentials, None),
                };
                let user = percent_decode(user).ok_or("the user name is not valid UTF-8")?;
                let password = password
                    .map(|p| percent_decode(p).ok_or("the password is not valid UTF-8"))
                    .transpose()?;
                (
                    Some(user).filter(|u| !u.is_empty()),
                    password.filter(|p| !p.is_empty()),
                )
            }
        };
        Ok(RemoteUrl {
            scheme,
            nodes,
            db,
            username,
            password,
        })
    }
}

fn parse_node(text: &str) -> Result<Node, String> {
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or("an IPv6 address needs its closing `]`")?;
        let port = match after {
            "" => None,
            after => Some(
                after
                    .strip_prefix(':')
                    .ok_or("expected `:port` after an IPv6 address's `]`")?,
            ),
        };
        (host, port)
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err("a host is missing".into());
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|port| *port > 0)
            .ok_or("a port is not a number from 1 to 65535")?,
    };
    Ok(Node::new(host, port))
}

/// `text`'s scheme, matched without regard to case (RFC 3986), and what
/// follows `://`.
fn split_scheme(text: &str) -> Option<(Scheme, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme = [Scheme::Plain, Scheme::Tls, Scheme::Cluster]
        .into_iter()
        .find(|known| {
            known
                .prefix()
                .trim_end_matches("://")
                .eq_ignore_ascii_case(scheme)
        })?;
    Some((scheme, rest))
}

/// Decodes `%XX` escapes; `None` if the result is not UTF-8. A `%` not
/// followed by two hex digits is kept as it is.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for RemoteUrl {
    /// The URL with its credentials as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.prefix())?;
        // Not even the user name: `redis://hunter2@h` is a password given
        // where the user name goes.
        if self.username.is_some() || self.password.is_some() {
            f.write_str("***@")?;
        }
        for (index, node) in self.nodes.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{node}")?;
        }
        if self.scheme != Scheme::Cluster {
            write!(f, "/{}", self.db)?;
        }
        Ok(())
    }
}

impl fmt::Debug for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteUrl({self})")
    }
}

/// A URL that did not parse, in a form safe to show: its scheme if it is
/// one of ours, then `***` for everything up to the last `@` and the text
/// after it (the host part: a password ends before the last `@`); without
/// an `@`, every `:`-separated segment as `***` (`redis://u:pw` may be a
/// user and password as well as a host and port). Nothing that could be a
/// user name or password survives; [`RemoteUrl::parse`]'s reasons quote
/// nothing of the URL either.
pub(crate) fn redact_text(text: &str) -> String {
    let Some((scheme, rest)) = split_scheme(text.trim()) else {
        return "***".to_owned();
    };
    let shown = match rest.rfind('@') {
        Some(at) => format!("***{}", &rest[at..]),
        None => vec!["***"; rest.split(':').count()].join(":"),
    };
    format!("{}{shown}", scheme.prefix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let url = RemoteUrl::parse("redis://cache.internal").unwrap();
        assert_eq!(
            (url.scheme, url.nodes.clone(), url.db),
            (Scheme::Plain, vec![Node::new("cache.internal", 6379)], 0)
        );
        let url = RemoteUrl::parse("redis://ci:s3cr%40t@10.0.0.5:6380/3").unwrap();
        assert_eq!(url.username.as_deref(), Some("ci"));
        assert_eq!(url.password.as_deref(), Some("s3cr@t"));
        assert_eq!((url.nodes[0].port, url.db), (6380, 3));
        let url = RemoteUrl::parse("rediss://:pw@[::1]:7000/").unwrap();
        assert_eq!(url.scheme, Scheme::Tls);
        assert_eq!(url.username, None);
        assert_eq!(url.nodes, [Node::new("::1", 7000)]);
        let url = RemoteUrl::parse("redis+cluster://a:7000,b:7001,[::1]").unwrap();
        assert_eq!(url.scheme, Scheme::Cluster);
        assert_eq!(
            url.nodes,
            [
                Node::new("a", 7000),
                Node::new("b", 7001),
                Node::new("::1", 6379)
            ]
        );
        // An unescaped `@` in the password: the host follows the last one.
        let url = RemoteUrl::parse("redis://u:p@ss@h:1").unwrap();
        assert_eq!(
            (url.password.as_deref(), url.nodes[0].clone()),
            (Some("p@ss"), Node::new("h", 1))
        );
    }

    #[test]
    fn rejects_what_it_cannot_use_and_says_why() {
        for (text, why) in [
            ("http://h:1", "must start with"),
            ("redis://", "host is missing"),
            ("redis://h:port", "port is not"),
            ("redis://h:0", "port is not"),
            ("redis://h:70000", "port is not"),
            ("redis://h/x", "not a number"),
            ("redis://h/-1", "not a number"),
            ("redis://u:hunter2Secret", "not a number from 1 to 65535"),
            ("redis://a,b", "redis+cluster"),
            ("redis+cluster://a,b/2", "only database 0"),
            ("redis://h?timeout=1", "query"),
            ("redis://[::1:6379", "closing"),
        ] {
            let error = RemoteUrl::parse(text).unwrap_err();
            assert!(error.contains(why), "{text}: {error}");
        }
    }

    #[test]
    fn display_never_shows_the_password() {
        let shown = |text| RemoteUrl::parse(text).unwrap().to_string();
        assert_eq!(
            shown("redis://user:hunter2@h:6379/1"),
            "redis://***@h:6379/1"
        );
        assert_eq!(shown("redis://:hunter2@h"), "redis://***@h:6379/0");
        assert_eq!(shown("redis://hunter2@h"), "redis://***@h:6379/0");
        assert_eq!(
            shown("redis+cluster://:hunter2@a:1,[::1]:2"),
            "redis+cluster://***@a:1,[::1]:2"
        );
        let debug = format!("{:?}", RemoteUrl::parse("rediss://u:hunter2@h").unwrap());
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn text_that_did_not_parse_is_redacted_too() {
        assert_eq!(
            redact_text("redis://u:hunter2@h:port"),
            "redis://***@h:port"
        );
        assert_eq!(redact_text("redis://u@h/x"), "redis://***@h/x");
        assert_eq!(redact_text("nonsense"), "***");
        assert_eq!(redact_text("u:hunter2@h:1"), "***");
        assert_eq!(redact_text("redis://:a@b@h"), "redis://***@h");
        // No `@`: the part after the scheme may be all credentials.
        assert_eq!(redact_text("redis://u:hunter2Secret"), "redis://***:***");
        assert_eq!(
            redact_text(" REDIS+Cluster://a:b:c "),
            "redis+cluster://***:***:***"
        );
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        let url = RemoteUrl::parse("REDIS://h:1/2").unwrap();
        assert_eq!(url.to_string(), "redis://h:1/2");
        assert_eq!(
            RemoteUrl::parse("Redis+Cluster://a:1").unwrap().scheme,
            Scheme::Cluster
        );
        assert_eq!(RemoteUrl::parse("rEdIsS://h").unwrap().scheme, Scheme::Tls);
    }

    mod never_shows_a_password {
        use proptest::prelude::*;

        use crate::remote::settings::Remote;

        /// Where a password may stand in a URL, well-formed or not:
        /// `{}` is the password.
        const SHAPES: &[&str] = &[
            "redis://u:{}@h:6379/0",
            "redis://:{}@h",
            "redis://u:{}",
            "redis://{}@h",
            "redis://u:{}@",
            "redis://u:{}@h:port",
            "redis://u:{}@h/x",
            "redis://u:{}@h/99/",
            "redis://u:{}@h?timeout=1",
            "redis://u:{}?x",
            "redis://u:{}/2",
            "redis://u:{}@a,b",
            "REDIS://U:{}@[::1",
            "rediss://u:{}@[::1]x",
            "redis+cluster://u:{}@a:1,b:2/3",
            "redis+cluster://u:{}",
            "http://u:{}@h",
            "u:{}@h:1",
            "u:{}",
            "{}",
            "redis://u:{}:x@h",
            "redis://u:x:{}",
            "redis://h:{}",
        ];

        proptest! {
            #[test]
            fn in_any_error_or_display(
                shape in 0..SHAPES.len(),
                password in "[A-Za-z][A-Za-z0-9!$&'()*+;=._~-]{7,20}",
                junk in "[a-z0-9:/@.]{0,6}",
                junk_at_end in any::<bool>(),
            ) {
                let url = SHAPES[shape].replace("{}", &password);
                let url = if junk_at_end { format!("{url}{junk}") } else { url };
                let shown = match Remote::new(&url) {
                    Ok(remote) => vec![
                        remote.to_string(),
                        format!("{remote:?}"),
                        remote.redacted_url(),
                    ],
                    Err(error) => vec![error.to_string(), format!("{error:?}")],
                };
                for text in shown {
                    prop_assert!(!text.contains(&password), "{url} -> {text}");
                }
            }
        }
    }
}
