//! A background job that runs every so often on a thread of its own until its handle is dropped (with the
//! server's state): the retention sweep and the partition job. Each run is the job's own business (its
//! transactions, its locks across replicas); this only keeps the time and the stop flag.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The handle of a running job: dropping it stops the job within one tick.
#[derive(Debug)]
pub struct Periodic {
    stop: Arc<AtomicBool>,
}

impl Drop for Periodic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// When the first run happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum First {
    /// As soon as the thread starts.
    Now,
    /// One period after the start.
    AfterOnePeriod,
}

/// How often the stop flag is looked at.
const TICK: Duration = Duration::from_millis(250);

/// Runs `job` every `every` on a thread named `name`; `None` (logged) when the thread cannot start.
pub fn spawn(name: &str, every: Duration, first: First, mut job: impl FnMut() + Send + 'static) -> Option<Periodic> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let spawned = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
        let mut waited = if first == First::Now { every } else { Duration::ZERO };
        while !flag.load(Ordering::SeqCst) {
            if waited >= every {
                waited = Duration::ZERO;
                job();
            }
            std::thread::sleep(TICK);
            waited += TICK;
        }
    });
    match spawned {
        Ok(_) => Some(Periodic { stop }),
        Err(e) => {
            log::error!("cannot start the {name} job: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn runs_at_once_or_after_a_period_and_stops_when_dropped() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let job = spawn("test-now", Duration::from_secs(3600), First::Now, move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(runs.load(Ordering::SeqCst), 1, "first run at once, the next an hour later");
        drop(job);

        let later = Arc::new(AtomicUsize::new(0));
        let counted = later.clone();
        let job = spawn("test-later", Duration::from_millis(500), First::AfterOnePeriod, move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(later.load(Ordering::SeqCst), 0, "not before one period");
        std::thread::sleep(Duration::from_millis(900));
        let seen = later.load(Ordering::SeqCst);
        assert!(seen >= 1, "ran after one period");
        drop(job);
        std::thread::sleep(Duration::from_millis(600));
        let stopped = later.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1200));
        assert_eq!(later.load(Ordering::SeqCst), stopped, "no run after the handle is dropped");
    }
}
