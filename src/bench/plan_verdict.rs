//! What `bench explain` concludes from a plan: plain functions over the
//! plan's text lines (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN`).

/// The column list of a SELECT is noise in a plan listing.
pub(super) fn shorten(sql: &str) -> String {
    match (sql.strip_prefix("SELECT "), sql.find(" FROM ")) {
        (Some(_), Some(from)) => format!("SELECT …{}", &sql[from..]),
        _ => sql.to_string(),
    }
}

/// A query for one customer (`customer_id = ?`) whose SQLite plan searches
/// no index by customer: it reads a range of the whole shop (for instance
/// every due lot) to find one wallet's rows. SQLite plans without
/// statistics, so an empty database shows the plan a big one gets;
/// PostgreSQL's choice depends on statistics and is not judged here.
pub(super) fn unkeyed_wallet_read(sql: &str, plan: &[String]) -> bool {
    let per_customer = sql.contains("`customer_id` = ?");
    per_customer && !plan.iter().any(|line| line.contains("customer_id=?"))
}

/// "FULL SCAN …" when a table is read whole, else which index is used.
pub(super) fn judge(plan: &[String]) -> String {
    let scan = plan.iter().find(|l| {
        let l = l.trim_start_matches([' ', '-', '>']);
        l.starts_with("SCAN ") && !l.contains(" USING ") || l.starts_with("Seq Scan")
    });
    if let Some(line) = scan {
        return format!("FULL SCAN ({})", line.trim());
    }
    let index = plan.iter().find(|l| l.contains("INDEX") || l.contains("PRIMARY KEY") || l.contains("Index"));
    let sort =
        plan.iter().any(|l| l.contains("TEMP B-TREE") || l.trim_start_matches([' ', '-', '>']).starts_with("Sort"));
    let sort_note = if sort { "; sorts its result" } else { "" };
    match index {
        Some(line) => format!("index ({}){sort_note}", line.trim().trim_start_matches("->").trim()),
        None => format!("no scan, no index named{sort_note}"),
    }
}

#[cfg(test)]
mod tests {
    use super::unkeyed_wallet_read;

    #[test]
    fn a_wallet_query_must_search_by_customer() {
        let sql = "SELECT `lots`.`id` FROM `lots` WHERE `lots`.`shop_id` = ? AND `lots`.`customer_id` = ?";
        let by_customer = ["SEARCH lots USING INDEX lots_open (shop_id=? AND customer_id=?)".to_string()];
        let by_shop = ["SEARCH lots USING INDEX lots_due (shop_id=? AND expires_at<?)".to_string()];
        assert!(!unkeyed_wallet_read(sql, &by_customer));
        assert!(unkeyed_wallet_read(sql, &by_shop));
        let shop_wide = "SELECT `lots`.`id` FROM `lots` WHERE `lots`.`shop_id` = ?";
        assert!(!unkeyed_wallet_read(shop_wide, &by_shop), "a shop-wide query is not judged");
    }
}
