//! Secrets and how a verifier finds them.
//!
//! A verifier never owns keys: it asks a [`KeyLookup`] for the key id the request names. A key id
//! may have several active secrets (rotation: a request signed with any of them verifies), may be
//! disabled, and may be pinned to one [`Algorithm`]. [`KeySet`] is the in-memory implementation.

use core::fmt;
use core::future::Future;
use core::pin::Pin;

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustc_hash::FxBuildHasher;
use zeroize::Zeroize;

use crate::algorithm::Algorithm;
use crate::error::KeyRejection;
use crate::mac::{Key, Keyed};

/// A secret key. Its bytes never appear in `Debug` output, it has no `Display`, equality is
/// checked in constant time (for equal lengths), and its memory is zeroed when the last clone
/// of it is dropped.
///
/// A secret also keeps, per HMAC algorithm, the MAC state after the key has been absorbed
/// (HMAC's inner and outer key blocks), computed the first time the secret signs or verifies
/// with that algorithm: every later MAC starts from a copy of it and skips two of the hash's
/// block compressions. Those states are as secret as the key; they are never shown and are
/// zeroed with it.
///
/// Cloning a secret is cheap (a reference count) and the clones share the keyed states: a key
/// store that hands out clones (an asynchronous key source, an
/// [`OwnedKeyStatus`]) keeps them warm across requests.
#[derive(Clone)]
pub struct Secret(Arc<SecretBytes>);

/// The key and its keyed states, shared by the clones of a [`Secret`].
struct SecretBytes {
    bytes: Box<[u8]>,
    keyed: Keyed,
}

impl Secret {
    /// A secret from its bytes. The bytes are copied into an exactly sized buffer and the
    /// given `Vec`/`String` buffer is zeroed, so no stray copy of the secret is left behind by a
    /// reallocation.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        let mut bytes = bytes.into();
        let secret = Secret(Arc::new(SecretBytes {
            bytes: Box::from(bytes.as_slice()),
            keyed: Keyed::default(),
        }));
        bytes.zeroize();
        secret
    }

    /// The secret as a MAC key, with its keyed states.
    pub(crate) fn key(&self) -> Key<'_> {
        Key::Kept(&self.0.bytes, &self.0.keyed)
    }

    fn bytes(&self) -> &[u8] {
        &self.0.bytes
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s.as_bytes())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s.into_bytes())
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Secret::new(bytes)
    }
}

impl Drop for SecretBytes {
    /// Zeroes the key; the keyed states zero themselves (the hash crates' `zeroize` feature).
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl PartialEq for Secret {
    /// Constant time in the contents (the lengths may differ in time).
    fn eq(&self, other: &Self) -> bool {
        self.bytes().len() == other.bytes().len()
            && self
                .bytes()
                .iter()
                .zip(other.bytes().iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Deserializes from a string (with the `serde` feature), for configuration files.
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::from)
    }
}

/// What a key store knows about one key id.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum KeyStatus<'a> {
    /// No key has this id.
    Unknown,
    /// The key exists but is disabled.
    Disabled,
    /// The key exists and is enabled, but may not be used here (a gateway: it is in no usage
    /// plan bound to the request's environment).
    NotBound,
    /// The key is usable.
    Active(ActiveKey<'a>),
}

impl<'a> KeyStatus<'a> {
    /// The active key, or why the key id does not authenticate: the one place a key's status
    /// becomes a rejection.
    pub(crate) fn active(self) -> Result<ActiveKey<'a>, KeyRejection> {
        match self {
            KeyStatus::Unknown => Err(KeyRejection::Unknown),
            KeyStatus::Disabled => Err(KeyRejection::Disabled),
            KeyStatus::NotBound => Err(KeyRejection::NotBound),
            KeyStatus::Active(key) => Ok(key),
        }
    }

    /// The secrets of a key that may sign with `algorithm`, or why not: [`active`](Self::active),
    /// then not pinned to another algorithm, then holding a secret.
    pub(crate) fn secrets_for(self, algorithm: Algorithm) -> Result<&'a [Secret], KeyRejection> {
        let key = self.active()?;
        if key.algorithm.is_some_and(|pin| pin != algorithm) {
            return Err(KeyRejection::AlgorithmPinned);
        }
        if key.secrets.is_empty() {
            return Err(KeyRejection::NoSecret);
        }
        Ok(key.secrets)
    }
}

/// What a key store knows about one key id, owned: what an asynchronous store answers (it
/// cannot lend from a lock it releases or a row it fetched). [`status`](Self::status) lends it
/// to phase two as a [`KeyStatus`].
///
/// The secrets are clones of the store's [`Secret`]s (a reference count each), so their keyed
/// HMAC states survive the request.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum OwnedKeyStatus {
    /// No key has this id.
    Unknown,
    /// The key exists but is disabled.
    Disabled,
    /// The key exists and is enabled, but may not be used here.
    NotBound,
    /// The key is usable: its secrets and an optional algorithm pin.
    Active {
        /// Every secret currently valid for the key id.
        secrets: Arc<[Secret]>,
        /// When set, the only algorithm this key may sign with.
        algorithm: Option<Algorithm>,
    },
}

impl OwnedKeyStatus {
    /// An active, unpinned key with `secrets`.
    pub fn active(secrets: impl IntoIterator<Item = Secret>) -> Self {
        OwnedKeyStatus::Active {
            secrets: secrets.into_iter().collect(),
            algorithm: None,
        }
    }

    /// The status, lent to phase two.
    pub fn status(&self) -> KeyStatus<'_> {
        match self {
            OwnedKeyStatus::Unknown => KeyStatus::Unknown,
            OwnedKeyStatus::Disabled => KeyStatus::Disabled,
            OwnedKeyStatus::NotBound => KeyStatus::NotBound,
            OwnedKeyStatus::Active { secrets, algorithm } => KeyStatus::Active(ActiveKey {
                secrets,
                algorithm: *algorithm,
            }),
        }
    }
}

impl OwnedKeyStatus {
    /// Whether the key is usable.
    pub const fn is_active(&self) -> bool {
        matches!(self, OwnedKeyStatus::Active { .. })
    }
}

impl From<KeyStatus<'_>> for OwnedKeyStatus {
    /// The status, owned: the secrets cloned (shared, with their keyed states).
    fn from(status: KeyStatus<'_>) -> Self {
        match status {
            KeyStatus::Unknown => OwnedKeyStatus::Unknown,
            KeyStatus::Disabled => OwnedKeyStatus::Disabled,
            KeyStatus::NotBound => OwnedKeyStatus::NotBound,
            KeyStatus::Active(key) => OwnedKeyStatus::Active {
                secrets: key.secrets.iter().cloned().collect(),
                algorithm: key.algorithm,
            },
        }
    }
}

/// A usable key: its current secrets and an optional algorithm pin.
#[derive(Clone, Copy, Debug)]
pub struct ActiveKey<'a> {
    /// Every secret currently valid for the key id (more than one while rotating).
    pub secrets: &'a [Secret],
    /// When set, the only algorithm this key may sign with.
    pub algorithm: Option<Algorithm>,
}

impl<'a> ActiveKey<'a> {
    /// An active key with these secrets and no algorithm pin.
    pub const fn new(secrets: &'a [Secret]) -> Self {
        ActiveKey {
            secrets,
            algorithm: None,
        }
    }

    /// The same key, pinned to `algorithm`.
    #[must_use]
    pub const fn pinned(self, algorithm: Algorithm) -> Self {
        ActiveKey {
            algorithm: Some(algorithm),
            ..self
        }
    }
}

/// Where a verifier finds the secrets for a key id.
///
/// Hand out `Secret`s that live across requests (as [`KeySet`] does): each keeps its keyed HMAC
/// state after first use, which a `Secret` built afresh for every request would compute (and
/// allocate) every time.
pub trait KeyLookup {
    /// What is known about `key_id`. Called once per verification, after the request's shape
    /// and clock window have been checked.
    fn lookup(&self, key_id: &str) -> KeyStatus<'_>;
}

impl<T: KeyLookup + ?Sized> KeyLookup for &T {
    fn lookup(&self, key_id: &str) -> KeyStatus<'_> {
        (**self).lookup(key_id)
    }
}

/// The future a [`KeySource`] answers with.
pub type KeyFuture<'a> =
    Pin<Box<dyn Future<Output = Result<OwnedKeyStatus, KeySourceUnavailable>> + Send + 'a>>;

/// The key store could not answer: the request is refused with
/// [`Error::KeySourceUnavailable`](crate::Error::KeySourceUnavailable) (503), never treated as
/// an unknown key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("the key store is unavailable")]
pub struct KeySourceUnavailable;

/// Where a verifier finds keys when the answer may take a while: a database, a secrets
/// service, a key set behind a lock. What the tower layer asks.
///
/// Its answers are owned ([`OwnedKeyStatus`]), so they may come from a lock released before
/// the answer is used or from a row fetched for the request. Hand out clones of `Secret`s that
/// live across requests (a cache): a clone shares the original's keyed HMAC states; a secret
/// built afresh per request recomputes them every time.
///
/// Every [`KeyLookup`] is a `KeySource` (answering at once); [`SharedKeys`] is one whose keys
/// can be replaced while it serves. The core needs no runtime: a source may await anything.
pub trait KeySource {
    /// What is known about `key_id`, or that the store could not answer. Called once per
    /// verification, after the request passed every check that needs no key.
    fn fetch<'a>(&'a self, key_id: &'a str) -> KeyFuture<'a>;
}

impl<K: KeyLookup + Sync + ?Sized> KeySource for K {
    fn fetch<'a>(&'a self, key_id: &'a str) -> KeyFuture<'a> {
        let status = OwnedKeyStatus::from(self.lookup(key_id));
        Box::pin(core::future::ready(Ok(status)))
    }
}

/// An `Arc` of a source (to share one) is a source.
impl<S: KeySource + ?Sized> KeySource for Arc<S> {
    fn fetch<'a>(&'a self, key_id: &'a str) -> KeyFuture<'a> {
        (**self).fetch(key_id)
    }
}

/// A key set that can be replaced while requests are verified with it: readers never wait for
/// a reload, and a request sees either the old set or the new one, whole.
///
/// Clones share the set: keep one to [`replace`](Self::replace) it, give another to the tower
/// layer. Built on the `arc-swap` crate: a read is a few atomic operations, no lock.
///
/// ```
/// use apigw_sign::{KeySet, SharedKeys};
///
/// let mut keys = KeySet::new();
/// keys.insert("AKIDold", "old-secret");
/// let shared = SharedKeys::new(keys);
/// let for_the_layer = shared.clone();
///
/// let mut reloaded = KeySet::new();
/// keys_from_config(&mut reloaded);
/// shared.replace(reloaded); // `for_the_layer` verifies with the new set from now on
/// # fn keys_from_config(keys: &mut KeySet) { keys.insert("AKIDnew", "new-secret"); }
/// assert!(for_the_layer.current().lookup_owned("AKIDnew").is_active());
/// assert!(!for_the_layer.current().lookup_owned("AKIDold").is_active());
/// ```
pub struct SharedKeys<K = KeySet> {
    current: Arc<ArcSwap<K>>,
}

impl<K> SharedKeys<K> {
    /// Shares `keys`.
    pub fn new(keys: K) -> Self {
        SharedKeys {
            current: Arc::new(ArcSwap::from_pointee(keys)),
        }
    }

    /// Replaces the set for every clone. Requests already past their key lookup finish with
    /// the old one; the old set is dropped (and its secrets zeroed) when the last of them is
    /// done.
    pub fn replace(&self, keys: K) {
        self.current.store(Arc::new(keys));
    }

    /// The set in use now.
    pub fn current(&self) -> Arc<K> {
        self.current.load_full()
    }
}

impl<K> Clone for SharedKeys<K> {
    fn clone(&self) -> Self {
        SharedKeys {
            current: Arc::clone(&self.current),
        }
    }
}

impl<K> fmt::Debug for SharedKeys<K> {
    /// Nothing of the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKeys").finish_non_exhaustive()
    }
}

impl<K: KeyLookup + Send + Sync> KeySource for SharedKeys<K> {
    fn fetch<'a>(&'a self, key_id: &'a str) -> KeyFuture<'a> {
        let status = OwnedKeyStatus::from(self.current.load().lookup(key_id));
        Box::pin(core::future::ready(Ok(status)))
    }
}

/// One key of a [`KeySet`].
#[derive(Clone, Debug)]
pub struct KeyEntry {
    secrets: Vec<Secret>,
    enabled: bool,
    algorithm: Option<Algorithm>,
}

impl KeyEntry {
    /// Adds another valid secret (rotation).
    pub fn add_secret(&mut self, secret: impl Into<Secret>) -> &mut Self {
        self.secrets.push(secret.into());
        self
    }

    /// Enables or disables the key. Keys start enabled.
    pub fn set_enabled(&mut self, enabled: bool) -> &mut Self {
        self.enabled = enabled;
        self
    }

    /// Pins the key to one algorithm, or lifts the pin with `None`.
    pub fn pin(&mut self, algorithm: Option<Algorithm>) -> &mut Self {
        self.algorithm = algorithm;
        self
    }
}

/// An in-memory [`KeyLookup`].
///
/// ```
/// use apigw_sign::{KeySet, Algorithm};
/// let mut keys = KeySet::new();
/// keys.insert("AKIDold", "secret-1").add_secret("secret-2").pin(Some(Algorithm::HmacSha256));
/// keys.insert("AKIDoff", "secret-3").set_enabled(false);
/// ```
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    /// Keyed by id with FxHash (`rustc-hash`), not SipHash: the ids are the operator's, so a
    /// request can only look one up, never add one, and the table's chains are not the
    /// client's to lengthen. Verifying the typical key-pair request costs 2.2 % fewer
    /// instructions (7 839 → 7 665, callgrind) than with the standard SipHash.
    keys: HashMap<String, KeyEntry, FxBuildHasher>,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        KeySet::default()
    }

    /// Adds `secret` to key `id` (creating it, enabled and unpinned, if new) and returns the entry.
    pub fn insert(&mut self, id: impl Into<String>, secret: impl Into<Secret>) -> &mut KeyEntry {
        let entry = self.keys.entry(id.into()).or_insert_with(|| KeyEntry {
            secrets: Vec::new(),
            enabled: true,
            algorithm: None,
        });
        entry.secrets.push(secret.into());
        entry
    }

    /// The entry for `id`, to change it.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut KeyEntry> {
        self.keys.get_mut(id)
    }

    /// Removes key `id`.
    pub fn remove(&mut self, id: &str) -> bool {
        self.keys.remove(id).is_some()
    }
}

impl KeySet {
    /// What is known about `key_id`, owned (the secrets shared with the set's).
    pub fn lookup_owned(&self, key_id: &str) -> OwnedKeyStatus {
        self.lookup(key_id).into()
    }
}

impl KeyLookup for KeySet {
    fn lookup(&self, key_id: &str) -> KeyStatus<'_> {
        match self.keys.get(key_id) {
            None => KeyStatus::Unknown,
            Some(entry) if !entry.enabled => KeyStatus::Disabled,
            Some(entry) => KeyStatus::Active(ActiveKey {
                secrets: &entry.secrets,
                algorithm: entry.algorithm,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_and_clone() {
        let a = Secret::from("same");
        assert_eq!(a, a.clone());
        assert_ne!(a, Secret::from("samf"));
        assert_ne!(a, Secret::from("same+"));
        assert_eq!(Secret::from(String::from("s3cr3t")).bytes(), b"s3cr3t");
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::from("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        let mut keys = KeySet::new();
        keys.insert("id", "hunter2");
        assert!(!format!("{keys:?}").contains("hunter2"));
    }

    #[test]
    fn lookup_states() {
        let mut keys = KeySet::new();
        keys.insert("a", "1").add_secret("2");
        keys.insert("b", "3").set_enabled(false);
        assert!(matches!(keys.lookup("a"), KeyStatus::Active(k) if k.secrets.len() == 2));
        assert!(matches!(keys.lookup("b"), KeyStatus::Disabled));
        assert!(matches!(keys.lookup("c"), KeyStatus::Unknown));
        assert!(keys.remove("a"));
        fn unknown(lookup: impl KeyLookup) -> bool {
            matches!(lookup.lookup("a"), KeyStatus::Unknown)
        }
        assert!(unknown(&keys));
    }

    #[test]
    fn statuses_become_rejections() {
        let mut keys = KeySet::new();
        keys.insert("a", "1").pin(Some(Algorithm::HmacSha256));
        keys.insert("b", "2").set_enabled(false);
        let sha1 = Algorithm::HmacSha1;
        assert_eq!(
            keys.lookup("a").secrets_for(sha1).err(),
            Some(KeyRejection::AlgorithmPinned)
        );
        assert!(keys.lookup("a").secrets_for(Algorithm::HmacSha256).is_ok());
        assert_eq!(
            keys.lookup("b").active().err(),
            Some(KeyRejection::Disabled)
        );
        assert_eq!(keys.lookup("c").active().err(), Some(KeyRejection::Unknown));
        assert_eq!(
            KeyStatus::NotBound.active().err(),
            Some(KeyRejection::NotBound)
        );
        let none = KeyStatus::Active(ActiveKey::new(&[]));
        assert_eq!(none.secrets_for(sha1).err(), Some(KeyRejection::NoSecret));
        assert!(none.active().is_ok());
    }
}
