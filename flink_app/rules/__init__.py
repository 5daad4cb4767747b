"""The job's business rules as plain Python: no Flink import, unit-tested directly with tables of cases.

Stateful rules are written like aggregators (`initialize` → `add` → `result`); the Flink side only collects
the rows (SQL windows, compact LISTAGG lines) and calls them from Python UDFs.
"""
