"""The web dashboard: static pages served by the API, and the data its widgets draw.

The front end is plain ES modules and vendored uPlot under `static/`, shipped in
the package: nothing is built or downloaded at run time.
"""
