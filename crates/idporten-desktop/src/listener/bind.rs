//! Binding the redirect URI's host and port: `localhost` means both 127.0.0.1 and `[::1]`, since a browser may try
//! either first, and a stranger on the other one would receive the authorization code.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tokio::net::TcpListener;

use crate::{Error, RedirectUri};

/// How often a free port is looked for when the redirect URI has port 0 and `[::1]` has the port that 127.0.0.1 got
/// taken already.
const PORT_ZERO_ATTEMPTS: usize = 10;

/// The sockets of one redirect URI, all on the same port.
pub(crate) struct Bound {
    pub listeners: Vec<TcpListener>,
    pub port: u16,
}

/// The addresses to bind for a loopback redirect URI: the first is required, the second (IPv6 for `localhost`) is
/// used when the machine has IPv6.
fn addresses(uri: &RedirectUri) -> Result<(IpAddr, Option<IpAddr>), Error> {
    let refuse = |reason: &str| Error::InvalidRedirectUri {
        uri: uri.to_string(),
        reason: reason.to_string(),
    };
    if !uri.is_loopback() {
        return Err(refuse(
            "a loopback listener serves only http://localhost, http://127.0.0.1 or http://[::1] redirect URIs",
        ));
    }
    match uri.url().host() {
        Some(url::Host::Domain(_)) => {
            Ok((Ipv4Addr::LOCALHOST.into(), Some(Ipv6Addr::LOCALHOST.into())))
        }
        Some(url::Host::Ipv4(ip)) => Ok((ip.into(), None)),
        Some(url::Host::Ipv6(ip)) => Ok((ip.into(), None)),
        None => Err(refuse("it has no host")),
    }
}

/// Binds the redirect URI's host(s) on its port (port 0: a free port, the same on both addresses).
pub(crate) async fn bind(uri: &RedirectUri) -> Result<Bound, Error> {
    let (first, second) = addresses(uri)?;
    let port = uri.url().port_or_known_default().unwrap_or(80);
    let attempts = if port == 0 { PORT_ZERO_ATTEMPTS } else { 1 };
    let in_use = |port: u16| Error::PortInUse {
        port,
        redirect_uri: uri.to_string(),
    };
    let other = |addr: SocketAddr, e: std::io::Error| Error::ListenerBind {
        addr: addr.to_string(),
        redirect_uri: uri.to_string(),
        reason: e.to_string(),
    };
    for _ in 0..attempts {
        let addr = SocketAddr::new(first, port);
        let main = match TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) if e.kind() == ErrorKind::AddrInUse => return Err(in_use(port)),
            Err(e) => return Err(other(addr, e)),
        };
        let real_port = main.local_addr().map_err(|e| other(addr, e))?.port();
        let mut listeners = vec![main];
        if let Some(ip) = second {
            let addr = SocketAddr::new(ip, real_port);
            match TcpListener::bind(addr).await {
                Ok(l) => listeners.push(l),
                Err(e) if e.kind() == ErrorKind::AddrInUse && port == 0 => continue,
                Err(e) if e.kind() == ErrorKind::AddrInUse => return Err(in_use(port)),
                Err(e) => {
                    tracing::debug!(%addr, error = %e, "no IPv6 loopback on this machine; listening on 127.0.0.1 only")
                }
            }
        }
        return Ok(Bound {
            listeners,
            port: real_port,
        });
    }
    Err(Error::ListenerBind {
        addr: format!(
            "{first} and {}",
            second.map(|s| s.to_string()).unwrap_or_default()
        ),
        redirect_uri: uri.to_string(),
        reason: format!("no port was free on both addresses after {PORT_ZERO_ATTEMPTS} attempts"),
    })
}
