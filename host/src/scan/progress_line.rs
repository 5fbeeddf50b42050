//! The line on a terminal's standard error that says how far a scan has come, rewritten in
//! place as the component reports, and erased before the result is printed. It is drawn only
//! on a terminal: the caller decides that.

use certwatch_contract::ScanProgress;
use std::io::Write;
use std::time::{Duration, Instant};

/// Back to the start of the line, and the line cleared.
pub const ERASE: &str = "\r\x1b[2K";
/// A scan reports after every certificate; a terminal needs far fewer redraws than that.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// The progress line on `out`.
#[derive(Debug)]
pub struct ProgressLine<W> {
    out: W,
    drawn: Option<(Instant, ScanProgress)>,
}

impl<W: Write> ProgressLine<W> {
    /// Nothing drawn yet.
    pub fn new(out: W) -> Self {
        Self { out, drawn: None }
    }

    /// Redraws the line with `progress`, at `now`: at once the first time and whenever a
    /// region is done, else at most every 100 ms.
    pub fn show(&mut self, progress: ScanProgress, now: Instant) {
        let due = match self.drawn {
            None => true,
            Some((at, last)) => {
                last.regions_done != progress.regions_done
                    || (now.duration_since(at) >= REDRAW_EVERY && last != progress)
            }
        };
        if !due {
            return;
        }
        self.drawn = Some((now, progress));
        // A terminal that went away is no reason to stop the scan.
        let _ = write!(self.out, "{ERASE}{}", text(progress));
        let _ = self.out.flush();
    }

    /// Clears the line, if one was drawn, so what is printed next starts on a clean line.
    pub fn erase(&mut self) {
        if self.drawn.take().is_some() {
            let _ = write!(self.out, "{ERASE}");
            let _ = self.out.flush();
        }
    }

    /// What was written, for tests.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// The words of the line.
pub fn text(progress: ScanProgress) -> String {
    let plural = |n: u32| if n == 1 { "" } else { "s" };
    format!(
        "scanning: {}/{} region{} done, {} certificate{} seen",
        progress.regions_done,
        progress.regions_total,
        plural(progress.regions_total),
        progress.certificates_seen,
        plural(progress.certificates_seen),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(regions_done: u32, certificates_seen: u32) -> ScanProgress {
        ScanProgress {
            regions_done,
            regions_total: 2,
            certificates_seen,
        }
    }

    #[test]
    fn redraws_in_place_at_most_every_100_ms_and_at_each_region() {
        let start = Instant::now();
        let mut line = ProgressLine::new(Vec::new());
        line.show(at(0, 0), start);
        line.show(at(0, 1), start + Duration::from_millis(10));
        line.show(at(0, 2), start + Duration::from_millis(120));
        line.show(at(1, 3), start + Duration::from_millis(130));
        line.erase();
        let written = String::from_utf8(line.into_inner()).unwrap();
        assert_eq!(
            written,
            format!(
                "{ERASE}scanning: 0/2 regions done, 0 certificates seen\
                 {ERASE}scanning: 0/2 regions done, 2 certificates seen\
                 {ERASE}scanning: 1/2 regions done, 3 certificates seen\
                 {ERASE}"
            )
        );
    }

    #[test]
    fn nothing_drawn_nothing_erased() {
        let mut line = ProgressLine::new(Vec::new());
        line.erase();
        assert!(line.into_inner().is_empty());
    }

    #[test]
    fn one_of_each_is_singular() {
        let one = ScanProgress {
            regions_done: 1,
            regions_total: 1,
            certificates_seen: 1,
        };
        assert_eq!(text(one), "scanning: 1/1 region done, 1 certificate seen");
    }
}
