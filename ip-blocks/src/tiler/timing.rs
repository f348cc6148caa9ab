//! A rough cycle estimate of a program on the controller the tiler is designed for. It
//! is not the RTL and not cycle-exact: it is the machine as the tiler's schedule assumes
//! it (see `docs/tiler.md`), so that a schedule can be judged and kept from regressing
//! without a simulator. The RTL's performance counters are the measurement.
//!
//! The machine modelled, with the figures in [`TimingParams`]:
//! - the host pushes a command every `host_cycles` cycles into a FIFO of `fifo_depth`;
//! - commands dispatch strictly in order into three queues of `queue_depth` (load:
//!   `config_ld`, `mvin`; execute: weight `preload`, `compute`, `config_ex`; store:
//!   `config_st`, bias `preload`, `mvout`); a `mvin`/`mvout` takes `dma_dispatch_cycles`
//!   to dispatch, others one cycle; a command waits at dispatch (and everything behind it)
//!   while its queue is full or while its local rows conflict (write/read, read/write,
//!   write/write) with an incomplete command of another queue; `fence` waits for all;
//! - the engine: a weight-stationary preload takes `rows` cycles into one of two weight
//!   buffers, free again `cols` cycles after the last vector of the compute that used it;
//!   a compute streams `count` vectors, one per cycle, and completes `rows + cols + 1`
//!   cycles later (the engine's latency, the multipliers' two registers included);
//!   output-stationary computes leave a gap of `rows + cols` cycles and complete `rows`
//!   cycles after the latency;
//! - the DMA: one read beat and one write beat per cycle, a row per burst, first beat
//!   `dma_latency` cycles after its request;
//! - the read-out: a requantized row takes `cols * requant_cycles` cycles (`cols` with
//!   the 32x32 requantizer, `4 * cols` with `requant_dsps = 1`, `8 * cols` with 0), a raw or scratchpad row
//!   one.

use crate::geometry::Geometry;
use crate::isa::{Instr, LocalAddr, Mode, Space};

/// The machine's figures assumed by [`estimate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimingParams {
    /// Cycles the host takes to push one command.
    pub host_cycles: u64,
    /// Commands the host may push ahead of dispatch.
    pub fifo_depth: usize,
    /// Commands each queue holds (until they complete).
    pub queue_depth: usize,
    /// Cycles to dispatch a `mvin` or `mvout` (the window check).
    pub dma_dispatch_cycles: u64,
    /// Cycles from a burst's request to its first beat (reads) or from the last beat to
    /// the write response.
    pub dma_latency: u64,
    /// Cycles the requantizer spends on one column
    /// ([`crate::blocks::accumulator::requant_cycles`]: 1, 4 with `requant_dsps = 1`, 8
    /// with `requant_dsps = 0`).
    pub requant_cycles: u64,
}

impl Default for TimingParams {
    fn default() -> Self {
        TimingParams {
            host_cycles: 4,
            fifo_depth: 8,
            queue_depth: 4,
            dma_dispatch_cycles: 17,
            dma_latency: 12,
            requant_cycles: 1,
        }
    }
}

impl TimingParams {
    /// The defaults with the requantizer of `cfg`.
    pub fn for_config(cfg: &crate::Config) -> Self {
        TimingParams {
            requant_cycles: crate::blocks::accumulator::column_cycles(cfg.accumulator.requant_dsps).into(),
            ..TimingParams::default()
        }
    }
}

/// What [`estimate`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Cycles from the first push to the last completion.
    pub cycles: u64,
    /// Cycles the engine streamed vectors (weight-stationary) or steps (output-stationary).
    pub engine_busy: u64,
    /// Cycles dispatch waited for a conflict, a full queue or a fence.
    pub dispatch_stall: u64,
}

impl Estimate {
    /// `macs / (rows * cols * cycles)`.
    pub fn utilization(&self, g: &Geometry, macs: u64) -> f64 {
        macs as f64 / (g.macs_per_cycle() as f64 * self.cycles.max(1) as f64)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Queue {
    Load,
    Exec,
    Store,
    None,
}

/// Rows `[start, end)` of the unified local space (accumulator rows after the scratchpad's).
type Range = (u64, u64);

struct Pending {
    queue: Queue,
    complete: u64,
    read: Option<Range>,
    write: Option<Range>,
}

fn overlap(a: Option<Range>, b: Option<Range>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a.0 < b.1 && b.0 < a.1)
}

/// Estimate the cycles `program` takes on a machine of geometry `g`.
pub fn estimate(g: &Geometry, program: &[Instr], p: &TimingParams) -> Estimate {
    let (rows, cols) = (u64::from(g.rows), u64::from(g.cols));
    let sp_rows = u64::from(g.sp_rows());
    let range = |l: LocalAddr, n: u64| {
        let base = if l.space == Space::Accumulator { sp_rows } else { 0 };
        Some((base + u64::from(l.row), base + u64::from(l.row) + n))
    };
    let beats = |cols: u16, eb: u32| (u64::from(cols) * u64::from(eb)).div_ceil(u64::from(g.dma_beat_bytes())).max(1);
    let mut mode = Mode::Ws;
    let mut e = Estimate::default();
    let mut pending: Vec<Pending> = Vec::new();
    let mut queue_done: [Vec<u64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut dispatch_start: Vec<u64> = Vec::new();
    let (mut push, mut dispatch_free) = (0u64, 0u64);
    // Load queue and DMA read channel.
    let (mut load_free, mut read_free) = (0u64, 0u64);
    // Engine: issue port, stream, weight buffers and their preloads.
    let (mut exec_free, mut stream_free, mut buf_free, mut next_buf) = (0u64, 0u64, [0u64; 2], 0usize);
    let mut weights_ready = 0u64;
    // Store queue: read-out and DMA write channel.
    let (mut store_free, mut write_free) = (0u64, 0u64);
    let mut last = 0u64;
    for (i, instr) in program.iter().enumerate() {
        push = (push + p.host_cycles).max(i.checked_sub(p.fifo_depth).map_or(0, |j| dispatch_start[j]));
        let (queue, read, write, cost) = match *instr {
            Instr::ConfigLd { .. } => (Queue::Load, None, None, 1),
            Instr::ConfigSt { .. } => (Queue::Store, None, None, 1),
            Instr::ConfigEx { .. } => (Queue::Exec, None, None, 1),
            Instr::Mvin { local, rows, .. } => (Queue::Load, None, range(local, rows.into()), p.dma_dispatch_cycles),
            Instr::Mvout { local, rows, .. } => (Queue::Store, range(local, rows.into()), None, p.dma_dispatch_cycles),
            Instr::Preload { local, rows } if local.space == Space::Scratchpad => {
                (Queue::Exec, range(local, rows.into()), None, 1)
            }
            Instr::Preload { local, .. } => (Queue::Store, range(local, 1), None, 1),
            Instr::Compute { a, b, c, count } => {
                let n = u64::from(count);
                match mode {
                    Mode::Ws => (Queue::Exec, range(LocalAddr::scratchpad(a), n), range(c, n), 1),
                    Mode::Os => {
                        let lo = a.min(b);
                        let hi = u64::from(a.max(b)) + n;
                        (Queue::Exec, Some((u64::from(lo), hi)), range(c, rows), 1)
                    }
                }
            }
            Instr::Fence => (Queue::None, None, None, 1),
        };
        let mut d = push.max(dispatch_free);
        let ready = d;
        if queue == Queue::None {
            d = d.max(last);
        } else {
            let done = &queue_done[queue as usize];
            if done.len() >= p.queue_depth {
                d = d.max(done[done.len() - p.queue_depth]);
            }
            for x in &pending {
                if x.queue != queue
                    && x.complete > d
                    && (overlap(write, x.read) || overlap(read, x.write) || overlap(write, x.write))
                {
                    d = d.max(x.complete);
                }
            }
        }
        e.dispatch_stall += d - ready;
        dispatch_start.push(d);
        dispatch_free = d + cost;
        let enq = d + cost;
        let complete = match *instr {
            Instr::ConfigEx { mode: m, .. } => {
                mode = m;
                exec_free = exec_free.max(enq) + 1;
                exec_free
            }
            Instr::ConfigLd { .. } => {
                load_free = load_free.max(enq) + 1;
                load_free
            }
            Instr::ConfigSt { .. } => {
                store_free = store_free.max(enq) + 1;
                store_free
            }
            Instr::Mvin { local, rows, cols, .. } => {
                let eb = if local.space == Space::Accumulator { g.acc_elem_bytes() } else { g.sp_elem_bytes() };
                let start = load_free.max(enq);
                let data = (start + p.dma_latency).max(read_free);
                read_free = data + u64::from(rows) * beats(cols, eb);
                load_free = start + u64::from(rows);
                read_free + 1
            }
            Instr::Mvout { local, rows, cols, .. } => {
                let (per_row, eb) = match local.space {
                    Space::Accumulator if !local.raw => (u64::from(cols) * p.requant_cycles, g.sp_elem_bytes()),
                    Space::Accumulator => (1, g.acc_elem_bytes()),
                    Space::Scratchpad => (1, g.sp_elem_bytes()),
                };
                let start = store_free.max(enq);
                store_free = start + u64::from(rows) * per_row;
                write_free = write_free.max(start + per_row + 1) + u64::from(rows) * beats(cols, eb);
                write_free.max(store_free + 1) + p.dma_latency
            }
            Instr::Preload { local, .. } if local.space == Space::Accumulator => {
                store_free = store_free.max(enq) + 1;
                store_free + 1
            }
            Instr::Preload { .. } => {
                let start = exec_free.max(enq).max(buf_free[next_buf]);
                weights_ready = start + rows;
                exec_free = start + 1;
                weights_ready
            }
            Instr::Compute { count, .. } => {
                let n = u64::from(count);
                e.engine_busy += n;
                match mode {
                    Mode::Ws => {
                        let start = exec_free.max(enq).max(stream_free).max(weights_ready);
                        stream_free = start + n;
                        buf_free[next_buf] = stream_free + cols;
                        next_buf ^= 1;
                        exec_free = start;
                        stream_free + rows + cols + 1
                    }
                    Mode::Os => {
                        let start = exec_free.max(enq).max(stream_free);
                        stream_free = start + n + rows + cols;
                        exec_free = start;
                        start + n + rows + cols + 1 + rows
                    }
                }
            }
            Instr::Fence => enq,
        };
        last = last.max(complete);
        if queue != Queue::None {
            queue_done[queue as usize].push(complete);
        }
        pending.retain(|x| x.complete > d);
        pending.push(Pending { queue, complete, read, write });
    }
    e.cycles = last;
    e
}
