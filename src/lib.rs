//! SeedChip CLI library
