"""The resource directory: every window, program and host of a municipality.

Features arrive in their own issue.
"""
