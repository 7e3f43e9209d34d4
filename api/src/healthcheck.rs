//! `retiree-service healthcheck` (issue 22): GET /readyz of the service this container runs, for Docker's
//! `HEALTHCHECK`/compose `healthcheck` (the image has no curl). Exit status 0 when it answers 200, else 1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Where to probe: `BIND_ADDR` as the server binds it, with an unspecified host (`0.0.0.0`, `[::]`) replaced
/// by the loopback address of its family.
pub fn target(bind_addr: &str) -> Result<SocketAddr, String> {
    let mut addr = bind_addr
        .to_socket_addrs()
        .map_err(|e| format!("BIND_ADDR {bind_addr:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("BIND_ADDR {bind_addr:?}: no address"))?;
    if addr.ip().is_unspecified() {
        let loopback: std::net::IpAddr =
            if addr.is_ipv4() { std::net::Ipv4Addr::LOCALHOST.into() } else { std::net::Ipv6Addr::LOCALHOST.into() };
        addr.set_ip(loopback);
    }
    Ok(addr)
}

/// GETs `/readyz` at `addr`; `Ok` with the status line when the answer is 200, else `Err` saying why.
pub fn probe(addr: SocketAddr, timeout: Duration) -> Result<String, String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let request = format!(
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: retiree-service-healthcheck\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).map_err(|e| format!("{addr}: {e}"))?;
    // The status line is all we need; the body is at most a few hundred bytes.
    let mut answer = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut answer).map_err(|e| format!("{addr}: {e}"))?;
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or_default().to_owned();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status == "200" {
        Ok(status_line)
    } else {
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.trim()).unwrap_or_default();
        Err(format!("{addr}/readyz answered {status_line:?} {body}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_hosts_become_loopback() {
        assert_eq!(target("0.0.0.0:8080").unwrap(), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(target("[::]:9000").unwrap(), "[::1]:9000".parse().unwrap());
        assert_eq!(target("127.0.0.1:81").unwrap(), "127.0.0.1:81".parse().unwrap());
        assert!(target("no-port").is_err());
    }

    #[test]
    fn a_dead_port_fails() {
        // Bind, learn the port, close: nothing listens there now.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let e = probe(port, Duration::from_secs(2)).unwrap_err();
        assert!(e.contains(&port.to_string()), "{e}");
    }
}
