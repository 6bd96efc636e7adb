"""Deterministic demo and benchmark data: a German cooperation network with planted trajectories.

`plan_network` decides who exists and which story each project tells (cheap, kept in memory);
`project_rows` expands one project into its rows with a random generator seeded by (seed, project id),
so the output does not depend on batching and the planted trajectories can be checked by tests.
Rows are tuples in the column order of `COLUMNS`, ready for COPY.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

DEMO_ORGANIZATIONS = 200
DEMO_PROJECTS = 80


class Trajectory(StrEnum):
    """The story a project's data tells, and so the risk flag it should (or should not) raise."""

    HEALTHY = "HEALTHY"
    DECLINING = "DECLINING"  # overall satisfaction falls by about 0.5 per round over the last rounds
    ASYMMETRIC = "ASYMMETRIC"  # the startup grows unhappy while the SME stays content
    SILENT_PARTNER = "SILENT_PARTNER"  # one partner stopped answering
    UNMET_EXPECTATIONS = "UNMET_EXPECTATIONS"  # low expectationsMet and an overdue open goal
    NO_EXIT_PLAN = "NO_EXIT_PLAN"  # active for long without an agreed exit plan
    STALLED = "STALLED"  # stuck in a phase before ACTIVE for more than 60 days
    EARLY = "EARLY"  # a young project before ACTIVE, nothing to flag


# the risk reason each planted trajectory must raise
EXPECTED_REASON: dict[Trajectory, str | None] = {
    Trajectory.HEALTHY: None,
    Trajectory.DECLINING: "DECLINING_SATISFACTION",
    Trajectory.ASYMMETRIC: "SATISFACTION_GAP",
    Trajectory.SILENT_PARTNER: "SILENT_PARTNER",
    Trajectory.UNMET_EXPECTATIONS: "UNMET_EXPECTATIONS",
    Trajectory.NO_EXIT_PLAN: "NO_EXIT_PLAN",
    Trajectory.STALLED: "STALLED",
    Trajectory.EARLY: None,
}

# The phase and trajectory of every block of 20 projects: 11 active (5 healthy), 3 completed,
# 2 terminated, 4 before ACTIVE (2 stalled). Cycling through it keeps every story in every slice.
PROJECT_PATTERN: list[tuple[str, Trajectory]] = [
    ("ACTIVE", Trajectory.HEALTHY),
    ("ACTIVE", Trajectory.DECLINING),
    ("ACTIVE", Trajectory.ASYMMETRIC),
    ("ACTIVE", Trajectory.HEALTHY),
    ("COMPLETED", Trajectory.HEALTHY),
    ("ACTIVE", Trajectory.SILENT_PARTNER),
    ("ASSESSMENT", Trajectory.STALLED),
    ("ACTIVE", Trajectory.HEALTHY),
    ("ACTIVE", Trajectory.NO_EXIT_PLAN),
    ("TERMINATED", Trajectory.DECLINING),
    ("GOAL_SETTING", Trajectory.EARLY),
    ("ACTIVE", Trajectory.UNMET_EXPECTATIONS),
    ("COMPLETED", Trajectory.HEALTHY),
    ("PARTNER_SEARCH", Trajectory.STALLED),
    ("ACTIVE", Trajectory.HEALTHY),
    ("ACTIVE", Trajectory.ASYMMETRIC),
    ("INITIATION", Trajectory.EARLY),
    ("ACTIVE", Trajectory.HEALTHY),
    ("COMPLETED", Trajectory.HEALTHY),
    ("TERMINATED", Trajectory.ASYMMETRIC),
]
PHASE_ORDER = ["ASSESSMENT", "GOAL_SETTING", "PARTNER_SEARCH", "INITIATION", "ACTIVE"]

CITIES = [
    ("Stuttgart", "DE"),
    ("München", "DE"),
    ("Nürnberg", "DE"),
    ("Augsburg", "DE"),
    ("Karlsruhe", "DE"),
    ("Mannheim", "DE"),
    ("Freiburg im Breisgau", "DE"),
    ("Ulm", "DE"),
    ("Heilbronn", "DE"),
    ("Reutlingen", "DE"),
    ("Aachen", "DE"),
    ("Köln", "DE"),
    ("Düsseldorf", "DE"),
    ("Dortmund", "DE"),
    ("Bielefeld", "DE"),
    ("Paderborn", "DE"),
    ("Münster", "DE"),
    ("Hannover", "DE"),
    ("Braunschweig", "DE"),
    ("Hamburg", "DE"),
    ("Bremen", "DE"),
    ("Kiel", "DE"),
    ("Berlin", "DE"),
    ("Potsdam", "DE"),
    ("Leipzig", "DE"),
    ("Dresden", "DE"),
    ("Chemnitz", "DE"),
    ("Jena", "DE"),
    ("Erfurt", "DE"),
    ("Magdeburg", "DE"),
    ("Frankfurt am Main", "DE"),
    ("Darmstadt", "DE"),
    ("Kassel", "DE"),
    ("Mainz", "DE"),
    ("Saarbrücken", "DE"),
    ("Regensburg", "DE"),
    ("Ingolstadt", "DE"),
    ("Würzburg", "DE"),
    ("Siegen", "DE"),
    ("Tuttlingen", "DE"),
    ("Wien", "AT"),
    ("Linz", "AT"),
    ("Graz", "AT"),
    ("Zürich", "CH"),
    ("Basel", "CH"),
]
INDUSTRIES = [
    "Mechanical Engineering",
    "Automotive Supply",
    "Medical Technology",
    "Logistics",
    "Chemicals",
    "Food Processing",
    "Renewable Energy",
    "Software & IT",
    "Electrical Engineering",
    "Construction",
    "Plastics Technology",
    "Precision Optics",
    "Agritech",
    "Textiles",
]
# competencies per industry, and a few everybody may have
COMPETENCIES = {
    "Mechanical Engineering": ["CNC machining", "special machine construction", "hydraulics", "automation"],
    "Automotive Supply": ["powertrain components", "e-mobility", "lightweight construction", "ISO/TS 16949"],
    "Medical Technology": ["MDR compliance", "surgical instruments", "sensor technology", "clinical studies"],
    "Logistics": ["cold chain", "warehouse automation", "fleet telematics", "customs"],
    "Chemicals": ["specialty polymers", "coatings", "process engineering", "REACH compliance"],
    "Food Processing": ["food safety (IFS)", "packaging", "plant-based products", "shelf-life testing"],
    "Renewable Energy": ["photovoltaics", "battery storage", "hydrogen", "grid integration"],
    "Software & IT": ["cloud platforms", "machine learning", "IoT", "cyber security"],
    "Electrical Engineering": ["power electronics", "embedded systems", "PCB design", "drives"],
    "Construction": ["BIM", "timber construction", "facade systems", "renovation"],
    "Plastics Technology": ["injection moulding", "recycling", "tool making", "bioplastics"],
    "Precision Optics": ["laser systems", "optical metrology", "photonics", "lens manufacturing"],
    "Agritech": ["precision farming", "drones", "vertical farming", "soil analytics"],
    "Textiles": ["technical textiles", "smart fabrics", "circular fashion", "nonwovens"],
}
COMMON_COMPETENCIES = ["digital twin", "computer vision", "predictive maintenance", "sustainability reporting"]

SURNAMES = [
    "Brandt",
    "Huber",
    "Schäfer",
    "Vogel",
    "Kessler",
    "Lindner",
    "Roth",
    "Hoffmann",
    "Weber",
    "Krause",
    "Berger",
    "Albrecht",
    "Kaiser",
    "Franke",
    "Winkler",
    "Lorenz",
    "Hahn",
    "Sauer",
    "Pohl",
    "Ludwig",
    "Graf",
    "Seidel",
    "Schuster",
    "Böhm",
    "Kühn",
    "Engel",
    "Horn",
    "Busch",
    "Thiel",
    "Wendt",
    "Haas",
    "Brenner",
    "Stahl",
    "Eckert",
    "Reuter",
    "Ziegler",
    "Maurer",
    "Wolf",
    "Kraft",
    "Gerber",
]
SME_TRADES = {
    "Mechanical Engineering": ["Maschinenbau", "Antriebstechnik", "Sondermaschinen"],
    "Automotive Supply": ["Fahrzeugteile", "Zerspanungstechnik", "Umformtechnik"],
    "Medical Technology": ["Medizintechnik", "Feinwerktechnik", "Instrumentenbau"],
    "Logistics": ["Logistik", "Spedition", "Lagertechnik"],
    "Chemicals": ["Chemie", "Lacke", "Klebstofftechnik"],
    "Food Processing": ["Feinkost", "Backwaren", "Molkerei"],
    "Renewable Energy": ["Solartechnik", "Energietechnik", "Windservice"],
    "Software & IT": ["Informatik", "Systemhaus", "Datentechnik"],
    "Electrical Engineering": ["Elektrotechnik", "Steuerungsbau", "Elektronik"],
    "Construction": ["Bau", "Holzbau", "Fassadentechnik"],
    "Plastics Technology": ["Kunststofftechnik", "Formenbau", "Spritzguss"],
    "Precision Optics": ["Optik", "Lasertechnik", "Messtechnik"],
    "Agritech": ["Agrartechnik", "Landmaschinen", "Saatzucht"],
    "Textiles": ["Textilwerke", "Weberei", "Technische Textilien"],
}
LEGAL_FORMS_SME = ["GmbH", "GmbH & Co. KG", "KG", "GmbH", "AG"]
STARTUP_STEMS = [
    "Quant",
    "Nex",
    "Senso",
    "Flux",
    "Kine",
    "Opti",
    "Volt",
    "Cirk",
    "Lumi",
    "Agri",
    "Robo",
    "Data",
    "Klar",
    "Neo",
    "Frost",
    "Grid",
    "Tekt",
    "Mira",
    "Vela",
    "Pivo",
]
STARTUP_ENDINGS = ["ivo", "lytics", "ra", "onic", "mind", "loop", "base", "wise", "nova", "sense", "flow", "ify"]
STARTUP_FORMS = ["GmbH", "UG (haftungsbeschränkt)", "GmbH"]
CORPORATE_STEMS = ["Nord", "Süd", "Rhein", "Elb", "Donau", "Main", "Alpen", "Hanse", "Weser", "Spree"]
CORPORATE_ENDINGS = ["werke AG", "stahl AG", "tec SE", "chemie AG", "energie AG", "industrie SE"]
RESEARCH_TOPICS = [
    "Produktionstechnik",
    "Angewandte Informatik",
    "Werkstoffmechanik",
    "Lasertechnik",
    "Logistik und Supply Chain",
    "Medizinische Sensorik",
    "Energiesysteme",
    "Kunststoffverarbeitung",
]
RESEARCH_FORMS = [
    "Institut für {topic} {city}",
    "Forschungszentrum {topic} {city}",
    "Hochschule {city}, Labor für {topic}",
]

PROJECT_TOPICS = [
    ("Predictive maintenance for CNC lines", "TECHNOLOGY_PILOT"),
    ("AI-based visual quality inspection", "PRODUCT_DEVELOPMENT"),
    ("Digital twin of the injection moulding process", "PRODUCT_DEVELOPMENT"),
    ("Cold-chain tracking with IoT sensors", "TECHNOLOGY_PILOT"),
    ("Supplier carbon accounting platform", "CLOUD_INTEGRATION"),
    ("ERP connector to the partner cloud", "CLOUD_INTEGRATION"),
    ("Joint go-to-market in the DACH region", "MARKETING"),
    ("Outsourced precision machining capacity", "OUTSOURCING"),
    ("Hydrogen-ready burner development", "RESEARCH"),
    ("Battery second-life storage", "STRATEGIC_PARTNERSHIP"),
    ("Recycled polymer granulate qualification", "RESEARCH"),
    ("Autonomous intralogistics robots", "TECHNOLOGY_PILOT"),
    ("Smart textile sensors for workwear", "PRODUCT_DEVELOPMENT"),
    ("Precision farming data platform", "CLOUD_INTEGRATION"),
    ("Laser-based surface structuring", "RESEARCH"),
    ("Energy monitoring for production halls", "TECHNOLOGY_PILOT"),
    ("Shared trade-fair presence and lead sharing", "MARKETING"),
    ("Long-term sourcing partnership for drive units", "STRATEGIC_PARTNERSHIP"),
]
GOAL_TITLES = [
    "Prototype ready for field test",
    "Pilot running at two production sites",
    "Joint presence at Hannover Messe",
    "Interface specification signed off",
    "First paying customer",
    "Publish joint white paper",
    "Reduce setup time by 20 %",
    "Data-sharing agreement signed",
    "Certification of the cloud connector",
    "Business case approved by management",
]
COMMENTS_GOOD = [
    "Sehr gute Zusammenarbeit, kurze Wege.",
    "Clear decisions and open communication.",
    "Wir kommen gut voran.",
    "The pilot results are convincing.",
    "",
]
COMMENTS_BAD = [
    "Entscheidungen dauern bei uns Wochen, beim Partner Monate.",
    "We feel our contribution is not valued.",
    "Die Ziele wurden nie schriftlich festgehalten.",
    "Unclear who owns the results.",
    "Kommunikation nur noch über die Rechtsabteilung.",
]


@dataclass(frozen=True)
class Organization:
    id: int
    kind: str
    name: str
    industry: str
    city: str
    country: str


@dataclass
class ProjectPlan:
    id: int
    phase: str
    trajectory: Trajectory
    title: str
    kind: str
    partners: list[tuple[int, str]] = field(default_factory=list)  # (organization id, role)
    expected_reason: str | None = None


@dataclass
class Network:
    seed: int
    today: date
    organizations: list[Organization]
    projects: list[ProjectPlan]


def plan_sizes(scale: int) -> tuple[int, int]:
    """(organizations, projects) for a scale: the demo network times `scale`, with about 0.4
    organizations per project at large scales (20,000 organizations for 50,000 projects)."""
    projects = DEMO_PROJECTS * scale
    return max(DEMO_ORGANIZATIONS, (2 * projects) // 5), projects


def plan_network(seed: int = 42, scale: int = 1, today: date | None = None) -> Network:
    today = today or date.today()
    rng = random.Random(seed)
    n_organizations, n_projects = plan_sizes(scale)
    organizations = _unique_names([_organization(rng, i + 1, n_organizations) for i in range(n_organizations)])
    by_kind: dict[str, list[Organization]] = {}
    for organization in organizations:
        by_kind.setdefault(organization.kind, []).append(organization)

    projects = []
    for i in range(n_projects):
        phase, trajectory = PROJECT_PATTERN[i % len(PROJECT_PATTERN)]
        topic, kind = PROJECT_TOPICS[rng.randrange(len(PROJECT_TOPICS))]
        plan = ProjectPlan(
            id=i + 1,
            phase=phase,
            trajectory=trajectory,
            title="",
            kind=kind,
            expected_reason=EXPECTED_REASON[trajectory],
        )
        plan.partners = _choose_partners(rng, by_kind, trajectory, kind)
        plan.title = f"{topic} ({_short_name(organizations[plan.partners[0][0] - 1].name)})"
        projects.append(plan)
    return Network(seed=seed, today=today, organizations=organizations, projects=projects)


def normalized_name(name: str) -> str:
    """The key organization names are unique by (migration 0011): no case, no whitespace."""
    return "".join(name.split()).lower()


def _unique_names(organizations: list[Organization]) -> list[Organization]:
    """Names are unique in the network: a name drawn twice gets its city, then a number, appended (after
    a comma, so that project titles, which use the name before the first comma, stay as drawn). Uses no
    random numbers: every other draw of the network is the same as without."""
    taken: set[str] = set()
    unique = []
    for organization in organizations:
        name, n = organization.name, 1
        if normalized_name(name) in taken and ", " not in name:
            name = f"{organization.name}, {organization.city}"
        while normalized_name(name) in taken:
            n += 1
            name = f"{organization.name}, {organization.city} {n}"
        taken.add(normalized_name(name))
        unique.append(replace(organization, name=name) if name != organization.name else organization)
    return unique


def _short_name(name: str) -> str:
    return name.split(",")[0].split(" GmbH")[0].split(" AG")[0].split(" SE")[0].split(" UG")[0].split(" KG")[0]


def _organization(rng: random.Random, organization_id: int, total: int) -> Organization:
    roll = rng.random()
    kind = (
        "SME" if roll < 0.45 else "STARTUP" if roll < 0.80 else "CORPORATE" if roll < 0.88 else ("RESEARCH_INSTITUTE")
    )
    # the first four organizations are one of each kind, so even the smallest network has all
    if organization_id <= 4:
        kind = ["SME", "STARTUP", "CORPORATE", "RESEARCH_INSTITUTE"][organization_id - 1]
    city, country = CITIES[rng.randrange(len(CITIES))]
    industry = INDUSTRIES[rng.randrange(len(INDUSTRIES))]
    if kind == "SME":
        trade = rng.choice(SME_TRADES[industry])
        partner = rng.choice(SURNAMES)
        name = rng.choice(
            [f"{partner} {trade} {rng.choice(LEGAL_FORMS_SME)}", f"{partner} & Söhne {trade} GmbH & Co. KG"]
        )
    elif kind == "STARTUP":
        name = f"{rng.choice(STARTUP_STEMS)}{rng.choice(STARTUP_ENDINGS)} {rng.choice(STARTUP_FORMS)}"
    elif kind == "CORPORATE":
        name = f"{rng.choice(CORPORATE_STEMS)}{rng.choice(CORPORATE_ENDINGS)}"
    else:
        industry = "Research"
        name = rng.choice(RESEARCH_FORMS).format(topic=rng.choice(RESEARCH_TOPICS), city=city)
    name = _legal_form_of_country(name, country)
    if total > 400 and kind != "RESEARCH_INSTITUTE":
        # large networks: keep names distinguishable
        name = f"{name}, {city}" if rng.random() < 0.5 else name
    return Organization(organization_id, kind, name, industry, city, country)


def _legal_form_of_country(name: str, country: str) -> str:
    """The UG exists only in Germany and the GmbH & Co. KG not in Switzerland: an organization located there gets
    the country's nearest form (no random draw, so the rest of the network stays as drawn)."""
    if country != "DE":
        name = name.replace("UG (haftungsbeschränkt)", "GmbH")
    if country == "CH":
        name = name.replace("GmbH & Co. KG", "AG")
    return name


def _choose_partners(
    rng: random.Random, by_kind: dict[str, list[Organization]], trajectory: Trajectory, project_kind: str
) -> list[tuple[int, str]]:
    """Lead first. Every project with survey history has an SME and a startup (the asymmetry the
    domain cares about); about 40 % have a research institute as neutral moderator."""
    smes, startups = by_kind["SME"], by_kind["STARTUP"]
    others = by_kind["CORPORATE"] + by_kind["SME"] + by_kind["STARTUP"]
    chosen = [rng.choice(smes).id, rng.choice(startups).id]
    size = rng.choice([2, 3, 3, 4, 4, 4, 5, 5, 6]) if trajectory != Trajectory.SILENT_PARTNER else rng.choice([3, 4, 5])
    if project_kind == "RESEARCH":
        institute = rng.choice(by_kind["RESEARCH_INSTITUTE"]).id
        chosen.append(institute)
    while len(chosen) < size:
        candidate = rng.choice(others).id
        if candidate not in chosen:
            chosen.append(candidate)
    partners = [(chosen[0], "LEAD")] + [(org, "PARTNER") for org in chosen[1:]]
    if rng.random() < 0.4:
        moderator = rng.choice(by_kind["RESEARCH_INSTITUTE"]).id
        if moderator not in chosen:
            partners.append((moderator, "MODERATOR"))
    return partners


# ---------------------------------------------------------------------------------------------------
# rows for COPY

COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": (
        "id",
        "kind",
        "name",
        "industry",
        "city",
        "country",
        "employees",
        "founded_year",
        "competencies",
        "website",
        "description",
        "funding_stage",
        "revenue_band",
        "created_at",
        "updated_at",
    ),
    "cooperation_projects": (
        "id",
        "title",
        "summary",
        "kind",
        "phase",
        "phase_changed_at",
        "started_on",
        "planned_end_on",
        "exit_plan",
        "story",
        "published_at",
        "created_at",
        "updated_at",
    ),
    "project_phase_changes": ("project_id", "from_phase", "to_phase", "changed_at"),
    "project_partners": (
        "project_id",
        "organization_id",
        "role",
        "joined_on",
        "left_on",
        "publication_approved_at",
        "on_marketplace",
    ),
    "project_invitations": ("project_id", "organization_id", "role", "status", "invited_by", "invited_at"),
    "project_goals": ("project_id", "title", "owner_organization_id", "due_on", "status", "created_at", "updated_at"),
    "survey_rounds": ("id", "project_id", "sequence", "status", "opened_at", "closed_at"),
    "survey_round_participants": ("round_id", "organization_id"),
    "survey_responses": (
        "round_id",
        "organization_id",
        "overall",
        "expectations_met",
        "mutual_benefit",
        "decision_speed",
        "communication_trust",
        "continue_likelihood",
        "comment",
        "submitted_at",
    ),
}

Rows = dict[str, list[tuple]]


def organization_rows(network: Network) -> list[tuple]:
    rows = []
    for org in network.organizations:
        rng = random.Random(network.seed * 7_919 + org.id)
        employees = {
            "STARTUP": rng.randint(3, 80),
            "SME": rng.randint(20, 480),
            "CORPORATE": rng.randint(2_000, 60_000),
            "RESEARCH_INSTITUTE": rng.randint(40, 900),
        }[org.kind]
        founded = {
            # before the organization joined the network, and so before any of its projects started
            "STARTUP": rng.randint(2015, (network.today - timedelta(days=1_300)).year),
            "SME": rng.randint(1890, 1995),
            "CORPORATE": rng.randint(1850, 1970),
            "RESEARCH_INSTITUTE": rng.randint(1950, 2010),
        }[org.kind]
        pool = COMPETENCIES.get(org.industry, []) + COMMON_COMPETENCIES
        competencies = rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
        slug = "".join(ch for ch in _short_name(org.name).lower() if ch.isalnum())[:30] or "org"
        created = _at(network.today - timedelta(days=900 + rng.randint(0, 400)), 9)
        description = {
            "STARTUP": f"Young team from {org.city} building {competencies[0]} solutions.",
            "SME": f"Family-owned {org.industry.lower()} company from {org.city}, {employees} employees.",
            "CORPORATE": f"Industrial group headquartered in {org.city}.",
            "RESEARCH_INSTITUTE": f"Applied research in {competencies[0]}; neutral moderator of cooperations.",
        }[org.kind]
        rows.append(
            (
                org.id,
                org.kind,
                org.name,
                org.industry,
                org.city,
                org.country,
                employees,
                founded,
                competencies,
                f"https://www.{slug}.example",
                description,
                rng.choice(["PRE_SEED", "SEED", "SEED", "SERIES_A", "SERIES_B", "GROWTH"])
                if org.kind == "STARTUP"
                else None,
                rng.choice(["MICRO", "SMALL", "SMALL", "MEDIUM", "MEDIUM", "UPPER_MEDIUM"])
                if org.kind == "SME"
                else None,
                created,
                created,
            )
        )
    return rows


def project_rows(network: Network, plan: ProjectPlan, round_id_start: int) -> tuple[Rows, int]:
    """All rows of one project; survey round ids start at round_id_start. Returns the rows and the
    number of round ids used."""
    rng = random.Random(network.seed * 1_000_003 + plan.id)
    today = network.today
    rows: Rows = {table: [] for table in COLUMNS if table != "organizations"}
    answering = [org for org, role in plan.partners if role != "MODERATOR"]

    n_rounds, activated, phases, changed = _timeline(plan, rng, today)
    current_index = len(phases) - 1
    started = changed[0]
    for i, phase in enumerate(phases):
        rows["project_phase_changes"].append((plan.id, phases[i - 1] if i else None, phase, changed[i]))

    long_active = plan.phase == "ACTIVE" and (today - activated).days > 90
    has_exit_plan = plan.trajectory != Trajectory.NO_EXIT_PLAN and (
        plan.phase in ("ACTIVE", "COMPLETED", "TERMINATED") and (long_active or rng.random() < 0.7)
    )
    published = plan.phase == "COMPLETED" and rng.random() < 0.75
    lead, *_ = plan.partners
    further = len(plan.partners) - 1
    summary = (
        f"{plan.title.split(' (')[0]}: a {plan.kind.replace('_', ' ').lower()} cooperation "
        f"led by {network.organizations[lead[0] - 1].name} with {further} further partner{'s' if further != 1 else ''}."
    )
    planned_end = started.date() + timedelta(days=rng.choice([365, 540, 730]))
    while plan.phase not in ("COMPLETED", "TERMINATED") and planned_end <= today:
        planned_end += timedelta(days=365)  # a running project past its planned end was extended
    rows["cooperation_projects"].append(
        (
            plan.id,
            plan.title,
            summary,
            plan.kind,
            plan.phase,
            changed[current_index],
            started.date(),
            planned_end,
            "Hand-over of the joint IP to the lead partner; either side may leave with 3 months' notice after "
            "the pilot; results are documented in the project wiki."
            if has_exit_plan
            else None,
            "A pilot idea became a product: the partners shipped the result to their first customers and keep "
            "working together."
            if published
            else None,
            changed[current_index] + timedelta(days=3) if published else None,
            started,
            changed[current_index],
        )
    )

    # partners join at the start; in some projects one partner joined late (after round 3)
    late_joiner = answering[-1] if n_rounds >= 6 and len(answering) >= 4 and rng.random() < 0.2 else None
    round_dates = [_at(activated + timedelta(days=30 * k + 14), 9) for k in range(n_rounds)]
    for org, role in plan.partners:
        joined = (round_dates[3] - timedelta(days=2)).date() if org == late_joiner else started.date()
        # the partners of a published story approved it and appear on the marketplace
        approved = changed[current_index] + timedelta(days=2) if published else None
        rows["project_partners"].append((plan.id, org, role, joined, None, approved, published))
    if plan.id == _demo_invitation_project(network):
        # one pending invitation, to show the consent flow: the lead invites an SME not yet in the project
        invitee = next(o.id for o in network.organizations if o.kind == "SME" and o.id not in dict(plan.partners))
        rows["project_invitations"].append((plan.id, invitee, "PARTNER", "INVITED", lead[0], _at(today, 8)))

    rows["project_goals"].extend(_goal_rows(plan, rng, today, started, changed[current_index]))

    # survey rounds: monthly, each open for 10 days; the last round of some active projects still open
    last_open = plan.phase == "ACTIVE" and plan.trajectory == Trajectory.HEALTHY and rng.random() < 0.5
    baselines = {org: rng.choice([4, 5]) for org in answering}
    startup = next((org for org, role in plan.partners if role != "MODERATOR" and _is_startup(network, org)), None)
    silent = answering[-1] if plan.trajectory == Trajectory.SILENT_PARTNER else None
    for k in range(n_rounds):
        round_id = round_id_start + k
        opened = round_dates[k]
        is_open = last_open and k == n_rounds - 1
        if is_open:
            opened = _at(today - timedelta(days=rng.randint(1, 6)), 9)
        closed = None if is_open else opened + timedelta(days=10)
        rows["survey_rounds"].append((round_id, plan.id, k + 1, "OPEN" if is_open else "CLOSED", opened, closed))
        expected = [org for org in answering if not (org == late_joiner and k < 3)]
        dipping = rng.choice(expected) if rng.random() < 0.5 else None
        for org in expected:
            rows["survey_round_participants"].append((round_id, org))
            if org == silent and k >= n_rounds - 3:
                continue
            if is_open and rng.random() < 0.5:
                continue  # not answered yet
            overall = _overall(plan, k, n_rounds, org, baselines[org], org == dipping, org == startup, rng)
            expectations = max(1, min(5, overall + rng.choice([-1, 0, 0, 1])))
            if plan.trajectory == Trajectory.UNMET_EXPECTATIONS and k >= n_rounds - 3:
                expectations = rng.choice([1, 2])
            comment = rng.choice(COMMENTS_GOOD if overall >= 4 else COMMENTS_BAD) if rng.random() < 0.3 else ""
            rows["survey_responses"].append(
                (
                    round_id,
                    org,
                    overall,
                    expectations,
                    max(1, min(5, overall + rng.choice([-1, 0, 0, 1]))),
                    max(1, min(5, overall + rng.choice([-2, -1, 0, 0]))),
                    max(1, min(5, overall + rng.choice([-1, 0, 0, 0, 1]))),
                    max(0, min(10, round((overall - 1) * 2.5) + rng.choice([-1, 0, 0, 1]))),
                    comment or None,
                    opened + timedelta(hours=rng.randint(1, 200)),
                )
            )
    return rows, n_rounds


def _timeline(plan: ProjectPlan, rng: random.Random, today: date) -> tuple[int, date, list[str], list[datetime]]:
    """(survey rounds, the day ACTIVE began (else the current phase), the phase path, when each phase began).
    Phases before ACTIVE take 2-6 weeks each; ACTIVE projects have one round a month."""
    if plan.phase in ("ACTIVE", "COMPLETED", "TERMINATED"):
        n_rounds = rng.randint(6, 12)
        active_days = 30 * n_rounds + rng.randint(5, 25)
        if plan.phase != "ACTIVE":
            active_days += rng.randint(30, 200)  # ended a while ago
        activated = today - timedelta(days=active_days)
    else:
        n_rounds = 0
        days_in_phase = rng.randint(75, 200) if plan.trajectory == Trajectory.STALLED else rng.randint(3, 40)
        activated = today - timedelta(days=days_in_phase)  # here: when the current phase began
    phases = _phase_path(plan.phase)
    current_index = len(phases) - 1
    # walk back from the start of the current phase (ACTIVE's start for ended projects)
    anchor_index = phases.index("ACTIVE") if "ACTIVE" in phases else current_index
    changed: list[datetime] = [datetime.min.replace(tzinfo=UTC)] * len(phases)
    changed[anchor_index] = _at(activated, 10)
    for i in range(anchor_index - 1, -1, -1):
        changed[i] = changed[i + 1] - timedelta(days=rng.randint(14, 45))
    if plan.phase in ("COMPLETED", "TERMINATED"):
        changed[current_index] = changed[anchor_index] + timedelta(days=30 * n_rounds + rng.randint(5, 20))
    return n_rounds, activated, phases, changed


def _goal_rows(
    plan: ProjectPlan, rng: random.Random, today: date, started: datetime, phase_changed: datetime
) -> list[tuple]:
    """The project's goals, owned by partners; `phase_changed`: when the current phase began."""
    goals: list[tuple] = []
    for g in range(rng.randint(2, 4)):
        owner = plan.partners[g % len(plan.partners)][0]
        created = started + timedelta(days=rng.randint(0, 30))
        if plan.trajectory == Trajectory.UNMET_EXPECTATIONS and g == 0:
            due, status = today - timedelta(days=rng.randint(10, 60)), "OPEN"
        elif plan.phase in ("COMPLETED", "TERMINATED"):
            due = phase_changed.date() - timedelta(days=rng.randint(10, 90))
            status = "ACHIEVED" if plan.phase == "COMPLETED" else rng.choice(["MISSED", "DROPPED"])
        else:
            due = today + timedelta(days=rng.randint(20, 240))
            status = "OPEN" if rng.random() < 0.7 else "ACHIEVED"
        goals.append(
            (
                plan.id,
                GOAL_TITLES[(plan.id + g) % len(GOAL_TITLES)],
                owner,
                due,
                status,
                created,
                created,
            )
        )
    return goals


def _overall(
    plan: ProjectPlan,
    k: int,
    n_rounds: int,
    org: int,
    baseline: int,
    dips: bool,
    is_startup: bool,
    rng: random.Random,
) -> int:
    """Overall satisfaction 1-5 of one partner in round k, following the project's trajectory.
    Healthy: each partner keeps a baseline of 4 or 5, at most one partner a round dips by one."""
    healthy = baseline - 1 if dips and baseline == 5 else baseline
    from_end = n_rounds - 1 - k  # 0 = the latest round
    if plan.trajectory == Trajectory.DECLINING and from_end < 4:
        target = 4.3 - 0.55 * (4 - from_end)  # 3.75, 3.2, 2.65, 2.1
        return max(1, min(5, round(target + rng.choice([-0.4, 0, 0.4]))))
    if plan.trajectory == Trajectory.ASYMMETRIC and is_startup and from_end < 4:
        return from_end + 1  # 4, 3, 2, 1
    return healthy


def _is_startup(network: Network, organization_id: int) -> bool:
    return network.organizations[organization_id - 1].kind == "STARTUP"


def _phase_path(phase: str) -> list[str]:
    if phase in PHASE_ORDER:
        return PHASE_ORDER[: PHASE_ORDER.index(phase) + 1]
    return [*PHASE_ORDER, phase]


def _demo_invitation_project(network: Network) -> int | None:
    """The project with the demo's pending invitation: the first ACTIVE one."""
    return next((plan.id for plan in network.projects if plan.phase == "ACTIVE"), None)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def iter_project_batches(network: Network, batch_size: int = 500) -> Iterator[tuple[Rows, int]]:
    """Rows of `batch_size` projects at a time, with the number of projects in the batch."""
    next_round_id = 1
    for start in range(0, len(network.projects), batch_size):
        batch: Rows = {table: [] for table in COLUMNS if table != "organizations"}
        plans = network.projects[start : start + batch_size]
        for plan in plans:
            rows, used = project_rows(network, plan, next_round_id)
            next_round_id += used
            for table, table_rows in rows.items():
                batch[table].extend(table_rows)
        yield batch, len(plans)
