"""The Slack wing: the app, its listeners, the queue and the processes that answer (see README layout)."""
