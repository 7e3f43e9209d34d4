//! Monthly reports that close (issue 27; GUIDE 交接制度 "按月计报", 第四章二; JN Art. 28).

pub mod close;
pub mod ledgers;
pub mod monthly;
// Reports, ledgers and funds (issue 27, reports27).
pub mod comparison;
