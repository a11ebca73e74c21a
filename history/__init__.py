"""History for analysts: search, aggregations, the HTTP API, retention and erasure, Kibana
objects and the weekly report, over the tenants' indices. A stage: imports only `schemas`
and `runtime`; every read goes through a tenant's read alias (runtime.indices)."""
