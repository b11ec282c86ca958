"""Files people and other systems hand over: CSV in the encodings Japanese systems write, Excel
workbooks, the rows that could not be used, cells safe to open in Excel, and the folding of the
many ways the same thing is typed. Used by the sync and by the FAQ import alike."""

from tabular.cells import neutralise, restore, write_csv
from tabular.reader import SourceFileError, Table, cut_off, detect_encoding, find_export, read_table
from tabular.rows import RowError, ragged_row_error

__all__ = ["RowError", "SourceFileError", "Table", "cut_off", "detect_encoding", "find_export",
           "neutralise", "ragged_row_error", "read_table", "restore", "write_csv"]
