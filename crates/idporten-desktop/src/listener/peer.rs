//! Who is on the other end of a loopback connection: on Linux the kernel's socket table names the user owning the
//! client's socket, so the listener can serve a page only to the user who runs it.
//!
//! Why: the one-time logout page holds the ID token (`id_token_hint`), and its URL is on the browser's command line,
//! which every local user can read (`ps`, `/proc/PID/cmdline`). A random path keeps web pages out, not other users
//! on the same machine; the owner of the connecting socket does.

use std::net::SocketAddr;

/// Whether the client socket of the connection `peer` → `local` belongs to this process's user. `Err` when it cannot
/// be told (no socket table); callers then refuse.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn same_user(local: SocketAddr, peer: SocketAddr) -> Result<bool, String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = match std::fs::read_to_string(table) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read {table}: {e}")),
        };
        if let Some(uid) = owner(&text, local, peer) {
            return Ok(uid == me);
        }
    }
    Err(format!(
        "the connection from {peer} is not in the kernel's socket table"
    ))
}

/// Elsewhere there is no portable socket table; the page's one-time random path is the protection.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn same_user(_local: SocketAddr, _peer: SocketAddr) -> Result<bool, String> {
    Ok(true)
}

/// The uid owning the socket whose local address is `peer` and whose remote address is `local`, from the text of
/// `/proc/net/tcp` or `/proc/net/tcp6`.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
fn owner(table: &str, local: SocketAddr, peer: SocketAddr) -> Option<u32> {
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (from, to, uid) = (cols.get(1)?, cols.get(2)?, cols.get(7)?);
        (parse_addr(from)? == peer && parse_addr(to)? == local).then(|| uid.parse().ok())?
    })
}

/// `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6): each 32-bit word as the kernel prints it, in the
/// machine's byte order.
fn parse_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    for i in (0..ip.len()).step_by(8) {
        let word = u32::from_str_radix(ip.get(i..i + 8)?, 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    let ip: std::net::IpAddr = match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok()?.into(),
        16 => <[u8; 16]>::try_from(bytes).ok()?.into(),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_side_of_a_connection_names_its_owner() {
        let word = |b: [u8; 4]| format!("{:08X}", u32::from_ne_bytes(b));
        let v4 = word([127, 0, 0, 1]);
        let table = format!(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
             0: {v4}:1F90 {v4}:C350 01 00000000:00000000 00:00000000 00000000     0        0 1\n\
             1: {v4}:C350 {v4}:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2\n"
        );
        let server: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let client: SocketAddr = "127.0.0.1:50000".parse().unwrap();
        assert_eq!(owner(&table, server, client), Some(1000));
        assert_eq!(owner(&table, client, server), Some(0));
        let v6 = [0u8; 12]
            .iter()
            .chain(&[0, 0, 0, 1])
            .copied()
            .collect::<Vec<u8>>()
            .chunks(4)
            .map(|c| word([c[0], c[1], c[2], c[3]]))
            .collect::<String>();
        assert_eq!(
            parse_addr(&format!("{v6}:1F90")),
            Some("[::1]:8080".parse().unwrap())
        );
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn a_real_loopback_connection_is_ours() {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let (_accepted, peer) = server.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(same_user(server.local_addr().unwrap(), peer), Ok(true));
    }
}
