"""Insights: structured judgements of triggered evidence, from an LLM or the analyst."""
