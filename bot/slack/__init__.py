"""The Slack wing: the app, its listeners, the capture queue, the processes that answer, and reading a
channel's past (see docs/architecture.md)."""
