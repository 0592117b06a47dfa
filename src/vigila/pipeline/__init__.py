"""The pipeline: read the log in batches, run pack processors, commit outputs, checkpoint."""

from vigila.pipeline.processor import Emit, ProcessContext, Processor, Record
from vigila.pipeline.runner import PipelineRunner

__all__ = ["Emit", "PipelineRunner", "ProcessContext", "Processor", "Record"]
