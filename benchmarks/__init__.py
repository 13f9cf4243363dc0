"""The benchmarks `make bench` runs (`python -m benchmarks.run`), each printing a table."""
