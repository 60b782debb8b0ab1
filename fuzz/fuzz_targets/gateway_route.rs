#![no_main]
use apigw_sign::gateway::{RouteScratch, Routed};
use apigw_sign::{KeyLookup as _, KeyStatus, OwnedKeyStatus, Protocol};
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
            assert_eq!(phased.map(decided), routed.map(decided));
        }
    }
});
