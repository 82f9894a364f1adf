"""Outreach and continuous support (Art. 106-4 para 2 item 4).

Reaches people who cannot or will not ask; features arrive in their own issue.
"""
