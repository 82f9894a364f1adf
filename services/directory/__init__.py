"""The resource directory: every window, program and host of a municipality.

Operators, windows, programs and hosts in an HSDS-aligned model, searchable in Japanese.
"""
