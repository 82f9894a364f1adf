"""関係機関: the organisations taking part in a case, and on what ground each sees the person."""
