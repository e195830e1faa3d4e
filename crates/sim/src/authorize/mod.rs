//! `/authorize`: the checked request, the TestID login page, single sign-on, headless login, PAR resolution.

mod complete;
mod handler;
pub mod page;
mod request;
mod respond;
pub mod texts;

pub use complete::grant_lifetime;
pub use handler::{authorize, login_form};
pub use request::{check_request, single_values, AuthError, AuthRequest};
pub use respond::{html, redirect_with, SSO_COOKIE};

/// Lifetime of an authorization code, seconds.
pub const CODE_LIFETIME: i64 = 30;
/// Lifetime of a login page (pending login), seconds.
pub const LOGIN_PAGE_LIFETIME: i64 = 30 * 60;
