//! Replay fixtures: one folder per case under `events/`.
//!
//! - `event.json`: the EventBridge event, as EventBridge delivers it.
//! - `replay.json`: the pinned "now", the environment, and the recorded HTTP exchanges.
//! - `outcome.json`: the outcome the event must end in.

use crate::outcome::Outcome;
use anyhow::Context as _;
use std::path::{Path, PathBuf};

pub use certwatch_contract::fixture::{
    EVENT_FILE, Exchange, OUTCOME_FILE, REPLAY_FILE, RecordedRequest, RecordedResponse, Replay,
};

/// One replay case: its folder's three files, read.
pub struct Fixture {
    /// The case's folder, e.g. `events/in-window`.
    pub dir: PathBuf,
    /// `event.json`'s text, as EventBridge delivers it.
    pub event: String,
    /// `replay.json`: the pinned "now", the environment, and the recorded exchanges.
    pub replay: Replay,
    /// `outcome.json`: the outcome the event must end in; `None` until one is blessed.
    pub outcome: Option<Outcome>,
}

impl Fixture {
    /// Reads the case in `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        };
        let event = read(EVENT_FILE)?;
        let replay: Replay = serde_json::from_str(&read(REPLAY_FILE)?)
            .with_context(|| format!("parsing {}", dir.join(REPLAY_FILE).display()))?;
        let outcome_path = dir.join(OUTCOME_FILE);
        let outcome = if outcome_path.exists() {
            Some(
                serde_json::from_str(&read(OUTCOME_FILE)?)
                    .with_context(|| format!("parsing {}", outcome_path.display()))?,
            )
        } else {
            None
        };
        Ok(Self {
            dir: dir.to_owned(),
            event,
            replay,
            outcome,
        })
    }

    /// The case's name in reports: its folder.
    pub fn name(&self) -> String {
        self.dir.display().to_string()
    }

    /// Writes the case's files into its folder, creating it if needed.
    pub fn save(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let write = |name: &str, text: String| {
            let path = self.dir.join(name);
            std::fs::write(&path, text + "\n")
                .with_context(|| format!("writing {}", path.display()))
        };
        write(EVENT_FILE, self.event.trim_end().to_owned())?;
        write(REPLAY_FILE, serde_json::to_string_pretty(&self.replay)?)?;
        if let Some(outcome) = &self.outcome {
            write(OUTCOME_FILE, crate::outcome::to_json(outcome))?;
        }
        Ok(())
    }

    /// Every fixture folder below `path` (or `path` itself), sorted.
    pub fn discover(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
        if path.join(REPLAY_FILE).exists() {
            return Ok(vec![path.to_owned()]);
        }
        let mut found = Vec::new();
        let entries =
            std::fs::read_dir(path).with_context(|| format!("reading {}", path.display()))?;
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                found.extend(Self::discover(&entry.path())?);
            }
        }
        found.sort();
        Ok(found)
    }
}

/// A readable, stable rendering of `request` for diffs: JSON bodies pretty-printed, form bodies
/// one field a line.
pub fn render(request: &RecordedRequest) -> String {
    let mut out = format!("{} {}\n", request.method, request.url);
    for (name, value) in &request.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    out.push_str(&render_body(&request.body));
    out
}

fn render_body(body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
        return serde_json::to_string_pretty(&value).unwrap_or_else(|_| body.to_owned()) + "\n";
    }
    if !body.is_empty() && body.contains('=') && !body.contains(char::is_whitespace) {
        // Form fields one a line, decoded; continuation lines of a value indented.
        return body
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let value = value.replace('+', " ");
                let value = percent_encoding::percent_decode_str(&value).decode_utf8_lossy();
                format!("{name}={}\n", value.replace('\n', "\n    "))
            })
            .collect();
    }
    format!("{body}\n")
}

/// A unified diff of two texts, for people.
pub fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}
