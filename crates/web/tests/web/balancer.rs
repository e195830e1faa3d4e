//! A TCP load balancer in front of two instances of the server, as vendors run them: each new connection goes to
//! the current instance; a `POST /switch` on its control port sends the traffic to the other instance and cuts the
//! open connections, so the browser's next request reconnects, to the other instance (a deploy, a failover).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Balancer {
    /// The address users open (the public URL of both instances).
    pub public: String,
    /// `POST {control}/switch` moves the traffic to the other instance.
    pub control: String,
    connections: Arc<[AtomicU64; 2]>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Balancer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Balancer {
    /// Binds the public port; the instances are added with [`Balancer::start`] once they know the public URL.
    pub async fn bind() -> (TcpListener, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let public = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        (listener, public)
    }

    /// Forwards the connections of `listener` to `targets[0]` until switched.
    pub async fn start(listener: TcpListener, targets: [SocketAddr; 2]) -> Self {
        let public = format!("http://{}", listener.local_addr().unwrap());
        let current = Arc::new(AtomicUsize::new(0));
        let connections: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let (cut, _) = watch::channel(0u64);
        let cut = Arc::new(cut);
        let accept = {
            let (current, connections, cut) = (current.clone(), connections.clone(), cut.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else {
                        continue;
                    };
                    let target = current.load(Ordering::SeqCst);
                    connections[target].fetch_add(1, Ordering::SeqCst);
                    let mut cut = cut.subscribe();
                    let addr = targets[target];
                    tokio::spawn(async move {
                        let Ok(mut outbound) = TcpStream::connect(addr).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cut.changed() => {}
                        }
                    });
                }
            })
        };
        let control_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let control = format!("http://{}", control_listener.local_addr().unwrap());
        let switch = axum::Router::new().route(
            "/switch",
            axum::routing::post(move || {
                let (current, cut) = (current.clone(), cut.clone());
                async move {
                    current.fetch_xor(1, Ordering::SeqCst);
                    cut.send_modify(|generation| *generation += 1);
                    "switched\n"
                }
            }),
        );
        let control_task = tokio::spawn(async move {
            axum::serve(control_listener, switch).await.unwrap();
        });
        Self {
            public,
            control,
            connections,
            tasks: vec![accept, control_task],
        }
    }

    /// How many connections each instance was given.
    pub fn connections(&self) -> [u64; 2] {
        [
            self.connections[0].load(Ordering::SeqCst),
            self.connections[1].load(Ordering::SeqCst),
        ]
    }
}
