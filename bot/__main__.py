"""``python -m bot`` is the same as the ``deskbot`` console script."""

from bot.cli import cli

if __name__ == "__main__":
    cli()
