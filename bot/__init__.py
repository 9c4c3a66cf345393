"""deskbot: a Slack bot and CLI that turns a research channel's links into a fresh knowledge base."""

__version__ = "0.1.0"
