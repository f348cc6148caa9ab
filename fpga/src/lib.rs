//! SeedChip FPGA flow (being written).
