//! A [`TokenSet`] in a [`TokenStore`]: one secret JSON text per store key.

use crate::{Error, StoreKey, StoredSecret, TokenSet, TokenStore};

/// Saves the session under `key`.
pub fn save_tokens(store: &dyn TokenStore, key: &StoreKey, tokens: &TokenSet) -> Result<(), Error> {
    store.save(key, &StoredSecret::new(tokens.to_json()))
}

/// Loads the session under `key`; `None` when nothing is stored. Tokens stored for another issuer or client than
/// the key names are refused as corrupt.
pub fn load_tokens(store: &dyn TokenStore, key: &StoreKey) -> Result<Option<TokenSet>, Error> {
    let Some(secret) = store.load(key)? else {
        return Ok(None);
    };
    let tokens = TokenSet::from_json(secret.secret())?;
    if tokens.issuer != key.issuer || tokens.client_id != key.client_id {
        return Err(Error::StoredTokensCorrupt {
            reason: format!(
                "they belong to {} / {}, not {} / {}",
                tokens.issuer, tokens.client_id, key.issuer, key.client_id
            ),
        });
    }
    Ok(Some(tokens))
}
