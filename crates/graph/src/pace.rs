//! Client-side pacing of Graph writes: one [`WritePacer`] per handler instance keeps the
//! instance's writes inside Graph's write quota instead of learning it from `429`s.
//!
//! Graph limits writes per app and tenant over a sliding window (identity and access: 3,000
//! per 2 min 30 s). The pacer keeps the same kind of log of the writes this instance made and
//! lets a write go only when the window has room, so Graph is asked at the rate it allows
//! rather than hammered and refused. What Graph says still wins: a `429` (other instances of
//! the app share its quota, or the quota configured is not the tenant's) pauses every write of
//! the instance until its `Retry-After` has passed, as Graph's throttling guidance asks.
//!
//! Two classes of write share the window. The sign-in cut (block sign-in, revoke sessions) is
//! served before clean-up whenever both wait, and clean-up leaves free the room the cuts will
//! need: while cuts are being asked for (one in the last window), the cuts' share of the
//! window — free, or taken by the cuts' own writes in it — is at least [`RESERVE_PERCENT`] %,
//! and as much as the cuts asked for over the last [`CUT_RATE_HORIZON`] would need over a
//! whole window at that rate — counting, at each eighth of the next window,
//! the writes that will have left it by then (counting none, the cuts' room was kept twice in
//! steady state: once for the cuts already in the window and once for those to come). One
//! leaver a second at Graph's quota asks for 2 cut writes a second, 300 a window: the 10 %
//! reserve. A layoff's intake asks for dozens a second, more than the window holds, so
//! clean-up stops until the burst has passed and every
//! leaver it brought is cut first; holding it that long costs the quota little, since writes
//! not made in the window are there to make when the hold ends. Once a window passes without
//! a cut, clean-up may use the whole quota.
//!
//! A write that would wait longer than the caller allows (in all, across every recheck) is not
//! sent: the caller gets the wait back and re-enqueues the step (a queue worker must not sit on
//! its claim), staggered so that deferred steps come back one quota slot apart instead of all
//! at once.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Share of the window clean-up writes leave free for sign-in cuts while cuts are asked for.
pub const RESERVE_PERCENT: u32 = 10;

/// The parts of the next window at whose start clean-up checks that the cuts to come still
/// find room ([`WritePacer`]'s `room_for_cuts`).
const ROOM_SAMPLES: u32 = 8;

/// How far back the pacer looks to see how fast sign-in cuts are being asked for (shorter
/// when the quota's window is).
pub const CUT_RATE_HORIZON: Duration = Duration::from_secs(10);

/// Writes allowed per window: what Graph enforces per app and tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteQuota {
    /// Writes per window.
    pub writes: u32,
    /// The sliding window.
    pub window: Duration,
}

impl WriteQuota {
    /// Graph's identity and access write limit: 3,000 requests per 2 min 30 s per app and
    /// tenant.
    pub const GRAPH: Self = Self {
        writes: 3_000,
        window: Duration::from_secs(150),
    };

    /// One quota slot: the window divided by the writes it allows.
    pub fn interval(&self) -> Duration {
        self.window / self.writes.max(1)
    }
}

impl Default for WriteQuota {
    fn default() -> Self {
        Self::GRAPH
    }
}

impl fmt::Display for WriteQuota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.writes, self.window.as_secs_f64())
    }
}

/// Why a quota setting could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a write quota: write WRITES/SECONDS, e.g. 3000/150")]
pub struct BadQuota(String);

impl FromStr for WriteQuota {
    type Err = BadQuota;

    /// `WRITES/SECONDS` (`3000/150`); the seconds may have a fraction.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadQuota(s.to_owned());
        let (w, secs) = s.trim().split_once('/').ok_or_else(bad)?;
        let writes: u32 = w.trim().parse().map_err(|_| bad())?;
        let secs: f64 = secs
            .trim()
            .trim_end_matches('s')
            .parse()
            .map_err(|_| bad())?;
        if writes == 0 || !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
            return Err(bad());
        }
        Ok(Self {
            writes,
            window: Duration::from_secs_f64(secs),
        })
    }
}

/// What a write does for the leaver, which decides who goes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriteClass {
    /// Cuts the leaver's sign-in (block sign-in, revoke sessions): served first.
    SignInCut,
    /// Everything after the cut (licences, groups, devices, mailbox…).
    CleanUp,
}

/// Leave to send `writes` writes now. Report how it went with [`WritePermit::sent`] or
/// [`WritePermit::throttled`]; dropped unreported, the writes count as sent.
#[must_use = "a permit holds quota until it is reported or dropped"]
pub struct WritePermit<'a> {
    pacer: &'a WritePacer,
    class: WriteClass,
    writes: u32,
    done: bool,
}

impl WritePermit<'_> {
    /// The writes reached Graph and count against its window from now.
    pub fn sent(mut self) {
        self.finish(self.writes);
    }

    /// Graph refused `refused` of the writes with `429` and `Retry-After`: they did not count,
    /// and every write waits until `retry_after` has passed.
    pub fn throttled(mut self, refused: u32, retry_after: Duration) {
        let counted = self.writes.saturating_sub(refused);
        self.finish(counted);
        self.pacer.throttled(retry_after);
    }

    fn finish(&mut self, counted: u32) {
        if self.done {
            return;
        }
        self.done = true;
        let mut st = self.pacer.lock();
        let now = Instant::now();
        st.in_flight = st.in_flight.saturating_sub(self.writes);
        for _ in 0..counted {
            // Stamped when the answer came: Graph logged the write no later than that, so the
            // pacer's copy of the window never frees a slot before Graph's does.
            st.sent.push_back(now);
            if self.class == WriteClass::SignInCut {
                st.cuts_sent.push_back(now);
            }
        }
        drop(st);
        self.pacer.notify.notify_waiters();
    }
}

impl Drop for WritePermit<'_> {
    fn drop(&mut self) {
        self.finish(self.writes);
    }
}

/// A sign-in cut's writes counted in `State::cuts_waiting` while it waits for room (none for
/// clean-up); uncounted when the wait ends or the waiting future is dropped.
struct WaitingCut<'a> {
    pacer: &'a WritePacer,
    writes: u32,
    counted: bool,
}

impl WaitingCut<'_> {
    fn count(&mut self, st: &mut State) {
        if !self.counted && self.writes > 0 {
            st.cuts_waiting = st.cuts_waiting.saturating_add(self.writes);
            self.counted = true;
        }
    }

    fn uncount(&mut self, st: &mut State) {
        if self.counted {
            st.cuts_waiting = st.cuts_waiting.saturating_sub(self.writes);
            self.counted = false;
        }
    }
}

impl Drop for WaitingCut<'_> {
    fn drop(&mut self) {
        if self.counted {
            // Dropped mid-wait: the state's lock is not held here.
            let mut st = self.pacer.lock();
            self.uncount(&mut st);
            drop(st);
            self.pacer.notify.notify_waiters();
        }
    }
}

#[derive(Debug)]
struct State {
    /// When each write of the current window was answered, oldest first.
    sent: VecDeque<Instant>,
    /// The same for the sign-in-cut writes among them.
    cuts_sent: VecDeque<Instant>,
    /// Writes sent and not yet answered.
    in_flight: u32,
    /// No write before this (a `429`'s `Retry-After`).
    paused_until: Option<Instant>,
    /// Sign-in-cut writes waiting for room.
    cuts_waiting: u32,
    /// When a sign-in cut last asked for room.
    last_cut: Option<Instant>,
    /// Sign-in-cut writes asked for over the last horizon: when, and how many.
    cut_asks: VecDeque<(Instant, u32)>,
    /// The sum of `cut_asks`' writes.
    cut_asks_writes: u64,
    /// Writes sent away to come back later whose time has not come: when, and how many.
    deferred: BinaryHeap<Reverse<(Instant, u32)>>,
    /// The sum of `deferred`'s writes.
    deferred_writes: u64,
}

/// Why a write cannot go now.
#[derive(Clone, Copy, Debug)]
struct Wait {
    /// The earliest instant it might.
    at: Instant,
    /// The room the write needs: the writes the window may hold for its class.
    limit: u64,
    /// Clean-up held back for the sign-in cuts being asked for.
    for_cuts: bool,
}

/// Paces one instance's Graph writes under the quota; share it (`Arc`) between every client
/// of the instance.
#[derive(Debug)]
pub struct WritePacer {
    quota: WriteQuota,
    state: Mutex<State>,
    notify: Notify,
}

impl WritePacer {
    /// A pacer for `quota`.
    pub fn new(quota: WriteQuota) -> Self {
        Self {
            quota,
            state: Mutex::new(State {
                sent: VecDeque::new(),
                cuts_sent: VecDeque::new(),
                in_flight: 0,
                paused_until: None,
                cuts_waiting: 0,
                last_cut: None,
                cut_asks: VecDeque::new(),
                cut_asks_writes: 0,
                deferred: BinaryHeap::new(),
                deferred_writes: 0,
            }),
            notify: Notify::new(),
        }
    }

    /// The quota it paces to.
    pub fn quota(&self) -> WriteQuota {
        self.quota
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for room for `writes` writes of `class` and returns the permit, or — when the
    /// room is more than `max_wait` away — returns at once with the time after which the
    /// caller should try again (it sent nothing).
    pub async fn acquire(
        &self,
        class: WriteClass,
        writes: u32,
        max_wait: Duration,
    ) -> Result<WritePermit<'_>, Duration> {
        let writes = writes.max(1);
        let deadline = Instant::now().checked_add(max_wait);
        if class == WriteClass::SignInCut {
            let mut st = self.lock();
            let now = Instant::now();
            st.cut_asks.push_back((now, writes));
            st.cut_asks_writes += u64::from(writes);
        }
        // A cut counted as waiting is uncounted however the wait ends, also when the caller
        // gives up on it (the inline cut's time budget drops this future mid-wait): a count
        // left behind would hold every clean-up write back for good.
        let mut waiting = WaitingCut {
            pacer: self,
            writes: if class == WriteClass::SignInCut {
                writes
            } else {
                0
            },
            counted: false,
        };
        let result = loop {
            let notified = self.notify.notified();
            let now = Instant::now();
            let free_at = {
                let mut st = self.lock();
                if class == WriteClass::SignInCut {
                    st.last_cut = Some(now);
                }
                match self.room(&mut st, class, writes, now) {
                    None => {
                        st.in_flight = st.in_flight.saturating_add(writes);
                        waiting.uncount(&mut st);
                        break Ok(());
                    }
                    Some(wait) if deadline.is_none_or(|d| wait.at > d) => {
                        waiting.uncount(&mut st);
                        let back = self.defer(&mut st, wait, writes, now);
                        break Err(back.saturating_duration_since(now));
                    }
                    Some(wait) => {
                        waiting.count(&mut st);
                        wait.at
                    }
                }
            };
            tokio::select! {
                _ = tokio::time::sleep_until(free_at) => {}
                _ = notified => {}
            }
        };
        result.map(|()| WritePermit {
            pacer: self,
            class,
            writes,
            done: false,
        })
    }

    /// Whether a clean-up write would now be held back for the sign-in cuts being asked for
    /// (a burst), and if so after how long to come back: a step that has not started yet
    /// goes back to its queue at once instead of reading what it would change and being held
    /// at its first write. Its turn is kept in the line of writes sent away.
    pub fn clean_up_held_for_cuts(&self) -> Option<Duration> {
        let mut st = self.lock();
        let now = Instant::now();
        let wait = self.room(&mut st, WriteClass::CleanUp, 1, now)?;
        if !wait.for_cuts {
            return None;
        }
        let back = self.defer(&mut st, wait, 1, now);
        Some(back.saturating_duration_since(now))
    }

    /// `None` when `writes` writes of `class` may go now, else the earliest instant they
    /// might.
    fn room(&self, st: &mut State, class: WriteClass, writes: u32, now: Instant) -> Option<Wait> {
        let window = self.quota.window;
        for log in [&mut st.sent, &mut st.cuts_sent] {
            while log
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= window)
            {
                log.pop_front();
            }
        }
        let horizon = self.horizon();
        while let Some(&(t, w)) = st.cut_asks.front() {
            if now.saturating_duration_since(t) < horizon {
                break;
            }
            st.cut_asks.pop_front();
            st.cut_asks_writes = st.cut_asks_writes.saturating_sub(u64::from(w));
        }
        let capacity = u64::from(self.quota.writes.max(1));
        let cuts_recently = st
            .last_cut
            .is_some_and(|t| now.saturating_duration_since(t) < window);
        let limit = match class {
            WriteClass::SignInCut => capacity,
            WriteClass::CleanUp if !cuts_recently => capacity,
            WriteClass::CleanUp => {
                // The reserve is the cuts' share of the window, free or already taken by cuts:
                // room kept free beside the cuts' own writes would never be used, and a window
                // that cuts and clean-up share would stay a tenth short of the quota.
                let reserve = (capacity * u64::from(RESERVE_PERCENT))
                    .div_ceil(100)
                    .saturating_sub(st.cuts_sent.len() as u64);
                capacity.saturating_sub(reserve).max(1)
            }
        };
        let (writes, limit) = (u64::from(writes), limit.max(u64::from(writes)));
        let used = st.sent.len() as u64 + u64::from(st.in_flight);
        let paused = st.paused_until.filter(|p| *p > now);
        let behind_cuts = class == WriteClass::CleanUp && st.cuts_waiting > 0;
        // Clean-up leaves the room the cuts being asked for now would need over a window.
        let projected = self.projected(st.cut_asks_writes);
        let extra = u64::from(st.in_flight) + writes;
        let room_for_cuts = (class == WriteClass::CleanUp && projected > 0)
            .then(|| self.room_for_cuts(st, extra, capacity, now));
        let ahead_of_cuts = room_for_cuts.is_some_and(|room| room < projected);
        if paused.is_none() && !behind_cuts && !ahead_of_cuts && used + writes <= limit {
            return None;
        }
        // How many of the logged writes must leave the window first. Writes in flight will be
        // logged when answered, a window before they expire.
        let mut at = self
            .left_by(st, (used + writes).saturating_sub(limit), now)
            .unwrap_or(now + window);
        if let Some(p) = paused {
            at = at.max(p);
        }
        if behind_cuts {
            // Woken when the cuts are sent; this is only the latest it waits without news.
            at = at.max(now + self.quota.interval());
        }
        if ahead_of_cuts {
            let thinned = self.cuts_slow_down(st, room_for_cuts.unwrap_or(0), now);
            // Writes leaving the window make room too, once the cuts alone fit in it.
            let expired =
                (extra + projected <= capacity).then(|| now + self.quota.window / ROOM_SAMPLES);
            at = at.max(expired.map_or(thinned, |e| e.min(thinned)));
        }
        Some(Wait {
            at,
            limit,
            for_cuts: ahead_of_cuts,
        })
    }

    /// Sends a write away and says when to come back: at its turn in the line of writes sent
    /// away before it whose time has not come, reckoned from the writes the window holds — not
    /// from a cursor that every deferral pushes further, which a step sent away again (its
    /// second write, after its first went) would push past turns nobody takes.
    fn defer(&self, st: &mut State, wait: Wait, writes: u32, now: Instant) -> Instant {
        while let Some(Reverse((t, w))) = st.deferred.peek().copied() {
            if t > now {
                break;
            }
            st.deferred.pop();
            st.deferred_writes = st.deferred_writes.saturating_sub(u64::from(w));
        }
        let place = st.deferred_writes + u64::from(writes);
        let used = st.sent.len() as u64 + u64::from(st.in_flight);
        // How many writes must leave the window before this one's turn; beyond the writes
        // logged, at the quota's rate, a window per `limit` writes.
        let leave = (used + place).saturating_sub(wait.limit);
        let turn = self.left_by(st, leave, now).unwrap_or_else(|| {
            now + self
                .quota
                .window
                .mul_f64(leave as f64 / wait.limit.max(1) as f64)
        });
        let back = wait.at.max(turn);
        st.deferred.push(Reverse((back, writes)));
        st.deferred_writes += u64::from(writes);
        back
    }

    /// When the oldest `n` writes of the window's log will have left it: now for none, `None`
    /// when the log holds fewer.
    fn left_by(&self, st: &State, n: u64, now: Instant) -> Option<Instant> {
        match usize::try_from(n) {
            Ok(0) => Some(now),
            Ok(n) if n <= st.sent.len() => Some(st.sent[n - 1] + self.quota.window),
            _ => None,
        }
    }

    /// The most cut writes per window the next window can still take if `extra` more writes
    /// go now: at the start of each of its [`ROOM_SAMPLES`] parts, the logged writes still in
    /// the window then (the older ones will have left it), the writes in flight and `extra`,
    /// and the cuts come by the end of that part at an even rate must fit in `capacity`.
    /// Counting what leaves the window is what lets clean-up use the quota while cuts come at
    /// a steady rate; a burst that asks for more than a window holds still stops it.
    fn room_for_cuts(&self, st: &State, extra: u64, capacity: u64, now: Instant) -> u64 {
        let window = self.quota.window;
        (0..ROOM_SAMPLES)
            .map(|k| {
                let at = now + window / ROOM_SAMPLES * k;
                let gone = st.sent.partition_point(|t| *t + window <= at);
                let still = (st.sent.len() - gone) as u64 + extra;
                // Cuts per window that put no more than the free room into the first k + 1
                // parts.
                capacity.saturating_sub(still) * u64::from(ROOM_SAMPLES) / u64::from(k + 1)
            })
            .min()
            .unwrap_or(0)
    }

    /// The horizon over which cut asks are counted: [`CUT_RATE_HORIZON`], or the window if
    /// that is shorter.
    fn horizon(&self) -> Duration {
        CUT_RATE_HORIZON
            .min(self.quota.window)
            .max(Duration::from_millis(1))
    }

    /// The cut writes a window would see at the rate of `asked` per horizon.
    fn projected(&self, asked: u64) -> u64 {
        let (window, horizon) = (self.quota.window.as_nanos(), self.horizon().as_nanos());
        let projected = (u128::from(asked) * window).div_ceil(horizon);
        u64::try_from(projected).unwrap_or(u64::MAX)
    }

    /// When the cut asks of the horizon will have thinned out (if no more come) so that their
    /// projection fits in `free` writes.
    fn cuts_slow_down(&self, st: &State, free: u64, now: Instant) -> Instant {
        let mut left = st.cut_asks_writes;
        for &(t, w) in &st.cut_asks {
            left = left.saturating_sub(u64::from(w));
            if self.projected(left) <= free {
                return t + self.horizon();
            }
        }
        now + self.horizon()
    }

    /// Graph answered `429` with `Retry-After`: every write of the instance waits it out.
    pub fn throttled(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        {
            let mut st = self.lock();
            st.paused_until = Some(st.paused_until.map_or(until, |p| p.max(until)));
        }
        self.notify.notify_waiters();
    }
}

#[cfg(test)]
mod tests;
