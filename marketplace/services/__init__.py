"""Every write of the shared core. Keyword-only arguments, atomic, returning the object."""
