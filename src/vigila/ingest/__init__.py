"""Ingest: turn request bodies into validated, canonical log entries."""

from vigila.ingest.decoder import EventDecoder, Rejection
from vigila.ingest.errors import IngestError
from vigila.ingest.service import IngestResult, IngestService

__all__ = ["EventDecoder", "IngestError", "IngestResult", "IngestService", "Rejection"]
