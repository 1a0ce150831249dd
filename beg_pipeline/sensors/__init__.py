"""Sensors: approvals launch SAT uploads; failed runs become notifications."""
