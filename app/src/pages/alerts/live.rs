//! Live updates: once hydrated, the page listens to the alert stream
//! (`GET /api/v1/alerts/stream`, server-sent events over the session cookie) and reads its
//! list again when an alert opens or changes, or when the stream says it missed some.

use leptos::prelude::*;

/// Calls `changed` on every `alert` and `resync` event of the stream, while the calling
/// component lives. Does nothing on the server.
pub fn follow_alert_stream(changed: impl Fn() + Clone + Send + Sync + 'static) {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            use wasm_bindgen::closure::Closure;

            let Ok(source) = web_sys::EventSource::new("/api/v1/alerts/stream") else {
                return;
            };
            let changed = changed.clone();
            let on_event =
                Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| changed());
            for kind in ["alert", "resync"] {
                let _ = source
                    .add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
            }
            let held = StoredValue::new_local((source, on_event));
            on_cleanup(move || held.with_value(|(source, _)| source.close()));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &changed;
    });
}
