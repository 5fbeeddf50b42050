//! `BatchImportFindings`' limits, and findings cut into batches within them.

/// `BatchImportFindings` takes at most 100 findings…
pub const MAX_FINDINGS_PER_BATCH: usize = 100;
/// …in a request of at most 6 MB; a margin is kept for the envelope.
pub const MAX_IMPORT_BYTES: usize = 6 * 1000 * 1000 - 64 * 1024;

/// Findings (as JSON text) in the batches `BatchImportFindings` accepts.
pub fn finding_batches(findings: Vec<String>) -> Vec<Vec<String>> {
    let mut batches: Vec<Vec<String>> = Vec::new();
    let mut size = 0;
    for finding in findings {
        let finding_size = finding.len() + 1;
        let full = batches.last().is_none_or(|batch| {
            batch.len() >= MAX_FINDINGS_PER_BATCH || size + finding_size > MAX_IMPORT_BYTES
        });
        if full {
            batches.push(Vec::new());
            size = 0;
        }
        size += finding_size;
        if let Some(batch) = batches.last_mut() {
            batch.push(finding);
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_go_in_batches_of_at_most_100() {
        let findings: Vec<_> = (0..250).map(|i| format!(r#"{{"Id":{i}}}"#)).collect();
        let sizes: Vec<_> = finding_batches(findings).iter().map(Vec::len).collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert!(finding_batches(Vec::new()).is_empty());
    }

    #[test]
    fn large_findings_split_batches_by_size() {
        let big = "x".repeat(100_000);
        let findings: Vec<_> = (0..100)
            .map(|i| serde_json::json!({ "Id": i, "Description": big }).to_string())
            .collect();
        let batches = finding_batches(findings);
        assert!(batches.len() >= 2);
        for batch in &batches {
            let body = crate::aws::securityhub::batch_import_findings("https://h", "r", batch).body;
            assert!(body.len() <= 6_000_000);
        }
    }
}
