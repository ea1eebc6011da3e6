"""Tests of `parley bench`: its arithmetic, and one short run against a real server."""
