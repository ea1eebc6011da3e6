"""Web Push (DESIGN §9): push subscriptions, the VAPID key, and delivery to members who have
no open socket. Notification levels themselves belong to the membership (`parley.rooms`)."""
