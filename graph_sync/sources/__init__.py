"""Reading the exports other systems drop into the sources folder."""

from graph_sync.sources.tabular import SourceFileError, Table, detect_encoding, read_table

__all__ = ["SourceFileError", "Table", "detect_encoding", "read_table"]
