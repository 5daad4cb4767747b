"""Webhook pieces shared by the management API and the fan-out: target policy, subscriptions, secrets, log.

Bundled into both Lambda assets by `stacks/lambda_build.py`; it imports no Lambda handler code.
"""
