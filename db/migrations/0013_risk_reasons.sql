-- Two reasons from the measured rules: fewer answers than a project usually gets, and the moderators'
-- early signal of an open round's first answers (never a partner-visible flag).
ALTER TYPE risk_reason ADD VALUE IF NOT EXISTS 'RESPONSE_RATE_DROP';
ALTER TYPE risk_reason ADD VALUE IF NOT EXISTS 'EARLY_SIGNAL';
