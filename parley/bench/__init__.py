"""`parley bench`: drive a running server with many WebSocket clients and measure it.

Benchmarks are not tests (DESIGN §6): this package reports throughput, latency percentiles
and the server's CPU and memory per message and per connection; `docs/benchmarks.md` says how.
"""
