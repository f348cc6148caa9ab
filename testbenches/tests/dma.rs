//! The DMA against an independent Rust computation, on the IR interpreter and on
//! Verilator: random load and store commands (any byte alignment, strides of every kind
//! including backwards and rows crossing 4 KB boundaries, 1 to R bytes, 1 to 20 rows)
//! run concurrently through [`AxiMemory`] with random latencies and backpressure, while
//! the bench plays the local memories (random `lw_ready_i`, local read responses after
//! random delays). Every local write, every local read request and every main-memory
//! byte is checked, and nothing outside the stored bytes may change; the AXI4 protocol
//! is checked by the memory model; the throughput of single-beat rows is measured.

use ip_blocks::blocks::dma::{self, DmaSizes};
use ip_blocks::geometry::Geometry;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rtl_gen::sim::{Interp, PortId, Simulator};
use rtl_gen::{Bits, Design};
use std::collections::VecDeque;
use testbenches::axi::{bits_to_bytes, bytes_to_bits, AxiConfig, AxiMemory};
use testbenches::lockstep::run_lockstep;

/// A geometry with 64 local rows (`LB` = 6) and the given DMA and row sizes.
fn geometry(data_bits: u32, outstanding: u32, rows: u32, cols: u32, input_bits: u32, acc_bits: u32) -> Geometry {
    Geometry {
        rows,
        cols,
        input_bits,
        acc_bits,
        sp_banks: 1,
        sp_rows_per_bank: 64,
        acc_rows: 64,
        dma_data_bits: data_bits,
        dma_outstanding: outstanding,
        counter_bits: 64,
    }
}

/// 32-bit bus, R = 16 (a 4x4 int32 accumulator row), 4 bursts in flight.
fn w32() -> Geometry {
    geometry(32, 4, 4, 4, 8, 32)
}

/// 64-bit bus, R = 32, 16 bursts in flight.
fn w64() -> Geometry {
    geometry(64, 16, 4, 8, 8, 32)
}

/// 128-bit bus, R = 24 (3 columns of 40-bit accumulators, 8 bytes each): rows that are
/// not a whole number of beats; 2 bursts in flight.
fn w128() -> Geometry {
    geometry(128, 2, 5, 3, 12, 40)
}

/// 256-bit bus, R = 8: a row is smaller than a beat; one burst in flight.
fn w256() -> Geometry {
    geometry(256, 1, 2, 2, 8, 32)
}

/// The compact engines (`dma_outstanding` = 1): 32-bit bus, R = 16 (the iCE40's 4x4
/// int32 accumulator row).
fn c32() -> Geometry {
    geometry(32, 1, 4, 4, 8, 32)
}

/// The compact engines on a 32-bit bus with 8x8 int8 scratchpad rows (8 bytes, more
/// than a beat): whole-row local writes, not chunk by chunk; R = 32.
fn c32_wide() -> Geometry {
    geometry(32, 1, 8, 8, 8, 32)
}

/// The compact engines on a 64-bit bus, R = 32.
fn c64() -> Geometry {
    geometry(64, 1, 4, 8, 8, 32)
}

/// The compact engines on a 128-bit bus, R = 24: rows that are not a whole number of
/// beats.
fn c128() -> Geometry {
    geometry(128, 1, 5, 3, 12, 40)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Interp,
    Verilator,
}

fn simulator(g: &Geometry, engine: Engine) -> Box<dyn Simulator> {
    simulator_sized(DmaSizes::of(g), engine)
}

/// [`simulator`] with sizes other than [`DmaSizes::of`]'s (the forms the configuration
/// keys choose).
fn simulator_sized(s: DmaSizes, engine: Engine) -> Box<dyn Simulator> {
    let mut d = Design::new();
    let top = dma::build_sized(&mut d, "sc", s).unwrap_or_else(|e| panic!("{e}"));
    match engine {
        Engine::Interp => Box::new(Interp::new(&d, top).expect("interpreter")),
        Engine::Verilator => Box::new(testbenches::verilate(&d, top).unwrap_or_else(|e| panic!("{e}")).instantiate()),
    }
}

/// A load or store command.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Cmd {
    dram: u32,
    stride: u32,
    rows: u32,
    bytes: u32,
    acc: bool,
    /// `accumulate` for a load, `raw` for a store.
    flag: bool,
    row: u32,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Cmd { dram, stride, rows, bytes, acc, flag, row } = self;
        let stride = *stride as i32;
        write!(f, "{{dram {dram:#x} stride {stride} rows {rows} bytes {bytes} acc {acc} flag {flag} row {row}}}")
    }
}

impl Cmd {
    fn addr(&self, r: u32) -> u32 {
        self.dram.wrapping_add(r.wrapping_mul(self.stride))
    }
}

/// (bursts, beats) of a row of `bytes` at `addr` on a bus of `b` bytes: one INCR burst
/// from the aligned-down address, two where the row crosses a 4 KB boundary.
fn row_traffic(addr: u32, bytes: u32, b: u32) -> (u64, u64) {
    let first = u64::from(addr & !(b - 1));
    let end = u64::from(addr) + u64::from(bytes);
    let beats = (end - first).div_ceil(u64::from(b));
    let bursts = if u64::from(addr % 4096) + u64::from(bytes) > 4096 { 2 } else { 1 };
    (bursts, beats)
}

/// The (formatted) contents of a local row, as the controller would return them.
fn local_row(salt: u64, acc: bool, raw: bool, row: u32, len: u32) -> Vec<u8> {
    let key = salt ^ (u64::from(row) << 8) ^ (u64::from(acc) << 40) ^ (u64::from(raw) << 41);
    (0..u64::from(len))
        .map(|i| {
            let mut z = key.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

/// Probabilities and delays of the bench's side of the local interfaces.
#[derive(Clone, Copy, Debug)]
struct Knobs {
    /// A waiting command is offered in a cycle.
    cmd_valid: f64,
    /// `lw_ready_i` is high.
    lw_ready: f64,
    /// `lr_ready_i` is high.
    lr_ready: f64,
    /// Cycles from a local read request to its response: (min, max), min at least 1.
    lrd_delay: (u64, u64),
}

const CALM: Knobs = Knobs { cmd_valid: 1.0, lw_ready: 1.0, lr_ready: 1.0, lrd_delay: (1, 1) };
impl Knobs {
    /// Random willingness (30% to 100%) and local read delays: short, mixed, or long
    /// enough that the store's row credits run out.
    fn random(rng: &mut ChaCha8Rng) -> Knobs {
        Knobs {
            cmd_valid: rng.gen_range(0.3..=1.0),
            lw_ready: rng.gen_range(0.3..=1.0),
            lr_ready: rng.gen_range(0.3..=1.0),
            lrd_delay: [(1, 1), (1, 7), (6, 12)][rng.gen_range(0..3)],
        }
    }
}

struct Ports {
    ld: [PortId; 8],
    ld_valid: PortId,
    ld_ready: PortId,
    ld_done: PortId,
    st: [PortId; 8],
    st_valid: PortId,
    st_ready: PortId,
    st_done: PortId,
    lw_valid: PortId,
    lw_ready: PortId,
    lw_payload: [PortId; 5],
    lr_valid: PortId,
    lr_ready: PortId,
    lr_payload: [PortId; 3],
    lrd_valid: PortId,
    lrd_ready: PortId,
    lrd_data: PortId,
    ld_bytes_done: PortId,
    st_bytes_done: PortId,
    resp_error: PortId,
    idle: PortId,
}

impl Ports {
    fn new(sim: &dyn Simulator) -> Self {
        let p = |n: &str| sim.port(n).unwrap_or_else(|e| panic!("{e}"));
        let cmd = |d: &str| {
            ["dram", "stride", "rows", "bytes", "acc", if d == "ld" { "accumulate" } else { "raw" }, "row", "valid"]
                .map(|f| p(&format!("{d}_{f}_i")))
        };
        Ports {
            ld: cmd("ld"),
            ld_valid: p("ld_valid_i"),
            ld_ready: p("ld_ready_o"),
            ld_done: p("ld_done_o"),
            st: cmd("st"),
            st_valid: p("st_valid_i"),
            st_ready: p("st_ready_o"),
            st_done: p("st_done_o"),
            lw_valid: p("lw_valid_o"),
            lw_ready: p("lw_ready_i"),
            lw_payload: ["lw_row_o", "lw_acc_o", "lw_accumulate_o", "lw_data_o", "lw_chunks_o"].map(p),
            lr_valid: p("lr_valid_o"),
            lr_ready: p("lr_ready_i"),
            lr_payload: ["lr_row_o", "lr_acc_o", "lr_raw_o"].map(p),
            lrd_valid: p("lrd_valid_i"),
            lrd_ready: p("lrd_ready_o"),
            lrd_data: p("lrd_data_i"),
            ld_bytes_done: p("ld_bytes_done_o"),
            st_bytes_done: p("st_bytes_done_o"),
            resp_error: p("resp_error_o"),
            idle: p("idle_o"),
        }
    }
}

/// One local write the DMA must make.
#[derive(Clone)]
struct LocalWrite {
    cmd: usize,
    row: u32,
    acc: bool,
    accumulate: bool,
    bytes: u32,
    data: Vec<u8>,
}

/// What the DMA must do in total, and what it did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Totals {
    ar_bursts: u64,
    r_beats: u64,
    aw_bursts: u64,
    w_beats: u64,
    ld_bytes: u64,
    st_bytes: u64,
}

/// Drives the DMA's command and local interfaces cycle by cycle around an [`AxiMemory`]
/// and checks everything against the commands' meaning.
struct Bench {
    sim: Box<dyn Simulator>,
    s: DmaSizes,
    mem: AxiMemory,
    rng: ChaCha8Rng,
    knobs: Knobs,
    salt: u64,
    p: Ports,
    /// Compare main memory with `expected` at the end (off where error responses drop writes).
    check_image: bool,
    loads: VecDeque<Cmd>,
    stores: VecDeque<Cmd>,
    ld_offer: bool,
    st_offer: bool,
    lw_expected: VecDeque<LocalWrite>,
    /// Accepted loads not done yet: (index, rows not yet written).
    ld_open: VecDeque<(usize, u32)>,
    /// Accepted stores not done yet: (index, B responses due up to and including it).
    st_open: VecDeque<(usize, u64)>,
    lr_expected: VecDeque<(usize, u32, bool, bool)>,
    lrd_queue: VecDeque<(u64, Vec<u8>)>,
    lw_held: Option<Vec<Bits>>,
    /// Chunks of the oldest expected local write already written (chunk writes).
    lw_chunks_done: u32,
    lr_held: Option<Vec<Bits>>,
    ld_count: usize,
    st_count: usize,
    st_bursts: u64,
    expected: Vec<u8>,
    /// The store and row that last wrote each byte of `expected`.
    writer: Vec<Option<(usize, u32)>>,
    want: Totals,
    seen: Totals,
    /// (accept cycle, done cycle) of each load and each store.
    ld_times: Vec<(u64, Option<u64>)>,
    st_times: Vec<(u64, Option<u64>)>,
}

/// Where main memory's image starts, unless a test moves it.
const BASE: u32 = 0x4321_0000;
const IMAGE: u32 = 0x1_0000;
/// Loads read the lower half of the image, stores write the upper half.
const LOAD_REGION: (u32, u32) = (BASE, BASE + IMAGE / 2);
const STORE_REGION: (u32, u32) = (BASE + IMAGE / 2, BASE + IMAGE);

/// The load and store regions of an image at `base` (modulo 2^32).
fn regions(base: u32) -> [(u32, u32); 2] {
    let half = base.wrapping_add(IMAGE / 2);
    [(base, half), (half, base.wrapping_add(IMAGE))]
}

impl Bench {
    fn new(g: &Geometry, engine: Engine, axi: AxiConfig, knobs: Knobs, seed: u64) -> Bench {
        Bench::new_at(g, engine, axi, knobs, seed, BASE)
    }

    /// A bench whose image starts at `base` (it may wrap around the top of the address
    /// space).
    fn new_at(g: &Geometry, engine: Engine, axi: AxiConfig, knobs: Knobs, seed: u64, base: u32) -> Bench {
        Bench::new_sized(DmaSizes::of(g), engine, axi, knobs, seed, base)
    }

    /// A bench of the DMA with sizes `s`.
    fn new_sized(s: DmaSizes, engine: Engine, axi: AxiConfig, knobs: Knobs, seed: u64, base: u32) -> Bench {
        let mut sim = simulator_sized(s, engine);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let image: Vec<u8> = (0..IMAGE).map(|_| rng.gen()).collect();
        let mem = AxiMemory::new(&*sim, "m_axi_", base, image.clone(), axi).unwrap_or_else(|e| panic!("{e}"));
        let p = Ports::new(&*sim);
        for port in [p.ld_valid, p.st_valid, p.lw_ready, p.lr_ready, p.lrd_valid] {
            sim.poke(port, &Bits::from_u64(0, 1)).expect("an input");
        }
        sim.reset(2);
        Bench {
            sim,
            s,
            mem,
            knobs,
            salt: rng.gen(),
            rng,
            p,
            check_image: true,
            loads: VecDeque::new(),
            stores: VecDeque::new(),
            ld_offer: false,
            st_offer: false,
            lw_expected: VecDeque::new(),
            ld_open: VecDeque::new(),
            st_open: VecDeque::new(),
            lr_expected: VecDeque::new(),
            lrd_queue: VecDeque::new(),
            lw_held: None,
            lw_chunks_done: 0,
            lr_held: None,
            ld_count: 0,
            st_count: 0,
            st_bursts: 0,
            expected: image,
            writer: vec![None; IMAGE as usize],
            want: Totals::default(),
            seen: Totals::default(),
            ld_times: Vec::new(),
            st_times: Vec::new(),
        }
    }

    fn set(&mut self, port: PortId, value: u64) {
        let width = self.sim.ports()[port.0].width;
        self.sim.poke(port, &Bits::from_u64(value, width)).expect("an input");
    }

    fn get(&mut self, port: PortId) -> u64 {
        self.sim.peek(port).to_u64()
    }

    fn fail(&self, signal: &str, expected: impl std::fmt::Display, got: impl std::fmt::Display) -> String {
        format!("cycle {}: `{signal}`: expected {expected}, got {got}", self.sim.cycle())
    }

    fn busy(&self) -> bool {
        !(self.loads.is_empty()
            && self.stores.is_empty()
            && self.ld_open.is_empty()
            && self.st_open.is_empty()
            && self.lw_expected.is_empty()
            && self.lr_expected.is_empty()
            && self.lrd_queue.is_empty())
    }

    fn drive_cmd(&mut self, store: bool) {
        let (queue, offer, ports) = if store {
            (&self.stores, &mut self.st_offer, self.p.st)
        } else {
            (&self.loads, &mut self.ld_offer, self.p.ld)
        };
        let front = queue.front().copied();
        if !*offer && front.is_some() && self.rng.gen_bool(self.knobs.cmd_valid) {
            *offer = true;
        }
        let offer = *offer;
        if let Some(c) = front {
            let values = [c.dram, c.stride, c.rows, c.bytes, c.acc.into(), c.flag.into(), c.row];
            for (port, v) in ports.iter().zip(values) {
                self.set(*port, v.into());
            }
        }
        self.set(ports[7], offer.into());
    }

    fn accept_load(&mut self, c: Cmd) {
        let (r_bytes, b) = (self.s.row_bytes, self.s.beat_bytes);
        let index = self.ld_count;
        self.ld_count += 1;
        for r in 0..c.rows {
            let addr = c.addr(r);
            let mut data = self.mem.read(addr, c.bytes).to_vec();
            data.resize(r_bytes as usize, 0);
            let row = c.row + r;
            self.lw_expected.push_back(LocalWrite {
                cmd: index,
                row,
                acc: c.acc,
                accumulate: c.flag,
                bytes: c.bytes,
                data,
            });
            let (bursts, beats) = row_traffic(addr, c.bytes, b);
            self.want.ar_bursts += bursts;
            self.want.r_beats += beats;
            self.want.ld_bytes += u64::from(c.bytes);
        }
        self.ld_open.push_back((index, c.rows));
        self.ld_times.push((self.sim.cycle(), None));
    }

    fn accept_store(&mut self, c: Cmd) {
        let (r_bytes, b) = (self.s.row_bytes, self.s.beat_bytes);
        let index = self.st_count;
        self.st_count += 1;
        for r in 0..c.rows {
            let addr = c.addr(r);
            let row = c.row + r;
            self.lr_expected.push_back((index, row, c.acc, c.flag));
            let data = local_row(self.salt, c.acc, c.flag, row, r_bytes);
            let at = addr.wrapping_sub(self.mem.base) as usize;
            self.expected[at..at + c.bytes as usize].copy_from_slice(&data[..c.bytes as usize]);
            self.writer[at..at + c.bytes as usize].fill(Some((index, r)));
            let (bursts, beats) = row_traffic(addr, c.bytes, b);
            self.want.aw_bursts += bursts;
            self.want.w_beats += beats;
            self.want.st_bytes += u64::from(c.bytes);
            self.st_bursts += bursts;
        }
        self.st_open.push_back((index, self.st_bursts));
        self.st_times.push((self.sim.cycle(), None));
    }

    /// One clock cycle of every agent, then the edge.
    fn cycle(&mut self) -> Result<(), String> {
        let now = self.sim.cycle();
        self.mem.drive(&mut *self.sim);
        self.drive_cmd(false);
        self.drive_cmd(true);
        let lw_ready = self.rng.gen_bool(self.knobs.lw_ready);
        let lr_ready = self.rng.gen_bool(self.knobs.lr_ready);
        self.set(self.p.lw_ready, lw_ready.into());
        self.set(self.p.lr_ready, lr_ready.into());
        // The responder offers the oldest due response and holds it until lrd_ready_o
        // takes it (as the controller does).
        let offer = self.lrd_queue.front().is_some_and(|(due, _)| *due <= now);
        self.set(self.p.lrd_valid, offer.into());
        let lrd_data = match self.lrd_queue.front().filter(|_| offer) {
            Some((_, data)) => bytes_to_bits(data, 8 * self.s.row_bytes),
            None => Bits::zero(8 * self.s.row_bytes),
        };
        self.sim.poke(self.p.lrd_data, &lrd_data).expect("an input");
        let send = offer && self.get(self.p.lrd_ready) == 1;

        // Completion pulses, then idle_o.
        if self.get(self.p.ld_done) == 1 {
            match self.ld_open.front().copied() {
                Some((index, 0)) => {
                    self.ld_open.pop_front();
                    self.ld_times[index].1 = Some(now);
                }
                Some((index, left)) => {
                    return Err(self.fail("ld_done_o", format!("0 (load {index} has {left} rows to write)"), 1))
                }
                None => return Err(self.fail("ld_done_o", "0 (no load in progress)", 1)),
            }
        }
        if self.get(self.p.st_done) == 1 {
            let responses = self.mem.stats.b_responses;
            match self.st_open.front().copied() {
                Some((index, due)) if responses >= due => {
                    self.st_open.pop_front();
                    self.st_times[index].1 = Some(now);
                }
                Some((index, due)) => {
                    return Err(self.fail(
                        "st_done_o",
                        format!("0 (store {index} is done after B response {due}, {responses} so far)"),
                        1,
                    ))
                }
                None => return Err(self.fail("st_done_o", "0 (no store in progress)", 1)),
            }
        }
        if self.get(self.p.idle) == 1 && !(self.ld_open.is_empty() && self.st_open.is_empty()) {
            let open = format!("0 ({} loads and {} stores not done)", self.ld_open.len(), self.st_open.len());
            return Err(self.fail("idle_o", open, 1));
        }

        // Commands taken in this cycle.
        if self.ld_offer && self.get(self.p.ld_ready) == 1 {
            let c = self.loads.pop_front().expect("an offered load");
            self.ld_offer = false;
            self.accept_load(c);
        }
        if self.st_offer && self.get(self.p.st_ready) == 1 {
            let c = self.stores.pop_front().expect("an offered store");
            self.st_offer = false;
            self.accept_store(c);
        }

        self.check_local_write(lw_ready)?;
        self.check_local_read(now, lr_ready)?;
        if send {
            self.lrd_queue.pop_front();
        }
        let st_bytes = self.get(self.p.st_bytes_done);
        if st_bytes > u64::from(self.s.row_bytes) {
            return Err(self.fail("st_bytes_done_o", format!("0 to {}", self.s.row_bytes), st_bytes));
        }
        self.seen.st_bytes += st_bytes;
        self.mem.sample(&mut *self.sim).map_err(|e| e.to_string())?;
        self.sim.step();
        Ok(())
    }

    fn check_local_write(&mut self, lw_ready: bool) -> Result<(), String> {
        let valid = self.get(self.p.lw_valid) == 1;
        if valid && self.s.chunk_writes && self.s.write_ready_registered {
            // The chunk register is full: no R beat may be taken, whatever `lw_ready_i` is.
            let r_ready = self.sim.port("m_axi_rready_o").map_err(|e| e.to_string())?;
            let r_ready = self.get(r_ready);
            if r_ready != 0 {
                return Err(self.fail("m_axi_rready_o", "0 while lw_valid_o (write_ready_registered)", r_ready));
            }
        }
        let payload: Vec<Bits> = self.p.lw_payload.iter().map(|p| self.sim.peek(*p)).collect();
        if let Some(held) = self.lw_held.take() {
            if !valid {
                return Err(self.fail("lw_valid_o", "1 (held until lw_ready_i)", 0));
            }
            if held != payload {
                return Err(self.fail(
                    "lw_* payload",
                    format!("{held:?} (stable until taken)"),
                    format!("{payload:?}"),
                ));
            }
        }
        let bytes_done = self.get(self.p.ld_bytes_done);
        if !(valid && lw_ready) {
            if bytes_done != 0 {
                return Err(self.fail("ld_bytes_done_o", "0 (no local write in this cycle)", bytes_done));
            }
            if valid {
                self.lw_held = Some(payload);
            }
            return Ok(());
        }
        let Some(w) = self.lw_expected.front().cloned() else {
            return Err(self.fail("lw_valid_o", "0 (every load row already written)", 1));
        };
        let what = format!("local write of load {} row {}", w.cmd, w.row);
        let got = (payload[0].to_u64(), payload[1].to_u64() == 1, payload[2].to_u64() == 1);
        if got != (u64::from(w.row), w.acc, w.accumulate) {
            return Err(self.fail(
                "lw_row_o, lw_acc_o, lw_accumulate_o",
                format!("{:?} ({what})", (w.row, w.acc, w.accumulate)),
                format!("{got:?}"),
            ));
        }
        let data = bits_to_bytes(&payload[3], self.s.row_bytes);
        // The bytes this write carries: the whole row, or (chunk writes) the next chunk.
        let (b, chunks) = (self.s.beat_bytes, self.s.chunks());
        let mask = payload[4].to_u64();
        let (span, last) = if mask == (1 << chunks) - 1 {
            (0..data.len(), true)
        } else {
            let c = self.lw_chunks_done;
            if mask != 1 << c {
                return Err(self.fail("lw_chunks_o", format!("{:#x} ({what}: chunk {c})", 1u64 << c), mask));
            }
            let end = ((c + 1) * b).min(self.s.row_bytes);
            ((c * b) as usize..end as usize, end >= w.bytes)
        };
        if let Some(i) = span.clone().find(|i| data[*i] != w.data[*i]) {
            return Err(self.fail(
                &format!("lw_data_o byte {i}"),
                format!("{:#04x} ({what}, {} bytes)", w.data[i], w.bytes),
                format!("{:#04x}", data[i]),
            ));
        }
        if !last {
            if bytes_done != 0 {
                return Err(self.fail("ld_bytes_done_o", format!("0 ({what}: not its last chunk)"), bytes_done));
            }
            self.lw_chunks_done += 1;
            return Ok(());
        }
        self.lw_chunks_done = 0;
        self.lw_expected.pop_front();
        if bytes_done != u64::from(w.bytes) {
            return Err(self.fail("ld_bytes_done_o", format!("{} ({what})", w.bytes), bytes_done));
        }
        self.seen.ld_bytes += bytes_done;
        let open = self.ld_open.iter_mut().find(|(i, _)| *i == w.cmd).expect("the row's load is open");
        open.1 -= 1;
        Ok(())
    }

    fn check_local_read(&mut self, now: u64, lr_ready: bool) -> Result<(), String> {
        let valid = self.get(self.p.lr_valid) == 1;
        let payload: Vec<Bits> = self.p.lr_payload.iter().map(|p| self.sim.peek(*p)).collect();
        if let Some(held) = self.lr_held.take() {
            if !valid {
                return Err(self.fail("lr_valid_o", "1 (held until lr_ready_i)", 0));
            }
            if held != payload {
                return Err(self.fail(
                    "lr_* payload",
                    format!("{held:?} (stable until taken)"),
                    format!("{payload:?}"),
                ));
            }
        }
        if !(valid && lr_ready) {
            if valid {
                self.lr_held = Some(payload);
            }
            return Ok(());
        }
        let Some((index, row, acc, raw)) = self.lr_expected.pop_front() else {
            return Err(self.fail("lr_valid_o", "0 (every store row already requested)", 1));
        };
        let got = (payload[0].to_u64(), payload[1].to_u64() == 1, payload[2].to_u64() == 1);
        if got != (u64::from(row), acc, raw) {
            return Err(self.fail(
                "lr_row_o, lr_acc_o, lr_raw_o",
                format!("{:?} (store {index})", (row, acc, raw)),
                format!("{got:?}"),
            ));
        }
        let (lo, hi) = self.knobs.lrd_delay;
        let after = self.lrd_queue.back().map_or(0, |(due, _)| *due);
        let due = (now + self.rng.gen_range(lo..=hi)).max(after);
        self.lrd_queue.push_back((due, local_row(self.salt, acc, raw, row, self.s.row_bytes)));
        Ok(())
    }

    /// Run until every queued command is done, then check idle_o, main memory and the
    /// traffic counts.
    fn finish(&mut self, limit: u64) -> Result<(), String> {
        let start = self.sim.cycle();
        while self.busy() {
            if self.sim.cycle() - start > limit {
                return Err(format!(
                    "cycle {}: still busy after {limit} cycles: {} loads and {} stores queued, {} loads and {} \
                     stores open, {} local writes and {} local reads expected; {:?}",
                    self.sim.cycle(),
                    self.loads.len(),
                    self.stores.len(),
                    self.ld_open.len(),
                    self.st_open.len(),
                    self.lw_expected.len(),
                    self.lr_expected.len(),
                    self.mem.stats
                ));
            }
            self.cycle()?;
        }
        for _ in 0..2 {
            self.cycle()?;
        }
        let idle = self.get(self.p.idle);
        if idle != 1 || !self.mem.idle() {
            return Err(self.fail("idle_o", "1 with the memory idle (every command done)", idle));
        }
        if self.check_image {
            if let Some(i) = (0..self.expected.len()).find(|i| self.expected[*i] != self.mem.bytes[*i]) {
                let addr = self.mem.base.wrapping_add(i as u32);
                let source = match self.writer[i] {
                    Some((store, row)) => format!("row {row} of store {store}"),
                    None => "the initial image: no store writes it".into(),
                };
                return Err(self.fail(
                    &format!("main memory byte {addr:#x}"),
                    format!("{:#04x} (from {source})", self.expected[i]),
                    format!("{:#04x}", self.mem.bytes[i]),
                ));
            }
            let st = &self.mem.stats;
            self.seen.ar_bursts = st.ar_bursts;
            self.seen.r_beats = st.r_beats;
            self.seen.aw_bursts = st.aw_bursts;
            self.seen.w_beats = st.w_beats;
            if self.seen != self.want || st.b_responses != st.aw_bursts {
                return Err(self.fail("traffic", format!("{:?}", self.want), format!("{:?}, {st:?}", self.seen)));
            }
            if self.get(self.p.resp_error) != 0 {
                return Err(self.fail("resp_error_o", 0, 1));
            }
        }
        Ok(())
    }

    /// Run `loads` and `stores` to completion, then check `resp_error_o`.
    fn run_expecting_error(&mut self, loads: &[Cmd], stores: &[Cmd], error: bool) {
        self.loads.extend(loads);
        self.stores.extend(stores);
        self.finish(2000).unwrap_or_else(|e| panic!("{e}"));
        let got = self.get(self.p.resp_error);
        assert_eq!(got, u64::from(error), "cycle {}: `resp_error_o` after {loads:?} {stores:?}", self.sim.cycle());
    }
}

/// A random command in `region` for `s`: 1 to R bytes, 1 to 20 rows, at any alignment,
/// often starting just before a 4 KB boundary, with a stride of zero, packed, gapped,
/// about a page (so every row crosses at the same place), backwards or anything.
fn random_cmd(rng: &mut ChaCha8Rng, s: &DmaSizes, region: (u32, u32)) -> Cmd {
    let r = s.row_bytes;
    let bytes = if rng.gen_bool(0.3) { r } else { rng.gen_range(1..=r) };
    let magnitude: i64 = match rng.gen_range(0..12) {
        0 => 0,
        1..=3 => bytes.into(),
        4..=5 => i64::from(bytes) + rng.gen_range(1..100),
        6..=7 => 4096 + rng.gen_range(-40..40),
        8 => i64::from(bytes.next_multiple_of(s.beat_bytes)),
        _ => rng.gen_range(0..1500),
    };
    let step = if rng.gen_bool(0.15) { -magnitude } else { magnitude };
    let len = i64::from(region.1.wrapping_sub(region.0));
    let mut rows = rng.gen_range(1..=20u32);
    if step != 0 {
        rows = rows.min(((len - i64::from(bytes)) / step.abs() + 1) as u32);
    }
    let span = step.abs() * i64::from(rows - 1) + i64::from(bytes);
    // The lowest address of the command, then its first row.
    let lowest = if rng.gen_bool(0.5) {
        // Just before a 4 KB boundary inside the region.
        let page = rng.gen_range(1..len / 4096) * 4096;
        (page - rng.gen_range(1..=i64::from(bytes))).clamp(0, len - span)
    } else {
        rng.gen_range(0..=len - span)
    };
    let lowest = if rng.gen_bool(0.2) { lowest & !(i64::from(s.beat_bytes) - 1) } else { lowest };
    let first = if step < 0 { lowest + span - i64::from(bytes) } else { lowest };
    let local_rows = 1u32 << s.local_row_bits;
    Cmd {
        dram: region.0.wrapping_add(first as u32),
        stride: step as i32 as u32,
        rows,
        bytes,
        acc: rng.gen(),
        flag: rng.gen(),
        row: rng.gen_range(0..=local_rows - rows),
    }
}

/// `commands` random loads and as many random stores, concurrently, every byte checked.
fn random_traffic(g: &Geometry, engine: Engine, seed: u64, commands: usize) -> testbenches::axi::AxiStats {
    random_traffic_at(g, engine, seed, commands, BASE).0
}

/// [`random_traffic`] with main memory's image at `base`; also the number of rows that
/// wrapped past the top of the address space.
fn random_traffic_at(
    g: &Geometry,
    engine: Engine,
    seed: u64,
    commands: usize,
    base: u32,
) -> (testbenches::axi::AxiStats, usize) {
    random_traffic_sized(DmaSizes::of(g), engine, seed, commands, base)
}

/// [`random_traffic_at`] for the DMA with sizes `s`.
fn random_traffic_sized(
    s: DmaSizes,
    engine: Engine,
    seed: u64,
    commands: usize,
    base: u32,
) -> (testbenches::axi::AxiStats, usize) {
    let axi = AxiConfig::random(seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(31));
    let knobs = Knobs::random(&mut rng);
    let mut bench = Bench::new_sized(s, engine, axi.clone(), knobs, seed, base);
    let s = bench.s;
    let [load_region, store_region] = regions(base);
    for _ in 0..commands {
        bench.loads.push_back(random_cmd(&mut rng, &s, load_region));
        bench.stores.push_back(random_cmd(&mut rng, &s, store_region));
    }
    let commands_given = (bench.loads.clone(), bench.stores.clone());
    bench.finish(200_000).unwrap_or_else(|e| {
        panic!(
            "{engine:?}, W = {}, seed {seed}, {axi:?}:\n{e}\nloads {:?}\nstores {:?}",
            s.data_bits, commands_given.0, commands_given.1
        )
    });
    let crossing = commands_given
        .0
        .iter()
        .chain(&commands_given.1)
        .any(|c| (0..c.rows).any(|r| row_traffic(c.addr(r), c.bytes, s.beat_bytes).0 == 2));
    assert!(crossing, "seed {seed}: no row crossed a 4 KB boundary");
    let wrapped = commands_given
        .0
        .iter()
        .chain(&commands_given.1)
        .map(|c| (0..c.rows).filter(|r| u64::from(c.addr(*r)) + u64::from(c.bytes) > 1 << 32).count())
        .sum();
    (bench.mem.stats, wrapped)
}

fn random_traffic_all(engine: Engine) {
    let mut configs = vec![(w32(), 10), (w64(), 20), (w128(), 30)];
    let seeds = if engine == Engine::Interp { 8 } else { 4 };
    if engine == Engine::Interp {
        configs.push((w256(), 40));
    }
    let (mut ar_waits, mut w_waits, mut r_waits) = (0, 0, 0);
    for (g, seed0) in configs {
        for seed in seed0..seed0 + seeds {
            let st = random_traffic(&g, engine, seed, 40);
            (ar_waits, w_waits, r_waits) = (ar_waits + st.ar_waits, w_waits + st.w_waits, r_waits + st.r_waits);
        }
    }
    assert!(ar_waits > 0 && w_waits > 0 && r_waits > 0, "too little backpressure: {ar_waits} {w_waits} {r_waits}");
}

/// The compact engines (`dma_outstanding` = 1) on random traffic: 32-, 64- and 128-bit
/// buses (the 256-bit one, also compact, is in [`random_traffic_all`]).
fn compact_random_traffic(engine: Engine) {
    let configs = match engine {
        Engine::Interp => vec![(c32(), 100), (c64(), 120), (c128(), 140), (c32_wide(), 200)],
        Engine::Verilator => vec![(c32(), 160), (c128(), 180), (c32_wide(), 220)],
    };
    let seeds = if engine == Engine::Interp { 8 } else { 4 };
    // Both forms of the compact load's local writes: whole rows and chunk by chunk.
    let chunked: Vec<bool> = configs.iter().map(|(g, _)| DmaSizes::of(g).chunk_writes).collect();
    assert!(chunked.contains(&true) && chunked.contains(&false), "chunk writes per geometry: {chunked:?}");
    let (mut ar_waits, mut w_waits, mut r_waits) = (0, 0, 0);
    for (g, seed0) in configs {
        assert!(DmaSizes::of(&g).compact());
        for seed in seed0..seed0 + seeds {
            let st = random_traffic(&g, engine, seed, 40);
            (ar_waits, w_waits, r_waits) = (ar_waits + st.ar_waits, w_waits + st.w_waits, r_waits + st.r_waits);
        }
    }
    assert!(ar_waits > 0 && w_waits > 0 && r_waits > 0, "too little backpressure: {ar_waits} {w_waits} {r_waits}");
}

#[test]
fn compact_loads_and_stores_match_the_reference_on_interpreter() {
    compact_random_traffic(Engine::Interp);
}

#[test]
fn compact_loads_and_stores_match_the_reference_on_verilator() {
    compact_random_traffic(Engine::Verilator);
}

/// The compact store with its response valid registered (`dma.local_read_registered`):
/// a row's bytes wait for `lrd_seen`, on random traffic with random local-read
/// backpressure and latency, on both engines.
#[test]
fn compact_store_with_registered_response_valid_matches_the_reference() {
    for engine in [Engine::Interp, Engine::Verilator] {
        for (g, seed0) in [(c32(), 300), (c128(), 320)] {
            let s = DmaSizes { response_valid_registered: true, ..DmaSizes::of(&g) };
            for seed in seed0..seed0 + 3 {
                random_traffic_sized(s, engine, seed, 40, BASE);
            }
        }
    }
}

/// The whole `dma.local_read_registered` form: the compact store's response valid
/// registered and the compact load's R ready from registers only (with chunk writes, no
/// beat while the chunk register is full, checked every cycle), on random traffic with
/// random local-write backpressure, on both engines.
#[test]
fn compact_engines_with_registered_local_handshakes_match_the_reference() {
    let geometries = [(c32(), 340), (c32_wide(), 360), (c128(), 380)];
    assert!(geometries.iter().any(|(g, _)| DmaSizes::of(g).chunk_writes), "no geometry with chunk writes");
    for engine in [Engine::Interp, Engine::Verilator] {
        for (g, seed0) in &geometries {
            let s = DmaSizes { response_valid_registered: true, write_ready_registered: true, ..DmaSizes::of(g) };
            for seed in *seed0..*seed0 + 3 {
                random_traffic_sized(s, engine, seed, 40, BASE);
            }
        }
    }
}

/// Addresses wrap at 2^32: with the image across the top of the address space (the load
/// region in one run, the store region in the other), random commands whose rows run
/// from 0xffff_fxxx into page 0 (a 4 KB crossing whose second burst starts at address
/// 0), for both engine forms.
#[test]
fn rows_wrapping_past_the_top_of_the_address_space_match_the_reference() {
    for (g, seed0) in [(w32(), 200), (c32(), 220)] {
        let s = DmaSizes::of(&g);
        let mut wrapped = 0;
        for (i, base) in [0xffff_c000u32, 0xffff_4000].into_iter().enumerate() {
            for seed in seed0 + 4 * i as u64..seed0 + 4 * i as u64 + 4 {
                wrapped += random_traffic_at(&g, Engine::Interp, seed, 40, base).1;
            }
        }
        assert!(wrapped > 0, "compact {}: no row wrapped past 2^32", s.compact());
    }
}

#[test]
fn random_loads_and_stores_match_the_reference_on_interpreter() {
    random_traffic_all(Engine::Interp);
}

#[test]
fn random_loads_and_stores_match_the_reference_on_verilator() {
    random_traffic_all(Engine::Verilator);
}

/// Rows stream with no bubble when nothing pushes back (memory latency 10): 64
/// single-beat aligned rows, and 16 misaligned rows of R bytes (5 beats each); as loads,
/// as stores, and both at once. Each command is done within its beats + latency + a few
/// cycles, its R and W beats back to back.
fn rows_stream(engine: Engine) {
    let g = w64();
    let latency = 10;
    let s = DmaSizes::of(&g);
    let (b, r) = (s.beat_bytes, s.row_bytes);
    let single = Cmd { dram: 4096 - 256, stride: b, rows: 64, bytes: b, acc: true, flag: false, row: 0 };
    let misaligned = Cmd { dram: 4096 - 253, stride: r + 8, rows: 16, bytes: r, acc: false, flag: true, row: 3 };
    for shape in [single, misaligned] {
        let beats: u64 = (0..shape.rows).map(|i| row_traffic(shape.addr(i), shape.bytes, b).1).sum();
        for (loads, stores) in [(true, false), (false, true), (true, true)] {
            let mut bench = Bench::new(&g, engine, AxiConfig::ideal(latency), CALM, 5);
            if loads {
                bench.loads.push_back(Cmd { dram: LOAD_REGION.0 + shape.dram, ..shape });
            }
            if stores {
                bench.stores.push_back(Cmd { dram: STORE_REGION.0 + shape.dram, ..shape });
            }
            bench.finish(1000).unwrap_or_else(|e| panic!("{engine:?}: {e}"));
            let st = bench.mem.stats;
            let took = |t: &[(u64, Option<u64>)]| t[0].1.expect("done") - t[0].0;
            let what = format!("{engine:?}, {shape:?} ({beats} beats), loads {loads}, stores {stores}");
            if loads {
                let cycles = took(&bench.ld_times);
                assert!(cycles <= beats + u64::from(latency) + 4, "{what}: the load took {cycles} cycles");
                let (first, last) = st.r_span.expect("R beats");
                assert_eq!(last - first + 1, beats, "{what}: R beats not back to back");
            }
            if stores {
                let cycles = took(&bench.st_times);
                assert!(cycles <= beats + u64::from(latency) + 6, "{what}: the store took {cycles} cycles");
                let (first, last) = st.w_span.expect("W beats");
                assert_eq!(last - first + 1, beats, "{what}: W beats not back to back");
            }
        }
    }
}

/// The compact engines' pace when nothing pushes back (memory latency 10, local read
/// latency 1), within 3 cycles: a load burst takes the read latency plus its beats (the
/// next burst is offered in the cycle after the last beat of the one before), a store
/// row one cycle per byte plus one (its local read), and one more for a second burst.
/// Same shapes as [`rows_stream`].
fn compact_rows_pace(engine: Engine) {
    let g = c64();
    let latency = 10;
    let s = DmaSizes::of(&g);
    let (b, r) = (s.beat_bytes, s.row_bytes);
    let single = Cmd { dram: 4096 - 256, stride: b, rows: 64, bytes: b, acc: true, flag: false, row: 0 };
    let misaligned = Cmd { dram: 4096 - 253, stride: r + 8, rows: 16, bytes: r, acc: false, flag: true, row: 3 };
    for shape in [single, misaligned] {
        let traffic: Vec<(u64, u64)> = (0..shape.rows).map(|i| row_traffic(shape.addr(i), shape.bytes, b)).collect();
        let beats: u64 = traffic.iter().map(|t| t.1).sum();
        let bursts: u64 = traffic.iter().map(|t| t.0).sum();
        for (loads, stores) in [(true, false), (false, true), (true, true)] {
            let mut bench = Bench::new(&g, engine, AxiConfig::ideal(latency), CALM, 5);
            if loads {
                bench.loads.push_back(Cmd { dram: LOAD_REGION.0 + shape.dram, ..shape });
            }
            if stores {
                bench.stores.push_back(Cmd { dram: STORE_REGION.0 + shape.dram, ..shape });
            }
            bench.finish(4000).unwrap_or_else(|e| panic!("{engine:?}: {e}"));
            let took = |t: &[(u64, Option<u64>)]| t[0].1.expect("done") - t[0].0;
            let what =
                format!("{engine:?}, {shape:?} ({beats} beats, {bursts} bursts), loads {loads}, stores {stores}");
            if loads {
                let cycles = took(&bench.ld_times);
                let pace = bursts * u64::from(latency) + beats;
                assert!(cycles <= pace + 3, "{what}: the load took {cycles} cycles, expected {pace} + 3");
            }
            if stores {
                let cycles = took(&bench.st_times);
                let pace = u64::from(shape.rows * shape.bytes) + bursts + u64::from(latency);
                assert!(cycles <= pace + 3, "{what}: the store took {cycles} cycles, expected {pace} + 3");
            }
        }
    }
}

#[test]
fn compact_rows_keep_their_pace_on_interpreter() {
    compact_rows_pace(Engine::Interp);
}

#[test]
fn compact_rows_keep_their_pace_on_verilator() {
    compact_rows_pace(Engine::Verilator);
}

#[test]
fn rows_stream_back_to_back_on_interpreter() {
    rows_stream(Engine::Interp);
}

#[test]
fn rows_stream_back_to_back_on_verilator() {
    rows_stream(Engine::Verilator);
}

/// SLVERR on a read or a write response sets `resp_error_o`, which stays set through
/// later clean commands until reset. The transfers still complete.
fn response_errors(engine: Engine) {
    // SLVERR for the last 256 bytes of the load region and the first 256 of the stores'.
    let mut axi = AxiConfig::ideal(3);
    axi.error_window = Some((LOAD_REGION.1 - 256, STORE_REGION.0 + 256));
    let mut bench = Bench::new(&w32(), engine, axi, CALM, 9);
    bench.check_image = false; // writes answered with SLVERR change nothing
    let cmd = |dram| Cmd { dram, stride: 16, rows: 4, bytes: 16, acc: false, flag: false, row: 0 };
    bench.run_expecting_error(&[cmd(LOAD_REGION.0)], &[cmd(STORE_REGION.1 - 64)], false);
    bench.run_expecting_error(&[cmd(LOAD_REGION.1 - 64)], &[], true);
    bench.run_expecting_error(&[cmd(LOAD_REGION.0)], &[cmd(STORE_REGION.1 - 64)], true);
    bench.sim.reset(2);
    bench.run_expecting_error(&[], &[], false);
    bench.run_expecting_error(&[cmd(LOAD_REGION.0)], &[cmd(STORE_REGION.0)], true);
}

#[test]
fn response_errors_are_sticky_until_reset_on_interpreter() {
    response_errors(Engine::Interp);
}

#[test]
fn response_errors_are_sticky_until_reset_on_verilator() {
    response_errors(Engine::Verilator);
}

#[test]
fn interpreter_and_verilator_agree_cycle_by_cycle_on_random_inputs() {
    for (i, g) in [w32(), w128(), c32()].iter().enumerate() {
        let mut a = simulator(g, Engine::Interp);
        let mut b = simulator(g, Engine::Verilator);
        run_lockstep(&mut *a, &mut *b, ("interpreter", "verilator"), 4000, 70 + i as u64)
            .unwrap_or_else(|e| panic!("W = {}: {e}", g.dma_data_bits));
    }
}
