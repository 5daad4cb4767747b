"""The PyFlink analytics job: settings, sources/sinks, SQL per analysis, Python rules and UDFs.

Importing the package imports no Flink code; `flink_app.main` builds the environment when run.
"""
