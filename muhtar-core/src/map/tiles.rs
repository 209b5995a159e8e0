//! The map page's background: the tile server a tenant chooses (`[map]` in the settings).

use serde::{Deserialize, Serialize};

/// OpenStreetMap's standard tiles, the default background.
pub const OSM_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// The attribution OpenStreetMap's tiles require.
pub const OSM_ATTRIBUTION: &str = "© OpenStreetMap katkıcıları";

/// `[map]` in a tenant's settings: where the map page's background tiles come from.
///
/// ```toml
/// [map]
/// tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"   # "" for no background
/// attribution = "© OpenStreetMap katkıcıları"
/// ```
///
/// Without a reachable tile server (or with `tiles = ""`) the map page still draws the
/// boundaries, requests and works on a plain background.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSettings {
    /// The tile URL template with `{z}`, `{x}`, `{y}` (and optionally `{s}` for
    /// subdomains a, b, c); default [`OSM_TILES`]; `""` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiles: Option<String>,
    /// The attribution shown on the map; default [`OSM_ATTRIBUTION`] with the default
    /// tiles, none otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
}

/// Why `[map] tiles` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TilesError {
    /// Not an `http(s)://host/...` URL with `{z}`, `{x}` and `{y}`.
    #[error(
        "map.tiles: {problem}; expected an http(s) URL template with {{z}}, {{x}} and {{y}}, \
         e.g. \"{OSM_TILES}\", or \"\" for no background"
    )]
    Url {
        /// What is wrong.
        problem: String,
    },
}

impl MapSettings {
    /// The tile URL template in force (`None`: no background).
    pub fn tile_url(&self) -> Option<&str> {
        match self.tiles.as_deref() {
            None => Some(OSM_TILES),
            Some("") => None,
            Some(t) => Some(t),
        }
    }

    /// The attribution in force.
    pub fn attribution(&self) -> &str {
        match (&self.attribution, self.tiles.as_deref()) {
            (Some(a), _) => a,
            (None, None) => OSM_ATTRIBUTION,
            (None, Some(_)) => "",
        }
    }

    /// Checks the tile URL: `http` or `https`, a plain host (letters, digits, `.`, `-`,
    /// an optional `{s}.` subdomain and `:port`), and `{z}`, `{x}`, `{y}` in the path.
    pub fn check(&self) -> Result<(), TilesError> {
        match self.tile_url() {
            None => Ok(()),
            Some(url) => tile_origin(url).map(|_| ()),
        }
    }

    /// The Content-Security-Policy source the map page must allow images from for the
    /// tiles (`https://tile.openstreetmap.org`, `https://*.tile.example.org` for `{s}.`),
    /// or `None` without a background.
    pub fn csp_source(&self) -> Option<String> {
        self.tile_url().and_then(|u| tile_origin(u).ok())
    }
}

/// The origin of a tile URL template as a CSP source, checked character by character so
/// nothing can be smuggled into the policy.
fn tile_origin(url: &str) -> Result<String, TilesError> {
    let bad = |problem: &str| TilesError::Url {
        problem: problem.to_owned(),
    };
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("no scheme (http:// or https://)"))?;
    if scheme != "https" && scheme != "http" {
        return Err(bad("the scheme must be http or https"));
    }
    let (host, path) = rest.split_once('/').ok_or_else(|| bad("no path"))?;
    let host = match host.strip_prefix("{s}.") {
        Some(h) => format!("*.{h}"),
        None => host.to_owned(),
    };
    let plain = |h: &str| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
    };
    if !plain(host.trim_start_matches("*.")) {
        return Err(bad(
            "the host may hold only letters, digits, '.', '-' and a port",
        ));
    }
    for p in ["{z}", "{x}", "{y}"] {
        if !path.contains(p) {
            return Err(bad(&format!("the path has no {p}")));
        }
    }
    if path
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ';' | ',' | '\'' | '"'))
    {
        return Err(bad("the path holds a space, a quote, ';' or ','"));
    }
    Ok(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiles(t: &str) -> MapSettings {
        MapSettings {
            tiles: Some(t.into()),
            attribution: None,
        }
    }

    #[test]
    fn the_default_is_openstreetmap() {
        let m = MapSettings::default();
        assert_eq!(m.tile_url(), Some(OSM_TILES));
        assert_eq!(m.attribution(), OSM_ATTRIBUTION);
        assert_eq!(
            m.csp_source().as_deref(),
            Some("https://tile.openstreetmap.org")
        );
    }

    #[test]
    fn empty_means_no_background() {
        let m = tiles("");
        assert_eq!(m.tile_url(), None);
        assert_eq!(m.csp_source(), None);
        assert!(m.check().is_ok());
    }

    #[test]
    fn subdomains_and_ports_become_csp_sources() {
        assert_eq!(
            tiles("https://{s}.tiles.example.org/a/{z}/{x}/{y}.png")
                .csp_source()
                .as_deref(),
            Some("https://*.tiles.example.org")
        );
        assert_eq!(
            tiles("http://127.0.0.1:8080/{z}/{x}/{y}.png")
                .csp_source()
                .as_deref(),
            Some("http://127.0.0.1:8080")
        );
    }

    #[test]
    fn nothing_can_be_smuggled_into_the_policy() {
        for t in [
            "javascript:alert(1)/{z}/{x}/{y}",
            "https://evil.org; script-src *;/{z}/{x}/{y}",
            "https://a.org/{z}/{x}/{y}.png; script-src *",
            "https://a.org/{z}/{x}.png",
            "ftp://a.org/{z}/{x}/{y}",
            "https:///{z}/{x}/{y}",
            "https://a b.org/{z}/{x}/{y}",
        ] {
            let m = tiles(t);
            assert!(m.check().is_err(), "{t}");
            assert_eq!(m.csp_source(), None, "{t}");
        }
    }
}
