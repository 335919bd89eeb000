DROP INDEX notifications_shop_status;
DROP INDEX customers_phone_search;
DROP INDEX customers_email_search;
DROP INDEX customers_last_name_search;
DROP INDEX customers_name_search;
ALTER TABLE customers DROP COLUMN phone;
ALTER TABLE customers DROP COLUMN last_name;
ALTER TABLE customers DROP COLUMN first_name;
