"""The fault suite (`make faults`): not collected by `make test` (no test_*.py files here)."""
