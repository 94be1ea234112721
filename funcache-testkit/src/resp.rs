//! Just enough of the Redis protocol (RESP2) to ask a server one command
//! and read a one-line or bulk reply, without a client crate.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `args` as one command to `127.0.0.1:port` (after `AUTH password`
/// when given) and returns the reply's text: a simple string without its
/// `+`, a bulk string's bytes (lossy UTF-8), an integer as digits. An
/// error reply (`-ERR ...`) is an `io::Error` of kind `Other`; arrays are
/// not supported (kind `Unsupported`).
pub(crate) fn query(port: u16, password: Option<&str>, args: &[&str]) -> io::Result<String> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    if let Some(password) = password {
        send(&mut writer, &["AUTH", password])?;
        read_reply(&mut reader)?;
    }
    send(&mut writer, args)?;
    read_reply(&mut reader)
}

fn send(writer: &mut TcpStream, args: &[&str]) -> io::Result<()> {
    let mut frame = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        frame.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        frame.extend_from_slice(arg.as_bytes());
        frame.extend_from_slice(b"\r\n");
    }
    writer.write_all(&frame)
}

fn read_reply(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']);
    let (kind, rest) = line.split_at(line.len().min(1));
    match kind {
        "+" | ":" => Ok(rest.to_owned()),
        "-" => Err(io::Error::other(rest.to_owned())),
        "$" => {
            let Ok(len) = rest.parse::<usize>() else {
                // `$-1`: no such value.
                return Ok(String::new());
            };
            let mut body = vec![0; len + 2];
            reader.read_exact(&mut body)?;
            body.truncate(len);
            Ok(String::from_utf8_lossy(&body).into_owned())
        }
        "" => Err(io::ErrorKind::UnexpectedEof.into()),
        _ => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("reply kind {kind:?} is not supported"),
        )),
    }
}
