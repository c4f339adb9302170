//! Paths given on the command line → sources in the inventory.

use std::io::Read;
use std::path::{Path, PathBuf};

use palisade_core::{Diagnostic, DiagnosticLevel, Inventory, SourceId};
use rayon::prelude::*;

use crate::objects::load_source;
use crate::render::{self, HelmOptions, RenderError};
use crate::yaml::Limits;

/// How to load inputs.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub limits: Limits,
    /// Files larger than this are reported and skipped rather than read.
    pub max_file_bytes: u64,
    pub helm: HelmOptions,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            limits: Limits::default(),
            max_file_bytes: 32 * 1024 * 1024,
            helm: HelmOptions::default(),
        }
    }
}

/// What loading produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub inventory: Inventory,
    pub diagnostics: Vec<Diagnostic>,
    /// Inputs (files, stdin, rendered directories) that were read.
    pub inputs_read: usize,
    /// Inputs that could not be read or rendered at all.
    pub inputs_failed: usize,
}

impl Loaded {
    fn fail(&mut self, diagnostic: Diagnostic) {
        self.inputs_failed += 1;
        self.diagnostics.push(diagnostic);
    }
}

/// One unit of loading work, found by walking the paths.
enum Input {
    Stdin,
    File(PathBuf),
    Chart(PathBuf),
    Kustomization(PathBuf),
    /// A path that cannot be loaded, and why.
    Unreadable(PathBuf, String),
}

/// Loads every path: files, directories (recursively), `-` for stdin, Helm chart directories
/// and Kustomize directories. Inputs are parsed in parallel; the result is in input order.
pub fn load_paths(paths: &[PathBuf], options: &LoadOptions) -> Loaded {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if path.is_dir() {
            walk_dir(path, &mut inputs);
        } else if path.exists() {
            inputs.push(Input::File(path.clone()));
        } else {
            inputs.push(Input::Unreadable(
                path.clone(),
                "no such file or directory".into(),
            ));
        }
    }
    // Renders wait on a child process (`helm`, `kubectl`): start them first so they overlap
    // with parsing the plain files instead of trailing it. Results keep the input order.
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| !matches!(inputs[i], Input::Chart(_) | Input::Kustomization(_)));
    let mut parts: Vec<(usize, Loaded)> = order
        .into_par_iter()
        .with_max_len(1)
        .map(|i| {
            let input = &inputs[i];
            let mut part = Loaded::default();
            match input {
                Input::Stdin => load_stdin(&mut part, options),
                Input::File(path) => load_file(path, &mut part, options),
                Input::Chart(dir) => load_chart(dir, &mut part, options),
                Input::Kustomization(dir) => load_kustomization(dir, &mut part, options),
                Input::Unreadable(path, why) => {
                    part.fail(Diagnostic::error(why.clone()).in_file(display(path)));
                }
            }
            (i, part)
        })
        .collect();
    parts.sort_unstable_by_key(|(i, _)| *i);
    let mut loaded = Loaded::default();
    for (_, part) in parts {
        loaded.inventory.extend(part.inventory);
        loaded.diagnostics.extend(part.diagnostics);
        loaded.inputs_read += part.inputs_read;
        loaded.inputs_failed += part.inputs_failed;
    }
    loaded
}

fn display(path: &Path) -> String {
    let text = path.to_string_lossy();
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn load_text(loaded: &mut Loaded, path: String, text: String, options: &LoadOptions) {
    let source = loaded.inventory.add_source(path, text);
    let (resources_before, diagnostics_before) =
        (loaded.inventory.resources.len(), loaded.diagnostics.len());
    load_source(
        &mut loaded.inventory,
        source,
        options.limits,
        &|_| None,
        &mut loaded.diagnostics,
    );
    // A file whose every document was broken failed as an input: a scan of nothing but such
    // files must not pass as clean.
    let nothing_loaded = loaded.inventory.resources.len() == resources_before;
    let had_errors = loaded.diagnostics[diagnostics_before..]
        .iter()
        .any(|d| d.level == DiagnosticLevel::Error);
    if nothing_loaded && had_errors {
        loaded.inputs_failed += 1;
    } else {
        loaded.inputs_read += 1;
    }
}

fn load_stdin(loaded: &mut Loaded, options: &LoadOptions) {
    let mut bytes = Vec::new();
    let limit = options.max_file_bytes;
    match std::io::stdin()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        Err(e) => loaded.fail(Diagnostic::error(format!("cannot read: {e}")).in_file("<stdin>")),
        Ok(_) if bytes.len() as u64 > limit => loaded.fail(
            Diagnostic::error(format!(
                "input is larger than the {} limit (--max-file-size)",
                human_size(limit)
            ))
            .in_file("<stdin>"),
        ),
        Ok(_) => match String::from_utf8(bytes) {
            Ok(text) => load_text(loaded, "<stdin>".into(), text, options),
            Err(_) => loaded.fail(Diagnostic::error("input is not UTF-8 text").in_file("<stdin>")),
        },
    }
}

fn load_file(path: &Path, loaded: &mut Loaded, options: &LoadOptions) {
    let shown = display(path);
    match read_limited(path, options.max_file_bytes) {
        Ok(text) => load_text(loaded, shown, text, options),
        Err(message) => loaded.fail(Diagnostic::error(message).in_file(shown)),
    }
}

fn read_limited(path: &Path, limit: u64) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    // Devices and pipes report no size and may never end (`/dev/zero`, a FIFO).
    if !metadata.is_file() {
        return Err("not a regular file; skipped".into());
    }
    let too_large = |size: u64| {
        format!(
            "file is {}, larger than the {} limit (--max-file-size); skipped",
            human_size(size),
            human_size(limit)
        )
    };
    if metadata.len() > limit {
        return Err(too_large(metadata.len()));
    }
    // Read through the limit too: the file may grow between the two looks.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}); skipped",
            e.utf8_error().valid_up_to()
        )
    })
}

fn human_size(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The inputs under a directory, in path order. Charts and Kustomize directories are rendered
/// as a whole; their files (templates, patches) are not manifests on their own.
fn walk_dir(dir: &Path, inputs: &mut Vec<Input>) {
    let rendered_kind = |path: &Path| {
        if render::is_helm_chart(path) {
            Some(Input::Chart(path.to_path_buf()))
        } else if render::kustomization_file(path).is_some() {
            Some(Input::Kustomization(path.to_path_buf()))
        } else {
            None
        }
    };
    if let Some(input) = rendered_kind(dir) {
        return inputs.push(input);
    }
    let mut walker = ignore::WalkBuilder::new(dir);
    walker
        .hidden(true)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .ignore(false)
        .parents(false)
        .add_custom_ignore_filename(".palisadeignore")
        .sort_by_file_path(|a, b| a.cmp(b));
    let mut rendered_roots: Vec<PathBuf> = Vec::new();
    for entry in walker.build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                inputs.push(Input::Unreadable(dir.to_path_buf(), e.to_string()));
                continue;
            }
        };
        let path = entry.path();
        if rendered_roots.iter().any(|root| path.starts_with(root)) {
            continue;
        }
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            if path != dir {
                if let Some(input) = rendered_kind(path) {
                    rendered_roots.push(path.to_path_buf());
                    inputs.push(input);
                }
            }
            continue;
        }
        // Symbolic links are not followed in a walk: they could lead out of the tree or to a
        // device. Named explicitly on the command line, a link is read like its target.
        if is_manifest(path) && entry.file_type().is_some_and(|t| t.is_file()) {
            inputs.push(Input::File(path.to_path_buf()));
        }
    }
}

fn rendered_source(
    loaded: &mut Loaded,
    path: String,
    text: String,
    tool: &'static str,
) -> SourceId {
    let id = loaded.inventory.add_source(path, text);
    loaded.inventory.sources[id].rendered_by = Some(tool);
    loaded.inputs_read += 1;
    id
}

fn render_failure(loaded: &mut Loaded, dir: &Path, what: &str, error: RenderError) {
    loaded.fail(Diagnostic::error(format!("cannot render {what}: {error}")).in_file(display(dir)));
}

fn load_chart(dir: &Path, loaded: &mut Loaded, options: &LoadOptions) {
    let text = match render::helm_template(dir, &options.helm) {
        Ok(text) => text,
        Err(e) => return render_failure(loaded, dir, "Helm chart", e),
    };
    let rendered = rendered_source(
        loaded,
        render::output_name(&display(dir), "helm template"),
        text,
        "helm template",
    );
    // `# Source: <chart-name>/templates/x.yaml`: the first component is the chart's name,
    // which need not match the directory's, so it is replaced by the directory.
    let mut templates: Vec<(String, SourceId)> = Vec::new();
    let inventory = &mut loaded.inventory;
    let sources_text = inventory.source(rendered).text.clone();
    for line in sources_text.lines() {
        let Some(helm_path) = line.trim().strip_prefix("# Source:").map(str::trim) else {
            continue;
        };
        if templates.iter().any(|(p, _)| p == helm_path) {
            continue;
        }
        let Some((_, inside)) = helm_path.split_once('/') else {
            continue;
        };
        let file = dir.join(inside);
        // The comment is template output: a chart could name any file. Only files inside the
        // chart are read.
        let inside_chart = match (std::fs::canonicalize(&file), std::fs::canonicalize(dir)) {
            (Ok(file), Ok(chart)) => file.starts_with(chart) && file.is_file(),
            _ => false,
        };
        if !inside_chart {
            continue;
        }
        if let Ok(template_text) = std::fs::read_to_string(&file) {
            let id = inventory.add_source(display(&file), template_text);
            templates.push((helm_path.to_string(), id));
        }
    }
    load_source(
        &mut loaded.inventory,
        rendered,
        options.limits,
        &|helm_path| {
            templates
                .iter()
                .find(|(p, _)| p == helm_path)
                .map(|(_, id)| *id)
        },
        &mut loaded.diagnostics,
    );
}

fn load_kustomization(dir: &Path, loaded: &mut Loaded, options: &LoadOptions) {
    let built = match render::kustomize_build(dir) {
        Ok(built) => built,
        Err(e) => return render_failure(loaded, dir, "Kustomize directory", e),
    };
    let rendered = rendered_source(
        loaded,
        render::output_name(&display(dir), "kustomize build"),
        built.text,
        "kustomize build",
    );
    let first_new = loaded.inventory.resources.len();
    load_source(
        &mut loaded.inventory,
        rendered,
        options.limits,
        &|_| None,
        &mut loaded.diagnostics,
    );
    // Point each object back at the file it came from, as for Helm templates.
    let mut originals: Vec<(PathBuf, SourceId)> = Vec::new();
    let mut documents_per_file: std::collections::HashMap<SourceId, u32> =
        std::collections::HashMap::new();
    for index in first_new..loaded.inventory.resources.len() {
        let resource = &loaded.inventory.resources[index];
        let Some(origin) = resource.annotation(render::ORIGIN_ANNOTATION) else {
            continue;
        };
        let Some(relative) = origin.lines().find_map(|l| l.trim().strip_prefix("path:")) else {
            continue;
        };
        let Ok(file) = std::fs::canonicalize(built.origin_root.path().join(relative.trim())) else {
            continue;
        };
        let id = match originals.iter().find(|(p, _)| *p == file) {
            Some((_, id)) => *id,
            None => match std::fs::read_to_string(&file) {
                Ok(text) => {
                    let id = loaded
                        .inventory
                        .add_source(display(&shown_path(&file)), text);
                    originals.push((file, id));
                    id
                }
                Err(_) => continue,
            },
        };
        let seen = documents_per_file.entry(id).or_insert(0);
        let origin = &mut loaded.inventory.resources[index].origin;
        origin.authored_in = Some(id);
        origin.authored_document = *seen;
        *seen += 1;
    }
}

/// A path as short as it can be shown: relative to the working directory when inside it.
fn shown_path(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}
