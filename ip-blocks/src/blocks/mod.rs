//! The hardware blocks, one file each. Every block is a function that checks its
//! parameters and builds its module into a [`rtl_gen::Design`].

pub mod pe;
pub mod scratchpad;
pub mod systolic_array;
