//! SIGINT, SIGTERM and SIGHUP while `run` holds something that must be cleaned up before
//! the child exists (a login token, leases, a child token, the RAM folder): noted instead of
//! killing the process, and acted on between steps, so `run` returns
//! [`Outcome::Signal`] and every `Drop` runs before `main` dies of the signal (#14).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use signal_hook::SigId;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use crate::base::error::{Error, Result};
use crate::base::exit::Outcome;

/// The signals held back until the next check.
const HELD: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// A flag the held signals set; unarmed (the default actions apply) until [`Stop::arm`].
/// Its handlers go when it drops, so declare it before what it protects.
#[derive(Debug, Default)]
pub struct Stop {
    flag: Arc<AtomicUsize>,
    ids: Vec<SigId>,
}

impl Stop {
    /// Unarmed: nothing is installed yet (a prompt before arming still dies of Ctrl-C).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on the held signals are noted, not acted on; arming twice does nothing.
    pub fn arm(&mut self) -> Result<()> {
        if !self.ids.is_empty() {
            return Ok(());
        }
        for sig in HELD {
            let id = signal_hook::flag::register_usize(
                sig,
                Arc::clone(&self.flag),
                usize::try_from(sig).unwrap_or_default(),
            )
            .map_err(|e| Error::io("install signal handlers for", "run", e))?;
            self.ids.push(id);
        }
        Ok(())
    }

    /// The first held signal that arrived, as the outcome to return with.
    #[must_use]
    pub fn outcome(&self) -> Option<Outcome> {
        match self.flag.load(Ordering::SeqCst) {
            0 => None,
            sig => Some(Outcome::Signal(i32::try_from(sig).unwrap_or(SIGTERM))),
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
