//! Prometheus's text exposition format (version 0.0.4), written by hand: a family is its
//! `# HELP` and `# TYPE` lines and its samples; label values and help texts are escaped as the
//! format requires. Pure: nothing here knows what certwatch measures.

use std::fmt::Write as _;

/// The `Content-Type` of a page in this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a family's `# TYPE` line says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A count that only goes up (until the process restarts).
    Counter,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Gauge => "gauge",
            Self::Counter => "counter",
        }
    }
}

/// One metric family: a name, its help, its kind and its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    name: &'static str,
    help: &'static str,
    kind: Kind,
    samples: Vec<Sample>,
}

/// One sample of a family: its labels and its value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    labels: Vec<(&'static str, String)>,
    value: f64,
}

impl Family {
    /// A gauge family without samples yet.
    pub fn gauge(name: &'static str, help: &'static str) -> Self {
        Self::new(name, help, Kind::Gauge)
    }

    /// A counter family without samples yet; its name should end in `_total`.
    pub fn counter(name: &'static str, help: &'static str) -> Self {
        Self::new(name, help, Kind::Counter)
    }

    fn new(name: &'static str, help: &'static str, kind: Kind) -> Self {
        Self {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }

    /// Adds a sample with `labels`, in the order given.
    pub fn sample(&mut self, labels: &[(&'static str, &str)], value: f64) {
        self.samples.push(Sample {
            labels: labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            value,
        });
    }

    /// The same, with a sample without labels.
    pub fn with_value(mut self, value: f64) -> Self {
        self.sample(&[], value);
        self
    }

    /// The family's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Counter families of one value each, from `(name, help, value)`: how a part of certwatch
/// that keeps its own counts (serve's connection limits, say) adds them to the page.
pub fn counters(
    counts: impl IntoIterator<Item = (&'static str, &'static str, u64)>,
) -> impl Iterator<Item = Family> {
    counts
        .into_iter()
        .map(|(name, help, value)| Family::counter(name, help).with_value(value as f64))
}

/// The page: every family, its help and type first, in the order given.
pub fn render(families: &[Family]) -> String {
    let mut page = String::new();
    for family in families {
        // Writing to a String cannot fail.
        let _ = writeln!(page, "# HELP {} {}", family.name, escape_help(family.help));
        let _ = writeln!(page, "# TYPE {} {}", family.name, family.kind.name());
        for sample in &family.samples {
            page.push_str(family.name);
            if !sample.labels.is_empty() {
                let labels: Vec<String> = sample
                    .labels
                    .iter()
                    .map(|(name, value)| format!("{name}=\"{}\"", escape_label_value(value)))
                    .collect();
                let _ = write!(page, "{{{}}}", labels.join(","));
            }
            let _ = writeln!(page, " {}", number(sample.value));
        }
    }
    page
}

/// A label value as the format quotes it: backslash, double quote and line feed escaped.
pub fn escape_label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A help text: backslash and line feed escaped (a double quote stands as it is there).
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A value as the format writes floats: Rust's shortest round-trip form, except the
/// infinities, which Prometheus spells `+Inf` and `-Inf`.
fn number(value: f64) -> String {
    match value {
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        v if v.is_nan() => "NaN".into(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_has_help_and_type_before_its_samples() {
        let mut days = Family::gauge("x_days_left", "Days left.");
        days.sample(&[("arn", "a"), ("region", "us-east-1")], 12.0);
        days.sample(&[("arn", "b"), ("region", "eu-west-1")], -3.0);
        let page = render(&[
            days,
            Family::counter("x_errors_total", "Errors.").with_value(0.0),
        ]);
        assert_eq!(
            page,
            "# HELP x_days_left Days left.\n\
             # TYPE x_days_left gauge\n\
             x_days_left{arn=\"a\",region=\"us-east-1\"} 12\n\
             x_days_left{arn=\"b\",region=\"eu-west-1\"} -3\n\
             # HELP x_errors_total Errors.\n\
             # TYPE x_errors_total counter\n\
             x_errors_total 0\n"
        );
    }

    #[test]
    fn a_family_without_samples_still_says_what_it_is() {
        let page = render(&[Family::gauge("x_seconds", "When.")]);
        assert_eq!(page, "# HELP x_seconds When.\n# TYPE x_seconds gauge\n");
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(escape_label_value("a\\b\"c\nd é"), "a\\\\b\\\"c\\nd é");
        let mut family = Family::gauge("x", "h");
        family.sample(&[("domain", "evil\"} 1\nx 2")], 1.0);
        let page = render(&[family]);
        assert!(
            page.ends_with("x{domain=\"evil\\\"} 1\\nx 2\"} 1\n"),
            "{page}"
        );
        assert_eq!(page.lines().count(), 3, "one line a sample: {page}");
    }

    #[test]
    fn help_escapes_backslash_and_newline() {
        let page = render(&[Family::gauge("x", "one\\two\nthree \"q\"")]);
        assert!(
            page.starts_with("# HELP x one\\\\two\\nthree \"q\"\n"),
            "{page}"
        );
    }

    #[test]
    fn numbers_are_written_as_prometheus_reads_them() {
        assert_eq!(number(1_796_000_000.0), "1796000000");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn counters_from_triples_are_one_family_each() {
        let families: Vec<Family> =
            counters([("x_a_total", "A.", 3), ("x_b_total", "B.", 0)]).collect();
        assert_eq!(
            render(&families),
            "# HELP x_a_total A.\n# TYPE x_a_total counter\nx_a_total 3\n\
             # HELP x_b_total B.\n# TYPE x_b_total counter\nx_b_total 0\n"
        );
    }
}
