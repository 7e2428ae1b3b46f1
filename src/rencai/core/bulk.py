"""Fast bulk inserts for large writes (demo data, match runs): COPY on PostgreSQL, executemany on SQLite."""

from collections.abc import Iterable, Sequence

from django.db import connection


def bulk_insert(
    table: str, columns: Sequence[str], rows: Iterable[Sequence], *, batch_size: int = 20_000
) -> int:
    """Insert rows into `table` inside the caller's transaction; returns the number of rows written.

    Values must already be database-ready (dates, Decimals, booleans, None); model-level defaults and
    `auto_now` fields are not applied, so callers pass every column.
    """
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
            quoted = ", ".join(f'"{c}"' for c in columns)
            with raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(columns))
        statement = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({placeholders})'
        batch: list[Sequence] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                cursor.executemany(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)
            count += len(batch)
    return count
