/*
 * Driving a SeedChip accelerator from a CPU: the register sequence of docs/driver.md,
 * written against the header that `seedchip gen` writes (rtl/seedchip_regs.h).
 *
 * `regs` is where the AXI4-Lite slave (s_axil_*) is mapped; the program is an array of
 * 128-bit commands (four 32-bit words each, as `Instr::encode` or
 * `TiledMatmul::words` give them), and its data already sits in main memory, inside the
 * DMA window.
 */
#include <stddef.h>
#include <stdint.h>

#include "seedchip_regs.h"

#define REG(regs, name) ((regs)[SEEDCHIP_##name##_OFFSET / 4u])

struct seedchip_result {
    uint32_t error;       /* 0, or one of SEEDCHIP_ERR_* */
    uint32_t error_index; /* the failing command's index */
    uint64_t cycles;      /* performance counters */
    uint64_t macs;
};

static uint64_t read_counter(volatile uint32_t *lo)
{
    /* Reading LO snapshots HI: read LO first. */
    uint64_t low = lo[0];
    return low | (uint64_t)lo[1] << 32;
}

/* Run `count` commands; returns when the accelerator is idle again. */
struct seedchip_result seedchip_run(volatile uint32_t *regs, const uint32_t (*program)[4], size_t count,
                                    uint32_t window_base, uint32_t window_limit)
{
    struct seedchip_result r;
    size_t i;

    REG(regs, CONTROL) = SEEDCHIP_CONTROL_CLEAR_COUNTERS_MASK;
    REG(regs, WINDOW_BASE) = window_base;
    REG(regs, WINDOW_LIMIT) = window_limit;
    for (i = 0; i < count; i++) {
        REG(regs, CMD0) = program[i][0];
        REG(regs, CMD1) = program[i][1];
        REG(regs, CMD2) = program[i][2];
        /* Pushes the command; the bus holds this write while the queue is full. */
        REG(regs, CMD3) = program[i][3];
    }
    while ((REG(regs, STATUS) & SEEDCHIP_STATUS_IDLE_MASK) == 0) {
        /* A CPU with interrupts would wait for the top's idle_o / error_o instead. */
    }
    r.error = (REG(regs, ERROR) & SEEDCHIP_ERROR_CODE_MASK) >> SEEDCHIP_ERROR_CODE_SHIFT;
    r.error_index = REG(regs, ERROR_INDEX);
    r.cycles = read_counter(&REG(regs, CYCLES_LO));
    r.macs = read_counter(&REG(regs, MACS_LO));
    if (r.error != SEEDCHIP_ERR_NONE) {
        /* Commands after the failing one are still queued: clear them for the next run. */
        REG(regs, CONTROL) = SEEDCHIP_CONTROL_RESET_MASK;
    }
    return r;
}
