//! The JUnit XML report of a sweep, for any CI system's test report view.

use super::ConfigResult;

/// Escape text for XML attribute values and character data.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newline are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// A JUnit XML report of a sweep: one `<testcase>` per configuration (class `sweep`,
/// named after the configuration), a `<failure>` with the stage as its type, the first
/// line as its message and the whole report (TOML and replay command) as its text; the
/// configuration's TOML in `<system-out>`. `reports[i]` is the failure report of
/// `results[i]` (empty when it passed).
pub fn junit_xml(suite: &str, results: &[ConfigResult], reports: &[String]) -> String {
    let failures = results.iter().filter(|r| !r.pass()).count();
    let time: f64 = results.iter().map(|r| r.seconds).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"seedchip-sweep\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">\n",
        results.len()
    ));
    x.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" \
         time=\"{time:.3}\">\n",
        xml_escape(suite),
        results.len()
    ));
    for (i, r) in results.iter().enumerate() {
        x.push_str(&format!(
            "    <testcase classname=\"sweep\" name=\"{}\" time=\"{:.3}\">\n",
            xml_escape(&r.config.name),
            r.seconds
        ));
        if let Some(f) = &r.failure {
            let first = f.message.lines().next().unwrap_or_default();
            let body = reports.get(i).map(String::as_str).unwrap_or(&f.message);
            x.push_str(&format!(
                "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                f.stage,
                xml_escape(&format!("{}: {first}", f.stage)),
                xml_escape(body)
            ));
        }
        x.push_str(&format!("      <system-out>{}</system-out>\n", xml_escape(&r.replay_toml())));
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::{fail, random_config, CheckOptions, Stage};

    #[test]
    fn junit_has_one_testcase_per_configuration_and_escapes_the_failure() {
        let ok = ConfigResult {
            config: random_config(1, 0),
            passed: Stage::ALL.iter().map(|s| (*s, 0.2)).collect(),
            failure: None,
            seconds: 1.5,
            instructions: 10,
            cycles: 100,
            macs: 1000,
        };
        let bad = ConfigResult {
            config: random_config(1, 1),
            passed: vec![(Stage::Validate, 0.1)],
            failure: Some(fail(Stage::Lint, "%Warning-WIDTH: a <b> & \"c\"\nsecond line")),
            seconds: 0.5,
            instructions: 0,
            cycles: 0,
            macs: 0,
        };
        let opts = CheckOptions { programs: 5, ..CheckOptions::default() };
        let report = bad.failure_report("out/sweep/failures/sweep_1_1.toml", &opts);
        assert!(report.contains("FAILED at stage lint") && report.contains("[array]"), "{report}");
        assert!(report.contains("sweep --replay out/sweep/failures/sweep_1_1.toml --programs 5\n"), "{report}");
        let x = junit_xml("seed 1 shard 1/1", &[ok, bad], &[String::new(), report]);
        assert_eq!(x.matches("<testcase ").count(), 2);
        assert_eq!(x.matches("<failure ").count(), 1);
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(x.contains("name=\"sweep_1_0\"") && x.contains("name=\"sweep_1_1\""));
        assert!(x.contains("type=\"lint\" message=\"lint: %Warning-WIDTH: a &lt;b&gt; &amp; &quot;c&quot;\""), "{x}");
        assert!(!x.contains("<b>"));
    }
}
