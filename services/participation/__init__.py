"""Participation support (参加支援事業, Art. 106-4 para 2 item 2).

Matches a person's wishes to community hosts and follows up; features arrive in their own issue.
"""
