"""Drift detection: findings, ignore rules, memory across runs, unmanaged resources."""
