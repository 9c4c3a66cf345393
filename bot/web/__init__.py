"""``deskbot web``: Datasette over the bot's SQLite file, with deskbot's pages as a small plugin.

A top face like ``bot.cli``: it reads the knowledge base through ``bot.kb.store`` / ``bot.kb.answers`` /
``bot.clock.digest`` (the same functions /claim and the digest use) and never writes to it.
"""
