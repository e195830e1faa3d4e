//! Tests of the `web` crate against a real `redis-server` started by each test on a free port.

mod web {
    pub mod balancer;
    pub mod bff;
    pub mod bff_faults;
    pub mod bff_login;
    pub mod bff_support;
    pub mod cookies;
    pub mod faults;
    pub mod page_api;
    pub mod page_browser;
    pub mod page_support;
    pub mod refresh;
    pub mod routes;
    pub mod store;
    pub mod support;
}
