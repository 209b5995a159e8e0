//! The example organisation, shared by the targets that need one.

use std::sync::OnceLock;

use muhtar_core::org::Organisation;

/// The organisation of `examples/data/org.toml`, parsed once.
pub fn org() -> &'static Organisation {
    static ORG: OnceLock<Organisation> = OnceLock::new();
    ORG.get_or_init(|| {
        Organisation::from_toml_str_with(include_str!("../../examples/data/org.toml"), |_| {
            Ok(include_str!("../../examples/data/boundaries.geojson").to_owned())
        })
        .expect("the example organisation is valid")
        .0
    })
}
