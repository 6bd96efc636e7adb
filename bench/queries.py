"""The three frontend queries the benchmark measures (and tests/api/test_statement_count.py counts the SQL of):
the ecosystem manager's dashboard, a project page, a directory page."""

DASHBOARD = """{ atRiskProjects(first: 20) { edges { node { title partners { role organization { name } }
  latestStatistics { responseCount mean } riskFlags { reason severity explanation } } } } }"""
PROJECT = """query($id: ID!) { node(id: $id) { ... on CooperationProject { title phase
  partners { role organization { name } } goals { title status dueOn } satisfactionTrend(last: 12) { sequence mean }
  riskFlags { reason severity explanation }
  surveyRounds(first: 12) { edges { node { sequence status responseCount expectedResponses } } } } } }"""
DIRECTORY = "{ organizations(first: 100) { edges { node { name kind city projectCount } } } }"
