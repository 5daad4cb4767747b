"""`kappa`: the operator CLI and the embedded local runtime (demo, simulate, replay, plan, webhooks)."""
