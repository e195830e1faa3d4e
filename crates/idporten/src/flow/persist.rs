//! A [`TokenSet`] in a [`TokenStore`]: one secret JSON text per store key, every write under the session's lock.

use crate::{Error, StoreKey, StoredSecret, TokenSet, TokenStore};

/// Saves the session under `key` (after a login), under the store's lock for the key, so that it never crosses a
/// refresh or a logout of another process. Do not call it while holding that lock: it waits for it (up to the
/// store's timeout).
pub async fn save_tokens(
    store: &dyn TokenStore,
    key: &StoreKey,
    tokens: &TokenSet,
) -> Result<(), Error> {
    let _lock = store.lock(key).await?;
    write_tokens(store, key, tokens).await
}

/// Writes the session; the caller holds the lock.
pub(crate) async fn write_tokens(
    store: &dyn TokenStore,
    key: &StoreKey,
    tokens: &TokenSet,
) -> Result<(), Error> {
    store.save(key, &StoredSecret::new(tokens.to_json())).await
}

/// Compare-and-set, the caller holding the lock: when `expected` accepts what is stored now (`None`: nothing, or
/// unreadable tokens), writes `new` (deletes, with `None`) and answers `true`; else changes nothing and answers
/// `false`.
pub async fn write_if(
    store: &dyn TokenStore,
    key: &StoreKey,
    expected: impl FnOnce(Option<&TokenSet>) -> bool,
    new: Option<&TokenSet>,
) -> Result<bool, Error> {
    let current = match load_tokens(store, key).await {
        Ok(tokens) => tokens,
        Err(Error::StoredTokensCorrupt { .. }) => None,
        Err(e) => return Err(e),
    };
    if !expected(current.as_ref()) {
        return Ok(false);
    }
    match new {
        Some(tokens) => write_tokens(store, key, tokens).await?,
        None => store.delete(key).await?,
    }
    Ok(true)
}

/// Loads the session under `key`; `None` when nothing is stored. Tokens stored for another issuer or client than
/// the key names are refused as corrupt.
pub async fn load_tokens(
    store: &dyn TokenStore,
    key: &StoreKey,
) -> Result<Option<TokenSet>, Error> {
    let Some(secret) = store.load(key).await? else {
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
