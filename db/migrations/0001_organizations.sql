-- Organizations of the network: startups, SMEs (Mittelstand), corporates, research institutes.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TYPE organization_kind AS ENUM ('STARTUP', 'SME', 'CORPORATE', 'RESEARCH_INSTITUTE');
CREATE TYPE funding_stage AS ENUM ('PRE_SEED', 'SEED', 'SERIES_A', 'SERIES_B', 'GROWTH');
-- Annual revenue bands of SMEs: micro < 2 M EUR, small < 10 M, medium < 50 M, upper medium < 250 M
-- (the "gehobener Mittelstand").
CREATE TYPE revenue_band AS ENUM ('MICRO', 'SMALL', 'MEDIUM', 'UPPER_MEDIUM');

CREATE TABLE organizations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          organization_kind NOT NULL,
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    industry      text NOT NULL CHECK (length(btrim(industry)) BETWEEN 1 AND 100),
    city          text NOT NULL CHECK (length(btrim(city)) BETWEEN 1 AND 100),
    country       char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    employees     integer CHECK (employees >= 0),
    founded_year  smallint CHECK (founded_year BETWEEN 1000 AND 2100),
    competencies  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(competencies) <= 50),
    website       text CHECK (website ~ '^https?://' AND length(website) <= 500),
    description   text CHECK (length(description) <= 5000),
    funding_stage funding_stage CHECK (funding_stage IS NULL OR kind = 'STARTUP'),
    revenue_band  revenue_band CHECK (revenue_band IS NULL OR kind = 'SME'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The directory pages by name with keyset pagination (name, id), optionally filtered by kind or industry.
CREATE INDEX organizations_name_idx ON organizations (name, id);
CREATE INDEX organizations_kind_name_idx ON organizations (kind, name, id);
CREATE INDEX organizations_industry_name_idx ON organizations (industry, name, id);
-- Search by part of the name (ILIKE '%…%').
CREATE INDEX organizations_name_trgm_idx ON organizations USING gin (name gin_trgm_ops);
