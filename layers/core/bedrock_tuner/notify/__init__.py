"""Notifications: rendering for SNS (email) and Slack."""
