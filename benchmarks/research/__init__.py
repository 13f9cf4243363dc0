"""Research probes behind docs/self-play.md: not run by `make bench`; each prints JSON lines (`python -m ...`)."""
