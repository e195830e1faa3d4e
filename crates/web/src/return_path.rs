//! The `redirect` parameter of `/oauth2/login`: where to send the user after login. Only a path on this site is
//! accepted, never another site (no open redirect), whatever tricks the value tries.

use std::fmt;
use url::{Position, Url};

/// A path (with query and fragment) on this site, safe to put in a `Location` header.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReturnPath(String);

/// Why a `redirect` value is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("redirect: {0}; only a path on this site (starting with a single '/') is accepted")]
pub struct ReturnPathError(&'static str);

impl ReturnPath {
    /// The site's root, `/`.
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    /// Accepts `value` only if it is a path on this site: it starts with one `/` (not `//`, which browsers read
    /// as another host), holds no backslash (browsers read `/\` as `//`) and no control character (browsers drop
    /// tabs and newlines, so `/\t/evil` would become `//evil`), and resolved against this site stays on it.
    pub fn parse(value: &str) -> Result<Self, ReturnPathError> {
        if value.len() > 2048 {
            return Err(ReturnPathError("too long"));
        }
        if !value.starts_with('/') {
            return Err(ReturnPathError("not a path"));
        }
        if value.starts_with("//") {
            return Err(ReturnPathError(
                "starts with '//', which names another site",
            ));
        }
        if value.contains('\\') {
            return Err(ReturnPathError("contains a backslash"));
        }
        if value.chars().any(char::is_control) {
            return Err(ReturnPathError("contains a control character"));
        }
        const BASE: &str = "https://bff.invalid/";
        let base = Url::parse(BASE).map_err(|_| ReturnPathError("unparseable"))?;
        let resolved = base
            .join(value)
            .map_err(|_| ReturnPathError("not a valid URL path"))?;
        if resolved.origin() != base.origin() {
            return Err(ReturnPathError("resolves to another site"));
        }
        Ok(Self(resolved[Position::BeforePath..].to_owned()))
    }

    /// The path, for a `Location` header.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ReturnPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReturnPath({:?})", self.0)
    }
}

impl TryFrom<String> for ReturnPath {
    type Error = ReturnPathError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ReturnPath> for String {
    fn from(path: ReturnPath) -> Self {
        path.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_paths_on_this_site() {
        for (given, kept) in [
            ("/", "/"),
            ("/mva?org=999999999#top", "/mva?org=999999999#top"),
            ("/a/../b", "/b"),
            ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
            ("/søk?q=æ", "/s%C3%B8k?q=%C3%A6"),
        ] {
            assert_eq!(ReturnPath::parse(given).unwrap().as_str(), kept, "{given}");
        }
    }

    #[test]
    fn refuses_every_way_out() {
        for hostile in [
            "",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "evil.example",
            " /x",
            "@evil.example",
            "/x\r\nSet-Cookie: a=b",
        ] {
            assert!(ReturnPath::parse(hostile).is_err(), "{hostile:?} accepted");
        }
        assert!(ReturnPath::parse(&format!("/{}", "a".repeat(3000))).is_err());
    }
}
