"""Use cases, end to end: plan, preview (PR), deploy (merge), drift (schedule)."""
