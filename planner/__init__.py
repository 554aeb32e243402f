"""Launch planner: compare an offline, online or hybrid-hub launch (a pure library)."""
