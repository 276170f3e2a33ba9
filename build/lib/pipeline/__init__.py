"""Warehouse of the Department of Industry Promotion's industrial-cluster programme."""
