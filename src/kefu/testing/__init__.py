"""Helpers for kefu's own test suites (tiny in-process models, conformance suites).

Shipped inside the package, like haystack.testing, so that plug-in backends written
outside kefu can run the same conformance suites.
"""
