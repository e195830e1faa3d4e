//! The token request of a refresh, for [`crate::Sessions::refresh_once`]: spends the refresh token, checks a new ID
//! token against the login's (OpenID Connect Core 12.2), and says whether a failure may have spent the token.

use crate::refresh::ProviderFailure;
use crate::session::Tokens;
use crate::types::{AccessToken, IdToken, RefreshToken};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idporten::id_token::{token_kid, validate_refreshed_id_token, Expectations};
use idporten::token_request::{refresh_grant_form, request_tokens};
use idporten::{Client, Error, IdTokenClaims, DEFAULT_ACCESS_LIFETIME_SECS};
use time::OffsetDateTime;

/// Spends `tokens`' refresh token at the token endpoint and returns the new tokens.
pub(super) async fn redeem(
    client: &Client,
    tokens: Tokens,
) -> Result<Tokens, ProviderFailure<Error>> {
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        return Err(ProviderFailure::NotSpent(Error::SessionEnded));
    };
    // The keys first: a JWKS that cannot be fetched fails while nothing is spent.
    client
        .jwks()
        .ensure_loaded()
        .await
        .map_err(ProviderFailure::NotSpent)?;
    let now = client.now();
    let form = refresh_grant_form(&idporten::RefreshToken::new(refresh_token.secret()));
    let response = request_tokens(
        &client.seams().http,
        client.config(),
        client.metadata(),
        form,
        now,
    )
    .await
    .map_err(classify)?;
    // From here on the old refresh token is spent: any failure drops the new one too (MaybeSpent).
    let id_token = match response.id_token {
        None => tokens.id_token.clone(),
        Some(raw) => {
            let original = tokens
                .id_token
                .as_ref()
                .and_then(|t| claims_of(t.secret()))
                .ok_or(ProviderFailure::MaybeSpent(Error::SessionEnded))?;
            let kid = token_kid(raw.secret()).map_err(ProviderFailure::MaybeSpent)?;
            let keys = client
                .jwks()
                .keys_for(kid.as_deref())
                .await
                .map_err(ProviderFailure::MaybeSpent)?;
            let acr = original
                .acr
                .as_deref()
                .and_then(|a| idporten::AcrLevel::parse(a).ok())
                .unwrap_or(client.config().acr);
            let expect = Expectations {
                issuer: client.config().issuer.clone(),
                client_id: client.config().client_id.clone(),
                nonce: None,
                acr,
                skew_secs: client.config().max_clock_skew_secs,
            };
            validate_refreshed_id_token(raw.secret(), &keys, &expect, &original, now)
                .map_err(ProviderFailure::MaybeSpent)?;
            Some(IdToken::new(raw.secret()))
        }
    };
    let lifetime = response
        .expires_in
        .unwrap_or(DEFAULT_ACCESS_LIFETIME_SECS)
        .max(0);
    Ok(Tokens {
        access_token: AccessToken::new(response.access_token.secret()),
        access_expires_at: OffsetDateTime::from_unix_timestamp(now.saturating_add(lifetime))
            .unwrap_or_else(|_| OffsetDateTime::now_utc()),
        // One-time tokens rotate; a reusable one comes back (or is left out: then the old one stays).
        refresh_token: response
            .refresh_token
            .map(|t| RefreshToken::new(t.secret()))
            .or(tokens.refresh_token),
        id_token,
        scope: response.scope.unwrap_or(tokens.scope),
    })
}

/// Whether a failed token request may have spent the refresh token. Only answers that mean "not processed"
/// (client authentication refused, the provider overloaded or unreachable behind a gateway) keep it; anything else
/// (`invalid_grant`, an answer lost on the way, an unreadable answer) counts as spent: never present it again.
fn classify(e: Error) -> ProviderFailure<Error> {
    match &e {
        Error::TokenEndpoint { error, .. }
            if error == "invalid_client" || error == "unauthorized_client" =>
        {
            ProviderFailure::NotSpent(e)
        }
        Error::ProviderStatus {
            status: 429 | 502 | 503 | 504,
            ..
        } => ProviderFailure::NotSpent(e),
        Error::ClientAssertion { .. } | Error::InvalidConfig { .. } => ProviderFailure::NotSpent(e),
        _ => ProviderFailure::MaybeSpent(e),
    }
}

/// The claims of an ID token this server validated at login (kept sealed in the session), read back.
fn claims_of(raw: &str) -> Option<IdTokenClaims> {
    let payload = raw.split('.').nth(1)?;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    // A single audience or method may be a plain string in the token; the validated claims hold lists.
    for name in ["aud", "amr"] {
        if let Some(one @ serde_json::Value::String(_)) = claims.get_mut(name) {
            *one = serde_json::Value::Array(vec![one.take()]);
        }
    }
    serde_json::from_value(claims).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_the_claims_of_a_token_with_a_single_audience() {
        let payload = URL_SAFE_NO_PAD.encode(
            br#"{"iss":"i","sub":"s","aud":"client","amr":"TestID","iat":1,"exp":2,"pid":"01017012345"}"#,
        );
        let claims = claims_of(&format!("e30.{payload}.sig")).unwrap();
        assert_eq!(claims.aud, ["client"]);
        assert_eq!(claims.amr, ["TestID"]);
    }

    #[test]
    fn only_unprocessed_requests_keep_the_refresh_token() {
        let grant = Error::TokenEndpoint {
            error: "invalid_grant".into(),
            description: None,
        };
        assert!(matches!(classify(grant), ProviderFailure::MaybeSpent(_)));
        let busy = Error::ProviderStatus {
            url: "u".into(),
            status: 503,
            body: String::new(),
        };
        assert!(matches!(classify(busy), ProviderFailure::NotSpent(_)));
        let broken = Error::ProviderStatus {
            url: "u".into(),
            status: 500,
            body: String::new(),
        };
        assert!(matches!(classify(broken), ProviderFailure::MaybeSpent(_)));
        let lost = Error::ProviderUnreachable {
            url: "u".into(),
            reason: "reset".into(),
        };
        assert!(matches!(classify(lost), ProviderFailure::MaybeSpent(_)));
    }
}
