"""BEG invoice pipeline: monthly processes, robot downloads, approvals and SAT uploads."""
