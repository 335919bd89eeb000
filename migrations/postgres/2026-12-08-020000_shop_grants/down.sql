DROP TABLE shop_grants;
