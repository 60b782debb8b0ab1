#![no_main]
use apigw_sign::gateway::{RouteScratch, Routed};
use apigw_sign::replay::MemoryReplayGuard;
use apigw_sign::{Error, KeyLookup as _, KeyStatus, OwnedKeyStatus, Protocol};
use apigw_sign_fuzz::{gateway, render, Input};

/// What a routing decided, comparable.
fn decided(routed: Routed<'_>) -> (String, String, String, String, Option<String>) {
    (
        routed.service.id.clone(),
        routed.environment.to_owned(),
        routed.api.path.clone(),
        routed.uri,
        routed.key_id,
    )
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else {
        return;
    };
    for protocol in [Protocol::Http, Protocol::Https] {
        for request in [input.request(), input.request().without_body()] {
            let routed = gateway().route(&request, protocol, input.now);
            if let Err(error) = &routed {
                render(error);
            }
            // The two phases, the key owned in between (as an async source hands it over),
            // decide exactly as `route`.
            let mut scratch = RouteScratch::default();
            let phased = gateway()
                .prepare_route(&request, protocol, input.now, &mut scratch)
                .and_then(|pending| {
                    let key = pending
                        .key_id()
                        .map(|id| OwnedKeyStatus::from(gateway().keys().lookup(id)));
                    let status = key
                        .as_ref()
                        .map_or(KeyStatus::Unknown, OwnedKeyStatus::status);
                    gateway().finish_route(&pending, status)
                });
            let routed = routed.map(decided);
            assert_eq!(phased.map(decided), routed);
            // With a replay guard: the first use decides as `route` does (or is refused for a
            // window longer than the guard keeps); a second is refused as a replay, unless
            // nothing was signed (no authentication, an AppCode), when it decides the same.
            let guard = MemoryReplayGuard::new(4);
            let first = gateway()
                .route_once(&request, protocol, &guard, input.now)
                .map(decided);
            match (&routed, &first) {
                (Ok(_), Err(Error::SignatureWindowTooLong { .. })) => continue,
                _ => assert_eq!(first, routed),
            }
            if let Ok(first) = first {
                let second = gateway()
                    .route_once(&request, protocol, &guard, input.now)
                    .map(decided);
                match second {
                    Err(Error::SignatureReplayed { key_id }) => {
                        assert_eq!(Some(key_id), first.4);
                    }
                    second => assert_eq!(second, Ok(first)),
                }
            }
        }
    }
});
