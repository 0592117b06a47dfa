"""The small stages of the insight chain, each usable and testable alone."""
