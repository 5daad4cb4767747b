"""Kappa replay: run a new job version over the log, compare its insights with the running version, cut over."""
