"""The incident page: what a signed link in a page opens (alerts/notify/web/app.py)."""
