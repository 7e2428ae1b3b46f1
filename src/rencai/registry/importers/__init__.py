"""Bulk import of talents, enterprises and achievements from .xlsx or .csv: every row validated, all or
nothing, upserted.

A file is read within limits in a child process (python-calamine for .xlsx, the csv module for .csv in
UTF-8 or GB18030), its header mapped to the column set (Chinese or English headers, older headers as
aliases; the same columns as the template and the export, so an export can be corrected and re-imported:
its masked cells keep what is stored and its talent number names the record), each row cleaned
by the same functions as the forms (`services.clean_talent`, `services.clean_enterprise`), then checked
against the actor's scope, the other rows of the file and the database. By default one rejected row means
nothing is written; with `accept_partial` the accepted rows are written. Writes are one transaction keyed
by the ID-number blind index or the credit code; a row equal to what is stored is not rewritten, so
importing the same file twice changes nothing. One `ImportBatch` keeps the report and one audit entry
records the batch.

The modules follow a file through the import: `reading` (the upload checked and its limits, its rows read
by `reader_process` in a child process that may die without harm), `columns` (the column set, the header
and cells mapped onto it), `kinds` (a row cleaned into stored values), `planning` (each row rejected,
created, updated or unchanged), `writing` (`import_file`: the transactional write, report and audit);
`batches` reads batches back and `template` builds the empty import file. Achievements, which have
holders, are planned and written by `achievements` (keyed by kind and number).
"""

from rencai.core import crypto
from rencai.core.errors import PermissionDenied
from rencai.registry.importers.batches import (
    STATUS_LABELS,
    earlier_batch_of_same_file,
    get_import_batch,
    import_batches_for,
)
from rencai.registry.importers.reading import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_COLUMNS,
    MAX_IMPORT_ROWS,
    ImportRefused,
    check_upload,
    too_large,
)
from rencai.registry.importers.template import template_workbook
from rencai.registry.importers.writing import import_file

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_COLUMNS",
    "MAX_IMPORT_ROWS",
    "STATUS_LABELS",
    "ImportRefused",
    "PermissionDenied",  # raised by import_file; callers catch it from here
    "check_upload",
    "crypto",  # the tests decrypt stored ID numbers through it
    "earlier_batch_of_same_file",
    "get_import_batch",
    "import_batches_for",
    "import_file",
    "template_workbook",
    "too_large",
]
