//! parcelkit's maintenance tasks, as a library so that their behaviour is tested like any other
//! code. The binary (`cargo xtask ...`) only parses arguments.

#![warn(missing_docs)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use parcelkit_codegen::stats::{README_BEGIN, README_END, readme_table, spec_stats, splice_readme};
use parcelkit_codegen::{APIS, CodegenError, Layout, Output, load_spec};

/// Where the committed copy of the generated code lives, relative to the workspace root.
pub const GENERATED_DIR: &str = "generated";

/// Everything `regen` maintains: path relative to the workspace root, and its expected contents.
pub fn expected_outputs(root: &Path) -> Result<Vec<(PathBuf, String)>, CodegenError> {
    let mut outputs = Vec::new();
    let mut stats = Vec::new();
    for api in APIS {
        let spec = load_spec(&root.join(api.spec_path), api.spec_path)?;
        stats.push((api.spec_path, spec_stats(&spec)));
        for file in
            parcelkit_codegen::generate_from_spec(api, &spec, &Output::ALL, Layout::Reviewed)?
        {
            outputs.push((Path::new(GENERATED_DIR).join(file.name), file.contents));
        }
    }
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap_or_default();
    let readme = splice_readme(&readme, &readme_table(&stats)).ok_or_else(|| {
        CodegenError {
            spec: "README.md".into(),
            kind: parcelkit_codegen::ErrorKind::Read,
            reason: format!("the spec statistics markers are missing: add a line `{README_BEGIN}` and a line `{README_END}`"),
        }
    })?;
    outputs.push((PathBuf::from("README.md"), readme));
    Ok(outputs)
}

/// One file that differs from what `regen` would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// Path relative to the workspace root.
    pub path: PathBuf,
    /// What differs, in a line.
    pub summary: String,
}

/// Compares the files on disk with what `regen` would write; the list is empty when all is fresh.
/// Files in `generated/` that `regen` would not write count as stale too.
pub fn check(root: &Path) -> Result<Vec<Stale>, CodegenError> {
    let expected = expected_outputs(root)?;
    let mut stale = Vec::new();
    for (path, contents) in &expected {
        match std::fs::read_to_string(root.join(path)) {
            Err(_) => stale.push(Stale {
                path: path.clone(),
                summary: "missing".into(),
            }),
            Ok(actual) if actual != *contents => stale.push(Stale {
                path: path.clone(),
                summary: diff_summary(&actual, contents),
            }),
            Ok(_) => {}
        }
    }
    if let Ok(entries) = std::fs::read_dir(root.join(GENERATED_DIR)) {
        let mut extra: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| Path::new(GENERATED_DIR).join(e.file_name()))
            .filter(|p| !expected.iter().any(|(e, _)| e == p))
            .collect();
        extra.sort();
        stale.extend(extra.into_iter().map(|path| Stale {
            path,
            summary: "not produced by the generator any more (delete it)".into(),
        }));
    }
    Ok(stale)
}

/// Writes every output whose contents changed; returns the paths written.
pub fn regen(root: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(root.join(GENERATED_DIR))?;
    let mut written = Vec::new();
    for (path, contents) in expected_outputs(root)? {
        let full = root.join(&path);
        if std::fs::read_to_string(&full).ok().as_deref() != Some(contents.as_str()) {
            std::fs::write(&full, contents)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// `N lines differ (was A lines, now B); first at line L: -old +new`.
pub fn diff_summary(old: &str, new: &str) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let differing = (0..old_lines.len().max(new_lines.len()))
        .filter(|&i| old_lines.get(i) != new_lines.get(i))
        .count();
    let first =
        (0..old_lines.len().max(new_lines.len())).find(|&i| old_lines.get(i) != new_lines.get(i));
    let mut out = format!(
        "{differing} lines differ (was {} lines, now {})",
        old_lines.len(),
        new_lines.len()
    );
    if let Some(i) = first {
        let clip = |s: Option<&&str>| -> String {
            let s = s.copied().unwrap_or("<end of file>");
            if s.chars().count() > 100 {
                format!("{}...", s.chars().take(100).collect::<String>())
            } else {
                s.to_owned()
            }
        };
        let _ = write!(
            out,
            "; first at line {}:\n    - {}\n    + {}",
            i + 1,
            clip(old_lines.get(i)),
            clip(new_lines.get(i))
        );
    }
    out
}
