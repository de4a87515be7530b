"""Professional learning: trios, their meetings and proposals; CLPL events."""
