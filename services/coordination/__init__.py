"""Coordination: multi-agency collaboration (多機関協働事業, Art. 106-4 para 2 items 5 and 6).

Opens a case for every consented referral, then (in later slices) assessment, support plans,
meetings, support decisions and webhooks to coordinators.
"""
