-- Issue 13: the shop's locale for numbers and money in the widget.
ALTER TABLE shops ADD COLUMN locale TEXT NOT NULL DEFAULT 'en-US';
