"""AWS Lambda functions: one package per function, each with a thin `handler.py` over plain modules."""
