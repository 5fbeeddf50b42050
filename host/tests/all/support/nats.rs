//! Just enough of NATS's client protocol (its text protocol over TCP) to speak to `wash host` as
//! wasmCloud's control plane does: subscribe, publish with a reply subject, read what comes.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

pub struct Nats {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// A message delivered to one of the subscriptions.
pub struct Message {
    pub subject: String,
    pub payload: Vec<u8>,
}

impl Nats {
    /// Connects to the server on 127.0.0.1:`port` and waits until it has taken the connection.
    pub fn connect(port: u16) -> Self {
        let writer = TcpStream::connect(("127.0.0.1", port)).expect("connecting to NATS");
        writer
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("a read timeout");
        let reader = BufReader::new(writer.try_clone().expect("the connection"));
        let mut nats = Self { reader, writer };
        let info = nats.line();
        assert!(info.starts_with("INFO "), "not a NATS server: {info}");
        nats.send(b"CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
        loop {
            match nats.line().as_str() {
                "PONG" => break,
                other => assert!(!other.starts_with("-ERR"), "NATS refused: {other}"),
            }
        }
        nats
    }

    pub fn subscribe(&mut self, subject: &str, sid: u32) {
        self.send(format!("SUB {subject} {sid}\r\n").as_bytes());
    }

    pub fn publish(&mut self, subject: &str, reply_to: &str, payload: &[u8]) {
        let head = format!("PUB {subject} {reply_to} {}\r\n", payload.len());
        self.send(&[head.as_bytes(), payload, b"\r\n"].concat());
    }

    /// The next message on any subscription, answering the server's pings meanwhile; a minute
    /// without one fails the test.
    pub fn next_message(&mut self) -> Message {
        loop {
            let line = self.line();
            let words: Vec<&str> = line.split(' ').collect();
            let (subject, header_bytes, total_bytes) = match words.as_slice() {
                ["PING"] => {
                    self.send(b"PONG\r\n");
                    continue;
                }
                // MSG <subject> <sid> [reply-to] <bytes>
                ["MSG", subject, .., bytes] => (subject.to_string(), 0, number(bytes)),
                // HMSG <subject> <sid> [reply-to] <header bytes> <total bytes>
                ["HMSG", subject, .., headers, total] => {
                    (subject.to_string(), number(headers), number(total))
                }
                _ => {
                    assert!(!line.starts_with("-ERR"), "NATS refused: {line}");
                    continue;
                }
            };
            let mut body = vec![0; total_bytes + 2];
            self.reader
                .read_exact(&mut body)
                .expect("reading a NATS message");
            body.truncate(total_bytes);
            return Message {
                subject,
                payload: body.split_off(header_bytes),
            };
        }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        let read = self
            .reader
            .read_line(&mut line)
            .expect("reading from NATS (a minute without a message?)");
        assert!(read > 0, "NATS closed the connection");
        line.trim_end().to_owned()
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("writing to NATS");
    }
}

fn number(text: &str) -> usize {
    text.parse()
        .unwrap_or_else(|_| panic!("not a NATS length: {text}"))
}
