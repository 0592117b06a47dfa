"""Simulated sources: pack simulators paced in real time, feeding a runtime or a URL."""
