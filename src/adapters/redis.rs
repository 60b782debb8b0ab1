//! A replay guard shared through Redis, for several servers that verify the same keys.
//!
//! Enabled by the `redis` feature, on the `redis` crate's reconnecting connection manager under
//! tokio. [`RedisReplayGuard`] is a [`ReplayStore`]: give it to the tower layer
//! ([`VerifyLayer::replay_guard`](crate::layer::VerifyLayer::replay_guard)) of every server, or
//! call it after [`finish`](crate::tencent::Verifier::finish) yourself.
//!
//! # What it stores
//!
//! One Redis key per verified signature: `apigw-sign:replay:{key id}:{SHA-256 of the MAC, hex}`
//! (the hash has a fixed length, so two tenants' keys never collide whatever their key ids
//! hold), set with `NX` (only the first use records it) and `PXAT` the end of the signature's
//! window plus one second: an absolute expiry, so a signature dated ahead of the clock stays
//! recorded until it could no longer verify anywhere. It is recorded only after every other
//! check passed, so only genuine signatures take room. The value is a random token drawn for
//! each request.
//!
//! # Failing closed
//!
//! Each attempt is bounded by [`timeout`](RedisReplayGuard::timeout) (100 ms by default). A
//! Redis error, a refused connection or a timeout refuses the request with
//! [`Replay::Unavailable`] ([`Error::ReplayGuardUnavailable`](crate::Error::ReplayGuardUnavailable),
//! 503 with `Retry-After`): the guard never accepts what it could not record. Redis coming back
//! needs no restart: the connection manager reconnects on the next request.
//!
//! # An ambiguous outcome
//!
//! A command may have reached Redis while its reply was lost (a timeout, a reset connection).
//! Retrying it naively would find the key set, by this very request, and refuse the legitimate
//! client. So the check is one Lua script, idempotent for its token: it sets the key if absent
//! and otherwise answers with the token already held. After an ambiguous failure the guard
//! retries once on a new connection (the same token, within a second `timeout`): finding its
//! own token means its first write went through, and the request is accepted; another token is
//! a replay. A decision therefore takes at most twice the timeout.
//!
//! Every reply also names the key it answers for, and the guard replaces its connection after
//! any timeout: on a multiplexed connection a reply that never arrives would shift every later
//! reply onto the wrong request; a reply naming another key is never trusted.
//!
//! # What Redis can lose
//!
//! - **A failover.** Redis replicates asynchronously: a signature recorded on the primary and
//!   not yet copied to a replica is forgotten if that replica is promoted, and can then be
//!   replayed once within its window. [`wait_for_replicas`](RedisReplayGuard::wait_for_replicas)
//!   makes each record wait (`WAIT`) until that many replicas have it, refusing (503) when they
//!   do not answer in time; it narrows the gap, it does not make Redis consistent.
//! - **A restart without persistence** (or `FLUSHALL`) forgets every recorded signature: each
//!   signature whose window has not ended can be replayed once more. Run Redis with AOF
//!   (`appendonly yes`, `appendfsync everysec` loses at most about a second) when that matters.
//! - **Eviction.** Under `maxmemory` with an `allkeys-*` policy Redis may drop recorded
//!   signatures early. Use `noeviction` (a full Redis then refuses writes, and the guard
//!   refuses requests) or a `volatile-ttl` instance of its own.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use arc_swap::ArcSwap;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::replay::{Entry, Replay, ReplayFuture, ReplayStore};

/// The prefix of every key the guard writes.
pub const KEY_PREFIX: &str = "apigw-sign:replay:";

/// [`RedisReplayGuard::timeout`]'s default: 100 ms per attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);

/// Sets the key to this request's token unless it is held, and answers with the key, the token
/// the key holds and whether this call set it: idempotent for one token, and every reply names
/// what it answers.
const SCRIPT: &str = "\
local set = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PXAT', ARGV[2])
if set then return {KEYS[1], ARGV[1], 1} end
local held = redis.call('GET', KEYS[1])
return {KEYS[1], held or '', 0}";

/// A [`ReplayStore`] over Redis, shared by every server that verifies the same keys; see the
/// [module documentation](self).
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// use apigw_sign::layer::VerifyLayer;
/// use apigw_sign::redis::RedisReplayGuard;
/// use apigw_sign::tencent::{Mode, Policy, Verifier};
/// use apigw_sign::KeySet;
///
/// # async fn build(keys: KeySet) -> Result<VerifyLayer, redis::RedisError> {
/// // Inside the tokio runtime that serves the requests.
/// let guard = RedisReplayGuard::new("redis://127.0.0.1:6379/")?.timeout(Duration::from_millis(50));
/// let layer = VerifyLayer::tencent(Verifier::new(Policy::default()), Mode::App, keys)
///     .replay_guard(guard);
/// # Ok(layer)
/// # }
/// ```
pub struct RedisReplayGuard {
    client: Client,
    connection: ArcSwap<ConnectionManager>,
    timeout: Duration,
    replicas: Option<(u32, Duration)>,
}

impl RedisReplayGuard {
    /// A guard on the Redis at `url` (`redis://host:port/db`, `rediss://` for TLS if the
    /// `redis` crate is built with it). Connects lazily, on the first request: a Redis that is
    /// down at start refuses requests (503) until it is up. Call it inside a tokio runtime.
    ///
    /// # Errors
    ///
    /// An unusable URL, or no tokio runtime.
    pub fn new(url: &str) -> Result<Self, RedisError> {
        let client = Client::open(url)?;
        let connection = connect(&client, DEFAULT_TIMEOUT)?;
        Ok(RedisReplayGuard {
            client,
            connection: ArcSwap::from_pointee(connection),
            timeout: DEFAULT_TIMEOUT,
            replicas: None,
        })
    }

    /// How long one attempt may take, connecting included; a decision takes at most two. The
    /// default is [`DEFAULT_TIMEOUT`] (100 ms).
    #[must_use]
    pub fn timeout(self, timeout: Duration) -> Self {
        let connection = connect(&self.client, timeout)
            .map(ArcSwap::from_pointee)
            .unwrap_or(self.connection);
        RedisReplayGuard {
            timeout,
            connection,
            ..self
        }
    }

    /// Waits, after each record, until `replicas` replicas have it (Redis `WAIT`, at most
    /// `wait` long), and refuses the request (503) when fewer confirm: a failover then loses a
    /// recorded signature only if every one of those replicas is lost too. `WAIT` holds the
    /// shared connection while it waits, so keep `wait` short. Off by default.
    #[must_use]
    pub fn wait_for_replicas(self, replicas: u32, wait: Duration) -> Self {
        RedisReplayGuard {
            replicas: (replicas > 0).then_some((replicas, wait)),
            ..self
        }
    }

    /// One attempt: the script, then `WAIT` if asked. `Err(true)` when the outcome is
    /// ambiguous (the command may have run), `Err(false)` when it surely did not decide.
    async fn attempt(
        &self,
        connection: &Arc<ConnectionManager>,
        key: &[u8],
        token: &[u8],
        expires_ms: i64,
    ) -> Result<Result<(), Replay>, bool> {
        let mut conn = ConnectionManager::clone(connection);
        let script = redis::cmd("EVAL")
            .arg(SCRIPT)
            .arg(1)
            .arg(key)
            .arg(token)
            .arg(expires_ms)
            .to_owned();
        let reply = tokio::time::timeout(
            self.timeout,
            script.query_async::<(Vec<u8>, Vec<u8>, i64)>(&mut conn),
        )
        .await;
        let (answered_key, held, _set) = match reply {
            Ok(Ok(reply)) => reply,
            // A Redis error reply (out of memory, scripts disabled, ...): the script did not
            // set the key.
            Ok(Err(error)) if !error.is_io_error() => return Err(false),
            // Lost on the way: the script may have run.
            Ok(Err(_)) | Err(_) => {
                self.reconnect(connection);
                return Err(true);
            }
        };
        if answered_key != key {
            // Another request's reply: the connection is out of step.
            self.reconnect(connection);
            return Err(true);
        }
        if held != token {
            return Ok(Err(Replay::Replayed));
        }
        if let Some((replicas, wait)) = self.replicas {
            let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
            let confirmed = tokio::time::timeout(
                self.timeout + wait,
                redis::cmd("WAIT")
                    .arg(replicas)
                    .arg(wait_ms)
                    .query_async::<i64>(&mut conn),
            )
            .await;
            match confirmed {
                Ok(Ok(count)) if count >= i64::from(replicas) => {}
                Ok(Ok(_)) => return Ok(Err(Replay::Unavailable)),
                Ok(Err(_)) | Err(_) => {
                    self.reconnect(connection);
                    return Ok(Err(Replay::Unavailable));
                }
            }
        }
        Ok(Ok(()))
    }

    /// Replaces `used` with a new connection, unless another request already did.
    fn reconnect(&self, used: &Arc<ConnectionManager>) {
        if let Ok(fresh) = connect(&self.client, self.timeout) {
            let fresh = Arc::new(fresh);
            let _ = self.connection.compare_and_swap(used, fresh);
        }
    }
}

impl ReplayStore for RedisReplayGuard {
    fn check_and_record_async<'a>(
        &'a self,
        entry: Entry<'a>,
        now: OffsetDateTime,
    ) -> ReplayFuture<'a> {
        let Entry {
            key_id,
            signature,
            not_after,
        } = entry;
        Box::pin(async move {
            if not_after < now {
                // Its window has passed: it cannot verify again, and an expiry in the past
                // would record nothing.
                return Err(Replay::Replayed);
            }
            let key = redis_key(key_id, signature);
            let token = token().ok_or(Replay::Unavailable)?;
            let expires_ms = (not_after.unix_timestamp_nanos() / 1_000_000)
                .saturating_add(1000)
                .try_into()
                .unwrap_or(i64::MAX);
            for _ in 0..2 {
                let connection = self.connection.load_full();
                match self.attempt(&connection, &key, &token, expires_ms).await {
                    Ok(answer) => return answer,
                    Err(true) => continue,
                    Err(false) => return Err(Replay::Unavailable),
                }
            }
            Err(Replay::Unavailable)
        })
    }
}

impl fmt::Debug for RedisReplayGuard {
    /// The server's address and the settings; never a password in the URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayGuard")
            .field(
                "addr",
                &self.client.get_connection_info().addr().to_string(),
            )
            .field("timeout", &self.timeout)
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}

/// A connection manager that connects on first use, each connection attempt bounded by
/// `timeout` (responses are bounded by the guard itself).
fn connect(client: &Client, timeout: Duration) -> Result<ConnectionManager, RedisError> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(None)
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_secs(1));
    ConnectionManager::new_lazy_with_config(client.clone(), config)
}

/// `apigw-sign:replay:{key id}:{SHA-256 of the MAC, hex}`.
fn redis_key(key_id: &str, signature: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(signature);
    let mut key = Vec::with_capacity(KEY_PREFIX.len() + key_id.len() + 1 + 64);
    key.extend_from_slice(KEY_PREFIX.as_bytes());
    key.extend_from_slice(key_id.as_bytes());
    key.push(b':');
    key.extend_from_slice(const_hex::encode(digest).as_bytes());
    key
}

/// 16 random bytes in hex: this request's token. `None` when the system has no randomness.
fn token() -> Option<Vec<u8>> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(const_hex::encode(bytes).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_tenants_and_hash_the_mac() {
        let key = redis_key("AKID:1", b"mac");
        let text = String::from_utf8(key).unwrap();
        assert!(text.starts_with("apigw-sign:replay:AKID:1:"), "{text}");
        assert_eq!(text.len(), KEY_PREFIX.len() + "AKID:1:".len() + 64);
        assert_ne!(redis_key("a", b"m"), redis_key("b", b"m"));
        assert_ne!(token(), token());
    }
}
