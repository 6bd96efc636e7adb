"""Contact persons: the people who answer for an organization."""
