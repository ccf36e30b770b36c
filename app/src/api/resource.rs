//! Resources over server functions, hydrated with the same JSON reader the server functions use.
//!
//! leptos's default resource encoding reads the hydration data with `serde_json::from_str`,
//! while server-function responses are read with `serde_json::from_slice`: two readers mean
//! every wire type's `Deserialize` code is compiled twice into the browser bundle. Reading the
//! hydration text as bytes keeps one copy.

use std::future::Future;

use codee::{Decoder, Encoder};
use leptos::prelude::Resource;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON, written as text and read as bytes.
pub struct JsonBytes;

impl<T: Serialize> Encoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, Self::Error> {
        serde_json::to_string(val)
    }
}

impl<T: DeserializeOwned> Decoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, Self::Error> {
        serde_json::from_slice(val.as_bytes())
    }
}

/// A resource whose value travels from the server render to the browser as [`JsonBytes`].
pub type JsonResource<T> = Resource<T, JsonBytes>;

/// [`Resource::new`] with the [`JsonBytes`] encoding.
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> JsonResource<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync + Clone + PartialEq + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    #[test]
    fn reads_back_what_it_writes() {
        let value: Result<Vec<String>, AppError> = Ok(vec!["a\"b".into(), "ü\n".into()]);
        let text = <JsonBytes as Encoder<_>>::encode(&value).unwrap();
        let back: Result<Vec<String>, AppError> = JsonBytes::decode(&text).unwrap();
        assert_eq!(back, value);
        let err: Result<Vec<String>, AppError> = Err(AppError::Conflict("taken".into()));
        let text = <JsonBytes as Encoder<_>>::encode(&err).unwrap();
        assert_eq!(
            <JsonBytes as Decoder<Result<Vec<String>, AppError>>>::decode(&text).unwrap(),
            err
        );
    }

    #[test]
    fn refuses_text_that_is_not_json() {
        assert!(<JsonBytes as Decoder<Vec<String>>>::decode("[\"open").is_err());
    }
}
