"""Pilot bases and proof-of-concept centres (中试基地 / 概念验证中心)."""
