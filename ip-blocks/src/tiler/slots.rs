//! The placement's bookkeeping: how many DMA commands each slot (the place before an
//! execute unit) holds, and how busy the main-memory bus is during each unit.

/// Cycles the controller takes to dispatch a `mvin` or `mvout` (its window check).
const DMA_DISPATCH_CYCLES: u32 = 17;

/// What the placement has put in each slot so far.
pub(super) struct Slots {
    /// DMA commands per slot.
    used: Vec<u32>,
    /// DMA commands a slot takes: each takes about [`DMA_DISPATCH_CYCLES`] to dispatch,
    /// and the execute queue only covers a couple of units meanwhile. Slot 0 takes any
    /// number: before the first unit nothing can starve.
    budget: u32,
    /// Main-memory beats read during each slot's unit (loads fill the bus from their slot
    /// on, in order).
    beats: Vec<u64>,
    /// Beats the bus moves during one unit (one per cycle).
    capacity: u64,
}

impl Slots {
    /// Slots before `units` units of about `unit_cycles` cycles each, and after the last.
    pub(super) fn new(units: usize, unit_cycles: u32) -> Slots {
        Slots {
            used: vec![0; units + 1],
            budget: (unit_cycles / DMA_DISPATCH_CYCLES).max(1),
            beats: vec![0; units + 1],
            capacity: u64::from(unit_cycles),
        }
    }

    fn has_room(&self, s: usize) -> bool {
        s == 0 || self.used[s] < self.budget
    }

    /// True when the bus is free to read `beats` from slot `s` on, without a full slot in
    /// between, before unit `hi` starts.
    fn bus_fits(&self, s: usize, hi: usize, beats: u64) -> bool {
        if beats == 0 {
            return true;
        }
        let mut rest = beats;
        for b in &self.beats[s..hi] {
            let free = self.capacity.saturating_sub(*b);
            if free == 0 {
                return false;
            }
            rest = rest.saturating_sub(free);
            if rest == 0 {
                return true;
            }
        }
        beats == 0
    }

    /// A slot in `lo..=hi` for a DMA command reading `beats`: the first from `pref` on
    /// (from `pref` back when `early`) with a free dispatch place and room on the bus
    /// before `hi`; failing that, the nearest with a free dispatch place.
    pub(super) fn take(&mut self, pref: usize, lo: usize, hi: usize, early: bool, beats: u64) -> usize {
        let pref = pref.clamp(lo, hi);
        let order: Vec<usize> = if early {
            (lo..=pref).rev().chain(pref + 1..=hi).collect()
        } else {
            (pref..=hi).chain((lo..pref).rev()).collect()
        };
        let slot = order
            .iter()
            .copied()
            .find(|&x| self.has_room(x) && self.bus_fits(x, hi, beats))
            .or_else(|| order.iter().copied().find(|&x| self.has_room(x)))
            .unwrap_or(pref);
        self.used[slot] += 1;
        let mut rest = beats;
        for b in &mut self.beats[slot..] {
            let add = rest.min(self.capacity.saturating_sub(*b));
            *b += add;
            rest -= add;
            if rest == 0 {
                break;
            }
        }
        slot
    }
}
