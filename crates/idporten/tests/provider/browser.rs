//! A scripted browser: a `BrowserOpener` that plays the user's browser with reqwest: it follows redirects by hand,
//! and submits the auto-posting form of a logout page (as the page's script would).

use idporten::{BrowserLaunch, BrowserOpener, Error};
use std::sync::{Arc, Mutex};
use url::Url;

#[derive(Clone, Default)]
pub struct ScriptedBrowser {
    /// Every URL opened.
    pub opened: Arc<Mutex<Vec<Url>>>,
    /// Every URL visited (opened, redirected to, posted to).
    pub visited: Arc<Mutex<Vec<String>>>,
    /// The final page's status and body of each opened URL.
    pub finals: Arc<Mutex<Vec<(u16, String)>>>,
}

impl BrowserOpener for ScriptedBrowser {
    fn open(&self, url: &Url) -> Result<BrowserLaunch, Error> {
        self.opened.lock().unwrap().push(url.clone());
        let me = self.clone();
        let url = url.clone();
        tokio::runtime::Handle::current().spawn(async move {
            let result = me.browse(url).await;
            me.finals.lock().unwrap().push(result);
        });
        Ok(BrowserLaunch::Opened)
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The action and hidden fields of the first form of a page.
pub fn parse_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let form_start = html.find("<form")?;
    let form_tag = &html[form_start..form_start + html[form_start..].find('>')?];
    let action = attr(form_tag, "action")?;
    let mut fields = vec![];
    let mut rest = &html[form_start..];
    while let Some(i) = rest.find("<input") {
        let tag = &rest[i..i + rest[i..].find('>')?];
        if let (Some(n), Some(v)) = (attr(tag, "name"), attr(tag, "value")) {
            fields.push((n, v));
        }
        rest = &rest[i + 6..];
    }
    Some((action, fields))
}

impl ScriptedBrowser {
    async fn browse(&self, url: Url) -> (u16, String) {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut request = http.get(url.clone());
        let mut current = url;
        for _ in 0..8 {
            self.visited.lock().unwrap().push(current.to_string());
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => return (0, e.to_string()),
            };
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                let location = response.headers()["location"].to_str().unwrap().to_string();
                current = current.join(&location).unwrap();
                request = http.get(current.clone());
                continue;
            }
            let body = response.text().await.unwrap_or_default();
            if status == 200 && body.contains("<form") && body.contains("method=\"post\"") {
                let (action, fields) = parse_form(&body).unwrap();
                current = current.join(&action).unwrap();
                request = http.post(current.clone()).form(&fields);
                continue;
            }
            return (status, body);
        }
        (0, "too many redirects".into())
    }
}
