"""The library store: SQLite through sqlite-utils, no Qt. `Library` is its entry point."""
