"""Performance figures for `make bench` (figures, not tests)."""
