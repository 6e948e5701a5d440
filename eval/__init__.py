"""Evaluation of cited: question sets, metrics, reports and comparisons.

Kept import-light on purpose: `cited eval --help` must not pay for loading the retriever or matplotlib.
"""
