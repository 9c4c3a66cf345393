"""The Slack wing: the app, its listeners, the capture queue and reading a channel's past."""
