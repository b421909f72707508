"""Source formats: each module turns bytes into `desktop.model` cases (no database, no Qt)."""
