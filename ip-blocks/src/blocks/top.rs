//! The accelerator's top, `<prefix>_top` (`seedchip_top` by default): the AXI4-Lite
//! host interface ([`super::host`]), the controller with the datapath
//! ([`super::controller`]) and the DMA engine ([`super::dma`]).
//!
//! Ports: `clk_i`, `rst_i`, the AXI4-Lite slave `s_axil_*` (control and status
//! registers, `docs/registers.md`), the AXI4 master `m_axi_*` (main memory), and
//! `idle_o` / `error_o` (the STATUS bits, for an interrupt or a board LED).

use rtl_gen::ir::{InstId, SignalKind};
use rtl_gen::{CheckErrors, Design, ModuleBuilder, ModuleId};

/// The blocks the top instances.
#[derive(Clone, Copy, Debug)]
pub struct TopParts {
    /// `<prefix>_host`.
    pub host: ModuleId,
    /// `<prefix>_controller`.
    pub controller: ModuleId,
    /// `<prefix>_dma`.
    pub dma: ModuleId,
}

/// Every port of `child` whose name starts with `prefix` becomes a port of the top with
/// the same name and direction, connected straight through.
fn pass_through(m: &mut ModuleBuilder, design: &Design, inst: InstId, child: ModuleId, prefix: &str) {
    let cm = design.module(child);
    let ports: Vec<(String, u32, SignalKind)> = cm
        .ports
        .iter()
        .map(|p| {
            let s = cm.signal(*p);
            (s.name.clone(), s.width, s.kind)
        })
        .filter(|(n, _, _)| n.starts_with(prefix))
        .collect();
    for (name, width, kind) in ports {
        let s = if kind == SignalKind::Input { m.input(&name, width) } else { m.output(&name, width) };
        m.connect(inst, &name, s);
    }
}

/// Build `<prefix>_top` from its already-built parts.
pub fn build(design: &mut Design, prefix: &str, parts: TopParts) -> Result<ModuleId, CheckErrors> {
    let mut m = ModuleBuilder::new(format!("{prefix}_top"));
    m.doc(
        "SeedChip accelerator: AXI4-Lite control and status registers (s_axil_*, docs/registers.md), \
         an AXI4 master to main memory (m_axi_*), the controller with the matrix engine, scratchpad and \
         accumulator, and the DMA engine.",
    );
    m.reset();
    let host = m.instance("host", design, parts.host);
    let ctl = m.instance("controller", design, parts.controller);
    let dma = m.instance("dma", design, parts.dma);
    pass_through(&mut m, design, host, parts.host, "s_axil_");
    pass_through(&mut m, design, dma, parts.dma, "m_axi_");
    let idle_o = m.output("idle_o", 1);
    let error_o = m.output("error_o", 1);

    // Host <-> controller.
    let cmd_valid = m.connect_wire(host, "cmd_valid_o", "cmd_valid");
    let cmd_data = m.connect_wire(host, "cmd_data_o", "cmd_data");
    let cmd_ready = m.connect_wire(ctl, "cmd_ready_o", "cmd_ready");
    m.connect(ctl, "cmd_valid_i", cmd_valid);
    m.connect(ctl, "cmd_data_i", cmd_data);
    m.connect(host, "cmd_ready_i", cmd_ready);
    let control = m.connect_wire(host, "control_o", "control");
    let soft_reset = m.bit(control, 0);
    let clear_counters = m.bit(control, 1);
    let control_unused = m.slice(control, 2, 30);
    let control_unused = m.named("control_reserved", control_unused);
    m.mark_unused(control_unused);
    m.connect(ctl, "soft_reset_i", soft_reset);
    m.connect(ctl, "clear_counters_i", clear_counters);
    let wb = m.connect_wire(host, "window_base_o", "window_base");
    let wl = m.connect_wire(host, "window_limit_o", "window_limit");
    m.connect(ctl, "window_base_i", wb);
    m.connect(ctl, "window_limit_i", wl);
    // The window check's turn of the host's registers, where the controller has one.
    let ctl_ports = &design.module(parts.controller).ports;
    if ctl_ports.iter().any(|p| design.module(parts.controller).signal(*p).name == "window_turn_o") {
        let turn = m.connect_wire(ctl, "window_turn_o", "window_turn");
        m.connect(host, "window_turn_i", turn);
    }
    let idle = m.connect_wire(ctl, "idle_o", "ctl_idle");
    let error = m.connect_wire(ctl, "error_o", "ctl_error");
    let full = m.connect_wire(ctl, "cmd_full_o", "ctl_cmd_full");
    let status = {
        let z = m.lit(0, 29);
        let (f, e, i) = (m.sig(full), m.sig(error), m.sig(idle));
        m.concat([z, f, e, i])
    };
    m.connect(host, "status_i", status);
    m.assign(idle_o, idle);
    m.assign(error_o, error);
    let code = m.connect_wire(ctl, "error_code_o", "error_code");
    let code32 = m.zext(code, 32);
    m.connect(host, "error_i", code32);
    for (ctl_port, host_port) in
        [("error_index_o", "error_index_i"), ("cmd_count_o", "cmd_count_i"), ("queue_levels_o", "queue_levels_i")]
    {
        let w = m.connect_wire(ctl, ctl_port, ctl_port.trim_end_matches("_o"));
        m.connect(host, host_port, w);
    }
    for c in ["cycles", "engine_busy", "macs", "dma_bytes", "dma_stall", "dep_stall"] {
        let w = m.connect_wire(ctl, &format!("{c}_o"), format!("perf_{c}"));
        m.connect(host, &format!("{c}_i"), w);
    }

    // Controller <-> DMA. The DMA is reset with the controller's soft reset too.
    let core_reset = m.connect_wire(ctl, "core_reset_o", "core_reset");
    let rst = m.reset();
    let dma_rst = m.or(rst, core_reset);
    m.connect_reset(dma, dma_rst);
    for p in ["valid", "dram", "stride", "rows", "bytes", "acc", "accumulate", "row"] {
        let w = m.connect_wire(ctl, &format!("ld_{p}_o"), format!("ld_{p}"));
        m.connect(dma, &format!("ld_{p}_i"), w);
    }
    for p in ["valid", "dram", "stride", "rows", "bytes", "acc", "raw", "row"] {
        let w = m.connect_wire(ctl, &format!("st_{p}_o"), format!("st_{p}"));
        m.connect(dma, &format!("st_{p}_i"), w);
    }
    for (from_dma, to_ctl) in [
        ("ld_ready_o", "ld_ready_i"),
        ("ld_done_o", "ld_done_i"),
        ("st_ready_o", "st_ready_i"),
        ("st_done_o", "st_done_i"),
        ("lw_valid_o", "lw_valid_i"),
        ("lw_acc_o", "lw_acc_i"),
        ("lw_accumulate_o", "lw_accumulate_i"),
        ("lw_row_o", "lw_row_i"),
        ("lw_data_o", "lw_data_i"),
        ("lw_chunks_o", "lw_chunks_i"),
        ("lr_valid_o", "lr_valid_i"),
        ("lr_acc_o", "lr_acc_i"),
        ("lr_raw_o", "lr_raw_i"),
        ("lr_row_o", "lr_row_i"),
        ("lrd_ready_o", "lrd_ready_i"),
        ("ld_bytes_done_o", "ld_bytes_done_i"),
        ("st_bytes_done_o", "st_bytes_done_i"),
        ("idle_o", "dma_idle_i"),
    ] {
        let name = format!("dma_{}", from_dma.trim_end_matches("_o"));
        let w = m.connect_wire(dma, from_dma, name);
        m.connect(ctl, to_ctl, w);
    }
    for (from_ctl, to_dma) in [
        ("lw_ready_o", "lw_ready_i"),
        ("lr_ready_o", "lr_ready_i"),
        ("lrd_valid_o", "lrd_valid_i"),
        ("lrd_data_o", "lrd_data_i"),
    ] {
        let name = format!("ctl_{}", from_ctl.trim_end_matches("_o"));
        let w = m.connect_wire(ctl, from_ctl, name);
        m.connect(dma, to_dma, w);
    }
    let resp_error = m.connect_wire(dma, "resp_error_o", "dma_resp_error");
    m.connect(ctl, "bus_error_i", resp_error);
    design.add(m)
}
