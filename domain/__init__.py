"""Business rules in plain Python: no GraphQL, HTTP or queue code."""
