// The configuration-independent part of the Icarus testbench: testbenches/src/icarus/testbench.rs
// writes the module header, the parameters, the DUT's port declarations and its instance
// before this text, and `endmodule` after it.
  // Stimulus and results.
  reg [7:0] mem [0:MEM_BYTES-1];
  reg [67:0] host_w [0:NW-1];
  reg [31:0] host_r [0:NR-1];
  reg [31:0] rd_data [0:NR-1];
  reg [1:0] rd_resp [0:NR-1];

  reg [63:0] cyc;          // rising edges so far, as Simulator::cycle()
  reg [63:0] end_cycle;
  integer failures;

  // AXI4 slave: read bursts, the R beat shown, write bursts, write responses.
  reg [31:0] rq_addr [0:Q-1];
  reg [8:0] rq_beats [0:Q-1];
  reg [63:0] rq_due [0:Q-1];
  integer rq_h, rq_n, r_sent;
  reg rb_valid, rb_last;
  reg [BEAT*8-1:0] rb_data;
  reg [31:0] wq_addr [0:Q-1];
  reg [8:0] wq_beats [0:Q-1];
  integer wq_h, wq_n, w_got;
  reg [63:0] bq_due [0:Q-1];
  integer bq_h, bq_n;
  reg b_out;
  reg new_write;
  reg [31:0] new_addr;
  reg [8:0] new_beats;

  // AXI4-Lite master: next write to offer (AW, W), B and R counts, next read.
  integer aw_p, w_p, b_n, ar_p, r_n, bresp_errors;
  reg pushed, started, reading;

  task fail;
    input [8*96-1:0] what;
    begin
      $display("seedchip-tb error: cycle %0d: %0s", cyc, what);
      failures = failures + 1;
    end
  endtask

  // A burst's attributes and place, as AxiMemory::check_request.
  task check_burst;
    input [31:0] addr;
    input [7:0] len;
    input [2:0] size;
    input [1:0] burst;
    reg [63:0] first, last;
    begin
      first = addr & ~(BEAT - 1);
      last = first + (len + 1) * BEAT - 1;
      if ((1 << size) != BEAT) fail("burst size is not the bus width");
      if (burst != 2'b01) fail("burst is not INCR");
      if (first[63:12] != last[63:12]) fail("burst crosses a 4 KB boundary");
      if (first < MEM_BASE || last >= MEM_BASE + MEM_BYTES) fail("burst outside the memory image");
    end
  endtask

  // Phase 1 of a cycle: drive every input of the DUT from the testbench's state.
  task drive;
    integer i;
    reg [31:0] a;
    begin
      m_axi_arready_i = 1'b1;
      m_axi_awready_i = 1'b1;
      m_axi_wready_i = (wq_n != 0);
      if (!rb_valid && rq_n != 0 && rq_due[rq_h] <= cyc) begin
        a = (rq_addr[rq_h] & ~(BEAT - 1)) + r_sent * BEAT;
        for (i = 0; i < BEAT; i = i + 1) rb_data[8*i +: 8] = mem[a - MEM_BASE + i];
        rb_last = (r_sent + 1 == rq_beats[rq_h]);
        rb_valid = 1'b1;
      end
      if (!b_out && bq_n != 0 && bq_due[bq_h] <= cyc) begin
        b_out = 1'b1;
        bq_h = (bq_h + 1) % Q;
        bq_n = bq_n - 1;
      end
      m_axi_rvalid_i = rb_valid;
      m_axi_rdata_i = rb_valid ? rb_data : {BEAT*8{1'b0}};
      m_axi_rlast_i = rb_valid & rb_last;
      m_axi_rresp_i = 2'b00;
      m_axi_bvalid_i = b_out;
      m_axi_bresp_i = 2'b00;

      s_axil_awvalid_i = (aw_p < NW);
      s_axil_awaddr_i = (aw_p < NW) ? host_w[aw_p][63:32] : 32'd0;
      s_axil_awprot_i = 3'd0;
      s_axil_wvalid_i = (w_p < NW);
      s_axil_wdata_i = (w_p < NW) ? host_w[w_p][31:0] : 32'd0;
      s_axil_wstrb_i = (w_p < NW) ? host_w[w_p][67:64] : 4'd0;
      s_axil_arvalid_i = reading && (ar_p < NR);
      s_axil_araddr_i = (reading && ar_p < NR) ? host_r[ar_p] : 32'd0;
      s_axil_arprot_i = 3'd0;
      s_axil_bready_i = 1'b1;
      s_axil_rready_i = 1'b1;
    end
  endtask

  // Phase 2: see the DUT's outputs and take this cycle's handshakes (the edge follows).
  task sample;
    integer i;
    reg [31:0] a;
    reg want_last;
    begin
      if ((^{m_axi_arvalid_o, m_axi_rready_o, m_axi_awvalid_o, m_axi_wvalid_o, m_axi_bready_o,
             s_axil_awready_o, s_axil_wready_o, s_axil_bvalid_o, s_axil_arready_o, s_axil_rvalid_o,
             idle_o, error_o}) === 1'bx)
        fail("unknown value (x) on a handshake or status output");
      // AR
      if (m_axi_arvalid_o && m_axi_arready_i) begin
        check_burst(m_axi_araddr_o, m_axi_arlen_o, m_axi_arsize_o, m_axi_arburst_o);
        if (rq_n == Q) fail("more than Q read bursts outstanding");
        rq_addr[(rq_h + rq_n) % Q] = m_axi_araddr_o;
        rq_beats[(rq_h + rq_n) % Q] = m_axi_arlen_o + 9'd1;
        rq_due[(rq_h + rq_n) % Q] = cyc + LATENCY;
        rq_n = rq_n + 1;
      end
      // R
      if (rb_valid && m_axi_rready_o) begin
        rb_valid = 1'b0;
        r_sent = r_sent + 1;
        if (r_sent == rq_beats[rq_h]) begin
          rq_h = (rq_h + 1) % Q;
          rq_n = rq_n - 1;
          r_sent = 0;
        end
      end
      // AW (its W beats are taken from the next cycle on)
      new_write = m_axi_awvalid_o && m_axi_awready_i;
      if (new_write) begin
        check_burst(m_axi_awaddr_o, m_axi_awlen_o, m_axi_awsize_o, m_axi_awburst_o);
        new_addr = m_axi_awaddr_o;
        new_beats = m_axi_awlen_o + 9'd1;
      end
      // W
      if (m_axi_wvalid_o && m_axi_wready_i) begin
        a = (wq_addr[wq_h] & ~(BEAT - 1)) + w_got * BEAT;
        want_last = (w_got + 1 == wq_beats[wq_h]);
        if (m_axi_wlast_o !== want_last) fail("wlast not on the burst's last beat");
        for (i = 0; i < BEAT; i = i + 1) begin
          if (m_axi_wstrb_o[i] !== 1'b0) begin
            if (a + i < wq_addr[wq_h]) fail("wstrb on a byte before the burst's start");
            else mem[a + i - MEM_BASE] = m_axi_wdata_o[8*i +: 8];
          end
        end
        w_got = w_got + 1;
        if (want_last) begin
          wq_h = (wq_h + 1) % Q;
          wq_n = wq_n - 1;
          w_got = 0;
          if (bq_n == Q) fail("more than Q write responses waiting");
          bq_due[(bq_h + bq_n) % Q] = cyc + LATENCY;
          bq_n = bq_n + 1;
        end
      end
      if (new_write) begin
        if (wq_n == Q) fail("more than Q write bursts outstanding");
        wq_addr[(wq_h + wq_n) % Q] = new_addr;
        wq_beats[(wq_h + wq_n) % Q] = new_beats;
        wq_n = wq_n + 1;
      end
      // B
      if (b_out && m_axi_bready_o) b_out = 1'b0;

      // AXI4-Lite: responses first, then the requests taken.
      if (s_axil_bvalid_o && s_axil_bready_i) begin
        if (s_axil_bresp_o != 2'b00) bresp_errors = bresp_errors + 1;
        if (b_n == LAST_PUSH) pushed = 1'b1;
        b_n = b_n + 1;
      end
      if (s_axil_rvalid_o && s_axil_rready_i) begin
        if (r_n < NR) begin
          rd_data[r_n] = s_axil_rdata_o;
          rd_resp[r_n] = s_axil_rresp_o;
        end
        r_n = r_n + 1;
      end
      if (s_axil_awvalid_i && s_axil_awready_o) aw_p = aw_p + 1;
      if (s_axil_wvalid_i && s_axil_wready_o) w_p = w_p + 1;
      if (s_axil_arvalid_i && s_axil_arready_o) ar_p = ar_p + 1;
    end
  endtask

  task finish;
    input hang;
    integer f, i;
    begin
      $writememh("mem_out.hex", mem);
      f = $fopen("result.txt", "w");
      if (hang) $fdisplay(f, "hang %0d", cyc);
      else $fdisplay(f, "end %0d", end_cycle);
      for (i = 0; i < NR; i = i + 1) $fdisplay(f, "read %0d %h %h", i, rd_data[i], rd_resp[i]);
      $fdisplay(f, "host_bresp_errors %0d", bresp_errors);
      $fdisplay(f, "failures %0d", failures);
      $fclose(f);
      $finish;
    end
  endtask

  initial begin
    $readmemh("mem.hex", mem);
    $readmemh("host.hex", host_w);
    $readmemh("reads.hex", host_r);
    cyc = 0; end_cycle = 0; failures = 0;
    rq_h = 0; rq_n = 0; r_sent = 0; rb_valid = 1'b0; rb_last = 1'b0; rb_data = {BEAT*8{1'b0}};
    wq_h = 0; wq_n = 0; w_got = 0; bq_h = 0; bq_n = 0; b_out = 1'b0;
    aw_p = 0; w_p = 0; b_n = 0; ar_p = 0; r_n = 0; bresp_errors = 0;
    pushed = (LAST_PUSH < 0); started = 1'b0; reading = 1'b0;
    // Four edges in reset with every input at zero, as Simulator::reset(4).
    rst_i = 1'b1;
    repeat (4) begin
      @(posedge clk_i);
      cyc = cyc + 1;
    end
    #1 rst_i = 1'b0;
    forever begin
      drive;
      @(negedge clk_i);
      sample;
      if (!reading) begin
        if (FIRST_PUSH < 0 || (aw_p > FIRST_PUSH && w_p > FIRST_PUSH)) started = 1'b1;
        if (started && idle_o === 1'b1 && (pushed || error_o === 1'b1)) begin
          end_cycle = cyc;
          reading = 1'b1;
        end else if (cyc > MAX_CYCLES) begin
          finish(1'b1);
        end
      end else if (r_n >= NR) begin
        finish(1'b0);
      end else if (cyc - end_cycle > 10000) begin
        fail("register reads not answered within 10000 cycles");
        finish(1'b0);
      end
      @(posedge clk_i);
      cyc = cyc + 1;
      #1;
    end
  end
