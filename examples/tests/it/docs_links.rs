//! The documentation stays inside the repository: every relative link of the project's
//! Markdown documents (README.md, ARCHITECTURE.md, the other top-level documents, docs/*.md
//! and every crate's README.md) names a file of the repository, an anchor names a heading of
//! its document, nothing points to `../shared` or a placeholder address, and every workspace
//! package has a `readme` that exists and no placeholder `repository`, `homepage` or
//! `documentation`.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The repository root (the workspace's directory).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn manifest(dir: &Path) -> toml::Table {
    let path = dir.join("Cargo.toml");
    read(&path)
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The workspace manifest and the directory of each member.
fn members() -> (toml::Table, Vec<PathBuf>) {
    let ws = manifest(&root());
    let dirs = ws["workspace"]["members"]
        .as_array()
        .expect("workspace.members")
        .iter()
        .map(|m| root().join(m.as_str().expect("a member is a path")))
        .collect();
    (ws, dirs)
}

/// The Markdown documents checked: the top-level ones, docs/*.md and the members' README.md
/// (those that exist: a missing one is the failure of the tests that need it).
fn documents() -> Vec<PathBuf> {
    let md = |dir: &Path| -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        files.sort();
        files
    };
    let mut docs = md(&root());
    docs.extend(md(&root().join("docs")));
    docs.extend(
        members()
            .1
            .iter()
            .map(|dir| dir.join("README.md"))
            .filter(|readme| readme.is_file()),
    );
    docs
}

/// The targets of the inline links `[text](target)` of a Markdown text, with their lines;
/// fenced code blocks and code spans are skipped, a link title (`"..."`) is dropped.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Drop code spans: the odd-numbered pieces between backticks.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(k, _)| k % 2 == 0)
            .map(|(_, piece)| piece)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end].split_whitespace().next().unwrap_or("");
            out.push((i + 1, target.trim_matches(['<', '>']).to_owned()));
            rest = &after[end..];
        }
    }
    out
}

/// The anchors GitHub gives a document's headings: lower case, spaces to `-`, other
/// punctuation dropped.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#').trim();
        let slug: String = heading
            .chars()
            .flat_map(char::to_lowercase)
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        out.insert(slug);
    }
    out
}

/// `path` without `.` and `..` components, or `None` if it climbs above its start.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// What is wrong with each relative link of the document `doc` (a path relative to `root`
/// with the text `text`): a target outside `root`, a missing file, an unknown anchor.
fn broken_links(root: &Path, doc: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (line, target) in link_targets(text) {
        let at = format!("{}:{line}: ({target})", doc.display());
        if target.is_empty() {
            problems.push(format!("{at}: empty link"));
            continue;
        }
        if ["http://", "https://", "mailto:"]
            .iter()
            .any(|s| target.starts_with(s))
        {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target.as_str(), None),
        };
        let file = if path.is_empty() {
            doc.to_path_buf()
        } else {
            let base = doc.parent().unwrap_or(Path::new(""));
            match normalise(&base.join(path)) {
                Some(file) => file,
                None => {
                    problems.push(format!("{at}: leaves the repository"));
                    continue;
                }
            }
        };
        let full = root.join(&file);
        if !full.exists() {
            problems.push(format!("{at}: {} does not exist", file.display()));
            continue;
        }
        if let Some(anchor) = anchor {
            if full.extension().is_some_and(|x| x == "md")
                && !anchors(&read(&full)).contains(anchor)
            {
                problems.push(format!("{at}: {} has no heading #{anchor}", file.display()));
            }
        }
    }
    problems
}

#[test]
fn every_relative_link_of_the_documentation_names_a_file_of_the_repository() {
    let root = root();
    let docs = documents();
    let mut problems: Vec<String> = ["README.md", "ARCHITECTURE.md", "docs/domain.md"]
        .iter()
        .filter(|needed| !docs.contains(&root.join(needed)))
        .map(|needed| format!("{needed} is missing"))
        .collect();
    for dir in members().1 {
        let readme = dir.join("README.md");
        if !readme.is_file() {
            let rel = readme.strip_prefix(&root).unwrap_or(&readme);
            problems.push(format!("{} is missing", rel.display()));
        }
    }
    for doc in docs {
        let rel = doc.strip_prefix(&root).unwrap();
        problems.extend(broken_links(&root, rel, &read(&doc)));
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_link_check_refuses_links_out_of_the_repository_missing_files_and_anchors() {
    let root = root();
    let doc = Path::new("README.md");
    let text = "See `../shared/X.md` in code, [rules](../shared/DOMAIN.md), \
                [gone](docs/nothing.md), [ok](ARCHITECTURE.md), [web](https://example.org/a),\n\
                [anchor](docs/domain.md#3-deadline-rules-sla-clocks), [bad](docs/domain.md#nope), \
                [here](#crates), [there](#nowhere)\n```\n[in code](../../x)\n```\n";
    let problems = broken_links(&root, doc, text);
    let expected = [
        "README.md:1: (../shared/DOMAIN.md): leaves the repository",
        "README.md:1: (docs/nothing.md): docs/nothing.md does not exist",
        "README.md:2: (docs/domain.md#nope): docs/domain.md has no heading #nope",
        "README.md:2: (#nowhere): README.md has no heading #nowhere",
    ];
    assert_eq!(problems, expected);
}

#[test]
fn the_documentation_and_manifests_name_nothing_outside_the_repository() {
    let (_, dirs) = members();
    let mut files = documents();
    files.push(root().join("Cargo.toml"));
    files.extend(dirs.iter().map(|d| d.join("Cargo.toml")));
    let mut found = Vec::new();
    for file in &files {
        let text = read(file);
        for (i, line) in text.lines().enumerate() {
            if ["../shared", "example.invalid"]
                .iter()
                .any(|bad| line.contains(bad))
            {
                let rel = file.strip_prefix(root()).unwrap_or(file);
                found.push(format!("{}:{}: {line}", rel.display(), i + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "references outside the repository:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_package_has_a_readme_that_exists_and_no_placeholder_address() {
    let (ws, dirs) = members();
    let inherited = ws["workspace"].get("package").and_then(|p| p.as_table());
    let mut problems = Vec::new();
    for dir in dirs {
        let m = manifest(&dir);
        let package = m["package"].as_table().expect("[package]");
        let name = package["name"].as_str().unwrap_or("?").to_owned();
        // A key's value, following `key.workspace = true` to [workspace.package].
        let value = |key: &str| -> Option<String> {
            match package.get(key)? {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Table(t)
                    if t.get("workspace") == Some(&toml::Value::Boolean(true)) =>
                {
                    inherited?.get(key)?.as_str().map(str::to_owned)
                }
                other => Some(other.to_string()),
            }
        };
        match value("readme") {
            Some(readme) if dir.join(&readme).is_file() => {}
            Some(readme) => problems.push(format!("{name}: readme {readme:?} does not exist")),
            None => problems.push(format!("{name}: no readme")),
        }
        for key in ["repository", "homepage", "documentation"] {
            if let Some(url) = value(key).filter(|u| u.contains("example")) {
                problems.push(format!("{name}: {key} {url:?} is a placeholder"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
