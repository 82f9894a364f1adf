"""Intake: comprehensive consultation (包括的相談支援事業, Art. 106-4 para 2 item 1).

Every window accepts any concern, records it, obtains consent, and refers complex cases to
multi-agency collaboration.
"""
