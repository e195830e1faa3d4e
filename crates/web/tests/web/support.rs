//! A real Redis per test, and sample sessions.

use redis::aio::MultiplexedConnection;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use web::{
    AccessToken, Acr, IdToken, Identity, Limits, Pid, RedisOptions, RedisStore, RefreshToken,
    SessionData, SessionKeys, Sessions, Sid, Tokens,
};

/// A `redis-server` on a free loopback port, without persistence, in a temporary directory; killed on drop.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts one. Fails (never skips) when `redis-server` is not installed.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let binary = find_redis_server();
        let log = std::fs::File::create(self.dir.path().join("redis.log")).unwrap();
        let child = Command::new(binary)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pong(self.port) {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING on port {} within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    /// SIGSTOP: the process keeps its sockets open and answers nothing.
    pub fn pause(&self) {
        assert_eq!(unsafe { libc::kill(self.pid(), libc::SIGSTOP) }, 0);
    }

    /// SIGCONT.
    pub fn resume(&self) {
        assert_eq!(unsafe { libc::kill(self.pid(), libc::SIGCONT) }, 0);
    }

    /// SIGKILL, then a fresh server on the same port (no persistence: it starts empty).
    pub fn restart(&mut self) {
        self.kill();
        // The port is free again once the process is gone (SO_REUSEADDR on Redis's side).
        self.spawn();
    }

    /// SIGKILL: nothing listens on the port until [`RedisServer::restart`].
    pub fn stop(&mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe { libc::kill(child.id() as i32, libc::SIGCONT) };
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A plain connection, for looking at what Redis holds.
    pub async fn raw(&self) -> MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn find_redis_server() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("redis-server"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!("redis-server is not installed: these tests need a real Redis; install the Debian package redis-server (apt-get install redis-server)")
        })
}

fn pong(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut answer = [0u8; 7];
    let ok = stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n";
    let _ = stream.shutdown(Shutdown::Both);
    ok
}

/// A store on its own connection: one "instance".
pub fn redis_store(server: &RedisServer) -> Arc<RedisStore> {
    Arc::new(RedisStore::connect(&server.url(), RedisOptions::default()).unwrap())
}

/// An instance's sessions over its own Redis connection.
pub fn instance(server: &RedisServer, keys: &SessionKeys, limits: Limits) -> Sessions {
    Sessions::new(redis_store(server), keys.clone(), limits)
}

/// A session's data whose every secret contains `tag`, so a scan can look for it.
pub fn sample(tag: &str, sid: Option<&str>) -> SessionData {
    // Whole seconds, as in the JWT claims these come from.
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    SessionData::new(
        Tokens {
            access_token: AccessToken::new(format!("access-{tag}-Zq7")),
            access_expires_at: now + time::Duration::seconds(120),
            refresh_token: Some(RefreshToken::new(format!("refresh-{tag}-Zq7"))),
            id_token: Some(IdToken::new(format!("idtoken-{tag}-Zq7"))),
            scope: "openid skatteetaten:mvameldinger".into(),
        },
        Identity {
            pid: Pid::new("01017012345"),
            acr: Acr::new("idporten-loa-high"),
            auth_time: now,
            sid: sid.map(Sid::new),
        },
    )
}

/// Session limits for tests.
pub fn limits(absolute_ms: u64, idle_ms: u64) -> Limits {
    Limits::new(
        Duration::from_millis(absolute_ms),
        Duration::from_millis(idle_ms),
    )
    .unwrap()
}
