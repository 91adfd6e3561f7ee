"""Outgoing webhooks: endpoints, events (built after the sync committed), signed deliveries."""
