"""The load test's parts (issue #18): ``scenario`` (plain Python shared by the bench, the locustfile and the
tests), ``locustfile`` (run only by locust, in its own process), ``stack`` (seeding and verification, run in a
subprocess with the load stack's settings) and ``settings`` (those settings)."""
