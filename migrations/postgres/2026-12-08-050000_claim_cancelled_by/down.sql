ALTER TABLE claims DROP COLUMN cancelled_by;
