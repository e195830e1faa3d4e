//! Where the three services live: validation API, Altinn token exchange, the submission app.

use url::Url;

/// The addresses of the validation API, the Altinn token exchange and the submission app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `POST` a return here to validate it.
    pub validation: Url,
    /// `GET` here with an ID-porten token to get an Altinn token.
    pub exchange: Url,
    /// The submission app; instances live under `{app}/instances/`.
    pub app: Url,
}

fn url(s: &str) -> Url {
    // The constants below are tested to parse.
    Url::parse(s).unwrap_or_else(|e| panic!("built-in endpoint {s} does not parse: {e}"))
}

impl Endpoints {
    /// The test environment (tt02).
    pub fn test() -> Self {
        Self {
            validation: url("https://idporten-api-sbstest.sits.no/api/mva/grensesnittstoette/mva-melding/valider"),
            exchange: url("https://platform.tt02.altinn.no/authentication/api/v1/exchange/id-porten"),
            app: url("https://skd.apps.tt02.altinn.no/skd/mva-melding-innsending-etm2"),
        }
    }

    /// Production.
    pub fn prod() -> Self {
        Self {
            validation: url("https://idporten.api.skatteetaten.no/api/mva/grensesnittstoette/mva-melding/valider"),
            exchange: url("https://platform.altinn.no/authentication/api/v1/exchange/id-porten"),
            app: url("https://skd.apps.altinn.no/skd/mva-melding-innsending-v1"),
        }
    }

    /// The simulator, which serves the same paths on one host, e.g. `http://127.0.0.1:8990/`.
    ///
    /// ```
    /// let e = mva::Endpoints::sim(&"http://127.0.0.1:8990".parse().unwrap());
    /// assert_eq!(e.app.as_str(), "http://127.0.0.1:8990/skd/mva-melding-innsending-etm2");
    /// ```
    pub fn sim(base: &Url) -> Self {
        let join = |p: &str| {
            let mut u = base.clone();
            u.set_path(p);
            u.set_query(None);
            u
        };
        Self {
            validation: join("/api/mva/grensesnittstoette/mva-melding/valider"),
            exchange: join("/authentication/api/v1/exchange/id-porten"),
            app: join("/skd/mva-melding-innsending-etm2"),
        }
    }

    /// `{app}/instances/{party}/{guid}`.
    pub(crate) fn instance_url(&self, id: &crate::InstanceId) -> String {
        format!(
            "{}/instances/{}",
            self.app.as_str().trim_end_matches('/'),
            id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn built_in_endpoints_parse() {
        assert_eq!(
            Endpoints::test().app.host_str(),
            Some("skd.apps.tt02.altinn.no")
        );
        assert_eq!(Endpoints::prod().exchange.scheme(), "https");
    }
}
