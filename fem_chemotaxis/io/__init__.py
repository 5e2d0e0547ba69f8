"""Outputs: run directories, atomic files, ParaView fields."""

from fem_chemotaxis.io.atomic import write_json_atomic, write_text_atomic
from fem_chemotaxis.io.fields import FieldWriter
from fem_chemotaxis.io.run_directory import RunDirectoryError, prepare_run_directory

__all__ = ["FieldWriter", "RunDirectoryError", "prepare_run_directory", "write_json_atomic", "write_text_atomic"]
