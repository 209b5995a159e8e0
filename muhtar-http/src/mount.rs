//! Where the router is mounted: every URL the router emits (Open311's discovery document,
//! the OpenAPI document's server, `Location` headers) starts with the path a host nested
//! it under (`Router::nest("/mbs", muhtar_http::router(state))` → `/mbs/open311/v2`).
//!
//! The prefix is derived per request, never configured: [`router`](crate::router)
//! records it ([`record`]) as the part of the request's original path
//! ([`OriginalUri`]) before the path the router itself sees, and handlers read it with
//! the [`Mount`] extractor.
//!
//! The prefix is a fixed path (`/mbs`, `/hizmetler/mbs`): a path parameter in it
//! (`/{il}/mbs`) would reach the router's own handlers as an extra path parameter.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

/// The path prefix the router is mounted under: empty at the root, else like `/mbs`
/// (no trailing slash).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount(Arc<str>);

impl Mount {
    /// The prefix of a request whose original path is `original` and whose path as the
    /// router sees it (the host's nesting stripped) is `seen`.
    pub fn derive(original: &str, seen: &str) -> Self {
        // The router's root seen as `/` at `/mbs`: the whole path is the prefix.
        let prefix = original
            .strip_suffix(seen)
            .or_else(|| (seen == "/").then_some(original))
            .unwrap_or_default();
        Mount(Arc::from(prefix.trim_end_matches('/')))
    }

    /// The prefix: `""` at the root, else like `/mbs`.
    pub fn prefix(&self) -> &str {
        &self.0
    }

    /// `path` (absolute within the router, like `/open311/v2`) under the prefix.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// Middleware of [`router`](crate::router): records the request's [`Mount`].
pub async fn record(mut req: Request, next: Next) -> Response {
    let mount = match req.extensions().get::<OriginalUri>() {
        Some(OriginalUri(original)) => Mount::derive(original.path(), req.uri().path()),
        None => Mount::default(),
    };
    req.extensions_mut().insert(mount);
    next.run(req).await
}

impl<S: Send + Sync> FromRequestParts<S> for Mount {
    type Rejection = Infallible;

    /// The recorded prefix; empty when the router did not record one.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Mount>().cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_what_the_host_stripped() {
        let m = Mount::derive(
            "/mbs/open311/v2/discovery.json",
            "/open311/v2/discovery.json",
        );
        assert_eq!(m.prefix(), "/mbs");
        assert_eq!(m.url("/open311/v2"), "/mbs/open311/v2");
        let root = Mount::derive("/open311/v2/discovery.json", "/open311/v2/discovery.json");
        assert_eq!(root.url("/open311/v2"), "/open311/v2");
        assert_eq!(Mount::derive("/mbs", "/").prefix(), "/mbs");
        assert_eq!(Mount::derive("/mbs/", "/").prefix(), "/mbs");
        assert_eq!(Mount::derive("/", "/").prefix(), "");
        // A path rewritten by something else: no prefix rather than a wrong one.
        assert_eq!(Mount::derive("/a/b", "/c").prefix(), "");
        assert_eq!(
            Mount::derive("/il/34/mbs/api/v1/requests", "/api/v1/requests").prefix(),
            "/il/34/mbs"
        );
    }
}
