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

/// A parsed remote URL. `Display` shows it with the password replaced by
/// `***`: that is the only form that reaches warnings and the CLI.
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
        let text = text.trim();
        let (scheme, rest) = [Scheme::Plain, Scheme::Tls, Scheme::Cluster]
            .into_iter()
            .find_map(|scheme| Some((scheme, text.strip_prefix(scheme.prefix())?)))
            .ok_or_else(|| {
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
                .ok_or_else(|| format!("the database `/{digits}` is not a number"))?,
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
            .ok_or_else(|| format!("`{text}`: an IPv6 address needs its closing `]`"))?;
        let port = match after {
            "" => None,
            after => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| format!("`{text}`: expected `:port` after `]`"))?,
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
            .ok_or_else(|| format!("`{port}` is not a port number"))?,
    };
    Ok(Node::new(host, port))
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
    /// The URL with the password as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.prefix())?;
        match (&self.username, &self.password) {
            (None, None) => {}
            (Some(user), None) => write!(f, "{user}@")?,
            (user, Some(_)) => write!(f, "{}:***@", user.as_deref().unwrap_or(""))?,
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

/// `text` with whatever stands between `scheme://…:` and the last `@`
/// replaced by `***`: for showing a URL that did not parse.
pub(crate) fn redact_text(text: &str) -> String {
    let text = text.trim();
    let Some(start) = text.find("://").map(|i| i + 3) else {
        // Not a URL: whatever precedes an `@` may be a password.
        return match text.rfind('@') {
            Some(at) => format!("***{}", &text[at..]),
            None => text.to_owned(),
        };
    };
    let Some(at) = text[start..].rfind('@').map(|i| start + i) else {
        return text.to_owned();
    };
    match text[start..at].find(':') {
        Some(colon) => format!("{}***{}", &text[..start + colon + 1], &text[at..]),
        // Only a user name: nothing secret.
        None => text.to_owned(),
    }
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
            ("redis://h:port", "not a port"),
            ("redis://h:0", "not a port"),
            ("redis://h:70000", "not a port"),
            ("redis://h/x", "not a number"),
            ("redis://h/-1", "not a number"),
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
            "redis://user:***@h:6379/1"
        );
        assert_eq!(shown("redis://:hunter2@h"), "redis://:***@h:6379/0");
        assert_eq!(shown("redis://user@h"), "redis://user@h:6379/0");
        assert_eq!(
            shown("redis+cluster://:hunter2@a:1,[::1]:2"),
            "redis+cluster://:***@a:1,[::1]:2"
        );
        let debug = format!("{:?}", RemoteUrl::parse("rediss://u:hunter2@h").unwrap());
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn text_that_did_not_parse_is_redacted_too() {
        assert_eq!(
            redact_text("redis://u:hunter2@h:port"),
            "redis://u:***@h:port"
        );
        assert_eq!(redact_text("redis://u@h"), "redis://u@h");
        assert_eq!(redact_text("nonsense"), "nonsense");
        assert_eq!(redact_text("u:hunter2@h:1"), "***@h:1");
        assert_eq!(redact_text("redis://:a@b@h"), "redis://:***@h");
    }
}
