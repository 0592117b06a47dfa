"""vigila: real-time, AI-assisted observability for event streams."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vigila")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
