"""PartnerPulse: the composition root (settings, command line, embedded development servers)."""

__version__ = "0.1.0"
