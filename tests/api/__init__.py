"""Tests of the Sendblue API client (no Home Assistant involved)."""
