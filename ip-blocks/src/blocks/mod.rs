//! The hardware blocks, one file each. Every block is a function that checks its
//! parameters and builds its module into a [`rtl_gen::Design`].

pub mod accumulator;
pub mod controller;
pub mod decoder;
pub mod dma;
pub mod formal;
pub mod host;
pub mod mul;
pub mod pe;
pub mod scratchpad;
pub mod soft_mul;
pub mod systolic_array;
pub mod top;
pub mod util;
