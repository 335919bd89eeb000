DROP INDEX notifications_shop_created;
DROP INDEX notifications_due;
DROP TABLE notifications;
DROP TABLE shop_notify;
