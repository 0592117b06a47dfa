"""Browser tests of the web dashboard, and the screenshots of the docs."""
