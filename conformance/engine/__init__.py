"""The engine: plans a run from a standard and a candidate, executes it, emits events."""
