//! Each accepted connection, wrapped so that the HTTP/1 parser's own answers
//! leave in the error envelope like every other error.
//!
//! actix-http answers a request head it cannot take before any of our code
//! runs: 431 (more than 96 headers, or a head over 128 KiB), 400 (a
//! malformed request line or header, no `Host`) and 408 (the head did not
//! arrive in time), each with an empty body, then closes the connection, and
//! it offers no hook to change that answer. So the write side recognises it:
//! a response head with one of those statuses and no header but
//! `content-length: 0`, `connection` and `date`, at the end of what the
//! dispatcher writes (it is the last thing written on the connection). Every
//! answer of the application carries `x-request-id` and a body, so none
//! looks like that; the bare head is replaced by the same status with the
//! envelope and `connection: close`.

use crate::error::AppError;
use actix_web::http::StatusCode;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The parser's own answers and the message each gets.
const BARE: [(u16, &str); 3] = [
    (400, "the request is not valid HTTP: a malformed request line or header, or no Host header"),
    (408, "the request head did not arrive within 5 seconds"),
    (431, "the request head is too large: at most 96 headers and 128 KiB"),
];

/// A bare parser answer is shorter than this (status line, three headers).
const MAX_BARE_HEAD: usize = 256;

/// A connection whose bare parser answers are written enveloped.
pub(crate) struct EnvelopedIo<T> {
    inner: T,
    replacing: Option<Replacement>,
}

/// The enveloped answer being written in place of a bare one.
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    /// Length of the bare answer, reported as written once this is.
    replaces: usize,
}

impl<T> EnvelopedIo<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self { inner, replacing: None }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for EnvelopedIo<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for EnvelopedIo<T> {
    /// Bytes before a bare answer go out as they are; the bare answer is
    /// accepted only once its replacement is written (a write that has to
    /// wait is retried with the same bytes, and the replacement goes on).
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_none() {
            match bare_answer_at_end(buf) {
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
                Some((0, message)) => this.replacing = Some(Replacement::of(buf, message)),
                Some((start, _)) => return Pin::new(&mut this.inner).poll_write(cx, &buf[..start]),
            }
        }
        let replaced = ready!(this.poll_replacement(cx))?;
        Poll::Ready(Ok(replaced.min(buf.len())))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<T: AsyncWrite + Unpin> EnvelopedIo<T> {
    /// Writes the rest of the replacement; then the bare answer's length.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some(replacement) = self.replacing.as_mut() else { return Poll::Ready(Ok(0)) };
        while replacement.written < replacement.bytes.len() {
            let rest = &replacement.bytes[replacement.written..];
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            replacement.written += n;
        }
        let replaces = replacement.replaces;
        self.replacing = None;
        Poll::Ready(Ok(replaces))
    }
}

impl Replacement {
    /// The same status line and date, with the envelope as the body.
    fn of(bare: &[u8], message: &str) -> Self {
        let head = String::from_utf8_lossy(bare);
        let mut lines = head.split("\r\n").filter(|line| !line.is_empty());
        let status_line = lines.next().unwrap_or_default();
        let date = lines.find(|line| line.to_ascii_lowercase().starts_with("date:"));
        let status = status_line.get(9..12).and_then(|code| code.parse().ok());
        let status = status.and_then(|code| StatusCode::from_u16(code).ok()).unwrap_or(StatusCode::BAD_REQUEST);
        let envelope = AppError::invalid(message).with_status(status).body();
        let body = serde_json::to_string(&envelope).unwrap_or_default();
        let mut text = format!(
            "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        if let Some(date) = date {
            text.push_str(date);
            text.push_str("\r\n");
        }
        text.push_str("\r\n");
        text.push_str(&body);
        Self { bytes: text.into_bytes(), written: 0, replaces: bare.len() }
    }
}

/// Where a bare parser answer starts when `buf` ends with one, and the
/// message of its status.
fn bare_answer_at_end(buf: &[u8]) -> Option<(usize, &'static str)> {
    if !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let from = buf.len().saturating_sub(MAX_BARE_HEAD);
    let start = from + buf[from..].windows(7).rposition(|w| w == b"HTTP/1.")?;
    let head = std::str::from_utf8(&buf[start..]).ok()?.strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    if !(status_line.starts_with("HTTP/1.1 ") || status_line.starts_with("HTTP/1.0 ")) {
        return None;
    }
    let status: u16 = status_line.get(9..12)?.parse().ok()?;
    let message = BARE.iter().find(|(code, _)| *code == status)?.1;
    let (mut empty, mut dated) = (false, false);
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match (name.to_ascii_lowercase().as_str(), value.trim()) {
            ("content-length", "0") => empty = true,
            ("date", _) => dated = true,
            ("connection", _) => {}
            _ => return None,
        }
    }
    (empty && dated).then_some((start, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARE_431: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\ndate: Wed, 02 Dec 2026 11:05:00 GMT\r\n\r\n";

    #[test]
    fn only_the_parsers_bare_answers_are_recognised() {
        assert_eq!(bare_answer_at_end(BARE_431).map(|(at, _)| at), Some(0));
        let after = [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".as_slice(), BARE_431].concat();
        assert_eq!(bare_answer_at_end(&after).map(|(at, _)| at), Some(after.len() - BARE_431.len()));
        let bare_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 11:05:00 GMT\r\n\r\n";
        assert!(bare_answer_at_end(bare_400).is_some());
        for ours in [
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-request-id: 1\r\ndate: x\r\n\r\n".as_slice(),
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 11:05:00 GMT\r\n\r\n",
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 5\r\ndate: x\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"",
        ] {
            assert!(bare_answer_at_end(ours).is_none(), "{}", String::from_utf8_lossy(ours));
        }
    }

    #[test]
    fn the_replacement_keeps_status_and_date_and_carries_the_envelope() {
        let replacement = Replacement::of(BARE_431, BARE[2].1);
        let text = String::from_utf8(replacement.bytes).expect("text");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{head}");
        assert!(head.contains("content-type: application/json") && head.contains("connection: close"), "{head}");
        assert!(head.contains("date: Wed, 02 Dec 2026 11:05:00 GMT"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let json: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(json["error"]["code"], "invalid_request");
        assert_eq!(replacement.replaces, BARE_431.len());
    }
}
