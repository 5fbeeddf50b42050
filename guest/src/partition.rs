//! AWS partitions: where their endpoints and consoles live (the contract's table).

pub use certwatch_contract::Partition;
