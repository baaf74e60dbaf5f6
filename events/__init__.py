"""Matchmaking events (产学研对接活动): roadshows, registrations, meetings and outcomes."""
