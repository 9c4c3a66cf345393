"""Papers as first-class sources: recognise scholarly links, read the open metadata APIs, pick the best open text,
and re-check works for retractions, corrections and newer versions."""
