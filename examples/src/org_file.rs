//! Reading an organisation file with the boundaries file it names (`boundaries =
//! "boundaries.geojson"`, relative to the organisation file). Core reads no files: this
//! gives it the reader and prints the boundaries' warnings.

use std::path::Path;

use muhtar_core::org::{OrgError, Organisation};

/// The example organisation shipped with the binary.
pub const EXAMPLE_ORG: &str = include_str!("../data/org.toml");
/// The example organisation's boundaries (named by [`EXAMPLE_ORG`]).
pub const EXAMPLE_BOUNDARIES: &str = include_str!("../data/boundaries.geojson");

/// Reads the organisation file at `path` (`None`: the shipped example) with its
/// boundaries; the boundaries' warnings go to standard error, one a line, each with the
/// file, line and feature. An error names the file and lists every problem, one a line.
pub fn load(path: Option<&Path>) -> Result<Organisation, String> {
    let (name, text, dir) = match path {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
            p.parent().map(Path::to_path_buf).unwrap_or_default(),
        ),
        None => (
            "the example organisation".to_owned(),
            EXAMPLE_ORG.to_owned(),
            Default::default(),
        ),
    };
    let read = |written: &str| -> Result<String, String> {
        if path.is_none() {
            return Ok(EXAMPLE_BOUNDARIES.to_owned());
        }
        let p = dir.join(written);
        std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let (org, warnings) = Organisation::from_toml_str_with(&text, read).map_err(|e| match e {
        OrgError::Boundaries { path, error } => format!(
            "{name}: boundaries file {path} has errors:\n{}",
            error
                .problems
                .iter()
                .map(|p| format!("  {path}: {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        e => format!("{name}: {e}"),
    })?;
    if let Some((boundaries, _)) = Organisation::boundaries_path(&text) {
        for w in &warnings {
            eprintln!("{boundaries}: {w}");
        }
    }
    Ok(org)
}
